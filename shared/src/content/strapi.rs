//! The Strapi REST client. The API token is added here and nowhere else; errors carry
//! Strapi's status and message, never the token or our request headers.
//!
//! A circuit breaker keeps a hung or dead Strapi from costing every request the whole
//! timeout: after a failure, Strapi is not asked again for `STRAPI_BREAKER_SECONDS`, so
//! the proxy serves stale content (or its 502) at once; the first request after that
//! asks again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use serde_json::Value;

use super::config::ContentConfig;

#[derive(Clone)]
pub struct StrapiClient {
    http: reqwest::Client,
    base: String,
    breaker: Arc<Breaker>,
}

/// Open (Strapi not asked) until a moment, kept as milliseconds since the breaker was made.
struct Breaker {
    epoch: Instant,
    open_until_ms: AtomicU64,
    pause: Duration,
}

impl Breaker {
    fn new(pause: Duration) -> Self {
        Breaker {
            epoch: Instant::now(),
            open_until_ms: AtomicU64::new(0),
            pause,
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// How long Strapi is still not to be asked, if at all.
    fn open_for(&self) -> Option<Duration> {
        let until = self.open_until_ms.load(Ordering::Relaxed);
        let now = self.now_ms();
        (until > now).then(|| Duration::from_millis(until - now))
    }

    fn trip(&self) {
        if !self.pause.is_zero() {
            let until = self.now_ms() + self.pause.as_millis() as u64;
            self.open_until_ms.fetch_max(until, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StrapiError {
    /// Strapi answered a 4xx about the request itself (400, 404): passed on to the client.
    #[error("Strapi refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Strapi is down, slow, misconfigured (401/403: our token) or answered 5xx.
    #[error("Strapi is unavailable: {0}")]
    Unavailable(String),
}

impl StrapiClient {
    pub fn new(config: &ContentConfig) -> Result<Self, reqwest::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = &config.strapi_token {
            if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(2)))
            .pool_idle_timeout(Duration::from_secs(50))
            .build()?;
        Ok(StrapiClient {
            http,
            base: config.strapi_url.clone(),
            breaker: Arc::new(Breaker::new(config.breaker)),
        })
    }

    /// GETs `/api/...?<query>` and returns the JSON body of a 2xx answer; at once
    /// [`StrapiError::Unavailable`] while the breaker is open.
    pub async fn get(&self, path: &str, query: &str) -> Result<Value, StrapiError> {
        if let Some(left) = self.breaker.open_for() {
            return Err(StrapiError::Unavailable(format!(
                "it failed moments ago; asking again in {} ms",
                left.as_millis()
            )));
        }
        let result = self.ask(path, query).await;
        if let Err(StrapiError::Unavailable(_)) = &result {
            self.breaker.trip();
        }
        result
    }

    async fn ask(&self, path: &str, query: &str) -> Result<Value, StrapiError> {
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let response = self.http.get(&url).send().await.map_err(|err| {
            // reqwest's message names the URL (never the token); drop it anyway.
            StrapiError::Unavailable(describe(&err))
        })?;
        let status = response.status().as_u16();
        let body: Option<Value> = response.json().await.ok();
        match status {
            200..=299 => body.ok_or_else(|| StrapiError::Unavailable("answered non-JSON".into())),
            400 | 404 | 405 | 422 => Err(StrapiError::Refused {
                status,
                message: body
                    .as_ref()
                    .and_then(|b| b["error"]["message"].as_str())
                    .unwrap_or("Strapi refused the request")
                    .chars()
                    .take(500)
                    .collect(),
            }),
            401 | 403 => Err(StrapiError::Unavailable(format!(
                "Strapi refused the proxy's API token ({status})"
            ))),
            _ => Err(StrapiError::Unavailable(format!(
                "Strapi answered {status}"
            ))),
        }
    }
}

/// What went wrong, without the URL or headers.
pub(super) fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}
