//! The Admin API: authentication, login limits, products and stock levels.

use std::sync::Arc;

use axum::http::Method;
use base64::Engine;
use serde_json::{json, Value};
use store_tests::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, TEST_JWT_SECRET};
use store_tests::flow::{id_of, ok};
use store_tests::{Reply, TestStore};

/// A request to send: method, path and body.
type Call = (Method, String, Option<Value>);

fn get(uri: impl Into<String>) -> Call {
    (Method::GET, uri.into(), None)
}

fn post(uri: impl Into<String>, body: Value) -> Call {
    (Method::POST, uri.into(), Some(body))
}

fn delete(uri: impl Into<String>) -> Call {
    (Method::DELETE, uri.into(), None)
}

/// The `/admin/...` paths (and `/auth/token/refresh`) the function routers declare.
fn declared_admin_routes() -> Vec<String> {
    let sources = [
        include_str!("../../functions/orders/src/lib.rs"),
        include_str!("../../functions/products/src/admin.rs"),
        include_str!("../../functions/cart/src/lib.rs"),
    ];
    let mut paths = Vec::new();
    for source in sources {
        for piece in source.split("\"/").skip(1) {
            let path = format!("/{}", piece.split('"').next().unwrap());
            if (path.starts_with("/admin/") || path == "/auth/token/refresh")
                && !paths.contains(&path)
            {
                paths.push(path);
            }
        }
    }
    assert!(paths.len() > 30, "found only {paths:?}");
    paths
}

/// Whether `uri` is a request for the route `pattern` (`{id}` matches any segment).
fn path_matches(pattern: &str, uri: &str) -> bool {
    let path = uri.split('?').next().unwrap();
    let (p, u): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == u.len()
        && p.iter()
            .zip(&u)
            .all(|(p, u)| p == u || (p.starts_with('{') && p.ends_with('}')))
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

async fn count(store: &TestStore, sql: &'static str) -> i64 {
    store.scalar::<i64>(sql).await
}

#[tokio::test]
async fn every_admin_route_refuses_bad_credentials_with_one_and_the_same_401() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let variant = store.stocked_variant().await;
    let order = store.place_order(&variant, 1).await;
    let order_id = order["id"].as_str().unwrap();
    let payment_id = order["payment_collections"][0]["id"].as_str().unwrap();
    let product_id: String = store
        .scalar_for(
            "SELECT product_id FROM product_variants WHERE id = $1",
            &variant,
        )
        .await;
    let (publishable_id, channel_id): (String, String) = store.scalar_pair("SELECT publishable_key_id, sales_channel_id FROM publishable_api_key_sales_channels LIMIT 1").await;
    let region_id = store.region_id("eur").await;
    let shipping_option_id: String = store
        .scalar("SELECT id FROM shipping_options LIMIT 1")
        .await;
    let promotion_id: String = store.scalar("SELECT id FROM promotions LIMIT 1").await;
    let (item_id, location_id): (String, String) = store
        .scalar_pair("SELECT inventory_item_id, location_id FROM reservations LIMIT 1")
        .await;

    // A secret key that works, and one that worked until it was revoked.
    let key = ok(&store
        .admin_post(&token, "/admin/api-keys", json!({ "title": "erp" }))
        .await)["api_key"]
        .clone();
    let live_key = key["token"].as_str().unwrap().to_string();
    assert!(live_key.starts_with("sk_"));
    let revoked = ok(&store
        .admin_post(&token, "/admin/api-keys", json!({ "title": "old" }))
        .await)["api_key"]
        .clone();
    let revoked_key = revoked["token"].as_str().unwrap().to_string();
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/api-keys/{}/revoke", revoked["id"].as_str().unwrap()),
            json!({}),
        )
        .await);
    // The list never shows a key again.
    let keys = store.admin_get(&token, "/admin/api-keys").await;
    assert!(!ok(&keys).to_string().contains(&live_key));

    let user_id: String = store.scalar("SELECT id FROM admin_users").await;
    let now = chrono::Utc::now().timestamp();
    let expired =
        store_admin::auth::sign_token(TEST_JWT_SECRET.as_bytes(), &user_id, now - 7200, now - 3600);
    let forged = store_admin::auth::sign_token(
        b"not-the-secret-not-the-secret-not-the-secret",
        &user_id,
        now,
        now + 3600,
    );
    let unknown_user =
        store_admin::auth::sign_token(TEST_JWT_SECRET.as_bytes(), "user_gone", now, now + 3600);
    let wrong_password = store.login(ADMIN_EMAIL, "not the password", None).await;
    assert_eq!(wrong_password.status, 401);
    let unknown_email = store
        .login("nobody@example.com", ADMIN_PASSWORD, None)
        .await;
    assert_eq!(unknown_email.status, 401);
    assert_eq!(wrong_password.body, unknown_email.body);

    let bad_credentials: Vec<(&str, Option<String>)> = vec![
        ("none", None),
        ("empty bearer", Some("Bearer ".into())),
        ("garbage bearer", Some("Bearer not.a.jwt".into())),
        ("expired jwt", Some(format!("Bearer {expired}"))),
        (
            "jwt signed with another secret",
            Some(format!("Bearer {forged}")),
        ),
        (
            "jwt of an unknown user",
            Some(format!("Bearer {unknown_user}")),
        ),
        ("revoked key, basic", Some(basic(&revoked_key))),
        ("revoked key, bearer", Some(format!("Bearer {revoked_key}"))),
        (
            "unknown key",
            Some(basic(&format!("sk_{}", "0".repeat(64)))),
        ),
        ("basic with a password", Some(basic("admin@example.com:pw"))),
        ("other scheme", Some(format!("Token {token}"))),
    ];
    let routes: Vec<Call> = vec![
        get("/admin/users/me"),
        post("/auth/token/refresh", json!({})),
        get("/admin/orders"),
        get(format!("/admin/orders/{order_id}")),
        post(format!("/admin/orders/{order_id}/fulfillments"), json!({})),
        post(
            format!("/admin/orders/{order_id}/fulfillments/ful_x/shipments"),
            json!({}),
        ),
        post(
            format!("/admin/orders/{order_id}/fulfillments/ful_x/mark-as-delivered"),
            json!({}),
        ),
        post(format!("/admin/orders/{order_id}/cancel"), json!({})),
        post(
            format!("/admin/orders/{order_id}/fulfillments/ful_x/cancel"),
            json!({}),
        ),
        post(format!("/admin/payments/{payment_id}/capture"), json!({})),
        post(
            format!("/admin/payments/{payment_id}/refund"),
            json!({ "amount": 1 }),
        ),
        get("/admin/api-keys"),
        post("/admin/api-keys", json!({ "title": "sneaky" })),
        post(
            format!("/admin/api-keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        ),
        get(format!("/admin/audit-log?resource_id={order_id}")),
        get("/admin/sales-channels"),
        post("/admin/sales-channels", json!({ "name": "Sneaky" })),
        post(
            format!("/admin/sales-channels/{channel_id}"),
            json!({ "is_disabled": true }),
        ),
        post(
            format!("/admin/api-keys/{publishable_id}/sales-channels"),
            json!({ "remove": [channel_id] }),
        ),
        post(
            format!("/admin/api-keys/{publishable_id}/revoke"),
            json!({}),
        ),
        post(
            "/admin/regions",
            json!({ "name": "Sneaky", "currency_code": "eur" }),
        ),
        post(
            format!("/admin/regions/{region_id}"),
            json!({ "tax_rate": 0 }),
        ),
        get("/admin/shipping-options"),
        post(
            format!("/admin/shipping-options/{shipping_option_id}"),
            json!({ "is_active": false }),
        ),
        post(
            "/admin/shipping-options",
            json!({ "name": "Sneaky", "region_id": region_id, "amount": 0 }),
        ),
        post("/admin/product-categories", json!({ "name": "Sneaky" })),
        post("/admin/collections", json!({ "title": "Sneaky" })),
        post("/admin/product-tags", json!({ "value": "Sneaky" })),
        delete("/admin/product-tags/ptag_x"),
        delete("/admin/collections/pcol_x"),
        delete("/admin/product-categories/pcat_x"),
        get("/admin/product-categories"),
        get("/admin/collections"),
        get("/admin/product-tags"),
        get("/admin/regions"),
        get(format!("/admin/regions/{region_id}")),
        get("/admin/promotions"),
        post(
            "/admin/promotions",
            json!({ "code": "FREE", "application_method": { "type": "percentage", "value": 100 } }),
        ),
        get(format!("/admin/promotions/{promotion_id}")),
        post(
            format!("/admin/promotions/{promotion_id}"),
            json!({ "status": "inactive" }),
        ),
        get("/admin/products"),
        post(
            "/admin/products",
            json!({ "title": "Sneaky", "status": "published" }),
        ),
        get(format!("/admin/products/{product_id}")),
        post(
            format!("/admin/products/{product_id}"),
            json!({ "status": "draft" }),
        ),
        delete(format!("/admin/products/{product_id}")),
        post(
            format!("/admin/products/{product_id}/variants/{variant}"),
            json!({ "prices": [] }),
        ),
        get(format!("/admin/inventory-items/{item_id}")),
        post(
            format!("/admin/inventory-items/{item_id}/location-levels/{location_id}"),
            json!({ "stocked_quantity": 0 }),
        ),
    ];
    let audit_before = count(&store, "SELECT count(*) FROM audit_log").await;
    let events_before = count(&store, "SELECT count(*) FROM outbox_events").await;
    // Every admin route the functions declare is in the sweep (a new route must be added).
    let missing: Vec<String> = declared_admin_routes()
        .into_iter()
        .filter(|declared| !routes.iter().any(|(_, uri, _)| path_matches(declared, uri)))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the unauthenticated sweep: {missing:?}"
    );
    let expected = json!({ "type": "unauthorized", "message": "Unauthorized" });
    assert_eq!(wrong_password.body, expected);
    for (method, uri, body) in &routes {
        for (what, authorization) in &bad_credentials {
            let reply = store
                .admin_send(method.clone(), uri, authorization.as_deref(), body.clone())
                .await;
            assert_eq!(
                reply.status, 401,
                "{method} {uri} with {what}: {}",
                reply.body
            );
            assert_eq!(reply.body, expected, "{method} {uri} with {what}");
        }
    }
    // Nothing was written by any refused request.
    assert_eq!(
        count(&store, "SELECT count(*) FROM audit_log").await,
        audit_before
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox_events").await,
        events_before
    );
    assert_eq!(
        store_admin::users::list_api_keys(&store.pool, Some("secret"))
            .await
            .unwrap()["count"],
        2
    );
    let promotions: i64 = store
        .scalar("SELECT count(*) FROM promotions WHERE code = 'FREE' OR NOT is_active")
        .await;
    assert_eq!(promotions, 0);
    let untouched: i64 = store
        .scalar(
            "SELECT (SELECT count(*) FROM sales_channels WHERE is_disabled OR name = 'Sneaky')
                  + (SELECT count(*) FROM regions WHERE tax_rate_bps = 0 OR name = 'Sneaky')
                  + (SELECT count(*) FROM shipping_options WHERE name = 'Sneaky' OR NOT is_active)
                  + (SELECT count(*) FROM product_categories WHERE name = 'Sneaky')
                  + (SELECT count(*) FROM product_collections WHERE title = 'Sneaky')
                  + (SELECT count(*) FROM product_tags WHERE value = 'Sneaky')",
        )
        .await;
    assert_eq!(untouched, 0);
    // The demo publishable key still works.
    assert_eq!(store.get("/store/regions").await.status, 200);
    let promotions: i64 = store
        .scalar("SELECT count(*) FROM promotions WHERE code = 'FREE' OR NOT is_active")
        .await;
    assert_eq!(promotions, 0);
    let untouched: i64 = store
        .scalar("SELECT count(*) FROM sales_channels WHERE is_disabled OR name = 'Sneaky'")
        .await;
    assert_eq!(untouched, 0);
    // The demo publishable key still works.
    assert_eq!(store.get("/store/regions").await.status, 200);
    let (status, deleted): (String, bool) =
        sqlx::query_as("SELECT status, deleted_at IS NOT NULL FROM products WHERE id = $1")
            .bind(&product_id)
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), deleted), ("published", false));

    // The same routes answer with good credentials: a JWT, and the live key both ways.
    for authorization in [
        format!("Bearer {token}"),
        basic(&live_key),
        format!("Bearer {live_key}"),
    ] {
        let reply = store
            .admin_send(Method::GET, "/admin/orders", Some(&authorization), None)
            .await;
        assert_eq!(ok(&reply)["count"], 1, "{authorization}");
        let reply = store
            .admin_send(
                Method::GET,
                &format!("/admin/products/{product_id}"),
                Some(&authorization),
                None,
            )
            .await;
        assert_eq!(ok(&reply)["product"]["id"], product_id.as_str());
    }
    let refreshed = store
        .admin_post(&token, "/auth/token/refresh", json!({}))
        .await;
    let fresh = ok(&refreshed)["token"].as_str().unwrap().to_string();
    assert_eq!(
        ok(&store.admin_get(&fresh, "/admin/orders").await)["count"],
        1
    );
    let me = store.admin_get(&token, "/admin/users/me").await;
    assert_eq!(ok(&me)["user"]["email"], ADMIN_EMAIL);
    let key_me = store
        .admin_send(
            Method::GET,
            "/admin/users/me",
            Some(&basic(&live_key)),
            None,
        )
        .await;
    assert_eq!(key_me.status, 400);
    // Key use is recorded.
    let used: bool = store
        .scalar_for(
            "SELECT last_used_at IS NOT NULL FROM admin_api_keys WHERE id = $1",
            key["id"].as_str().unwrap(),
        )
        .await;
    assert!(used);
}

#[tokio::test]
async fn an_admin_api_without_a_jwt_secret_refuses_to_run() {
    let store = TestStore::new().await;
    let store = store.with_admin(store_admin::AdminAuth::disabled());
    let reply = store.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let reply = store
        .admin_send(Method::GET, "/admin/orders", None, None)
        .await;
    assert_eq!(reply.status, 503);
    assert!(store_admin::AdminAuth::new(
        "short",
        std::time::Duration::from_secs(60),
        Default::default()
    )
    .is_err());
    assert!(!store_admin::AdminAuth::from_lookup(|_| None).is_enabled());
}

async fn exhaust_login_limits(store: &TestStore) {
    store.admin_token().await; // one attempt from 203.0.113.1
                               // Per email: ten attempts in the window, then 429 even with the right password.
    for i in 0..9 {
        let reply = store
            .login(
                ADMIN_EMAIL,
                "wrong password",
                Some(&format!("198.51.100.{i}")),
            )
            .await;
        assert_eq!(reply.status, 401, "attempt {i}: {}", reply.body);
    }
    let reply = store
        .login(ADMIN_EMAIL, ADMIN_PASSWORD, Some("198.51.100.99"))
        .await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.body["type"], "not_allowed");
    assert!(reply.body["message"].as_str().unwrap().contains("Too many"));
    // Per address: fifty attempts from one address whatever the emails.
    for i in 0..50 {
        let reply = store
            .login(&format!("guess{i}@example.com"), "x", Some("192.0.2.7"))
            .await;
        assert_eq!(reply.status, 401, "attempt {i}");
    }
    let reply = store
        .login("guess-last@example.com", "x", Some("192.0.2.7"))
        .await;
    assert_eq!(reply.status, 429);
    // Another address and another email still get through.
    let reply = store
        .login("someone@example.com", "x", Some("192.0.2.8"))
        .await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn logins_are_rate_limited_per_email_and_per_address() {
    let store = TestStore::new().await;
    exhaust_login_limits(&store).await;
}

#[tokio::test]
async fn logins_are_rate_limited_without_redis_too() {
    let store = TestStore::with_redis(None).await;
    exhaust_login_limits(&store).await;
    // Redis configured but down: the in-process count still limits.
    let store = TestStore::with_redis(Some("redis://127.0.0.1:1".into())).await;
    exhaust_login_limits(&store).await;
}

#[tokio::test]
async fn the_limit_is_shared_through_redis_by_every_instance() {
    let store = TestStore::new().await;
    store.admin_token().await;
    for i in 0..9 {
        let reply = store
            .login(ADMIN_EMAIL, "wrong", Some(&format!("198.51.100.{i}")))
            .await;
        assert_eq!(reply.status, 401);
    }
    // A second instance (its own in-process counters) of the same store and Redis.
    let other = store::AppState::new((*store.state.config).clone()).unwrap();
    let store = store
        .with_state(other)
        .with_admin(store_tests::admin::test_auth());
    let reply = store.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
}

const NEW_PRODUCT_LIST: &str =
    "/store/products?order=-created_at&limit=5&fields=*variants.calculated_price";

async fn store_handles(store: &TestStore, region: &str) -> (Vec<String>, Value, Option<String>) {
    let reply = store
        .get(&format!("{NEW_PRODUCT_LIST}&region_id={region}"))
        .await;
    let body = ok(&reply).clone();
    let handles = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap().to_string())
        .collect();
    (handles, body, reply.header("x-cache").map(str::to_string))
}

#[tokio::test]
async fn a_product_created_in_the_admin_is_sold_in_the_store_with_its_prices_and_unpublished_ones_are_not(
) {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let region = store.region_id("eur").await;
    // Warm the cache, and see that it is warm.
    store_handles(&store, &region).await;
    let (handles, _, cache) = store_handles(&store, &region).await;
    assert_eq!(cache.as_deref(), Some("hit"));
    assert!(!handles.contains(&"aurora-lamp".to_string()));

    let created = store
        .admin_post(
            &token,
            "/admin/products",
            json!({
                "title": "Aurora Lamp", "status": "published", "description": "A lamp",
                "images": [{ "url": "https://img.example.com/aurora.jpg" }],
                "options": [{ "title": "Colour", "values": ["Red", "Blue"] }],
                "variants": [
                    { "title": "Red", "sku": "AURORA-RED", "options": { "Colour": "Red" },
                      "prices": [{ "currency_code": "eur", "amount": 12.5 }, { "currency_code": "usd", "amount": 14 }] },
                    { "title": "Blue", "sku": "AURORA-BLUE", "options": { "Colour": "Blue" },
                      "prices": [{ "currency_code": "eur", "amount": 13 }] }
                ]
            }),
        )
        .await;
    let product = ok(&created)["product"].clone();
    let product_id = product["id"].as_str().unwrap().to_string();
    assert_eq!(product["handle"], "aurora-lamp");
    assert_eq!(product["variants"].as_array().unwrap().len(), 2);
    assert_eq!(
        product["images"][0]["url"],
        "https://img.example.com/aurora.jpg"
    );

    let (handles, body, _) = store_handles(&store, &region).await;
    assert_eq!(handles[0], "aurora-lamp", "{body}");
    let listed = &body["products"][0];
    let mut amounts: Vec<(String, f64)> = listed["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["sku"].as_str().unwrap().to_string(),
                v["calculated_price"]["calculated_amount"].as_f64().unwrap(),
            )
        })
        .collect();
    amounts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        amounts,
        vec![
            ("AURORA-BLUE".to_string(), 13.0),
            ("AURORA-RED".to_string(), 12.5)
        ]
    );

    // A draft is not in the store, neither listed nor by id.
    let draft = store
        .admin_post(
            &token,
            "/admin/products",
            json!({ "title": "Secret Lamp", "variants": [{ "title": "One", "prices": [{ "currency_code": "eur", "amount": 5 }] }] }),
        )
        .await;
    let draft_id = id_of(&draft, "product");
    assert_eq!(draft.body["product"]["status"], "draft");
    let (handles, _, _) = store_handles(&store, &region).await;
    assert!(!handles.contains(&"secret-lamp".to_string()));
    assert_eq!(
        store
            .get(&format!("/store/products/{draft_id}"))
            .await
            .status,
        404
    );
    // The admin sees drafts.
    let admin_list = store
        .admin_get(&token, "/admin/products?status[]=draft")
        .await;
    assert!(ok(&admin_list)["products"].to_string().contains(&draft_id));

    // Unpublishing takes a product out of the store at once.
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/products/{product_id}"),
            json!({ "status": "draft" }),
        )
        .await);
    let (handles, _, _) = store_handles(&store, &region).await;
    assert!(!handles.contains(&"aurora-lamp".to_string()));
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/products/{product_id}"),
            json!({ "status": "published", "title": "Aurora Lamp II" }),
        )
        .await);
    let (handles, body, _) = store_handles(&store, &region).await;
    assert_eq!(handles[0], "aurora-lamp");
    assert_eq!(body["products"][0]["title"], "Aurora Lamp II");

    // A price change shows in the store and is audited with before and after.
    let red = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "AURORA-RED")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/products/{product_id}/variants/{red}"),
            json!({ "prices": [{ "currency_code": "eur", "amount": 9.99 }] }),
        )
        .await);
    let (_, body, _) = store_handles(&store, &region).await;
    let price = body["products"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "AURORA-RED")
        .unwrap()["calculated_price"]["calculated_amount"]
        .clone();
    assert_eq!(price, json!(9.99));
    let audit = store
        .admin_get(&token, &format!("/admin/audit-log?resource_id={red}"))
        .await;
    let entry = &ok(&audit)["audit_log"][0];
    assert_eq!(entry["action"], "variant.prices_updated");
    assert_eq!(
        entry["before"]["prices"],
        json!({ "eur": 1250, "usd": 1400 })
    );
    assert_eq!(entry["after"]["prices"], json!({ "eur": 999 }));
    assert!(entry["actor_id"].as_str().unwrap().starts_with("user_"));

    // Deleting takes it out of the store and the admin.
    let deleted = store
        .admin_send(
            Method::DELETE,
            &format!("/admin/products/{product_id}"),
            Some(&format!("Bearer {token}")),
            None,
        )
        .await;
    assert_eq!(ok(&deleted)["deleted"], true);
    let (handles, _, _) = store_handles(&store, &region).await;
    assert!(!handles.contains(&"aurora-lamp".to_string()));
    assert_eq!(
        store
            .admin_get(&token, &format!("/admin/products/{product_id}"))
            .await
            .status,
        404
    );

    let names: Vec<String> = store
        .events_for(&product_id)
        .await
        .into_iter()
        .map(|(name, payload)| {
            assert_eq!(payload["id"], product_id.as_str());
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "product.created",
            "product.updated",
            "product.updated",
            "product.updated",
            "product.deleted"
        ]
    );
}

#[tokio::test]
async fn bad_product_input_is_a_400_that_names_the_field_and_writes_nothing() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let products_before = count(&store, "SELECT count(*) FROM products").await;
    let cases = [
        (json!({}), "title"),
        (json!({ "title": "X", "status": "live" }), "status"),
        (json!({ "title": "X", "colour": "red" }), "colour"),
        (
            json!({ "title": "X", "variants": [{ "title": "A", "prices": [{ "currency_code": "eur", "amount": 1.234 }] }] }),
            "variants[0].prices[0].amount",
        ),
        (
            json!({ "title": "X", "variants": [{ "title": "A", "prices": [{ "currency_code": "euro", "amount": 1 }] }] }),
            "currency_code",
        ),
        (
            json!({ "title": "X", "options": [{ "title": "Size", "values": ["S"] }], "variants": [{ "title": "A", "options": { "Size": "XL" } }] }),
            "variants[0].options",
        ),
        (
            json!({ "title": "X", "sales_channels": [{ "id": "sc_nope" }] }),
            "sales_channels",
        ),
    ];
    for (body, field) in cases {
        let reply = store
            .admin_post(&token, "/admin/products", body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert!(
            reply.body["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            reply.body
        );
    }
    let duplicate = store
        .admin_post(
            &token,
            "/admin/products",
            json!({ "title": "Dup", "handle": "dup" }),
        )
        .await;
    ok(&duplicate);
    let again = store
        .admin_post(&token, "/admin/products", json!({ "title": "Dup" }))
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(
        count(&store, "SELECT count(*) FROM products").await,
        products_before + 1
    );
}

/// A level of `variant` with stock reserved by an order: (item, location).
async fn reserved_level(store: &TestStore, order_id: &str) -> (String, String) {
    sqlx::query_as(
        "SELECT r.inventory_item_id, r.location_id FROM reservations r
           JOIN order_line_items l ON l.id = r.order_line_item_id WHERE l.order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&store.pool)
    .await
    .unwrap()
}

async fn level(store: &TestStore, item: &str, location: &str) -> (i32, i32) {
    sqlx::query_as(
        "SELECT stocked_quantity, reserved_quantity FROM inventory_levels
          WHERE inventory_item_id = $1 AND location_id = $2",
    )
    .bind(item)
    .bind(location)
    .fetch_one(&store.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn concurrent_stock_adjustments_never_take_stock_below_what_is_reserved() {
    let store = Arc::new(TestStore::new().await);
    let token = store.admin_token().await;
    let variant = store.stocked_variant().await;
    let order = store.place_order(&variant, 3).await;
    let (item, location) = reserved_level(&store, order["id"].as_str().unwrap()).await;
    let uri = format!("/admin/inventory-items/{item}/location-levels/{location}");

    let set = store
        .admin_post(&token, &uri, json!({ "stocked_quantity": 20 }))
        .await;
    let levels = ok(&set)["inventory_item"]["location_levels"].clone();
    let this = levels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location_id"] == location.as_str())
        .unwrap();
    assert_eq!(this["stocked_quantity"], 20);
    assert_eq!(this["reserved_quantity"], 3);
    assert_eq!(this["available_quantity"], 17);

    // Thirty concurrent "take one off the shelf": only the seventeen unreserved go.
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let (store, token, uri) = (store.clone(), token.clone(), uri.clone());
            tokio::spawn(async move {
                store
                    .admin_post(&token, &uri, json!({ "adjustment": -1 }))
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let taken = replies.iter().filter(|r| r.status == 200).count();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status != 200).collect();
    assert_eq!(taken, 17);
    for reply in &refused {
        assert_eq!(reply.status, 409, "{}", reply.body);
        assert!(reply.body["message"].as_str().unwrap().contains("reserved"));
    }
    assert_eq!(level(&store, &item, &location).await, (3, 3));

    // Setting below reserved is refused; bad input is a 400; adding is fine.
    let below = store
        .admin_post(&token, &uri, json!({ "stocked_quantity": 2 }))
        .await;
    assert_eq!(below.status, 409, "{}", below.body);
    for body in [
        json!({ "stocked_quantity": -1 }),
        json!({ "stocked_quantity": 5, "adjustment": 1 }),
        json!({}),
        json!({ "stocked_quantity": "ten" }),
    ] {
        let reply = store.admin_post(&token, &uri, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
    }
    ok(&store
        .admin_post(&token, &uri, json!({ "adjustment": 4 }))
        .await);
    assert_eq!(level(&store, &item, &location).await, (7, 3));
    let missing = store
        .admin_post(
            &token,
            &format!("/admin/inventory-items/iitem_nope/location-levels/{location}"),
            json!({ "stocked_quantity": 1 }),
        )
        .await;
    assert_eq!(missing.status, 404);

    // Every accepted change announced itself, naming the variants it affects.
    let events = store.events_for(&item).await;
    assert_eq!(events.len(), 1 + 17 + 1);
    for (name, payload) in &events {
        assert_eq!(name, "inventory.updated");
        assert_eq!(payload["location_id"], location.as_str());
        assert!(payload["variant_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(variant)));
    }
    // The store sees the new availability (the cached answer was purged).
    let reply = store
        .get(&format!(
            "/store/products?fields=*variants.inventory_quantity&limit=200&id[]={}",
            sqlx::query_scalar::<_, String>(
                "SELECT product_id FROM product_variants WHERE id = $1"
            )
            .bind(&variant)
            .fetch_one(&store.pool)
            .await
            .unwrap()
        ))
        .await;
    let quantity = ok(&reply)["products"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == variant.as_str())
        .unwrap()["inventory_quantity"]
        .clone();
    assert_eq!(quantity, json!(4));
}

#[tokio::test]
async fn promotions_are_created_used_counted_and_deactivated() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let variant = store.stocked_variant().await;
    let created = store
        .admin_post(
            &token,
            "/admin/promotions",
            json!({ "code": "SPRING20", "type": "standard",
                    "application_method": { "type": "percentage", "value": 20, "target_type": "order" },
                    "usage_limit": 5 }),
        )
        .await;
    let promotion = ok(&created)["promotion"].clone();
    let id = promotion["id"].as_str().unwrap().to_string();
    assert_eq!(promotion["status"], "active");
    assert_eq!(promotion["application_method"]["value"], 20);
    assert_eq!(promotion["usage_count"], 0);

    // A shopper uses it: the order is discounted and the use is counted.
    let order = store
        .place_order_paying(&variant, 1, None, Some("SPRING20"))
        .await;
    assert!(order["discount_total"].as_f64().unwrap() > 0.0);
    let got = store
        .admin_get(&token, &format!("/admin/promotions/{id}"))
        .await;
    assert_eq!(ok(&got)["promotion"]["usage_count"], 1);
    let listed = store.admin_get(&token, "/admin/promotions?q=spring").await;
    assert_eq!(ok(&listed)["count"], 1);

    // A limit below the uses so far is refused; deactivating takes the code out of use.
    let below = store
        .admin_post(
            &token,
            &format!("/admin/promotions/{id}"),
            json!({ "usage_limit": 0 }),
        )
        .await;
    assert_eq!(below.status, 409, "{}", below.body);
    let off = store
        .admin_post(
            &token,
            &format!("/admin/promotions/{id}"),
            json!({ "status": "inactive" }),
        )
        .await;
    assert_eq!(ok(&off)["promotion"]["status"], "inactive");
    let region = store.region_id("eur").await;
    let cart = store
        .post("/store/carts", json!({ "region_id": region }))
        .await;
    let cart = id_of(&cart, "cart");
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await);
    let refused = store
        .post(
            &format!("/store/carts/{cart}/promotions"),
            json!({ "promo_codes": ["SPRING20"] }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);

    let events: Vec<String> = store
        .events_for(&id)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(events, ["promotion.created", "promotion.updated"]);
    let audit = store
        .admin_get(&token, &format!("/admin/audit-log?resource_id={id}"))
        .await;
    assert_eq!(ok(&audit)["count"], 2);

    for (body, field) in [
        (
            json!({ "code": "BAD", "application_method": { "type": "percentage", "value": 150 } }),
            "value",
        ),
        (
            json!({ "code": "BAD", "application_method": { "type": "fixed", "value": 5 } }),
            "currency_code",
        ),
        (
            json!({ "code": "BAD", "application_method": { "type": "bogof", "value": 5 } }),
            "type",
        ),
        (
            json!({ "code": "B A D", "application_method": { "type": "percentage", "value": 5 } }),
            "code",
        ),
        (json!({ "code": "BAD" }), "application_method"),
    ] {
        let reply = store
            .admin_post(&token, "/admin/promotions", body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert!(
            reply.body["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            reply.body
        );
    }
    let duplicate = store
        .admin_post(&token, "/admin/promotions", json!({ "code": "SPRING20", "application_method": { "type": "percentage", "value": 5 } }))
        .await;
    assert_eq!(duplicate.status, 422, "{}", duplicate.body);
}

#[tokio::test]
async fn sales_channels_and_publishable_keys_are_managed_and_a_revoked_key_stops_at_once() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let channel = store
        .admin_post(
            &token,
            "/admin/sales-channels",
            json!({ "name": "Wholesale", "description": "B2B" }),
        )
        .await;
    let channel = id_of(&channel, "sales_channel");
    let product = store
        .admin_post(
            &token,
            "/admin/products",
            json!({ "title": "Pallet of Lamps", "status": "published", "sales_channels": [{ "id": channel }],
                    "variants": [{ "title": "One", "prices": [{ "currency_code": "eur", "amount": 900 }] }] }),
        )
        .await;
    ok(&product);
    let key = store
        .admin_post(
            &token,
            "/admin/api-keys",
            json!({ "title": "B2B shop", "type": "publishable" }),
        )
        .await;
    let key = ok(&key)["api_key"].clone();
    let key_id = key["id"].as_str().unwrap().to_string();
    let pk = key["token"].as_str().unwrap().to_string();
    assert!(pk.starts_with("pk_"));
    let linked = store
        .admin_post(
            &token,
            &format!("/admin/api-keys/{key_id}/sales-channels"),
            json!({ "add": [channel] }),
        )
        .await;
    assert_eq!(
        ok(&linked)["api_key"]["sales_channels"][0]["id"],
        channel.as_str()
    );

    let with_key = |key: String| {
        let store = &store;
        async move {
            store
                .request(
                    Method::GET,
                    "/store/products?handle=pallet-of-lamps",
                    &[("x-publishable-api-key", key.as_str())],
                )
                .await
        }
    };
    let seen = with_key(pk.clone()).await;
    assert_eq!(
        ok(&seen)["count"],
        1,
        "the new key sees its channel's product"
    );
    let demo = store.get("/store/products?handle=pallet-of-lamps").await;
    assert_eq!(ok(&demo)["count"], 0, "the demo storefront does not");

    // Revoked: refused at once, although the key's channels were cached.
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/api-keys/{key_id}/revoke"),
            json!({}),
        )
        .await);
    let refused = with_key(pk.clone()).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["type"], "not_allowed");

    let listed = store
        .admin_get(&token, "/admin/api-keys?type=publishable")
        .await;
    assert!(ok(&listed)["api_keys"].to_string().contains(&key_id));
    let channels = store.admin_get(&token, "/admin/sales-channels").await;
    assert_eq!(ok(&channels)["count"], 2);
    let again = store
        .admin_post(
            &token,
            "/admin/sales-channels",
            json!({ "name": "Wholesale" }),
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    let nameless = store
        .admin_post(&token, "/admin/sales-channels", json!({}))
        .await;
    assert_eq!(nameless.status, 400);
    let bad_type = store
        .admin_post(
            &token,
            "/admin/api-keys",
            json!({ "title": "x", "type": "root" }),
        )
        .await;
    assert_eq!(bad_type.status, 400);
}

#[tokio::test]
async fn regions_tax_rates_and_shipping_options_are_managed_and_reach_the_store() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let europe = store.region_id("eur").await;
    store.get("/store/regions").await; // warm the cache

    let taken = store
        .admin_post(
            &token,
            "/admin/regions",
            json!({ "name": "Nordics", "currency_code": "sek", "countries": ["se"], "tax_rate": 25 }),
        )
        .await;
    assert_eq!(taken.status, 400, "{}", taken.body);
    assert!(taken.body["message"]
        .as_str()
        .unwrap()
        .contains("already belongs"));
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/regions/{europe}"),
            json!({ "countries": ["at", "be", "de", "dk", "es", "fr", "it", "nl"] }),
        )
        .await);
    let created = store
        .admin_post(
            &token,
            "/admin/regions",
            json!({ "name": "Nordics", "currency_code": "SEK", "countries": ["se"], "tax_rate": 25 }),
        )
        .await;
    let nordics = id_of(&created, "region");
    let listed = store.get("/store/regions").await;
    let region = ok(&listed)["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == nordics.as_str())
        .cloned()
        .expect("the new region is in the store at once");
    assert_eq!(region["currency_code"], "sek");
    assert_eq!(region["countries"][0]["iso_2"], "se");

    ok(&store
        .admin_post(
            &token,
            &format!("/admin/regions/{nordics}"),
            json!({ "tax_rate": 12.5 }),
        )
        .await);
    let audit = store
        .admin_get(&token, &format!("/admin/audit-log?resource_id={nordics}"))
        .await;
    let entry = &ok(&audit)["audit_log"][0];
    assert_eq!(entry["before"]["tax_rate_bps"], 2500);
    assert_eq!(entry["after"]["tax_rate_bps"], 1250);
    for body in [
        json!({ "currency_code": "nok" }),
        json!({ "tax_rate": -1 }),
        json!({ "tax_rate": 1.234 }),
        json!({ "countries": ["zz"] }),
    ] {
        let reply = store
            .admin_post(&token, &format!("/admin/regions/{nordics}"), body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
    }

    // A shipping option appears for carts of its region; deactivated, it is gone.
    let option = store
        .admin_post(
            &token,
            "/admin/shipping-options",
            json!({ "name": "Same day", "region_id": europe, "price_type": "flat",
                    "prices": [{ "currency_code": "eur", "amount": 9.95 }],
                    "type": { "code": "same-day", "label": "Same day" } }),
        )
        .await;
    let option_id = id_of(&option, "shipping_option");
    let cart = store
        .post("/store/carts", json!({ "region_id": europe }))
        .await;
    let cart = id_of(&cart, "cart");
    let offered = store
        .get(&format!("/store/shipping-options?cart_id={cart}"))
        .await;
    let same_day = ok(&offered)["shipping_options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == option_id.as_str())
        .cloned()
        .expect("offered");
    assert_eq!(same_day["amount"], json!(9.95));
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/shipping-options/{option_id}"),
            json!({ "is_active": false }),
        )
        .await);
    let offered = store
        .get(&format!("/store/shipping-options?cart_id={cart}"))
        .await;
    assert!(!ok(&offered).to_string().contains(&option_id));
    for body in [
        json!({ "name": "X", "amount": 1 }),
        json!({ "name": "X", "region_id": europe, "prices": [{ "currency_code": "usd", "amount": 1 }] }),
        json!({ "name": "X", "region_id": europe, "amount": 1.001 }),
        json!({ "name": "X", "region_id": "reg_nope", "amount": 1 }),
    ] {
        let reply = store
            .admin_post(&token, "/admin/shipping-options", body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
    }
    let listed = store
        .admin_get(
            &token,
            &format!("/admin/shipping-options?region_id={europe}"),
        )
        .await;
    assert_eq!(ok(&listed)["count"], 3);
}

#[tokio::test]
async fn categories_collections_and_tags_are_managed_and_products_filed_under_them() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    store.get("/store/product-categories?limit=200").await; // warm the cache
    let lighting = store
        .admin_post(
            &token,
            "/admin/product-categories",
            json!({ "name": "Lighting" }),
        )
        .await;
    let lighting = id_of(&lighting, "product_category");
    let desk = store
        .admin_post(
            &token,
            "/admin/product-categories",
            json!({ "name": "Desk lamps", "parent_category_id": lighting }),
        )
        .await;
    let desk = id_of(&desk, "product_category");
    let listed = store
        .get("/store/product-categories?handle=desk-lamps")
        .await;
    assert_eq!(ok(&listed)["product_categories"][0]["id"], desk.as_str());

    let cycle = store
        .admin_post(
            &token,
            &format!("/admin/product-categories/{lighting}"),
            json!({ "parent_category_id": desk }),
        )
        .await;
    assert_eq!(cycle.status, 400, "{}", cycle.body);
    let with_children = store
        .admin_send(
            Method::DELETE,
            &format!("/admin/product-categories/{lighting}"),
            Some(&format!("Bearer {token}")),
            None,
        )
        .await;
    assert_eq!(with_children.status, 409, "{}", with_children.body);
    let duplicate = store
        .admin_post(
            &token,
            "/admin/product-categories",
            json!({ "name": "Lighting" }),
        )
        .await;
    assert_eq!(duplicate.status, 422);

    let autumn = store
        .admin_post(
            &token,
            "/admin/collections",
            json!({ "title": "Autumn 2026" }),
        )
        .await;
    let autumn = id_of(&autumn, "collection");
    let eco = store
        .admin_post(&token, "/admin/product-tags", json!({ "value": "eco" }))
        .await;
    let eco = id_of(&eco, "product_tag");

    let product: String = store
        .scalar("SELECT id FROM products WHERE status = 'published' ORDER BY handle LIMIT 1")
        .await;
    ok(&store
        .admin_post(
            &token,
            &format!("/admin/products/{product}"),
            json!({ "categories": [{ "id": desk }], "tags": [{ "id": eco }], "collection_id": autumn }),
        )
        .await);
    for filter in [
        format!("category_id[]={desk}"),
        format!("collection_id[]={autumn}"),
        format!("tag_id[]={eco}"),
    ] {
        let found = store.get(&format!("/store/products?{filter}")).await;
        assert_eq!(ok(&found)["count"], 1, "{filter}");
        assert_eq!(found.body["products"][0]["id"], product.as_str());
    }
    let collections = store.get("/store/collections?handle=autumn-2026").await;
    assert_eq!(ok(&collections)["collections"][0]["title"], "Autumn 2026");

    // Deleting the tag and the collection leaves the product in place without them.
    for path in [
        format!("/admin/product-tags/{eco}"),
        format!("/admin/collections/{autumn}"),
    ] {
        let reply = store
            .admin_send(
                Method::DELETE,
                &path,
                Some(&format!("Bearer {token}")),
                None,
            )
            .await;
        assert_eq!(ok(&reply)["deleted"], true);
    }
    let found = store.get(&format!("/store/products?tag_id[]={eco}")).await;
    assert_eq!(ok(&found)["count"], 0);
    assert_eq!(
        store
            .get(&format!("/store/products/{product}"))
            .await
            .status,
        200
    );
    let categories = store
        .admin_get(&token, "/admin/product-categories?q=lamp")
        .await;
    assert_eq!(ok(&categories)["count"], 1);
    assert_eq!(
        categories.body["product_categories"][0]["id"],
        desk.as_str()
    );
    let one = store
        .admin_get(&token, &format!("/admin/product-categories/{lighting}"))
        .await;
    assert_eq!(ok(&one)["product_category"]["name"], "Lighting");
    let tags = store.admin_get(&token, "/admin/product-tags").await;
    assert_eq!(
        ok(&tags)["count"],
        store
            .scalar::<i64>("SELECT count(*) FROM product_tags")
            .await
    );
    let collections = store
        .admin_get(&token, &format!("/admin/collections/{autumn}"))
        .await;
    assert_eq!(collections.status, 404, "deleted above");
    let regions = store.admin_get(&token, "/admin/regions").await;
    assert_eq!(ok(&regions)["count"], 2);
    let audit = store
        .admin_get(&token, "/admin/audit-log?resource_type=product_category")
        .await;
    assert_eq!(ok(&audit)["count"], 2);
}

#[tokio::test]
async fn the_dashboards_list_requests_are_answered() {
    let store = TestStore::new().await;
    let token = store.admin_token().await;
    let gift: String = store
        .scalar("SELECT id FROM products WHERE status = 'draft' ORDER BY id LIMIT 1")
        .await;
    store.make_gift_card(&gift).await;
    let cards = store
        .admin_get(&token, "/admin/products?is_giftcard=true")
        .await;
    assert_eq!(ok(&cards)["count"], 1);
    assert_eq!(cards.body["products"][0]["id"], gift.as_str());
    let all: i64 = store.scalar("SELECT count(*) FROM products").await;
    let others = store
        .admin_get(&token, "/admin/products?is_giftcard=false&limit=1")
        .await;
    assert_eq!(ok(&others)["count"], all - 1);

    // The dashboard's pickers ask for up to 1000 at once.
    for (path, list, table) in [
        ("/admin/regions", "regions", "regions"),
        ("/admin/product-tags", "product_tags", "product_tags"),
        ("/admin/collections", "collections", "product_collections"),
    ] {
        let reply = store
            .admin_get(&token, &format!("{path}?limit=1000&offset=0"))
            .await;
        let total: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(
            ok(&reply)[list].as_array().unwrap().len() as i64,
            total,
            "{path}"
        );
        let too_many = store.admin_get(&token, &format!("{path}?limit=1001")).await;
        assert_eq!(too_many.status, 400, "{path}: {}", too_many.body);
    }
}
