import { data, Link } from "react-router";
import type { Route } from "./+types/order";
import { errorStatus, sdk } from "~/lib/backend.server";
import { LineList, summaryLine, Totals } from "~/lib/summary";

// What the confirmation page reads (as Medusa's Next.js starter asks for it).
const ORDER_FIELDS = "*payment_collections.payments,*items,*items.metadata,*items.variant,*items.product";

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `Order #${loaderData.order.display_id} · Storefront` : "Order · Storefront" }];
}

export async function loader({ params }: Route.LoaderArgs) {
  if (!params.id.startsWith("order_")) throw data("No such order", { status: 404 });
  try {
    // No auth: a guest's order id is the secret that shows it (as in Medusa).
    const { order } = await sdk.store.order.retrieve(params.id, { fields: ORDER_FIELDS });
    const address = order.shipping_address;
    return {
      order: {
        id: order.id,
        display_id: order.display_id,
        email: order.email,
        currency_code: order.currency_code,
        items: (order.items ?? []).map(summaryLine),
        shipping_methods: (order.shipping_methods ?? []).map((m) => ({ id: m.id, name: m.name, total: m.total })),
        address: address
          ? [
              `${address.first_name ?? ""} ${address.last_name ?? ""}`.trim(),
              address.address_1,
              `${address.postal_code ?? ""} ${address.city ?? ""}`.trim(),
              address.country_code?.toUpperCase(),
            ].filter(Boolean)
          : [],
        item_subtotal: order.item_subtotal,
        shipping_subtotal: order.shipping_subtotal,
        tax_total: order.tax_total,
        discount_total: order.discount_total,
        total: order.total,
      },
    };
  } catch (error) {
    if (errorStatus(error) === 404) throw data("No such order", { status: 404 });
    throw error;
  }
}

export default function OrderPage({ loaderData }: Route.ComponentProps) {
  const { order } = loaderData;
  return (
    <section className="order">
      <h1>Thank you!</h1>
      <p>
        Your order number is{" "}
        <strong data-testid="order-number" data-order-id={order.id}>
          {`#${order.display_id}`}
        </strong>
        . A confirmation goes to {order.email}.
      </p>
      <LineList items={order.items} currency={order.currency_code} testId="order-line" />
      <Totals
        totals={order}
        shippingLabel={`Shipping${order.shipping_methods[0] ? ` (${order.shipping_methods[0].name})` : ""}, excl. tax`}
        testId="order"
      />
      {order.address.length ? (
        <p>
          Ships to: <span data-testid="order-address">{order.address.join(", ")}</span>
        </p>
      ) : null}
      <p>
        <Link to="/">Continue shopping</Link>
      </p>
    </section>
  );
}
