import { formatMoney } from "~/lib/money";

// The order summary the cart, the checkout and the confirmation page share: the lines in
// one list and the totals as the Store API sends them (major units, net of tax where it says so).

type SummaryLine = {
  id: string;
  quantity: number;
  title: string;
  variant_title?: string | null;
  total?: number | null;
};

/** A cart's or an order's line as the list shows it: the product's title, not the variant's. */
export function summaryLine(i: {
  id: string;
  title: string;
  product_title?: string | null;
  variant_title?: string | null;
  quantity: number;
  total?: number | null;
}): SummaryLine {
  return { id: i.id, title: i.product_title ?? i.title, variant_title: i.variant_title, quantity: i.quantity, total: i.total };
}

export function LineList({ items, currency, testId }: { items: SummaryLine[]; currency: string; testId?: string }) {
  return (
    <ul>
      {items.map((i) => (
        <li key={i.id} data-testid={testId}>
          {i.quantity} × {i.title}
          {i.variant_title ? ` (${i.variant_title})` : ""} — {formatMoney(i.total, currency)}
        </li>
      ))}
    </ul>
  );
}

/** A table's header row; an empty title leaves a column without a heading. */
export function TableHead({ titles }: { titles: string[] }) {
  return (
    <thead>
      <tr>
        {titles.map((t, i) => (t ? <th key={t}>{t}</th> : <th key={`blank-${i}`} />))}
      </tr>
    </thead>
  );
}

// The totals of a cart or an order as the Store API names them.
type Amount = number | null | undefined;
export type TotalsOf = {
  currency_code: string;
  item_subtotal: Amount;
  discount_total?: Amount;
  // null while no shipping method is chosen: then `shippingPending` is shown.
  shipping_subtotal: Amount;
  tax_total: Amount;
  total: Amount;
};

type TotalsProps = {
  totals: TotalsOf;
  shippingLabel: string;
  shippingPending?: string;
  totalLabel?: string;
  // data-testid prefix: `${testId}-totals`, `${testId}-subtotal`, `${testId}-total`.
  testId?: string;
};

export function Totals({ totals, ...props }: TotalsProps) {
  const money = (amount: Amount) => formatMoney(amount, totals.currency_code);
  const id = (name: string) => (props.testId ? `${props.testId}-${name}` : undefined);
  const shippingKnown = totals.shipping_subtotal !== null && totals.shipping_subtotal !== undefined;
  return (
    <dl className="totals" data-testid={id("totals")}>
      <dt>Subtotal (excl. tax)</dt>
      <dd data-testid={id("subtotal")}>{money(totals.item_subtotal)}</dd>
      {totals.discount_total ? (
        <>
          <dt>Discount</dt>
          <dd>−{money(totals.discount_total)}</dd>
        </>
      ) : null}
      <dt>{props.shippingLabel}</dt>
      <dd>{shippingKnown ? money(totals.shipping_subtotal) : props.shippingPending}</dd>
      <dt>Tax</dt>
      <dd>{money(totals.tax_total)}</dd>
      <dt className="grand">{props.totalLabel ?? "Total"}</dt>
      <dd className="grand" data-testid={id("total")}>
        {money(totals.total)}
      </dd>
    </dl>
  );
}

/** A `<select name="country_code">` of the given countries. */
export function CountrySelect({
  countries,
  defaultValue,
  testId,
}: {
  countries: { iso_2: string; name: string }[];
  defaultValue?: string;
  testId: string;
}) {
  return (
    <label>
      Country
      <select name="country_code" defaultValue={defaultValue} data-testid={testId} required>
        {countries.map((c) => (
          <option key={c.iso_2} value={c.iso_2}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}
