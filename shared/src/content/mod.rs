//! Strapi content behind one cache: the allow-listed query, the Strapi client, the
//! normalized shape, stale-while-revalidate and stale-if-error, tag purges from
//! webhooks, draft preview. `http` maps it onto the `/content/...` routes.

pub mod cache;
pub mod config;
pub mod normalize;
pub mod query;
pub mod strapi;
pub mod sync;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use self::cache::{ContentCache, Entry, Tier};
pub use self::config::{ContentConfig, ContentType, Secret, TypeKind};
pub use self::query::{ContentQuery, Shape};
pub use self::strapi::{StrapiClient, StrapiError};
use crate::config::ConfigError;
use crate::AppState;

/// The content proxy, or why it is off.
#[derive(Clone)]
pub struct ContentService {
    inner: Result<Arc<Content>, Arc<str>>,
}

pub struct Content {
    pub config: ContentConfig,
    strapi: StrapiClient,
    cache: ContentCache,
}

impl ContentService {
    /// From the environment; never fails (a missing or bad configuration answers 503).
    pub fn from_env(app: &AppState) -> Self {
        Self::new(ContentConfig::from_env(), app)
    }

    /// The content cache shares the instance's Redis link and key prefix.
    pub fn new(config: Result<Option<ContentConfig>, ConfigError>, app: &AppState) -> Self {
        let inner = match config {
            Ok(Some(config)) => match StrapiClient::new(&config) {
                Ok(strapi) => {
                    let lifetime =
                        config.ttl + config.stale_while_revalidate.max(config.stale_if_error);
                    let cache =
                        ContentCache::new(app.cache.redis(), &app.config.cache_prefix, lifetime);
                    let on_off = |set: bool| if set { "on" } else { "off" };
                    tracing::info!(
                        strapi = %config.strapi_url,
                        types = %config.types.iter().map(|t| t.api_id.as_str()).collect::<Vec<_>>().join(","),
                        token = on_off(config.strapi_token.is_some()),
                        webhook_purge = on_off(config.webhook_secret.is_some()),
                        preview = on_off(config.preview_secret.is_some()),
                        "content proxy on"
                    );
                    Ok(Arc::new(Content {
                        config,
                        strapi,
                        cache,
                    }))
                }
                Err(err) => {
                    tracing::error!(error = %err, "cannot build the Strapi client");
                    Err("The content proxy could not build its Strapi client".into())
                }
            },
            Ok(None) => {
                tracing::warn!(
                    "content proxy off: STRAPI_URL is not set (locally: scripts/up --with-cms; README: Content)"
                );
                Err(
                    "The content proxy is not configured: STRAPI_URL is not set (locally, \
                     `scripts/up --with-cms` runs a Strapi and sets it)"
                        .into(),
                )
            }
            Err(err) => {
                tracing::error!(error = %err, "content proxy configuration");
                Err(format!("The content proxy is misconfigured: {err}").into())
            }
        };
        ContentService { inner }
    }

    pub fn content(&self) -> Result<&Arc<Content>, &str> {
        self.inner.as_ref().map_err(|why| &**why)
    }
}

/// One Strapi read: `/api/<type>[/<documentId>]` with a checked query.
#[derive(Debug, Clone)]
pub struct Fetch {
    pub path: String,
    pub query: ContentQuery,
    pub shape: Shape,
    /// Invalidation tags besides the documents the answer shows.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Hit,
    Miss,
    /// Served past its freshness while one refresh runs.
    Stale,
    /// Served because Strapi failed.
    StaleIfError,
    /// Preview: never read from or written to the cache.
    Bypass,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Hit => "hit",
            Freshness::Miss => "miss",
            Freshness::Stale => "stale",
            Freshness::StaleIfError => "stale-if-error",
            Freshness::Bypass => "bypass",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Served {
    pub entry: Entry,
    pub freshness: Freshness,
    /// How much longer it is fresh (zero when stale).
    pub fresh_for: Duration,
}

/// Why no content could be served.
#[derive(Debug)]
pub enum Failure {
    /// Strapi's 4xx about the request, passed on.
    Refused { status: u16, message: String },
    /// Strapi failed and nothing usable was cached.
    Unavailable,
}

impl Content {
    pub fn cache(&self) -> &ContentCache {
        &self.cache
    }

    /// Serves `fetch` from the cache when it can, from Strapi when it must.
    pub async fn load(self: &Arc<Self>, fetch: Fetch, preview: bool) -> Result<Served, Failure> {
        if preview {
            let drafts = match self.config.strapi_version {
                4 => fetch.query.with("publicationState", "preview"),
                _ => fetch.query.with("status", "draft"),
            };
            let entry = self.fetch(&fetch, &drafts).await.map(|(entry, _)| entry)?;
            return Ok(Served {
                entry,
                freshness: Freshness::Bypass,
                fresh_for: Duration::ZERO,
            });
        }
        let key = cache_key(&fetch);
        let ttl = self.config.ttl;
        let stale_entry = match self.cache.get(&key).await {
            Some((entry, tier)) => {
                let fresh = ContentCache::fresh_for(tier, ttl);
                let age = Duration::from_millis(entry.age_ms());
                if age < fresh {
                    return Ok(Served {
                        entry,
                        freshness: Freshness::Hit,
                        fresh_for: fresh - age,
                    });
                }
                if age < fresh + self.config.stale_while_revalidate {
                    if self.cache.begin_refresh(&key).await {
                        let content = self.clone();
                        tokio::spawn(async move {
                            if let Err(Failure::Refused { .. }) =
                                content.fetch_and_store(&fetch, &key).await
                            {
                                tracing::info!(path = %fetch.path, "content gone from Strapi; cached copy dropped");
                                content.cache.purge(&[format!("key:{key}")]).await;
                            }
                            content.cache.end_refresh(&key).await;
                        });
                    }
                    return Ok(Served {
                        entry,
                        freshness: Freshness::Stale,
                        fresh_for: Duration::ZERO,
                    });
                }
                (age < fresh + self.config.stale_if_error).then_some(entry)
            }
            None => None,
        };
        match self.fetch_and_store(&fetch, &key).await {
            Ok(entry) => Ok(Served {
                entry,
                freshness: Freshness::Miss,
                fresh_for: ttl,
            }),
            Err(Failure::Unavailable) => match stale_entry {
                Some(entry) => Ok(Served {
                    entry,
                    freshness: Freshness::StaleIfError,
                    fresh_for: Duration::ZERO,
                }),
                None => Err(Failure::Unavailable),
            },
            Err(refused) => Err(refused),
        }
    }

    async fn fetch_and_store(&self, fetch: &Fetch, key: &str) -> Result<Entry, Failure> {
        let started = cache::now_millis();
        let (entry, mut tags) = self.fetch(fetch, &fetch.query).await?;
        tags.push(format!("key:{key}"));
        self.cache.put(key, &entry, &tags, started).await;
        Ok(entry)
    }

    /// Asks Strapi (falling back to the default locale when a translation is missing)
    /// and normalizes the answer; returns it with its invalidation tags.
    async fn fetch(
        &self,
        fetch: &Fetch,
        query: &ContentQuery,
    ) -> Result<(Entry, Vec<String>), Failure> {
        let fallback = match (&self.config.default_locale, query.locale()) {
            (Some(default), Some(asked)) if default != asked => Some(default.as_str()),
            _ => None,
        };
        let mut used_fallback = None;
        let mut body = match self.strapi_get(&fetch.path, query).await {
            Err(Failure::Refused { status: 404, .. }) if fallback.is_some() => {
                used_fallback = fallback;
                self.strapi_get(
                    &fetch.path,
                    &query.with_locale(fallback.unwrap_or_default()),
                )
                .await?
            }
            other => other?,
        };
        if let Some(default) = fallback.filter(|_| used_fallback.is_none() && is_empty(&body)) {
            let other = self
                .strapi_get(&fetch.path, &query.with_locale(default))
                .await?;
            if !is_empty(&other) {
                body = other;
                used_fallback = Some(default);
            }
        }
        let mut tags: BTreeSet<String> = fetch.tags.iter().cloned().collect();
        tags.insert("all".into());
        normalize::collect_tags(&body["data"], &mut tags);
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let entry = Entry {
            stored_at: cache::now_millis(),
            etag: etag(&bytes),
            fallback_locale: used_fallback.map(str::to_string),
            body: bytes.into(),
        };
        Ok((entry, tags.into_iter().collect()))
    }

    async fn strapi_get(&self, path: &str, query: &ContentQuery) -> Result<Value, Failure> {
        match self.strapi.get(path, &query.encoded()).await {
            Ok(body) => Ok(normalize::normalize(body, &self.config.media_base_url)),
            Err(StrapiError::Refused { status, message }) => {
                Err(Failure::Refused { status, message })
            }
            Err(err @ StrapiError::Unavailable(_)) => {
                tracing::warn!(error = %err, path, "Strapi call failed");
                Err(Failure::Unavailable)
            }
        }
    }

    /// The tags a webhook body invalidates; None when the event concerns no content.
    pub fn webhook_tags(&self, body: &Value) -> Option<Vec<String>> {
        let event = body["event"].as_str().unwrap_or_default();
        let mut tags = BTreeSet::new();
        if event.starts_with("entry.") {
            let content_type = self
                .config
                .type_for_model(body["model"].as_str(), body["uid"].as_str());
            let entry = body.get("entry").filter(|e| e.is_object());
            let document_id = entry.and_then(|e| e["documentId"].as_str());
            match (document_id, content_type) {
                (Some(id), _) => {
                    tags.insert(format!("doc:{id}"));
                    if let Some(t) = content_type {
                        tags.insert(format!("type:{}", t.api_id));
                        if t.api_id == self.config.product_type {
                            if let Some(handle) = entry.and_then(|e| e["handle"].as_str()) {
                                tags.insert(format!("product:{handle}"));
                            }
                        }
                    }
                }
                // No entry (Strapi sends `entry: null` at times): everything read from
                // that type, or everything at all when the type is unknown too.
                (None, Some(t)) => {
                    tags.insert(format!("touch:{}", t.api_id));
                }
                (None, None) => {
                    tags.insert("all".into());
                }
            }
        } else if event.starts_with("media.") {
            match body.get("media").filter(|m| m.is_object()) {
                Some(media) => {
                    if let Some(id) = media.get("id").filter(|id| !id.is_null()) {
                        tags.insert(format!("media:{}", normalize::scalar(id)));
                    }
                    if let Some(id) = media["documentId"].as_str() {
                        tags.insert(format!("doc:{id}"));
                    }
                    if tags.is_empty() {
                        tags.insert("all".into());
                    }
                }
                None => {
                    tags.insert("all".into());
                }
            }
        } else {
            return None;
        }
        Some(tags.into_iter().collect())
    }

    /// Whether a webhook's secret header is right, in constant time.
    pub fn webhook_secret_matches(&self, given: Option<&[u8]>) -> bool {
        let (Some(secret), Some(given)) = (&self.config.webhook_secret, given) else {
            return false;
        };
        let bare = constant_time_eq(given, secret.expose().as_bytes());
        let bearer = constant_time_eq(given, format!("Bearer {}", secret.expose()).as_bytes());
        bare | bearer
    }

    pub fn preview_secret_matches(&self, given: &[u8]) -> bool {
        match &self.config.preview_secret {
            Some(secret) => constant_time_eq(given, secret.expose().as_bytes()),
            None => false,
        }
    }
}

/// Compares digests, so neither the length nor the first differing byte shows in timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A missing translation: an empty list (nothing at all, not just an empty page) or no
/// document.
fn is_empty(body: &Value) -> bool {
    match &body["data"] {
        Value::Null => true,
        Value::Array(items) => {
            items.is_empty()
                && body["meta"]["pagination"]["total"]
                    .as_u64()
                    .is_none_or(|total| total == 0)
        }
        _ => false,
    }
}

pub fn cache_key(fetch: &Fetch) -> String {
    let digest = Sha256::digest(format!("v1 {}?{}", fetch.path, fetch.query.encoded()));
    hex::encode(&digest[..20])
}

pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}
