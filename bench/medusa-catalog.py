#!/usr/bin/env python3
"""Prints a catalog file for `storectl seed` with the same products as the Medusa anchor's
benchmark catalog (`../shared/anchors/medusa/src/scripts/seed-bench.ts`): 1,000 products
"Bench Product NNNN" (handle `bench-product-NNNN`, the same description, weight 400, one of
four categories in turn), each with the option Size (S, M, L) and three variants with EUR and
USD prices; one region "Europe" (EUR, the same seven countries, no tax), its two flat
shipping options, one stock location holding 1,000,000 of each variant.

With both stores holding the same products, their answers can be compared byte for byte:

    python3 bench/medusa-catalog.py > /tmp/medusa-catalog.json
    DATABASE_URL=... cargo run -p storectl -- seed /tmp/medusa-catalog.json

`SEED_PRODUCTS` sets the number of products, as for the anchor's seed.
"""
import json
import os

N_PRODUCTS = int(os.environ.get("SEED_PRODUCTS", "1000"))
CHANNEL = "Default Sales Channel"
LOCATION = "European Warehouse"
CATEGORIES = ["Shirts", "Sweatshirts", "Pants", "Merch"]
COUNTRIES = [
    ("gb", "gbr", "826", "UNITED KINGDOM", "United Kingdom"),
    ("de", "deu", "276", "GERMANY", "Germany"),
    ("dk", "dnk", "208", "DENMARK", "Denmark"),
    ("se", "swe", "752", "SWEDEN", "Sweden"),
    ("fr", "fra", "250", "FRANCE", "France"),
    ("es", "esp", "724", "SPAIN", "Spain"),
    ("it", "ita", "380", "ITALY", "Italy"),
]
SIZES = ["S", "M", "L"]


def product(i):
    n = f"{i:04d}"
    base = 1000 + (i % 50) * 100  # in cents: 10.00 .. 59.00, as the anchor's major units
    return {
        "handle": f"bench-product-{n}",
        "title": f"Bench Product {n}",
        "description": f"Benchmark product number {n}. A reasonably sized description so payloads resemble a real catalog entry.",
        "weight": 400,
        "categories": [CATEGORIES[i % len(CATEGORIES)].lower()],
        "sales_channels": [CHANNEL],
        "options": [{"title": "Size", "values": SIZES}],
        "variants": [
            {
                "title": size,
                "sku": f"BENCH-{n}-{size}",
                "options": {"Size": size},
                "prices": {"eur": base + k * 100, "usd": base + k * 100 + 200},
                "stock": {LOCATION: 1_000_000},
            }
            for k, size in enumerate(SIZES)
        ],
    }


catalog = {
    "sales_channels": [{"name": CHANNEL}],
    "stock_locations": [{"name": LOCATION, "sales_channels": [CHANNEL]}],
    "publishable_keys": [{"title": "Bench Webshop", "sales_channels": [CHANNEL]}],
    "regions": [
        {
            "name": "Europe",
            "currency_code": "eur",
            "tax_rate_bps": 0,
            "countries": [
                dict(zip(["iso_2", "iso_3", "num_code", "name", "display_name"], c))
                for c in COUNTRIES
            ],
        }
    ],
    "categories": [{"handle": name.lower(), "name": name} for name in CATEGORIES],
    "shipping_options": [
        {"region": "Europe", "name": "Standard Shipping", "amount": 1000},
        {"region": "Europe", "name": "Express Shipping", "amount": 2000, "type_code": "express"},
    ],
    "products": [product(i) for i in range(N_PRODUCTS)],
}
print(json.dumps(catalog, indent=1))
