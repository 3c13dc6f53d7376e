//! Who is calling the Admin API: a user with a JWT from `POST /auth/user/emailpass`, or
//! a secret key (`sk_...`) sent as `Authorization: Basic base64(sk_...:)` (as Medusa's
//! SDK sends it) or `Bearer sk_...`.
//!
//! Every failure is the same 401 body, so a caller never learns which part was wrong.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use axum::extract::FromRef;

use crate::rate_limit;
use crate::{AdminAuth, AdminAuthInner};
use store::error::{ApiError, Context};
use store::web::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    User,
    ApiKey,
}

/// The authenticated caller of an `/admin/*` route.
#[derive(Debug, Clone)]
pub struct AdminContext {
    /// `user_...` or, for a secret key, the key's id `apk_...`.
    pub actor_id: String,
    pub actor_type: ActorType,
}

/// The one answer to every authentication failure.
pub fn unauthorized() -> ApiError {
    ApiError::unauthorized()
}

/// The admin API without `JWT_SECRET`: nothing can be authenticated.
pub fn disabled_response() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "type": "unknown_error",
            "message": "The admin API is not configured on this server",
        })),
    )
        .into_response()
}

/// JWT claims, shaped like Medusa v2's.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub actor_id: String,
    pub actor_type: String,
    pub auth_identity_id: String,
    pub app_metadata: serde_json::Value,
    pub iat: i64,
    pub exp: i64,
}

/// Signs a token for `user_id`, valid for the configured TTL from `now`.
pub fn sign_token(secret: &[u8], user_id: &str, iat: i64, exp: i64) -> String {
    let claims = Claims {
        actor_id: user_id.to_string(),
        actor_type: "user".into(),
        auth_identity_id: user_id.to_string(),
        app_metadata: serde_json::json!({ "user_id": user_id }),
        iat,
        exp,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing with a byte key cannot fail")
}

fn verify_token(secret: &[u8], token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .ok()
        .map(|data| data.claims)
        .filter(|c| c.actor_type == "user")
}

/// An argon2id hash (PHC string) of `password`; slow on purpose, so run it off the
/// async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| ApiError::internal("making a password salt", e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal("hashing a password", e.to_string()))
    })
    .await
    .context("hashing a password")?
}

/// A hash no password matches in practice, checked when the email is unknown so that an
/// unknown email takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
        Argon2::default()
            .hash_password(&rand::random::<[u8; 32]>(), &salt)
            .expect("hash")
            .to_string()
    })
}

pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_string());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// The stored form of a secret key.
pub fn key_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new secret key: `sk_` and 256 random bits in hex.
pub fn new_secret_key() -> String {
    format!("sk_{}", hex::encode(rand::random::<[u8; 32]>()))
}

enum Credential {
    Jwt(String),
    SecretKey(String),
}

fn credential(parts: &Parts) -> Option<Credential> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, value) = header.split_once(' ')?;
    let value = value.trim();
    if value.is_empty() || value.len() > 4096 {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        if value.starts_with("sk_") {
            Some(Credential::SecretKey(value.to_string()))
        } else {
            Some(Credential::Jwt(value.to_string()))
        }
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        // Medusa's SDK sends the key as the user name with an empty password.
        let key = decoded.strip_suffix(':').unwrap_or(&decoded);
        key.starts_with("sk_")
            .then(|| Credential::SecretKey(key.to_string()))
    } else {
        None
    }
}

async fn authenticate(
    parts: &Parts,
    state: &AppState,
    auth: &AdminAuthInner,
) -> Result<AdminContext, ApiError> {
    match credential(parts).ok_or_else(unauthorized)? {
        Credential::Jwt(token) => {
            let claims = verify_token(&auth.secret, &token).ok_or_else(unauthorized)?;
            // A deleted user's tokens stop working at once.
            let exists =
                sqlx::query_scalar!("SELECT id FROM admin_users WHERE id = $1", claims.actor_id)
                    .fetch_optional(&state.pool)
                    .await?;
            let actor_id = exists.ok_or_else(unauthorized)?;
            Ok(AdminContext {
                actor_id,
                actor_type: ActorType::User,
            })
        }
        Credential::SecretKey(key) => {
            let id = sqlx::query_scalar!(
                "UPDATE admin_api_keys
                    SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < now() - interval '1 minute'
                                            THEN now() ELSE last_used_at END
                  WHERE token_hash = $1 AND revoked_at IS NULL
                  RETURNING id",
                key_hash(&key),
            )
            .fetch_optional(&state.pool)
            .await?;
            let actor_id = id.ok_or_else(unauthorized)?;
            Ok(AdminContext {
                actor_id,
                actor_type: ActorType::ApiKey,
            })
        }
    }
}

impl<S> axum::extract::FromRequestParts<S> for AdminContext
where
    AppState: FromRef<S>,
    AdminAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let admin = AdminAuth::from_ref(state);
        let Some(auth) = admin.inner() else {
            return Err(disabled_response());
        };
        authenticate(parts, &AppState::from_ref(state), auth)
            .await
            .map_err(IntoResponse::into_response)
    }
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

#[derive(Debug, Deserialize)]
pub struct EmailPass {
    pub email: String,
    pub password: String,
}

/// `POST /auth/user/emailpass`: `{token}` for a right email and password, the one 401
/// otherwise, 429 past the attempt limits.
pub async fn login(
    state: &AppState,
    admin: &AdminAuth,
    ip: Option<&str>,
    input: EmailPass,
) -> Result<serde_json::Value, Response> {
    let Some(auth) = admin.inner() else {
        return Err(disabled_response());
    };
    let email = input.email.trim().to_lowercase();
    if email.is_empty() || email.len() > 320 || input.password.len() > 1024 {
        return Err(unauthorized().into_response());
    }
    let allowed = rate_limit::allow_login(
        &state.cache.redis(),
        &auth.limiter,
        &state.config.cache_prefix,
        &auth.limits,
        &email,
        ip,
    )
    .await;
    if !allowed {
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", auth.limits.window.as_secs().to_string())],
            axum::Json(serde_json::json!({
                "type": "not_allowed",
                "message": "Too many login attempts; try again later",
            })),
        )
            .into_response());
    }
    let user = sqlx::query!(
        "SELECT id, password_hash FROM admin_users WHERE email = $1",
        email,
    )
    .fetch_optional(&state.pool)
    .await
    .map_err(|e| ApiError::from(e).into_response())?;
    let (id, hash) = match user {
        Some(user) => (Some(user.id), Some(user.password_hash)),
        None => (None, None),
    };
    if !verify_password(input.password, hash).await {
        return Err(unauthorized().into_response());
    }
    let id = id.ok_or_else(|| unauthorized().into_response())?;
    let now = chrono::Utc::now().timestamp();
    let token = sign_token(&auth.secret, &id, now, now + auth.ttl.as_secs() as i64);
    Ok(serde_json::json!({ "token": token }))
}

/// `POST /auth/token/refresh`: a fresh token for a logged-in user (a secret key has no
/// token to refresh).
pub fn refresh(admin: &AdminAuth, actor: &AdminContext) -> Response {
    let Some(auth) = admin.inner() else {
        return disabled_response();
    };
    if actor.actor_type != ActorType::User {
        return unauthorized().into_response();
    }
    let now = chrono::Utc::now().timestamp();
    let token = sign_token(
        &auth.secret,
        &actor.actor_id,
        now,
        now + auth.ttl.as_secs() as i64,
    );
    axum::Json(serde_json::json!({ "token": token })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_their_secret_only_and_not_after_expiry() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let now = chrono::Utc::now().timestamp();
        let token = sign_token(secret, "user_1", now, now + 60);
        assert_eq!(verify_token(secret, &token).unwrap().actor_id, "user_1");
        assert!(verify_token(b"another secret of thirty-two bytes!", &token).is_none());
        let expired = sign_token(secret, "user_1", now - 7200, now - 3600);
        assert!(verify_token(secret, &expired).is_none());
    }

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

    #[tokio::test]
    async fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong".into(), Some(hash)).await);
        assert!(!verify_password("correct horse".into(), None).await);
    }
}
