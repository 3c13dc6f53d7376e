//! Stock levels per location: set the stocked quantity, or adjust it by a delta. Never
//! below what is reserved for orders, enforced by a conditional UPDATE, so concurrent
//! adjustments cannot together take stock below it.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use super::orders::inventory_updated;
use super::wire::{InventoryItem, InventoryLevel};
use super::{audit, AdminContext};
use store::error::{ApiError, ApiResult, ErrorType};
use store::id::new_id;
use store::web::{AppState, Stale};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLevel {
    /// The new stocked quantity.
    pub stocked_quantity: Option<i64>,
    /// Or: a change to it (`-3` takes three off the shelf).
    pub adjustment: Option<i64>,
    /// Accepted as Medusa sends it; incoming stock is not tracked.
    pub incoming_quantity: Option<i64>,
}

struct LevelRow {
    id: String,
    inventory_item_id: String,
    location_id: String,
    stocked_quantity: i32,
    reserved_quantity: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn render_level(l: LevelRow) -> InventoryLevel {
    InventoryLevel {
        available_quantity: l.stocked_quantity - l.reserved_quantity,
        incoming_quantity: 0,
        id: l.id,
        inventory_item_id: l.inventory_item_id,
        location_id: l.location_id,
        stocked_quantity: l.stocked_quantity,
        reserved_quantity: l.reserved_quantity,
        created_at: l.created_at,
        updated_at: l.updated_at,
    }
}

fn check_ids(item_id: &str, location_id: &str) -> ApiResult<()> {
    let ok = |id: &str| {
        !id.is_empty()
            && id.len() <= 100
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if !ok(item_id) || !ok(location_id) {
        return Err(ApiError::invalid_data(
            "Invalid inventory item or stock location id",
        ));
    }
    Ok(())
}

/// Sets (`stocked_quantity`, creating the level when `exists` is false) or adjusts
/// (`adjustment`) the stocked quantity; `None` when it would go below what is reserved.
async fn write_level(
    tx: &mut PgConnection,
    item_id: &str,
    location_id: &str,
    input: &UpdateLevel,
    exists: bool,
) -> ApiResult<Option<LevelRow>> {
    let limit = i64::from(i32::MAX);
    Ok(match (input.stocked_quantity, input.adjustment) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::invalid_data(
                "Give either stocked_quantity or adjustment",
            ))
        }
        (Some(quantity), None) => {
            if !(0..=limit).contains(&quantity) {
                return Err(ApiError::invalid_data(
                    "stocked_quantity: must be 0 or more",
                ));
            }
            if !exists {
                // A first level at this location, when both exist.
                create_level(&mut *tx, item_id, location_id).await?;
            }
            sqlx::query_as!(
                LevelRow,
                "UPDATE inventory_levels SET stocked_quantity = $3, updated_at = now()
                  WHERE inventory_item_id = $1 AND location_id = $2 AND $3 >= reserved_quantity
                  RETURNING id, inventory_item_id, location_id, stocked_quantity, reserved_quantity, created_at, updated_at",
                item_id,
                location_id,
                quantity as i32,
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        (None, Some(delta)) => {
            if delta.abs() > limit {
                return Err(ApiError::invalid_data("adjustment: too large"));
            }
            if !exists {
                return Err(ApiError::not_found(format!(
                    "Inventory item {item_id} has no level at location {location_id}"
                )));
            }
            // Re-checked on the row as it is when the lock is granted, so concurrent
            // adjustments each see the others' effect.
            sqlx::query_as!(
                LevelRow,
                "UPDATE inventory_levels SET stocked_quantity = stocked_quantity + $3::bigint::int, updated_at = now()
                  WHERE inventory_item_id = $1 AND location_id = $2
                    AND stocked_quantity::bigint + $3::bigint BETWEEN 0 AND 2147483647
                    AND ($3::bigint >= 0 OR stocked_quantity::bigint + $3::bigint >= reserved_quantity)
                  RETURNING id, inventory_item_id, location_id, stocked_quantity, reserved_quantity, created_at, updated_at",
                item_id,
                location_id,
                delta,
            )
            .fetch_optional(&mut *tx)
            .await?
        }
    })
}

/// A level's (stocked, reserved) quantities, if the level exists.
async fn level_quantities(
    conn: &mut PgConnection,
    item_id: &str,
    location_id: &str,
) -> ApiResult<Option<(i32, i32)>> {
    Ok(sqlx::query!(
        "SELECT stocked_quantity, reserved_quantity FROM inventory_levels
          WHERE inventory_item_id = $1 AND location_id = $2",
        item_id,
        location_id,
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.stocked_quantity, r.reserved_quantity)))
}

/// Sets or adjusts one level; answers `{inventory_item}` with its levels.
pub async fn update_level(
    state: &AppState,
    actor: &AdminContext,
    item_id: &str,
    location_id: &str,
    input: &UpdateLevel,
) -> ApiResult<Value> {
    check_ids(item_id, location_id)?;
    let mut tx = state.pool.begin().await?;
    let before = level_quantities(&mut tx, item_id, location_id).await?;
    let updated = write_level(&mut tx, item_id, location_id, input, before.is_some()).await?;
    let Some(level) = updated else {
        let now = level_quantities(&mut tx, item_id, location_id).await?;
        let (stocked, reserved) = now.ok_or(sqlx::Error::RowNotFound)?;
        return Err(ApiError::public(
            ErrorType::Conflict,
            format!(
                "Stock of {item_id} at {location_id} cannot go below the {reserved} reserved for orders \
                 (stocked now: {stocked})"
            ),
        ));
    };
    let event_id = inventory_updated(&mut tx, item_id, location_id).await?;
    audit::record(
        &mut tx,
        actor,
        "inventory_level.updated",
        "inventory_item",
        item_id,
        before.map(|(s, r)| {
            json!({ "location_id": location_id, "stocked_quantity": s, "reserved_quantity": r })
        }),
        Some(json!({ "location_id": location_id, "stocked_quantity": level.stocked_quantity,
                     "reserved_quantity": level.reserved_quantity })),
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Catalog).await?;
    retrieve_item(&state.pool, item_id).await
}

async fn create_level(
    conn: &mut sqlx::PgConnection,
    item_id: &str,
    location_id: &str,
) -> ApiResult<()> {
    let found = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM inventory_items WHERE id = $1) AS "item!",
                  EXISTS (SELECT 1 FROM stock_locations WHERE id = $2) AS "location!""#,
        item_id,
        location_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let (item, location) = (found.item, found.location);
    if !item {
        return Err(ApiError::not_found(format!(
            "Inventory item {item_id} not found"
        )));
    }
    if !location {
        return Err(ApiError::not_found(format!(
            "Stock location {location_id} not found"
        )));
    }
    sqlx::query!(
        "INSERT INTO inventory_levels (id, inventory_item_id, location_id) VALUES ($1, $2, $3)
         ON CONFLICT (inventory_item_id, location_id) DO NOTHING",
        new_id("ilev"),
        item_id,
        location_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `{inventory_item}` with every level.
pub async fn retrieve_item(pool: &PgPool, item_id: &str) -> ApiResult<Value> {
    let item = sqlx::query!(
        "SELECT id, sku, created_at FROM inventory_items WHERE id = $1",
        item_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Inventory item {item_id} not found")))?;
    let levels = sqlx::query_as!(
        LevelRow,
        "SELECT id, inventory_item_id, location_id, stocked_quantity, reserved_quantity, created_at, updated_at FROM inventory_levels WHERE inventory_item_id = $1 ORDER BY location_id",
        item_id
    )
    .fetch_all(pool)
    .await?;
    let stocked: i64 = levels.iter().map(|l| i64::from(l.stocked_quantity)).sum();
    let reserved: i64 = levels.iter().map(|l| i64::from(l.reserved_quantity)).sum();
    let inventory_item = InventoryItem {
        id: item.id,
        sku: item.sku,
        created_at: item.created_at,
        stocked_quantity: stocked,
        reserved_quantity: reserved,
        location_levels: levels.into_iter().map(render_level).collect(),
    };
    Ok(json!({ "inventory_item": inventory_item }))
}
