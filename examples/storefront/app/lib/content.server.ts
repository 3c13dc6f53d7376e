// Editorial content from Strapi through the store's content proxy (/content/...): the
// homepage's hero and featured pages, banners by placement, a product's editorial entry
// (product-content, by handle) and CMS pages by slug. When the store has no CMS
// (the proxy answers 503) or the entry does not exist, the page renders without it.
import { errorStatus, sdk } from "./backend.server";

type Block = { type: string; children?: { type: string; text?: string }[] };

export type Banner = { title: string; image_url: string | null; link: string | null };
export type PageLink = { title: string; slug: string };
export type Page = PageLink & { paragraphs: string[]; meta_description: string | null };

async function content<T>(path: string, query: Record<string, string>): Promise<T | undefined> {
  try {
    return await sdk.client.fetch<T>(`/content/${path}`, { query });
  } catch (error) {
    const status = errorStatus(error);
    if (status === 503 || status === 404 || status === 502) return undefined;
    throw error;
  }
}

/** Strapi's blocks as plain paragraphs (this storefront renders text only). */
function paragraphs(blocks: Block[] | null | undefined): string[] {
  return (blocks ?? [])
    .map((b) => (b.children ?? []).map((c) => c.text ?? "").join(""))
    .filter((text) => text.trim() !== "");
}

export async function homepage(): Promise<{ title: string; hero: Banner | null; pages: PageLink[] } | undefined> {
  const answer = await content<{
    data: { title: string; hero_banner: Banner | null; featured_pages: PageLink[] | null } | null;
  }>("homepage", { populate: "*" });
  const home = answer?.data;
  if (!home) return undefined;
  const hero = home.hero_banner;
  return {
    title: home.title,
    hero: hero ? { title: hero.title, image_url: hero.image_url ?? null, link: hero.link ?? null } : null,
    pages: (home.featured_pages ?? []).map((p) => ({ title: p.title, slug: p.slug })),
  };
}

export async function page(slug: string): Promise<Page | undefined> {
  const answer = await content<{
    data: { title: string; slug: string; body: Block[] | null; seo?: { meta_description?: string | null } | null }[];
  }>("pages", { "filters[slug][$eq]": slug, populate: "seo" });
  const found = answer?.data?.[0];
  if (!found) return undefined;
  return {
    title: found.title,
    slug: found.slug,
    paragraphs: paragraphs(found.body),
    meta_description: found.seo?.meta_description ?? null,
  };
}

/** The published banners of one placement (`inline`, `sidebar`, `footer`; the hero is the homepage's). */
export async function banners(placement: string): Promise<Banner[]> {
  const answer = await content<{ data: Banner[] }>("banners", {
    "filters[placement][$eq]": placement,
    "pagination[pageSize]": "5",
  });
  return (answer?.data ?? []).map((b) => ({ title: b.title, image_url: b.image_url ?? null, link: b.link ?? null }));
}

export type ProductStory = { title: string | null; paragraphs: string[]; highlights: string[] };

/** The product's published editorial entry in Strapi (product-content with this handle), if any. */
export async function productStory(handle: string): Promise<ProductStory | undefined> {
  const answer = await content<{
    data: { editorial_title: string | null; description: Block[] | null; highlights: { text: string }[] | null }[];
  }>("product-contents", { "filters[handle][$eq]": handle, populate: "highlights" });
  const entry = answer?.data?.[0];
  if (!entry) return undefined;
  return {
    title: entry.editorial_title ?? null,
    paragraphs: paragraphs(entry.description),
    highlights: (entry.highlights ?? []).map((h) => h.text),
  };
}
