'use strict';

// Everything the store needs from this Strapi is made here at start-up, so that
// `scripts/up --with-cms` needs no clicks in the admin panel:
//   - the first admin (CMS_ADMIN_EMAIL / CMS_ADMIN_PASSWORD), when there is none;
//   - two API tokens, written to CMS_TOKENS_FILE as STRAPI_TOKEN (read-only, for the content
//     proxy) and STRAPI_SYNC_TOKEN (full access, for the product sync). Strapi keeps only
//     their hashes, so when the file is missing they are regenerated;
//   - the webhook to the content proxy (PROXY_WEBHOOK_URL, with the secret header
//     x-webhook-secret: PROXY_WEBHOOK_SECRET). In production mode Strapi's admin API refuses
//     a webhook URL on a local address ("isn't reachable over the public internet"), so it
//     is upserted through the same webhook store the admin controller uses;
//   - demo content for the demo catalog (../seed/demo-catalog.json), once, into an empty CMS.

const fs = require('fs');
const path = require('path');

const WEBHOOK_NAME = 'store-content-proxy';
const WEBHOOK_EVENTS = [
  'entry.create',
  'entry.update',
  'entry.delete',
  'entry.publish',
  'entry.unpublish',
  'entry.draft-discard',
];
const TOKENS = [
  { env: 'STRAPI_TOKEN', name: 'store-content-proxy', type: 'read-only' },
  { env: 'STRAPI_SYNC_TOKEN', name: 'store-product-sync', type: 'full-access' },
];

async function ensureAdmin(strapi) {
  const email = process.env.CMS_ADMIN_EMAIL;
  const password = process.env.CMS_ADMIN_PASSWORD;
  if (!email || !password) return;
  if (await strapi.service('admin::user').exists()) return;
  const superAdmin = await strapi.service('admin::role').getSuperAdmin();
  await strapi.service('admin::user').create({
    email,
    password,
    firstname: 'Shop',
    lastname: 'Editor',
    isActive: true,
    registrationToken: null,
    roles: superAdmin ? [superAdmin.id] : [],
  });
  strapi.log.info(`[store] first admin ${email} created`);
}

async function ensureTokens(strapi) {
  const file = process.env.CMS_TOKENS_FILE;
  if (!file) return;
  const service = strapi.service('admin::api-token-content-api');
  const written = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = [];
  for (const token of TOKENS) {
    const existing = await service.getByName(token.name);
    const known = written.split('\n').find((line) => line.startsWith(`${token.env}=`));
    if (existing && known) {
      lines.push(known);
      continue;
    }
    const made = existing
      ? await service.regenerate(existing.id)
      : await service.create({ name: token.name, type: token.type, lifespan: null, description: 'made by the store at start-up' });
    lines.push(`${token.env}=${made.accessKey}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  strapi.log.info(`[store] API tokens in ${file}`);
}

async function ensureWebhook(strapi) {
  const url = process.env.PROXY_WEBHOOK_URL;
  if (!url) return;
  const want = {
    name: WEBHOOK_NAME,
    url,
    headers: { 'x-webhook-secret': process.env.PROXY_WEBHOOK_SECRET || '' },
    events: WEBHOOK_EVENTS,
    isEnabled: true,
  };
  const store = strapi.get('webhookStore');
  const runner = strapi.get('webhookRunner');
  const existing = (await store.findWebhooks()).find((w) => w.name === WEBHOOK_NAME);
  if (existing) runner.update(await store.updateWebhook(existing.id, want));
  else runner.add(await store.createWebhook(want));
  strapi.log.info(`[store] webhook ${WEBHOOK_NAME} -> ${url}`);
}

const paragraphs = (...texts) => texts.map((text) => ({ type: 'paragraph', children: [{ type: 'text', text }] }));

async function published(strapi, uid, data) {
  return strapi.documents(uid).create({ data, status: 'published' });
}

async function seedDemoContent(strapi) {
  if ((await strapi.documents('api::banner.banner').count({})) > 0) return;
  const catalogFile = path.join(process.cwd(), '..', 'seed', 'demo-catalog.json');
  const products = fs.existsSync(catalogFile) ? JSON.parse(fs.readFileSync(catalogFile, 'utf8')).products : [];

  const hero = await published(strapi, 'api::banner.banner', {
    title: 'New season, new basics',
    image_url: products[0]?.images?.[0] ?? null,
    link: '/categories/t-shirts',
    placement: 'hero',
  });
  await published(strapi, 'api::banner.banner', {
    title: 'Free shipping on orders over 50 EUR',
    link: '/pages/shipping-and-returns',
    placement: 'inline',
  });
  const pages = [];
  for (const [title, slug, text] of [
    ['About us', 'about-us', 'We are a small shop running on a serverless commerce backend.'],
    ['Shipping and returns', 'shipping-and-returns', 'Orders ship within two working days. Returns are free for 30 days.'],
  ]) {
    pages.push(
      await published(strapi, 'api::page.page', {
        title,
        slug,
        body: paragraphs(text),
        seo: { meta_title: title, meta_description: text },
      }),
    );
  }
  const featured = [];
  for (const product of products.slice(0, 4)) {
    featured.push(
      await published(strapi, 'api::product-content.product-content', {
        handle: product.handle,
        commerce_title: product.title,
        editorial_title: `Editor's pick: ${product.title}`,
        description: paragraphs(product.description ?? product.title),
        highlights: [{ text: 'Made in small batches' }, { text: 'Ships in two days' }],
      }),
    );
  }
  await published(strapi, 'api::homepage.homepage', {
    title: 'Welcome to the demo store',
    hero_banner: hero.documentId,
    featured_pages: pages.map((p) => p.documentId),
    featured_products: featured.map((p) => p.documentId),
    seo: { meta_title: 'Demo store', meta_description: 'The demo catalog with editorial content from Strapi.' },
  });
  strapi.log.info(`[store] demo content: 2 banners, ${pages.length} pages, ${featured.length} product entries, the homepage`);
}

module.exports = {
  register() {},

  async bootstrap({ strapi }) {
    await ensureAdmin(strapi);
    await ensureTokens(strapi);
    await ensureWebhook(strapi);
    await seedDemoContent(strapi);
  },
};
