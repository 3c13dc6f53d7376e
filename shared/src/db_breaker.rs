//! What a request meets while PostgreSQL is away: a `503` with `Retry-After` in the JSON
//! error shape, at once, instead of a `500` after the pool's acquire timeout for every
//! request (sqlx retries a refused connection until that timeout).
//!
//! A request whose database call could not get a connection (the pool timed out, or the
//! connection failed) is answered `503` by [`crate::error::ApiError`] and marks the
//! answer; the middleware [`guard`] then opens this state's breaker. While it is open every
//! request of the function is answered `503` without touching the pool; after
//! [`OPEN_FOR`] one request goes through as a probe: an answer that is not the database's
//! `503` closes the breaker, another `503` opens it again. So the store recovers within
//! about a second of PostgreSQL's return. Before a probe spends a request on the pool, a
//! plain TCP connect to PostgreSQL's address tells whether it is listening at all: a
//! refused connect keeps the breaker open at once instead of after the pool's acquire
//! timeout. A request that finds the pool without a connection (a cold instance, or one
//! whose idle connections were closed) checks the same way first, so also the first
//! request of an instance started while PostgreSQL is down gets its `503` at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long the breaker stays open before one request probes the database again.
pub const OPEN_FOR: Duration = Duration::from_secs(1);
/// How long the probe's TCP connect may take; longer says nothing either way.
const PROBE_CONNECT: Duration = Duration::from_millis(200);
/// What `Retry-After` says.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Put in a response's extensions by the error that met an unreachable database.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUnavailable;

/// One per [`crate::AppState`] (one pool).
#[derive(Debug, Clone)]
pub struct DbBreaker {
    inner: Arc<Inner>,
    /// PostgreSQL's TCP address, for the probe's connect (none over a Unix socket).
    address: Option<(String, u16)>,
    /// The pool, to see whether it holds a connection.
    pool: Option<sqlx::PgPool>,
}

#[derive(Debug)]
struct Inner {
    started: Instant,
    /// Milliseconds since `started` until which requests are refused; 0: closed.
    open_until: AtomicU64,
    /// A probe is on its way through.
    probing: AtomicBool,
}

/// What the breaker lets a request do.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    /// Closed: go on.
    Through,
    /// Half open: go on, and say how it went.
    Probe,
    /// Open: answer 503.
    Refused,
}

impl Default for DbBreaker {
    fn default() -> Self {
        DbBreaker {
            inner: Arc::new(Inner {
                started: Instant::now(),
                open_until: AtomicU64::new(0),
                probing: AtomicBool::new(false),
            }),
            address: None,
            pool: None,
        }
    }
}

impl DbBreaker {
    /// The breaker of `pool`, probing its server's address.
    pub fn of(pool: &sqlx::PgPool) -> Self {
        let options = pool.connect_options();
        DbBreaker {
            address: options
                .get_socket()
                .is_none()
                .then(|| (options.get_host().to_string(), options.get_port())),
            pool: Some(pool.clone()),
            ..Self::default()
        }
    }

    /// Whether PostgreSQL's address refuses a TCP connection (nothing listens there).
    async fn refused(&self) -> bool {
        let Some((host, port)) = &self.address else {
            return false;
        };
        let connect = tokio::net::TcpStream::connect((host.as_str(), *port));
        matches!(
            tokio::time::timeout(PROBE_CONNECT, connect).await,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
        )
    }

    /// The pool holds no connection: the next acquire has to connect.
    fn cold(&self) -> bool {
        self.pool.as_ref().is_some_and(|pool| pool.size() == 0)
    }

    fn now_ms(&self) -> u64 {
        self.inner.started.elapsed().as_millis() as u64 + 1
    }

    pub fn pass(&self) -> Pass {
        let until = self.inner.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Pass::Through;
        }
        if self.now_ms() < until {
            return Pass::Refused;
        }
        match self
            .inner
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Pass::Probe,
            Err(_) => Pass::Refused,
        }
    }

    /// A request met the database away (also a probe): refuse for [`OPEN_FOR`].
    pub fn opened(&self) {
        let until = self.now_ms() + OPEN_FOR.as_millis() as u64;
        if self.inner.open_until.swap(until, Ordering::AcqRel) == 0 {
            tracing::warn!("database unreachable: answering 503 until it is back");
        }
        self.inner.probing.store(false, Ordering::Release);
    }

    /// A probe came back without meeting the database away.
    pub fn closed(&self) {
        if self.inner.open_until.swap(0, Ordering::AcqRel) != 0 {
            tracing::info!("database reachable again");
        }
        self.inner.probing.store(false, Ordering::Release);
    }
}

/// The `503` for a request while the database is away.
pub fn unavailable() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "type": "unknown_error",
            "message": "The database is unavailable; try again in a moment",
        })),
    )
        .into_response();
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(RETRY_AFTER_SECONDS),
    );
    response.extensions_mut().insert(DatabaseUnavailable);
    response
}

/// The middleware: refuses while open, lets one probe through when due, and opens or
/// closes the breaker by what the answer says.
pub async fn guard(State(breaker): State<DbBreaker>, request: Request, next: Next) -> Response {
    let pass = breaker.pass();
    if pass == Pass::Refused {
        return unavailable();
    }
    let check = pass == Pass::Probe || breaker.cold();
    if check && breaker.refused().await {
        breaker.opened();
        return unavailable();
    }
    let response = next.run(request).await;
    if response.extensions().get::<DatabaseUnavailable>().is_some() {
        breaker.opened();
    } else if pass == Pass::Probe {
        breaker.closed();
    }
    response
}

/// Whether an error (or one of its sources) says no connection could be had.
pub fn is_unreachable(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(sqlx_err) = e.downcast_ref::<sqlx::Error>() {
            if matches!(
                sqlx_err,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ) {
                return true;
            }
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_refuses_then_one_probe_passes_and_its_answer_decides() {
        let breaker = DbBreaker::default();
        assert_eq!(breaker.pass(), Pass::Through);
        breaker.opened();
        assert_eq!(breaker.pass(), Pass::Refused);
        std::thread::sleep(OPEN_FOR + Duration::from_millis(20));
        assert_eq!(breaker.pass(), Pass::Probe);
        assert_eq!(breaker.pass(), Pass::Refused, "one probe at a time");
        breaker.opened();
        assert_eq!(
            breaker.pass(),
            Pass::Refused,
            "a failed probe opens it again"
        );
        std::thread::sleep(OPEN_FOR + Duration::from_millis(20));
        assert_eq!(breaker.pass(), Pass::Probe);
        breaker.closed();
        assert_eq!(breaker.pass(), Pass::Through);
    }

    #[test]
    fn pool_timeouts_and_connection_failures_count_as_unreachable() {
        assert!(is_unreachable(&sqlx::Error::PoolTimedOut));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(is_unreachable(&sqlx::Error::Io(io)));
        assert!(!is_unreachable(&sqlx::Error::RowNotFound));
    }
}
