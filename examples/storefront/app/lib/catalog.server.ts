// Product lists for the home page, the category and collection pages and search: one page
// of product cards priced in the shopper's region, with the total count for paging.
import { sdk } from "./backend.server";
import { cheapestPrice } from "./product";
import type { Region } from "./region.server";

export const PAGE_SIZE = 12;

export type ProductCard = {
  id: string;
  handle: string;
  title: string;
  thumbnail: string | null;
  price: { amount: number; currency_code: string } | undefined;
};

/** `?page=N` of the request (1 when absent or not a page number). */
export function pageOf(request: Request): number {
  const page = Number(new URL(request.url).searchParams.get("page") ?? "1");
  return Number.isInteger(page) && page >= 1 ? page : 1;
}

export async function productCards(
  region: Region,
  filter: { q?: string; category_id?: string[]; collection_id?: string[] },
  page: number,
  limit = PAGE_SIZE,
): Promise<{ products: ProductCard[]; count: number; page: number; pages: number }> {
  const { products, count } = await sdk.store.product.list({
    ...filter,
    limit,
    offset: (page - 1) * limit,
    region_id: region.id,
    fields: "*variants.calculated_price",
  });
  return {
    products: products.map((p) => ({
      id: p.id,
      handle: p.handle,
      title: p.title,
      thumbnail: p.thumbnail,
      price: cheapestPrice(p),
    })),
    count,
    page,
    pages: Math.max(1, Math.ceil(count / limit)),
  };
}
