// End-to-end against a real Strapi 5 (scripts/test --cms): the product sync writes drafts.
// A product made through the Admin API reaches Strapi as a draft product-content entry
// (nothing published, so the storefront's content proxy still has no entry for it); an
// editor's unpublished draft stays unpublished when the commerce title changes, and keeps
// the editor's text; deleting the product removes the entry. The sync runs in the events
// function, fed from the outbox through SQS (moto) by the events poller.
//
// Needs CMS_URL and CMS_WRITE_TOKEN (Strapi and a full-access token), MEDUSA_ADMIN_EMAIL
// and MEDUSA_ADMIN_PASSWORD; skipped without CMS_URL.
import "./emulator.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { baseUrl, publishableKey } from "./store.mjs";

const cmsUrl = process.env.CMS_URL;
const cmsToken = process.env.CMS_WRITE_TOKEN;
const runId = Date.now().toString(36);
// The outbox sweep, SQS and the consumer take a second or two; this is the ceiling.
const SYNC_TIMEOUT_MS = 30_000;

async function store(method, path, token, body) {
  const answer = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(publishableKey ? { "x-publishable-api-key": publishableKey } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : null };
}

/** Strapi's product-content entries for a commerce id: `status` "draft" or "published". */
async function strapiEntries(productId, status) {
  const query = new URLSearchParams({ "filters[commerce_id][$eq]": productId, status });
  const answer = await fetch(`${cmsUrl}/api/product-contents?${query}`, {
    headers: { authorization: `Bearer ${cmsToken}` },
  });
  assert.equal(answer.status, 200, await answer.clone().text());
  return (await answer.json()).data;
}

/** Polls until `check()` returns something truthy; fails with `what` after the ceiling. */
async function eventually(what, check) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() - start < SYNC_TIMEOUT_MS, `${what} did not happen within ${SYNC_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("the product sync writes drafts to Strapi and never publishes an editor's draft", { skip: !cmsUrl && "no CMS_URL" }, async () => {
  assert.ok(cmsToken, "CMS_WRITE_TOKEN is set");
  const login = await store("POST", "/auth/user/emailpass", undefined, {
    email: process.env.MEDUSA_ADMIN_EMAIL,
    password: process.env.MEDUSA_ADMIN_PASSWORD,
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const admin = login.body.token;

  const handle = `sync-check-${runId}`;
  const created = await store("POST", "/admin/products", admin, { title: `Sync check ${runId}`, handle, status: "published" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const productId = created.body.product.id;

  const draft = await eventually("the draft entry", async () => (await strapiEntries(productId, "draft"))[0]);
  assert.equal(draft.handle, handle);
  assert.equal(draft.commerce_title, `Sync check ${runId}`);
  assert.deepEqual(await strapiEntries(productId, "published"), [], "the sync published the new entry");
  const proxied = await store("GET", `/content/products/${handle}`);
  assert.equal(proxied.status, 200, JSON.stringify(proxied.body));
  assert.equal(proxied.body.content, null, "the storefront sees an unpublished entry");

  // An editor works on the draft without publishing it.
  const wip = "EDITOR WIP - NOT FOR PUBLICATION";
  const edit = await fetch(`${cmsUrl}/api/product-contents/${draft.documentId}?status=draft`, {
    method: "PUT",
    headers: { authorization: `Bearer ${cmsToken}`, "content-type": "application/json" },
    body: JSON.stringify({ data: { editorial_title: wip } }),
  });
  assert.equal(edit.status, 200, await edit.text());

  // The shop renames the product: the draft gets the new commerce title and keeps the
  // editor's text; still nothing is published.
  const renamed = await store("POST", `/admin/products/${productId}`, admin, { title: `Renamed ${runId}` });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  const updated = await eventually("the renamed draft", async () => {
    const [entry] = await strapiEntries(productId, "draft");
    return entry?.commerce_title === `Renamed ${runId}` ? entry : undefined;
  });
  assert.equal(updated.editorial_title, wip);
  assert.deepEqual(await strapiEntries(productId, "published"), [], "the rename published the editor's draft");
  const after = await store("GET", `/content/products/${handle}`);
  assert.equal(after.body.content, null, "the editor's draft reached the storefront");

  // Deleting the product removes its entry.
  const deleted = await store("DELETE", `/admin/products/${productId}`, admin);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  await eventually("the entry's removal", async () => (await strapiEntries(productId, "draft")).length === 0);
});
