//! The content cache: entries that outlive their freshness (for stale-while-revalidate
//! and stale-if-error) and are purged by tag, not by namespace.
//!
//! Redis layout, all under one hash tag so a cluster keeps them in one slot:
//! `{<prefix>:content}:e:<key>` the entry, `…:t:<tag>` the set of entry keys carrying a
//! tag, `…:p:<tag>` when the tag was last purged (an entry fetched before that is not
//! written back, so a slow fetch cannot resurrect purged content), `…:l:<key>` the
//! one-refresh-at-a-time lock. Without Redis (or while it is down) an in-process cache
//! stands in; it cannot be purged from other instances, so its entries are fresh for at
//! most a few seconds.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::cache::now_millis;
use crate::cache::RedisLink;

const LOCAL_FRESH_CAP: Duration = Duration::from_secs(5);
const REFRESH_LOCK: Duration = Duration::from_secs(30);

/// One cached answer: the normalized JSON body and what its headers need.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Unix millis when it was fetched.
    pub stored_at: u64,
    pub etag: String,
    /// The locale served instead of the one asked for, if the fallback was used.
    pub fallback_locale: Option<String>,
    pub body: Arc<[u8]>,
}

impl Entry {
    fn encode(&self) -> Vec<u8> {
        let meta = format!(
            "{}\n{}",
            self.etag,
            self.fallback_locale.as_deref().unwrap_or("")
        );
        let mut out = Vec::with_capacity(10 + meta.len() + self.body.len());
        out.extend_from_slice(&self.stored_at.to_be_bytes());
        out.extend_from_slice(&(meta.len() as u16).to_be_bytes());
        out.extend_from_slice(meta.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Entry> {
        let (stamp, rest) = bytes.split_first_chunk::<8>()?;
        let (len, rest) = rest.split_first_chunk::<2>()?;
        let len = u16::from_be_bytes(*len) as usize;
        let meta = std::str::from_utf8(rest.get(..len)?).ok()?;
        let (etag, locale) = meta.split_once('\n')?;
        Some(Entry {
            stored_at: u64::from_be_bytes(*stamp),
            etag: etag.to_string(),
            fallback_locale: (!locale.is_empty()).then(|| locale.to_string()),
            body: Arc::from(&rest[len..]),
        })
    }

    /// Milliseconds since it was fetched.
    pub fn age_ms(&self) -> u64 {
        now_millis().saturating_sub(self.stored_at)
    }
}

/// Where an entry came from; the in-process copy is fresh for a shorter time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Redis,
    Local,
}

#[derive(Clone)]
struct LocalEntry {
    entry: Entry,
    tags: Arc<[String]>,
}

#[derive(Clone)]
pub struct ContentCache {
    inner: Arc<Inner>,
}

struct Inner {
    redis: RedisLink,
    /// `{<prefix>:content}`
    base: String,
    /// How long Redis keeps an entry: fresh time plus the longest stale window.
    lifetime: Duration,
    local: moka::future::Cache<String, LocalEntry>,
    local_purged: Mutex<HashMap<String, u64>>,
    refreshing: Mutex<HashSet<String>>,
}

const PUT_SCRIPT: &str = r"
local n = tonumber(ARGV[4])
for i = 1, n do
  local purged = redis.call('GET', KEYS[1 + n + i])
  if purged and tonumber(purged) > tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 1, n do
  redis.call('SADD', KEYS[1 + i], KEYS[1])
  if redis.call('PTTL', KEYS[1 + i]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1 + i], ARGV[2])
  end
end
return 1
";

const PURGE_SCRIPT: &str = r"
local n = tonumber(ARGV[3])
local purged = 0
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(members) do
    purged = purged + redis.call('DEL', key)
  end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], ARGV[1], 'PX', ARGV[2])
end
return purged
";

impl ContentCache {
    /// On the instance's Redis link (see `store::cache::RedisLink`), which may have no
    /// Redis behind it.
    pub fn new(redis: RedisLink, prefix: &str, lifetime: Duration) -> Self {
        let local = moka::future::Cache::builder()
            .max_capacity(2_000)
            .time_to_live(lifetime.max(Duration::from_secs(1)))
            .build();
        ContentCache {
            inner: Arc::new(Inner {
                redis,
                base: format!("{{{prefix}:content}}"),
                lifetime: lifetime.max(Duration::from_secs(1)),
                local,
                local_purged: Mutex::default(),
                refreshing: Mutex::default(),
            }),
        }
    }

    /// How long an entry from `tier` is fresh, given the configured TTL.
    pub fn fresh_for(tier: Tier, ttl: Duration) -> Duration {
        match tier {
            Tier::Redis => ttl,
            Tier::Local => ttl.min(LOCAL_FRESH_CAP),
        }
    }

    pub async fn get(&self, key: &str) -> Option<(Entry, Tier)> {
        if let Some(mut redis) = self.inner.redis.connection() {
            let result: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("GET")
                .arg(format!("{}:e:{key}", self.inner.base))
                .query_async(&mut redis)
                .await;
            match result {
                Ok(value) => {
                    self.inner.redis.succeeded();
                    return value
                        .and_then(|bytes| Entry::decode(&bytes))
                        .map(|entry| (entry, Tier::Redis));
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        self.inner
            .local
            .get(key)
            .await
            .map(|local| (local.entry, Tier::Local))
    }

    /// Stores an entry fetched at `fetched_at` (unix millis) unless one of its tags was
    /// purged since then.
    pub async fn put(&self, key: &str, entry: &Entry, tags: &[String], fetched_at: u64) {
        if let Some(mut redis) = self.inner.redis.connection() {
            let base = &self.inner.base;
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(PUT_SCRIPT).arg(1 + 2 * tags.len());
            cmd.arg(format!("{base}:e:{key}"));
            for tag in tags {
                cmd.arg(format!("{base}:t:{tag}"));
            }
            for tag in tags {
                cmd.arg(format!("{base}:p:{tag}"));
            }
            cmd.arg(entry.encode())
                .arg(self.inner.lifetime.as_millis() as u64)
                .arg(fetched_at)
                .arg(tags.len());
            let result: redis::RedisResult<i64> = cmd.query_async(&mut redis).await;
            match result {
                Ok(_) => {
                    self.inner.redis.succeeded();
                    return;
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        {
            let purged = self
                .inner
                .local_purged
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if tags
                .iter()
                .any(|tag| purged.get(tag).is_some_and(|at| *at > fetched_at))
            {
                return;
            }
        }
        self.inner
            .local
            .insert(
                key.to_string(),
                LocalEntry {
                    entry: entry.clone(),
                    tags: tags.to_vec().into(),
                },
            )
            .await;
    }

    /// Drops every entry carrying one of `tags`, in Redis and in this process; returns
    /// how many entries were dropped.
    pub async fn purge(&self, tags: &[String]) -> usize {
        if tags.is_empty() {
            return 0;
        }
        let now = now_millis();
        let mut purged = 0;
        {
            let mut stamps = self
                .inner
                .local_purged
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for tag in tags {
                stamps.insert(tag.clone(), now);
            }
            if stamps.len() > 10_000 {
                let horizon = now.saturating_sub(self.inner.lifetime.as_millis() as u64);
                stamps.retain(|_, at| *at >= horizon);
            }
        }
        let doomed: Vec<String> = self
            .inner
            .local
            .iter()
            .filter(|(_, local)| local.tags.iter().any(|t| tags.contains(t)))
            .map(|(key, _)| key.as_ref().clone())
            .collect();
        for key in doomed {
            if self.inner.local.remove(&key).await.is_some() {
                purged += 1;
            }
        }
        if let Some(mut redis) = self.inner.redis.connection_for_purge() {
            let base = &self.inner.base;
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(PURGE_SCRIPT).arg(2 * tags.len());
            for tag in tags {
                cmd.arg(format!("{base}:t:{tag}"));
            }
            for tag in tags {
                cmd.arg(format!("{base}:p:{tag}"));
            }
            cmd.arg(now)
                .arg(self.inner.lifetime.as_millis() as u64)
                .arg(tags.len());
            let result: redis::RedisResult<i64> = cmd.query_async(&mut redis).await;
            match result {
                Ok(n) => {
                    self.inner.redis.succeeded();
                    purged += n.max(0) as usize;
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        purged
    }

    /// Takes the right to refresh `key`; false when a refresh is already running here or
    /// on another instance.
    pub async fn begin_refresh(&self, key: &str) -> bool {
        {
            let mut running = self
                .inner
                .refreshing
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if !running.insert(key.to_string()) {
                return false;
            }
        }
        if let Some(mut redis) = self.inner.redis.connection() {
            let result: redis::RedisResult<Option<String>> = redis::cmd("SET")
                .arg(format!("{}:l:{key}", self.inner.base))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(REFRESH_LOCK.as_millis() as u64)
                .query_async(&mut redis)
                .await;
            match result {
                Ok(Some(_)) => self.inner.redis.succeeded(),
                Ok(None) => {
                    self.forget_refresh(key);
                    return false;
                }
                Err(err) => self.inner.redis.failed(&err),
            }
        }
        true
    }

    pub async fn end_refresh(&self, key: &str) {
        self.forget_refresh(key);
        if let Some(mut redis) = self.inner.redis.connection() {
            let result: redis::RedisResult<()> = redis::cmd("DEL")
                .arg(format!("{}:l:{key}", self.inner.base))
                .query_async(&mut redis)
                .await;
            if let Err(err) = result {
                self.inner.redis.failed(&err);
            }
        }
    }

    fn forget_refresh(&self, key: &str) {
        self.inner
            .refreshing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entry = Entry {
            stored_at: 42,
            etag: "\"abc\"".into(),
            fallback_locale: Some("en".into()),
            body: Arc::from(&b"{\"data\":[]}"[..]),
        };
        let back = Entry::decode(&entry.encode()).unwrap();
        assert_eq!(back.stored_at, 42);
        assert_eq!(back.etag, "\"abc\"");
        assert_eq!(back.fallback_locale.as_deref(), Some("en"));
        assert_eq!(&*back.body, &*entry.body);
    }

    #[tokio::test]
    async fn the_in_process_cache_purges_by_tag_and_refuses_writes_fetched_before_a_purge() {
        let cache = ContentCache::new(RedisLink::new(None), "t", Duration::from_secs(60));
        let entry = |body: &'static [u8]| Entry {
            stored_at: now_millis(),
            etag: "\"e\"".into(),
            fallback_locale: None,
            body: Arc::from(body),
        };
        let before = now_millis() - 10;
        cache
            .put("a", &entry(b"1"), &["type:pages".into()], before)
            .await;
        cache
            .put("b", &entry(b"2"), &["type:banners".into()], before)
            .await;
        assert_eq!(cache.purge(&["type:pages".into()]).await, 1);
        assert!(cache.get("a").await.is_none());
        assert!(cache.get("b").await.is_some());
        cache
            .put("a", &entry(b"1"), &["type:pages".into()], before)
            .await;
        assert!(cache.get("a").await.is_none(), "fetched before the purge");
    }
}
