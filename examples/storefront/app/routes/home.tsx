import { Link } from "react-router";
import type { Route } from "./+types/home";
import { sdk } from "~/lib/backend.server";
import { productCards } from "~/lib/catalog.server";
import { banners, homepage } from "~/lib/content.server";
import { ProductGrid } from "~/lib/product-grid";
import { getRegion } from "~/lib/region.server";

export function meta() {
  return [{ title: "Storefront" }];
}

export async function loader({ request }: Route.LoaderArgs) {
  const { region } = await getRegion(request);
  const [{ products }, { product_categories }, { collections }, cms, inline] = await Promise.all([
    productCards(region, {}, 1, 8),
    sdk.store.category.list({ limit: 20, fields: "id,name,handle" }),
    sdk.store.collection.list({ limit: 20, fields: "id,title,handle" }),
    homepage(),
    banners("inline"),
  ]);
  return {
    region: { name: region.name, currency_code: region.currency_code },
    products,
    categories: product_categories.map((c) => ({ id: c.id, name: c.name, handle: c.handle })),
    collections: collections.map((c) => ({ id: c.id, title: c.title, handle: c.handle })),
    cms: cms ?? null,
    banners: inline,
  };
}

export default function Home({ loaderData }: Route.ComponentProps) {
  const { products, region, categories, collections, cms, banners } = loaderData;
  return (
    <section>
      {cms ? (
        <header className="hero" data-testid="cms-hero">
          <p className="muted" data-testid="cms-home-title">
            {cms.title}
          </p>
          {cms.hero ? (
            <a href={cms.hero.link ?? "#"} className="hero-banner">
              {cms.hero.image_url ? <img src={cms.hero.image_url} alt="" width={320} height={320} /> : null}
              <span data-testid="cms-hero-title">{cms.hero.title}</span>
            </a>
          ) : null}
        </header>
      ) : null}
      {banners.map((b) => (
        <a key={b.title} href={b.link ?? "#"} className="banner" data-testid="cms-banner">
          {b.title}
        </a>
      ))}
      <h1>Featured products</h1>
      <p className="muted">
        Prices for {region.name} in {region.currency_code.toUpperCase()}.
      </p>
      <ProductGrid products={products} />
      <Browse
        title="Categories"
        testId="category"
        links={categories.map((c) => ({ id: c.id, to: `/categories/${c.handle}`, label: c.name }))}
      />
      <Browse
        title="Pages"
        testId="page"
        links={(cms?.pages ?? []).map((p) => ({ id: p.slug, to: `/pages/${p.slug}`, label: p.title }))}
      />
      <Browse
        title="Collections"
        testId="collection"
        links={collections.map((c) => ({ id: c.id, to: `/collections/${c.handle}`, label: c.title }))}
      />
    </section>
  );
}

function Browse({ title, testId, links }: { title: string; testId: string; links: { id: string; to: string; label: string }[] }) {
  if (links.length === 0) return null;
  return (
    <nav className="browse" data-testid={`${testId}-links`}>
      <h2>{title}</h2>
      {links.map((l) => (
        <Link key={l.id} to={l.to} data-testid={`${testId}-link`}>
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
