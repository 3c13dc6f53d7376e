//! Who is calling the Admin API: a user with a JWT from `POST /auth/user/emailpass`, or
//! a secret key (`sk_...`) sent as `Authorization: Basic base64(sk_...:)` (as Medusa's
//! SDK sends it) or `Bearer sk_...`.
//!
//! Every failure is the same 401 body, so a caller never learns which part was wrong.

use axum::extract::FromRef;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AdminAuth;
use store::error::ApiError;
use store::web::AppState;
use store_auth::password::MAX_PASSWORD_LEN;
pub use store_auth::password::{hash_password, verify_password};
pub use store_auth::{disabled_response, source_ip};
use store_auth::{rate_limit, token, AuthInner};

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

/// Signs an admin user's token valid from `iat` to `exp`.
pub fn sign_token(secret: &[u8], user_id: &str, iat: i64, exp: i64) -> String {
    token::sign(secret, &token::Claims::user(user_id, iat, exp))
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
    auth: &AuthInner,
) -> Result<AdminContext, ApiError> {
    // The actor's id, when the user or the key still exists.
    let (id, actor_type) = match credential(parts).ok_or_else(unauthorized)? {
        Credential::Jwt(token) => {
            let claims = token::verify(&auth.secret, &token, "user").ok_or_else(unauthorized)?;
            // A deleted user's tokens stop working at once.
            let exists = state
                .on_pool(async |conn| {
                    sqlx::query_scalar!("SELECT id FROM admin_users WHERE id = $1", claims.actor_id)
                        .fetch_optional(conn)
                        .await
                })
                .await?;
            (exists, ActorType::User)
        }
        Credential::SecretKey(key) => {
            let hash = key_hash(&key);
            let id = state.on_pool(async |conn| {
                sqlx::query_scalar!(
                    "UPDATE admin_api_keys
                    SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < now() - interval '1 minute'
                                            THEN now() ELSE last_used_at END
                  WHERE token_hash = $1 AND revoked_at IS NULL
                  RETURNING id",
                    hash,
                )
                .fetch_optional(conn)
                .await
            })
            .await?;
            (id, ActorType::ApiKey)
        }
    };
    Ok(AdminContext {
        actor_id: id.ok_or_else(unauthorized)?,
        actor_type,
    })
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
    if email.is_empty() || email.len() > 320 || input.password.len() > MAX_PASSWORD_LEN {
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
        return Err(store_auth::too_many_attempts(&auth.limits));
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
