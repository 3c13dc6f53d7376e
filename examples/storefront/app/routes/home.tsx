import { Link } from "react-router";
import type { Route } from "./+types/home";
import { sdk } from "~/lib/backend.server";
import { formatMoney } from "~/lib/money";
import { cheapestPrice } from "~/lib/product";
import { getRegion } from "~/lib/region.server";

export function meta() {
  return [{ title: "Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const { region } = await getRegion(request);
  const { products } = await sdk.store.product.list({
    limit: 8,
    offset: 0,
    region_id: region.id,
    fields: "*variants.calculated_price",
  });
  return {
    region: { name: region.name, currency_code: region.currency_code },
    products: products.map((p) => ({
      id: p.id,
      handle: p.handle,
      title: p.title,
      thumbnail: p.thumbnail,
      price: cheapestPrice(p),
    })),
  };
}

export default function Home({ loaderData }: Route.ComponentProps) {
  const { products, region } = loaderData;
  return (
    <section>
      <h1>Featured products</h1>
      <p className="muted">
        Prices for {region.name} in {region.currency_code.toUpperCase()}.
      </p>
      {products.length === 0 ? (
        <p>No products yet.</p>
      ) : (
        <ul className="product-grid" data-testid="product-list">
          {products.map((p) => (
            <li key={p.id} className="product-card" data-testid="product-card">
              <Link to={`/products/${p.handle}`}>
                {p.thumbnail ? <img src={p.thumbnail} alt="" loading="lazy" width={240} height={240} /> : null}
                <span className="title" data-testid="product-title">
                  {p.title}
                </span>
                <span className="price" data-testid="product-price">
                  {p.price ? `from ${formatMoney(p.price.amount, p.price.currency_code)}` : "Not available in this region"}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
