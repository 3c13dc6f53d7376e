//! Rate limits on creating and changing carts, per source address and per publishable
//! key, counted in Redis (shared by every instance) and always also in process, so a
//! Redis outage never lifts them (the login limiter's counters, `store_auth::rate_limit`).
//! Past a limit: `429` with `Retry-After` in the JSON error shape. Loopback addresses
//! (local development, the front door) are not counted per address.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::cache::Namespace;
use store::web::{PublishableKeyTag, PUBLISHABLE_KEY_HEADER};
use store::AppState;
use store_auth::rate_limit::{self, LocalLimiter};

/// Requests per minute; 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLimits {
    /// `POST /store/carts` from one source address (`CART_CREATES_PER_MINUTE_PER_IP`).
    pub creates_per_ip: u64,
    /// Any other cart write from one source address (`CART_WRITES_PER_MINUTE_PER_IP`).
    pub writes_per_ip: u64,
    /// `POST /store/carts` with one publishable key (`CART_CREATES_PER_MINUTE_PER_KEY`).
    pub creates_per_key: u64,
    /// Any other cart write with one publishable key (`CART_WRITES_PER_MINUTE_PER_KEY`).
    pub writes_per_key: u64,
}

impl Default for CartLimits {
    /// A shopper creates a cart or two and changes it a few times a minute; a shop's
    /// whole traffic shares one publishable key.
    fn default() -> Self {
        CartLimits {
            creates_per_ip: 30,
            writes_per_ip: 300,
            creates_per_key: 12_000,
            writes_per_key: 120_000,
        }
    }
}

const WINDOW: Duration = Duration::from_secs(60);

impl CartLimits {
    /// The defaults, each replaced by its variable when set (a bad number is an error).
    pub fn from_env() -> Result<Self, String> {
        let mut limits = CartLimits::default();
        for (name, field) in [
            ("CART_CREATES_PER_MINUTE_PER_IP", &mut limits.creates_per_ip),
            ("CART_WRITES_PER_MINUTE_PER_IP", &mut limits.writes_per_ip),
            (
                "CART_CREATES_PER_MINUTE_PER_KEY",
                &mut limits.creates_per_key,
            ),
            ("CART_WRITES_PER_MINUTE_PER_KEY", &mut limits.writes_per_key),
        ] {
            if let Some(value) = std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
                *field = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a whole number, got {value:?}"))?;
            }
        }
        Ok(limits)
    }
}

/// What the middleware needs: the store's Redis link and prefix, the limits and the
/// in-process counters.
#[derive(Clone)]
pub struct Limiter {
    app: AppState,
    limits: CartLimits,
    local: Arc<LocalLimiter>,
}

impl Limiter {
    pub fn new(app: AppState, limits: CartLimits) -> Self {
        Limiter {
            app,
            limits,
            local: Arc::new(LocalLimiter::new(WINDOW)),
        }
    }
}

/// Counts cart writes (POST and DELETE under `/store/carts`) and refuses those past a
/// limit before the handler runs.
pub async fn limit_cart_writes(
    State(limiter): State<Limiter>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_write = matches!(request.method(), &Method::POST | &Method::DELETE);
    if !is_write || !(path == "/store/carts" || path.starts_with("/store/carts/")) {
        return next.run(request).await;
    }
    let creates = path == "/store/carts";
    let (mut parts, body) = request.into_parts();
    let kind = if creates { "create" } else { "write" };
    let limits = limiter.limits;
    let prefix = &limiter.app.config.cache_prefix;
    let cache = &limiter.app.cache;
    let redis = cache.redis();
    let (per_ip, per_key) = if creates {
        (limits.creates_per_ip, limits.creates_per_key)
    } else {
        (limits.writes_per_ip, limits.writes_per_key)
    };
    let ip = store_auth::source_ip(&parts).filter(|ip| !is_loopback(ip));
    let key = parts
        .headers
        .get(PUBLISHABLE_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| k.len() <= 128)
        .map(str::to_string);
    // The address first: what one address is refused does not use up the key's budget,
    // which every shopper of the shop shares.
    let counters: Vec<(String, u64)> = [
        ip.map(|ip| (format!("{prefix}:carts:{kind}:ip:{ip}"), per_ip)),
        key.as_ref()
            .map(|key| (format!("{prefix}:carts:{kind}:key:{key}"), per_key)),
    ]
    .into_iter()
    .flatten()
    .collect();
    match key {
        // The key's cache tag rides with the counters (one round trip to Redis for both),
        // for the handler's publishable key check.
        Some(key) => {
            let tag_read = cache.tag_command(Namespace::PublishableKeys, &key);
            let (allowed, tag) =
                rate_limit::allow_in_turn(&redis, &limiter.local, WINDOW, &counters, tag_read)
                    .await;
            if !allowed {
                return too_many(creates);
            }
            if let Some(tag) = tag {
                parts.extensions.insert(PublishableKeyTag { key, tag });
            }
        }
        None => {
            if !rate_limit::allow(&redis, &limiter.local, WINDOW, &counters).await {
                return too_many(creates);
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

fn is_loopback(ip: &str) -> bool {
    ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn too_many(creates: bool) -> Response {
    let what = if creates {
        "carts created"
    } else {
        "cart changes"
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", WINDOW.as_secs().to_string())],
        axum::Json(serde_json::json!({
            "type": "not_allowed",
            "message": format!("Too many {what} from this address or key; try again in a minute"),
        })),
    )
        .into_response()
}
