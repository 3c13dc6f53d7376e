//! A local stand-in for Strapi 5's REST API, answering with responses captured from a
//! real Strapi 5.54 (the `strapi-captures` reference: content types `product-content`,
//! `page`, `banner` and the single type `homepage`), and the webhook bodies that Strapi
//! sent, with the order in which one editor action fires them.
//!
//! Requests are matched on method, path and the decoded query (pairs in any order);
//! anything not captured is Strapi's 404 for an unknown route. Like Strapi it wants the
//! API token: none is its 403, a wrong one its 401. Tests can add answers
//! ([`StrapiFake::set_response`]), make it fail with a status ([`StrapiFake::set_failing`]),
//! slow ([`StrapiFake::set_delay`]), or answer in Strapi 4's nested `attributes` shape
//! ([`StrapiFake::set_v4`]). Every request is recorded ([`StrapiFake::requests`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// The read-only API token the fake accepts.
pub const FAKE_TOKEN: &str = "strapi-fake-read-token-7f3a9c1e5b";
/// The webhook header and value configured on the captured Strapi.
pub const WEBHOOK_HEADER: &str = "x-webhook-secret";
pub const WEBHOOK_SECRET: &str = "dev-webhook-secret";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: Method,
    pub path: String,
    /// Decoded query pairs, sorted.
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
}

impl RecordedRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        crate::value_of(&self.query, name)
    }
}

/// A webhook delivery as Strapi sent it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// What the editor did (from the captured sequence), or the capture's name.
    pub step: String,
    pub event: String,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    answers: HashMap<String, (u16, Value)>,
    requests: Vec<RecordedRequest>,
    failing: Option<u16>,
    delay: Option<Duration>,
    v4: bool,
}

type Shared = Arc<Mutex<Inner>>;

#[derive(Clone)]
pub struct StrapiFake {
    /// `http://127.0.0.1:<port>`, for `STRAPI_URL`.
    pub base_url: String,
    inner: Shared,
}

fn captures() -> impl Iterator<Item = Value> {
    CAPTURES
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("captures are JSON"))
}

fn captured_response(file: &str) -> Value {
    captures()
        .find(|c| c["kind"] == "response" && c["file"] == file)
        .map(|c| c["body"].clone())
        .unwrap_or_else(|| panic!("no capture {file}"))
}

/// `path?a=1&b=2` with the pairs sorted, so the order a client sends does not matter.
fn match_key(method: &str, path: &str, pairs: &mut [(String, String)]) -> String {
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{method} {path}?{}", query.join("&"))
}

/// Splits a decoded `path?query` the way the captures write them.
fn split_decoded(path_and_query: &str) -> (String, Vec<(String, String)>) {
    match path_and_query.split_once('?') {
        None => (path_and_query.to_string(), Vec::new()),
        Some((path, query)) => (
            path.to_string(),
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (pair.to_string(), String::new()),
                })
                .collect(),
        ),
    }
}

impl StrapiFake {
    pub async fn start() -> Self {
        let mut inner = Inner::default();
        for capture in captures().filter(|c| c["kind"] == "response" && c["auth"] == "read-only") {
            let (path, mut pairs) = split_decoded(capture["path"].as_str().unwrap());
            let key = match_key(capture["method"].as_str().unwrap(), &path, &mut pairs);
            let status = capture["status"].as_u64().unwrap() as u16;
            inner.answers.insert(key, (status, capture["body"].clone()));
        }
        let inner: Shared = Arc::new(Mutex::new(inner));
        let router = Router::new().fallback(handle).with_state(inner.clone());
        StrapiFake {
            base_url: crate::serve_on_loopback(router, "Strapi fake").await,
            inner,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers `GET <decoded path?query>` with `status` and `body` (Strapi 5 shape).
    pub fn set_response(&self, path_and_query: &str, status: u16, body: Value) {
        let (path, mut pairs) = split_decoded(path_and_query);
        let key = match_key("GET", &path, &mut pairs);
        self.lock().answers.insert(key, (status, body));
    }

    /// Every request answers `status` (a 5xx: Strapi down behind its proxy); None heals it.
    pub fn set_failing(&self, status: Option<u16>) {
        self.lock().failing = status;
    }

    pub fn set_delay(&self, delay: Option<Duration>) {
        self.lock().delay = delay;
    }

    /// Answers in Strapi 4's shape: `{id, attributes}` entries, relations as `{data}`.
    pub fn set_v4(&self, on: bool) {
        self.lock().v4 = on;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many requests reached the fake for `path` (any query).
    pub fn count(&self, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// A captured response body by file name (`03-product-by-documentId.json`).
    pub fn captured(file: &str) -> Value {
        captured_response(file)
    }

    /// A captured webhook delivery by name (`first-product-content--entry.publish`).
    pub fn webhook(name: &str) -> Delivery {
        captures()
            .find(|c| c["kind"] == "webhook" && c["name"] == name)
            .map(|c| Delivery {
                step: name.to_string(),
                event: c["event_header"].as_str().unwrap().to_string(),
                body: c["body"].clone(),
            })
            .unwrap_or_else(|| panic!("no captured webhook {name}"))
    }

    /// The captured editor session on one `product-content` document (create a draft,
    /// edit, publish, edit the published version, edit and discard a draft, unpublish,
    /// delete, then create-and-publish and delete another), every delivery in the order
    /// Strapi fired it. Each body is the captured body of its event, with the entry's id,
    /// documentId, handle, publishedAt and title as that delivery carried them.
    pub fn publish_sequence() -> Vec<Delivery> {
        let sequence = captures()
            .find(|c| c["kind"] == "sequence")
            .expect("captured sequence");
        let mut deliveries = Vec::new();
        for step in sequence["steps"].as_array().unwrap() {
            for delivery in step["deliveries"].as_array().unwrap() {
                let event = delivery["event"].as_str().unwrap();
                let mut body = Self::webhook(&format!("first-product-content--{event}")).body;
                let entry = &mut body["entry"];
                entry["id"] = delivery["entry_id"].clone();
                entry["documentId"] = delivery["documentId"].clone();
                entry["handle"] = delivery["handle"].clone();
                entry["publishedAt"] = delivery["publishedAt"].clone();
                entry["editorial_title"] = delivery["editorial_title"].clone();
                deliveries.push(Delivery {
                    step: step["step"].as_str().unwrap().to_string(),
                    event: event.to_string(),
                    body,
                });
            }
        }
        deliveries
    }
}

async fn handle(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut pairs: Vec<(String, String)> = uri.query().map(decode_query).unwrap_or_default();
    pairs.sort();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (delay, failing, answer, v4) = {
        let mut inner = inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.requests.push(RecordedRequest {
            method: method.clone(),
            path: uri.path().to_string(),
            query: pairs.clone(),
            authorization: authorization.clone(),
        });
        let key = match_key(method.as_str(), uri.path(), &mut pairs);
        (
            inner.delay,
            inner.failing,
            inner.answers.get(&key).cloned(),
            inner.v4,
        )
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = failing {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return (status, "<html><body>upstream unavailable</body></html>").into_response();
    }
    match authorization.as_deref() {
        None => return reply(403, captured_response("25-403-no-token.json")),
        Some(value) if value != format!("Bearer {FAKE_TOKEN}") => {
            return reply(401, captured_response("26-401-bad-token.json"))
        }
        Some(_) => {}
    }
    let (status, mut body) =
        answer.unwrap_or_else(|| (404, captured_response("20-404-unknown-route.json")));
    if v4 && (200..300).contains(&status) {
        body = to_v4_envelope(body);
    }
    reply(status, body)
}

/// Decodes `a%5Bb%5D=c&...` into pairs (`+` is a space, as qs reads it).
fn decode_query(query: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{query}").parse().expect("uri"),
    )
    .map(|q| q.0)
    .unwrap_or_default()
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, Json(body)).into_response()
}

fn to_v4_envelope(mut body: Value) -> Value {
    let data = body["data"].take();
    body["data"] = match data {
        Value::Array(items) => Value::Array(items.into_iter().map(to_v4_entity).collect()),
        Value::Object(_) => to_v4_entity(data),
        other => other,
    };
    body
}

fn to_v4_entity(entity: Value) -> Value {
    let Value::Object(fields) = entity else {
        return entity;
    };
    let mut attributes = Map::new();
    let mut id = Value::Null;
    for (key, value) in fields {
        match key.as_str() {
            "id" => id = value,
            "documentId" => {}
            _ => {
                attributes.insert(key, to_v4_value(value));
            }
        }
    }
    json!({ "id": id, "attributes": attributes })
}

fn is_document(value: &Value) -> bool {
    value.get("documentId").is_some()
}

fn to_v4_value(value: Value) -> Value {
    match value {
        Value::Object(_) if is_document(&value) => json!({ "data": to_v4_entity(value) }),
        Value::Array(items) if !items.is_empty() && items.iter().all(is_document) => {
            json!({ "data": items.into_iter().map(to_v4_entity).collect::<Vec<_>>() })
        }
        Value::Array(items) => Value::Array(items.into_iter().map(to_v4_value).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, to_v4_value(v))).collect())
        }
        other => other,
    }
}

/// Generated from the captures: one JSON object per line.
const CAPTURES: &str = r#"
{"kind":"response","file":"01-product-by-handle-populate-all.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-1&populate=*","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z","highlights":[{"id":4,"text":"Highlight 1 of product 1"},{"id":5,"text":"Highlight 2 of product 1"},{"id":6,"text":"Highlight 3 of product 1"}],"banner":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"}}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}}
{"kind":"response","file":"02-product-by-handle-no-populate.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-1","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z"}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}}
{"kind":"response","file":"03-product-by-documentId.json","method":"GET","path":"/api/product-contents/m7cgf8vyeobpmlvg1rie2e4j","auth":"read-only","status":200,"body":{"data":{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z"},"meta":{}}}
{"kind":"response","file":"04-product-by-documentId-populate-all.json","method":"GET","path":"/api/product-contents/m7cgf8vyeobpmlvg1rie2e4j?populate=*","auth":"read-only","status":200,"body":{"data":{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z","highlights":[{"id":4,"text":"Highlight 1 of product 1"},{"id":5,"text":"Highlight 2 of product 1"},{"id":6,"text":"Highlight 3 of product 1"}],"banner":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"}},"meta":{}}}
{"kind":"response","file":"05-pages-page1-size2.json","method":"GET","path":"/api/pages?pagination[page]=1&pagination[pageSize]=2","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":"2026-11-25T17:55:31.479Z"},{"id":4,"documentId":"jbw5vselqp0waelz5758e1qj","title":"Contact","slug":"contact","body":[{"type":"paragraph","children":[{"type":"text","text":"Contact page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.596Z","updatedAt":"2026-11-25T17:55:31.596Z","publishedAt":"2026-11-25T17:55:31.605Z"}],"meta":{"pagination":{"page":1,"pageSize":2,"pageCount":2,"total":4}}}}
{"kind":"response","file":"06-pages-populate-seo.json","method":"GET","path":"/api/pages?populate[seo]=true&sort=slug","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":"2026-11-25T17:55:31.479Z","seo":{"id":2,"meta_title":"About us | Shop","meta_description":"All about about us.","canonical_url":"https://shop.example.com/pages/about","no_index":false}},{"id":4,"documentId":"jbw5vselqp0waelz5758e1qj","title":"Contact","slug":"contact","body":[{"type":"paragraph","children":[{"type":"text","text":"Contact page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.596Z","updatedAt":"2026-11-25T17:55:31.596Z","publishedAt":"2026-11-25T17:55:31.605Z","seo":{"id":4,"meta_title":"Contact | Shop","meta_description":"All about contact.","canonical_url":"https://shop.example.com/pages/contact","no_index":false}},{"id":8,"documentId":"m4q5yv317fqpikzw1et4tnbw","title":"Returns","slug":"returns","body":[{"type":"paragraph","children":[{"type":"text","text":"Returns page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.914Z","updatedAt":"2026-11-25T17:55:31.914Z","publishedAt":"2026-11-25T17:55:31.938Z","seo":{"id":8,"meta_title":"Returns | Shop","meta_description":"All about returns.","canonical_url":"https://shop.example.com/pages/returns","no_index":false}},{"id":6,"documentId":"uzibl3xhs2ig40jxsno3wghd","title":"Shipping","slug":"shipping","body":[{"type":"paragraph","children":[{"type":"text","text":"Shipping page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.759Z","updatedAt":"2026-11-25T17:55:31.759Z","publishedAt":"2026-11-25T17:55:31.771Z","seo":{"id":6,"meta_title":"Shipping | Shop","meta_description":"All about shipping.","canonical_url":"https://shop.example.com/pages/shipping","no_index":false}}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":4}}}}
{"kind":"response","file":"07-banners-list.json","method":"GET","path":"/api/banners","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"},{"id":4,"documentId":"v6jt5lrl0cg2zvfnmyc3kdqa","title":"Banner 2","image_url":"https://cdn.example.com/banners/banner-2.jpg","link":"/collections/sale-2","placement":"sidebar","createdAt":"2026-11-25T17:55:31.070Z","updatedAt":"2026-11-25T17:55:31.070Z","publishedAt":"2026-11-25T17:55:31.081Z"},{"id":6,"documentId":"a6babnevragee5za8037fc8q","title":"Banner 3","image_url":"https://cdn.example.com/banners/banner-3.jpg","link":"/collections/sale-3","placement":"footer","createdAt":"2026-11-25T17:55:31.157Z","updatedAt":"2026-11-25T17:55:31.157Z","publishedAt":"2026-11-25T17:55:31.166Z"},{"id":8,"documentId":"jldameu37v21zbapr4kdbc0h","title":"Banner 4","image_url":"https://cdn.example.com/banners/banner-4.jpg","link":"/collections/sale-4","placement":"inline","createdAt":"2026-11-25T17:55:31.252Z","updatedAt":"2026-11-25T17:55:31.252Z","publishedAt":"2026-11-25T17:55:31.270Z"}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":4}}}}
{"kind":"response","file":"08-homepage-single-type-populate-all.json","method":"GET","path":"/api/homepage?populate=*","auth":"read-only","status":200,"body":{"data":{"id":2,"documentId":"nsia4cnu23702yk6ytq7rivk","title":"Welcome to the anchor shop","createdAt":"2026-11-25T17:55:38.619Z","updatedAt":"2026-11-25T17:55:38.619Z","publishedAt":"2026-11-25T17:55:38.635Z","hero_banner":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"},"featured_pages":[{"id":2,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":"2026-11-25T17:55:31.479Z"},{"id":4,"documentId":"jbw5vselqp0waelz5758e1qj","title":"Contact","slug":"contact","body":[{"type":"paragraph","children":[{"type":"text","text":"Contact page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.596Z","updatedAt":"2026-11-25T17:55:31.596Z","publishedAt":"2026-11-25T17:55:31.605Z"},{"id":6,"documentId":"uzibl3xhs2ig40jxsno3wghd","title":"Shipping","slug":"shipping","body":[{"type":"paragraph","children":[{"type":"text","text":"Shipping page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.759Z","updatedAt":"2026-11-25T17:55:31.759Z","publishedAt":"2026-11-25T17:55:31.771Z"}],"featured_products":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z"},{"id":4,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2","editorial_title":"Editorial title for product 2","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 2."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":102,"material":"linen","tags":["anchor","p2"]},"createdAt":"2026-11-25T17:55:32.287Z","updatedAt":"2026-11-25T17:55:32.287Z","publishedAt":"2026-11-25T17:55:32.300Z"},{"id":6,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:32.388Z","publishedAt":"2026-11-25T17:55:32.393Z"},{"id":8,"documentId":"sk65a2o1okhv9beiyy1kf6jn","handle":"product-4","editorial_title":"Editorial title for product 4","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 4."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":104,"material":"wool","tags":["anchor","p4"]},"createdAt":"2026-11-25T17:55:32.474Z","updatedAt":"2026-11-25T17:55:32.474Z","publishedAt":"2026-11-25T17:55:32.478Z"}],"seo":{"id":11,"meta_title":"Anchor shop","meta_description":"Homepage","canonical_url":null,"no_index":false}},"meta":{}}}
{"kind":"response","file":"09-products-handle-in-list.json","method":"GET","path":"/api/product-contents?filters[handle][$in][0]=product-1&filters[handle][$in][1]=product-2&fields[0]=handle&fields[1]=editorial_title","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1"},{"id":4,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2","editorial_title":"Editorial title for product 2"}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":2}}}}
{"kind":"response","file":"10-products-default-page.json","method":"GET","path":"/api/product-contents?sort=id&fields[0]=handle","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1"},{"id":4,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2"},{"id":6,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3"},{"id":8,"documentId":"sk65a2o1okhv9beiyy1kf6jn","handle":"product-4"},{"id":10,"documentId":"e2blqj45hyxpmt1fy2u7k0c1","handle":"product-5"},{"id":12,"documentId":"usk1k8lwzfmqdgouckxzw70f","handle":"product-6"},{"id":14,"documentId":"z9hualfyhwwswl6rytzs6vtm","handle":"product-7"},{"id":16,"documentId":"m7onmvdgvnkytvk4z61r7zvr","handle":"product-8"},{"id":18,"documentId":"bo5ywhd55okidyeenyipyi9m","handle":"product-9"},{"id":20,"documentId":"wcbilvrmt9vnjzno72bxqdcc","handle":"product-10"},{"id":22,"documentId":"re73zm62hv1va9tjgf9v5mi2","handle":"product-11"},{"id":24,"documentId":"pew91vwz4zfvo2ouzmze4cey","handle":"product-12"},{"id":26,"documentId":"xhm77x25fhg5ycsw1itq05s6","handle":"product-13"},{"id":28,"documentId":"kja631lve51358tao5y1sicj","handle":"product-14"},{"id":30,"documentId":"omvvnxvq4z9pv8ie8td9bjel","handle":"product-15"},{"id":32,"documentId":"h7wj3ke2c5qrgl789uok5oez","handle":"product-16"},{"id":34,"documentId":"zj1vcgtmkxljbjwsrvqj4ecd","handle":"product-17"},{"id":36,"documentId":"a538nkve56rxrh4ck4yrwx1m","handle":"product-18"},{"id":38,"documentId":"gpxfi9ltvp0tto6mrahfhzk1","handle":"product-19"},{"id":40,"documentId":"bybghsyprw5m2n4lyvwewv53","handle":"product-20"},{"id":42,"documentId":"eagljsde35g8xnnlfbiwjwzh","handle":"product-21"},{"id":44,"documentId":"ee7aedsi5e2gxadosj3qjdln","handle":"product-22"},{"id":46,"documentId":"ygtztz8k0nthurxskeyx3991","handle":"product-23"},{"id":48,"documentId":"gbw429ymqjw8mpjbawiuua7k","handle":"product-24"},{"id":50,"documentId":"g95mp7inudhienigi9umvai3","handle":"product-25"}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":2,"total":45}}}}
{"kind":"response","file":"11-products-pagesize-over-max.json","method":"GET","path":"/api/product-contents?pagination[pageSize]=1000&fields[0]=handle","auth":"read-only","status":200,"body":{"data":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1"},{"id":4,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2"},{"id":6,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3"},{"id":8,"documentId":"sk65a2o1okhv9beiyy1kf6jn","handle":"product-4"},{"id":10,"documentId":"e2blqj45hyxpmt1fy2u7k0c1","handle":"product-5"},{"id":12,"documentId":"usk1k8lwzfmqdgouckxzw70f","handle":"product-6"},{"id":14,"documentId":"z9hualfyhwwswl6rytzs6vtm","handle":"product-7"},{"id":16,"documentId":"m7onmvdgvnkytvk4z61r7zvr","handle":"product-8"},{"id":18,"documentId":"bo5ywhd55okidyeenyipyi9m","handle":"product-9"},{"id":20,"documentId":"wcbilvrmt9vnjzno72bxqdcc","handle":"product-10"},{"id":22,"documentId":"re73zm62hv1va9tjgf9v5mi2","handle":"product-11"},{"id":24,"documentId":"pew91vwz4zfvo2ouzmze4cey","handle":"product-12"},{"id":26,"documentId":"xhm77x25fhg5ycsw1itq05s6","handle":"product-13"},{"id":28,"documentId":"kja631lve51358tao5y1sicj","handle":"product-14"},{"id":30,"documentId":"omvvnxvq4z9pv8ie8td9bjel","handle":"product-15"},{"id":32,"documentId":"h7wj3ke2c5qrgl789uok5oez","handle":"product-16"},{"id":34,"documentId":"zj1vcgtmkxljbjwsrvqj4ecd","handle":"product-17"},{"id":36,"documentId":"a538nkve56rxrh4ck4yrwx1m","handle":"product-18"},{"id":38,"documentId":"gpxfi9ltvp0tto6mrahfhzk1","handle":"product-19"},{"id":40,"documentId":"bybghsyprw5m2n4lyvwewv53","handle":"product-20"},{"id":42,"documentId":"eagljsde35g8xnnlfbiwjwzh","handle":"product-21"},{"id":44,"documentId":"ee7aedsi5e2gxadosj3qjdln","handle":"product-22"},{"id":46,"documentId":"ygtztz8k0nthurxskeyx3991","handle":"product-23"},{"id":48,"documentId":"gbw429ymqjw8mpjbawiuua7k","handle":"product-24"},{"id":50,"documentId":"g95mp7inudhienigi9umvai3","handle":"product-25"},{"id":52,"documentId":"n1vqyi7n97bcuzgi75kxpatd","handle":"product-26"},{"id":54,"documentId":"xjp9qb41fk9n947wt4nfw2r2","handle":"product-27"},{"id":56,"documentId":"romorjxyebflds1avnrxz6nj","handle":"product-28"},{"id":58,"documentId":"p72cutpi9kwgmrv3ovufp7n4","handle":"product-29"},{"id":60,"documentId":"jajlzwifjrtlqy0aypbtzp7a","handle":"product-30"},{"id":62,"documentId":"md7vck4x1bridb3z682ol0bx","handle":"product-31"},{"id":64,"documentId":"ryxoysx2yz5avw8bh7mkw47o","handle":"product-32"},{"id":66,"documentId":"fh0whphstdx6menf41cmb85z","handle":"product-33"},{"id":68,"documentId":"dd0tsa0z9auupmru7l8c1vdu","handle":"product-34"},{"id":70,"documentId":"j7ktu3jaqvyl2eay0p7ep072","handle":"product-35"},{"id":72,"documentId":"quknxsbslyekonhsbtagd1zj","handle":"product-36"},{"id":74,"documentId":"acipyj9qybvk8807d35r4pb2","handle":"product-37"},{"id":76,"documentId":"geeyt7z1qbxs1crh0zyuzjqx","handle":"product-38"},{"id":78,"documentId":"q0v863nj5zc53ajf2fgy4v1h","handle":"product-39"},{"id":80,"documentId":"vt243bqz6pacl6cl9jy4obwz","handle":"product-40"},{"id":82,"documentId":"kwz3tsrf0xdgq01bt7prgpkk","handle":"product-41"},{"id":84,"documentId":"hisrk2i5kueo8numgfq8hixm","handle":"product-42"},{"id":86,"documentId":"i5ajs5sd7ksxd2jtlio3o25r","handle":"product-43"},{"id":88,"documentId":"ebpl1gm0y0sbmmsec2rzdzlb","handle":"product-44"},{"id":90,"documentId":"omk7iaeopaihn6nsu78f6e1s","handle":"product-45"}],"meta":{"pagination":{"page":1,"pageSize":100,"pageCount":1,"total":45}}}}
{"kind":"response","file":"12-product-3-published.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-3","auth":"read-only","status":200,"body":{"data":[{"id":6,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:32.388Z","publishedAt":"2026-11-25T17:55:32.393Z"}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}}
{"kind":"response","file":"13-product-3-status-draft.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-3&status=draft","auth":"read-only","status":200,"body":{"data":[{"id":5,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3 (UNPUBLISHED DRAFT EDIT)","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:38.567Z","publishedAt":null}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}}
{"kind":"response","file":"14-product-46-draft-only-default.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-46","auth":"read-only","status":200,"body":{"data":[],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":0,"total":0}}}}
{"kind":"response","file":"15-product-46-draft-only-status-draft.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-46&status=draft","auth":"read-only","status":200,"body":{"data":[{"id":91,"documentId":"ipbtajqa4k5y0orz1q60h092","handle":"product-46","editorial_title":"Editorial title for product 46","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 46."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":146,"material":"wool","tags":["anchor","p46"]},"createdAt":"2026-11-25T17:55:38.294Z","updatedAt":"2026-11-25T17:55:38.294Z","publishedAt":null}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}}
{"kind":"response","file":"16-product-46-by-documentId-default-404.json","method":"GET","path":"/api/product-contents/ipbtajqa4k5y0orz1q60h092","auth":"read-only","status":404,"body":{"data":null,"error":{"status":404,"name":"NotFoundError","message":"Not Found","details":{}}}}
{"kind":"response","file":"17-product-46-by-documentId-status-draft.json","method":"GET","path":"/api/product-contents/ipbtajqa4k5y0orz1q60h092?status=draft","auth":"read-only","status":200,"body":{"data":{"id":91,"documentId":"ipbtajqa4k5y0orz1q60h092","handle":"product-46","editorial_title":"Editorial title for product 46","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 46."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":146,"material":"wool","tags":["anchor","p46"]},"createdAt":"2026-11-25T17:55:38.294Z","updatedAt":"2026-11-25T17:55:38.294Z","publishedAt":null},"meta":{}}}
{"kind":"response","file":"18-products-count-drafts.json","method":"GET","path":"/api/product-contents?status=draft&pagination[pageSize]=1&fields[0]=handle","auth":"read-only","status":200,"body":{"data":[{"id":1,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1"}],"meta":{"pagination":{"page":1,"pageSize":1,"pageCount":50,"total":50}}}}
{"kind":"response","file":"19-404-unknown-documentId.json","method":"GET","path":"/api/product-contents/doesnotexist000000000000","auth":"read-only","status":404,"body":{"data":null,"error":{"status":404,"name":"NotFoundError","message":"Not Found","details":{}}}}
{"kind":"response","file":"20-404-unknown-route.json","method":"GET","path":"/api/no-such-type","auth":"read-only","status":404,"body":{"data":null,"error":{"status":404,"name":"NotFoundError","message":"Not Found","details":{}}}}
{"kind":"response","file":"21-400-filter-unknown-field.json","method":"GET","path":"/api/product-contents?filters[nope][$eq]=x","auth":"read-only","status":400,"body":{"data":null,"error":{"status":400,"name":"ValidationError","message":"Invalid key nope","details":{"key":"nope","path":null,"source":"query","param":"filters"}}}}
{"kind":"response","file":"22-400-filter-unknown-operator.json","method":"GET","path":"/api/product-contents?filters[handle][$bogus]=x","auth":"read-only","status":400,"body":{"data":null,"error":{"status":400,"name":"ValidationError","message":"Invalid key $bogus at handle","details":{"key":"$bogus","path":"handle","source":"query","param":"filters"}}}}
{"kind":"response","file":"23-400-bad-populate.json","method":"GET","path":"/api/product-contents?populate=nope","auth":"read-only","status":400,"body":{"data":null,"error":{"status":400,"name":"ValidationError","message":"Invalid key nope","details":{"key":"nope","path":"nope","source":"query","param":"populate"}}}}
{"kind":"response","file":"24-400-bad-status.json","method":"GET","path":"/api/product-contents?status=nope","auth":"read-only","status":400,"body":{"data":null,"error":{"status":400,"name":"ValidationError","message":"Invalid parameter at 'status'. Expected 'published' or 'draft', received: nope","details":{}}}}
{"kind":"response","file":"25-403-no-token.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-1","auth":"none","status":403,"body":{"data":null,"error":{"status":403,"name":"ForbiddenError","message":"Forbidden","details":{}}}}
{"kind":"response","file":"26-401-bad-token.json","method":"GET","path":"/api/product-contents?filters[handle][$eq]=product-1","auth":"bad","status":401,"body":{"data":null,"error":{"status":401,"name":"UnauthorizedError","message":"Missing or invalid credentials","details":{}}}}
{"kind":"response","file":"27-403-read-only-token-write.json","method":"POST","path":"/api/product-contents","auth":"read-only","status":403,"body":{"data":null,"error":{"status":403,"name":"ForbiddenError","message":"Forbidden","details":{}}}}
{"kind":"response","file":"28-health.json","method":"GET","path":"/_health","auth":"none","status":204,"body":null}
{"kind":"webhook","name":"entry.create","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.create","body":{"event":"entry.create","createdAt":"2026-11-25T17:55:30.989Z","model":"banner","uid":"api::banner.banner","entry":{"id":1,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":null}}}
{"kind":"webhook","name":"entry.delete","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.delete","body":{"event":"entry.delete","createdAt":"2026-11-25T17:55:52.228Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":null}}}
{"kind":"webhook","name":"entry.draft-discard","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.draft-discard","body":{"event":"entry.draft-discard","createdAt":"2026-11-25T17:55:49.086Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":null,"highlights":[{"id":289,"text":"demo"}],"banner":null}}}
{"kind":"webhook","name":"entry.publish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.publish","body":{"event":"entry.publish","createdAt":"2026-11-25T17:55:31.000Z","model":"banner","uid":"api::banner.banner","entry":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"}}}
{"kind":"webhook","name":"entry.unpublish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.unpublish","body":{"event":"entry.unpublish","createdAt":"2026-11-25T17:55:50.679Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":98,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":"2026-11-25T17:55:45.881Z","banner":{"count":0},"highlights":[{"id":288,"text":"demo"}]}}}
{"kind":"webhook","name":"entry.update","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.update","body":{"event":"entry.update","createdAt":"2026-11-25T17:55:38.590Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":5,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3 (UNPUBLISHED DRAFT EDIT)","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:38.567Z","publishedAt":null,"highlights":[{"id":13,"text":"Highlight 1 of product 3"},{"id":14,"text":"Highlight 2 of product 3"},{"id":15,"text":"Highlight 3 of product 3"}],"banner":null}}}
{"kind":"webhook","name":"first-banner--entry.create","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.create","body":{"event":"entry.create","createdAt":"2026-11-25T17:55:30.989Z","model":"banner","uid":"api::banner.banner","entry":{"id":1,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":null}}}
{"kind":"webhook","name":"first-banner--entry.publish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.publish","body":{"event":"entry.publish","createdAt":"2026-11-25T17:55:31.000Z","model":"banner","uid":"api::banner.banner","entry":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"}}}
{"kind":"webhook","name":"first-homepage--entry.create","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.create","body":{"event":"entry.create","createdAt":"2026-11-25T17:55:38.737Z","model":"homepage","uid":"api::homepage.homepage","entry":{"id":1,"documentId":"nsia4cnu23702yk6ytq7rivk","title":"Welcome to the anchor shop","createdAt":"2026-11-25T17:55:38.619Z","updatedAt":"2026-11-25T17:55:38.619Z","publishedAt":null,"hero_banner":{"id":1,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":null},"featured_pages":[{"id":1,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":null},{"id":3,"documentId":"jbw5vselqp0waelz5758e1qj","title":"Contact","slug":"contact","body":[{"type":"paragraph","children":[{"type":"text","text":"Contact page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.596Z","updatedAt":"2026-11-25T17:55:31.596Z","publishedAt":null},{"id":5,"documentId":"uzibl3xhs2ig40jxsno3wghd","title":"Shipping","slug":"shipping","body":[{"type":"paragraph","children":[{"type":"text","text":"Shipping page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.759Z","updatedAt":"2026-11-25T17:55:31.759Z","publishedAt":null}],"featured_products":[{"id":1,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":null},{"id":3,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2","editorial_title":"Editorial title for product 2","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 2."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":102,"material":"linen","tags":["anchor","p2"]},"createdAt":"2026-11-25T17:55:32.287Z","updatedAt":"2026-11-25T17:55:32.287Z","publishedAt":null},{"id":5,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3 (UNPUBLISHED DRAFT EDIT)","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:38.567Z","publishedAt":null},{"id":7,"documentId":"sk65a2o1okhv9beiyy1kf6jn","handle":"product-4","editorial_title":"Editorial title for product 4","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 4."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":104,"material":"wool","tags":["anchor","p4"]},"createdAt":"2026-11-25T17:55:32.474Z","updatedAt":"2026-11-25T17:55:32.474Z","publishedAt":null}],"seo":{"id":10,"meta_title":"Anchor shop","meta_description":"Homepage","canonical_url":null,"no_index":false}}}}
{"kind":"webhook","name":"first-homepage--entry.publish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.publish","body":{"event":"entry.publish","createdAt":"2026-11-25T17:55:38.745Z","model":"homepage","uid":"api::homepage.homepage","entry":{"id":2,"documentId":"nsia4cnu23702yk6ytq7rivk","title":"Welcome to the anchor shop","createdAt":"2026-11-25T17:55:38.619Z","updatedAt":"2026-11-25T17:55:38.619Z","publishedAt":"2026-11-25T17:55:38.635Z","hero_banner":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"},"featured_pages":[{"id":2,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":"2026-11-25T17:55:31.479Z"},{"id":4,"documentId":"jbw5vselqp0waelz5758e1qj","title":"Contact","slug":"contact","body":[{"type":"paragraph","children":[{"type":"text","text":"Contact page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.596Z","updatedAt":"2026-11-25T17:55:31.596Z","publishedAt":"2026-11-25T17:55:31.605Z"},{"id":6,"documentId":"uzibl3xhs2ig40jxsno3wghd","title":"Shipping","slug":"shipping","body":[{"type":"paragraph","children":[{"type":"text","text":"Shipping page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.759Z","updatedAt":"2026-11-25T17:55:31.759Z","publishedAt":"2026-11-25T17:55:31.771Z"}],"featured_products":[{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z"},{"id":4,"documentId":"jrpd5qq0mvcnns4czzrvz68p","handle":"product-2","editorial_title":"Editorial title for product 2","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 2."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":102,"material":"linen","tags":["anchor","p2"]},"createdAt":"2026-11-25T17:55:32.287Z","updatedAt":"2026-11-25T17:55:32.287Z","publishedAt":"2026-11-25T17:55:32.300Z"},{"id":6,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:32.388Z","publishedAt":"2026-11-25T17:55:32.393Z"},{"id":8,"documentId":"sk65a2o1okhv9beiyy1kf6jn","handle":"product-4","editorial_title":"Editorial title for product 4","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 4."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":104,"material":"wool","tags":["anchor","p4"]},"createdAt":"2026-11-25T17:55:32.474Z","updatedAt":"2026-11-25T17:55:32.474Z","publishedAt":"2026-11-25T17:55:32.478Z"}],"seo":{"id":11,"meta_title":"Anchor shop","meta_description":"Homepage","canonical_url":null,"no_index":false}}}}
{"kind":"webhook","name":"first-page--entry.create","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.create","body":{"event":"entry.create","createdAt":"2026-11-25T17:55:31.519Z","model":"page","uid":"api::page.page","entry":{"id":1,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":null,"seo":{"id":1,"meta_title":"About us | Shop","meta_description":"All about about us.","canonical_url":"https://shop.example.com/pages/about","no_index":false}}}}
{"kind":"webhook","name":"first-page--entry.publish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.publish","body":{"event":"entry.publish","createdAt":"2026-11-25T17:55:31.525Z","model":"page","uid":"api::page.page","entry":{"id":2,"documentId":"kqzmbvuleh3ctxho34u1boqr","title":"About us","slug":"about","body":[{"type":"paragraph","children":[{"type":"text","text":"About us page body, paragraph one."}]},{"type":"paragraph","children":[{"type":"text","text":"Second paragraph."}]}],"createdAt":"2026-11-25T17:55:31.467Z","updatedAt":"2026-11-25T17:55:31.467Z","publishedAt":"2026-11-25T17:55:31.479Z","seo":{"id":2,"meta_title":"About us | Shop","meta_description":"All about about us.","canonical_url":"https://shop.example.com/pages/about","no_index":false}}}}
{"kind":"webhook","name":"first-product-content--entry.create","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.create","body":{"event":"entry.create","createdAt":"2026-11-25T17:55:32.249Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":1,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":null,"highlights":[{"id":1,"text":"Highlight 1 of product 1"},{"id":2,"text":"Highlight 2 of product 1"},{"id":3,"text":"Highlight 3 of product 1"}],"banner":{"id":1,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":null}}}}
{"kind":"webhook","name":"first-product-content--entry.delete","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.delete","body":{"event":"entry.delete","createdAt":"2026-11-25T17:55:52.228Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":null}}}
{"kind":"webhook","name":"first-product-content--entry.draft-discard","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.draft-discard","body":{"event":"entry.draft-discard","createdAt":"2026-11-25T17:55:49.086Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":null,"highlights":[{"id":289,"text":"demo"}],"banner":null}}}
{"kind":"webhook","name":"first-product-content--entry.publish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.publish","body":{"event":"entry.publish","createdAt":"2026-11-25T17:55:32.251Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":2,"documentId":"m7cgf8vyeobpmlvg1rie2e4j","handle":"product-1","editorial_title":"Editorial title for product 1","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 1."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":101,"material":"wool","tags":["anchor","p1"]},"createdAt":"2026-11-25T17:55:32.146Z","updatedAt":"2026-11-25T17:55:32.146Z","publishedAt":"2026-11-25T17:55:32.189Z","highlights":[{"id":4,"text":"Highlight 1 of product 1"},{"id":5,"text":"Highlight 2 of product 1"},{"id":6,"text":"Highlight 3 of product 1"}],"banner":{"id":2,"documentId":"riymp4wmf84nctkreyh5eerc","title":"Banner 1","image_url":"https://cdn.example.com/banners/banner-1.jpg","link":"/collections/sale-1","placement":"hero","createdAt":"2026-11-25T17:55:30.927Z","updatedAt":"2026-11-25T17:55:30.927Z","publishedAt":"2026-11-25T17:55:30.942Z"}}}}
{"kind":"webhook","name":"first-product-content--entry.unpublish","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.unpublish","body":{"event":"entry.unpublish","createdAt":"2026-11-25T17:55:50.679Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":98,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","editorial_title":"Webhook demo v3","description":null,"specs":null,"createdAt":"2026-11-25T17:55:40.894Z","updatedAt":"2026-11-25T17:55:45.834Z","publishedAt":"2026-11-25T17:55:45.881Z","banner":{"count":0},"highlights":[{"id":288,"text":"demo"}]}}}
{"kind":"webhook","name":"first-product-content--entry.update","secret_header":"x-webhook-secret","secret":"dev-webhook-secret","event_header":"entry.update","body":{"event":"entry.update","createdAt":"2026-11-25T17:55:38.590Z","model":"product-content","uid":"api::product-content.product-content","entry":{"id":5,"documentId":"x2x43ymzr9m11vn1p7p75gxm","handle":"product-3","editorial_title":"Editorial title for product 3 (UNPUBLISHED DRAFT EDIT)","description":[{"type":"paragraph","children":[{"type":"text","text":"Long-form editorial description of product 3."}]},{"type":"paragraph","children":[{"type":"text","text":"Crafted for testing the Strapi content proxy."}]}],"specs":{"weight_g":103,"material":"cotton","tags":["anchor","p3"]},"createdAt":"2026-11-25T17:55:32.388Z","updatedAt":"2026-11-25T17:55:38.567Z","publishedAt":null,"highlights":[{"id":13,"text":"Highlight 1 of product 3"},{"id":14,"text":"Highlight 2 of product 3"},{"id":15,"text":"Highlight 3 of product 3"}],"banner":null}}}
{"kind":"sequence","documentId":"nmmtnx8nzr2gb11lhtdps2qq","steps":[{"step":"create draft (REST ?status=draft)","deliveries":[{"event":"entry.create","entry_id":96,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v1"}]},{"step":"update draft (REST PUT ?status=draft)","deliveries":[{"event":"entry.update","entry_id":96,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v2"}]},{"step":"publish (admin content-manager)","deliveries":[{"event":"entry.update","entry_id":96,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v2"},{"event":"entry.publish","entry_id":97,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":"2026-11-25T17:55:44.250Z","editorial_title":"Webhook demo v2"}]},{"step":"update published (REST PUT, default status=published)","deliveries":[{"event":"entry.update","entry_id":96,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v3"},{"event":"entry.publish","entry_id":98,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":"2026-11-25T17:55:45.881Z","editorial_title":"Webhook demo v3"}]},{"step":"edit draft only (REST PUT ?status=draft)","deliveries":[{"event":"entry.update","entry_id":96,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v4 (to discard)"}]},{"step":"discard draft (admin content-manager)","deliveries":[{"event":"entry.draft-discard","entry_id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v3"}]},{"step":"unpublish (admin content-manager)","deliveries":[{"event":"entry.unpublish","entry_id":98,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":"2026-11-25T17:55:45.881Z","editorial_title":"Webhook demo v3"}]},{"step":"delete (REST DELETE)","deliveries":[{"event":"entry.delete","entry_id":99,"documentId":"nmmtnx8nzr2gb11lhtdps2qq","handle":"webhook-demo","publishedAt":null,"editorial_title":"Webhook demo v3"}]},{"step":"create+publish in one call (REST POST, default status=published)","deliveries":[{"event":"entry.create","entry_id":100,"documentId":"gxr278rlh0pzk9awer7bceqa","handle":"webhook-demo-2","publishedAt":null,"editorial_title":"Webhook demo 2"},{"event":"entry.publish","entry_id":101,"documentId":"gxr278rlh0pzk9awer7bceqa","handle":"webhook-demo-2","publishedAt":"2026-11-25T17:55:53.781Z","editorial_title":"Webhook demo 2"}]},{"step":"delete webhook-demo-2 (REST DELETE)","deliveries":[{"event":"entry.delete","entry_id":100,"documentId":"gxr278rlh0pzk9awer7bceqa","handle":"webhook-demo-2","publishedAt":null,"editorial_title":"Webhook demo 2"},{"event":"entry.delete","entry_id":101,"documentId":"gxr278rlh0pzk9awer7bceqa","handle":"webhook-demo-2","publishedAt":"2026-11-25T17:55:53.781Z","editorial_title":"Webhook demo 2"}]}]}
"#;
