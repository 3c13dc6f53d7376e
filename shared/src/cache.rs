//! Response cache: Redis when it is configured and answering, an in-process cache
//! otherwise. Redis trouble never fails a request; it is logged once per outage.
//!
//! Entries live in one Redis hash per namespace (`store:products`, ...), so a write
//! purges a whole namespace with a single `DEL`. Each entry carries the time it was
//! written and is treated as a miss once older than the TTL.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// After a Redis failure, requests skip Redis for this long instead of each paying
/// for a connection attempt.
const REDIS_COOLDOWN: Duration = Duration::from_secs(5);
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// The in-process stand-in cannot be purged across instances, so it keeps entries briefly.
const LOCAL_TTL_CAP: Duration = Duration::from_secs(5);

/// Cache namespaces; a catalog write purges the ones it affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Products,
    Regions,
    Categories,
    Collections,
    PublishableKeys,
}

impl Namespace {
    pub const CATALOG: [Namespace; 4] = [
        Namespace::Products,
        Namespace::Regions,
        Namespace::Categories,
        Namespace::Collections,
    ];

    fn name(self) -> &'static str {
        match self {
            Namespace::Products => "products",
            Namespace::Regions => "regions",
            Namespace::Categories => "categories",
            Namespace::Collections => "collections",
            Namespace::PublishableKeys => "publishable_keys",
        }
    }
}

/// One lazily connected Redis connection per function instance, shared by every cache.
/// After a failure it is left alone for a cooldown, so requests do not each pay for a
/// connection attempt, and an outage is logged once, not per request.
#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<LinkInner>,
}

struct LinkInner {
    redis: Option<ConnectionManager>,
    /// Unix millis until which Redis is skipped.
    down_until: AtomicU64,
    /// Whether the current outage was already logged.
    outage_logged: AtomicBool,
}

impl RedisLink {
    /// Never fails: no URL, or a URL that cannot be used (logged), means no Redis.
    pub fn new(redis_url: Option<&str>) -> Self {
        let redis = redis_url.and_then(|url| {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(100));
            redis::Client::open(url)
                .and_then(|client| ConnectionManager::new_lazy_with_config(client, config))
                .map_err(|err| tracing::warn!(error = %err, "REDIS_URL is unusable; caching in process only"))
                .ok()
        });
        RedisLink {
            inner: Arc::new(LinkInner {
                redis,
                down_until: AtomicU64::new(0),
                outage_logged: AtomicBool::new(false),
            }),
        }
    }

    /// The connection, unless Redis is not configured or cooling down after a failure.
    pub fn connection(&self) -> Option<ConnectionManager> {
        let redis = self.inner.redis.as_ref()?;
        (now_millis() >= self.inner.down_until.load(Ordering::Relaxed)).then(|| redis.clone())
    }

    /// The connection even while cooling down: for purges, since a missed purge would
    /// leave stale answers in Redis until they expire.
    pub fn connection_for_purge(&self) -> Option<ConnectionManager> {
        self.inner.redis.clone()
    }

    /// Opens the connection ahead of the first request with a `PING`; a failure counts
    /// as any call's, so the first request then skips Redis at once.
    pub async fn warm_up(&self) {
        let Some(mut conn) = self.connection() else {
            return;
        };
        match redis::cmd("PING").query_async::<()>(&mut conn).await {
            Ok(()) => self.succeeded(),
            Err(err) => self.failed(&err),
        }
    }

    /// Records that a Redis call worked (ends a logged outage).
    pub fn succeeded(&self) {
        if self.inner.outage_logged.swap(false, Ordering::Relaxed) {
            tracing::info!("redis is answering again; caches back in redis");
        }
    }

    /// Records that a Redis call failed: skip Redis for a while, log the outage once.
    pub fn failed(&self, err: &redis::RedisError) {
        let until = now_millis() + REDIS_COOLDOWN.as_millis() as u64;
        self.inner.down_until.store(until, Ordering::Relaxed);
        if !self.inner.outage_logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %err, "redis is unavailable; serving from postgres with in-process caches until it answers again");
        }
    }
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    redis: RedisLink,
    /// Prepended to every Redis key, so several stores can share one Redis.
    prefix: String,
    ttl: Duration,
    local: moka::future::Cache<(Namespace, String), Arc<[u8]>>,
}

impl Cache {
    /// Builds the cache on a Redis link (which may have no Redis behind it).
    pub fn new(redis: RedisLink, prefix: &str, ttl: Duration) -> Self {
        let local = moka::future::Cache::builder()
            .max_capacity(2_000)
            .time_to_live(ttl.min(LOCAL_TTL_CAP))
            .support_invalidation_closures()
            .build();
        Cache {
            inner: Arc::new(Inner {
                redis,
                prefix: prefix.to_string(),
                ttl,
                local,
            }),
        }
    }

    fn redis_key(&self, namespace: Namespace) -> String {
        format!("{}:{}", self.inner.prefix, namespace.name())
    }

    pub async fn get(&self, namespace: Namespace, key: &str) -> Option<Arc<[u8]>> {
        if let Some(mut redis) = self.inner.redis.connection() {
            let result: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("HGET")
                .arg(self.redis_key(namespace))
                .arg(key)
                .query_async(&mut redis)
                .await;
            match result {
                Ok(value) => {
                    self.inner.redis.succeeded();
                    return value.and_then(|entry| self.fresh(&entry)).map(Arc::from);
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        self.inner.local.get(&(namespace, key.to_string())).await
    }

    pub async fn put(&self, namespace: Namespace, key: &str, value: Arc<[u8]>) {
        if let Some(mut redis) = self.inner.redis.connection() {
            let mut entry = now_millis().to_be_bytes().to_vec();
            entry.extend_from_slice(&value);
            let ttl_secs = self.inner.ttl.as_secs().max(1);
            let result: redis::RedisResult<()> = redis::pipe()
                .cmd("HSET")
                .arg(self.redis_key(namespace))
                .arg(key)
                .arg(entry)
                .ignore()
                // The hash as a whole expires a TTL after its first entry, which bounds
                // its size without per-field expiry.
                .cmd("EXPIRE")
                .arg(self.redis_key(namespace))
                .arg(ttl_secs)
                .arg("NX")
                .ignore()
                .query_async(&mut redis)
                .await;
            match result {
                Ok(()) => {
                    self.inner.redis.succeeded();
                    return;
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        self.inner
            .local
            .insert((namespace, key.to_string()), value)
            .await;
    }

    /// Drops every entry of the given namespaces, in Redis and in this process.
    pub async fn purge(&self, namespaces: &[Namespace]) {
        let namespaces_owned = namespaces.to_vec();
        if let Err(err) = self
            .inner
            .local
            .invalidate_entries_if(move |(namespace, _), _| namespaces_owned.contains(namespace))
        {
            // Only possible if the builder lacks invalidation closures; fall back to all.
            tracing::warn!(error = %err, "clearing the whole in-process cache");
            self.inner.local.invalidate_all();
        }
        if let Some(mut redis) = self.inner.redis.connection_for_purge() {
            let mut del = redis::cmd("DEL");
            for namespace in namespaces {
                del.arg(self.redis_key(*namespace));
            }
            let result: redis::RedisResult<()> = del.query_async(&mut redis).await;
            match result {
                Ok(()) => self.inner.redis.succeeded(),
                Err(err) => self.inner.redis.failed(&err),
            }
        }
    }

    fn fresh(&self, entry: &[u8]) -> Option<Vec<u8>> {
        let (stamp, body) = entry.split_first_chunk::<8>()?;
        let age = now_millis().saturating_sub(u64::from_be_bytes(*stamp));
        (u128::from(age) < self.inner.ttl.as_millis()).then(|| body.to_vec())
    }

    /// The Redis link, for other caches of this instance to share.
    pub fn redis(&self) -> RedisLink {
        self.inner.redis.clone()
    }
}

pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
