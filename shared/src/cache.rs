//! Response cache: Redis when it is configured and answering, an in-process cache
//! otherwise. Redis trouble never fails a request; it is logged once per outage.
//!
//! Entries live in one Redis hash per namespace (`store:products`, ...), so a write
//! purges a whole namespace with a single `DEL`. Each entry is two fields: its body and
//! its tag (the time it was written and a hash of the body); it is a miss once older
//! than the TTL. An instance keeps the bodies it has seen and asks Redis only for the
//! tag, so an unchanged answer is not sent again from Redis on every request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// After a Redis failure, requests skip Redis for this long instead of each paying
/// for a connection attempt.
const REDIS_COOLDOWN: Duration = Duration::from_secs(5);
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// Without Redis, this instance's copies cannot be purged by other instances, so they
/// serve only this long.
const LOCAL_TTL_CAP: Duration = Duration::from_secs(5);
/// The bytes of bodies an instance keeps (a product page is about 100 KB).
const LOCAL_CAPACITY_BYTES: u64 = 16 * 1024 * 1024;

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
    /// Entries this instance wrote or fetched. With Redis answering, one is served only
    /// while Redis still holds its tag; without Redis, for [`LOCAL_TTL_CAP`].
    local: moka::future::Cache<(Namespace, String), Local>,
}

/// An entry's tag: when it was written (Unix millis) and the XXH3 of its body.
type Tag = [u8; 16];

/// An entry's two fields as Redis answers them.
type TagAndBody = (Option<Vec<u8>>, Option<Vec<u8>>);

#[derive(Clone)]
struct Local {
    tag: Tag,
    stored: Instant,
    body: Bytes,
}

fn tag_of(body: &[u8]) -> Tag {
    let mut tag = [0; 16];
    tag[..8].copy_from_slice(&now_millis().to_be_bytes());
    tag[8..].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(body).to_be_bytes());
    tag
}

/// A cached body and the XXH3 of it, which its tag carries (so an `ETag` needs no second
/// pass over the body).
pub struct Hit {
    pub body: Bytes,
    pub hash: u64,
}

impl Hit {
    fn new(tag: &Tag, body: Bytes) -> Self {
        let hash = u64::from_be_bytes(tag[8..].try_into().expect("8 bytes"));
        Hit { body, hash }
    }
}

/// The Redis hash fields of an entry: its tag and its body.
fn fields(key: &str) -> (String, String) {
    (format!("t:{key}"), format!("b:{key}"))
}

impl Cache {
    /// Builds the cache on a Redis link (which may have no Redis behind it).
    pub fn new(redis: RedisLink, prefix: &str, ttl: Duration) -> Self {
        let local = moka::future::Cache::builder()
            .max_capacity(LOCAL_CAPACITY_BYTES)
            .weigher(|(_, key): &(Namespace, String), entry: &Local| {
                u32::try_from(key.len() + entry.body.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl.max(LOCAL_TTL_CAP))
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

    /// The entry for `key`. With Redis, a small read of its tag decides: an unknown or
    /// expired tag is a miss, the tag of this instance's copy serves the copy, and any
    /// other tag fetches the body (once, then the copy serves). A 100 KB product page
    /// then crosses the network once per instance and change, not on every request.
    pub async fn get(&self, namespace: Namespace, key: &str) -> Option<Hit> {
        let local_key = (namespace, key.to_string());
        let Some(mut redis) = self.inner.redis.connection() else {
            return self.local_fallback(&local_key).await;
        };
        let result: redis::RedisResult<Option<Vec<u8>>> = self
            .tag_command(namespace, key)
            .query_async(&mut redis)
            .await;
        match result {
            Ok(tag) => {
                self.inner.redis.succeeded();
                self.after_tag(redis, local_key, tag).await
            }
            Err(err) => {
                self.inner.redis.failed(&err);
                self.local_fallback(&local_key).await
            }
        }
    }

    /// The command that reads an entry's tag, for a caller that sends it in a pipeline of
    /// its own and then calls [`Cache::get_with_tag`] with the answer: one round trip to
    /// Redis for both.
    pub fn tag_command(&self, namespace: Namespace, key: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("HGET");
        cmd.arg(self.redis_key(namespace)).arg(fields(key).0);
        cmd
    }

    /// [`Cache::get`], with the entry's tag as Redis just answered [`Cache::tag_command`].
    pub async fn get_with_tag(
        &self,
        namespace: Namespace,
        key: &str,
        tag: Option<Vec<u8>>,
    ) -> Option<Hit> {
        let local_key = (namespace, key.to_string());
        match self.inner.redis.connection() {
            Some(redis) => self.after_tag(redis, local_key, tag).await,
            None => self.local_fallback(&local_key).await,
        }
    }

    /// What Redis's tag for an entry decides: a miss, this instance's copy, or the body
    /// fetched (with its tag) and kept.
    async fn after_tag(
        &self,
        mut redis: ConnectionManager,
        local_key: (Namespace, String),
        tag: Option<Vec<u8>>,
    ) -> Option<Hit> {
        let tag = tag.and_then(|tag| self.fresh_tag(&tag))?;
        if let Some(copy) = self.inner.local.get(&local_key).await {
            if copy.tag == tag {
                return Some(Hit::new(&tag, copy.body));
            }
        }
        // Tag and body in one command, so they belong together.
        let (tag_field, body_field) = fields(&local_key.1);
        let result: redis::RedisResult<TagAndBody> = redis::cmd("HMGET")
            .arg(self.redis_key(local_key.0))
            .arg(&tag_field)
            .arg(&body_field)
            .query_async(&mut redis)
            .await;
        match result {
            Ok((Some(tag), Some(body))) => {
                self.inner.redis.succeeded();
                let tag = self.fresh_tag(&tag)?;
                let body = Bytes::from(body);
                self.keep(local_key, tag, body.clone()).await;
                Some(Hit::new(&tag, body))
            }
            Ok(_) => None,
            Err(err) => {
                self.inner.redis.failed(&err);
                None
            }
        }
    }

    pub async fn put(&self, namespace: Namespace, key: &str, value: Bytes) {
        let tag = tag_of(&value);
        let local_key = (namespace, key.to_string());
        if let Some(mut redis) = self.inner.redis.connection() {
            let (tag_field, body_field) = fields(key);
            let ttl_secs = self.inner.ttl.as_secs().max(1);
            let result: redis::RedisResult<()> = redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(self.redis_key(namespace))
                .arg(tag_field)
                .arg(&tag[..])
                .arg(body_field)
                .arg(&value[..])
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
                Ok(()) => self.inner.redis.succeeded(),
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        self.keep(local_key, tag, value).await;
    }

    async fn keep(&self, local_key: (Namespace, String), tag: Tag, body: Bytes) {
        let copy = Local {
            tag,
            stored: Instant::now(),
            body,
        };
        self.inner.local.insert(local_key, copy).await;
    }

    /// Without Redis: this instance's copy, if it is younger than [`LOCAL_TTL_CAP`] (no
    /// other instance can purge it).
    async fn local_fallback(&self, local_key: &(Namespace, String)) -> Option<Hit> {
        let copy = self.inner.local.get(local_key).await?;
        let limit = self.inner.ttl.min(LOCAL_TTL_CAP);
        (copy.stored.elapsed() < limit).then(|| Hit::new(&copy.tag, copy.body))
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

    /// The tag, if it is one and younger than the TTL.
    fn fresh_tag(&self, tag: &[u8]) -> Option<Tag> {
        let tag: Tag = tag.try_into().ok()?;
        let stamp = u64::from_be_bytes(tag[..8].try_into().expect("8 bytes"));
        let age = now_millis().saturating_sub(stamp);
        (u128::from(age) < self.inner.ttl.as_millis()).then_some(tag)
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
