//! Promotions: create, update, deactivate, and see how often each was used.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use crate::wire::{self, Promotion};
use crate::{audit, input, AdminContext};
use store::error::{ApiError, ApiResult, ErrorType};
use store::events::{self, names};
use store::id::{is_well_formed, new_id};
use store::money::{from_major, to_major};
use store::web::{AppState, Stale};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMethod {
    /// `percentage` or `fixed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Percent (`10` = 10 %) or major units of `currency_code`.
    pub value: serde_json::Number,
    pub currency_code: Option<String>,
    /// `order` (default) or `items`.
    pub target_type: Option<String>,
    /// `across` (default) or `each`.
    pub allocation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePromotion {
    pub code: String,
    /// Only Medusa's `standard` promotions.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub is_automatic: Option<bool>,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
    pub application_method: ApplicationMethod,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
    /// Major units of the promotion's currency (or of the cart's, for percentages).
    pub min_item_subtotal: Option<serde_json::Number>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePromotion {
    pub status: Option<String>,
    pub is_automatic: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
}

struct PromotionRow {
    id: String,
    code: String,
    is_automatic: bool,
    is_active: bool,
    method: String,
    value: i64,
    currency_code: Option<String>,
    target: String,
    per_unit: bool,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    usage_limit: Option<i64>,
    usage_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn render(p: &PromotionRow) -> Promotion {
    // A percentage is kept in basis points: two "minor digits", like euros and cents.
    let value = if p.method == "percentage" {
        to_major(p.value, "eur")
    } else {
        to_major(p.value, p.currency_code.as_deref().unwrap_or("eur"))
    };
    Promotion {
        id: p.id.clone(),
        code: p.code.clone(),
        kind: "standard",
        is_automatic: p.is_automatic,
        status: if p.is_active { "active" } else { "inactive" },
        application_method: wire::ApplicationMethod {
            kind: p.method.clone(),
            value,
            currency_code: p.currency_code.clone(),
            target_type: p.target.clone(),
            allocation: if p.per_unit { "each" } else { "across" },
        },
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        usage_limit: p.usage_limit,
        usage_count: p.usage_count,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

fn active(field: &str, status: Option<&str>) -> ApiResult<Option<bool>> {
    match status {
        None => Ok(None),
        Some("active") => Ok(Some(true)),
        Some("inactive" | "draft") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid_data(format!(
            "{field}: {other:?} is not one of active, inactive"
        ))),
    }
}

fn check_window(starts: Option<DateTime<Utc>>, ends: Option<DateTime<Utc>>) -> ApiResult<()> {
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            return Err(ApiError::invalid_data("ends_at: must be after starts_at"));
        }
    }
    Ok(())
}

fn check_limit(limit: Option<i64>) -> ApiResult<()> {
    if limit.is_some_and(|l| l < 0) {
        return Err(ApiError::invalid_data("usage_limit: must be 0 or more"));
    }
    Ok(())
}

/// How a promotion's discount works, checked.
struct Discount {
    /// ISO 4217, lower-case; required for a fixed amount.
    currency: Option<String>,
    /// Basis points of a percentage, or minor units of a fixed amount.
    value: i64,
    target: &'static str,
    per_unit: bool,
}

fn discount(m: &ApplicationMethod) -> ApiResult<Discount> {
    let currency = m
        .currency_code
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty());
    if currency
        .as_deref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_lowercase()))
    {
        return Err(ApiError::invalid_data(
            "application_method.currency_code: not an ISO 4217 code",
        ));
    }
    let value = match m.kind.as_str() {
        // Percent with up to two decimals, stored as basis points.
        "percentage" => from_major(&m.value, "eur")
            .filter(|bps| *bps <= 10_000)
            .ok_or_else(|| {
                ApiError::invalid_data("application_method.value: a percentage from 0 to 100")
            })?,
        "fixed" => {
            let currency = currency.as_deref().ok_or_else(|| {
                ApiError::invalid_data(
                    "application_method.currency_code: required for a fixed amount",
                )
            })?;
            from_major(&m.value, currency).ok_or_else(|| {
                ApiError::invalid_data(format!(
                    "application_method.value: {} is not an amount of {currency}",
                    m.value
                ))
            })?
        }
        other => {
            return Err(ApiError::invalid_data(format!(
                "application_method.type: {other:?} is not one of percentage, fixed"
            )))
        }
    };
    let target = match m.target_type.as_deref() {
        None | Some("order") => "order",
        Some("items") => "items",
        Some(other) => {
            return Err(ApiError::invalid_data(format!(
                "application_method.target_type: {other:?} is not one of order, items"
            )))
        }
    };
    let per_unit = match m.allocation.as_deref() {
        None | Some("across") => false,
        Some("each") => true,
        Some(other) => {
            return Err(ApiError::invalid_data(format!(
                "application_method.allocation: {other:?} is not one of across, each"
            )))
        }
    };
    Ok(Discount {
        currency,
        value,
        target,
        per_unit,
    })
}

pub async fn create(
    state: &AppState,
    actor: &AdminContext,
    input: &CreatePromotion,
) -> ApiResult<Value> {
    let code = input.code.trim();
    if code.is_empty() || code.len() > 100 || code.contains(char::is_whitespace) {
        return Err(ApiError::invalid_data(
            "code: required, no spaces, at most 100 characters",
        ));
    }
    if input.kind.as_deref().is_some_and(|k| k != "standard") {
        return Err(ApiError::invalid_data(
            "type: only standard promotions are supported",
        ));
    }
    let is_active = active("status", input.status.as_deref())?.unwrap_or(true);
    let m = &input.application_method;
    let Discount {
        currency,
        value,
        target,
        per_unit,
    } = discount(m)?;
    check_window(input.starts_at, input.ends_at)?;
    check_limit(input.usage_limit)?;
    let min_subtotal = match &input.min_item_subtotal {
        None => None,
        Some(n) => Some(
            from_major(n, currency.as_deref().unwrap_or("eur")).ok_or_else(|| {
                ApiError::invalid_data("min_item_subtotal: must be an amount of 0 or more")
            })?,
        ),
    };
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        PromotionRow,
        "INSERT INTO promotions (id, code, is_automatic, is_active, method, value, currency_code, target,
                                 per_unit, starts_at, ends_at, usage_limit, min_item_subtotal)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING id, code, is_automatic, is_active, method, value, currency_code, target, per_unit, starts_at, ends_at, usage_limit, usage_count, created_at, updated_at",
        new_id("promo"),
        code,
        input.is_automatic.unwrap_or(false),
        is_active,
        m.kind,
        value,
        currency,
        target,
        per_unit,
        input.starts_at,
        input.ends_at,
        input.usage_limit,
        min_subtotal,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, format!("code: a promotion with code {code} already exists")))?;
    let event_id = written(
        &mut tx,
        actor,
        &row,
        "promotion.created",
        None,
        names::PROMOTION_CREATED,
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Nothing).await?;
    Ok(json!({ "promotion": render(&row) }))
}

async fn written(
    conn: &mut PgConnection,
    actor: &AdminContext,
    row: &PromotionRow,
    action: &str,
    before: Option<Value>,
    event: &str,
) -> ApiResult<String> {
    audit::record(
        &mut *conn,
        actor,
        action,
        "promotion",
        &row.id,
        before,
        Some(wire::to_value(&render(row))?),
    )
    .await?;
    Ok(events::record(
        conn,
        event,
        &row.id,
        json!({ "id": row.id, "code": row.code }),
    )
    .await?)
}

fn check_id(id: &str) -> ApiResult<()> {
    if !is_well_formed(id, "promo") {
        return Err(ApiError::invalid_data(format!(
            "Invalid promotion id {id:?}: expected an id starting with promo_"
        )));
    }
    Ok(())
}

/// Updates status (deactivate: `inactive`), automatic, window and usage limit.
pub async fn update(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &UpdatePromotion,
) -> ApiResult<Value> {
    check_id(id)?;
    let is_active = active("status", input.status.as_deref())?;
    check_limit(input.usage_limit)?;
    let mut tx = state.pool.begin().await?;
    let before = sqlx::query_as!(
        PromotionRow,
        "SELECT id, code, is_automatic, is_active, method, value, currency_code, target, per_unit, starts_at, ends_at, usage_limit, usage_count, created_at, updated_at FROM promotions WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Promotion {id} not found")))?;
    check_window(
        input.starts_at.or(before.starts_at),
        input.ends_at.or(before.ends_at),
    )?;
    if let Some(limit) = input.usage_limit {
        if limit < before.usage_count {
            return Err(ApiError::public(
                ErrorType::Conflict,
                format!(
                    "usage_limit: the promotion was already used {} times",
                    before.usage_count
                ),
            ));
        }
    }
    let row = sqlx::query_as!(
        PromotionRow,
        "UPDATE promotions SET is_active = coalesce($2, is_active), is_automatic = coalesce($3, is_automatic),
                starts_at = coalesce($4, starts_at), ends_at = coalesce($5, ends_at),
                usage_limit = coalesce($6, usage_limit), updated_at = now()
          WHERE id = $1 RETURNING id, code, is_automatic, is_active, method, value, currency_code, target, per_unit, starts_at, ends_at, usage_limit, usage_count, created_at, updated_at",
        id,
        is_active,
        input.is_automatic,
        input.starts_at,
        input.ends_at,
        input.usage_limit,
    )
    .fetch_one(&mut *tx)
    .await?;
    let event_id = written(
        &mut tx,
        actor,
        &row,
        "promotion.updated",
        Some(wire::to_value(&render(&before))?),
        names::PROMOTION_UPDATED,
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Nothing).await?;
    Ok(json!({ "promotion": render(&row) }))
}

pub async fn retrieve(pool: &PgPool, id: &str) -> ApiResult<Value> {
    check_id(id)?;
    let row = sqlx::query_as!(
        PromotionRow,
        "SELECT id, code, is_automatic, is_active, method, value, currency_code, target, per_unit, starts_at, ends_at, usage_limit, usage_count, created_at, updated_at FROM promotions WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Promotion {id} not found")))?;
    Ok(json!({ "promotion": render(&row) }))
}

/// `{promotions, count, offset, limit}`, by code; `q` matches codes.
pub async fn list(pool: &PgPool, q: Option<&str>, limit: i64, offset: i64) -> ApiResult<Value> {
    let like = q.map(|q| format!("%{}%", store::catalog::regions::escape_like(q)));
    let rows = sqlx::query_as!(
        PromotionRow,
        "SELECT id, code, is_automatic, is_active, method, value, currency_code, target, per_unit, starts_at, ends_at, usage_limit, usage_count, created_at, updated_at FROM promotions
          WHERE ($1::text IS NULL OR code ILIKE $1) ORDER BY code LIMIT $2 OFFSET $3",
        like.as_deref(),
        limit,
        offset,
    )
    .fetch_all(pool)
    .await?;
    let count: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM promotions WHERE ($1::text IS NULL OR code ILIKE $1)"#,
        like.as_deref()
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .iter()
        .map(|row| wire::to_value(&render(row)))
        .collect::<ApiResult<_>>()?;
    Ok(store::wire::list("promotions", items, count, offset, limit))
}
