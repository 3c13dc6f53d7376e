// Replays what real Medusa storefronts send (storefront-requests.txt, from STOREFRONTS.md)
// against a running store, in order, and checks each answer's status and the fields the
// storefront reads. scripts/test runs it with the other end-to-end tests; by hand, against
// the dev store (scripts/up): node --test tests/e2e/replay.test.mjs
import "./emulator.mjs";
import { baseUrl, publishableKey } from "./store.mjs";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The lines of the data file: {line, storefront, method, path, body, status, reads, keep}. */
export function parseRequests(text) {
  const requests = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const columns = line.split("|").map((c) => c.trim());
    if (columns.length < 5 || columns.length > 6) {
      throw new Error(`line ${index + 1}: expected 5 or 6 columns separated by "|", got ${columns.length}`);
    }
    const [storefront, request, body, status, reads, keep = ""] = columns;
    const space = request.indexOf(" ");
    const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
    requests.push({
      line: index + 1,
      storefront,
      method: request.slice(0, space),
      path: request.slice(space + 1),
      body: body || null,
      status,
      reads: list(reads),
      keep: list(keep),
    });
  });
  return requests;
}

/** Encodes a decoded query string as qs (which the js-sdk uses) does: every key and value. */
function encodeQuery(query) {
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return encodeURIComponent(pair);
      return `${encodeURIComponent(pair.slice(0, eq))}=${encodeURIComponent(pair.slice(eq + 1))}`;
    })
    .join("&");
}

function substitute(text, ids, where) {
  return text.replace(/<([a-z_]+)>/g, (_, name) => {
    if (!(name in ids)) throw new Error(`${where}: <${name}> is not known (known: ${Object.keys(ids).join(", ")})`);
    return ids[name];
  });
}

/** Values at a path like `a.b[].c` (`[]`: every element of a non-empty array). */
function valuesAt(value, path, where) {
  let current = [value];
  let walked = "";
  for (const part of path.split(".")) {
    const each = part.endsWith("[]");
    const key = each ? part.slice(0, -2) : part;
    walked = walked ? `${walked}.${key}` : key;
    current = current.flatMap((v) => {
      assert.ok(v !== null && typeof v === "object", `${where}: ${walked} is read inside ${JSON.stringify(v)}`);
      assert.ok(key in v, `${where}: the answer has no ${walked}`);
      const next = v[key];
      if (!each) return [next];
      assert.ok(Array.isArray(next) && next.length > 0, `${where}: ${walked} must be a non-empty array, is ${JSON.stringify(next)}`);
      return next;
    });
  }
  return current;
}

function checkRead(body, read, where) {
  const eq = read.indexOf("=");
  if (eq < 0) {
    valuesAt(body, read, where);
    return;
  }
  const path = read.slice(0, eq);
  const expected = JSON.parse(read.slice(eq + 1));
  for (const actual of valuesAt(body, path, where)) {
    assert.deepEqual(actual, expected, `${where}: ${path}`);
  }
}

const file = fileURLToPath(new URL("./storefront-requests.txt", import.meta.url));
const requests = parseRequests(readFileSync(file, "utf8"));
const ids = {};

async function call(method, path, body) {
  const headers = { "x-publishable-api-key": publishableKey };
  if (body !== undefined) headers["content-type"] = "application/json";
  const reply = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: ${reply.status} answer is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: reply.status, body: json };
}

before(async () => {
  assert.ok(publishableKey, "MEDUSA_PUBLISHABLE_KEY is not set (and no .env.storefront found)");
  // The seeded ids the lines refer to, found as a storefront finds them.
  const regions = await call("GET", "/store/regions");
  const region = regions.body.regions.find((r) => r.countries.some((c) => c.iso_2 === "dk")) ?? regions.body.regions[0];
  ids.reg_id = region.id;
  const fields = "id,handle,collection_id,*collection,*tags,*categories,variants.id,+variants.inventory_quantity,variants.manage_inventory";
  const products = await call("GET", `/store/products?limit=200&fields=${encodeURIComponent(fields)}`);
  assert.equal(products.status, 200, JSON.stringify(products.body));
  const inStock = (v) => !v.manage_inventory || v.inventory_quantity >= 10;
  const product = products.body.products.find(
    (p) => p.collection_id && p.tags.length && p.categories.length && p.variants.some(inStock),
  );
  assert.ok(product, "a seeded product with a collection, a tag, a category and stock");
  Object.assign(ids, {
    prod_id: product.id,
    handle: product.handle,
    pcol_id: product.collection_id,
    pcol_handle: product.collection.handle,
    ptag_id: product.tags[0].id,
    pcat_id: product.categories[0].id,
    pcat_handle: product.categories[0].handle,
    variant_id: product.variants.find(inStock).id,
  });
});

for (const r of requests) {
  test(`${r.storefront} ${r.method} ${r.path} (line ${r.line})`, async () => {
    const where = `line ${r.line}`;
    let path = substitute(r.path, ids, where);
    const q = path.indexOf("?");
    if (q >= 0) path = path.slice(0, q) + "?" + encodeQuery(path.slice(q + 1));
    const body = r.body === null ? (r.method === "POST" ? {} : undefined) : JSON.parse(substitute(r.body, ids, where));
    const reply = await call(r.method, path, body);
    const shown = JSON.stringify(reply.body).slice(0, 500);
    if (r.status === "4xx") {
      assert.ok(reply.status >= 400 && reply.status < 500, `${where}: expected a 4xx, got ${reply.status}: ${shown}`);
    } else {
      assert.equal(reply.status, Number(r.status), `${where}: ${shown}`);
    }
    if (reply.status >= 400) {
      assert.equal(typeof reply.body.message, "string", `${where}: errors carry a message`);
    }
    for (const read of r.reads) checkRead(reply.body, substitute(read, ids, where), where);
    for (const keep of r.keep) {
      const eq = keep.indexOf("=");
      const name = keep.slice(0, eq);
      const value = keep
        .slice(eq + 1)
        .split(".")
        .reduce((v, k) => (v == null ? undefined : v[k]), reply.body);
      assert.equal(typeof value, "string", `${where}: ${keep.slice(eq + 1)} is not in the answer`);
      ids[name] = value;
    }
  });
}
