// The shopper's region: the region containing ?country=xx (this request), else the one
// containing the country cookie, else the first region the store lists.
import type { HttpTypes } from "@medusajs/types";
import { data } from "react-router";
import { sdk } from "./backend.server";
import { readCountry } from "./cookies.server";

export type Region = HttpTypes.StoreRegion;

// Regions change rarely and every loader needs them: keep them for a minute per server
// process (the root loader and the page loader of one request then share one call).
const REGIONS_TTL_MS = 60_000;
let cached: { at: number; regions: Promise<Region[]> } | undefined;

export function listRegions(): Promise<Region[]> {
  if (!cached || Date.now() - cached.at > REGIONS_TTL_MS) {
    const regions = sdk.store.region.list({ limit: 100 }).then((r) => r.regions);
    cached = { at: Date.now(), regions };
    regions.catch(() => {
      if (cached?.regions === regions) cached = undefined; // never keep a failure
    });
  }
  return cached.regions;
}

export function queryCountry(request: Request): string | undefined {
  const country = new URL(request.url).searchParams.get("country")?.trim().toLowerCase();
  return country && /^[a-z]{2}$/.test(country) ? country : undefined;
}

export function regionForCountry(regions: Region[], country: string | undefined): Region | undefined {
  if (!country) return undefined;
  return regions.find((r) => r.countries?.some((c) => c.iso_2 === country));
}

export async function getRegion(
  request: Request,
): Promise<{ region: Region; regions: Region[]; country: string | undefined }> {
  const regions = await listRegions();
  if (regions.length === 0) throw data("The store has no regions", { status: 503 });
  for (const country of [queryCountry(request), await readCountry(request)]) {
    const region = regionForCountry(regions, country);
    if (region) return { region, regions, country };
  }
  const region = regions[0];
  return { region, regions, country: region.countries?.[0]?.iso_2 ?? undefined };
}
