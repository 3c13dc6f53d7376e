//! Hostile input through the functions' routers: NUL bytes, broken paths, bodies that
//! are too large or not JSON, oversized metadata, list-shaped scalars and overfull carts
//! are 4xx in the JSON error shape that name what was wrong, and write nothing.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use store_tests::{Reply, TestStore};

/// A 4xx in the JSON error shape whose message contains `needle`.
#[track_caller]
fn refused(reply: &Reply, status: u16, needle: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert!(reply.body["type"].is_string(), "{:?}", reply.body);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "'{needle}' not in: {message}");
}

/// Each GET of `cases` (path, needle) is a 400 whose message contains its needle.
async fn each_get_refused(store: &TestStore, cases: &[(&str, &str)]) {
    for (path, needle) in cases {
        refused(&store.get(path).await, 400, needle);
    }
}

/// Each POST to `uri` of `cases` (body, needle) is a 400 whose message contains its needle.
async fn each_post_refused(store: &TestStore, uri: &str, cases: Vec<(Value, &str)>) {
    for (body, needle) in cases {
        refused(&store.post(uri, body).await, 400, needle);
    }
}

async fn new_cart(store: &TestStore) -> String {
    let region = store.region_id("eur").await;
    let reply = store
        .post("/store/carts", json!({ "region_id": region }))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["cart"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_nul_anywhere_is_a_400_that_names_the_field_and_writes_nothing() {
    let store = TestStore::new().await;
    let cart = new_cart(&store).await;
    let uri = format!("/store/carts/{cart}");

    each_post_refused(
        &store,
        &uri,
        vec![
            (json!({ "email": "a\u{0}@example.com" }), "'email'"),
            (
                json!({ "metadata": { "note": "x\u{0}" } }),
                "'metadata.note'",
            ),
            (
                json!({ "metadata": { "k\u{0}": "x" } }),
                "a key of 'metadata'",
            ),
            (
                json!({ "shipping_address": { "city": "Copen\u{0}hagen", "country_code": "dk" } }),
                "'shipping_address.city'",
            ),
        ],
    )
    .await;
    let promo = store
        .post(
            &format!("{uri}/promotions"),
            json!({ "promo_codes": ["WELCOME\u{0}"] }),
        )
        .await;
    refused(&promo, 400, "'promo_codes[0]'");

    let after = store.get(&uri).await;
    assert_eq!(
        after.body["cart"]["email"],
        Value::Null,
        "nothing was written"
    );
    assert_eq!(after.body["cart"]["shipping_address"], Value::Null);

    each_get_refused(
        &store,
        &[
            ("/store/products?handle=abc%00", "'handle'"),
            ("/store/regions?currency_code=e%00ur", "'currency_code'"),
            ("/store/products/prod%00x", "'prod%00x'"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_a_json_400() {
    let store = TestStore::new().await;
    for path in ["/store/products/%ff", "/store/carts/%ff%fe"] {
        refused(&store.get(path).await, 400, "not valid UTF-8");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_and_one_too_large_a_413() {
    let store = TestStore::new().await;
    let login = Request::post("/auth/user/emailpass")
        .header("content-type", "text/plain")
        .body(Body::from(
            r#"{"email":"admin@example.com","password":"x"}"#,
        ))
        .unwrap();
    refused(&store.send(login).await, 415, "application/json");

    let cart = new_cart(&store).await;
    let big = json!({ "metadata": { "blob": "x".repeat(100 * 1024) } });
    refused(
        &store.post(&format!("/store/carts/{cart}"), big).await,
        413,
        "too large",
    );

    let webhook = Request::post("/content/webhooks/strapi")
        .header("content-type", "application/json")
        .body(Body::from(vec![b' '; 5 * 1024 * 1024]))
        .unwrap();
    refused(&store.send(webhook).await, 413, "too large");

    // A body the client says is JSON but is not stays the handler's to describe.
    let broken = Request::post(format!("/store/carts/{cart}"))
        .header("x-publishable-api-key", &store.publishable_key)
        .header("content-type", "application/json")
        .body(Body::from("{\"email\": "))
        .unwrap();
    refused(&store.send(broken).await, 400, "Invalid request");
}

#[tokio::test]
async fn metadata_is_limited_in_keys_size_and_string_length() {
    let store = TestStore::new().await;
    let cart = new_cart(&store).await;
    let uri = format!("/store/carts/{cart}");
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    each_post_refused(
        &store,
        &uri,
        vec![
            (json!({ "metadata": many }), "at most 50"),
            (
                json!({ "metadata": { "note": "y".repeat(2049) } }),
                "'metadata.note'",
            ),
        ],
    )
    .await;
    let fifty: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!(i))).collect();
    let fine = store.post(&uri, json!({ "metadata": fifty })).await;
    assert_eq!(fine.status, 200, "{:?}", fine.body);
}

#[tokio::test]
async fn paging_keys_take_one_value() {
    let store = TestStore::new().await;
    each_get_refused(
        &store,
        &[
            ("/store/products?limit[]=1", "one value"),
            ("/store/products?offset[]=5", "one value"),
            ("/store/products?limit=1&limit=2", "once"),
        ],
    )
    .await;
    assert_eq!(store.get("/store/products?limit=1").await.status, 200);
}

#[tokio::test]
async fn a_cart_holds_at_most_100_lines() {
    let store = TestStore::new().await;
    let cart = new_cart(&store).await;
    let variant: String = store
        .scalar(
            "SELECT v.id FROM product_variants v \
             JOIN product_variant_inventory_items pi ON pi.variant_id = v.id \
             JOIN inventory_levels l ON l.inventory_item_id = pi.inventory_item_id \
             WHERE l.stocked_quantity - l.reserved_quantity > 0 ORDER BY v.id LIMIT 1",
        )
        .await;
    let uri = format!("/store/carts/{cart}/line-items");
    for n in 0..100 {
        let line = json!({ "variant_id": variant, "quantity": 1, "metadata": { "n": n } });
        let reply = store.post(&uri, line).await;
        assert_eq!(reply.status, 200, "line {n}: {:?}", reply.body);
    }
    let extra = json!({ "variant_id": variant, "quantity": 1, "metadata": { "n": 100 } });
    refused(&store.post(&uri, extra).await, 400, "at most 100 lines");
    let lines: i64 = store.scalar("SELECT count(*) FROM cart_line_items").await;
    assert_eq!(lines, 100);
}

/// POST /store/carts (or a cart write) through a cart router with `limits`, from `ip`.
async fn cart_post(
    router: &axum::Router,
    store: &TestStore,
    uri: &str,
    ip: &str,
    key: &str,
) -> (u16, Option<String>, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let region = store.region_id("eur").await;
    let request = Request::post(uri)
        .header("x-publishable-api-key", key)
        .header("x-forwarded-for", ip)
        .header("content-type", "application/json")
        .body(Body::from(json!({ "region_id": region }).to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn cart_creation_and_writes_are_limited_per_address_and_per_key() {
    let store = TestStore::new().await;
    let limits = cart::limits::CartLimits {
        creates_per_ip: 3,
        writes_per_ip: 2,
        creates_per_key: 5,
        writes_per_key: 0,
    };
    let state = store_admin::AdminState {
        app: store.state.clone(),
        auth: store.admin.clone(),
    };
    let router = cart::router_with(state, limits);
    let key = store.publishable_key.clone();
    let mut carts = Vec::new();
    for _ in 0..3 {
        let (status, _, body) =
            cart_post(&router, &store, "/store/carts", "203.0.113.7", &key).await;
        assert_eq!(status, 200, "{body:?}");
        carts.push(body["cart"]["id"].as_str().unwrap().to_string());
    }
    let (status, retry, body) =
        cart_post(&router, &store, "/store/carts", "203.0.113.7", &key).await;
    assert_eq!(status, 429, "{body:?}");
    assert_eq!(retry.as_deref(), Some("60"));
    assert_eq!(body["type"], "not_allowed");
    let made: i64 = store.scalar("SELECT count(*) FROM carts").await;
    assert_eq!(made, 3, "the refused request wrote nothing");

    // Another address may still create, until the key's own limit (5) is reached.
    for _ in 0..2 {
        let (status, _, _) = cart_post(&router, &store, "/store/carts", "198.51.100.4", &key).await;
        assert_eq!(status, 200);
    }
    let (status, _, _) = cart_post(&router, &store, "/store/carts", "198.51.100.5", &key).await;
    assert_eq!(status, 429, "the key's limit holds across addresses");

    // Writes to a cart are counted apart from creations.
    let uri = format!("/store/carts/{}", carts[0]);
    for _ in 0..2 {
        let (status, _, body) = cart_post(&router, &store, &uri, "203.0.113.7", &key).await;
        assert_eq!(status, 200, "{body:?}");
    }
    let (status, _, _) = cart_post(&router, &store, &uri, "203.0.113.7", &key).await;
    assert_eq!(status, 429);
    // Reads are never limited; loopback (local development) is not counted per address.
    assert_eq!(store.get(&uri).await.status, 200);
    let (status, _, _) = cart_post(&router, &store, &uri, "127.0.0.1", &key).await;
    assert_eq!(status, 200);
}

/// A cart write's key check takes the key's cache tag that Redis answered with the rate
/// limits' counters. Another instance revokes the key: the next write is refused at once,
/// although this instance served the key from its own copy a moment before.
#[tokio::test]
async fn a_key_revoked_through_another_instance_is_refused_at_once_on_a_cart_write() {
    let store = TestStore::new().await;
    let instance = store::AppState::new((*store.state.config).clone()).expect("state");
    let router = cart::router(store_admin::AdminState {
        app: instance,
        auth: store.admin.clone(),
    });
    let key = store.publishable_key.clone();
    let (status, _, body) = cart_post(&router, &store, "/store/carts", "203.0.113.9", &key).await;
    assert_eq!(status, 200, "{body:?}");
    let uri = format!("/store/carts/{}", body["cart"]["id"].as_str().unwrap());
    let (status, _, body) = cart_post(&router, &store, &uri, "203.0.113.9", &key).await;
    assert_eq!(status, 200, "{body:?}");

    let token = store.admin_token().await;
    let key_id: String = store.scalar("SELECT id FROM publishable_api_keys").await;
    let revoked = store
        .admin_post(
            &token,
            &format!("/admin/api-keys/{key_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, 200, "{:?}", revoked.body);
    let (status, _, body) = cart_post(&router, &store, &uri, "203.0.113.9", &key).await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(body["type"], "not_allowed");
}

#[tokio::test]
async fn a_json_body_that_is_not_utf8_is_a_json_400() {
    let store = TestStore::new().await;
    for path in ["/store/carts", "/auth/customer/emailpass"] {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .header("x-publishable-api-key", &store.publishable_key)
            .body(Body::from(vec![0xff_u8, 0x7b]))
            .unwrap();
        let reply = store.send(request).await;
        assert_eq!(reply.status, 400, "{path}: {:?}", reply.body);
        assert!(
            reply.body["message"].is_string(),
            "{path}: {:?}",
            reply.body
        );
    }
}
