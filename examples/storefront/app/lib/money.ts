// Money on the Store API wire is a decimal in major units (12.5 = 12.50) with a lower-case
// ISO 4217 code.
export function formatMoney(amount: number | null | undefined, currencyCode: string | null | undefined): string {
  if (amount === null || amount === undefined || !currencyCode) return "—";
  return new Intl.NumberFormat("en", { style: "currency", currency: currencyCode.toUpperCase() }).format(amount);
}
