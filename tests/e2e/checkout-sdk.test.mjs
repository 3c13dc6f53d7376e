// End-to-end: the whole guest checkout with the real @medusajs/js-sdk, the way a
// storefront runs it: regions → products → cart → two lines → update a line → email
// and addresses → promotion → shipping options → shipping method → payment session
// with pp_system_default → complete → retrieve the order.
//
// Run by scripts/test against `cargo lambda watch`, with MEDUSA_BACKEND_URL and
// MEDUSA_PUBLISHABLE_KEY set (see store-sdk.test.mjs for running it by hand).
import "./emulator.mjs";
import { address, baseUrl, publishableKey } from "./store.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const sdk = new Medusa({ baseUrl, publishableKey });

const cents = (amount) => Math.round(amount * 100);

test("a guest buys two products and the order keeps the cart's totals", async () => {
  assert.ok(publishableKey, "MEDUSA_PUBLISHABLE_KEY is not set");
  const { regions } = await sdk.store.region.list();
  const region = regions.find((r) => r.currency_code === "eur");
  assert.ok(region, "a EUR region exists");

  const { products } = await sdk.store.product.list({
    region_id: region.id,
    limit: 20,
    fields: "*variants.calculated_price,+variants.inventory_quantity",
  });
  const variants = products
    .flatMap((p) => p.variants)
    .filter((v) => v.inventory_quantity >= 5 && !v.allow_backorder);
  assert.ok(variants.length >= 2, "two variants with stock");

  let { cart } = await sdk.store.cart.create({ region_id: region.id });
  assert.equal(cart.currency_code, "eur");
  assert.equal(cart.region_id, region.id);

  ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variants[0].id, quantity: 1 }));
  ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variants[1].id, quantity: 1 }));
  assert.equal(cart.items.length, 2);
  const line = cart.items.find((i) => i.variant_id === variants[1].id);
  ({ cart } = await sdk.store.cart.updateLineItem(cart.id, line.id, { quantity: 2 }));
  assert.equal(cart.items.find((i) => i.id === line.id).quantity, 2);
  const expectedItems =
    cents(variants[0].calculated_price.calculated_amount) + 2 * cents(variants[1].calculated_price.calculated_amount);
  assert.equal(cents(cart.original_item_total), expectedItems, "items priced as the catalog shows them");

  ({ cart } = await sdk.store.cart.update(cart.id, {
    email: "ada@example.com",
    shipping_address: address,
    billing_address: address,
  }));
  assert.equal(cart.email, "ada@example.com");
  assert.equal(cart.shipping_address.country_code, "dk");

  ({ cart } = await sdk.store.cart.addPromotions(cart.id, { promo_codes: ["WELCOME10"] }));
  assert.deepEqual(
    cart.promotions.map((p) => p.code),
    ["WELCOME10"],
  );
  assert.ok(cart.discount_total > 0, `discount_total ${cart.discount_total}`);

  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
  assert.ok(shipping_options.length >= 1, "shipping options for the cart's region");
  const express = shipping_options.find((o) => o.name === "Express Shipping") ?? shipping_options[0];
  ({ cart } = await sdk.store.cart.addShippingMethod(cart.id, { option_id: express.id }));
  assert.equal(cart.shipping_methods.length, 1);
  assert.equal(cents(cart.total), cents(cart.item_total) + cents(cart.shipping_total), "total = items + shipping");

  const { payment_collection } = await sdk.store.payment.initiatePaymentSession(cart, {
    provider_id: "pp_system_default",
  });
  assert.equal(payment_collection.payment_sessions.length, 1);
  assert.equal(cents(payment_collection.amount), cents(cart.total));

  const completion = await sdk.store.cart.complete(cart.id);
  assert.equal(completion.type, "order", JSON.stringify(completion.error ?? {}));
  const placed = completion.order;
  for (const name of ["total", "subtotal", "tax_total", "discount_total", "shipping_total", "item_total"]) {
    assert.equal(cents(placed[name]), cents(cart[name]), `order ${name} equals the cart's`);
  }

  const { order } = await sdk.store.order.retrieve(placed.id);
  assert.equal(order.id, placed.id);
  assert.equal(order.email, "ada@example.com");
  assert.equal(order.items.length, 2);
  assert.equal(cents(order.total), cents(cart.total));

  const again = await sdk.store.cart.complete(cart.id);
  assert.equal(again.order.id, placed.id, "completing again returns the same order");
});
