//! Sales channels and the publishable keys that open them to storefronts. Changes purge
//! the cached key → channels answers, so a revoked key stops working at once.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use crate::wire::{to_value, ChannelRef, PublishableKey, SalesChannel};
use crate::{audit, input, AdminContext};
use store::error::{ApiError, ApiResult};
use store::id::new_id;
use store::web::{AppState, Stale};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesChannelInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_disabled: Option<bool>,
    pub metadata: Option<Value>,
}

fn name_of(name: Option<&str>) -> ApiResult<Option<String>> {
    match name.map(str::trim) {
        None => Ok(None),
        Some(n) if n.is_empty() || n.len() > 200 => Err(ApiError::invalid_data(
            "name: required, at most 200 characters",
        )),
        Some(n) => Ok(Some(n.to_string())),
    }
}

pub async fn create_channel(
    state: &AppState,
    actor: &AdminContext,
    input: &SalesChannelInput,
) -> ApiResult<Value> {
    let name =
        name_of(input.name.as_deref())?.ok_or_else(|| ApiError::invalid_data("name: required"))?;
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        SalesChannel,
        "INSERT INTO sales_channels (id, name, description, is_disabled) VALUES ($1, $2, $3, $4)
         RETURNING id, name, description, is_disabled, created_at, updated_at",
        new_id("sc"),
        name,
        input.description,
        input.is_disabled.unwrap_or(false),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        input::duplicate(
            e,
            format!("name: a sales channel named {name:?} already exists"),
        )
    })?;
    audit::created(&mut tx, actor, "sales_channel", &row.id, to_value(&row)?).await?;
    tx.commit().await?;
    Ok(json!({ "sales_channel": row }))
}

pub async fn update_channel(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &SalesChannelInput,
) -> ApiResult<Value> {
    let name = name_of(input.name.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let before = sqlx::query_as!(
        SalesChannel,
        "SELECT id, name, description, is_disabled, created_at, updated_at
           FROM sales_channels WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Sales channel {id} not found")))?;
    let row = sqlx::query_as!(
        SalesChannel,
        "UPDATE sales_channels SET name = coalesce($2, name), description = coalesce($3, description),
                is_disabled = coalesce($4, is_disabled), updated_at = now()
          WHERE id = $1 RETURNING id, name, description, is_disabled, created_at, updated_at",
        id,
        name,
        input.description,
        input.is_disabled,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, "name: a sales channel with this name already exists"))?;
    let (before, after) = (to_value(&before)?, to_value(&row)?);
    audit::updated(&mut tx, actor, "sales_channel", id, before, after).await?;
    state.commit(tx, &[], Stale::CatalogAndKeys).await?;
    Ok(json!({ "sales_channel": row }))
}

pub async fn list_channels(pool: &PgPool) -> ApiResult<Value> {
    let rows = sqlx::query_as!(
        SalesChannel,
        "SELECT id, name, description, is_disabled, created_at, updated_at
           FROM sales_channels ORDER BY created_at, id"
    )
    .fetch_all(pool)
    .await?;
    let count = rows.len() as i64;
    let items = rows.iter().map(to_value).collect::<ApiResult<_>>()?;
    Ok(store::wire::list("sales_channels", items, count, 0, count))
}

struct KeyRow {
    id: String,
    token: String,
    title: String,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

async fn render_key(conn: &mut PgConnection, k: KeyRow) -> ApiResult<PublishableKey> {
    let sales_channels = sqlx::query_as!(
        ChannelRef,
        "SELECT c.id, c.name FROM publishable_api_key_sales_channels l
           JOIN sales_channels c ON c.id = l.sales_channel_id
          WHERE l.publishable_key_id = $1 ORDER BY c.name",
        k.id
    )
    .fetch_all(conn)
    .await?;
    Ok(PublishableKey {
        redacted: format!("{}***", &k.token[..k.token.len().min(9)]),
        id: k.id,
        title: k.title,
        kind: "publishable",
        token: k.token,
        revoked_at: k.revoked_at,
        created_at: k.created_at,
        sales_channels,
    })
}

pub async fn create_publishable_key(
    state: &AppState,
    actor: &AdminContext,
    title: &str,
) -> ApiResult<PublishableKey> {
    let token = format!("pk_{}", hex::encode(rand::random::<[u8; 32]>()));
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        KeyRow,
        "INSERT INTO publishable_api_keys (id, token, title) VALUES ($1, $2, $3)
         RETURNING id, token, title, revoked_at, created_at",
        new_id("apk"),
        token,
        title,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        input::duplicate(
            e,
            format!("title: a publishable key titled {title:?} already exists"),
        )
    })?;
    let after = json!({ "title": title, "type": "publishable" });
    audit::created(&mut tx, actor, "api_key", &row.id, after).await?;
    let body = render_key(&mut tx, row).await?;
    tx.commit().await?;
    Ok(body)
}

/// Revokes a publishable key; None when `id` is not one.
pub async fn revoke_publishable_key(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
) -> ApiResult<Option<PublishableKey>> {
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        KeyRow,
        "UPDATE publishable_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
         RETURNING id, token, title, revoked_at, created_at",
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    audit::record(&mut tx, actor, "api_key.revoked", "api_key", id, None, None).await?;
    let body = render_key(&mut tx, row).await?;
    state.commit(tx, &[], Stale::CatalogAndKeys).await?;
    Ok(Some(body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChannels {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

/// `POST /admin/api-keys/:id/sales-channels` for a publishable key.
pub async fn change_key_channels(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &KeyChannels,
) -> ApiResult<Value> {
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        KeyRow,
        "SELECT id, token, title, revoked_at, created_at FROM publishable_api_keys WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Publishable API key {id} not found")))?;
    for channel in &input.add {
        let exists: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM sales_channels WHERE id = $1) AS "exists!""#,
            channel
        )
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            return Err(ApiError::invalid_data(format!(
                "add: sales channel {channel} does not exist"
            )));
        }
        sqlx::query!(
            "INSERT INTO publishable_api_key_sales_channels (publishable_key_id, sales_channel_id)
             VALUES ($1, $2) ON CONFLICT DO NOTHING",
            id,
            channel
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "DELETE FROM publishable_api_key_sales_channels WHERE publishable_key_id = $1 AND sales_channel_id = ANY($2)",
        id,
        &input.remove
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "api_key.sales_channels_changed",
        "api_key",
        id,
        None,
        Some(json!({ "add": input.add, "remove": input.remove })),
    )
    .await?;
    let body = render_key(&mut tx, row).await?;
    state.commit(tx, &[], Stale::CatalogAndKeys).await?;
    Ok(json!({ "api_key": body }))
}

pub async fn list_publishable_keys(pool: &PgPool) -> ApiResult<Vec<PublishableKey>> {
    let rows = sqlx::query_as!(
        KeyRow,
        "SELECT id, token, title, revoked_at, created_at FROM publishable_api_keys ORDER BY created_at DESC, id DESC"
    )
    .fetch_all(pool)
    .await?;
    let mut conn = pool.acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(render_key(&mut conn, row).await?);
    }
    Ok(out)
}
