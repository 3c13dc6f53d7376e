//! HTTP caching of the catalog: every successful `GET` of products, categories,
//! collections and regions carries a weak `ETag` (a hash of its body), a
//! `Cache-Control: public, max-age=…, stale-while-revalidate=…` and `Vary` on the
//! publishable key (the key chooses the sales channels, so the answer); a request whose
//! `If-None-Match` names the current tag is answered `304` without a body. Answers that
//! depend on a cart or a customer are private (`web::is_private_path`) and never pass
//! here.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest catalog answer tagged (they are far smaller); a larger one passes as is.
const MAX_TAGGED_BODY: usize = 8 * 1024 * 1024;

/// The Store API paths whose answers are the same for every shopper with one key.
const CATALOG: [&str; 4] = [
    "/store/products",
    "/store/product-categories",
    "/store/collections",
    "/store/regions",
];

/// How long browsers and CDNs may keep a catalog answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogCaching {
    /// `CATALOG_MAX_AGE_SECONDS`: fresh for this long.
    pub max_age: Duration,
    /// `CATALOG_STALE_WHILE_REVALIDATE_SECONDS`: then served stale while refreshed.
    pub stale_while_revalidate: Duration,
}

impl CatalogCaching {
    fn cache_control(&self) -> HeaderValue {
        let value = format!(
            "public, max-age={}, stale-while-revalidate={}",
            self.max_age.as_secs(),
            self.stale_while_revalidate.as_secs()
        );
        HeaderValue::try_from(value).expect("digits and ASCII")
    }
}

fn is_catalog(method: &Method, path: &str) -> bool {
    method == Method::GET
        && CATALOG.iter().any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// The middleware: tags catalog answers and answers a matching `If-None-Match` with 304.
pub async fn catalog(
    State(caching): State<CatalogCaching>,
    request: Request,
    next: Next,
) -> Response {
    if !is_catalog(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let hash = match parts.extensions.remove::<BodyHash>() {
        Some(BodyHash(hash)) => hash,
        None => xxhash_rust::xxh3::xxh3_64(&bytes),
    };
    let tag = weak_tag(hash);
    set_validators(&mut parts.headers, &tag, caching);
    if if_none_match.is_some_and(|wanted| matches(&wanted, &tag)) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The XXH3 of a response's body, set by a handler that knows it (a cache hit: the
/// cache's tag carries it), so the body is not hashed again for its `ETag`.
#[derive(Clone, Copy)]
pub struct BodyHash(pub u64);

/// `W/"<16 hex digits>"`: XXH3 of the body, stable across instances and restarts. XXH3
/// reads a 100 KB product page in microseconds (FNV-1a, a byte at a time, took 0.2 ms of
/// CPU, more than the rest of a cached answer), and a cache hit brings it along.
fn weak_tag(hash: u64) -> HeaderValue {
    HeaderValue::try_from(format!("W/\"{hash:016x}\"")).expect("hex digits")
}

fn set_validators(headers: &mut HeaderMap, tag: &HeaderValue, caching: CatalogCaching) {
    headers.insert(header::ETAG, tag.clone());
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert_with(|| caching.cache_control());
    headers.append(
        header::VARY,
        HeaderValue::from_static("x-publishable-api-key"),
    );
}

/// Whether an `If-None-Match` list names `tag` (weak comparison, or `*`).
fn matches(wanted: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(wanted) = wanted.to_str() else {
        return false;
    };
    let Ok(tag) = tag.to_str() else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    wanted
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == opaque(tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64;

    #[test]
    fn only_catalog_reads_are_tagged() {
        assert!(is_catalog(&Method::GET, "/store/products"));
        assert!(is_catalog(&Method::GET, "/store/products/prod_1"));
        assert!(is_catalog(&Method::GET, "/store/regions/reg_1"));
        assert!(!is_catalog(&Method::HEAD, "/store/regions/reg_1"));
        assert!(!is_catalog(&Method::POST, "/store/products"));
        assert!(!is_catalog(&Method::GET, "/store/productsx"));
        assert!(!is_catalog(&Method::GET, "/store/carts/cart_1"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        let tag = weak_tag(xxh3_64(b"{}"));
        assert!(matches(&tag, &tag));
        let strong = HeaderValue::try_from(tag.to_str().unwrap().trim_start_matches("W/")).unwrap();
        assert!(matches(&strong, &tag));
        let list = HeaderValue::try_from(format!("W/\"0\", {}", tag.to_str().unwrap())).unwrap();
        assert!(matches(&list, &tag));
        assert!(matches(&HeaderValue::from_static("*"), &tag));
        assert!(!matches(&HeaderValue::from_static("W/\"0\""), &tag));
        assert_ne!(tag, weak_tag(xxh3_64(b"{ }")));
    }
}
