//! The input gate every function's router puts in front of its handlers (see
//! [`crate::web::finish_router`]). It refuses, in the API's JSON error shape, what
//! PostgreSQL or a handler would otherwise meet half-way:
//! - a U+0000 anywhere: in a path segment, a query key or value, a JSON string or key
//!   (PostgreSQL refuses 0x00 in `text` and `\u0000` in `jsonb`, which used to end as a
//!   500), and a path segment that is not UTF-8 once decoded;
//! - a body over the route's limit ([`body_limit`]) with a 413, and a non-empty body that
//!   is not `application/json` with a 415 (a foreign page can send `text/plain` without a
//!   CORS preflight);
//! - `metadata` objects over [`METADATA_MAX_KEYS`] keys or [`METADATA_MAX_BYTES`]
//!   serialized, or with a string over [`METADATA_MAX_STRING`] bytes.
//!
//! Afterwards it rewrites any `text/plain` error the framework answered (a path or query
//! the extractors refused) into the same JSON shape.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Value;

use crate::error::{ApiError, ErrorType};

/// Most keys a `metadata` object may hold.
pub const METADATA_MAX_KEYS: usize = 50;
/// Most bytes a `metadata` object may take, serialized as JSON.
pub const METADATA_MAX_BYTES: usize = 16 * 1024;
/// Most bytes of one string value inside `metadata`.
pub const METADATA_MAX_STRING: usize = 2 * 1024;

/// The most a request body may hold on `path`: the Strapi webhook carries whole entries,
/// the admin API whole products; a shopper's request is small.
pub fn body_limit(path: &str) -> usize {
    if path.starts_with("/content/webhooks/") {
        4 * 1024 * 1024
    } else if path.starts_with("/admin/") || path.starts_with("/hooks/") {
        1024 * 1024
    } else {
        64 * 1024
    }
}

/// The middleware: checks the request, runs the handler, then puts a framework
/// rejection into the JSON shape.
pub async fn input_gate(request: Request, next: Next) -> Response {
    let request = match check(request).await {
        Ok(request) => request,
        Err(refusal) => return *refusal,
    };
    json_errors(next.run(request).await).await
}

/// A refusal, boxed: a response is large next to the request it replaces.
type Refusal = Box<Response>;

fn refusal(err: ApiError) -> Refusal {
    Box::new(err.into_response())
}

async fn check(request: Request) -> Result<Request, Refusal> {
    check_path(request.uri().path()).map_err(refusal)?;
    if let Some(query) = request.uri().query() {
        check_query(query).map_err(refusal)?;
    }
    if matches!(
        request.method(),
        &Method::GET | &Method::HEAD | &Method::OPTIONS
    ) && !request.headers().contains_key(header::CONTENT_LENGTH)
        && !request.headers().contains_key(header::TRANSFER_ENCODING)
    {
        return Ok(request);
    }
    let limit = body_limit(request.uri().path());
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Box::new(too_large(limit)));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Box::new(too_large(limit)))?;
    check_body(&parts.headers, &bytes)?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn too_large(limit: usize) -> Response {
    let message = format!(
        "The request body is too large: at most {} KB on this route",
        limit / 1024
    );
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorType::InvalidData,
        message,
    )
}

fn error(status: StatusCode, kind: ErrorType, message: String) -> Response {
    let body = serde_json::json!({ "type": kind, "message": message });
    (status, axum::Json(body)).into_response()
}

fn nul_in(what: &str) -> ApiError {
    ApiError::invalid_data(format!(
        "Invalid request: {what} contains a NUL character (U+0000)"
    ))
}

/// Every path segment decodes to UTF-8 without U+0000.
fn check_path(path: &str) -> Result<(), ApiError> {
    for segment in path.split('/') {
        let decoded: Vec<u8> = percent_decode(segment);
        let text = std::str::from_utf8(&decoded).map_err(|_| {
            ApiError::invalid_data(format!(
                "Invalid URL: the path segment '{segment}' is not valid UTF-8"
            ))
        })?;
        if text.contains('\0') {
            return Err(nul_in(&format!("the path segment '{segment}'")));
        }
    }
    Ok(())
}

fn percent_decode(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// No query key or value holds U+0000.
fn check_query(query: &str) -> Result<(), ApiError> {
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key.contains('\0') || value.contains('\0') {
            let shown = key.replace('\0', "\\u0000");
            return Err(nul_in(&format!("the query parameter '{shown}'")));
        }
    }
    Ok(())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn check_body(headers: &HeaderMap, bytes: &Bytes) -> Result<(), Refusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    if !is_json(headers) {
        let given = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none");
        return Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::InvalidData,
            format!(
                "The request body must be JSON (Content-Type: application/json); it was {given}"
            ),
        )));
    }
    let has_nul = bytes.contains(&0) || contains(bytes, b"\\u0000");
    let has_metadata = contains(bytes, b"\"metadata\"");
    if !has_nul && !has_metadata {
        return Ok(());
    }
    // Malformed JSON is the handler's to describe.
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    check_value(&value, &mut String::new()).map_err(refusal)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Walks a JSON body: no U+0000 in a key or a string, and every `metadata` object
/// within its limits. `path` names the field in errors (`metadata.note`, `items[0].id`).
fn check_value(value: &Value, path: &mut String) -> Result<(), ApiError> {
    match value {
        Value::String(s) if s.contains('\0') => Err(nul_in(&format!("'{}'", shown(path)))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_value(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key.contains('\0') {
                    return Err(nul_in(&format!("a key of '{}'", shown(&path[..len]))));
                }
                if key == "metadata" {
                    check_metadata(item, path)?;
                }
                check_value(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "the body".to_string()
    } else {
        path.replace('\0', "\\u0000")
    }
}

fn check_metadata(value: &Value, path: &str) -> Result<(), ApiError> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    if map.len() > METADATA_MAX_KEYS {
        return Err(ApiError::invalid_data(format!(
            "Invalid request: '{path}' has {} keys; at most {METADATA_MAX_KEYS}",
            map.len()
        )));
    }
    let size = serde_json::to_vec(value).map_or(0, |v| v.len());
    if size > METADATA_MAX_BYTES {
        return Err(ApiError::invalid_data(format!(
            "Invalid request: '{path}' takes {size} bytes as JSON; at most {METADATA_MAX_BYTES}"
        )));
    }
    for (key, item) in map {
        if let Value::String(s) = item {
            if s.len() > METADATA_MAX_STRING {
                return Err(ApiError::invalid_data(format!(
                    "Invalid request: '{path}.{key}' is {} bytes long; at most {METADATA_MAX_STRING}",
                    s.len()
                )));
            }
        }
    }
    Ok(())
}

/// A `text/plain` error from the framework (axum's extractors answer so) in the JSON
/// shape, with the same status.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let kind = match status {
        StatusCode::NOT_FOUND => ErrorType::NotFound,
        StatusCode::UNAUTHORIZED => ErrorType::Unauthorized,
        StatusCode::METHOD_NOT_ALLOWED => ErrorType::NotAllowed,
        s if s.is_server_error() => ErrorType::UnknownError,
        _ => ErrorType::InvalidData,
    };
    let message = String::from_utf8_lossy(&text).trim().to_string();
    let rendered = error(status, kind, message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let (rendered_parts, body) = rendered.into_parts();
    parts.headers.extend(rendered_parts.headers);
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_broken_utf8_in_the_path_are_refused_and_ordinary_escapes_pass() {
        assert!(check_path("/store/products/prod_1").is_ok());
        assert!(check_path("/store/products/caf%C3%A9").is_ok());
        assert!(check_path("/store/products/100%").is_ok());
        let err = check_path("/store/products/abc%00").unwrap_err();
        assert!(err.to_string().contains("'abc%00'"), "{err}");
        let err = check_path("/store/products/%ff").unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn a_nul_in_a_query_value_names_its_key() {
        assert!(check_query("handle=abc&limit=2").is_ok());
        let err = check_query("limit=2&currency_code=e%00ur").unwrap_err();
        assert!(err.to_string().contains("'currency_code'"), "{err}");
    }

    #[test]
    fn a_nul_in_a_json_string_or_key_names_the_field() {
        let body: Value = serde_json::json!({"email": "a\u{0}@b.c"});
        let err = check_value(&body, &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("'email'"), "{err}");
        let body: Value = serde_json::json!({"shipping_address": {"city": "x\u{0}"}});
        let err = check_value(&body, &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("'shipping_address.city'"), "{err}");
        let body: Value = serde_json::json!({"metadata": {"k\u{0}": 1}});
        let err = check_value(&body, &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("a key of 'metadata'"), "{err}");
        let body: Value = serde_json::json!({"items": [{"id": "ok"}, {"id": "\u{0}"}]});
        let err = check_value(&body, &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("'items[1].id'"), "{err}");
    }

    #[test]
    fn metadata_has_a_key_count_a_size_and_a_string_length_limit() {
        let many: serde_json::Map<String, Value> = (0..=METADATA_MAX_KEYS)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        let err =
            check_value(&serde_json::json!({ "metadata": many }), &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("at most 50"), "{err}");

        let long = "x".repeat(METADATA_MAX_STRING + 1);
        let err = check_value(
            &serde_json::json!({"metadata": {"note": long}}),
            &mut String::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("'metadata.note'"), "{err}");

        let big: serde_json::Map<String, Value> = (0..10)
            .map(|i| (format!("k{i}"), Value::from("y".repeat(2000))))
            .collect();
        let err =
            check_value(&serde_json::json!({ "metadata": big }), &mut String::new()).unwrap_err();
        assert!(err.to_string().contains("bytes as JSON"), "{err}");

        let fine = serde_json::json!({"metadata": {"gift": true, "note": "hi"}});
        assert!(check_value(&fine, &mut String::new()).is_ok());
    }

    #[test]
    fn json_content_types_are_recognised() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            h
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("application/json; charset=utf-8")));
        assert!(is_json(&with("Application/JSON")));
        assert!(is_json(&with("application/merge-patch+json")));
        assert!(!is_json(&with("text/plain")));
        assert!(!is_json(&with("application/x-www-form-urlencoded")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
