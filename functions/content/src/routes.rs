//! The `/content/...` routes: collection lists, documents and single types, a commerce
//! product joined with its Strapi content, and the Strapi webhook.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{json, Value};

use store::cache::Namespace;
use store::catalog::pricing::PricingContext;
use store::catalog::products::{self, Extras, Page, ProductFilter};
use store::content::config::{ContentConfig, TypeKind, PREVIEW_HEADER};
use store::content::{
    Content, ContentQuery, ContentService, Failure, Fetch, Freshness, Served, Shape,
};
use store::web::{finish_router, Routes, StoreContext, CACHE_STATUS_HEADER};
use store::AppState;

pub const LOCALE_FALLBACK_HEADER: &str = "x-content-locale-fallback";

pub fn router(state: AppState, service: ContentService) -> Router {
    let routes = routes().map_router(|routes| routes.layer(Extension(service)));
    store::web::compressed(finish_router(routes, state))
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<AppState> {
    Routes::new()
        .route("/content/webhooks/strapi", post(webhook))
        .route("/content/products/{handle}", get(product_with_content))
        .route("/content/{content_type}", get(list_or_single))
        .route("/content/{content_type}/{document_id}", get(document))
}

async fn list_or_single(
    _store: StoreContext,
    Path(content_type): Path<String>,
    RawQuery(raw): RawQuery,
    Ready(content): Ready,
    headers: HeaderMap,
) -> Response {
    let Some(kind) = content.config.content_type(&content_type).map(|t| t.kind) else {
        return unknown_type(&content_type, &content.config);
    };
    let (shape, tag) = match kind {
        TypeKind::Collection => (Shape::List, format!("type:{content_type}")),
        TypeKind::Single => (Shape::Document, format!("type:{content_type}")),
    };
    let query = match ContentQuery::parse(raw.as_deref(), &content.config, shape) {
        Ok(query) => query,
        Err(err) => return no_store(err.into_response()),
    };
    let fetch = Fetch {
        path: format!("/api/{content_type}"),
        query,
        shape,
        tags: vec![format!("touch:{content_type}"), tag],
    };
    serve(&content, fetch, &headers).await
}

async fn document(
    _store: StoreContext,
    Path((content_type, document_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    Ready(content): Ready,
    headers: HeaderMap,
) -> Response {
    match content.config.content_type(&content_type).map(|t| t.kind) {
        None => return unknown_type(&content_type, &content.config),
        Some(TypeKind::Single) => {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{content_type} is a single type: read it at /content/{content_type}"),
            )
        }
        Some(TypeKind::Collection) => {}
    }
    if document_id.is_empty()
        || document_id.len() > 64
        || !document_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_data",
            "A documentId has letters, digits, '-' and '_' only",
        );
    }
    let query = match ContentQuery::parse(raw.as_deref(), &content.config, Shape::Document) {
        Ok(query) => query,
        Err(err) => return no_store(err.into_response()),
    };
    let fetch = Fetch {
        path: format!("/api/{content_type}/{document_id}"),
        query,
        shape: Shape::Document,
        tags: vec![
            format!("touch:{content_type}"),
            format!("doc:{document_id}"),
        ],
    };
    serve(&content, fetch, &headers).await
}

const PRICING_KEYS: [&str; 3] = ["region_id", "country_code", "currency_code"];

/// The values of [`PRICING_KEYS`], in that order.
type Pricing = [Option<String>; 3];

/// The commerce product as `/store/products` renders it, with `content`: its Strapi
/// product entry (by handle) or null.
async fn product_with_content(
    State(state): State<AppState>,
    store: StoreContext,
    Path(handle): Path<String>,
    RawQuery(raw): RawQuery,
    Ready(content): Ready,
    headers: HeaderMap,
) -> Response {
    if !valid_handle(&handle) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_data",
            "Malformed product handle",
        );
    }
    let (pairs, pricing) = match query_pairs(raw.as_deref()) {
        Ok(parsed) => parsed,
        Err(refusal) => return refusal.into_response(),
    };
    let query = match ContentQuery::check(pairs, &content.config, Shape::Document, &PRICING_KEYS) {
        Ok(query) => query.with("filters[handle][$eq]", &handle),
        Err(err) => return no_store(err.into_response()),
    };
    let product = match commerce_product(&state, &store, &handle, &pricing).await {
        Ok(product) => product,
        Err(err) => return no_store(err.into_response()),
    };
    let product_type = &content.config.product_type;
    let fetch = Fetch {
        path: format!("/api/{product_type}"),
        query,
        shape: Shape::List,
        tags: vec![format!("touch:{product_type}"), format!("product:{handle}")],
    };
    let preview = match preview_requested(&content, &headers) {
        Ok(preview) => preview,
        Err(refusal) => return refusal.into_response(),
    };
    let served = match content.load(fetch, preview).await {
        Ok(served) => served,
        Err(failure) => return failure_response(failure),
    };
    let served = with_product(served, product, state.config.cache_ttl);
    let mut response = respond(&content, &served, &headers);
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("x-publishable-api-key"));
    response
}

/// A product handle: 1 to 200 letters, digits, '-', '_' and '.'.
fn valid_handle(handle: &str) -> bool {
    !handle.is_empty()
        && handle.len() <= 200
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The query's pairs (empty keys dropped) and its pricing parameters, in the order of
/// [`PRICING_KEYS`]; each of those may be given once.
fn query_pairs(raw: Option<&str>) -> Result<(Vec<(String, String)>, Pricing), Refusal> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pricing: Pricing = Default::default();
    for (key, value) in &pairs {
        if let Some(i) = PRICING_KEYS.iter().position(|k| k == key) {
            if pricing[i].replace(value.clone()).is_some() {
                return Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_data",
                    format!("Invalid request: '{key}' must be given once"),
                ));
            }
        }
    }
    Ok((pairs, pricing))
}

/// The served Strapi list replaced by `{ product, content }` (its first entry or null),
/// with a new ETag and fresh for no longer than the catalog cache.
fn with_product(served: Served, product: Value, cache_ttl: Duration) -> Served {
    let entry: Value = serde_json::from_slice(&served.entry.body).unwrap_or(Value::Null);
    let body = json!({
        "product": product,
        "content": entry["data"].get(0).cloned().unwrap_or(Value::Null),
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Served {
        entry: store::content::Entry {
            etag: store::content::etag(&bytes),
            body: bytes.into(),
            ..served.entry
        },
        fresh_for: served.fresh_for.min(cache_ttl),
        ..served
    }
}

/// The product by handle, cached with the catalog (a catalog write purges it).
async fn commerce_product(
    state: &AppState,
    store: &StoreContext,
    handle: &str,
    pricing: &[Option<String>; 3],
) -> Result<Value, store::ApiError> {
    let key = format!(
        "content-handle|{handle}|{}|{}|{}|{}",
        store.sales_channel_ids.join(","),
        pricing[0].as_deref().unwrap_or(""),
        pricing[1].as_deref().unwrap_or(""),
        pricing[2].as_deref().unwrap_or("")
    );
    if let Some(hit) = state.cache.get(Namespace::Products, &key).await {
        if let Ok(product) = serde_json::from_slice(&hit.body) {
            return Ok(product);
        }
    }
    let pricing = PricingContext::resolve(
        &state.pool,
        pricing[0].as_deref(),
        pricing[1].as_deref(),
        pricing[2].as_deref(),
    )
    .await?;
    let filter = ProductFilter {
        sales_channel_ids: store.sales_channel_ids.clone(),
        handles: Some(vec![handle.to_string()]),
        ..ProductFilter::default()
    };
    let page = Page {
        order: ("id", false),
        limit: 1,
        offset: 0,
    };
    let extras = Extras {
        pricing,
        ..Extras::default()
    };
    let (mut items, _) = products::list(&state.pool, &filter, page, &extras).await?;
    let product = items.pop().ok_or_else(|| {
        store::ApiError::not_found(format!("Product with handle: {handle} was not found"))
    })?;
    if let Ok(bytes) = serde_json::to_vec(&product) {
        state
            .cache
            .put(Namespace::Products, &key, bytes.into())
            .await;
    }
    Ok(product)
}

async fn webhook(Ready(content): Ready, headers: HeaderMap, body: Bytes) -> Response {
    if content.config.webhook_secret.is_none() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unexpected_state",
            "Strapi webhooks are refused: STRAPI_WEBHOOK_SECRET is not set",
        );
    }
    let given = headers
        .get(content.config.webhook_header.as_str())
        .map(HeaderValue::as_bytes);
    if !content.webhook_secret_matches(given) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The webhook secret header is missing or wrong",
        );
    }
    let Ok(mut event) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_data",
            "The webhook body is not JSON",
        );
    };
    if !event.is_object() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_data",
            "The webhook body is not a JSON object",
        );
    }
    if event["event"].as_str().is_none() {
        if let Some(name) = headers.get("x-strapi-event").and_then(|v| v.to_str().ok()) {
            event["event"] = Value::String(name.to_string());
        }
    }
    let name = event["event"].as_str().unwrap_or_default().to_string();
    let Some(tags) = content.webhook_tags(&event) else {
        return no_store(
            (
                StatusCode::OK,
                axum::Json(json!({ "event": name, "ignored": true })),
            )
                .into_response(),
        );
    };
    let purged = content.cache().purge(&tags).await;
    tracing::info!(event = %name, ?tags, purged, "Strapi webhook");
    no_store(
        (
            StatusCode::OK,
            axum::Json(json!({ "event": name, "purged_tags": tags, "purged_entries": purged })),
        )
            .into_response(),
    )
}

/// An answer refused before any work, small enough to pass around in a `Result`.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1, &self.2)
    }
}

/// The configured content service; without one (no `STRAPI_URL`) the handler is not
/// run and the answer is a 503 that says why.
struct Ready(Arc<Content>);

impl<S: Send + Sync> FromRequestParts<S> for Ready {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Extension(service) = Extension::<ContentService>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match service.content() {
            Ok(content) => Ok(Ready(content.clone())),
            Err(why) => Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unexpected_state",
                why,
            )),
        }
    }
}

/// Whether the request carries the preview secret; a wrong one is a 401.
fn preview_requested(content: &Content, headers: &HeaderMap) -> Result<bool, Refusal> {
    match headers.get(PREVIEW_HEADER) {
        None => Ok(false),
        Some(given) if content.preview_secret_matches(given.as_bytes()) => Ok(true),
        Some(_) => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The preview secret is wrong (or preview is not enabled)".into(),
        )),
    }
}

async fn serve(content: &Arc<Content>, fetch: Fetch, headers: &HeaderMap) -> Response {
    let preview = match preview_requested(content, headers) {
        Ok(preview) => preview,
        Err(refusal) => return refusal.into_response(),
    };
    match content.load(fetch, preview).await {
        Ok(served) => respond(content, &served, headers),
        Err(failure) => failure_response(failure),
    }
}

fn respond(content: &Content, served: &Served, request: &HeaderMap) -> Response {
    let config = &content.config;
    let cache_control = match served.freshness {
        Freshness::Bypass => "private, no-store".to_string(),
        _ => format!(
            "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
            served.fresh_for.as_secs(),
            config.stale_while_revalidate.as_secs(),
            config.stale_if_error.as_secs()
        ),
    };
    let not_modified = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| etag_matches(tags, &served.entry.etag));
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Body::from(Bytes::from_owner(served.entry.body.clone())));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&served.entry.etag) {
        headers.insert(ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        headers.insert(CACHE_CONTROL, value);
    }
    headers.insert(
        HeaderName::from_static(CACHE_STATUS_HEADER),
        HeaderValue::from_static(served.freshness.as_str()),
    );
    if served.freshness != Freshness::Bypass {
        let age = Duration::from_millis(served.entry.age_ms()).as_secs();
        headers.insert("age", HeaderValue::from(age));
    }
    if served.freshness == Freshness::StaleIfError {
        headers.insert(
            "warning",
            HeaderValue::from_static("111 - \"Revalidation Failed\""),
        );
    }
    if let Some(locale) = &served.entry.fallback_locale {
        if let Ok(value) = HeaderValue::from_str(locale) {
            headers.insert(LOCALE_FALLBACK_HEADER, value);
        }
    }
    response
}

/// `If-None-Match: "a", W/"b"` or `*`.
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

fn failure_response(failure: Failure) -> Response {
    match failure {
        Failure::Refused {
            status: 404,
            message,
        } => error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Content not found: {message}"),
        ),
        Failure::Refused { message, .. } => error(
            StatusCode::BAD_REQUEST,
            "invalid_data",
            &format!("Strapi refused the query: {message}"),
        ),
        Failure::Unavailable => error(
            StatusCode::BAD_GATEWAY,
            "unexpected_state",
            "The content service (Strapi) is unavailable and nothing is cached for this request",
        ),
    }
}

fn unknown_type(content_type: &str, config: &ContentConfig) -> Response {
    let shown: String = content_type.chars().take(60).collect();
    let allowed: Vec<&str> = config.types.iter().map(|t| t.api_id.as_str()).collect();
    let hint = if allowed.is_empty() {
        "CONTENT_TYPES allows none: list the types to serve in it".to_string()
    } else {
        format!("CONTENT_TYPES allows: {}", allowed.join(", "))
    };
    error(
        StatusCode::BAD_REQUEST,
        "invalid_data",
        &format!("Content type '{shown}' is not allowed ({hint})"),
    )
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    no_store(
        (
            status,
            axum::Json(json!({ "type": kind, "message": message })),
        )
            .into_response(),
    )
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
