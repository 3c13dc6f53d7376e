import { data, Form, Link, redirect, useNavigation } from "react-router";
import type { Route } from "./+types/checkout";
import { errorMessage, errorStatus, sdk } from "~/lib/backend.server";
import { getCart, type Cart } from "~/lib/cart.server";
import { clearCartId } from "~/lib/cookies.server";
import { formatMoney } from "~/lib/money";
import { Field, FormError } from "~/lib/form";
import { CountrySelect, LineList, summaryLine, Totals } from "~/lib/summary";

const PAYMENT_PROVIDER = "pp_system_default";

const ADDRESS_FIELDS = ["first_name", "last_name", "address_1", "city", "postal_code", "country_code", "phone"] as const;
type FormValues = Record<"email" | "shipping_option_id" | (typeof ADDRESS_FIELDS)[number], string>;

export function meta() {
  return [{ title: "Checkout · Storefront" }];
}

async function shippingOptions(cart: Cart) {
  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
  return shipping_options;
}

export async function loader({ request }: Route.LoaderArgs) {
  const cart = await getCart(request);
  if (!cart || !cart.items?.length) throw redirect("/cart");
  const options = await shippingOptions(cart);
  const address = cart.shipping_address;
  const values: FormValues = {
    email: cart.email ?? "",
    first_name: address?.first_name ?? "",
    last_name: address?.last_name ?? "",
    address_1: address?.address_1 ?? "",
    city: address?.city ?? "",
    postal_code: address?.postal_code ?? "",
    country_code: address?.country_code ?? cart.region?.countries?.[0]?.iso_2 ?? "",
    phone: address?.phone ?? "",
    shipping_option_id: cart.shipping_methods?.[0]?.shipping_option_id ?? options[0]?.id ?? "",
  };
  return {
    values,
    countries: (cart.region?.countries ?? []).map((c) => ({ iso_2: c.iso_2!, name: c.display_name ?? c.iso_2! })),
    shippingOptions: options.map((o) => ({
      id: o.id,
      name: o.name,
      amount: (o as { calculated_price?: { calculated_amount?: number } }).calculated_price?.calculated_amount ?? o.amount,
    })),
    cart: {
      currency_code: cart.currency_code,
      items: (cart.items ?? []).map(summaryLine),
      item_subtotal: cart.item_subtotal,
      discount_total: cart.discount_total,
      shipping_subtotal: cart.shipping_methods?.length ? cart.shipping_subtotal : null,
      tax_total: cart.tax_total,
      total: cart.total,
    },
  };
}

function fail(values: FormValues, error: string, status: number) {
  return data({ error, values }, { status });
}

export async function action({ request }: Route.ActionArgs) {
  const cart = await getCart(request);
  if (!cart || !cart.items?.length) throw redirect("/cart");

  const form = await request.formData();
  const field = (name: string) => String(form.get(name) ?? "").trim();
  const values = {
    email: field("email"),
    shipping_option_id: field("shipping_option_id"),
    ...Object.fromEntries(ADDRESS_FIELDS.map((name) => [name, field(name)])),
  } as FormValues;
  values.country_code = values.country_code.toLowerCase();

  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) return fail(values, "Enter a valid email address.", 400);
  for (const name of ["first_name", "last_name", "address_1", "city", "postal_code"] as const) {
    if (!values[name]) return fail(values, `Fill in ${name.replace("_", " ")}.`, 400);
  }
  if (!cart.region?.countries?.some((c) => c.iso_2 === values.country_code)) {
    return fail(values, "We do not ship to that country from this region.", 400);
  }
  if (!values.shipping_option_id) return fail(values, "Choose a shipping option.", 400);

  const { email, shipping_option_id, ...rest } = values;
  const address = { ...rest, phone: rest.phone || undefined };
  let step = "saving your address";
  try {
    let updated: Cart;
    ({ cart: updated } = await sdk.store.cart.update(cart.id, {
      email,
      shipping_address: address,
      billing_address: address,
    }));
    step = "choosing shipping";
    ({ cart: updated } = await sdk.store.cart.addShippingMethod(cart.id, { option_id: shipping_option_id }));
    step = "starting the payment";
    await sdk.store.payment.initiatePaymentSession(updated, { provider_id: PAYMENT_PROVIDER });
    step = "placing the order";
    const completion = await sdk.store.cart.complete(cart.id);
    if (completion.type === "order") {
      return redirect(`/order/${completion.order.id}`, {
        headers: { "Set-Cookie": await clearCartId(request) },
      });
    }
    console.error(`cart ${cart.id} complete answered type=cart:`, JSON.stringify(completion.error));
    return fail(values, `The order was not placed: ${completion.error?.message ?? "payment failed"}`, 402);
  } catch (error) {
    const status = errorStatus(error);
    console.error(`checkout of ${cart.id} failed while ${step}:`, status, errorMessage(error));
    return fail(
      values,
      `Something went wrong while ${step}: ${errorMessage(error)}`,
      status && status >= 400 && status < 500 ? status : 502,
    );
  }
}

export default function Checkout({ loaderData, actionData }: Route.ComponentProps) {
  const { countries, shippingOptions, cart } = loaderData;
  const values = actionData?.values ?? loaderData.values;
  const navigation = useNavigation();
  const placing = navigation.state !== "idle" && navigation.formMethod === "POST";
  const money = (amount: number | null | undefined) => formatMoney(amount, cart.currency_code);
  const text = (name: keyof FormValues, label: string, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <Field label={label} name={name} defaultValue={values[name]} data-testid={`checkout-${name.replace("_", "-")}`} {...props} />
  );
  return (
    <section className="checkout">
      <h1>Checkout</h1>
      <Form method="post" className="checkout-form" data-testid="checkout-form">
        <fieldset>
          <legend>Contact</legend>
          {text("email", "Email", { type: "email", required: true, autoComplete: "email" })}
        </fieldset>
        <fieldset>
          <legend>Shipping address</legend>
          {text("first_name", "First name", { required: true, autoComplete: "given-name" })}
          {text("last_name", "Last name", { required: true, autoComplete: "family-name" })}
          {text("address_1", "Address", { required: true, autoComplete: "address-line1" })}
          {text("postal_code", "Postal code", { required: true, autoComplete: "postal-code" })}
          {text("city", "City", { required: true, autoComplete: "address-level2" })}
          <CountrySelect countries={countries} defaultValue={values.country_code} testId="checkout-country" />
          {text("phone", "Phone (optional)", { type: "tel", autoComplete: "tel" })}
        </fieldset>
        <fieldset>
          <legend>Delivery</legend>
          {shippingOptions.length === 0 ? <p>No shipping options for this cart.</p> : null}
          {shippingOptions.map((o) => (
            <label key={o.id} className="radio">
              <input
                type="radio"
                name="shipping_option_id"
                value={o.id}
                defaultChecked={values.shipping_option_id === o.id}
                required
                data-testid="shipping-option"
              />
              {o.name} · {money(o.amount)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Payment</legend>
          <p className="muted">Manual payment ({PAYMENT_PROVIDER}): the order is placed without a card.</p>
        </fieldset>
        <FormError message={actionData?.error} testId="checkout-error" />
        <button type="submit" disabled={placing || shippingOptions.length === 0} data-testid="checkout-submit">
          {placing ? "Placing order…" : "Place order"}
        </button>
      </Form>
      <aside className="summary">
        <h2>Order summary</h2>
        <LineList items={cart.items} currency={cart.currency_code} />
        <Totals
          totals={cart}
          shippingLabel="Shipping (excl. tax)"
          shippingPending="Chosen above"
          totalLabel={cart.shipping_subtotal === null ? "Total before shipping" : "Total"}
        />
        <p>
          <Link to="/cart">Edit cart</Link>
        </p>
      </aside>
    </section>
  );
}
