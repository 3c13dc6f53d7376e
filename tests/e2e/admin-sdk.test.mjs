// End-to-end: the admin API with the real @medusajs/js-sdk through `cargo lambda watch`:
// login with email and password for a JWT, authenticated admin requests, and the 401
// that every bad credential gets.
//
// Run by scripts/test with MEDUSA_BACKEND_URL, MEDUSA_ADMIN_EMAIL and
// MEDUSA_ADMIN_PASSWORD (the demo admin `storectl seed` creates).
import "./emulator.mjs";
import { baseUrl } from "./store.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const email = process.env.MEDUSA_ADMIN_EMAIL;
const password = process.env.MEDUSA_ADMIN_PASSWORD;
const admin = () => new Medusa({ baseUrl, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } });

test("an admin logs in with the SDK and reads products and orders", async () => {
  assert.ok(email && password, "MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD are set");
  const sdk = admin();
  const token = await sdk.auth.login("user", "emailpass", { email, password });
  assert.equal(typeof token, "string");
  assert.equal(token.split(".").length, 3, "a JWT");

  const { products, count } = await sdk.admin.product.list({ limit: 2 });
  assert.equal(products.length, 2);
  assert.ok(count >= 2);
  assert.ok(products[0].id.startsWith("prod_"));

  const orders = await sdk.admin.order.list({ limit: 5 });
  assert.ok(Array.isArray(orders.orders));
  assert.equal(typeof orders.count, "number");
});

test("a wrong password and a missing token are both a plain 401", async () => {
  const sdk = admin();
  await assert.rejects(
    sdk.auth.login("user", "emailpass", { email: email || "admin@example.com", password: "wrong password!" }),
    (err) => err.status === 401,
  );
  await assert.rejects(admin().admin.order.list(), (err) => err.status === 401);
});
