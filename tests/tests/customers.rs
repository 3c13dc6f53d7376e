//! Customer accounts through the Store API, black-box, in the shapes of the captures of a
//! real Medusa 2.21.2 (`medusa-captures/customers/`).

use axum::http::Method;
use serde_json::{json, Value};

use store_auth::token;
use store_tests::admin::TEST_JWT_SECRET;
use store_tests::customers::{As, CUSTOMER_PASSWORD};
use store_tests::flow::{
    add_shipping_method, address, first_shipping_option, id_of, ok, payment_collection,
    system_payment_session,
};
use store_tests::{Reply, TestStore};

fn claims(token: &str) -> token::Claims {
    token::verify(TEST_JWT_SECRET.as_bytes(), token, "customer").expect("a valid customer token")
}

fn error(reply: &Reply, status: u16) -> &Value {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    &reply.body
}

/// A guest cart with one line, ready for an address and shipping.
async fn guest_cart(store: &TestStore) -> String {
    let region = store.region_id("eur").await;
    let cart = store
        .post("/store/carts", json!({ "region_id": region }))
        .await;
    let cart = id_of(&cart, "cart");
    let variant = store.stocked_variant().await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await);
    cart
}

/// Address, shipping, payment and completion of a cart; returns the order id.
async fn complete(store: &TestStore, cart: &str, who: As<'_>) -> String {
    ok(&store
        .customer_post(
            &format!("/store/carts/{cart}"),
            who,
            json!({ "shipping_address": address() }),
        )
        .await);
    let option = first_shipping_option(store, cart).await;
    add_shipping_method(store, cart, &option).await;
    let collection = payment_collection(store, cart).await;
    system_payment_session(store, &collection).await;
    let completed = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    assert_eq!(ok(&completed)["type"], "order", "{}", completed.body);
    completed.body["order"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_customer_registers_keeps_addresses_and_sees_only_their_own_orders() {
    let store = TestStore::new().await;
    let email = "ada@example.com";
    let credentials = json!({ "email": email, "password": CUSTOMER_PASSWORD });

    // Register: a token without a customer yet.
    let registered = store.register_identity(&credentials).await;
    let registration = ok(&registered)["token"].as_str().unwrap().to_string();
    let payload = claims(&registration);
    assert_eq!(payload.actor_id, "");
    assert_eq!(payload.actor_type, "customer");
    assert!(payload.auth_identity_id.starts_with("authid_"));
    assert_eq!(payload.app_metadata, json!({}));

    // The customer, created with the registration token.
    let created = store
        .customer_post(
            "/store/customers",
            As::Bearer(&registration),
            json!({ "email": email, "first_name": "Ada", "last_name": "Lovelace", "phone": "+4512345678" }),
        )
        .await;
    let customer = ok(&created)["customer"].clone();
    let customer_id = customer["id"].as_str().unwrap().to_string();
    assert!(customer_id.starts_with("cus_"));
    assert_eq!(customer["email"], email);
    assert_eq!(customer["has_account"], true);
    assert_eq!(customer["addresses"], json!([]));

    // Log in: the token names the customer, for 24 hours.
    let login = store
        .customer_post("/auth/customer/emailpass", As::Guest, credentials.clone())
        .await;
    let token = ok(&login)["token"].as_str().unwrap().to_string();
    let payload = claims(&token);
    assert_eq!(payload.actor_id, customer_id);
    assert_eq!(payload.app_metadata["customer_id"], customer_id.as_str());
    assert_eq!(payload.exp - payload.iat, 24 * 3600);
    let me = store
        .customer_get("/store/customers/me", As::Bearer(&token))
        .await;
    assert_eq!(ok(&me)["customer"]["first_name"], "Ada");

    // Profile changes keep the fields not given.
    let updated = store
        .customer_post(
            "/store/customers/me",
            As::Bearer(&token),
            json!({ "first_name": "Augusta", "metadata": { "newsletter": true } }),
        )
        .await;
    let updated = &ok(&updated)["customer"];
    assert_eq!(updated["first_name"], "Augusta");
    assert_eq!(updated["last_name"], "Lovelace");
    assert_eq!(updated["metadata"]["newsletter"], true);

    // Addresses: at most one default of each kind.
    let mut home = address();
    home["is_default_shipping"] = json!(true);
    let first = store
        .customer_post(
            "/store/customers/me/addresses",
            As::Bearer(&token),
            home.clone(),
        )
        .await;
    let first_id = ok(&first)["customer"]["addresses"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first_id.starts_with("cuaddr_"));
    home["city"] = json!("Aarhus");
    home["is_default_billing"] = json!(true);
    let second = store
        .customer_post("/store/customers/me/addresses", As::Bearer(&token), home)
        .await;
    let addresses = ok(&second)["customer"]["addresses"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(addresses.len(), 2);
    let defaults: Vec<(&str, bool, bool)> = addresses
        .iter()
        .map(|a| {
            (
                a["city"].as_str().unwrap(),
                a["is_default_shipping"].as_bool().unwrap(),
                a["is_default_billing"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        defaults,
        [("Copenhagen", false, false), ("Aarhus", true, true)],
        "the new default took over"
    );
    let listed = store
        .customer_get("/store/customers/me/addresses", As::Bearer(&token))
        .await;
    assert_eq!(ok(&listed)["count"], 2);
    assert_eq!(listed.body["limit"], 50);
    let changed = store
        .customer_post(
            &format!("/store/customers/me/addresses/{first_id}"),
            As::Bearer(&token),
            json!({ "city": "Odense" }),
        )
        .await;
    ok(&changed);
    let got = store
        .customer_get(
            &format!("/store/customers/me/addresses/{first_id}"),
            As::Bearer(&token),
        )
        .await;
    assert_eq!(ok(&got)["address"]["city"], "Odense");
    assert_eq!(
        got.body["address"]["postal_code"], "2200",
        "other fields kept"
    );

    // An unknown country is refused, naming the field; nothing is stored.
    let mut nowhere = address();
    nowhere["country_code"] = json!("zz");
    let refused = store
        .customer_post("/store/customers/me/addresses", As::Bearer(&token), nowhere)
        .await;
    let body = error(&refused, 400);
    assert!(
        body["message"].as_str().unwrap().contains("country_code"),
        "{body}"
    );
    let listed = store
        .customer_get("/store/customers/me/addresses", As::Bearer(&token))
        .await;
    assert_eq!(ok(&listed)["count"], 2);

    // Another customer sees neither the addresses nor the orders.
    let other = store.register_customer("grace@example.com", "Grace").await;
    let foreign = store
        .customer_get(
            &format!("/store/customers/me/addresses/{first_id}"),
            As::Bearer(&other),
        )
        .await;
    assert_eq!(
        error(&foreign, 404)["message"],
        format!("Address with id: {first_id} was not found")
    );
    let foreign_delete = store
        .customer_delete(
            &format!("/store/customers/me/addresses/{first_id}"),
            As::Bearer(&other),
        )
        .await;
    error(&foreign_delete, 404);

    // A guest cart handed to the customer takes their email and becomes their order.
    let cart = guest_cart(&store).await;
    let transferred = store
        .customer_post(
            &format!("/store/carts/{cart}/customer"),
            As::Bearer(&token),
            json!({}),
        )
        .await;
    assert_eq!(
        ok(&transferred)["cart"]["customer_id"],
        customer_id.as_str()
    );
    assert_eq!(transferred.body["cart"]["email"], email);
    let stolen = store
        .customer_post(
            &format!("/store/carts/{cart}/customer"),
            As::Bearer(&other),
            json!({}),
        )
        .await;
    error(&stolen, 404);
    let order_id = complete(&store, &cart, As::Bearer(&token)).await;
    let order = store.get(&format!("/store/orders/{order_id}")).await;
    assert_eq!(ok(&order)["order"]["customer_id"], customer_id.as_str());
    let placed: Value = store
        .scalar_for(
            "SELECT payload FROM outbox_events WHERE name = 'order.placed' AND aggregate_id = $1",
            &order_id,
        )
        .await;
    assert_eq!(placed["customer_id"], customer_id.as_str());

    // A cart created while logged in is the customer's from the start.
    let region = store.region_id("eur").await;
    let own = store
        .customer_post(
            "/store/carts",
            As::Bearer(&token),
            json!({ "region_id": region }),
        )
        .await;
    assert_eq!(ok(&own)["cart"]["customer_id"], customer_id.as_str());
    assert_eq!(own.body["cart"]["email"], email);

    // The history: own orders only, 401 without a login.
    let history = store
        .customer_get(
            "/store/orders?limit=10&offset=0&order=-created_at&fields=*items",
            As::Bearer(&token),
        )
        .await;
    let history = ok(&history);
    assert_eq!(history["count"], 1);
    assert_eq!(history["limit"], 10);
    assert_eq!(history["orders"][0]["id"], order_id.as_str());
    assert!(history["orders"][0]["items"].as_array().unwrap().len() == 1);
    let others = store
        .customer_get("/store/orders", As::Bearer(&other))
        .await;
    assert_eq!(ok(&others)["count"], 0);
    assert_eq!(others.body["orders"], json!([]));
    let anonymous = store.customer_get("/store/orders", As::Guest).await;
    assert_eq!(error(&anonymous, 401)["message"], "Unauthorized");
    let with_orders = store
        .customer_get("/store/customers/me?fields=*orders", As::Bearer(&token))
        .await;
    assert_eq!(
        ok(&with_orders)["customer"]["orders"][0]["id"],
        order_id.as_str()
    );

    // The merchant sees the customer with the order.
    let admin = store.admin_token().await;
    let listed = store.admin_get(&admin, "/admin/customers?q=augusta").await;
    assert_eq!(ok(&listed)["count"], 1);
    assert_eq!(listed.body["customers"][0]["id"], customer_id.as_str());
    let detail = store
        .admin_get(&admin, &format!("/admin/customers/{customer_id}"))
        .await;
    assert_eq!(
        ok(&detail)["customer"]["orders"][0]["id"],
        order_id.as_str()
    );
    let unauthenticated = store
        .customer_get(
            &format!("/admin/customers/{customer_id}"),
            As::Bearer(&token),
        )
        .await;
    error(&unauthenticated, 401);

    // Deleting an address answers the customer without it.
    let deleted = store
        .customer_delete(
            &format!("/store/customers/me/addresses/{first_id}"),
            As::Bearer(&token),
        )
        .await;
    assert_eq!(ok(&deleted)["deleted"], true);
    assert_eq!(deleted.body["object"], "address");
    assert_eq!(
        deleted.body["parent"]["addresses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_logins_and_requests_are_answered_as_medusa_answers_them() {
    let store = TestStore::new().await;
    let email = "ada@example.com";
    let token = store.register_customer(email, "Ada").await;
    let post = |uri: &'static str, body: Value| {
        let store = &store;
        async move { store.customer_post(uri, As::Guest, body).await }
    };

    let duplicate = post(
        "/auth/customer/emailpass/register",
        json!({ "email": email, "password": "another one" }),
    )
    .await;
    assert_eq!(
        error(&duplicate, 401)["message"],
        "Identity with email already exists"
    );
    let wrong = post(
        "/auth/customer/emailpass",
        json!({ "email": email, "password": "wrong" }),
    )
    .await;
    let unknown = post(
        "/auth/customer/emailpass",
        json!({ "email": "nobody@example.com", "password": CUSTOMER_PASSWORD }),
    )
    .await;
    assert_eq!(
        error(&wrong, 401),
        error(&unknown, 401),
        "one answer for both"
    );
    assert_eq!(wrong.body["message"], "Invalid email or password");
    let missing = post("/auth/customer/emailpass", json!({ "email": email })).await;
    assert_eq!(
        error(&missing, 401)["message"],
        "Password should be a string"
    );
    let not_an_email = post(
        "/auth/customer/emailpass/register",
        json!({ "email": "ada", "password": "x" }),
    )
    .await;
    error(&not_an_email, 400);

    let without = store.customer_get("/store/customers/me", As::Guest).await;
    assert_eq!(error(&without, 401)["message"], "Unauthorized");
    let forged = store
        .customer_get("/store/customers/me", As::Bearer("not.a.token"))
        .await;
    error(&forged, 401);
    let admin_token = store.admin_token().await;
    let wrong_actor = store
        .customer_get("/store/customers/me", As::Bearer(&admin_token))
        .await;
    error(&wrong_actor, 401);
    let create_without = post("/store/customers", json!({ "email": "x@example.com" })).await;
    error(&create_without, 401);
    let twice = store
        .customer_post(
            "/store/customers",
            As::Bearer(&token),
            json!({ "email": email }),
        )
        .await;
    let body = error(&twice, 422);
    assert_eq!(body["type"], "duplicate_error");
    assert_eq!(body["code"], "invalid_request_error");
    assert_eq!(
        body["message"],
        "Customer with this email already has an account"
    );
    let nonsense = store
        .customer_post(
            "/store/customers/me",
            As::Bearer(&token),
            json!({ "nonsense": 1 }),
        )
        .await;
    let message = error(&nonsense, 400)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("nonsense"), "{message}");
    let unknown_address = store
        .customer_get(
            "/store/customers/me/addresses/caddr_nope",
            As::Bearer(&token),
        )
        .await;
    assert_eq!(
        error(&unknown_address, 404)["message"],
        "Address with id: caddr_nope was not found"
    );
}

#[tokio::test]
async fn tokens_refresh_and_a_cookie_session_logs_in_and_out() {
    let store = TestStore::new().await;
    let token = store.register_customer("ada@example.com", "Ada").await;
    let customer = claims(&token).actor_id;

    let refreshed = store
        .customer_post("/auth/token/refresh", As::Bearer(&token), json!({}))
        .await;
    let fresh = ok(&refreshed)["token"].as_str().unwrap();
    assert_eq!(claims(fresh).actor_id, customer);
    let anonymous = store
        .customer_post("/auth/token/refresh", As::Guest, json!({}))
        .await;
    error(&anonymous, 401);
    // An admin token still refreshes to an admin token.
    let admin = store.admin_token().await;
    let admin_refresh = store
        .admin_send(
            Method::POST,
            "/auth/token/refresh",
            Some(&format!("Bearer {admin}")),
            None,
        )
        .await;
    let admin_fresh = ok(&admin_refresh)["token"].as_str().unwrap();
    assert!(token::verify(TEST_JWT_SECRET.as_bytes(), admin_fresh, "user").is_some());

    let session = store
        .customer_post("/auth/session", As::Bearer(&token), json!({}))
        .await;
    assert_eq!(ok(&session)["user"]["actor_id"], customer.as_str());
    let set_cookie = session.header("set-cookie").unwrap().to_string();
    assert!(set_cookie.starts_with("store_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let me = store
        .customer_get("/store/customers/me", As::Cookie(&cookie))
        .await;
    assert_eq!(ok(&me)["customer"]["id"], customer.as_str());

    let logout = store
        .customer_delete("/auth/session", As::Cookie(&cookie))
        .await;
    ok(&logout);
    assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));
    let without_cookie = store.customer_delete("/auth/session", As::Guest).await;
    assert_eq!(error(&without_cookie, 401)["message"], "Unauthorized");
}

#[tokio::test]
async fn a_password_reset_token_works_once_and_not_after_it_expires() {
    let store = TestStore::new().await;
    let email = "ada@example.com";
    store.register_customer(email, "Ada").await;
    // 201 with the text "Created", as Medusa answers, known email or not.
    let reset = |identifier: &'static str| {
        let store = &store;
        async move {
            let request = axum::http::Request::post("/auth/customer/emailpass/reset-password")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    json!({ "identifier": identifier }).to_string(),
                ))
                .unwrap();
            let (status, _, body) = store.send_raw(request).await;
            assert_eq!(status, 201);
            assert_eq!(&body[..], b"Created");
        }
    };
    reset("nobody@example.com").await;
    reset("ada@example.com").await;
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM outbox_events WHERE name = 'auth.password_reset' ORDER BY occurred_at",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["entity_id"], email);
    let reset_token = events[0]["token"].as_str().unwrap().to_string();
    let stored: String = store
        .scalar("SELECT token_hash FROM password_reset_tokens")
        .await;
    assert_ne!(stored, reset_token, "only a hash is stored");

    let update = |token: String, password: &'static str| {
        let store = &store;
        async move {
            store
                .customer_post(
                    "/auth/customer/emailpass/update",
                    As::Bearer(&token),
                    json!({ "email": email, "password": password }),
                )
                .await
        }
    };
    ok(&update(reset_token.clone(), "a brand new password").await);
    let old = store
        .customer_post(
            "/auth/customer/emailpass",
            As::Guest,
            json!({ "email": email, "password": CUSTOMER_PASSWORD }),
        )
        .await;
    error(&old, 401);
    let new = store
        .customer_post(
            "/auth/customer/emailpass",
            As::Guest,
            json!({ "email": email, "password": "a brand new password" }),
        )
        .await;
    ok(&new);
    let again = update(reset_token, "yet another password").await;
    error(&again, 401);

    // An expired token is refused.
    reset("ada@example.com").await;
    let token: String = store
        .scalar(
            "SELECT payload->>'token' FROM outbox_events WHERE name = 'auth.password_reset'
          ORDER BY occurred_at DESC LIMIT 1",
        )
        .await;
    sqlx::query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .execute(&store.pool)
        .await
        .unwrap();
    error(&update(token, "too late").await, 401);
}

#[tokio::test]
async fn customer_logins_are_rate_limited_per_email() {
    let store = TestStore::new().await;
    let email = "ada@example.com";
    store.register_customer(email, "Ada").await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let reply = store
            .customer_post(
                "/auth/customer/emailpass",
                As::Guest,
                json!({ "email": email, "password": "wrong" }),
            )
            .await;
        statuses.push(reply.status.as_u16());
    }
    // The default limit is 10 attempts per email in the window; register and the
    // successful login of the set-up counted too.
    assert!(statuses.contains(&401), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let right = store
        .customer_post(
            "/auth/customer/emailpass",
            As::Guest,
            json!({ "email": email, "password": CUSTOMER_PASSWORD }),
        )
        .await;
    assert_eq!(
        right.status, 429,
        "also the right password, until the window ends"
    );
}
