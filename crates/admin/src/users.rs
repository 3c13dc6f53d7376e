//! Admin users and secret API keys.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::auth::{hash_password, key_hash, new_secret_key};
use super::wire::{ApiKey, SecretKey, User};
use super::{audit, AdminContext};
use store::error::{ApiError, ApiResult, ErrorType};
use store::id::{is_well_formed, new_id};
use store::web::AppState;

pub const MIN_PASSWORD_LEN: usize = 12;

fn normalized_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email
        .split_once('@')
        .ok_or_else(|| ApiError::invalid_data("email: not an email address"))?;
    if local.is_empty() || !domain.contains('.') || email.len() > 320 || email.contains(' ') {
        return Err(ApiError::invalid_data("email: not an email address"));
    }
    Ok(email)
}

/// Creates an admin user; a 422 `duplicate_error` if the email is taken.
pub async fn create_user(pool: &PgPool, email: &str, password: &str) -> ApiResult<String> {
    let email = normalized_email(email)?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::invalid_data(format!(
            "password: must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    let hash = hash_password(password.to_string()).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO admin_users (id, email, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO NOTHING RETURNING id",
        new_id("user"),
        email,
        hash,
    )
    .fetch_optional(pool)
    .await?;
    id.ok_or_else(|| {
        ApiError::public(
            ErrorType::DuplicateError,
            format!("An admin user with email {email} already exists"),
        )
    })
}

/// Whether an admin with this email exists.
pub async fn user_exists(pool: &PgPool, email: &str) -> ApiResult<bool> {
    let email = normalized_email(email)?;
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM admin_users WHERE email = $1) AS "exists!""#,
        email,
    )
    .fetch_one(pool)
    .await?)
}

struct KeyRow {
    id: String,
    title: String,
    redacted: String,
    created_by: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_by: Option<String>,
    last_used_at: Option<DateTime<Utc>>,
}

fn render_key(k: KeyRow, token: Option<&str>) -> ApiKey {
    ApiKey::Secret(SecretKey {
        id: k.id,
        title: k.title,
        kind: "secret",
        redacted: k.redacted,
        // The key itself is shown once, when it is created.
        token: token.unwrap_or("").to_string(),
        created_by: k.created_by,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        revoked_by: k.revoked_by,
        last_used_at: k.last_used_at,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub title: String,
    /// `secret` (default) or `publishable`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A new secret key; the response carries the key in `token`, the only time it is shown.
pub async fn create_api_key(
    state: &AppState,
    actor: &AdminContext,
    input: &CreateApiKey,
) -> ApiResult<ApiKey> {
    let title = input.title.trim();
    if title.is_empty() || title.len() > 200 {
        return Err(ApiError::invalid_data(
            "title: required, at most 200 characters",
        ));
    }
    match input.kind.as_deref() {
        None | Some("secret") => {}
        Some("publishable") => {
            return super::channels::create_publishable_key(state, actor, title)
                .await
                .map(ApiKey::Publishable)
        }
        Some(other) => {
            return Err(ApiError::invalid_data(format!(
                "type: {other:?} is not one of secret, publishable"
            )))
        }
    }
    let pool = &state.pool;
    let token = new_secret_key();
    let mut tx = pool.begin().await?;
    let row = sqlx::query_as!(
        KeyRow,
        "INSERT INTO admin_api_keys (id, title, token_hash, redacted, created_by)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, title, redacted, created_by, created_at, revoked_at, revoked_by, last_used_at",
        new_id("apk"),
        title,
        key_hash(&token),
        format!("{}***", &token[..9]),
        actor.actor_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    let after = json!({ "title": row.title });
    audit::created(&mut tx, actor, "api_key", &row.id, after).await?;
    tx.commit().await?;
    Ok(render_key(row, Some(&token)))
}

pub async fn revoke_api_key(state: &AppState, actor: &AdminContext, id: &str) -> ApiResult<ApiKey> {
    if !is_well_formed(id, "apk") {
        return Err(ApiError::invalid_data(format!("Invalid API key id {id:?}")));
    }
    if let Some(key) = super::channels::revoke_publishable_key(state, actor, id).await? {
        return Ok(ApiKey::Publishable(key));
    }
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        KeyRow,
        "UPDATE admin_api_keys SET revoked_at = coalesce(revoked_at, now()),
                revoked_by = coalesce(revoked_by, $2)
          WHERE id = $1
          RETURNING id, title, redacted, created_by, created_at, revoked_at, revoked_by, last_used_at",
        id,
        actor.actor_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| ApiError::not_found(format!("API key {id} not found")))?;
    audit::record(&mut tx, actor, "api_key.revoked", "api_key", id, None, None).await?;
    tx.commit().await?;
    Ok(render_key(row, None))
}

/// Secret and publishable keys; `kind` narrows to one type.
pub async fn list_api_keys(pool: &PgPool, kind: Option<&str>) -> ApiResult<Value> {
    let mut keys: Vec<ApiKey> = Vec::new();
    if matches!(kind, None | Some("secret")) {
        let rows = sqlx::query_as!(
            KeyRow,
            "SELECT id, title, redacted, created_by, created_at, revoked_at, revoked_by, last_used_at
               FROM admin_api_keys ORDER BY created_at DESC, id DESC"
        )
        .fetch_all(pool)
        .await?;
        keys.extend(rows.into_iter().map(|k| render_key(k, None)));
    }
    if matches!(kind, None | Some("publishable")) {
        keys.extend(
            super::channels::list_publishable_keys(pool)
                .await?
                .into_iter()
                .map(ApiKey::Publishable),
        );
    }
    if let Some(other) = kind.filter(|k| !matches!(*k, "secret" | "publishable")) {
        return Err(ApiError::invalid_data(format!(
            "Invalid request: 'type' {other:?} is not one of secret, publishable"
        )));
    }
    let count = keys.len() as i64;
    Ok(json!({ "api_keys": keys, "count": count, "offset": 0, "limit": count }))
}

/// `GET /admin/users/me`: the logged-in admin (a secret key has no user).
pub async fn me(pool: &PgPool, actor: &AdminContext) -> ApiResult<Value> {
    if actor.actor_type != super::ActorType::User {
        return Err(ApiError::not_allowed(
            "A secret API key is not a user; log in with email and password",
        ));
    }
    let user = sqlx::query!(
        "SELECT id, email, created_at, updated_at FROM admin_users WHERE id = $1",
        actor.actor_id,
    )
    .fetch_one(pool)
    .await?;
    let user = User {
        id: user.id,
        email: user.email,
        first_name: None,
        last_name: None,
        avatar_url: None,
        metadata: None,
        created_at: user.created_at,
        updated_at: user.updated_at,
    };
    Ok(json!({ "user": user }))
}
