import type { HttpTypes } from "@medusajs/types";

export type Product = HttpTypes.StoreProduct;
export type Variant = HttpTypes.StoreProductVariant;

export function inStock(variant: Variant): boolean {
  if (variant.manage_inventory === false || variant.allow_backorder) return true;
  return (variant.inventory_quantity ?? 0) > 0;
}

/** The lowest calculated price of a product's variants in the region (what a card shows). */
export function cheapestPrice(product: Product): { amount: number; currency_code: string } | undefined {
  let best: { amount: number; currency_code: string } | undefined;
  for (const variant of product.variants ?? []) {
    const price = variant.calculated_price;
    if (price?.calculated_amount == null || !price.currency_code) continue;
    if (!best || price.calculated_amount < best.amount) {
      best = { amount: price.calculated_amount, currency_code: price.currency_code };
    }
  }
  return best;
}
