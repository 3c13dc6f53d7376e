import { data, Form, redirect, useNavigation } from "react-router";
import type { Route } from "./+types/product";
import { errorMessage, errorStatus, sdk } from "~/lib/backend.server";
import { getCart } from "~/lib/cart.server";
import { setCartId } from "~/lib/cookies.server";
import { formatMoney } from "~/lib/money";
import { inStock, type Product, type Variant } from "~/lib/product";
import { productStory } from "~/lib/content.server";
import { getRegion } from "~/lib/region.server";
import { authHeaders, readToken } from "~/lib/customer.server";

const PRODUCT_FIELDS = "*variants.calculated_price,+variants.inventory_quantity,*variants.options";
const MAX_QUANTITY = 99;

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `${loaderData.product.title} · Storefront` : "Product · Storefront" }];
}

async function productByHandle(handle: string, regionId: string): Promise<Product> {
  const { products } = await sdk.store.product.list({
    handle,
    region_id: regionId,
    limit: 1,
    fields: PRODUCT_FIELDS,
  });
  const product = products[0];
  if (!product || product.handle !== handle) throw data(`No product "${handle}"`, { status: 404 });
  return product;
}

/** value of variant for option id */
function optionValue(variant: Variant, optionId: string): string | undefined {
  return variant.options?.find((o) => o.option_id === optionId)?.value;
}

export async function loader({ request, params }: Route.LoaderArgs) {
  const { region } = await getRegion(request);
  const [product, story] = await Promise.all([productByHandle(params.handle, region.id), productStory(params.handle)]);
  const variants = product.variants ?? [];
  const options = product.options ?? [];

  // The selection: each option's value from the query (?<option id>=<value>), else the value
  // of the first variant in stock (or the first variant).
  const url = new URL(request.url);
  const fallback = variants.find(inStock) ?? variants[0];
  const selected: Record<string, string> = {};
  for (const option of options) {
    const wanted = url.searchParams.get(option.id);
    const known = option.values?.some((v) => v.value === wanted);
    const value = wanted && known ? wanted : fallback ? optionValue(fallback, option.id) : undefined;
    if (value !== undefined) selected[option.id] = value;
  }
  const variant = variants.find((v) => options.every((o) => optionValue(v, o.id) === selected[o.id]));

  return {
    product: {
      id: product.id,
      title: product.title,
      handle: product.handle,
      description: product.description,
      thumbnail: product.thumbnail,
      options: options.map((o) => ({ id: o.id, title: o.title, values: (o.values ?? []).map((v) => v.value) })),
    },
    story: story ?? null,
    selected,
    variant: variant
      ? {
          id: variant.id,
          title: variant.title,
          sku: variant.sku,
          inStock: inStock(variant),
          price: variant.calculated_price?.calculated_amount ?? null,
          originalPrice: variant.calculated_price?.original_amount ?? null,
          currency_code: variant.calculated_price?.currency_code ?? region.currency_code,
        }
      : null,
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const form = await request.formData();
  const variantId = String(form.get("variant_id") ?? "");
  const quantity = Number(form.get("quantity") ?? "1");
  if (!variantId.startsWith("variant_")) return data({ error: "Choose a variant." }, { status: 400 });
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return data({ error: `Quantity must be a whole number from 1 to ${MAX_QUANTITY}.` }, { status: 400 });
  }

  const { region } = await getRegion(request);
  let cartId: string | undefined;
  try {
    let cart = await getCart(request);
    if (!cart) {
      // A logged-in customer's new cart is theirs (and takes their email).
      const token = await readToken(request);
      ({ cart } = await sdk.store.cart.create({ region_id: region.id }, {}, token ? authHeaders(token) : undefined));
    } else if (cart.region_id !== region.id) {
      // the shopper switched region since the cart was made: the cart follows (and re-prices)
      ({ cart } = await sdk.store.cart.update(cart.id, { region_id: region.id }));
    }
    cartId = cart.id;
    await sdk.store.cart.createLineItem(cart.id, { variant_id: variantId, quantity });
    return redirect("/cart", { headers: { "Set-Cookie": await setCartId(request, cart.id) } });
  } catch (error) {
    const status = errorStatus(error);
    console.error(`add to cart (${params.handle}, ${variantId} x${quantity}) failed:`, status, errorMessage(error));
    return data(
      { error: `Could not add to cart: ${errorMessage(error)}` },
      {
        status: status && status >= 400 && status < 500 ? status : 502,
        // keep a cart made for this request, so the next try reuses it
        headers: cartId ? { "Set-Cookie": await setCartId(request, cartId) } : undefined,
      },
    );
  }
}

export default function ProductPage({ loaderData, actionData }: Route.ComponentProps) {
  const { product, story, selected, variant } = loaderData;
  const navigation = useNavigation();
  const adding = navigation.state !== "idle" && navigation.formMethod === "POST";
  return (
    <article className="product">
      {product.thumbnail ? <img src={product.thumbnail} alt="" width={360} height={360} /> : null}
      <div className="buy-box">
        <h1 data-testid="product-title">{product.title}</h1>
        {product.description ? <p className="muted">{product.description}</p> : null}
        {story ? (
          <section className="story" data-testid="product-story">
            {story.title ? <h2 data-testid="product-story-title">{story.title}</h2> : null}
            {story.paragraphs.map((text, i) => (
              <p key={i}>{text}</p>
            ))}
            {story.highlights.length > 0 ? (
              <ul>
                {story.highlights.map((text, i) => (
                  <li key={i}>{text}</li>
                ))}
              </ul>
            ) : null}
          </section>
        ) : null}

        {product.options.length > 0 ? (
          <Form method="get" className="options" preventScrollReset replace>
            {product.options.map((option) => (
              <label key={option.id}>
                {option.title}
                <select
                  name={option.id}
                  defaultValue={selected[option.id]}
                  key={selected[option.id]}
                  onChange={(e) => e.currentTarget.form?.requestSubmit()}
                  data-testid={`option-${option.title.toLowerCase()}`}
                >
                  {option.values.map((value) => (
                    <option key={value} value={value}>
                      {value}
                    </option>
                  ))}
                </select>
              </label>
            ))}
            <noscript>
              <button type="submit">Select</button>
            </noscript>
          </Form>
        ) : null}

        {variant ? (
          <p className="price" data-testid="product-price">
            {variant.price !== null ? formatMoney(variant.price, variant.currency_code) : "Not priced in this region"}
            {variant.originalPrice !== null && variant.price !== null && variant.originalPrice > variant.price ? (
              <s className="muted"> {formatMoney(variant.originalPrice, variant.currency_code)}</s>
            ) : null}
          </p>
        ) : (
          <p className="price">This combination is not available.</p>
        )}

        {variant ? (
          <Form method="post" className="add-to-cart">
            <input type="hidden" name="variant_id" value={variant.id} />
            <label>
              Quantity
              <input
                type="number"
                name="quantity"
                defaultValue={1}
                min={1}
                max={MAX_QUANTITY}
                required
                data-testid="quantity-input"
              />
            </label>
            <button
              type="submit"
              disabled={!variant.inStock || variant.price === null || adding}
              data-testid="add-to-cart"
            >
              {!variant.inStock ? "Out of stock" : adding ? "Adding…" : "Add to cart"}
            </button>
          </Form>
        ) : null}
        {actionData?.error ? (
          <p className="error-message" role="alert" data-testid="add-to-cart-error">
            {actionData.error}
          </p>
        ) : null}
      </div>
    </article>
  );
}
