//! Customer logins (`/auth/customer/emailpass/*`): an identity is an email and an argon2id
//! password hash. Registering answers a token without a customer; `POST /store/customers`
//! with it creates the customer; logging in answers a token for that customer.

use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use store::cart::validate_email;
use store::error::{ApiError, ApiResult, ErrorType};
use store::events;
use store::id::new_id;
use store::web::AppState;
use store_auth::password::{hash_password, verify_password, MAX_PASSWORD_LEN};
use store_auth::token::{self, Claims};
use store_auth::{rate_limit, Auth, AuthInner};

/// How long a password reset token is good for.
pub const RESET_TOKEN_TTL_MINUTES: i64 = 15;

/// The body of register and login. Fields are optional so a missing one is answered
/// with Medusa's message rather than a parse error.
#[derive(Debug, Deserialize)]
pub struct EmailPass {
    pub email: Option<Value>,
    pub password: Option<Value>,
}

struct Credentials {
    email: String,
    password: String,
}

impl EmailPass {
    fn credentials(self) -> Result<Credentials, ApiError> {
        let Some(Value::String(email)) = self.email else {
            return Err(unauthorized("Email should be a string"));
        };
        let Some(Value::String(password)) = self.password else {
            return Err(unauthorized("Password should be a string"));
        };
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
            return Err(unauthorized(format!(
                "Password should be 1 to {MAX_PASSWORD_LEN} bytes"
            )));
        }
        Ok(Credentials {
            email: email.trim().to_lowercase(),
            password,
        })
    }
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::public(ErrorType::Unauthorized, message)
}

fn invalid_login() -> ApiError {
    unauthorized("Invalid email or password")
}

fn enabled(auth: &Auth) -> Result<&AuthInner, NotConfigured> {
    auth.inner().ok_or(NotConfigured)
}

/// Logins without `JWT_SECRET`: answered with [`store_auth::disabled_response`].
struct NotConfigured;

impl From<NotConfigured> for Response {
    fn from(_: NotConfigured) -> Response {
        store_auth::disabled_response()
    }
}

/// A token for the identity, valid for the customer token lifetime from now.
pub fn sign(auth: &AuthInner, identity_id: &str, customer_id: Option<&str>) -> Value {
    let now = Utc::now().timestamp();
    let exp = now + auth.customer_ttl.as_secs() as i64;
    let claims = Claims::customer(identity_id, customer_id, now, exp);
    json!({ "token": token::sign(&auth.secret, &claims) })
}

/// Counts an attempt against the login limits (per email and per address), which
/// registration shares so that it cannot be used to burn argon2 time without limit.
async fn check_limits(
    state: &AppState,
    auth: &AuthInner,
    email: &str,
    ip: Option<&str>,
) -> Result<(), Response> {
    let prefix = format!("{}:customer", state.config.cache_prefix);
    let allowed = rate_limit::allow_login(
        &state.cache.redis(),
        &auth.limiter,
        &prefix,
        &auth.limits,
        email,
        ip,
    )
    .await;
    if allowed {
        Ok(())
    } else {
        Err(store_auth::too_many_attempts(&auth.limits))
    }
}

/// What register and login check first: logins are enabled, the body holds credentials,
/// `check` accepts the email (answering the one to use), and the attempt is within the
/// limits. Answers the auth settings, the email and the password.
async fn admit<'a>(
    state: &AppState,
    auth: &'a Auth,
    ip: Option<&str>,
    input: EmailPass,
    check: impl FnOnce(&str) -> ApiResult<String>,
) -> Result<(&'a AuthInner, String, String), Response> {
    let auth = enabled(auth)?;
    let credentials = input.credentials().map_err(IntoResponse::into_response)?;
    let email = check(&credentials.email).map_err(IntoResponse::into_response)?;
    check_limits(state, auth, &email, ip).await?;
    Ok((auth, email, credentials.password))
}

/// `POST /auth/customer/emailpass/register`: `{token}` without a customer yet.
pub async fn register(
    state: &AppState,
    auth: &Auth,
    ip: Option<&str>,
    input: EmailPass,
) -> Result<Value, Response> {
    let (auth, email, password) = admit(state, auth, ip, input, validate_email).await?;
    let hash = hash_password(password)
        .await
        .map_err(IntoResponse::into_response)?;
    let id = new_id("authid");
    let inserted = sqlx::query_scalar!(
        "INSERT INTO auth_identities (id, actor_type, email, password_hash)
         VALUES ($1, 'customer', $2, $3)
         ON CONFLICT (actor_type, email) DO NOTHING
         RETURNING id",
        id,
        email,
        hash,
    )
    .fetch_optional(&state.pool)
    .await
    .map_err(|e| ApiError::from(e).into_response())?;
    if inserted.is_none() {
        return Err(unauthorized("Identity with email already exists").into_response());
    }
    Ok(sign(auth, &id, None))
}

/// `POST /auth/customer/emailpass`: `{token}` for a right email and password; the same
/// 401 for an unknown email and a wrong password; 429 past the limits.
pub async fn login(
    state: &AppState,
    auth: &Auth,
    ip: Option<&str>,
    input: EmailPass,
) -> Result<Value, Response> {
    let plausible = |email: &str| match email.len() {
        1..=320 => Ok(email.to_string()),
        _ => Err(invalid_login()),
    };
    let (auth, email, password) = admit(state, auth, ip, input, plausible).await?;
    let identity = sqlx::query!(
        "SELECT id, password_hash, customer_id FROM auth_identities
          WHERE actor_type = 'customer' AND email = $1",
        email,
    )
    .fetch_optional(&state.pool)
    .await
    .map_err(|e| ApiError::from(e).into_response())?;
    let hash = identity.as_ref().map(|i| i.password_hash.clone());
    if !verify_password(password, hash).await {
        return Err(invalid_login().into_response());
    }
    let identity = identity.ok_or_else(|| invalid_login().into_response())?;
    Ok(sign(auth, &identity.id, identity.customer_id.as_deref()))
}

/// A fresh token for a customer identity (its customer may have been created since the
/// token was issued). None when the identity is gone.
pub async fn refresh(state: &AppState, auth: &AuthInner, claims: &Claims) -> ApiResult<Value> {
    let customer = sqlx::query_scalar!(
        "SELECT customer_id FROM auth_identities WHERE id = $1 AND actor_type = 'customer'",
        claims.auth_identity_id,
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(ApiError::unauthorized)?;
    Ok(sign(auth, &claims.auth_identity_id, customer.as_deref()))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub identifier: String,
}

/// `POST /auth/customer/emailpass/reset-password`: for a known email, a single-use token
/// (only its hash is stored) and an `auth.password_reset` event that the consumer turns
/// into an email. The caller learns nothing: the answer is the same either way. Returns
/// the event id to publish after commit, if any.
pub async fn request_reset(state: &AppState, input: ResetRequest) -> ApiResult<Option<String>> {
    let email = input.identifier.trim().to_lowercase();
    if email.is_empty() || email.len() > 320 {
        return Err(ApiError::invalid_data(
            "identifier must be an email address",
        ));
    }
    let mut tx = state.pool.begin().await?;
    let identity = sqlx::query_scalar!(
        "SELECT id FROM auth_identities WHERE actor_type = 'customer' AND email = $1 FOR UPDATE",
        email,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(identity_id) = identity else {
        return Ok(None);
    };
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires_at = Utc::now() + Duration::minutes(RESET_TOKEN_TTL_MINUTES);
    sqlx::query!(
        "INSERT INTO password_reset_tokens (token_hash, identity_id, expires_at) VALUES ($1, $2, $3)",
        token_hash(&token),
        identity_id,
        expires_at,
    )
    .execute(&mut *tx)
    .await?;
    let event = events::record(
        &mut tx,
        events::names::AUTH_PASSWORD_RESET,
        &identity_id,
        json!({
            "entity_id": email, "actor_type": "customer", "token": token,
            "expires_at": expires_at,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(event))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: Option<Value>,
    /// Medusa's storefronts send the email too; it must be the identity's if given.
    pub email: Option<String>,
}

/// `POST /auth/customer/emailpass/update` with the reset token as bearer: sets the new
/// password, and uses up this token and every other open one of the identity.
pub async fn reset_password(state: &AppState, token: &str, input: NewPassword) -> ApiResult<()> {
    let Some(Value::String(password)) = input.password else {
        return Err(ApiError::invalid_data("password must be a string"));
    };
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::invalid_data(format!(
            "password must be 1 to {MAX_PASSWORD_LEN} bytes"
        )));
    }
    let hash = hash_password(password).await?;
    let mut tx = state.pool.begin().await?;
    let identity = sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING identity_id",
        token_hash(token),
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| unauthorized("The reset token is invalid, used or expired"))?;
    let email = sqlx::query_scalar!(
        "UPDATE auth_identities SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING email",
        identity.identity_id,
        hash,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(given) = input.email {
        if given.trim().to_lowercase() != email {
            return Err(unauthorized("The reset token is invalid, used or expired"));
        }
    }
    sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now() WHERE identity_id = $1 AND used_at IS NULL",
        identity.identity_id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
