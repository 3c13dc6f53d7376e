//! Login attempts per email and per source address, counted in Redis (shared by every
//! instance) and always also in process. When Redis is away the in-process count still
//! limits, so an outage never opens the door to unlimited guessing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use store::cache::RedisLink;

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_email: u64,
    pub per_ip: u64,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_email: 10,
            per_ip: 50,
            window: Duration::from_secs(900),
        }
    }
}

/// Counters that expire a window after their first attempt.
#[derive(Clone)]
pub struct LocalLimiter {
    counts: moka::future::Cache<String, Arc<AtomicU64>>,
}

impl LocalLimiter {
    pub fn new(window: Duration) -> Self {
        LocalLimiter {
            counts: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts an attempt; returns the attempts in the window, this one included.
    pub async fn hit(&self, key: &str) -> u64 {
        let counter = self
            .counts
            .get_with(key.to_string(), async { Arc::new(AtomicU64::new(0)) })
            .await;
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Counts an attempt in Redis: INCR, and the window starts with the first one. None
/// when Redis is not configured, cooling down, or failed.
async fn redis_hit(redis: &RedisLink, key: &str, window: Duration) -> Option<u64> {
    let mut conn = redis.connection()?;
    let result: redis::RedisResult<(u64,)> = redis::pipe()
        .cmd("INCR")
        .arg(key)
        .cmd("EXPIRE")
        .arg(key)
        .arg(window.as_secs().max(1))
        .arg("NX")
        .ignore()
        .query_async(&mut conn)
        .await;
    match result {
        Ok((count,)) => {
            redis.succeeded();
            Some(count)
        }
        Err(err) => {
            redis.failed(&err);
            None
        }
    }
}

/// Counts a login attempt for `email` from `ip`; false when either is over its limit.
pub async fn allow_login(
    redis: &RedisLink,
    local: &LocalLimiter,
    prefix: &str,
    limits: &LoginLimits,
    email: &str,
    ip: Option<&str>,
) -> bool {
    let mut keys = vec![(format!("{prefix}:login:email:{email}"), limits.per_email)];
    if let Some(ip) = ip {
        keys.push((format!("{prefix}:login:ip:{ip}"), limits.per_ip));
    }
    allow(redis, local, limits.window, &keys).await
}

/// Counts one request against each `(counter key, most allowed in the window)`; false
/// when any count is over its most. A most of 0 means no limit (and is not counted).
pub async fn allow(
    redis: &RedisLink,
    local: &LocalLimiter,
    window: Duration,
    limits: &[(String, u64)],
) -> bool {
    let mut allowed = true;
    for (key, limit) in limits.iter().filter(|(_, limit)| *limit > 0) {
        let local_count = local.hit(key).await;
        let shared_count = redis_hit(redis, key, window).await.unwrap_or(0);
        if local_count.max(shared_count) > *limit {
            allowed = false;
        }
    }
    allowed
}

/// Counts each counter and sets its window in one Redis call, in turn, stopping after
/// the first over its most (`ARGV[i + 1]`); answers the counts so far.
const COUNT_IN_TURN: &str = "local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[1], 'NX')
  counts[i] = count
  if count > tonumber(ARGV[i + 1]) then break end
end
return counts";

/// Counts one request against each `(counter key, most allowed in the window)` in turn
/// and stops at the first over its most, so a request one counter refuses is not counted
/// by those after it; false when one refused. Redis counts them in one script, sent
/// with `also` in the same round trip; `also`'s answer comes back when Redis answered.
/// A most of 0 means no limit (and is not counted).
pub async fn allow_in_turn<T: redis::FromRedisValue>(
    redis: &RedisLink,
    local: &LocalLimiter,
    window: Duration,
    limits: &[(String, u64)],
    also: redis::Cmd,
) -> (bool, Option<T>) {
    let limits: Vec<&(String, u64)> = limits.iter().filter(|(_, most)| *most > 0).collect();
    let (shared, answer) = match redis.connection() {
        Some(mut conn) => {
            let mut script = redis::cmd("EVAL");
            script.arg(COUNT_IN_TURN).arg(limits.len());
            for (key, _) in &limits {
                script.arg(key);
            }
            script.arg(window.as_secs().max(1));
            for (_, most) in &limits {
                script.arg(most);
            }
            let result: redis::RedisResult<(Vec<u64>, T)> = redis::pipe()
                .add_command(script)
                .add_command(also)
                .query_async(&mut conn)
                .await;
            match result {
                Ok((counts, answer)) => {
                    redis.succeeded();
                    (counts, Some(answer))
                }
                Err(err) => {
                    redis.failed(&err);
                    (Vec::new(), None)
                }
            }
        }
        None => (Vec::new(), None),
    };
    for (i, (key, most)) in limits.iter().enumerate() {
        let count = local
            .hit(key)
            .await
            .max(shared.get(i).copied().unwrap_or(0));
        if count > *most {
            return (false, answer);
        }
    }
    (true, answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_redis_the_local_count_still_refuses_after_the_limit() {
        let redis = RedisLink::new(None);
        let limits = LoginLimits {
            per_email: 3,
            per_ip: 100,
            window: Duration::from_secs(60),
        };
        let local = LocalLimiter::new(limits.window);
        for _ in 0..3 {
            assert!(allow_login(&redis, &local, "t", &limits, "a@example.com", None).await);
        }
        assert!(!allow_login(&redis, &local, "t", &limits, "a@example.com", None).await);
        // Another email is counted apart.
        assert!(allow_login(&redis, &local, "t", &limits, "b@example.com", None).await);
    }
}
