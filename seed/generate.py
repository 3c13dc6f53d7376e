#!/usr/bin/env python3
"""Writes seed/demo-catalog.json: the demo catalog `storectl seed` loads.

Deterministic (fixed random seed), so regenerating gives the same file. Run it only
when changing the demo catalog: python3 seed/generate.py > seed/demo-catalog.json
"""
import json
import random

rng = random.Random(20261125)

IMG = "https://medusa-public-images.s3.eu-west-1.amazonaws.com"
IMAGES = {
    "tops": [f"{IMG}/tee-black-front.png", f"{IMG}/tee-white-front.png"],
    "sweatshirts": [f"{IMG}/sweatshirt-vintage-front.png"],
    "pants": [f"{IMG}/sweatpants-gray-front.png"],
    "shorts": [f"{IMG}/shorts-vintage-front.png"],
    "accessories": [f"{IMG}/coffee-mug.png"],
    "footwear": [f"{IMG}/tee-black-front.png"],
}

# (category handle, product type, option title, option values, base price in cents, nouns)
FAMILIES = [
    ("t-shirts", "Apparel", "Size", ["S", "M", "L"], 1900, ["Tee", "T-Shirt", "Pocket Tee", "Henley"]),
    ("shirts", "Apparel", "Size", ["S", "M", "L"], 4500, ["Oxford Shirt", "Flannel Shirt", "Linen Shirt", "Overshirt"]),
    ("sweatshirts", "Apparel", "Size", ["S", "M", "L"], 5500, ["Hoodie", "Crewneck", "Zip Hoodie", "Sweatshirt"]),
    ("pants", "Apparel", "Size", ["30", "32", "34"], 6500, ["Chinos", "Joggers", "Cargo Pants", "Jeans"]),
    ("shorts", "Apparel", "Size", ["S", "M", "L"], 3500, ["Shorts", "Swim Shorts", "Running Shorts"]),
    ("sneakers", "Footwear", "Size", ["40", "42", "44"], 8900, ["Sneakers", "Runners", "Court Shoes"]),
    ("boots", "Footwear", "Size", ["40", "42", "44"], 13900, ["Chelsea Boots", "Hiking Boots", "Work Boots"]),
    ("bags", "Accessory", "Color", ["Black", "Olive", "Sand"], 4900, ["Tote", "Backpack", "Duffel", "Crossbody Bag"]),
    ("hats", "Accessory", "Color", ["Black", "Navy", "Cream"], 2500, ["Beanie", "Cap", "Bucket Hat"]),
    ("mugs", "Accessory", "Color", ["White", "Black", "Sage"], 1500, ["Mug", "Travel Mug", "Espresso Cup"]),
]
ADJECTIVES = [
    "Organic", "Recycled", "Merino", "Heavyweight", "Everyday", "Vintage", "Classic", "Relaxed",
    "Slim", "Coastal", "Alpine", "Urban", "Trail", "Midnight", "Sunset", "Heritage", "Essential",
    "Lightweight", "Brushed", "Washed",
]
IMAGE_GROUP = {
    "t-shirts": "tops", "shirts": "tops", "sweatshirts": "sweatshirts", "pants": "pants",
    "shorts": "shorts", "sneakers": "footwear", "boots": "footwear", "bags": "accessories",
    "hats": "accessories", "mugs": "accessories",
}

categories = [
    {"handle": "clothing", "name": "Clothing", "description": "Everything to wear.", "rank": 0},
    {"handle": "tops", "name": "Tops", "parent": "clothing", "rank": 0},
    {"handle": "t-shirts", "name": "T-Shirts", "parent": "tops", "rank": 0},
    {"handle": "shirts", "name": "Shirts", "parent": "tops", "rank": 1},
    {"handle": "sweatshirts", "name": "Sweatshirts", "parent": "tops", "rank": 2},
    {"handle": "bottoms", "name": "Bottoms", "parent": "clothing", "rank": 1},
    {"handle": "pants", "name": "Pants", "parent": "bottoms", "rank": 0},
    {"handle": "shorts", "name": "Shorts", "parent": "bottoms", "rank": 1},
    {"handle": "footwear", "name": "Footwear", "description": "Shoes and boots.", "rank": 1},
    {"handle": "sneakers", "name": "Sneakers", "parent": "footwear", "rank": 0},
    {"handle": "boots", "name": "Boots", "parent": "footwear", "rank": 1},
    {"handle": "accessories", "name": "Accessories", "description": "Bags, hats and more.", "rank": 2},
    {"handle": "bags", "name": "Bags", "parent": "accessories", "rank": 0},
    {"handle": "hats", "name": "Hats", "parent": "accessories", "rank": 1},
    {"handle": "mugs", "name": "Mugs", "parent": "accessories", "rank": 2},
]
for c in categories:
    c.setdefault("description", "")

collections = [
    {"handle": "summer-2026", "title": "Summer 2026"},
    {"handle": "winter-2026", "title": "Winter 2026"},
    {"handle": "essentials", "title": "Essentials"},
    {"handle": "outdoor", "title": "Outdoor"},
]
TAGS = ["organic", "recycled", "bestseller", "new", "limited", "vegan"]

products = []
seen = set()
number = 0
while len(products) < 240:
    family = FAMILIES[number % len(FAMILIES)]
    number += 1
    category, ptype, option, values, base, nouns = family
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(nouns)}"
    if title in seen:
        title = f"{title} {len([t for t in seen if t.startswith(title)]) + 1}"
    seen.add(title)
    handle = title.lower().replace(" ", "-")
    index = len(products) + 1
    sku_base = f"DEMO-{index:04d}"
    eur = base + rng.choice([0, 0, 500, 1000, -400]) - 1  # x9.99-style prices
    usd = round(eur * 1.1 / 100) * 100 - 1
    variants = []
    for rank, value in enumerate(values):
        step = rank * (200 if ptype == "Apparel" else 0)
        stocked = 0 if rng.random() < 0.05 else rng.randint(3, 120)
        variants.append({
            "title": value,
            "sku": f"{sku_base}-{value.upper()}",
            "options": {option: value},
            "prices": {"eur": eur + step, "usd": usd + step},
            "stock": {"Main warehouse": stocked},
            **({"allow_backorder": True} if index % 40 == 0 else {}),
        })
    tags = sorted(set(rng.sample(TAGS, rng.randint(0, 2))))
    lowered = title.lower()
    product = {
        "handle": handle,
        "title": title,
        "subtitle": f"{family[1]} · {category.replace('-', ' ').title()}",
        "description": (
            f"The {lowered} is part of our demo catalog: {rng.choice(['soft', 'durable', 'light', 'warm', 'breathable'])}, "
            f"{rng.choice(['responsibly made', 'built to last', 'easy to care for', 'made in small batches'])} "
            f"and available in {len(values)} {option.lower()}s."
        ),
        "images": IMAGES[IMAGE_GROUP[category]],
        "type": ptype,
        "categories": [category],
        "tags": tags,
        "weight": rng.choice([200, 400, 600, 900, 1200]),
        "options": [{"title": option, "values": values}],
        "variants": variants,
    }
    if index % 3 != 0:
        product["collection"] = collections[index % len(collections)]["handle"]
    if index % 25 == 0:
        product["status"] = "draft"  # drafts must not be visible in the store
    if index % 10 == 0:
        product["metadata"] = {"care": "Machine wash cold"}
    products.append(product)

EUROPE = [
    ("at", "aut", "040", "AUSTRIA", "Austria"),
    ("be", "bel", "056", "BELGIUM", "Belgium"),
    ("de", "deu", "276", "GERMANY", "Germany"),
    ("dk", "dnk", "208", "DENMARK", "Denmark"),
    ("es", "esp", "724", "SPAIN", "Spain"),
    ("fr", "fra", "250", "FRANCE", "France"),
    ("it", "ita", "380", "ITALY", "Italy"),
    ("nl", "nld", "528", "NETHERLANDS", "Netherlands"),
    ("se", "swe", "752", "SWEDEN", "Sweden"),
]

catalog = {
    "sales_channels": [{"name": "Webshop", "description": "The demo storefront"}],
    "stock_locations": [{"name": "Main warehouse", "sales_channels": ["Webshop"]}],
    "publishable_keys": [{"title": "Demo storefront", "sales_channels": ["Webshop"]}],
    "regions": [
        {
            "name": "Europe", "currency_code": "eur", "tax_rate_bps": 2100,
            "is_tax_inclusive": True, "automatic_taxes": True,
            "countries": [dict(zip(["iso_2", "iso_3", "num_code", "name", "display_name"], c)) for c in EUROPE],
        },
        {
            "name": "United States", "currency_code": "usd", "tax_rate_bps": 800,
            "is_tax_inclusive": False, "automatic_taxes": True,
            "countries": [{"iso_2": "us", "iso_3": "usa", "num_code": "840", "name": "UNITED STATES", "display_name": "United States"}],
        },
    ],
    "categories": categories,
    "collections": collections,
    "products": products,
    "shipping_options": [
        {"region": "Europe", "name": "Standard Shipping", "amount": 495, "free_over_amount": 7500},
        {"region": "Europe", "name": "Express Shipping", "amount": 1495, "type_code": "express"},
        {"region": "United States", "name": "Standard Shipping", "amount": 695, "free_over_amount": 10000},
        {"region": "United States", "name": "Express Shipping", "amount": 1995, "type_code": "express"},
    ],
    "promotions": [
        {"code": "WELCOME10", "method": "percentage", "value": 1000},
        {"code": "TENOFF", "method": "fixed", "value": 1000, "currency_code": "eur", "min_item_subtotal": 5000},
        {"code": "LAUNCH50", "method": "percentage", "value": 5000, "usage_limit": 100},
    ],
}
print(json.dumps(catalog, indent=1, ensure_ascii=False))
