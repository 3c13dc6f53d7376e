//! The local store's one address, in front of `cargo lambda watch`.
//!
//! `scripts/up` and `scripts/test` serve the store here and run the emulator on the next
//! port. The emulator (cargo-lambda 1.9.2) has two faults a storefront meets:
//! - with more than about 100 requests queued for one function it stops answering every
//!   function for good (`RequestCache::upsert` holds the map's write lock while it waits
//!   for room in a 100-slot channel, and the function's `/next` needs that lock to drain
//!   it). Here each function gets a lane of a few requests in flight; the rest wait in
//!   this process, so the emulator's queue never fills.
//! - now and then it loses one invocation: it answers with its own
//!   `500 text/plain {"type":"https://httpstatuses.com/500",...}` (the function never
//!   received the event: the emulator dropped it before handing it over, so sending it
//!   again is safe and done once), or it never answers at all. A request left without an
//!   answer for `--timeout` seconds is sent again when it is a read (GET, HEAD, OPTIONS);
//!   any other gets a 504 in the store's JSON error shape, marked `x-front-door: lost`,
//!   since the function may have handled it.
//!
//! Everything else passes through unchanged: method, path, query, headers (also `Host`
//! and cookies), body, status. Bodies are read whole (at most 6 MB, what a Lambda function
//! URL accepts), which a local server can afford.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use clap::Parser;
use route_table::RouteTable;
use tokio::sync::Semaphore;
use tracing::{info, warn};

/// The most a Lambda function URL accepts in a request body.
const MAX_BODY: usize = 6 * 1024 * 1024;
/// What the emulator's own error body says (the store's errors never do).
const EMULATOR_ERROR: &[u8] = b"https://httpstatuses.com/500";
/// The lane of paths no function serves (the emulator answers those itself).
const UNROUTED: &str = "(unrouted)";
/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [HeaderName; 5] = [
    header::CONNECTION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

#[derive(Parser, Debug)]
#[command(about = "A bounded front door for `cargo lambda watch`")]
struct Args {
    /// Address to serve the store at.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Where `cargo lambda watch` listens.
    #[arg(long, default_value = "http://127.0.0.1:9001")]
    upstream: String,
    /// Requests in flight per function; the rest wait here.
    #[arg(long, default_value_t = 8)]
    per_function: usize,
    /// Seconds to wait for an answer before a request counts as lost (the first request
    /// after an edit waits while watch compiles the function).
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

struct Gate {
    upstream: String,
    client: reqwest::Client,
    timeout: Duration,
    table: &'static RouteTable,
    lanes: HashMap<String, Arc<Semaphore>>,
}

/// What one try at the emulator gave.
enum Outcome {
    Answer(Response),
    /// The emulator's own 500: the function never saw the event.
    Dropped,
    /// No answer within the timeout: the function may have handled it.
    NoAnswer,
    Unreachable(reqwest::Error),
}

impl Gate {
    fn new(args: &Args) -> Result<Gate, reqwest::Error> {
        let table = RouteTable::workspace();
        let lanes = table
            .entries()
            .map(|(_, function)| function)
            .chain([UNROUTED])
            .map(|function| {
                let lane = Arc::new(Semaphore::new(args.per_function.max(1)));
                (function.to_string(), lane)
            })
            .collect();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Gate {
            upstream: args.upstream.trim_end_matches('/').to_string(),
            client,
            timeout: Duration::from_secs(args.timeout),
            table,
            lanes,
        })
    }

    fn lane(&self, path: &str) -> (&str, Arc<Semaphore>) {
        let function = self.table.function_for(path).unwrap_or(UNROUTED);
        let lane = self
            .lanes
            .get(function)
            .or_else(|| self.lanes.get(UNROUTED));
        (function, lane.expect("the unrouted lane exists").clone())
    }

    async fn try_once(&self, parts: &Parts, body: Bytes) -> Outcome {
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let sent = self
            .client
            .request(parts.method.clone(), format!("{}{target}", self.upstream))
            .headers(without_hop_by_hop(&parts.headers))
            .body(body)
            .timeout(self.timeout)
            .send()
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) if e.is_timeout() => return Outcome::NoAnswer,
            Err(e) => return Outcome::Unreachable(e),
        };
        let status = answer.status();
        let headers = without_hop_by_hop(answer.headers());
        let body = match answer.bytes().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() => return Outcome::NoAnswer,
            Err(e) => return Outcome::Unreachable(e),
        };
        if is_emulator_error(status, &headers, &body) {
            return Outcome::Dropped;
        }
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Outcome::Answer(response)
    }

    async fn forward(&self, parts: Parts, body: Bytes) -> Response {
        let (function, lane) = self.lane(parts.uri.path());
        let _permit = lane.acquire_owned().await.expect("lanes are never closed");
        let is_read = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let what = format!("{} {} ({function})", parts.method, parts.uri);
        let mut retried = false;
        loop {
            match self.try_once(&parts, body.clone()).await {
                Outcome::Answer(response) => return response,
                Outcome::Dropped if !retried => {
                    warn!(
                        "the emulator dropped {what} before the function saw it; sending it again"
                    );
                }
                Outcome::NoAnswer if is_read && !retried => {
                    warn!(
                        "no answer to {what} after {:?}; sending it again",
                        self.timeout
                    );
                }
                Outcome::Dropped => {
                    return error(
                        StatusCode::BAD_GATEWAY,
                        "lost",
                        format!("the local runtime (cargo lambda watch) dropped {what} twice"),
                    );
                }
                Outcome::NoAnswer => {
                    warn!(
                        "no answer to {what} after {:?}; answering 504",
                        self.timeout
                    );
                    return error(
                        StatusCode::GATEWAY_TIMEOUT,
                        "lost",
                        format!(
                            "the local runtime (cargo lambda watch) gave no answer to {what} \
                             within {}s; the function may or may not have handled it",
                            self.timeout.as_secs()
                        ),
                    );
                }
                Outcome::Unreachable(e) => {
                    return error(
                        StatusCode::BAD_GATEWAY,
                        "unreachable",
                        format!(
                            "the local runtime at {} did not answer {what}: {e}",
                            self.upstream
                        ),
                    );
                }
            }
            retried = true;
        }
    }
}

fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    headers
}

fn is_emulator_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> bool {
    let text_plain = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    status == StatusCode::INTERNAL_SERVER_ERROR
        && text_plain
        && body
            .windows(EMULATOR_ERROR.len())
            .any(|w| w == EMULATOR_ERROR)
}

/// The store's JSON error shape, marked as the front door's own answer.
fn error(status: StatusCode, mark: &'static str, message: String) -> Response {
    answer(status, mark, "unknown_error", message)
}

fn answer(status: StatusCode, mark: &'static str, kind: &str, message: String) -> Response {
    let body = serde_json::json!({ "type": kind, "message": message });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert("x-front-door", HeaderValue::from_static(mark));
    response
}

/// Whether the emulator would pass this body on as text: it cannot when the bytes are
/// not UTF-8 (it answers its own 500 and the function never sees the request), so the
/// front door refuses them as the function does a body that is not JSON.
fn is_undeliverable_text(parts: &Parts, body: &[u8]) -> bool {
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("javascript")
        || content_type.starts_with("application/x-www-form-urlencoded");
    text && std::str::from_utf8(body).is_err()
}

async fn handle(State(gate): State<Arc<Gate>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) if is_undeliverable_text(&parts, &body) => answer(
            StatusCode::BAD_REQUEST,
            "refused",
            "invalid_data",
            "The request body is not valid UTF-8, so it is not JSON".into(),
        ),
        Ok(body) => gate.forward(parts, body).await,
        Err(_) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the request body is larger than {} MB, the most a Lambda function URL accepts",
                MAX_BODY / (1024 * 1024)
            ),
        ),
    }
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = interrupt => {},
        _ = terminate.recv() => {},
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let gate = Arc::new(Gate::new(&args)?);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    info!(
        "front door on http://{} for {} ({} requests in flight per function, {}s until a request counts as lost)",
        args.listen, gate.upstream, args.per_function, args.timeout
    );
    let app = Router::new().fallback(handle).with_state(gate);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_emulators_own_500_counts_as_dropped() {
        let mut text = HeaderMap::new();
        text.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let emulator = br#"{"type":"https://httpstatuses.com/500","status":500,"title":"Internal Server Error"}"#;
        assert!(is_emulator_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &text,
            emulator
        ));

        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let store = br#"{"type":"unknown_error","message":"An unknown error occurred."}"#;
        assert!(!is_emulator_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json,
            store
        ));
        assert!(!is_emulator_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &text,
            store
        ));
        assert!(!is_emulator_error(StatusCode::BAD_GATEWAY, &text, emulator));
    }

    #[test]
    fn every_function_has_a_lane_and_paths_of_one_function_share_it() {
        let args = Args::parse_from(["front-door"]);
        let gate = Gate::new(&args).unwrap();
        assert_eq!(gate.lane("/store/products").0, "products");
        assert_eq!(gate.lane("/store/carts/cart_1/complete").0, "checkout");
        // The table sends any other path to the products function (its JSON 404).
        assert_eq!(gate.lane("/nowhere").0, "products");
        assert!(gate.lanes.contains_key(UNROUTED));
        let (_, a) = gate.lane("/store/carts");
        let (_, b) = gate.lane("/store/carts/cart_1");
        assert!(Arc::ptr_eq(&a, &b), "one lane per function, not per path");
    }

    #[test]
    fn text_bodies_that_are_not_utf8_stay_here_and_binary_ones_pass() {
        let parts = |content_type: &str| {
            Request::post("/store/carts")
                .header("content-type", content_type)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        let bad = [0xff_u8, 0x7b];
        assert!(is_undeliverable_text(&parts("application/json"), &bad));
        assert!(is_undeliverable_text(
            &parts("text/plain; charset=utf-8"),
            &bad
        ));
        assert!(!is_undeliverable_text(&parts("application/json"), b"{}"));
        assert!(!is_undeliverable_text(
            &parts("application/octet-stream"),
            &bad
        ));
    }

    #[test]
    fn hop_by_hop_headers_stay_behind_and_the_rest_pass() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9000"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        let kept = without_hop_by_hop(&headers);
        assert!(kept.get(header::CONNECTION).is_none());
        assert!(kept.get(header::TRANSFER_ENCODING).is_none());
        assert_eq!(kept.get(header::HOST).unwrap(), "127.0.0.1:9000");
        assert_eq!(kept.get_all(header::SET_COOKIE).iter().count(), 2);
    }
}
