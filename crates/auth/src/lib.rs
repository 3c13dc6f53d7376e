//! Logins shared by the Admin API's users and the Store API's customers: argon2id
//! passwords ([`password`]), JWTs with Medusa's claims ([`token`]), login attempt limits
//! ([`rate_limit`]), and the [`Auth`] settings every function that logs anyone in builds
//! at cold start.

pub mod password;
pub mod rate_limit;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use store::config::ConfigError;

/// The shortest `JWT_SECRET` accepted: 32 bytes, HS256's own key size.
pub const MIN_JWT_SECRET_LEN: usize = 32;
pub const DEFAULT_JWT_TTL: Duration = Duration::from_secs(3600);
pub const DEFAULT_CUSTOMER_JWT_TTL: Duration = Duration::from_secs(24 * 3600);

/// How logins and tokens work in this instance (admin users and customers share the
/// signing secret and the limits), built once per cold start.
#[derive(Clone)]
pub struct Auth {
    inner: Option<Arc<AuthInner>>,
}

pub struct AuthInner {
    pub secret: Vec<u8>,
    pub ttl: Duration,
    /// Customers' tokens live longer (Medusa: 24 h).
    pub customer_ttl: Duration,
    pub limits: rate_limit::LoginLimits,
    pub limiter: rate_limit::LocalLimiter,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("enabled", &self.inner.is_some())
            .field("jwt_secret", &"<redacted>")
            .finish()
    }
}

impl Auth {
    /// The lifetime of customers' tokens.
    pub fn with_customer_ttl(mut self, ttl: Duration) -> Self {
        if let Some(inner) = self.inner.as_mut().and_then(Arc::get_mut) {
            inner.customer_ttl = ttl;
        }
        self
    }

    /// No secret: every admin and auth route answers 503.
    pub fn disabled() -> Self {
        Auth { inner: None }
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
        Ok(Auth {
            inner: Some(Arc::new(AuthInner {
                secret: secret.as_bytes().to_vec(),
                ttl,
                customer_ttl: DEFAULT_CUSTOMER_JWT_TTL,
                limiter: rate_limit::LocalLimiter::new(limits.window),
                limits,
            })),
        })
    }

    /// From `JWT_SECRET`, `JWT_TTL_SECONDS` (admin users), `CUSTOMER_JWT_TTL_SECONDS`, `ADMIN_LOGIN_MAX_PER_EMAIL`,
    /// `ADMIN_LOGIN_MAX_PER_IP` and `ADMIN_LOGIN_WINDOW_SECONDS`. A missing or short
    /// secret disables the admin API and customer logins (logged), and the store routes keep working.
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
            tracing::warn!("JWT_SECRET is not set: the admin API and customer logins are disabled");
            return Self::disabled();
        };
        let limits = rate_limit::LoginLimits {
            per_email: number("ADMIN_LOGIN_MAX_PER_EMAIL", 10),
            per_ip: number("ADMIN_LOGIN_MAX_PER_IP", 50),
            window: Duration::from_secs(number("ADMIN_LOGIN_WINDOW_SECONDS", 900)),
        };
        let ttl = Duration::from_secs(number("JWT_TTL_SECONDS", DEFAULT_JWT_TTL.as_secs()));
        let customer_ttl = Duration::from_secs(number(
            "CUSTOMER_JWT_TTL_SECONDS",
            DEFAULT_CUSTOMER_JWT_TTL.as_secs(),
        ));
        match Self::new(&secret, ttl, limits) {
            Ok(auth) => auth.with_customer_ttl(customer_ttl),
            Err(err) => {
                tracing::error!(error = %err, "the admin API and customer logins are disabled");
                Self::disabled()
            }
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    pub fn inner(&self) -> Option<&AuthInner> {
        self.inner.as_deref()
    }
}

/// Logins and tokens without `JWT_SECRET`: nothing can be authenticated.
pub fn disabled_response() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "type": "unknown_error",
            "message": "Logins are not configured on this server (JWT_SECRET is not set)",
        })),
    )
        .into_response()
}

/// The answer past the login attempt limits.
pub fn too_many_attempts(limits: &rate_limit::LoginLimits) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", limits.window.as_secs().to_string())],
        axum::Json(serde_json::json!({
            "type": "not_allowed",
            "message": "Too many login attempts; try again later",
        })),
    )
        .into_response()
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, value) = header.split_once(' ')?;
    let value = value.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !value.is_empty() && value.len() <= 4096)
        .then_some(value)
}

/// The caller's address: API Gateway's or the Lambda function URL's source IP, else
/// (local development) the first `x-forwarded-for` hop.
pub fn source_ip(parts: &Parts) -> Option<String> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let from_context = match parts.extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    from_context.or_else(|| {
        parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.len() <= 64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_address_comes_from_the_lambda_context_before_any_header() {
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
        use lambda_http::request::RequestContext;
        let request = || {
            axum::http::Request::get("/auth/user/emailpass")
                .header("x-forwarded-for", "198.51.100.1, 10.0.0.1")
                .body(())
                .unwrap()
        };
        let (parts, _) = request().into_parts();
        assert_eq!(source_ip(&parts).as_deref(), Some("198.51.100.1"));
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.9".into());
        let (mut parts, _) = request().into_parts();
        parts
            .extensions
            .insert(RequestContext::ApiGatewayV2(context));
        assert_eq!(source_ip(&parts).as_deref(), Some("203.0.113.9"));
    }
}
