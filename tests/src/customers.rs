//! Customer account helpers: requests as a customer (publishable key and a bearer token
//! or a session cookie), and registering one.

use axum::http::{Method, Request};
use serde_json::{json, Value};

use crate::{Reply, TestStore};

pub const CUSTOMER_PASSWORD: &str = "correct horse battery";

/// How a request proves who it comes from.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Guest,
    Bearer(&'a str),
    Cookie(&'a str),
}

impl TestStore {
    /// A Store API request with the publishable key, as `who`, from `ip`.
    pub async fn customer_send(
        &self,
        method: Method,
        uri: &str,
        who: As<'_>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("x-publishable-api-key", &self.publishable_key)
            .header("x-forwarded-for", "198.51.100.7");
        builder = match who {
            As::Guest => builder,
            As::Bearer(token) => builder.header("authorization", format!("Bearer {token}")),
            As::Cookie(cookie) => builder.header("cookie", cookie),
        };
        self.send_built(builder, body).await
    }

    pub async fn customer_get(&self, uri: &str, who: As<'_>) -> Reply {
        self.customer_send(Method::GET, uri, who, None).await
    }

    pub async fn customer_post(&self, uri: &str, who: As<'_>, body: Value) -> Reply {
        self.customer_send(Method::POST, uri, who, Some(body)).await
    }

    pub async fn customer_delete(&self, uri: &str, who: As<'_>) -> Reply {
        self.customer_send(Method::DELETE, uri, who, None).await
    }

    /// `POST /auth/customer/emailpass/register` with these credentials, as a guest.
    pub async fn register_identity(&self, credentials: &Value) -> Reply {
        self.customer_post(
            "/auth/customer/emailpass/register",
            As::Guest,
            credentials.clone(),
        )
        .await
    }

    /// Registers `email`, creates its customer and logs in; returns the login token.
    pub async fn register_customer(&self, email: &str, first_name: &str) -> String {
        let credentials = json!({ "email": email, "password": CUSTOMER_PASSWORD });
        let registered = self.register_identity(&credentials).await;
        assert_eq!(registered.status, 200, "{}", registered.body);
        let token = registered.body["token"].as_str().unwrap().to_string();
        let created = self
            .customer_post(
                "/store/customers",
                As::Bearer(&token),
                json!({ "email": email, "first_name": first_name, "last_name": "Lovelace" }),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let login = self
            .customer_post("/auth/customer/emailpass", As::Guest, credentials)
            .await;
        assert_eq!(login.status, 200, "{}", login.body);
        login.body["token"].as_str().unwrap().to_string()
    }
}
