import { data } from "react-router";
import type { Route } from "./+types/listing";
import { sdk } from "~/lib/backend.server";
import { pageOf, productCards } from "~/lib/catalog.server";
import { Pager, ProductGrid } from "~/lib/product-grid";
import { getRegion } from "~/lib/region.server";

// One page serves /categories/:handle and /collections/:handle: the products of that
// category or collection, 12 to a page (?page=N).

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `${loaderData.title} · Storefront` : "Storefront" }];
}

async function find(kind: string, handle: string): Promise<{ id: string; title: string } | undefined> {
  if (kind === "categories") {
    const { product_categories } = await sdk.store.category.list({ handle, fields: "id,name" });
    const found = product_categories[0];
    return found && { id: found.id, title: found.name };
  }
  const { collections } = await sdk.store.collection.list({ handle, fields: "id,title" });
  const found = collections[0];
  return found && { id: found.id, title: found.title };
}

export async function loader({ request, params }: Route.LoaderArgs) {
  const kind = new URL(request.url).pathname.split("/")[1];
  const found = await find(kind, params.handle);
  if (!found) throw data(`No such ${kind === "categories" ? "category" : "collection"}`, { status: 404 });
  const { region } = await getRegion(request);
  const filter = kind === "categories" ? { category_id: [found.id] } : { collection_id: [found.id] };
  return { title: found.title, ...(await productCards(region, filter, pageOf(request))) };
}

export default function Listing({ loaderData }: Route.ComponentProps) {
  const { title, products, count, page, pages } = loaderData;
  return (
    <section>
      <h1 data-testid="listing-title">{title}</h1>
      <p className="muted" data-testid="listing-count">
        {count} {count === 1 ? "product" : "products"}
      </p>
      <ProductGrid products={products} />
      <Pager page={page} pages={pages} search={""} />
    </section>
  );
}
