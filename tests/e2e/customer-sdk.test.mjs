// End-to-end: a customer account with the real @medusajs/js-sdk, the way a storefront's
// account pages run it: register → create the customer → log in → profile → an address →
// a cart of theirs checked out → the order in `sdk.store.order.list()`; another customer
// does not see it, and logging out ends access.
//
// Run by scripts/test against `cargo lambda watch`, with MEDUSA_BACKEND_URL and
// MEDUSA_PUBLISHABLE_KEY set.
import "./emulator.mjs";
import { address, baseUrl, publishableKey } from "./store.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const shopper = () =>
  new Medusa({ baseUrl, publishableKey, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } });

async function registered(email, password) {
  const sdk = shopper();
  await sdk.auth.register("customer", "emailpass", { email, password });
  const { customer } = await sdk.store.customer.create({ email, first_name: "Ada", last_name: "Lovelace" });
  assert.ok(customer.id.startsWith("cus_"));
  const token = await sdk.auth.login("customer", "emailpass", { email, password });
  assert.equal(typeof token, "string");
  return sdk;
}

test("a customer registers, checks out and finds the order in their history", async () => {
  assert.ok(publishableKey, "MEDUSA_PUBLISHABLE_KEY is not set");
  const stamp = Date.now();
  const email = `ada.${stamp}@example.com`;
  const sdk = await registered(email, "correct horse battery");

  let { customer } = await sdk.store.customer.retrieve();
  assert.equal(customer.email, email);
  ({ customer } = await sdk.store.customer.update({ first_name: "Augusta" }));
  assert.equal(customer.first_name, "Augusta");
  ({ customer } = await sdk.store.customer.createAddress({ ...address, is_default_shipping: true }));
  assert.equal(customer.addresses.length, 1);
  assert.equal(customer.addresses[0].is_default_shipping, true);

  const { regions } = await sdk.store.region.list();
  const region = regions.find((r) => r.currency_code === "eur");
  const { products } = await sdk.store.product.list({
    region_id: region.id,
    fields: "*variants.calculated_price,+variants.inventory_quantity",
  });
  const variant = products.flatMap((p) => p.variants).find((v) => v.inventory_quantity >= 5 && !v.allow_backorder);
  assert.ok(variant, "a variant with stock");

  let { cart } = await sdk.store.cart.create({ region_id: region.id });
  assert.equal(cart.customer_id, customer.id, "a cart created while logged in is the customer's");
  assert.equal(cart.email, email);
  ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variant.id, quantity: 1 }));
  ({ cart } = await sdk.store.cart.update(cart.id, { shipping_address: address }));
  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
  ({ cart } = await sdk.store.cart.addShippingMethod(cart.id, { option_id: shipping_options[0].id }));
  await sdk.store.payment.initiatePaymentSession(cart, { provider_id: "pp_system_default" });
  const completion = await sdk.store.cart.complete(cart.id);
  assert.equal(completion.type, "order", JSON.stringify(completion.error ?? {}));

  const { orders, count } = await sdk.store.order.list({ limit: 10, offset: 0, order: "-created_at" });
  assert.equal(count, 1);
  assert.equal(orders[0].id, completion.order.id);
  assert.equal(orders[0].customer_id, customer.id);

  const other = await registered(`grace.${stamp}@example.com`, "another horse battery");
  const theirs = await other.store.order.list();
  assert.equal(theirs.count, 0, "another customer sees none of it");

  await sdk.auth.logout();
  await assert.rejects(sdk.store.order.list(), (err) => err.status === 401);
  await assert.rejects(
    shopper().auth.login("customer", "emailpass", { email, password: "wrong password" }),
    (err) => err.status === 401,
  );
});
