//! The Admin API's domain: admin users and secret keys, authentication, login rate
//! limits, the audit log, the order lifecycle, stock levels and catalog writes.
//!
//! Every `/admin/*` handler takes an [`AdminContext`], which refuses any request without
//! valid credentials with one and the same 401 body.

pub mod audit;
pub mod auth;
pub mod channels;
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

pub use auth::{ActorType, AdminContext};

use crate::config::ConfigError;

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
