import type { Route } from "./+types/search";
import { pageOf, productCards } from "~/lib/catalog.server";
import { Pager, ProductGrid } from "~/lib/product-grid";
import { getRegion } from "~/lib/region.server";

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData?.q ? `“${loaderData.q}” · Storefront` : "Search · Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const q = (new URL(request.url).searchParams.get("q") ?? "").trim().slice(0, 100);
  if (!q) return { q, products: [], count: 0, page: 1, pages: 1 };
  const { region } = await getRegion(request);
  return { q, ...(await productCards(region, { q }, pageOf(request))) };
}

export default function Search({ loaderData }: Route.ComponentProps) {
  const { q, products, count, page, pages } = loaderData;
  return (
    <section>
      <h1>Search</h1>
      {q ? (
        <>
          <p className="muted" data-testid="search-count">
            {count} {count === 1 ? "product matches" : "products match"} “{q}”
          </p>
          <ProductGrid products={products} />
          <Pager page={page} pages={pages} search={`q=${encodeURIComponent(q)}`} />
        </>
      ) : (
        <p>Type a word in the search box above.</p>
      )}
    </section>
  );
}
