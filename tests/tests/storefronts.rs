//! What real Medusa storefronts send (`STOREFRONTS.md`) beyond the requests we wrote:
//! the Next.js starter's filters and `fields`, the relations its pages read, and the
//! answers for paths nobody serves.

use axum::http::Method;
use serde_json::{json, Value};
use store_tests::flow::{self, invalid, ok};
use store_tests::TestStore;

fn ids(body: &Value, list: &str) -> Vec<String> {
    let mut ids = flow::each(body, list, "id");
    ids.sort();
    ids
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

async fn published(store: &TestStore, sql: &str, bind: &str) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind)
        .fetch_all(&store.pool)
        .await
        .unwrap();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_starters_related_products_call_answers_with_the_collections_products() {
    let store = TestStore::new().await;
    let region = store.region_id("eur").await;
    let collection: String =
        store.scalar("SELECT collection_id FROM products WHERE collection_id IS NOT NULL AND status = 'published' LIMIT 1").await;
    // Exactly as the Next.js starter sends it, trailing comma included.
    let reply = store
        .get(&format!(
            "/store/products?limit=12&offset=0&region_id={region}\
             &fields=*variants.calculated_price,+variants.inventory_quantity,*variants.images,+metadata,+tags,\
             &collection_id[0]={collection}&is_giftcard=false"
        ))
        .await;
    let body = ok(&reply);
    let expected = published(
        &store,
        "SELECT id FROM products WHERE status = 'published' AND collection_id = $1",
        &collection,
    )
    .await;
    assert!(!expected.is_empty());
    assert_eq!(body["count"], expected.len());
    for product in body["products"].as_array().unwrap() {
        assert_eq!(product["collection_id"], collection.as_str());
        assert!(product["tags"].is_array(), "{product}");
        for variant in product["variants"].as_array().unwrap() {
            assert!(variant["calculated_price"]["calculated_amount"].is_number());
            assert!(variant["inventory_quantity"].is_number(), "{variant}");
        }
    }
}

#[tokio::test]
async fn is_giftcard_tags_dates_and_or_groups_filter_as_in_medusa() {
    let store = TestStore::new().await;
    let (gift, old): (String, String) = store
        .scalar_pair("SELECT min(id), max(id) FROM products WHERE status = 'published'")
        .await;
    store.make_gift_card(&gift).await;
    store
        .execute_for(
            "UPDATE products SET created_at = '2020-01-15T12:00:00Z' WHERE id = $1",
            &old,
        )
        .await;
    let all: i64 = store
        .scalar("SELECT count(*) FROM products WHERE status = 'published'")
        .await;

    let cards = store.get("/store/products?is_giftcard=true").await;
    assert_eq!(ids(ok(&cards), "products"), vec![gift.clone()]);
    assert_eq!(cards.body["products"][0]["is_giftcard"], true);
    let others = store.get("/store/products?is_giftcard=false&limit=1").await;
    assert_eq!(ok(&others)["count"], all - 1);

    // `tags` is the same filter as `tag_id`, in both of qs's array forms.
    let tag: String = store
        .scalar("SELECT tag_id FROM product_tag_links GROUP BY tag_id ORDER BY count(*) LIMIT 1")
        .await;
    let tagged = published(
        &store,
        "SELECT p.id FROM products p JOIN product_tag_links t ON t.product_id = p.id
          WHERE p.status = 'published' AND t.tag_id = $1",
        &tag,
    )
    .await;
    for query in [
        format!("tags[0]={tag}"),
        format!("tags[]={tag}"),
        format!("tags={tag}"),
        format!("tag_id[0]={tag}"),
    ] {
        let reply = store
            .get(&format!("/store/products?limit=200&{query}"))
            .await;
        assert_eq!(ids(ok(&reply), "products"), tagged, "{query}");
    }

    let before = store
        .get("/store/products?created_at[$lt]=2021-01-01&limit=200")
        .await;
    assert_eq!(ids(ok(&before), "products"), vec![old.clone()]);
    let after = store
        .get("/store/products?created_at[$gt]=2020-01-15T12:00:00Z&limit=1")
        .await;
    assert_eq!(ok(&after)["count"], all - 1);
    let exact = store
        .get("/store/products?created_at[$gte]=2020-01-15T12:00:00Z&created_at[$lte]=2020-01-15T12:00:00%2B00:00")
        .await;
    assert_eq!(ids(ok(&exact), "products"), vec![old.clone()]);
    let updated = store
        .get("/store/products?updated_at[$gt]=2000-01-01&limit=1")
        .await;
    assert_eq!(ok(&updated)["count"], all);

    // $or: either branch; $and: both.
    let either = store
        .get(&format!(
            "/store/products?$or[0][id]={gift}&$or[1][id]={old}&limit=200"
        ))
        .await;
    let mut both = vec![gift.clone(), old.clone()];
    both.sort();
    assert_eq!(ids(ok(&either), "products"), both);
    let and = store
        .get(&format!(
            "/store/products?$and[0][is_giftcard]=true&$and[1][id][0]={old}"
        ))
        .await;
    assert_eq!(ok(&and)["count"], 0);

    for (query, needle) in [
        ("created_at[$regex]=x", "created_at[$regex]"),
        ("created_at[$gt]=yesterday", "created_at[$gt]"),
        ("is_giftcard=perhaps", "is_giftcard"),
        ("$or[0][colour]=red", "colour"),
        ("$or[0][limit]=5", "limit"),
        ("tags[0]=not-a-tag", "tags"),
    ] {
        let reply = store.get(&format!("/store/products?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(needle), "{query}: {message}");
    }
}

#[tokio::test]
async fn categories_collections_and_regions_take_dates_and_or_groups() {
    let store = TestStore::new().await;
    let (first, second): (String, String) = store
        .scalar_pair(
            "SELECT min(id), max(id) FROM product_categories WHERE is_active AND NOT is_internal",
        )
        .await;
    store.execute_for("UPDATE product_categories SET created_at = '2020-06-01T00:00:00Z', description = 'Old stock' WHERE id = $1", &first).await;
    for query in [
        "created_at[$lt]=2021-01-01".to_string(),
        "description=Old stock".replace(' ', "%20"),
        format!("$or[0][id]={first}&$or[1][created_at][$lte]=2020-06-01T00:00:00Z"),
    ] {
        let reply = store
            .get(&format!("/store/product-categories?{query}"))
            .await;
        assert_eq!(
            ids(ok(&reply), "product_categories"),
            vec![first.clone()],
            "{query}"
        );
    }
    let either = store
        .get(&format!(
            "/store/product-categories?$or[0][id]={first}&$or[1][id]={second}"
        ))
        .await;
    assert_eq!(ids(ok(&either), "product_categories").len(), 2);
    let newer = store
        .get("/store/product-categories?created_at[$gte]=2021-01-01&limit=1")
        .await;
    let visible: i64 = store
        .scalar("SELECT count(*) FROM product_categories WHERE is_active AND NOT is_internal")
        .await;
    assert_eq!(ok(&newer)["count"], visible - 1);

    let (old, other): (String, String) = store
        .scalar_pair("SELECT min(id), max(id) FROM product_collections")
        .await;
    store
        .execute_for(
            "UPDATE product_collections SET updated_at = '2020-06-01T00:00:00Z' WHERE id = $1",
            &old,
        )
        .await;
    let stale = store
        .get("/store/collections?updated_at[$lt]=2021-01-01")
        .await;
    assert_eq!(ids(ok(&stale), "collections"), vec![old.clone()]);
    let either = store
        .get(&format!(
            "/store/collections?$or[0][id]={old}&$or[1][id]={other}&fields=id"
        ))
        .await;
    let mut both = vec![old.clone(), other.clone()];
    both.sort();
    assert_eq!(ids(ok(&either), "collections"), both);
    let none = store
        .get(&format!(
            "/store/collections?$and[0][id]={old}&$and[1][updated_at][$gt]=2021-01-01"
        ))
        .await;
    assert_eq!(ok(&none)["count"], 0);
    let (one, two): (String, String) = store
        .scalar_pair("SELECT min(id), max(id) FROM regions")
        .await;
    let regions = store
        .get(&format!("/store/regions?$or[0][id]={one}&$or[1][id]={two}"))
        .await;
    let mut both = vec![one.clone(), two.clone()];
    both.sort();
    assert_eq!(ids(ok(&regions), "regions"), both);
    let neither = store
        .get(&format!(
            "/store/regions?$and[0][id]={one}&$and[1][id]={two}"
        ))
        .await;
    assert_eq!(ok(&neither)["count"], 0);

    for path in [
        "/store/regions?$or[0][colour]=red",
        "/store/collections?created_at[$like]=2020",
        "/store/product-categories?$or[0][colour]=red",
    ] {
        invalid(&store.get(path).await);
    }
}

/// The keys of a product and of its variants in Medusa 2.21.2's `GET /store/products`
/// (`medusa-captures/03-products-list-limit2.json`); its `GET /store/products/{id}` adds
/// `categories` (`06-product-get-region.json`).
const MEDUSA_PRODUCT_KEYS: [&str; 26] = [
    "collection",
    "collection_id",
    "created_at",
    "description",
    "discountable",
    "handle",
    "height",
    "hs_code",
    "id",
    "images",
    "is_giftcard",
    "length",
    "material",
    "mid_code",
    "options",
    "origin_country",
    "subtitle",
    "tags",
    "thumbnail",
    "title",
    "type",
    "type_id",
    "updated_at",
    "variants",
    "weight",
    "width",
];
const MEDUSA_VARIANT_KEYS: [&str; 24] = [
    "allow_backorder",
    "barcode",
    "created_at",
    "deleted_at",
    "ean",
    "height",
    "hs_code",
    "id",
    "length",
    "manage_inventory",
    "material",
    "metadata",
    "mid_code",
    "options",
    "origin_country",
    "product_id",
    "sku",
    "thumbnail",
    "title",
    "upc",
    "updated_at",
    "variant_rank",
    "weight",
    "width",
];

/// The keys of a variant's `calculated_price` in Medusa 2.21.2's `GET
/// /store/products?region_id=` (`medusa-captures/04-products-list-region-limit2.json`):
/// without a country, no tax figures.
const MEDUSA_PRICE_KEYS: [&str; 12] = [
    "calculated_amount",
    "calculated_price",
    "currency_code",
    "id",
    "is_calculated_price_price_list",
    "is_calculated_price_tax_inclusive",
    "is_original_price_price_list",
    "is_original_price_tax_inclusive",
    "original_amount",
    "original_price",
    "raw_calculated_amount",
    "raw_original_amount",
];

#[tokio::test]
async fn products_carry_medusas_fields_by_default_and_the_rest_on_request() {
    let store = TestStore::new().await;
    let listed = store.get("/store/products?limit=5").await;
    for product in ok(&listed)["products"].as_array().unwrap() {
        assert_eq!(keys(product), MEDUSA_PRODUCT_KEYS, "{product}");
        for variant in product["variants"].as_array().unwrap() {
            assert_eq!(keys(variant), MEDUSA_VARIANT_KEYS, "{variant}");
        }
    }
    let region = store.region_id("eur").await;
    let priced = store
        .get(&format!("/store/products?limit=2&region_id={region}"))
        .await;
    for product in ok(&priced)["products"].as_array().unwrap() {
        for variant in product["variants"].as_array().unwrap() {
            let price = &variant["calculated_price"];
            assert_eq!(keys(price), MEDUSA_PRICE_KEYS, "{price}");
            assert_eq!(
                keys(&price["calculated_price"]),
                [
                    "id",
                    "max_quantity",
                    "min_quantity",
                    "price_list_id",
                    "price_list_type"
                ]
            );
        }
    }
    let id = listed.body["products"][0]["id"].as_str().unwrap();
    let retrieved = store.get(&format!("/store/products/{id}")).await;
    let mut with_categories = MEDUSA_PRODUCT_KEYS.to_vec();
    with_categories.push("categories");
    with_categories.sort();
    assert_eq!(keys(&ok(&retrieved)["product"]), with_categories);
    // What Medusa leaves out comes on request, as the Next.js starter asks for it.
    let asked = store
        .get(&format!(
            "/store/products/{id}?fields=%2Bmetadata,%2Bstatus,*variants.images"
        ))
        .await;
    let product = &ok(&asked)["product"];
    assert!(product["metadata"].is_object() || product["metadata"].is_null());
    assert_eq!(product["status"], "published");
    assert!(product["variants"][0]["images"].is_array(), "{product}");
    let listed = store
        .get("/store/products?limit=2&fields=*categories")
        .await;
    assert!(ok(&listed)["products"][0]["categories"].is_array());
}

#[tokio::test]
async fn fields_narrow_add_and_remove_as_medusa_applies_them() {
    let store = TestStore::new().await;
    let region = store.region_id("eur").await;
    let narrow = store.get("/store/products?fields=id,title&limit=3").await;
    for product in ok(&narrow)["products"].as_array().unwrap() {
        assert_eq!(keys(product), ["id", "title"], "{product}");
    }
    // A plain nested field narrows the relation too; `id` always comes along.
    let nested = store
        .get("/store/products?fields=title,variants.sku&limit=2")
        .await;
    for product in ok(&nested)["products"].as_array().unwrap() {
        assert_eq!(keys(product), ["id", "title", "variants"]);
        for variant in product["variants"].as_array().unwrap() {
            assert_eq!(keys(variant), ["id", "sku"]);
        }
    }
    // `-field` removes from the defaults.
    let without = store
        .get("/store/products?fields=-description,-variants&limit=1")
        .await;
    let product = &ok(&without)["products"][0];
    assert!(product.get("description").is_none() && product.get("variants").is_none());
    assert!(product.get("title").is_some() && product.get("handle").is_some());

    // `variants.prices` (the Remix starter's `*variants.prices`, `variants.prices.*`).
    let id = product["id"].as_str().unwrap();
    for fields in ["*variants.prices", "+variants.prices.*"] {
        let reply = store
            .get(&format!(
                "/store/products/{id}?region_id={region}&fields={fields}"
            ))
            .await;
        for variant in ok(&reply)["product"]["variants"].as_array().unwrap() {
            let prices = variant["prices"].as_array().unwrap();
            let stored: i64 = store
                .scalar_for(
                    "SELECT count(*) FROM prices WHERE variant_id = $1",
                    variant["id"].as_str().unwrap(),
                )
                .await;
            assert_eq!(prices.len() as i64, stored, "{fields}: {variant}");
            let eur = prices
                .iter()
                .find(|p| p["currency_code"] == "eur")
                .expect("a eur price");
            assert_eq!(flow::cents(&eur["amount"]), store.eur_price(variant).await);
            assert!(variant["calculated_price"].is_object());
        }
    }
    let regions = store.get("/store/regions?fields=id,name").await;
    for region in ok(&regions)["regions"].as_array().unwrap() {
        assert_eq!(keys(region), ["id", "name"]);
    }
}

#[tokio::test]
async fn a_carts_region_has_its_countries_and_shipping_options_their_prices() {
    let store = TestStore::new().await;
    let cart = flow::new_cart(&store).await;
    let countries: i64 = store
        .scalar("SELECT count(*) FROM region_countries rc JOIN regions r ON r.id = rc.region_id WHERE r.currency_code = 'eur'")
        .await;
    for fields in [
        "",
        "?fields=*region.countries",
        "?fields=+region.countries.*",
    ] {
        let reply = store.get(&format!("/store/carts/{cart}{fields}")).await;
        let listed = ok(&reply)["cart"]["region"]["countries"]
            .as_array()
            .unwrap_or_else(|| panic!("{fields}: {}", reply.body));
        assert_eq!(listed.len() as i64, countries, "{fields}");
        assert!(listed.iter().all(|c| c["iso_2"].is_string()));
    }
    let narrow = store
        .get(&format!("/store/carts/{cart}?fields=id,region_id,total"))
        .await;
    assert_eq!(keys(&ok(&narrow)["cart"]), ["id", "region_id", "total"]);

    let options = store
        .get(&format!("/store/shipping-options?cart_id={cart}"))
        .await;
    let options = ok(&options)["shipping_options"].as_array().unwrap().clone();
    assert!(!options.is_empty());
    let mut free = 0;
    for option in &options {
        let (amount, threshold): (i64, Option<i64>) =
            sqlx::query_as("SELECT amount, free_over_amount FROM shipping_options WHERE id = $1")
                .bind(option["id"].as_str().unwrap())
                .fetch_one(&store.pool)
                .await
                .unwrap();
        let prices = option["prices"].as_array().unwrap();
        assert_eq!(prices[0]["currency_code"], "eur");
        assert_eq!(flow::cents(&prices[0]["amount"]), amount);
        if let Some(threshold) = threshold {
            free += 1;
            // What the starter's free-shipping nudge looks for.
            let zero = prices.iter().find(|p| p["amount"] == 0).unwrap();
            let rule = &zero["price_rules"][0];
            assert_eq!(rule["attribute"], "item_total");
            assert_eq!(rule["operator"], "gte");
            let value: f64 = rule["value"].as_str().unwrap().parse().unwrap();
            assert_eq!((value * 100.0).round() as i64, threshold);
        } else {
            assert_eq!(prices.len(), 1, "{option}");
        }
    }
    assert!(
        free > 0,
        "the demo catalog has free shipping from a threshold"
    );
    // The amounts follow the cart's lines: at or above its threshold an option is free.
    let priced_at = |options: &[Value], id: &Value| {
        let option = options.iter().find(|o| o["id"] == *id).unwrap();
        (
            flow::cents(&option["amount"]),
            flow::cents(&option["calculated_price"]["calculated_amount"]),
        )
    };
    let cheap = &options[0]["id"];
    let flat = flow::cents(&options[0]["prices"][0]["amount"]);
    assert!(flat > 0);
    assert_eq!(
        priced_at(&options, cheap),
        (flat, flat),
        "an empty cart pays"
    );
    let variant = flow::stocked_variants(&store, 1).await.remove(0);
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 2 }),
        )
        .await);
    let basis: i64 = store
        .scalar("SELECT sum(unit_price * quantity)::bigint FROM cart_line_items")
        .await;
    let uri = format!("/store/shipping-options?cart_id={cart}");
    for (threshold, expected) in [(basis + 1, flat), (basis, 0)] {
        sqlx::query("UPDATE shipping_options SET free_over_amount = $2 WHERE id = $1")
            .bind(cheap.as_str().unwrap())
            .bind(threshold)
            .execute(&store.pool)
            .await
            .unwrap();
        let listed = ok(&store.get(&uri).await)["shipping_options"].clone();
        let listed = listed.as_array().unwrap();
        assert_eq!(
            priced_at(listed, cheap),
            (expected, expected),
            "free from {threshold}, the lines come to {basis}"
        );
    }
    // A cart's region prices products asked for with `cart_id` alone.
    let priced = store
        .get(&format!(
            "/store/products?cart_id={cart}&limit=1&fields=*variants.calculated_price"
        ))
        .await;
    let price = &ok(&priced)["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(price["currency_code"], "eur", "{}", priced.body);
    let unknown = store
        .get("/store/products?cart_id=cart_01JUNKNOWN&fields=*variants.calculated_price")
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // Medusa takes paging keys here and ignores them; so does this store.
    let paged = store
        .get(&format!(
            "/store/shipping-options?cart_id={cart}&limit=1&offset=1&order=-name"
        ))
        .await;
    assert_eq!(
        ok(&paged)["shipping_options"].as_array().unwrap().len(),
        options.len()
    );
    let bad = store
        .get(&format!("/store/shipping-options?cart_id={cart}&limit=x"))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    let returns = store
        .get(&format!(
            "/store/shipping-options?cart_id={cart}&is_return=true"
        ))
        .await;
    assert_eq!(ok(&returns)["shipping_options"], json!([]));
}

#[tokio::test]
async fn the_confirmation_page_gets_the_variant_the_product_and_the_payment() {
    let store = TestStore::new().await;
    let variant = flow::stocked_variants(&store, 1).await.remove(0);
    let order = flow::place_order(&store, &variant, 2, "ada@example.com").await;
    let id = order["id"].as_str().unwrap();
    // The Next.js starter's order page.
    let reply = store
        .get(&format!(
            "/store/orders/{id}?fields=*payment_collections.payments,*items,*items.metadata,*items.variant,*items.product"
        ))
        .await;
    let order = &ok(&reply)["order"];
    let item = &order["items"][0];
    assert_eq!(item["variant"]["id"], variant.as_str());
    assert_eq!(item["variant_id"], variant.as_str());
    assert_eq!(item["product"]["id"], item["product_id"]);
    assert_eq!(item["variant"]["product"]["id"], item["product_id"]);
    assert!(item["variant"]["options"].is_array());
    let payment = &order["payment_collections"][0]["payments"][0];
    assert_eq!(payment["provider_id"], "pp_system_default");
    assert_eq!(payment["currency_code"], order["currency_code"]);
    assert_eq!(
        flow::cents(&payment["amount"]),
        flow::cents(&order["total"])
    );

    let narrow = store
        .get(&format!("/store/orders/{id}?fields=id,email"))
        .await;
    assert_eq!(keys(&ok(&narrow)["order"]), ["email", "id"]);
}

#[tokio::test]
async fn paths_nobody_serves_answer_json_in_the_apis_words_with_cors() {
    let store = TestStore::new().await;
    let origin = "http://localhost:8000";
    let key = store.publishable_key.clone();
    let cases: &[(Method, &str, u16)] = &[
        (Method::GET, "/store/customers/me", 401),
        (Method::POST, "/store/customers", 401),
        (Method::GET, "/store/orders", 401),
        (Method::GET, "/admin/inventory-items", 401),
        (Method::GET, "/admin/nothing-here", 401),
        (Method::GET, "/store/locales", 404),
        (Method::POST, "/auth/customer/emailpass", 401),
        (Method::POST, "/auth/customer/emailpass/register", 401),
        (Method::GET, "/nothing", 404),
        (Method::GET, "/store/products/prod_01JUNKNOWN/nothing", 404),
    ];
    for (method, path, status) in cases {
        // The harness's ADMIN_CORS holds the dashboard's origin, not the storefront's.
        let origin = if path.starts_with("/admin") {
            "http://localhost:7001"
        } else {
            origin
        };
        let reply = store
            .request(
                method.clone(),
                path,
                &[("origin", origin), ("x-publishable-api-key", &key)],
            )
            .await;
        assert_eq!(
            reply.status.as_u16(),
            *status,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some(origin),
            "{method} {path}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let message = reply.body["message"].as_str().unwrap();
        if path.starts_with("/auth/customer/emailpass") && *status == 401 {
            // No body: Medusa's message for a missing email.
            assert_eq!(message, "Email should be a string");
        } else if *status == 401 {
            assert_eq!(message, "Unauthorized");
        } else {
            assert!(message.contains(path), "{path}: {message}");
            assert_eq!(reply.body["type"], "not_found");
        }
    }
    // With credentials, an unknown admin path is a plain 404.
    let token = store.admin_token().await;
    let reply = store.admin_get(&token, "/admin/nothing-here").await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("/admin/nothing-here"));
}
