import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  redirect,
  Scripts,
  ScrollRestoration,
  useRouteLoaderData,
} from "react-router";
import type { Route } from "./+types/root";
import { getCart, itemCount } from "./lib/cart.server";
import { setCountry } from "./lib/cookies.server";
import { readToken } from "./lib/customer.server";
import { getRegion, queryCountry, regionForCountry } from "./lib/region.server";
import "./app.css";

export async function loader({ request }: Route.LoaderArgs) {
  const { region, regions, country: selected } = await getRegion(request);
  // ?country=xx picks the region containing xx; remember it in a cookie and drop the param.
  const country = queryCountry(request);
  if (country && regionForCountry(regions, country)) {
    const url = new URL(request.url);
    url.searchParams.delete("country");
    throw redirect(url.pathname + url.search, { headers: { "Set-Cookie": await setCountry(request, country) } });
  }
  const cart = await getCart(request);
  return {
    region: { id: region.id, name: region.name, currency_code: region.currency_code },
    countries: regions.flatMap((r) =>
      (r.countries ?? []).map((c) => ({ iso_2: c.iso_2!, name: c.display_name ?? c.iso_2!, region_id: r.id })),
    ),
    country: selected ?? "",
    cartCount: itemCount(cart),
    // The token's presence only: the account page checks it with the store.
    loggedIn: Boolean(await readToken(request)),
  };
}

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <header className="site-header">
          <Link to="/" className="brand">
            Storefront
          </Link>
          {data ? (
            <Form method="get" className="region-picker">
              <label>
                <span className="visually-hidden">Country</span>
                <select
                  name="country"
                  key={data.country}
                  defaultValue={data.country}
                  onChange={(e) => e.currentTarget.form?.requestSubmit()}
                  data-testid="country-select"
                >
                  {data.countries.map((c) => (
                    <option key={c.iso_2} value={c.iso_2}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <span className="currency">{data.region.currency_code.toUpperCase()}</span>
              <noscript>
                <button type="submit">Go</button>
              </noscript>
            </Form>
          ) : null}
          <Form method="get" action="/search" className="search" role="search">
            <input type="search" name="q" placeholder="Search products" aria-label="Search products" data-testid="search-input" />
          </Form>
          <Link to={data?.loggedIn ? "/account" : "/account/login"} data-testid="nav-account">
            {data?.loggedIn ? "Account" : "Log in"}
          </Link>
          <Link to="/cart" className="cart-link" data-testid="nav-cart">
            Cart ({data?.cartCount ?? 0})
          </Link>
        </header>
        <main>{children}</main>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  let title = "Something went wrong";
  let details = "An unexpected error occurred.";
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? "Not found" : `Error ${error.status}`;
    details = typeof error.data === "string" && error.data ? error.data : error.statusText || details;
  } else if (error instanceof Error) {
    details = error.message;
  }
  return (
    <section className="error" data-testid="error">
      <h1>{title}</h1>
      <p>{details}</p>
      <p>
        <Link to="/">Back to the store</Link>
      </p>
    </section>
  );
}
