//! Test harness: each test gets a fresh database on the test PostgreSQL server with the
//! demo catalog loaded, its own Redis key prefix, and sends requests through the same
//! router the Lambda runs.
//!
//! `scripts/test` starts the servers and sets `TEST_DATABASE_URL` (an admin URL of the
//! test server) and `TEST_REDIS_URL`.

pub mod admin;
pub mod aws;
pub mod customers;
pub mod flow;
pub mod openapi;
pub mod strapi_fake;
pub mod stripe_fake;
pub mod timing;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

use store::config::Config;
use store::payments::PaymentProviders;
use store::AppState;
use store_admin::{AdminAuth, AdminState};

pub const DEMO_CATALOG: &str = include_str!("../../seed/demo-catalog.json");

pub struct TestStore {
    pub pool: PgPool,
    pub state: AppState,
    /// The admin functions' login and token checks.
    pub admin: AdminAuth,
    /// The checkout and orders functions' payment providers.
    pub payments: PaymentProviders,
    /// The functions, each with its own router, as `cargo lambda watch` serves them.
    pub functions: Functions,
    pub publishable_key: String,
    pub database_url: String,
}

/// One router per function, picked by path by the watch router in Cargo.toml.
#[derive(Clone)]
pub struct Functions {
    products: Router,
    cart: Router,
    checkout: Router,
    orders: Router,
    content: Router,
    accounts: Router,
}

impl Functions {
    pub fn new(state: &AppState, admin: &AdminAuth, payments: &PaymentProviders) -> Self {
        let with_admin = AdminState {
            app: state.clone(),
            auth: admin.clone(),
        };
        Functions {
            products: products::router(with_admin.clone()),
            accounts: accounts::router(with_admin.clone()),
            cart: cart::router(with_admin),
            checkout: checkout::router(checkout::CheckoutState {
                app: state.clone(),
                payments: payments.clone(),
            }),
            orders: orders::router(orders::OrdersState {
                app: state.clone(),
                auth: admin.clone(),
                payments: payments.clone(),
            }),
            content: content::router(state.clone()),
        }
    }

    /// The function behind the HTTP API's `$default` route in template.yaml (the products
    /// function): in AWS it also answers the CORS preflights of paths with no `ANY` route.
    pub fn default_route(&self) -> &Router {
        &self.products
    }

    /// The router of the function the route table (the watch router in Cargo.toml)
    /// sends `path` to.
    pub fn for_path(&self, path: &str) -> &Router {
        match route_table::RouteTable::workspace().function_for(path) {
            Some("products") => &self.products,
            Some("cart") => &self.cart,
            Some("checkout") => &self.checkout,
            Some("orders") => &self.orders,
            Some("content") => &self.content,
            Some("accounts") => &self.accounts,
            other => panic!("the route table sends {path} to {other:?}, which the harness lacks"),
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The value of the first `name` among decoded `(name, value)` pairs (a query, a form).
pub fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Serves `router` on a free port of 127.0.0.1 for the rest of the test; returns its
/// base URL (`http://127.0.0.1:<port>`). `what` names the server in a failure.
pub async fn serve_on_loopback(router: Router, what: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind the {what}: {e}"));
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    });
    format!("http://{addr}")
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with scripts/test, which starts PostgreSQL and Redis"
        )
    })
}

/// A URL for a fresh, empty database on the test server.
pub async fn fresh_database_url() -> String {
    let admin_url = env("TEST_DATABASE_URL");
    let name = format!("test_{}", ulid::Ulid::generate().to_string().to_lowercase());
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin_url);
    let url = format!("{base}/{name}");
    store::db::create_database_if_missing(&url)
        .await
        .expect("create test database");
    url
}

impl TestStore {
    /// A store with the demo catalog, caching in the test Redis.
    pub async fn new() -> Self {
        Self::with_redis(Some(env("TEST_REDIS_URL"))).await
    }

    /// A store whose Redis is `redis_url` (None: no Redis at all).
    pub async fn with_redis(redis_url: Option<String>) -> Self {
        let database_url = fresh_database_url().await;
        let pool = store::db::connect_and_migrate(&database_url)
            .await
            .expect("migrate");
        let catalog = store_seed::parse(DEMO_CATALOG).expect("demo catalog parses");
        let report = store_seed::load(&pool, &catalog).await.expect("seed");
        let publishable_key = report.publishable_keys[0].1.clone();
        let prefix = database_url
            .rsplit('/')
            .next()
            .unwrap_or("test")
            .to_string();
        let config = Config {
            database_url: database_url.clone(),
            redis_url,
            cache_prefix: prefix,
            store_cors: vec!["http://localhost:8000".into()],
            admin_cors: vec!["http://localhost:7001".into()],
            auth_cors: vec![
                "http://localhost:8000".into(),
                "http://localhost:7001".into(),
            ],
            cache_ttl: Duration::from_secs(30),
            database_max_connections: 5,
            catalog_caching: store::http_cache::CatalogCaching {
                max_age: Duration::from_secs(30),
                stale_while_revalidate: Duration::from_secs(300),
            },
        };
        let state = AppState::new(config).expect("state");
        let admin = admin::test_auth();
        let payments = PaymentProviders::system();
        TestStore {
            pool,
            functions: Functions::new(&state, &admin, &payments),
            state,
            admin,
            payments,
            publishable_key,
            database_url,
        }
    }

    /// GET with the demo publishable key.
    pub async fn get(&self, uri: &str) -> Reply {
        let request = Request::get(uri)
            .header("x-publishable-api-key", &self.publishable_key)
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// GET with the demo publishable key; the body stays bytes (no JSON parsing).
    pub async fn get_raw(&self, uri: &str) -> (StatusCode, HeaderMap, axum::body::Bytes) {
        let request = Request::get(uri)
            .header("x-publishable-api-key", &self.publishable_key)
            .body(Body::empty())
            .unwrap();
        self.send_raw(request).await
    }

    /// Sends through the function that owns the path; the body stays bytes.
    pub async fn send_raw(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, HeaderMap, axum::body::Bytes) {
        let router = self.functions.for_path(request.uri().path()).clone();
        let response = router.oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, headers, bytes)
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let (status, headers, bytes) = self.send_raw(request).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("response is not JSON: {}", String::from_utf8_lossy(&bytes))
            })
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends `builder`'s request with `body` as JSON, or with no body.
    pub async fn send_built(
        &self,
        mut builder: axum::http::request::Builder,
        body: Option<Value>,
    ) -> Reply {
        let body = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// POST (or DELETE) a JSON body with the demo publishable key.
    pub async fn send_json(&self, method: Method, uri: &str, body: &Value) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("x-publishable-api-key", &self.publishable_key)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.send_json(Method::POST, uri, &body).await
    }

    /// Replaces the function routers, e.g. after giving the state other payment providers.
    pub fn with_state(mut self, state: AppState) -> Self {
        self.functions = Functions::new(&state, &self.admin, &self.payments);
        self.state = state;
        self
    }

    /// Replaces the function routers after changing the admin login and token checks.
    pub fn with_admin(mut self, admin: AdminAuth) -> Self {
        self.functions = Functions::new(&self.state, &admin, &self.payments);
        self.admin = admin;
        self
    }

    /// Replaces the function routers after changing the payment providers.
    pub fn with_payments(mut self, payments: PaymentProviders) -> Self {
        self.functions = Functions::new(&self.state, &self.admin, &payments);
        self.payments = payments;
        self
    }

    pub async fn request(&self, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }

    /// The first region with this currency.
    pub async fn region_id(&self, currency: &str) -> String {
        sqlx::query_scalar("SELECT id FROM regions WHERE currency_code = $1")
            .bind(currency)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The one value `sql` selects with `$1` bound to `id`.
    pub async fn scalar_for<T>(&self, sql: &'static str, id: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The euro price of `variant`, in minor units, as the database holds it.
    pub async fn eur_price(&self, variant: &Value) -> i64 {
        self.scalar_for(
            "SELECT amount FROM prices WHERE variant_id = $1 AND currency_code = 'eur'",
            variant["id"].as_str().unwrap(),
        )
        .await
    }

    pub async fn scalar<T>(&self, sql: &'static str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Drops this store's database (tests leave theirs to the wiped test server).
    pub async fn drop_database(self) {
        let name = self
            .database_url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let admin = env("TEST_DATABASE_URL");
        drop(self.functions);
        drop(self.state);
        self.pool.close().await;
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("admin connection");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .expect("drop database");
    }

    /// Two columns of one row.
    pub async fn scalar_pair<A, B>(&self, sql: &'static str) -> (A, B)
    where
        (A, B): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        sqlx::query_as(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Runs `sql` with `$1` bound to `id`, e.g. to put a row in a state the API cannot.
    pub async fn execute_for(&self, sql: &'static str, id: &str) {
        sqlx::query(sql)
            .bind(id)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Marks `product` as a gift card.
    pub async fn make_gift_card(&self, product: &str) {
        self.execute_for(
            "UPDATE products SET is_giftcard = TRUE WHERE id = $1",
            product,
        )
        .await;
    }

    /// A million units of every inventory item, for benchmarks that check out many times.
    pub async fn stock_everything(&self) {
        self.execute("UPDATE inventory_levels SET stocked_quantity = 1000000")
            .await;
    }

    pub async fn execute(&self, sql: &'static str) {
        sqlx::query(sql).execute(&self.pool).await.unwrap();
    }
}
