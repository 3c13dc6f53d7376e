//! The OpenAPI 3.1 document of every route the functions serve, derived from the code:
//! the paths each function declares in its `routes()` (the ones `tests/route_table.rs`
//! checks against the route table) and, for each, the methods its router answers (asked
//! of the router itself: a request with a method no route takes gets a 405 whose `Allow`
//! header lists the ones it does). Bodies are JSON objects, every refusal the store's
//! JSON error shape. `cargo run -p store-tests --example openapi` writes it; the
//! schemathesis step of `scripts/test` fuzzes the served store with it.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use crate::Functions;

/// Every function's router over a state that reaches no backend (the pool connects on
/// first use, and asking a router for its methods never uses it). The database is a Unix
/// socket that does not exist: the breaker's TCP connect check has no address to refuse,
/// so the probes reach the routers.
pub fn offline_functions() -> Functions {
    let config = store::config::Config::from_lookup(|name| {
        (name == "DATABASE_URL")
            .then(|| "postgres://nobody@localhost/none?host=/nonexistent".to_string())
    })
    .expect("a configuration");
    let state = store::AppState::new(config).expect("a state");
    Functions::new(
        &state,
        &crate::admin::test_auth(),
        &store::payments::PaymentProviders::system(),
    )
}

/// Each function's declared paths, in axum's syntax (also OpenAPI's for `{id}`).
pub fn declared() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("products", products::routes().paths().to_vec()),
        ("cart", cart::routes().paths().to_vec()),
        ("checkout", checkout::routes().paths().to_vec()),
        ("orders", orders::routes().paths().to_vec()),
        ("accounts", accounts::routes().paths().to_vec()),
        ("content", content::routes::routes().paths().to_vec()),
    ]
}

/// A concrete path matching a declared one: `{id}` → `id_1`, `{*rest}` → `a/b`.
pub fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(name) if name.starts_with('*') => "a/b".to_string(),
            Some(name) => format!("{}_1", name.trim_end_matches('}')),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The methods the router serving `path` takes there (HEAD left out: it follows GET).
pub async fn methods(functions: &Functions, path: &str) -> Vec<Method> {
    let concrete = concrete(path);
    let router = functions.for_path(&concrete).clone();
    let probe = Request::builder()
        .method(Method::TRACE)
        .uri(&concrete)
        .body(Body::empty())
        .expect("a request");
    let response = router.oneshot(probe).await.expect("routers are infallible");
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return Vec::new();
    }
    response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .filter_map(|m| Method::from_bytes(m.trim().as_bytes()).ok())
        .filter(|m| *m != Method::HEAD)
        .collect()
}

/// The whole document.
pub async fn document(functions: &Functions) -> Value {
    let mut paths = Map::new();
    let mut routes: Vec<&str> = declared().into_iter().flat_map(|(_, p)| p).collect();
    routes.sort_unstable();
    for path in routes {
        let mut item = Map::new();
        for method in methods(functions, path).await {
            item.insert(
                method.as_str().to_ascii_lowercase(),
                operation(&method, path),
            );
        }
        paths.insert(path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Store API (Medusa v2 wire format) served by the store's Lambda functions",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "paths": paths,
        "components": {
            "schemas": { "Error": error_schema() },
            "securitySchemes": {
                "publishable_key": { "type": "apiKey", "in": "header", "name": "x-publishable-api-key" },
                "bearer": { "type": "http", "scheme": "bearer" },
            },
        },
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "message"],
        "properties": { "type": { "type": "string" }, "message": { "type": "string" } },
    })
}

fn operation(method: &Method, path: &str) -> Value {
    let mut parameters: Vec<Value> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let name = name.trim_start_matches('*');
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
        })
        .collect();
    if *method == Method::GET {
        for name in ["fields", "limit", "offset", "order"] {
            parameters.push(json!({ "name": name, "in": "query", "schema": { "type": "string" } }));
        }
    }
    let error = json!({
        "description": "refused: the store's JSON error shape",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    let mut op = json!({
        "operationId": format!("{}{}", method.as_str().to_ascii_lowercase(), path.replace(['/', '{', '}', '*', '-'], "_")),
        "parameters": parameters,
        "responses": {
            "200": { "description": "the resource, in Medusa's shape", "content": { "application/json": { "schema": { "type": "object" } } } },
            "4XX": error,
        },
        "security": [ { "publishable_key": [] }, { "bearer": [] } ],
    });
    if *method == Method::POST || (*method == Method::DELETE && path.ends_with("/promotions")) {
        op["requestBody"] = json!({
            "content": { "application/json": { "schema": { "type": "object" } } },
        });
    }
    op
}
