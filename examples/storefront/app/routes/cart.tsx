import { data, Form, Link, redirect } from "react-router";
import type { Route } from "./+types/cart";
import { errorMessage, errorStatus, sdk } from "~/lib/backend.server";
import { getCart, type Cart } from "~/lib/cart.server";
import { clearCartId } from "~/lib/cookies.server";
import { formatMoney } from "~/lib/money";
import { TableHead, Totals } from "~/lib/summary";

const MAX_QUANTITY = 99;

export function meta() {
  return [{ title: "Cart · Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const cart = await getCart(request);
  if (!cart) return { cart: null };
  return {
    cart: {
      id: cart.id,
      currency_code: cart.currency_code,
      items: (cart.items ?? [])
        .slice()
        .sort((a, b) => String(a.created_at ?? "").localeCompare(String(b.created_at ?? "")))
        .map((item) => ({
          id: item.id,
          title: item.product_title ?? item.title,
          variant_title: item.variant_title,
          handle: item.product_handle,
          thumbnail: item.thumbnail,
          quantity: item.quantity,
          unit_price: item.unit_price,
          total: item.total,
        })),
      item_subtotal: cart.item_subtotal,
      shipping_subtotal: cart.shipping_methods?.length ? cart.shipping_subtotal : null,
      discount_total: cart.discount_total,
      promo_codes: (cart.promotions ?? []).map((p) => p.code).filter((c): c is string => Boolean(c)),
      tax_total: cart.tax_total,
      total: cart.total,
    },
  };
}

export async function action({ request }: Route.ActionArgs) {
  const cart = await getCart(request);
  if (!cart) {
    return redirect("/cart", { headers: { "Set-Cookie": await clearCartId(request) } });
  }
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  if (intent === "promo-add" || intent === "promo-remove") return promotion(cart.id, intent, form);
  const lineId = String(form.get("line_id") ?? "");
  if (!cart.items?.some((item) => item.id === lineId)) return data({ error: "That line is not in your cart." }, { status: 400 });
  try {
    if (intent === "update") {
      const quantity = Number(form.get("quantity"));
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
        return data({ error: `Quantity must be a whole number from 0 to ${MAX_QUANTITY}.` }, { status: 400 });
      }
      if (quantity === 0) await sdk.store.cart.deleteLineItem(cart.id, lineId);
      else await sdk.store.cart.updateLineItem(cart.id, lineId, { quantity });
    } else if (intent === "remove") {
      await sdk.store.cart.deleteLineItem(cart.id, lineId);
    } else {
      return data({ error: "Unknown action." }, { status: 400 });
    }
  } catch (error) {
    const status = errorStatus(error);
    console.error(`cart ${intent} ${lineId} failed:`, status, errorMessage(error));
    return data({ error: errorMessage(error) }, { status: status && status >= 400 && status < 500 ? status : 502 });
  }
  return redirect("/cart");
}

/** Applies or removes a promotion code; the store answers 400 for a code it does not know. */
async function promotion(cartId: string, intent: string, form: FormData) {
  const code = String(form.get("code") ?? "").trim();
  if (!code) return data({ error: "Enter a promotion code." }, { status: 400 });
  try {
    // POST adds to the codes already applied (an update with promo_codes would replace them).
    const { cart } = await sdk.client.fetch<{ cart: Cart }>(`/store/carts/${cartId}/promotions`, {
      method: intent === "promo-add" ? "POST" : "DELETE",
      body: { promo_codes: [code] },
    });
    const applied = cart.promotions?.some((p) => p.code?.toLowerCase() === code.toLowerCase());
    if (intent === "promo-add" && !applied) {
      return data({ error: `The code ${code} does not apply to this cart.` }, { status: 400 });
    }
  } catch (error) {
    const status = errorStatus(error);
    return data({ error: errorMessage(error) }, { status: status && status >= 400 && status < 500 ? status : 502 });
  }
  return redirect("/cart");
}

export default function CartPage({ loaderData, actionData }: Route.ComponentProps) {
  const { cart } = loaderData;
  if (!cart || cart.items.length === 0) {
    return (
      <section>
        <h1>Your cart</h1>
        <p data-testid="cart-empty">Your cart is empty.</p>
        <p>
          <Link to="/">Continue shopping</Link>
        </p>
      </section>
    );
  }
  const money = (amount: number | null | undefined) => formatMoney(amount, cart.currency_code);
  return (
    <section>
      <h1>Your cart</h1>
      {actionData?.error ? (
        <p className="error-message" role="alert" data-testid="cart-error">
          {actionData.error}
        </p>
      ) : null}
      <table className="cart-lines">
        <TableHead titles={["Item", "Price", "Quantity", "Total", ""]} />
        <tbody>
          {cart.items.map((item) => (
            <tr key={item.id} data-testid="cart-line" data-line-id={item.id}>
              <td>
                {item.handle ? <Link to={`/products/${item.handle}`}>{item.title}</Link> : item.title}
                {item.variant_title ? <span className="muted"> · {item.variant_title}</span> : null}
              </td>
              <td>{money(item.unit_price)}</td>
              <td>
                <Form method="post" className="inline">
                  <input type="hidden" name="line_id" value={item.id} />
                  <input
                    type="number"
                    name="quantity"
                    min={0}
                    max={MAX_QUANTITY}
                    defaultValue={item.quantity}
                    key={item.quantity}
                    aria-label={`Quantity of ${item.title}`}
                    data-testid="cart-line-quantity"
                  />
                  <button type="submit" name="intent" value="update" data-testid="cart-line-update">
                    Update
                  </button>
                </Form>
              </td>
              <td data-testid="cart-line-total">{money(item.total)}</td>
              <td>
                <Form method="post" className="inline">
                  <input type="hidden" name="line_id" value={item.id} />
                  <button type="submit" name="intent" value="remove" className="link" data-testid="cart-line-remove">
                    Remove
                  </button>
                </Form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="promotions" data-testid="promotions">
        {cart.promo_codes.map((code) => (
          <Form method="post" className="inline" key={code}>
            <input type="hidden" name="code" value={code} />
            <span data-testid="promo-applied">{code}</span>
            <button type="submit" name="intent" value="promo-remove" className="link" data-testid="promo-remove">
              Remove
            </button>
          </Form>
        ))}
        <Form method="post" className="inline">
          <input name="code" placeholder="Promotion code" aria-label="Promotion code" required data-testid="promo-code" />
          <button type="submit" name="intent" value="promo-add" data-testid="promo-apply">
            Apply
          </button>
        </Form>
      </div>
      <Totals totals={cart} shippingLabel="Shipping (excl. tax)" shippingPending="Calculated at checkout" testId="cart" />
      <p>
        <Link to="/checkout" className="button" data-testid="go-to-checkout">
          Checkout
        </Link>
      </p>
    </section>
  );
}
