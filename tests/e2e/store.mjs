// Where the end-to-end tests find the store, and the address they ship to.
// MEDUSA_BACKEND_URL and MEDUSA_PUBLISHABLE_KEY win (scripts/test sets them); without
// them, .env.storefront written by scripts/up is read, so the tests run by hand against
// the dev store: node --test tests/e2e/*.test.mjs
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

function storefrontEnv() {
  const file = fileURLToPath(new URL("../../.env.storefront", import.meta.url));
  try {
    return Object.fromEntries(
      readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
  } catch {
    return {};
  }
}

const fileEnv = storefrontEnv();
export const baseUrl = process.env.MEDUSA_BACKEND_URL || fileEnv.MEDUSA_BACKEND_URL || "http://127.0.0.1:9000";
export const publishableKey = process.env.MEDUSA_PUBLISHABLE_KEY || fileEnv.MEDUSA_PUBLISHABLE_KEY;

export const address = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "Main Street 1",
  city: "Copenhagen",
  country_code: "dk",
  postal_code: "2200",
  phone: "+4512345678",
};
