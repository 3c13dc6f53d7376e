import { data, Form, Link, redirect } from "react-router";
import type { Route } from "./+types/account";
import { errorMessage, errorStatus, sdk } from "~/lib/backend.server";
import { authHeaders, clearToken, requireCustomer } from "~/lib/customer.server";
import { formatMoney } from "~/lib/money";
import { listRegions } from "~/lib/region.server";
import { Field } from "~/lib/form";
import { CountrySelect, TableHead } from "~/lib/summary";

const ADDRESS_FIELDS = ["first_name", "last_name", "address_1", "postal_code", "city", "country_code", "phone"] as const;
const ORDERS_SHOWN = 20;

export function meta() {
  return [{ title: "Your account · Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const { token, customer } = await requireCustomer(request);
  const headers = authHeaders(token);
  const [{ addresses }, { orders, count }, regions] = await Promise.all([
    sdk.store.customer.listAddress({ limit: 50 }, headers),
    sdk.store.order.list({ limit: ORDERS_SHOWN, order: "-created_at", fields: "id,display_id,created_at,total,currency_code,status,*items" }, headers),
    listRegions(),
  ]);
  return {
    customer: {
      email: customer.email,
      first_name: customer.first_name ?? "",
      last_name: customer.last_name ?? "",
      phone: customer.phone ?? "",
    },
    addresses: addresses.map((a) => ({
      id: a.id,
      lines: [
        `${a.first_name ?? ""} ${a.last_name ?? ""}`.trim(),
        a.address_1,
        `${a.postal_code ?? ""} ${a.city ?? ""}`.trim(),
        a.country_code?.toUpperCase(),
      ].filter(Boolean),
      is_default_shipping: a.is_default_shipping,
    })),
    orders: orders.map((o) => ({
      id: o.id,
      display_id: o.display_id,
      created_at: o.created_at,
      total: o.total,
      currency_code: o.currency_code,
      items: (o.items ?? []).reduce((n, i) => n + i.quantity, 0),
    })),
    orderCount: count,
    countries: regions.flatMap((r) => (r.countries ?? []).map((c) => ({ iso_2: c.iso_2!, name: c.display_name ?? c.iso_2! }))),
  };
}

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  if (intent === "logout") {
    return redirect("/", { headers: { "Set-Cookie": await clearToken(request) } });
  }
  const { token } = await requireCustomer(request);
  const headers = authHeaders(token);
  const field = (name: string) => String(form.get(name) ?? "").trim();
  try {
    if (intent === "profile") {
      await sdk.store.customer.update(
        { first_name: field("first_name"), last_name: field("last_name"), phone: field("phone") || undefined },
        {},
        headers,
      );
      return { ok: "Profile saved.", intent };
    }
    if (intent === "add-address") {
      const address = Object.fromEntries(ADDRESS_FIELDS.map((name) => [name, field(name) || undefined]));
      await sdk.store.customer.createAddress({ ...address, is_default_shipping: form.get("is_default_shipping") === "on" }, {}, headers);
      return { ok: "Address added.", intent };
    }
    if (intent === "delete-address") {
      await sdk.store.customer.deleteAddress(field("address_id"), headers);
      return { ok: "Address removed.", intent };
    }
    return data({ error: "Unknown action.", intent }, { status: 400 });
  } catch (error) {
    const status = errorStatus(error);
    return data({ error: errorMessage(error), intent }, { status: status && status < 500 ? status : 502 });
  }
}

export default function Account({ loaderData, actionData }: Route.ComponentProps) {
  const { customer, addresses, orders, orderCount, countries } = loaderData;
  const note = (intent: string) =>
    actionData?.intent === intent ? (
      "error" in actionData ? (
        <p className="error-message" role="alert" data-testid="account-error">
          {actionData.error}
        </p>
      ) : (
        <p className="muted" data-testid="account-saved">
          {actionData.ok}
        </p>
      )
    ) : null;
  return (
    <section className="account">
      <h1 data-testid="account-title">Hello, {customer.first_name || customer.email}</h1>
      <Form method="post">
        <button type="submit" name="intent" value="logout" className="link" data-testid="logout">
          Log out
        </button>
      </Form>

      <h2>Your orders</h2>
      {orders.length === 0 ? (
        <p data-testid="orders-empty">No orders yet.</p>
      ) : (
        <table data-testid="order-history">
          <TableHead titles={["Order", "Date", "Items", "Total"]} />
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-testid="order-history-row" data-order-id={o.id}>
                <td>
                  <Link to={`/order/${o.id}`}>#{o.display_id}</Link>
                </td>
                <td>{new Date(o.created_at as string).toLocaleDateString("en")}</td>
                <td>{o.items}</td>
                <td>{formatMoney(o.total, o.currency_code)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {orderCount > orders.length ? <p className="muted">The latest {orders.length} of {orderCount} orders.</p> : null}

      <h2>Profile</h2>
      <Form method="post" className="account-form" data-testid="profile-form">
        <input type="hidden" name="intent" value="profile" />
        <p className="muted">{customer.email}</p>
        <Field label="First name" name="first_name" defaultValue={customer.first_name} data-testid="profile-first-name" />
        <Field label="Last name" name="last_name" defaultValue={customer.last_name} data-testid="profile-last-name" />
        <Field label="Phone" name="phone" defaultValue={customer.phone} data-testid="profile-phone" />
        {note("profile")}
        <button type="submit" data-testid="profile-save">
          Save
        </button>
      </Form>

      <h2>Addresses</h2>
      <ul data-testid="address-list">
        {addresses.map((a) => (
          <li key={a.id} data-testid="address">
            {a.lines.join(", ")}
            {a.is_default_shipping ? <span className="muted"> (default)</span> : null}
            <Form method="post" className="inline">
              <input type="hidden" name="address_id" value={a.id} />
              <button type="submit" name="intent" value="delete-address" className="link">
                Remove
              </button>
            </Form>
          </li>
        ))}
      </ul>
      {note("delete-address")}
      <Form method="post" className="account-form" data-testid="address-form">
        <input type="hidden" name="intent" value="add-address" />
        <Field label="First name" name="first_name" defaultValue={customer.first_name} required />
        <Field label="Last name" name="last_name" defaultValue={customer.last_name} required />
        <Field label="Address" name="address_1" required data-testid="address-address-1" />
        <Field label="Postal code" name="postal_code" required data-testid="address-postal-code" />
        <Field label="City" name="city" required data-testid="address-city" />
        <CountrySelect countries={countries} testId="address-country" />
        <Field label="Phone" name="phone" defaultValue={customer.phone} />
        <label className="checkbox">
          <input type="checkbox" name="is_default_shipping" defaultChecked={addresses.length === 0} /> Default shipping address
        </label>
        {note("add-address")}
        <button type="submit" data-testid="address-add">
          Add address
        </button>
      </Form>
    </section>
  );
}
