import type { HttpTypes } from "@medusajs/types";
import { errorStatus, sdk } from "./backend.server";
import { readCartId } from "./cookies.server";

export type Cart = HttpTypes.StoreCart;

// What the cart page and checkout read (the same fields Medusa's Next.js starter asks for).
export const CART_FIELDS =
  "*items, *region, *items.product, *items.variant, *items.thumbnail, +items.total, *promotions, +shipping_methods.name";

/** The cart in the cookie, or undefined when there is none (or it is gone or completed). */
export async function getCart(request: Request): Promise<Cart | undefined> {
  const cartId = await readCartId(request);
  if (!cartId) return undefined;
  try {
    const { cart } = await sdk.store.cart.retrieve(cartId, { fields: CART_FIELDS });
    if (cart.completed_at) return undefined;
    return cart;
  } catch (error) {
    if (errorStatus(error) === 404) return undefined;
    throw error;
  }
}

export function itemCount(cart: Cart | undefined): number {
  return (cart?.items ?? []).reduce((n, item) => n + item.quantity, 0);
}
