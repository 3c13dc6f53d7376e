// The logged-in customer: their token (a Store API JWT) in an HttpOnly cookie, sent with
// each call made for them as `authorization: Bearer …`. The shared SDK never keeps it.
import type { HttpTypes } from "@medusajs/types";
import { createCookie, redirect } from "react-router";
import { errorStatus, sdk } from "./backend.server";
import { readCartId, secure } from "./cookies.server";

export type Customer = HttpTypes.StoreCustomer;

// The store's customer tokens live 24 h (CUSTOMER_JWT_TTL_SECONDS); an older cookie is
// answered 401 and treated as logged out.
const DAY = 60 * 60 * 24;

const tokenCookie = createCookie("customer_token", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  maxAge: DAY,
});

export async function readToken(request: Request): Promise<string | undefined> {
  const value = await tokenCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.split(".").length === 3 ? value : undefined;
}

export function setToken(request: Request, token: string): Promise<string> {
  return tokenCookie.serialize(token, { secure: secure(request) });
}

export function clearToken(request: Request): Promise<string> {
  return tokenCookie.serialize("", { secure: secure(request), maxAge: 0 });
}

export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The customer of the token cookie, or undefined (no cookie, or an expired token). */
export async function getCustomer(request: Request): Promise<{ token: string; customer: Customer } | undefined> {
  const token = await readToken(request);
  if (!token) return undefined;
  try {
    const { customer } = await sdk.store.customer.retrieve({}, authHeaders(token));
    return { token, customer };
  } catch (error) {
    if (errorStatus(error) === 401) return undefined;
    throw error;
  }
}

/** The customer, or a redirect to the login page that comes back to this page. */
export async function requireCustomer(request: Request): Promise<{ token: string; customer: Customer }> {
  const found = await getCustomer(request);
  if (found) return found;
  const url = new URL(request.url);
  throw redirect(`/account/login?next=${encodeURIComponent(url.pathname)}`, {
    headers: { "Set-Cookie": await clearToken(request) },
  });
}

/** A login token for an email and password (the store answers 401 for either wrong). */
export async function logIn(email: string, password: string): Promise<string> {
  const token = await sdk.auth.login("customer", "emailpass", { email, password });
  if (typeof token !== "string") throw new Error("This login needs a redirect, which this storefront does not do");
  return token;
}

/** Registers the email with a password, creates the customer, and logs in. */
export async function register(input: {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
}): Promise<string> {
  const { email, password, first_name, last_name } = input;
  const registration = await sdk.auth.register("customer", "emailpass", { email, password });
  await sdk.store.customer.create({ email, first_name, last_name }, {}, authHeaders(registration));
  return logIn(email, password);
}

/** The guest cart of the cookie becomes the customer's (Medusa: POST /store/carts/:id/customer). */
export async function claimCart(request: Request, token: string): Promise<void> {
  const cartId = await readCartId(request);
  if (!cartId) return;
  try {
    await sdk.store.cart.transferCart(cartId, {}, authHeaders(token));
  } catch (error) {
    // A completed or vanished cart stays a guest's; the login still counts.
    console.warn(`cart ${cartId} was not handed to the customer:`, errorStatus(error));
  }
}

/** A safe place to go back to after logging in: a path of this site, else the account page. */
export function nextPath(value: FormDataEntryValue | string | null): string {
  const next = typeof value === "string" ? value : "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/account";
}
