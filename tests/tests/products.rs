//! The products routes as a storefront uses them.

use store_tests::flow::{self, each};
use store_tests::TestStore;

#[tokio::test]
async fn listing_products_for_a_region_prices_every_variant_in_its_currency() {
    let store = TestStore::new().await;
    let region = store.region_id("eur").await;
    let reply = store
        .get(&format!("/store/products?limit=20&region_id={region}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["limit"], 20);
    assert_eq!(reply.body["offset"], 0);
    let published: i64 = store
        .scalar("SELECT count(*) FROM products WHERE status = 'published'")
        .await;
    assert_eq!(reply.body["count"], published);
    let products = reply.body["products"].as_array().unwrap();
    assert_eq!(products.len(), 20);
    for product in products {
        let variants = product["variants"].as_array().unwrap();
        assert_eq!(variants.len(), 3);
        for variant in variants {
            let price = &variant["calculated_price"];
            assert_eq!(price["currency_code"], "eur");
            assert_eq!(price["is_calculated_price_tax_inclusive"], true);
            let expected = store.eur_price(variant).await;
            let shown = price["calculated_amount"].as_f64().unwrap();
            assert_eq!((shown * 100.0).round() as i64, expected, "{variant}");
            assert_eq!(price["original_amount"], price["calculated_amount"]);
            // Medusa shows the tax figures only for a country (below), not for a region.
            for figure in TAX_FIGURES {
                assert!(price.get(figure).is_none(), "{figure}: {price}");
            }
            assert!(variant.get("inventory_quantity").is_none());
        }
    }
}

/// What Medusa adds to a `calculated_price` when it knows the shopper's country.
const TAX_FIGURES: [&str; 4] = [
    "calculated_amount_with_tax",
    "calculated_amount_without_tax",
    "original_amount_with_tax",
    "original_amount_without_tax",
];

#[tokio::test]
async fn prices_follow_the_currency_and_tax_rules_of_the_region_asked_for() {
    let store = TestStore::new().await;
    let usd = store.region_id("usd").await;
    let reply = store
        .get(&format!(
            "/store/products?limit=1&region_id={usd}&country_code=us"
        ))
        .await;
    let price = &reply.body["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(price["currency_code"], "usd");
    assert_eq!(price["is_calculated_price_tax_inclusive"], false);
    let amount = price["calculated_amount"].as_f64().unwrap();
    let with_tax = price["calculated_amount_with_tax"].as_f64().unwrap();
    assert!((with_tax - (amount * 1.08 * 100.0).round() / 100.0).abs() < 0.0051);
    assert_eq!(
        price["calculated_amount_without_tax"],
        price["calculated_amount"]
    );

    let by_country = store.get("/store/products?limit=1&country_code=us").await;
    assert_eq!(
        by_country.body["products"][0]["variants"][0]["calculated_price"],
        *price
    );

    // A tax-inclusive region's net price is extracted from its price (21 % VAT).
    let eur = store.region_id("eur").await;
    let reply = store
        .get(&format!(
            "/store/products?limit=1&region_id={eur}&country_code=dk"
        ))
        .await;
    let variant = &reply.body["products"][0]["variants"][0];
    let price = &variant["calculated_price"];
    let expected = store.eur_price(variant).await;
    assert_eq!(flow::cents(&price["calculated_amount_with_tax"]), expected);
    let net = price["calculated_amount_without_tax"].as_f64().unwrap();
    let expected_net = (expected as f64 / 1.21).round() / 100.0;
    assert!(
        (net - expected_net).abs() < 0.0051,
        "{net} vs {expected_net}"
    );

    // The region alone: Medusa 2.21.2 answers without the tax figures.
    let alone = store
        .get(&format!("/store/products?limit=1&region_id={usd}"))
        .await;
    let bare = &alone.body["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(&bare["calculated_amount"], price_of(&by_country));
    for figure in TAX_FIGURES {
        assert!(bare.get(figure).is_none(), "{figure}: {bare}");
    }
    // Nor with automatic taxes off, as Medusa.
    store
        .execute_for(
            "UPDATE regions SET automatic_taxes = false WHERE id = $1",
            &usd,
        )
        .await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let off = store.get("/store/products?limit=1&country_code=us").await;
    let off = &off.body["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(&off["calculated_amount"], price_of(&by_country));
    for figure in TAX_FIGURES {
        assert!(off.get(figure).is_none(), "{figure}: {off}");
    }

    let by_currency = store.get("/store/products?limit=1&currency_code=EUR").await;
    let bare = &by_currency.body["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(bare["currency_code"], "eur");
    assert!(bare.get("calculated_amount_with_tax").is_none());

    let without = store.get("/store/products?limit=1").await;
    assert!(without.body["products"][0]["variants"][0]
        .get("calculated_price")
        .is_none());
    let removed = store
        .get(&format!(
            "/store/products?limit=1&region_id={usd}&fields=-variants.calculated_price"
        ))
        .await;
    assert!(removed.body["products"][0]["variants"][0]
        .get("calculated_price")
        .is_none());
}

#[tokio::test]
async fn asking_for_prices_without_a_region_or_currency_is_a_400() {
    let store = TestStore::new().await;
    let reply = store
        .get("/store/products?fields=*variants.calculated_price")
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["type"], "invalid_data");
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("region_id"));
}

#[tokio::test]
async fn inventory_quantity_is_stock_on_hand_minus_reservations_when_asked_for() {
    let store = TestStore::new().await;
    let product = store
        .get("/store/products?limit=1&order=handle&fields=%2Bvariants.inventory_quantity")
        .await;
    let variant = &product.body["products"][0]["variants"][0];
    let variant_id = variant["id"].as_str().unwrap();
    let stocked: i32 = store
        .scalar_for(
            "SELECT l.stocked_quantity FROM inventory_levels l
           JOIN product_variant_inventory_items vi ON vi.inventory_item_id = l.inventory_item_id
          WHERE vi.variant_id = $1",
            variant_id,
        )
        .await;
    assert_eq!(variant["inventory_quantity"], stocked);

    store.execute_for("UPDATE inventory_levels SET stocked_quantity = 10, reserved_quantity = 3
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)", variant_id).await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let again = store
        .get(&format!(
            "/store/products/{}?fields=%2Bvariants.inventory_quantity",
            product.body["products"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        again.body["product"]["variants"][0]["inventory_quantity"],
        7
    );
}

#[tokio::test]
async fn a_product_is_retrieved_by_id_and_found_by_handle() {
    let store = TestStore::new().await;
    let region = store.region_id("eur").await;
    let first = store.get("/store/products?limit=1&order=title").await;
    let product = &first.body["products"][0];
    let id = product["id"].as_str().unwrap();
    let handle = product["handle"].as_str().unwrap();

    let by_id = store
        .get(&format!("/store/products/{id}?region_id={region}"))
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["product"]["id"], id);
    assert!(
        by_id.body["product"]["variants"][0]["calculated_price"]["calculated_amount"].is_number()
    );
    assert_eq!(
        by_id.body["product"]["options"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        by_id.body["product"]["variants"][0]["options"][0]["option"]["id"],
        by_id.body["product"]["options"][0]["id"]
    );

    let by_handle = store.get(&format!("/store/products?handle={handle}")).await;
    assert_eq!(by_handle.body["count"], 1);
    assert_eq!(by_handle.body["products"][0]["id"], id);

    let missing = store.get("/store/products/prod_does_not_exist").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["type"], "not_found");
    assert_eq!(
        missing.body["message"],
        "Product with id: prod_does_not_exist was not found"
    );
}

#[tokio::test]
async fn drafts_and_products_outside_the_keys_sales_channels_are_invisible() {
    let store = TestStore::new().await;
    let draft: String = store
        .scalar("SELECT id FROM products WHERE status = 'draft' LIMIT 1")
        .await;
    assert_eq!(
        store.get(&format!("/store/products/{draft}")).await.status,
        404
    );
    let listed = store.get(&format!("/store/products?id={draft}")).await;
    assert_eq!(listed.body["count"], 0);

    let hidden: String = store
        .scalar("SELECT id FROM products WHERE status = 'published' ORDER BY handle LIMIT 1")
        .await;
    store
        .execute("INSERT INTO sales_channels (id, name) VALUES ('sc_wholesale', 'Wholesale')")
        .await;
    store.execute_for("UPDATE product_sales_channels SET sales_channel_id = 'sc_wholesale' WHERE product_id = $1", &hidden).await;
    assert_eq!(
        store.get(&format!("/store/products/{hidden}")).await.status,
        404
    );
    let foreign = store
        .get("/store/products?sales_channel_id=sc_wholesale")
        .await;
    assert_eq!(foreign.status, 400);
    assert!(foreign.body["message"]
        .as_str()
        .unwrap()
        .contains("sc_wholesale"));
}

#[tokio::test]
async fn pages_are_ordered_and_add_up_to_the_count() {
    let store = TestStore::new().await;
    let count = store.get("/store/products?limit=0").await.body["count"]
        .as_i64()
        .unwrap();
    assert!(count >= 200);
    assert_eq!(
        store.get("/store/products?limit=0").await.body["products"],
        serde_json::json!([])
    );
    let mut seen = Vec::new();
    let mut offset = 0;
    while offset < count {
        let page = store
            .get(&format!(
                "/store/products?limit=100&offset={offset}&order=title"
            ))
            .await;
        assert_eq!(page.body["count"], count);
        for p in page.body["products"].as_array().unwrap() {
            seen.push(p["title"].as_str().unwrap().to_string());
        }
        offset += 100;
    }
    assert_eq!(seen.len() as i64, count);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "order=title sorts ascending");

    let desc = store.get("/store/products?limit=5&order=-title").await;
    let titles: Vec<&str> = desc.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        seen.iter()
            .rev()
            .take(5)
            .map(String::as_str)
            .collect::<Vec<_>>()
    );

    let past_end = store
        .get(&format!("/store/products?offset={}", count + 10))
        .await;
    assert_eq!(past_end.body["count"], count);
    assert_eq!(past_end.body["products"], serde_json::json!([]));
}

#[tokio::test]
async fn filters_by_id_list_category_collection_tag_and_type_narrow_the_list() {
    let store = TestStore::new().await;
    let two: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM products WHERE status = 'published' ORDER BY id LIMIT 2",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let reply = store
        .get(&format!(
            "/store/products?id[0]={}&id[1]={}",
            two[0], two[1]
        ))
        .await;
    let mut found = each(&reply.body, "products", "id");
    found.sort();
    assert_eq!(found, two);

    for (param, sql) in [
        (
            "category_id",
            "SELECT category_id FROM product_category_links LIMIT 1",
        ),
        (
            "collection_id",
            "SELECT id FROM product_collections ORDER BY handle LIMIT 1",
        ),
        ("tag_id", "SELECT tag_id FROM product_tag_links LIMIT 1"),
        (
            "type_id",
            "SELECT id FROM product_types ORDER BY value LIMIT 1",
        ),
    ] {
        let id: String = sqlx::query_scalar(sql)
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let reply = store
            .get(&format!(
                "/store/products?{param}={id}&limit=200&fields=%2Bcategories"
            ))
            .await;
        assert_eq!(reply.status, 200, "{param}: {}", reply.body);
        let products = reply.body["products"].as_array().unwrap();
        assert!(!products.is_empty(), "{param}");
        let total = reply.body["count"].as_i64().unwrap();
        assert!(total < 231, "{param} must narrow the list");
        for p in products {
            let matches = match param {
                "category_id" => p["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["id"] == id.as_str()),
                "collection_id" => {
                    p["collection_id"] == id.as_str() && p["collection"]["id"] == id.as_str()
                }
                "tag_id" => p["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["id"] == id.as_str()),
                _ => p["type_id"] == id.as_str() && p["type"]["id"] == id.as_str(),
            };
            assert!(matches, "{param}={id} returned {}", p["id"]);
        }
    }
}

#[tokio::test]
async fn q_searches_title_description_and_handle_by_word_prefix() {
    let store = TestStore::new().await;
    let expected: i64 = store
        .scalar("SELECT count(*) FROM products WHERE status = 'published' AND (title ILIKE '%merino%' OR description ILIKE '%merino%')")
        .await;
    assert!(expected > 0);
    let reply = store.get("/store/products?q=merino&limit=200").await;
    assert_eq!(reply.body["count"], expected);
    for p in reply.body["products"].as_array().unwrap() {
        assert!(p["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("merino"));
    }
    let prefix = store.get("/store/products?q=meri&limit=200").await;
    assert_eq!(prefix.body["count"], expected);
    let both = store
        .get("/store/products?q=merino%20hoodie&limit=200")
        .await;
    for p in both.body["products"].as_array().unwrap() {
        let title = p["title"].as_str().unwrap().to_lowercase();
        assert!(
            title.contains("merino") && title.contains("hoodie"),
            "{title}"
        );
    }
    let nothing = store.get("/store/products?q=zzzzqqq").await;
    assert_eq!(nothing.body["count"], 0);
    let syntax = store.get("/store/products?q=%27%3A*%20%26%20!").await;
    assert_eq!(
        syntax.status, 200,
        "tsquery syntax in q is plain text, not an error"
    );
}

fn price_of(reply: &store_tests::Reply) -> &serde_json::Value {
    &reply.body["products"][0]["variants"][0]["calculated_price"]["calculated_amount"]
}

#[tokio::test]
async fn a_cart_prices_products_in_its_region_with_taxes_for_its_shipping_country_and_privately() {
    let store = TestStore::new().await;
    let cart = flow::new_cart(&store).await;
    let usd = store.region_id("usd").await;
    // The cart's region (EUR) over `region_id`, as in Medusa.
    let uri = format!("/store/products?limit=1&cart_id={cart}&region_id={usd}");
    let before = store.get(&uri).await;
    let price = &flow::ok(&before)["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(price["currency_code"], "eur");
    for figure in TAX_FIGURES {
        assert!(price.get(figure).is_none(), "{figure}: {price}");
    }
    // It follows one shopper's cart: not cached, not kept by browsers or CDNs.
    assert_eq!(before.header("cache-control"), Some("private, no-store"));
    assert_eq!(before.header("x-cache"), Some("bypass"));

    let address = store
        .post(
            &format!("/store/carts/{cart}"),
            serde_json::json!({ "shipping_address": flow::address() }),
        )
        .await;
    flow::ok(&address);
    let after = store.get(&uri).await;
    let price = &flow::ok(&after)["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(
        flow::cents(&price["calculated_amount_with_tax"]),
        flow::cents(&price["calculated_amount"]),
        "Europe's prices include its tax: {price}"
    );
    assert!(price.get("calculated_amount_without_tax").is_some());

    // Without a cart, the same list is the catalog's: public and cached.
    let public = store
        .get(&format!("/store/products?limit=1&region_id={usd}"))
        .await;
    assert!(public
        .header("cache-control")
        .is_some_and(|v| v.starts_with("public")));
}
