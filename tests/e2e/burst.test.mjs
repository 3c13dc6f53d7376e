// End-to-end: the local server survives a burst. 500 concurrent GET /store/products at
// one function (what a storefront's production build does when it prerenders its pages)
// must all be answered with 200, and the store must then still take a whole guest
// checkout. Before the front door (tools/front-door), `cargo lambda watch` 1.9.2 stopped
// answering every function for good from about 100 queued requests on.
//
// Prints the figure: requests, answers by status, p50 / p99 / max and the wall time.
import "./emulator.mjs";
import { baseUrl, publishableKey } from "./store.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const BURST = Number(process.env.BURST_REQUESTS || 500);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

test(`${BURST} concurrent requests to one function are all answered, then a checkout completes`, async () => {
  assert.ok(publishableKey, "MEDUSA_PUBLISHABLE_KEY is not set");
  const headers = { "x-publishable-api-key": publishableKey };
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const t0 = performance.now();
      try {
        const res = await fetch(`${baseUrl}/store/products?limit=2&offset=${i % 10}`, {
          headers,
          signal: AbortSignal.timeout(Number(process.env.BURST_TIMEOUT_MS || 120_000)),
        });
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - t0 };
      } catch (e) {
        return { status: `${e.name}`, ms: performance.now() - t0 };
      }
    }),
  );
  const wall = performance.now() - started;
  const byStatus = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  console.log(
    `burst: ${BURST} concurrent GET /store/products, answers ${JSON.stringify(byStatus)}, ` +
      `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, ` +
      `max ${ms[ms.length - 1].toFixed(0)} ms, all in ${wall.toFixed(0)} ms`,
  );
  assert.deepEqual(byStatus, { 200: BURST }, "every request of the burst answered 200");

  // The store still serves every step of a checkout afterwards.
  const sdk = new Medusa({ baseUrl, publishableKey });
  const { regions } = await sdk.store.region.list();
  const region = regions.find((r) => r.currency_code === "eur");
  const { products } = await sdk.store.product.list({
    region_id: region.id,
    fields: "+variants.inventory_quantity",
    limit: 20,
  });
  const variant = products.flatMap((p) => p.variants).find((v) => v.inventory_quantity >= 1 && !v.allow_backorder);
  assert.ok(variant, "a variant with stock");
  let { cart } = await sdk.store.cart.create({ region_id: region.id });
  ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variant.id, quantity: 1 }));
  const address = { first_name: "B", last_name: "Urst", address_1: "Main Street 1", city: "Copenhagen", country_code: "dk", postal_code: "2200" };
  ({ cart } = await sdk.store.cart.update(cart.id, { email: "burst@example.com", shipping_address: address, billing_address: address }));
  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
  ({ cart } = await sdk.store.cart.addShippingMethod(cart.id, { option_id: shipping_options[0].id }));
  await sdk.store.payment.initiatePaymentSession(cart, { provider_id: "pp_system_default" });
  const completed = await sdk.store.cart.complete(cart.id);
  assert.equal(completed.type, "order", JSON.stringify(completed));
  assert.equal(completed.order.items.length, 1);
});
