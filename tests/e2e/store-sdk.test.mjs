// End-to-end: the real @medusajs/js-sdk against a running store.
//
// scripts/test runs this against `cargo lambda watch` on 127.0.0.1:9300 with
// MEDUSA_BACKEND_URL and MEDUSA_PUBLISHABLE_KEY set. To run it by hand against
// the dev store (scripts/up), from the repository root:
//   node --test tests/e2e/*.test.mjs
// (without the variables, .env.storefront written by scripts/up is read).
import "./emulator.mjs";
import { baseUrl, publishableKey } from "./store.mjs";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import Medusa, { FetchError } from "@medusajs/js-sdk";

// A storefront origin that scripts/up and scripts/test put in STORE_CORS.
const BROWSER_ORIGIN = "http://localhost:8000";

const sdk = new Medusa({ baseUrl, publishableKey });

let region;

before(() => {
  assert.ok(publishableKey, "MEDUSA_PUBLISHABLE_KEY is not set (and no .env.storefront found)");
  assert.match(publishableKey, /^pk_/, "publishable keys start with pk_");
});

test("store.region.list returns regions with id, currency and countries", async () => {
  const { regions, count } = await sdk.store.region.list();
  assert.ok(Array.isArray(regions), "regions is an array");
  assert.ok(regions.length >= 1, `expected at least one region, got ${regions.length}`);
  assert.equal(typeof count, "number", "count is a number");
  assert.ok(count >= regions.length, `count ${count} < ${regions.length} regions returned`);
  for (const r of regions) {
    assert.equal(typeof r.id, "string", `region id: ${JSON.stringify(r.id)}`);
    assert.ok(r.id.length > 0, "region id is not empty");
    assert.match(r.currency_code, /^[a-z]{3}$/, `region ${r.id} currency_code ${r.currency_code}`);
    assert.ok(Array.isArray(r.countries), `region ${r.id} countries is an array`);
    assert.ok(r.countries.length >= 1, `region ${r.id} has no countries`);
    for (const c of r.countries) {
      assert.match(c.iso_2, /^[a-z]{2}$/, `region ${r.id} country iso_2 ${c.iso_2}`);
    }
  }
  region = regions[0];
});

async function firstRegion() {
  if (!region) {
    const { regions } = await sdk.store.region.list();
    assert.ok(regions.length >= 1, "no region to price products in");
    region = regions[0];
  }
  return region;
}

test("store.product.list prices 20 products in the region's currency", async () => {
  const r = await firstRegion();
  const { products, count, limit, offset } = await sdk.store.product.list({
    region_id: r.id,
    limit: 20,
    fields: "*variants.calculated_price,+variants.inventory_quantity",
  });
  assert.equal(products.length, 20, "a page of 20 products");
  assert.ok(count >= 200, `the demo catalog has at least 200 products, count is ${count}`);
  assert.equal(limit, 20, "limit echoes the request");
  assert.equal(offset, 0, "offset defaults to 0");
  const ids = new Set(products.map((p) => p.id));
  assert.equal(ids.size, products.length, "product ids on one page are distinct");
  for (const p of products) {
    assert.equal(typeof p.id, "string", "product id");
    assert.equal(typeof p.title, "string", `product ${p.id} title`);
    assert.equal(typeof p.handle, "string", `product ${p.id} handle`);
    assert.ok(Array.isArray(p.variants) && p.variants.length >= 1, `product ${p.id} has variants`);
    for (const v of p.variants) {
      const price = v.calculated_price;
      assert.ok(price && typeof price === "object", `variant ${v.id} of ${p.id} has calculated_price`);
      assert.equal(typeof price.calculated_amount, "number", `variant ${v.id} calculated_amount is a number`);
      assert.ok(price.calculated_amount > 0, `variant ${v.id} calculated_amount ${price.calculated_amount} > 0`);
      assert.equal(price.currency_code, r.currency_code, `variant ${v.id} priced in the region's currency`);
    }
  }
});

test("store.product.list pages do not overlap", async () => {
  const r = await firstRegion();
  const first = await sdk.store.product.list({ region_id: r.id, limit: 5, offset: 0 });
  const second = await sdk.store.product.list({ region_id: r.id, limit: 5, offset: 5 });
  assert.equal(first.products.length, 5);
  assert.equal(second.products.length, 5);
  const firstIds = new Set(first.products.map((p) => p.id));
  for (const p of second.products) {
    assert.ok(!firstIds.has(p.id), `product ${p.id} appears on two pages`);
  }
});

test("store.product.retrieve returns the product asked for", async () => {
  const r = await firstRegion();
  const { products } = await sdk.store.product.list({ region_id: r.id, limit: 3, offset: 7 });
  assert.ok(products.length >= 1, "a product to retrieve");
  const wanted = products[products.length - 1];
  const { product } = await sdk.store.product.retrieve(wanted.id, { region_id: r.id });
  assert.equal(product.id, wanted.id);
  assert.equal(product.handle, wanted.handle);
  assert.equal(product.title, wanted.title);
});

test("store.product.list filters by handle", async () => {
  const r = await firstRegion();
  const { products: page } = await sdk.store.product.list({ region_id: r.id, limit: 2, offset: 11 });
  const wanted = page[page.length - 1];
  assert.ok(wanted && wanted.handle, "a product with a handle");
  const { products, count } = await sdk.store.product.list({ handle: wanted.handle, region_id: r.id });
  assert.equal(products.length, 1, `exactly one product with handle ${wanted.handle}`);
  assert.equal(count, 1, "count matches the filter");
  assert.equal(products[0].handle, wanted.handle);
  assert.equal(products[0].id, wanted.id);
});

test("store.category.list returns categories with id, name and handle", async () => {
  const { product_categories: categories } = await sdk.store.category.list();
  assert.ok(Array.isArray(categories), "product_categories is an array");
  assert.ok(categories.length >= 1, "at least one category");
  for (const c of categories) {
    assert.equal(typeof c.id, "string", "category id");
    assert.ok(c.id.length > 0, "category id is not empty");
    assert.equal(typeof c.name, "string", `category ${c.id} name`);
    assert.ok(c.name.length > 0, `category ${c.id} name is not empty`);
    assert.equal(typeof c.handle, "string", `category ${c.id} handle`);
    assert.ok(c.handle.length > 0, `category ${c.id} handle is not empty`);
  }
});

test("a wrong publishable key is rejected with a message", async () => {
  const wrong = new Medusa({ baseUrl, publishableKey: "pk_this_key_does_not_exist" });
  await assert.rejects(
    () => wrong.store.region.list(),
    (err) => {
      assert.ok(err instanceof FetchError, `a FetchError, got ${err && err.constructor && err.constructor.name}: ${err}`);
      assert.ok(err.status >= 400 && err.status < 500, `a 4xx status, got ${err.status}`);
      assert.equal(typeof err.message, "string");
      assert.ok(err.message.trim().length > 0, "the error has a message");
      return true;
    },
  );
});

test("a request without a publishable key is rejected", async () => {
  const keyless = new Medusa({ baseUrl });
  await assert.rejects(
    () => keyless.store.product.list({ limit: 1 }),
    (err) => {
      assert.ok(err instanceof FetchError, `a FetchError, got ${err}`);
      assert.ok(err.status >= 400 && err.status < 500, `a 4xx status, got ${err.status}`);
      assert.ok(err.message.trim().length > 0, "the error has a message");
      return true;
    },
  );
});

test("CORS preflight from a storefront origin is allowed", async () => {
  const res = await fetch(`${baseUrl}/store/products`, {
    method: "OPTIONS",
    headers: {
      Origin: BROWSER_ORIGIN,
      "Access-Control-Request-Method": "GET",
    },
  });
  assert.ok(res.status >= 200 && res.status < 300, `preflight status ${res.status}`);
  assert.equal(res.headers.get("access-control-allow-origin"), BROWSER_ORIGIN);
});

test("CORS preflight allows the headers the SDK sends from a browser", async () => {
  // In a browser, @medusajs/js-sdk sends content-type: application/json,
  // x-publishable-api-key and x-medusa-locale (empty by default), so the
  // preflight lists them.
  const requested = ["content-type", "x-medusa-locale", "x-publishable-api-key"];
  const res = await fetch(`${baseUrl}/store/products`, {
    method: "OPTIONS",
    headers: {
      Origin: BROWSER_ORIGIN,
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": requested.join(","),
    },
  });
  assert.ok(res.status >= 200 && res.status < 300, `preflight status ${res.status}`);
  assert.equal(res.headers.get("access-control-allow-origin"), BROWSER_ORIGIN);
  const allowed = (res.headers.get("access-control-allow-headers") || "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  if (!allowed.includes("*")) {
    for (const h of requested) {
      assert.ok(allowed.includes(h), `access-control-allow-headers (${allowed.join(", ")}) lacks ${h}`);
    }
  }
});

test("a simple GET from a storefront origin carries the CORS header", async () => {
  const res = await fetch(`${baseUrl}/store/regions`, {
    headers: { Origin: BROWSER_ORIGIN, "x-publishable-api-key": publishableKey },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), BROWSER_ORIGIN);
  await res.body?.cancel();
});
