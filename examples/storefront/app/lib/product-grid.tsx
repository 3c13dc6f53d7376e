import { Link } from "react-router";
import type { ProductCard } from "~/lib/catalog.server";
import { formatMoney } from "~/lib/money";

export function ProductGrid({ products }: { products: ProductCard[] }) {
  if (products.length === 0) return <p data-testid="no-products">No products here.</p>;
  return (
    <ul className="product-grid" data-testid="product-list">
      {products.map((p) => (
        <li key={p.id} className="product-card" data-testid="product-card">
          <Link to={`/products/${p.handle}`}>
            {p.thumbnail ? <img src={p.thumbnail} alt="" loading="lazy" width={240} height={240} /> : null}
            <span className="title" data-testid="product-title">
              {p.title}
            </span>
            <span className="price" data-testid="product-price">
              {p.price ? `from ${formatMoney(p.price.amount, p.price.currency_code)}` : "Not available in this region"}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** Previous and next links for `?page=N` of the current URL (other parameters kept). */
export function Pager({ page, pages, search }: { page: number; pages: number; search: string }) {
  if (pages <= 1) return null;
  const to = (n: number) => {
    const params = new URLSearchParams(search);
    params.set("page", String(n));
    return `?${params}`;
  };
  return (
    <nav className="pager" data-testid="pager">
      {page > 1 ? (
        <Link to={to(page - 1)} data-testid="pager-previous">
          ← Previous
        </Link>
      ) : null}
      <span data-testid="pager-position">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <Link to={to(page + 1)} data-testid="pager-next">
          Next →
        </Link>
      ) : null}
    </nav>
  );
}
