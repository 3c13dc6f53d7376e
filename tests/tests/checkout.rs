//! The guest checkout: carts, totals, payment, completion, orders; also under concurrency.

use std::sync::Arc;

use axum::http::Method;
use serde_json::{json, Value};
use store_tests::flow::{
    self, address, cents, new_cart, ok, payment_collection, ready_cart, stocked_variants,
    system_payment_session,
};
use store_tests::TestStore;

async fn set_stock(store: &TestStore, variant: &str, stocked: i32) {
    sqlx::query(
        "UPDATE inventory_levels SET stocked_quantity = $2, reserved_quantity = 0
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)",
    )
    .bind(variant)
    .bind(stocked)
    .execute(&store.pool)
    .await
    .unwrap();
}

async fn stock_of(store: &TestStore, variant: &str) -> (i32, i32) {
    sqlx::query_as(
        "SELECT sum(stocked_quantity)::int, sum(reserved_quantity)::int FROM inventory_levels
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)",
    )
    .bind(variant)
    .fetch_one(&store.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_guest_checks_out_and_the_order_keeps_the_carts_totals() {
    let store = TestStore::new().await;
    let variants = stocked_variants(&store, 2).await;
    let cart = new_cart(&store).await;

    let added = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variants[0], "quantity": 1 }),
        )
        .await;
    assert_eq!(ok(&added)["cart"]["items"].as_array().unwrap().len(), 1);
    let again = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variants[0], "quantity": 2 }),
        )
        .await;
    let items = ok(&again)["cart"]["items"].as_array().unwrap().clone();
    assert_eq!(
        items.len(),
        1,
        "the same variant with the same metadata is one line"
    );
    assert_eq!(items[0]["quantity"], 3);
    let second = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variants[1], "quantity": 1 }),
        )
        .await;
    let line_of = |cart: &Value, variant: &str| {
        cart["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["variant_id"] == variant)
            .unwrap()
            .clone()
    };
    let line = line_of(&ok(&second)["cart"], &variants[1])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = store
        .post(
            &format!("/store/carts/{cart}/line-items/{line}"),
            json!({ "quantity": 2 }),
        )
        .await;
    assert_eq!(line_of(&ok(&updated)["cart"], &variants[1])["quantity"], 2);
    assert_eq!(line_of(&updated.body["cart"], &variants[0])["quantity"], 3);

    let with_email = store
        .post(
            &format!("/store/carts/{cart}"),
            json!({ "email": "ada@example.com", "shipping_address": address(), "billing_address": address() }),
        )
        .await;
    assert_eq!(ok(&with_email)["cart"]["email"], "ada@example.com");
    assert_eq!(
        with_email.body["cart"]["shipping_address"]["city"],
        "Copenhagen"
    );

    let promoted = store
        .post(
            &format!("/store/carts/{cart}/promotions"),
            json!({ "promo_codes": ["WELCOME10"] }),
        )
        .await;
    let cart_body = ok(&promoted)["cart"].clone();
    assert_eq!(cart_body["promotions"][0]["code"], "WELCOME10");
    assert!(cents(&cart_body["discount_total"]) > 0);

    let options = store
        .get(&format!("/store/shipping-options?cart_id={cart}"))
        .await;
    let options = ok(&options)["shipping_options"].as_array().unwrap().clone();
    assert_eq!(options.len(), 2);
    let express = options
        .iter()
        .find(|o| o["name"] == "Express Shipping")
        .unwrap();
    let shipped = store
        .post(
            &format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": express["id"] }),
        )
        .await;
    let cart_body = ok(&shipped)["cart"].clone();
    assert_eq!(cents(&cart_body["shipping_total"]), 1495);

    // Every total adds up exactly, in minor units.
    let t = |name: &str| cents(&cart_body[name]);
    assert_eq!(t("total"), t("item_total") + t("shipping_total"));
    assert_eq!(t("subtotal"), t("item_subtotal") + t("shipping_subtotal"));
    assert_eq!(t("total"), t("original_total") - t("discount_total"));
    let line_totals: i64 = cart_body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| cents(&i["total"]))
        .sum();
    assert_eq!(line_totals, t("item_total"));

    let providers = store.get("/store/payment-providers").await;
    assert_eq!(
        ok(&providers)["payment_providers"][0]["id"],
        "pp_system_default"
    );
    let collection = store
        .post("/store/payment-collections", json!({ "cart_id": cart }))
        .await;
    let collection = ok(&collection)["payment_collection"].clone();
    assert_eq!(cents(&collection["amount"]), t("total"));
    let same = store
        .post("/store/payment-collections", json!({ "cart_id": cart }))
        .await;
    assert_eq!(
        ok(&same)["payment_collection"]["id"],
        collection["id"],
        "one collection per cart"
    );
    let session = store
        .post(
            &format!(
                "/store/payment-collections/{}/payment-sessions",
                collection["id"].as_str().unwrap()
            ),
            json!({ "provider_id": "pp_system_default" }),
        )
        .await;
    assert_eq!(
        ok(&session)["payment_collection"]["payment_sessions"][0]["status"],
        "pending"
    );

    let completed = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    let body = ok(&completed);
    assert_eq!(body["type"], "order");
    let order = body["order"].clone();
    for name in [
        "total",
        "subtotal",
        "tax_total",
        "discount_total",
        "shipping_total",
        "item_total",
        "original_total",
    ] {
        assert_eq!(order[name], cart_body[name], "{name}");
    }
    assert_eq!(order["items"].as_array().unwrap().len(), 2);
    assert_eq!(order["email"], "ada@example.com");
    // The shipping method the cart had, written with the order.
    let shipped = order["shipping_methods"].as_array().unwrap();
    assert_eq!(shipped.len(), 1, "{shipped:?}");
    for key in ["name", "amount", "shipping_option_id"] {
        assert_eq!(
            shipped[0][key], cart_body["shipping_methods"][0][key],
            "{key}"
        );
    }
    assert!(order["display_id"].as_i64().unwrap() >= 1);
    // Completion marks the session, the collection and the cart together.
    let collection_id = collection["id"].as_str().unwrap();
    let paid = &order["payment_collections"][0];
    assert_eq!(paid["id"], collection_id);
    assert_eq!(paid["status"], "authorized");
    let payment = &paid["payments"][0];
    assert_eq!(payment["provider_id"], "pp_system_default");
    assert_eq!(cents(&payment["authorized_amount"]), t("total"));
    let marked: Value = store
        .scalar(
            "SELECT jsonb_build_array(s.status, pc.order_id IS NOT NULL, c.completed_at IS NOT NULL)
               FROM payment_sessions s JOIN payment_collections pc ON pc.id = s.payment_collection_id
               JOIN carts c ON c.id = pc.cart_id",
        )
        .await;
    assert_eq!(marked, json!(["authorized", true, true]));

    let retrieved = store
        .get(&format!("/store/orders/{}", order["id"].as_str().unwrap()))
        .await;
    assert_eq!(ok(&retrieved)["order"], order);

    let replay = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    assert_eq!(
        ok(&replay)["order"]["id"],
        order["id"],
        "completing again returns the same order"
    );

    let (stocked, reserved) = stock_of(&store, &variants[0]).await;
    assert_eq!(reserved, 3, "stocked {stocked}");
    let events: i64 = store
        .scalar("SELECT count(*) FROM outbox_events WHERE name = 'order.placed'")
        .await;
    assert_eq!(events, 1);
    let placed: Value = store
        .scalar("SELECT payload FROM outbox_events WHERE name = 'order.placed'")
        .await;
    for key in ["id", "display_id", "email", "currency_code"] {
        assert_eq!(placed[key], order[key], "order.placed's {key}");
    }
    assert_eq!(placed["total"], cents(&order["total"]), "in minor units");
    let used: i64 = store
        .scalar("SELECT usage_count FROM promotions WHERE code = 'WELCOME10'")
        .await;
    assert_eq!(used, 1);

    let late = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variants[1], "quantity": 1 }),
        )
        .await;
    assert_eq!(late.status, 400);
    assert!(late.body["message"]
        .as_str()
        .unwrap()
        .contains("already completed"));
}

#[tokio::test]
async fn a_hundred_buyers_for_ten_units_make_exactly_ten_orders() {
    let store = Arc::new(TestStore::new().await);
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 10).await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let mut carts = Vec::new();
    for _ in 0..100 {
        carts.push(ready_cart(&store, &variant, 1).await);
    }
    let mut tasks = Vec::new();
    for cart in carts {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .post(&format!("/store/carts/{cart}/complete"), json!(null))
                .await
        }));
    }
    let mut orders = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status.as_u16() {
            200 => {
                assert_eq!(reply.body["type"], "order", "{}", reply.body);
                orders += 1;
            }
            409 => assert!(reply.body["message"].as_str().unwrap().contains("stock")),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(orders, 10);
    assert_eq!(
        stock_of(&store, &variant).await,
        (10, 10),
        "all ten held, none oversold"
    );
    let order_rows: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(order_rows, 10);
    let open: i64 = store
        .scalar("SELECT count(*) FROM carts WHERE completed_at IS NULL")
        .await;
    assert_eq!(
        open, 90,
        "the losers' carts stay open, nothing half-written"
    );
}

#[tokio::test]
async fn fifty_concurrent_completions_of_one_cart_make_one_order() {
    let store = Arc::new(TestStore::new().await);
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = ready_cart(&store, &variant, 2).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let cart = cart.clone();
        tasks.push(tokio::spawn(async move {
            store
                .post(&format!("/store/carts/{cart}/complete"), json!(null))
                .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status.as_u16() {
            200 => {
                ids.insert(reply.body["order"]["id"].as_str().unwrap().to_string());
            }
            409 => {}
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(ids.len(), 1, "every answer names the one order");
    let orders: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(orders, 1);
    assert_eq!(stock_of(&store, &variant).await.1, 2, "reserved once");
}

/// Adds and edits of one cart at once (a shopper's double clicks, two tabs): every unit
/// added is counted once, on one line, whichever path each request took.
#[tokio::test]
async fn twenty_concurrent_adds_and_edits_of_one_cart_lose_nothing() {
    let store = Arc::new(TestStore::new().await);
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 1_000).await;
    let cart = new_cart(&store).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let (cart, variant) = (cart.clone(), variant.clone());
        tasks.push(tokio::spawn(async move {
            let reply = store
                .post(
                    &format!("/store/carts/{cart}/line-items"),
                    json!({ "variant_id": variant, "quantity": 1 }),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let reply = store
                .post(
                    &format!("/store/carts/{cart}"),
                    json!({ "email": format!("shopper{i}@example.com"), "shipping_address": address() }),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let cart = ok(&store.get(&format!("/store/carts/{cart}")).await)["cart"].clone();
    let items = cart["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one line for one variant");
    assert_eq!(items[0]["quantity"], 20, "every unit added is counted once");
}

#[tokio::test]
async fn two_lines_sharing_an_inventory_item_cannot_oversell_it() {
    let store = TestStore::new().await;
    let variants = stocked_variants(&store, 2).await;
    // Both variants now draw on the first one's inventory item, which holds 3.
    sqlx::query(
        "UPDATE product_variant_inventory_items SET inventory_item_id =
                (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)
          WHERE variant_id = $2",
    )
    .bind(&variants[0])
    .bind(&variants[1])
    .execute(&store.pool)
    .await
    .unwrap();
    set_stock(&store, &variants[0], 3).await;
    let cart = ready_cart(&store, &variants[0], 2).await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variants[1], "quantity": 2 }),
        )
        .await);
    // The session was for the old total; start a new one for the new total.
    let collection = payment_collection(&store, &cart).await;
    system_payment_session(&store, &collection).await;

    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(
        stock_of(&store, &variants[0]).await,
        (3, 0),
        "nothing reserved"
    );
    let orders: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(orders, 0);
}

/// The reserved quantity at each of the variant's levels, by location id.
async fn reserved_by_location(store: &TestStore, variant: &str) -> Vec<(String, i32)> {
    sqlx::query_as(
        "SELECT location_id, reserved_quantity FROM inventory_levels
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)
          ORDER BY location_id",
    )
    .bind(variant)
    .fetch_all(&store.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_orders_stock_is_held_whole_at_the_fullest_location_that_covers_it() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 4).await;
    // A second warehouse of every channel with 5 of the same item ("zz" sorts last).
    for sql in [
        "INSERT INTO stock_locations (id, name) VALUES ('sloc_zz', 'Second warehouse')",
        "INSERT INTO sales_channel_stock_locations SELECT id, 'sloc_zz' FROM sales_channels",
    ] {
        sqlx::query(sql).execute(&store.pool).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO inventory_levels (id, inventory_item_id, location_id, stocked_quantity)
         SELECT 'ilev_zz', inventory_item_id, 'sloc_zz', 5 FROM product_variant_inventory_items WHERE variant_id = $1",
    )
    .bind(&variant)
    .execute(&store.pool)
    .await
    .unwrap();
    let first: String = store
        .scalar("SELECT id FROM stock_locations WHERE id <> 'sloc_zz'")
        .await;
    let held = |a: i32, b: i32| vec![(first.clone(), a), ("sloc_zz".to_string(), b)];

    // 3 fit in both (4 and 5 free): the fuller one holds them.
    flow::place_order(&store, &variant, 3, "ada@example.com").await;
    assert_eq!(reserved_by_location(&store, &variant).await, held(0, 3));
    let at: String = store.scalar("SELECT location_id FROM reservations").await;
    assert_eq!(at, "sloc_zz");
    // Now 4 and 2 free: 3 fit only in the first.
    flow::place_order(&store, &variant, 3, "grace@example.com").await;
    assert_eq!(reserved_by_location(&store, &variant).await, held(3, 3));

    // 1 and 2 free: 3 more are on the shelves but fit in neither, and an order is never
    // split across locations.
    let cart = flow::ready_cart_for(&store, &variant, 3, "alan@example.com").await;
    let refused = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(reserved_by_location(&store, &variant).await, held(3, 3));

    // With backorders allowed, the same order goes short at the fuller location.
    sqlx::query("UPDATE product_variants SET allow_backorder = TRUE WHERE id = $1")
        .bind(&variant)
        .execute(&store.pool)
        .await
        .unwrap();
    let done = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    assert_eq!(ok(&done)["type"], "order");
    assert_eq!(reserved_by_location(&store, &variant).await, held(3, 6));
}

#[tokio::test]
async fn two_lines_of_one_variant_reserve_their_own_quantities_once() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 3).await;
    let cart = ready_cart(&store, &variant, 1).await;
    // The same variant with other metadata is a line of its own.
    let added = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1, "metadata": { "gift": true } }),
        )
        .await;
    assert_eq!(ok(&added)["cart"]["items"].as_array().unwrap().len(), 2);
    let collection = payment_collection(&store, &cart).await;
    system_payment_session(&store, &collection).await;
    let done = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    assert_eq!(ok(&done)["type"], "order", "{}", done.body);
    assert_eq!(stock_of(&store, &variant).await, (3, 2));
    let reservations: Vec<i32> =
        sqlx::query_scalar("SELECT quantity FROM reservations ORDER BY quantity")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(reservations, [1, 1], "one reservation per order line");
}

#[tokio::test]
async fn a_cart_changed_after_payment_started_must_pay_again() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = ready_cart(&store, &variant, 1).await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await);
    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("payment session"));
}

#[tokio::test]
async fn stock_is_checked_when_lines_are_added_or_changed() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 5).await;
    let cart = new_cart(&store).await;
    let too_many = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 6 }),
        )
        .await;
    assert_eq!(too_many.status, 400);
    assert!(too_many.body["message"]
        .as_str()
        .unwrap()
        .contains("inventory"));
    let added = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 5 }),
        )
        .await;
    let line = ok(&added)["cart"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let more = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await;
    assert_eq!(more.status, 400, "merging into the line counts the total");
    let update = store
        .post(
            &format!("/store/carts/{cart}/line-items/{line}"),
            json!({ "quantity": 7 }),
        )
        .await;
    assert_eq!(update.status, 400);
    let cart_now = store.get(&format!("/store/carts/{cart}")).await;
    assert_eq!(
        ok(&cart_now)["cart"]["items"][0]["quantity"],
        5,
        "nothing written by the refused changes"
    );

    let deleted = store
        .send_json(
            Method::DELETE,
            &format!("/store/carts/{cart}/line-items/{line}"),
            &json!(null),
        )
        .await;
    assert_eq!(ok(&deleted)["deleted"], true);
    assert_eq!(deleted.body["parent"]["items"], json!([]));
}

#[tokio::test]
async fn a_bare_cart_takes_the_region_asked_for_by_id_currency_or_default() {
    let store = TestStore::new().await;
    let first: String = store
        .scalar("SELECT id FROM regions WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT 1")
        .await;
    let usd = store.region_id("usd").await;
    let eur = store.region_id("eur").await;
    let cases = [
        (json!({}), &first),
        (
            json!({ "currency_code": "USD", "metadata": { "source": "ad" } }),
            &usd,
        ),
        (json!({ "region_id": eur }), &eur),
    ];
    for (body, region) in cases {
        let created = store.post("/store/carts", body.clone()).await;
        let cart = ok(&created)["cart"].clone();
        assert_eq!(cart["region_id"], region.as_str(), "{body}");
        assert_eq!(cart["region"]["id"], region.as_str(), "{body}");
        let currency: String = store
            .scalar_for("SELECT currency_code FROM regions WHERE id = $1", region)
            .await;
        assert_eq!(cart["currency_code"], currency.as_str(), "{body}");
        assert_eq!(
            cart["metadata"],
            body.get("metadata").cloned().unwrap_or(Value::Null)
        );
        assert!(!cart["sales_channel_id"].as_str().unwrap().is_empty());
    }
    let carts: i64 = store.scalar("SELECT count(*) FROM carts").await;
    assert_eq!(carts, 3);
}

#[tokio::test]
async fn an_update_that_moves_the_cart_checks_its_addresses_against_the_new_region() {
    let store = TestStore::new().await;
    let usd_region = store.region_id("usd").await;
    let cart = new_cart(&store).await;
    let uri = format!("/store/carts/{cart}");
    let in_us = |city: &str| json!({ "city": city, "country_code": "us" });
    // The cart is in the European region: a US address is not within it...
    let refused = store
        .post(&uri, json!({ "shipping_address": in_us("Boston") }))
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        refused.body["message"],
        "Country with code us is not within region Europe"
    );
    // The country is checked after the row is written: the refusal rolls the write back,
    // and `updated_at` with it.
    let untouched: bool = store
        .scalar("SELECT shipping_address IS NULL AND updated_at = created_at FROM carts")
        .await;
    assert!(untouched, "a refused address was written");
    // A new cart with an address outside its region is not created at all.
    let refused = store
        .post(
            "/store/carts",
            json!({
                "region_id": store.region_id("eur").await,
                "shipping_address": in_us("Denver"),
                "email": "ada@example.com",
            }),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let carts: i64 = store.scalar("SELECT count(*) FROM carts").await;
    assert_eq!(carts, 1);
    // ...until the same request moves the cart to the US region.
    let moved = store
        .post(
            &uri,
            json!({ "region_id": usd_region, "shipping_address": in_us("Boston") }),
        )
        .await;
    let moved = ok(&moved)["cart"].clone();
    assert_eq!(moved["region_id"], usd_region.as_str());
    assert_eq!(moved["currency_code"], "usd");
    assert_eq!(moved["shipping_address"]["city"], "Boston");
    // A billing address alone leaves the shipping address as it was.
    let billed = store
        .post(&uri, json!({ "billing_address": in_us("Austin") }))
        .await;
    let billed = ok(&billed)["cart"].clone();
    assert_eq!(billed["shipping_address"]["city"], "Boston");
    assert_eq!(billed["billing_address"]["city"], "Austin");
    let stored: Value = store
        .scalar("SELECT jsonb_build_array(shipping_address->>'city', billing_address->>'city') FROM carts")
        .await;
    assert_eq!(stored, json!(["Boston", "Austin"]));
}

#[tokio::test]
async fn bad_cart_input_gets_a_4xx_that_says_what_is_wrong_and_writes_nothing() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let draft_variant: String = store
        .scalar("SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'draft' LIMIT 1")
        .await;
    let usd_region = store.region_id("usd").await;
    let cart = new_cart(&store).await;
    let other_option: String = store
        .scalar("SELECT s.id FROM shipping_options s JOIN regions r ON r.id = s.region_id WHERE r.currency_code = 'usd' LIMIT 1")
        .await;
    let lines = format!("/store/carts/{cart}/line-items");
    let cases: Vec<(&str, String, Value, u16, &str)> = vec![
        (
            "POST",
            "/store/carts".into(),
            json!({ "region_id": 42, "nonsense": true }),
            400,
            "region_id",
        ),
        (
            "POST",
            "/store/carts".into(),
            json!({ "region_id": usd_region, "currency_code": "eur" }),
            400,
            "eur",
        ),
        (
            "POST",
            "/store/carts".into(),
            json!({ "region_id": "reg_01JUNKNOWN" }),
            404,
            "reg_01JUNKNOWN",
        ),
        (
            "POST",
            "/store/carts".into(),
            json!({ "sales_channel_id": "sc_elsewhere" }),
            400,
            "sc_elsewhere",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": variant, "quantity": 0 }),
            400,
            "quantity",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": variant, "quantity": -3 }),
            400,
            "quantity",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": variant, "quantity": 1_000_000_000_000i64 }),
            400,
            "quantity",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": variant, "quantity": "two" }),
            400,
            "quantity",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": "variant_nope", "quantity": 1 }),
            400,
            "variant_nope",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "variant_id": draft_variant, "quantity": 1 }),
            400,
            "not published",
        ),
        (
            "POST",
            lines.clone(),
            json!({ "quantity": 1 }),
            400,
            "variant_id",
        ),
        (
            "POST",
            format!("/store/carts/{cart}"),
            json!({ "email": "not-an-email" }),
            400,
            "email",
        ),
        (
            "POST",
            format!("/store/carts/{cart}"),
            json!({ "shipping_address": { "country_code": "us" } }),
            400,
            "us",
        ),
        (
            "POST",
            format!("/store/carts/{cart}"),
            json!({ "shipping_address": { "planet": "Mars" } }),
            400,
            "planet",
        ),
        (
            "POST",
            format!("/store/carts/{cart}/promotions"),
            json!({ "promo_codes": ["NOPE"] }),
            400,
            "NOPE",
        ),
        (
            "POST",
            format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": other_option }),
            400,
            "not valid",
        ),
        (
            "POST",
            format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": "so_nope" }),
            400,
            "so_nope",
        ),
        (
            "POST",
            format!("/store/carts/{cart}/complete"),
            json!(null),
            400,
            "no items",
        ),
        (
            "POST",
            format!("/store/carts/{cart}/line-items/cali_nope"),
            json!({ "quantity": 1 }),
            404,
            "cali_nope",
        ),
        (
            "GET",
            "/store/carts/cart_does_not_exist".into(),
            json!(null),
            404,
            "cart_does_not_exist",
        ),
        (
            "GET",
            "/store/carts/bad%20id".into(),
            json!(null),
            400,
            "cart_",
        ),
        (
            "GET",
            "/store/shipping-options".into(),
            json!(null),
            400,
            "cart_id",
        ),
        (
            "POST",
            "/store/payment-collections".into(),
            json!({}),
            400,
            "cart_id",
        ),
        (
            "POST",
            "/store/payment-collections/pay_col_nope/payment-sessions".into(),
            json!({ "provider_id": "pp_system_default" }),
            404,
            "pay_col_nope",
        ),
        (
            "GET",
            "/store/orders/order_does_not_exist".into(),
            json!(null),
            404,
            "order_does_not_exist",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let reply = if method == "GET" {
            store.get(&path).await
        } else {
            store.send_json(Method::POST, &path, &body).await
        };
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {path} {body}: {}",
            reply.body
        );
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{method} {path}: {message:?} should mention {needle:?}"
        );
    }
    let collection = payment_collection(&store, &cart).await;
    let unknown_provider = store
        .post(
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            json!({ "provider_id": "pp_nope" }),
        )
        .await;
    assert_eq!(unknown_provider.status, 400);
    assert!(unknown_provider.body["message"]
        .as_str()
        .unwrap()
        .contains("pp_nope"));

    let after = store.get(&format!("/store/carts/{cart}")).await;
    let after = ok(&after)["cart"].clone();
    assert_eq!(after["items"], json!([]));
    assert_eq!(after["email"], Value::Null);
    assert_eq!(after["shipping_address"], Value::Null);
    assert_eq!(after["promotions"], json!([]));
    assert_eq!(after["shipping_methods"], json!([]));
    let carts: i64 = store.scalar("SELECT count(*) FROM carts").await;
    assert_eq!(carts, 1, "refused carts were not created");
}

/// A store whose checkout talks to a local Stripe fake.
async fn store_with_stripe() -> (TestStore, store_tests::stripe_fake::StripeFake) {
    let fake = store_tests::stripe_fake::StripeFake::start().await;
    let store = TestStore::new().await;
    let payments = store_stripe::providers(Some(fake.config(std::time::Duration::from_secs(5))));
    (store.with_payments(payments), fake)
}

/// A ready cart whose payment session is a Stripe PaymentIntent; returns (cart, intent id).
async fn stripe_cart(store: &TestStore, variant: &str, quantity: i64) -> (String, String) {
    let cart = ready_cart(store, variant, quantity).await;
    let collection = payment_collection(store, &cart).await;
    let session = store
        .post(
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            json!({ "provider_id": "pp_stripe_stripe" }),
        )
        .await;
    let session = ok(&session)["payment_collection"]["payment_sessions"][0].clone();
    assert_eq!(session["provider_id"], "pp_stripe_stripe");
    assert!(session["data"]["client_secret"]
        .as_str()
        .unwrap()
        .contains("_secret_"));
    (cart, session["data"]["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_new_payment_session_cancels_the_one_it_replaces_at_the_provider() {
    let (store, fake) = store_with_stripe().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let (cart, first) = stripe_cart(&store, &variant, 1).await;
    let collection = payment_collection(&store, &cart).await;
    let again = store
        .post(
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            json!({ "provider_id": "pp_stripe_stripe" }),
        )
        .await;
    let sessions = ok(&again)["payment_collection"]["payment_sessions"].clone();
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
    let second = sessions[0]["data"]["id"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(fake.intent(&first).unwrap()["status"], "canceled");
    assert_ne!(fake.intent(second).unwrap()["status"], "canceled");
}

/// A ready cart of one unit paid through Stripe, with its payment collection; returns
/// the store, the fake, the variant, the cart and the collection.
async fn stripe_collection() -> (
    Arc<TestStore>,
    store_tests::stripe_fake::StripeFake,
    String,
    String,
    String,
) {
    let (store, fake) = store_with_stripe().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = ready_cart(&store, &variant, 1).await;
    let collection = payment_collection(&store, &cart).await;
    (Arc::new(store), fake, variant, cart, collection)
}

/// Every intent at the fake is canceled but `kept`'s.
fn only_kept_is_live(fake: &store_tests::stripe_fake::StripeFake, kept: &str) {
    for intent in fake.intents() {
        let canceled = intent["status"] == "canceled";
        assert_eq!(canceled, intent["id"] != kept, "{intent}");
    }
}

/// Sessions started at once for one collection (a double click, two tabs) leave one live
/// session, and every PaymentIntent started for the others is canceled at Stripe, whichever
/// path each request took.
#[tokio::test]
async fn concurrent_payment_sessions_leave_one_and_cancel_every_other_intent() {
    let (store, fake, _, cart, collection) = stripe_collection().await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = store.clone();
        let path = format!("/store/payment-collections/{collection}/payment-sessions");
        tasks.push(tokio::spawn(async move {
            store
                .post(&path, json!({ "provider_id": "pp_stripe_stripe" }))
                .await
        }));
    }
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(
            ok(&reply)["payment_collection"]["payment_sessions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    let live: Vec<(Value, i64)> = sqlx::query_as(
        "SELECT data, amount FROM payment_sessions WHERE payment_collection_id = $1",
    )
    .bind(&collection)
    .fetch_all(&store.pool)
    .await
    .unwrap();
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(fake.intent_count() >= 12, "{} intents", fake.intent_count());
    only_kept_is_live(&fake, live[0].0["id"].as_str().unwrap());
    let total = cents(&ok(&store.get(&format!("/store/carts/{cart}")).await)["cart"]["total"]);
    assert_eq!(live[0].1, total);
}

/// Starting a payment session holds no lock while the gateway answers: a change of the
/// cart made meanwhile does not wait for it, and the session is then started again for the
/// cart as changed, the first intent canceled.
#[tokio::test]
async fn a_slow_gateway_does_not_hold_the_cart_while_a_session_starts() {
    let (store, fake, variant, cart, collection) = stripe_collection().await;
    fake.set_delay(Some(std::time::Duration::from_millis(800)));
    let session = {
        let store = store.clone();
        let path = format!("/store/payment-collections/{collection}/payment-sessions");
        tokio::spawn(async move {
            store
                .post(&path, json!({ "provider_id": "pp_stripe_stripe" }))
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let line = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await;
    let took = started.elapsed();
    fake.set_delay(None);
    assert!(
        took < std::time::Duration::from_millis(400),
        "the change waited for the gateway: {took:?}"
    );
    let reply = session.await.unwrap();
    let sessions = &ok(&reply)["payment_collection"]["payment_sessions"];
    assert_eq!(
        cents(&sessions[0]["amount"]),
        cents(&ok(&line)["cart"]["total"]),
        "the session is for the cart as changed"
    );
    assert_eq!(fake.intent_count(), 2);
    only_kept_is_live(&fake, sessions[0]["data"]["id"].as_str().unwrap());
}

#[tokio::test]
async fn a_declined_card_answers_with_the_cart_and_the_reason_and_reserves_nothing() {
    let (store, fake) = store_with_stripe().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let before = stock_of(&store, &variant).await;
    let (cart, intent) = stripe_cart(&store, &variant, 2).await;
    let created = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/payment_intents")
        .unwrap();
    let cart_total: i64 = store.get(&format!("/store/carts/{cart}")).await.body["cart"]["total"]
        .as_f64()
        .map(|t| (t * 100.0).round() as i64)
        .unwrap();
    assert_eq!(
        created.param("amount"),
        Some(cart_total.to_string().as_str())
    );
    assert_eq!(created.param("currency"), Some("eur"));

    fake.decline(&intent);
    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    let body = ok(&reply);
    assert_eq!(body["type"], "cart");
    assert_eq!(body["cart"]["id"], cart.as_str());
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(stock_of(&store, &variant).await, before, "nothing reserved");
    let orders: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(orders, 0);

    // The shopper tries another card, which goes through.
    fake.confirm(&intent);
    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    assert_eq!(ok(&reply)["type"], "order");
    assert_eq!(stock_of(&store, &variant).await.1, before.1 + 2);
}

#[tokio::test]
async fn an_authorization_is_cancelled_when_the_order_cannot_be_placed() {
    let (store, fake) = store_with_stripe().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    set_stock(&store, &variant, 1).await;
    let (cart, intent) = stripe_cart(&store, &variant, 1).await;
    fake.confirm(&intent);
    // Someone else takes the last unit after this cart was filled.
    store.execute_for("UPDATE inventory_levels SET reserved_quantity = 1
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)", &variant).await;
    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!(null))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    let cancelled = fake
        .requests()
        .iter()
        .any(|r| r.path == format!("/v1/payment_intents/{intent}/cancel"));
    assert!(cancelled, "the authorization was released");
    let orders: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(orders, 0);
}

#[tokio::test]
async fn a_variant_outside_the_keys_sales_channel_cannot_be_added() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    store
        .execute("INSERT INTO sales_channels (id, name) VALUES ('sc_wholesale', 'Wholesale')")
        .await;
    store
        .execute_for(
            "UPDATE product_sales_channels SET sales_channel_id = 'sc_wholesale'
          WHERE product_id = (SELECT product_id FROM product_variants WHERE id = $1)",
            &variant,
        )
        .await;
    let cart = new_cart(&store).await;
    let reply = store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains(variant.as_str()));
    let lines: i64 = store.scalar("SELECT count(*) FROM cart_line_items").await;
    assert_eq!(lines, 0);
}

/// A cart without `fields` is serialized straight from its typed shape; with `fields` it
/// goes through a `Value` that `fields` adjusts. Removing a field that is not there must
/// give the same answer, so the two paths cannot drift apart.
#[tokio::test]
async fn a_cart_answers_the_same_with_or_without_a_fields_pass() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = ready_cart(&store, &variant, 2).await;
    let collection = payment_collection(&store, &cart).await;
    system_payment_session(&store, &collection).await;
    let whole = store.get(&format!("/store/carts/{cart}")).await;
    assert_eq!(whole.status, 200, "{}", whole.body);
    for fields in ["-no_such_field", "+items,*region.countries"] {
        let adjusted = store
            .get(&format!("/store/carts/{cart}?fields={fields}"))
            .await;
        assert_eq!(adjusted.status, 200, "{}", adjusted.body);
        assert_eq!(adjusted.body, whole.body, "{fields}");
    }
    let cart = &whole.body["cart"];
    for filled in ["items", "shipping_methods", "payment_collection", "region"] {
        assert!(!cart[filled].is_null(), "{filled}: {cart}");
    }
}

/// The store lists only active shipping options; one deactivated after a storefront
/// listed it cannot be chosen either.
#[tokio::test]
async fn a_deactivated_shipping_option_cannot_be_chosen() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = new_cart(&store).await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await);
    let option = store_tests::flow::first_shipping_option(&store, &cart).await;
    store
        .execute_for(
            "UPDATE shipping_options SET is_active = false WHERE id = $1",
            &option,
        )
        .await;
    let refused = store
        .post(
            &format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": option }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("inactive"),
        "{}",
        refused.body
    );
    let unchanged = store.get(&format!("/store/carts/{cart}")).await;
    assert_eq!(
        ok(&unchanged)["cart"]["shipping_methods"],
        json!([]),
        "nothing written"
    );

    store
        .execute_for(
            "UPDATE shipping_options SET is_active = true WHERE id = $1",
            &option,
        )
        .await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": option }),
        )
        .await);
}

/// Runs `request` while another transaction holds the cart's row, having run `change` on
/// it (`$1` is the cart's id), and commits that transaction 300 ms later. Answers the
/// reply, which must have waited for that commit.
async fn during_change<F: std::future::Future<Output = store_tests::Reply>>(
    store: &TestStore,
    cart: &str,
    change: &[&'static str],
    request: F,
) -> store_tests::Reply {
    let mut tx = store.pool.begin().await.unwrap();
    for sql in change {
        sqlx::query(*sql)
            .bind(cart)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let (reply, ()) = tokio::join!(request, async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
    });
    let took = started.elapsed();
    assert!(
        took.as_millis() >= 250,
        "did not wait for the change: {took:?}"
    );
    reply
}

/// The checkout's writes that take no transaction of their own (an email or address,
/// the shipping method, a line, the payment collection, a payment session) wait for a change of the cart in flight
/// and answer the cart as that change left it; a completion in flight turns them away
/// with nothing written.
#[tokio::test]
async fn untransacted_checkout_writes_wait_for_a_change_in_flight() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = flow::filled_cart(&store, &variant, 1, "ada@example.com", address()).await;
    let option = flow::first_shipping_option(&store, &cart).await;
    let uri = format!("/store/carts/{cart}");
    let methods = format!("/store/carts/{cart}/shipping-methods");
    let lines = format!("/store/carts/{cart}/line-items");
    // Another request adds a unit to the line, as a change does: under the row's lock,
    // writing the row.
    let another_unit = [
        "SELECT 1 FROM carts WHERE id = $1 FOR UPDATE",
        "UPDATE cart_line_items SET quantity = quantity + 1 WHERE cart_id = $1",
        "UPDATE carts SET updated_at = now() WHERE id = $1",
    ];

    let held = async |request| during_change(&store, &cart, &another_unit, request).await;
    let quantity = |reply: &store_tests::Reply| ok(reply)["cart"]["items"][0]["quantity"].clone();

    let reply = held(store.post(&uri, json!({ "email": "grace@example.com" }))).await;
    assert_eq!(ok(&reply)["cart"]["email"], "grace@example.com");
    assert_eq!(quantity(&reply), 2, "the answer missed the change");

    let reply = held(store.post(&methods, json!({ "option_id": option }))).await;
    assert_eq!(
        ok(&reply)["cart"]["shipping_methods"][0]["shipping_option_id"],
        option
    );
    assert_eq!(quantity(&reply), 3, "the answer missed the change");

    // Adding to the same line adds to what the change left, not to what was there before.
    let line = json!({ "variant_id": variant, "quantity": 1 });
    let reply = held(store.post(&lines, line)).await;
    assert_eq!(ok(&reply)["cart"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(quantity(&reply), 5, "a unit was lost");

    let collection = json!({ "cart_id": cart });
    let reply = held(store.post("/store/payment-collections", collection)).await;
    let now = store.get(&uri).await;
    assert_eq!(quantity(&now), 6);
    assert_eq!(
        cents(&ok(&reply)["payment_collection"]["amount"]),
        cents(&ok(&now)["cart"]["total"]),
        "the collection is for the cart's total before the change"
    );

    // A payment session is for the cart's total as the change left it.
    let collection_id = ok(&reply)["payment_collection"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sessions = format!("/store/payment-collections/{collection_id}/payment-sessions");
    let provider = json!({ "provider_id": "pp_system_default" });
    let reply = held(store.post(&sessions, provider.clone())).await;
    let now = store.get(&uri).await;
    assert_eq!(quantity(&now), 7);
    let written = &ok(&reply)["payment_collection"];
    assert_eq!(written["payment_sessions"].as_array().unwrap().len(), 1);
    for amount in [
        &written["amount"],
        &written["payment_sessions"][0]["amount"],
    ] {
        assert_eq!(
            cents(amount),
            cents(&ok(&now)["cart"]["total"]),
            "the session is for the cart's total before the change"
        );
    }

    // A completion in flight: each of them waits, is refused once it commits, and writes
    // nothing.
    let complete = [
        "SELECT 1 FROM carts WHERE id = $1 FOR UPDATE",
        "UPDATE carts SET completed_at = now(), updated_at = now() WHERE id = $1",
    ];
    let written = "SELECT c.email, p.amount, p.updated_at, m.shipping_option_id, m.created_at,
                          (SELECT sum(quantity) FROM cart_line_items WHERE cart_id = c.id)::bigint,
                          (SELECT string_agg(id, ',') FROM payment_sessions
                            WHERE payment_collection_id = p.id)
                     FROM carts c JOIN payment_collections p ON p.cart_id = c.id
                     JOIN cart_shipping_methods m ON m.cart_id = c.id WHERE c.id = $1";
    type Written = (
        Option<String>,
        i64,
        chrono::DateTime<chrono::Utc>,
        String,
        chrono::DateTime<chrono::Utc>,
        i64,
        Option<String>,
    );
    let before: Written = sqlx::query_as(written)
        .bind(&cart)
        .fetch_one(&store.pool)
        .await
        .unwrap();
    let requests = [
        (uri.clone(), json!({ "email": "linus@example.com" })),
        (methods.clone(), json!({ "option_id": option })),
        (
            lines.clone(),
            json!({ "variant_id": variant, "quantity": 1 }),
        ),
        (
            "/store/payment-collections".to_string(),
            json!({ "cart_id": cart }),
        ),
        (sessions.clone(), provider.clone()),
    ];
    for (path, body) in requests {
        sqlx::query("UPDATE carts SET completed_at = NULL WHERE id = $1")
            .bind(&cart)
            .execute(&store.pool)
            .await
            .unwrap();
        let reply = during_change(&store, &cart, &complete, store.post(&path, body)).await;
        assert_eq!(reply.status, 400, "{path}: {:?}", reply.body);
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .contains("already completed"),
            "{path}: {:?}",
            reply.body
        );
    }
    let after: Written = sqlx::query_as(written)
        .bind(&cart)
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "a completed cart changed");
}

/// A cart whose region was deleted takes no change through the checkout's untransacted
/// writes: each is refused with a 400, and nothing is written.
#[tokio::test]
async fn a_cart_whose_region_is_gone_takes_no_change() {
    let store = TestStore::new().await;
    let variant = stocked_variants(&store, 1).await.remove(0);
    let cart = flow::filled_cart(&store, &variant, 1, "ada@example.com", address()).await;
    let option = flow::first_shipping_option(&store, &cart).await;
    sqlx::query(
        "UPDATE regions SET deleted_at = now() WHERE id = (SELECT region_id FROM carts WHERE id = $1)",
    )
    .bind(&cart)
    .execute(&store.pool)
    .await
    .unwrap();
    let requests = [
        (
            format!("/store/carts/{cart}"),
            json!({ "email": "grace@example.com" }),
        ),
        (
            format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": option }),
        ),
        (
            format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        ),
        (
            "/store/payment-collections".to_string(),
            json!({ "cart_id": cart }),
        ),
    ];
    for (path, body) in requests {
        let reply = store.post(&path, body).await;
        assert_eq!(reply.status, 400, "{path}: {:?}", reply.body);
    }
    let written: (Option<String>, i64, i64, i64) = sqlx::query_as(
        "SELECT email, (SELECT count(*) FROM cart_shipping_methods WHERE cart_id = c.id),
                (SELECT sum(quantity) FROM cart_line_items WHERE cart_id = c.id)::bigint,
                (SELECT count(*) FROM payment_collections WHERE cart_id = c.id)
           FROM carts c WHERE id = $1",
    )
    .bind(&cart)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(written, (Some("ada@example.com".to_string()), 0, 1, 0));
}
