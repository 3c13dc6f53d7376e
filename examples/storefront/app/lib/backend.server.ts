// The one place that knows where the Store API lives.
//
// The backend can be reached through one HTTP API (MEDUSA_BACKEND_URL) or through each
// function's own URL. A function URL serves the same Store API paths as the HTTP API, so
// only the origin changes: every request keeps its `/store/...` path and goes to the base
// URL of the function that serves that path prefix (see README.md, "Function URLs").
//
// @medusajs/js-sdk 2.21.2 has a single `baseUrl` and no `fetch` option. Every `sdk.store.*`
// method calls `sdk.client.fetch(path, init)`, so the exported `sdk` keeps Medusa's API
// but its `client.fetch` hands each call to a plain js-sdk `Client` built for the base URL
// that path routes to (one client per distinct base URL, created on first use). No global
// `fetch` is patched and no shared state is mutated per request.
import Medusa, { Client } from "@medusajs/js-sdk";

const DEFAULT_BACKEND_URL = "http://127.0.0.1:9000";

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

export const backendUrl = env("MEDUSA_BACKEND_URL") ?? DEFAULT_BACKEND_URL;
const publishableKey = env("MEDUSA_PUBLISHABLE_KEY");
if (!publishableKey) {
  console.warn("MEDUSA_PUBLISHABLE_KEY is not set: every /store request will answer 400");
}

/** Which env var names the base URL for a Store API path. First match wins. */
const ROUTES: Array<{ match: RegExp; envVar: string }> = [
  // checkout function (its prefix /store/carts/{id}/complete must win over the cart function's /store/carts)
  { match: /^\/store\/carts\/[^/]+\/complete\/?$/, envVar: "STORE_CHECKOUT_URL" },
  { match: /^\/store\/payment-collections(\/|$)/, envVar: "STORE_CHECKOUT_URL" },
  { match: /^\/store\/payment-providers(\/|$)/, envVar: "STORE_CHECKOUT_URL" },
  // cart function
  { match: /^\/store\/carts(\/|$)/, envVar: "STORE_CART_URL" },
  { match: /^\/store\/shipping-options(\/|$)/, envVar: "STORE_CART_URL" },
  // products (catalog) function
  { match: /^\/store\/products(\/|$)/, envVar: "STORE_PRODUCTS_URL" },
  { match: /^\/store\/regions(\/|$)/, envVar: "STORE_PRODUCTS_URL" },
  { match: /^\/store\/product-categories(\/|$)/, envVar: "STORE_PRODUCTS_URL" },
  { match: /^\/store\/collections(\/|$)/, envVar: "STORE_PRODUCTS_URL" },
  // orders function
  { match: /^\/store\/orders(\/|$)/, envVar: "STORE_ORDERS_URL" },
  // accounts function: customer login and accounts
  { match: /^\/auth\//, envVar: "STORE_ACCOUNTS_URL" },
  { match: /^\/store\/customers(\/|$)/, envVar: "STORE_ACCOUNTS_URL" },
  // content function: the Strapi proxy
  { match: /^\/content\//, envVar: "STORE_CONTENT_URL" },
];

/** The base URL that serves `path` (a Store API path, with or without a query string). */
export function baseUrlFor(path: string): string {
  const pathname = "/" + path.split("?")[0].replace(/^\/+/, "");
  for (const route of ROUTES) {
    if (route.match.test(pathname)) return env(route.envVar) ?? backendUrl;
  }
  return backendUrl;
}

/** The routing table as it is resolved from the env (for the README and the startup log). */
export function describeRoutes(): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const route of ROUTES) seen[route.envVar] = env(route.envVar) ?? `${backendUrl} (MEDUSA_BACKEND_URL)`;
  return seen;
}

// One server serves every shopper: the SDK must never keep a customer's token. Each call
// that acts for a customer passes their token itself (customer.server.ts, authHeaders).
const NO_STORED_TOKEN = { type: "jwt", jwtTokenStorageMethod: "nostore" } as const;

const clients = new Map<string, Client>();
function clientFor(baseUrl: string): Client {
  let client = clients.get(baseUrl);
  if (!client) {
    client = new Client({ baseUrl, publishableKey, auth: NO_STORED_TOKEN });
    clients.set(baseUrl, client);
  }
  return client;
}

export const sdk = new Medusa({ baseUrl: backendUrl, publishableKey, auth: NO_STORED_TOKEN });

// Route each call by its path. `input` is a Store API path for every sdk.store.* method;
// a full URL or Request (only ever passed by hand) goes out unchanged on the default client.
const defaultFetch = sdk.client.fetch.bind(sdk.client);
sdk.client.fetch = ((input, init) => {
  if (typeof input === "string") return clientFor(baseUrlFor(input)).fetch(input, init);
  return defaultFetch(input, init);
}) as Client["fetch"];

/** An error the js-sdk threw for an HTTP answer (FetchError), or anything else. */
export function errorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
