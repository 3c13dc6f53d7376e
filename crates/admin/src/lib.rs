//! The Admin API's domain: admin users and secret keys, authentication, login rate
//! limits, the audit log, the order lifecycle, stock levels and catalog writes.
//!
//! Every `/admin/*` handler takes an [`AdminContext`], which refuses any request without
//! valid credentials with one and the same 401 body. Only the functions that serve admin
//! routes (products, cart, orders) depend on this crate; their state is an
//! [`AdminState`]: the store's [`AppState`] and the [`AdminAuth`].

pub mod audit;
pub mod auth;
pub mod channels;
mod input;
pub mod inventory;
pub mod orders;
pub mod products;
pub mod promotions;
pub mod rate_limit;
pub mod regions;
pub mod taxonomy;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::response::Response;
use axum::Router;

pub use auth::{ActorType, AdminContext};

use store::config::ConfigError;
use store::web::{self, AppState};

/// The state of a function with admin routes.
#[derive(Clone, FromRef)]
pub struct AdminState {
    pub app: AppState,
    pub auth: AdminAuth,
}

impl AdminState {
    /// The state a function builds at cold start, from the environment.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AdminState {
            app: AppState::from_env()?,
            auth: AdminAuth::from_env(),
        })
    }
}

/// [`web::finish_router`] for a function with admin routes: an unknown `/admin` path is
/// a 401 without valid credentials and a 404 with them, as in Medusa.
pub fn finish_router<S>(routes: web::Routes<S>, state: S) -> Router
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    AdminAuth: FromRef<S>,
{
    web::finish_router_with(routes, state, not_found::<S>)
}

async fn not_found<S>(State(state): State<S>, request: Request) -> Response
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    AdminAuth: FromRef<S>,
{
    let (mut parts, _) = request.into_parts();
    if web::is_admin_path(parts.uri.path()) {
        if let Err(rejection) = AdminContext::from_request_parts(&mut parts, &state).await {
            return rejection;
        }
        return web::no_such_route(&parts);
    }
    web::not_found(&parts)
}

/// The shortest `JWT_SECRET` accepted: 32 bytes, HS256's own key size.
pub const MIN_JWT_SECRET_LEN: usize = 32;
pub const DEFAULT_JWT_TTL: Duration = Duration::from_secs(3600);

/// How admin logins and tokens work in this instance, built once per cold start.
#[derive(Clone)]
pub struct AdminAuth {
    inner: Option<Arc<AdminAuthInner>>,
}

pub(crate) struct AdminAuthInner {
    pub(crate) secret: Vec<u8>,
    pub(crate) ttl: Duration,
    pub(crate) limits: rate_limit::LoginLimits,
    pub(crate) limiter: rate_limit::LocalLimiter,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAuth")
            .field("enabled", &self.inner.is_some())
            .field("jwt_secret", &"<redacted>")
            .finish()
    }
}

impl AdminAuth {
    /// No secret: every admin and auth route answers 503.
    pub fn disabled() -> Self {
        AdminAuth { inner: None }
    }

    /// Admin auth with this JWT signing secret (at least [`MIN_JWT_SECRET_LEN`] bytes).
    pub fn new(
        secret: &str,
        ttl: Duration,
        limits: rate_limit::LoginLimits,
    ) -> Result<Self, ConfigError> {
        if secret.len() < MIN_JWT_SECRET_LEN {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: format!("must be at least {MIN_JWT_SECRET_LEN} bytes"),
            });
        }
        Ok(AdminAuth {
            inner: Some(Arc::new(AdminAuthInner {
                secret: secret.as_bytes().to_vec(),
                ttl,
                limiter: rate_limit::LocalLimiter::new(limits.window),
                limits,
            })),
        })
    }

    /// From `JWT_SECRET`, `JWT_TTL_SECONDS`, `ADMIN_LOGIN_MAX_PER_EMAIL`,
    /// `ADMIN_LOGIN_MAX_PER_IP` and `ADMIN_LOGIN_WINDOW_SECONDS`. A missing or short
    /// secret disables the admin API (logged), and the store routes keep working.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str, default: u64| -> u64 {
            match get(name).map(|v| v.trim().parse::<u64>()) {
                Some(Ok(n)) if n > 0 => n,
                Some(_) => {
                    tracing::warn!("{name} is not a positive number; using {default}");
                    default
                }
                None => default,
            }
        };
        let Some(secret) = get("JWT_SECRET").filter(|s| !s.trim().is_empty()) else {
            tracing::warn!("JWT_SECRET is not set: the admin API is disabled");
            return Self::disabled();
        };
        let limits = rate_limit::LoginLimits {
            per_email: number("ADMIN_LOGIN_MAX_PER_EMAIL", 10),
            per_ip: number("ADMIN_LOGIN_MAX_PER_IP", 50),
            window: Duration::from_secs(number("ADMIN_LOGIN_WINDOW_SECONDS", 900)),
        };
        let ttl = Duration::from_secs(number("JWT_TTL_SECONDS", DEFAULT_JWT_TTL.as_secs()));
        match Self::new(&secret, ttl, limits) {
            Ok(auth) => auth,
            Err(err) => {
                tracing::error!(error = %err, "the admin API is disabled");
                Self::disabled()
            }
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    pub(crate) fn inner(&self) -> Option<&AdminAuthInner> {
        self.inner.as_deref()
    }
}
