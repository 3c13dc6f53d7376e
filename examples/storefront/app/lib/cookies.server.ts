// Two cookies, both HttpOnly and SameSite=Lax: the cart id (the cart id is the cart's only
// secret, as in Medusa's own starters) and the country the shopper picked with ?country=xx.
import { createCookie } from "react-router";

const WEEK = 60 * 60 * 24 * 7;

export const cartCookie = createCookie("cart_id", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  maxAge: 4 * WEEK,
});

export const countryCookie = createCookie("country", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  maxAge: 52 * WEEK,
});

// Secure when the storefront is served over https (or COOKIE_SECURE=true behind a proxy that
// terminates TLS); plain http on 127.0.0.1 keeps cookies usable for local runs and curl.
export function secure(request: Request): boolean {
  const forced = process.env.COOKIE_SECURE?.trim().toLowerCase();
  if (forced === "true" || forced === "1") return true;
  if (forced === "false" || forced === "0") return false;
  return new URL(request.url).protocol === "https:";
}

export async function readCartId(request: Request): Promise<string | undefined> {
  const value = await cartCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.startsWith("cart_") ? value : undefined;
}

export function setCartId(request: Request, cartId: string): Promise<string> {
  return cartCookie.serialize(cartId, { secure: secure(request) });
}

export function clearCartId(request: Request): Promise<string> {
  return cartCookie.serialize("", { secure: secure(request), maxAge: 0 });
}

export async function readCountry(request: Request): Promise<string | undefined> {
  const value = await countryCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && /^[a-z]{2}$/.test(value) ? value : undefined;
}

export function setCountry(request: Request, country: string): Promise<string> {
  return countryCookie.serialize(country, { secure: secure(request) });
}
