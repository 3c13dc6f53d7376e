//! Admin API helpers: an admin user, a token, authenticated requests, and an order
//! placed through the store checkout to take through its lifecycle.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{json, Value};

use store_admin::rate_limit::LoginLimits;
use store_admin::AdminAuth;

use crate::flow::{
    add_shipping_method, filled_cart, first_shipping_option, ok, payment_collection,
};
use crate::stripe_fake::StripeFake;
use crate::{Reply, TestStore};

/// The JWT secret every test store signs with.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

pub fn test_auth() -> AdminAuth {
    AdminAuth::new(
        TEST_JWT_SECRET,
        Duration::from_secs(3600),
        LoginLimits::default(),
    )
    .expect("test secret is long enough")
}

impl TestStore {
    /// Creates the admin user (once) and logs in; returns the JWT.
    pub async fn admin_token(&self) -> String {
        let exists = store_admin::users::user_exists(&self.pool, ADMIN_EMAIL)
            .await
            .unwrap();
        if !exists {
            store_admin::users::create_user(&self.pool, ADMIN_EMAIL, ADMIN_PASSWORD)
                .await
                .unwrap();
        }
        let reply = self
            .login(ADMIN_EMAIL, ADMIN_PASSWORD, Some("203.0.113.1"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["token"].as_str().unwrap().to_string()
    }

    pub async fn login(&self, email: &str, password: &str, ip: Option<&str>) -> Reply {
        let mut builder =
            Request::post("/auth/user/emailpass").header("content-type", "application/json");
        if let Some(ip) = ip {
            builder = builder.header("x-forwarded-for", ip);
        }
        self.send(
            builder
                .body(Body::from(
                    json!({ "email": email, "password": password }).to_string(),
                ))
                .unwrap(),
        )
        .await
    }

    /// A request with `Authorization: <authorization>` (e.g. `Bearer ...`).
    pub async fn admin_send(
        &self,
        method: Method,
        uri: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        self.send_built(builder, body).await
    }

    pub async fn admin_get(&self, token: &str, uri: &str) -> Reply {
        self.admin_send(Method::GET, uri, Some(&format!("Bearer {token}")), None)
            .await
    }

    pub async fn admin_post(&self, token: &str, uri: &str, body: Value) -> Reply {
        self.admin_send(
            Method::POST,
            uri,
            Some(&format!("Bearer {token}")),
            Some(body),
        )
        .await
    }

    /// A variant of the demo catalog with at least 20 units in stock and no backorders.
    pub async fn stocked_variant(&self) -> String {
        sqlx::query_scalar(
            "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
               JOIN product_variant_inventory_items vi ON vi.variant_id = v.id
               JOIN inventory_levels l ON l.inventory_item_id = vi.inventory_item_id
              WHERE p.status = 'published' AND NOT v.allow_backorder AND v.manage_inventory
                AND l.stocked_quantity >= 20
              ORDER BY v.sku LIMIT 1",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Places an order for `quantity` of `variant` through the store checkout (system
    /// payment provider); returns the order as the store answered it.
    pub async fn place_order(&self, variant: &str, quantity: i64) -> Value {
        self.place_order_paying(variant, quantity, None, None).await
    }

    /// [`place_order`](Self::place_order), paying with Stripe (the fake) when given: the
    /// shopper's confirmation is played by the fake.
    pub async fn place_order_paying(
        &self,
        variant: &str,
        quantity: i64,
        stripe: Option<&StripeFake>,
        promo_code: Option<&str>,
    ) -> Value {
        let address = json!({ "first_name": "Ada", "last_name": "Lovelace", "address_1": "Main Street 1",
                              "city": "Copenhagen", "country_code": "dk", "postal_code": "2200" });
        let cart = filled_cart(self, variant, quantity, "ada@example.com", address).await;
        if let Some(code) = promo_code {
            let cart = self
                .post(
                    &format!("/store/carts/{cart}/promotions"),
                    json!({ "promo_codes": [code] }),
                )
                .await;
            assert!(
                ok(&cart)["cart"]["discount_total"].as_f64().unwrap() > 0.0,
                "{}",
                cart.body
            );
        }
        let option = first_shipping_option(self, &cart).await;
        add_shipping_method(self, &cart, &option).await;
        let collection = payment_collection(self, &cart).await;
        let provider = if stripe.is_some() {
            "pp_stripe_stripe"
        } else {
            "pp_system_default"
        };
        let reply = self
            .post(
                &format!("/store/payment-collections/{collection}/payment-sessions"),
                json!({ "provider_id": provider }),
            )
            .await;
        let session = ok(&reply);
        if let Some(fake) = stripe {
            let intent = session["payment_collection"]["payment_sessions"][0]["data"]["id"]
                .as_str()
                .unwrap();
            fake.confirm(intent);
        }
        let completed = self
            .post(&format!("/store/carts/{cart}/complete"), json!({}))
            .await;
        assert_eq!(ok(&completed)["type"], "order", "{}", completed.body);
        completed.body["order"].clone()
    }

    /// (stocked, reserved) summed over the levels of the variant's inventory items.
    pub async fn stock_of(&self, variant: &str) -> (i64, i64) {
        sqlx::query_as(
            "SELECT coalesce(sum(stocked_quantity), 0)::bigint, coalesce(sum(reserved_quantity), 0)::bigint
               FROM inventory_levels
              WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items
                                           WHERE variant_id = $1)",
        )
        .bind(variant)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Names of the outbox events recorded for `aggregate_id`, oldest first.
    pub async fn events_for(&self, aggregate_id: &str) -> Vec<(String, Value)> {
        sqlx::query_as(
            "SELECT name, payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY occurred_at, id",
        )
        .bind(aggregate_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}
