import { data, Link } from "react-router";
import type { Route } from "./+types/page";
import { page } from "~/lib/content.server";

export function meta({ loaderData }: Route.MetaArgs) {
  if (!loaderData) return [{ title: "Storefront" }];
  const tags: Record<string, string>[] = [{ title: `${loaderData.page.title} · Storefront` }];
  if (loaderData.page.meta_description) tags.push({ name: "description", content: loaderData.page.meta_description });
  return tags;
}

export async function loader({ params }: Route.LoaderArgs) {
  if (!/^[a-z0-9-]{1,100}$/.test(params.slug)) throw data("No such page", { status: 404 });
  const found = await page(params.slug);
  if (!found) throw data("No such page", { status: 404 });
  return { page: found };
}

export default function CmsPage({ loaderData }: Route.ComponentProps) {
  const { page } = loaderData;
  return (
    <article className="cms-page">
      <h1 data-testid="cms-page-title">{page.title}</h1>
      {page.paragraphs.map((text, i) => (
        <p key={i}>{text}</p>
      ))}
      <p>
        <Link to="/">Back to the store</Link>
      </p>
    </article>
  );
}
