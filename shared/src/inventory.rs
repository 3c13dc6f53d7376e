//! Stock: what a sales channel can sell, and holding it for orders. Reservations are
//! made under row locks inside the caller's transaction, so two buyers can never both
//! take the last unit.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use crate::error::{ApiError, ApiResult, ErrorType};
use crate::id::new_id;

/// How much of a variant the channel can sell now; None when its stock is not managed.
pub async fn available_for_variant(
    conn: &mut PgConnection,
    variant_id: &str,
    sales_channel_id: &str,
) -> ApiResult<Option<i64>> {
    // A variant needing several items is limited by the scarcest one.
    let row = sqlx::query!(
        r#"SELECT v.manage_inventory AND NOT v.allow_backorder AS "managed!",
                  (SELECT min(floor(coalesce(a.available, 0)::numeric / vi.required_quantity))::bigint
                     FROM product_variant_inventory_items vi
                     LEFT JOIN LATERAL (
                          SELECT sum(l.stocked_quantity - l.reserved_quantity) AS available
                            FROM inventory_levels l
                           WHERE l.inventory_item_id = vi.inventory_item_id
                             AND l.location_id IN (SELECT stock_location_id FROM sales_channel_stock_locations
                                                    WHERE sales_channel_id = $2)
                     ) a ON TRUE
                    WHERE vi.variant_id = v.id) AS available
             FROM product_variants v WHERE v.id = $1"#,
        variant_id,
        sales_channel_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .filter(|r| r.managed)
        .map(|r| r.available.unwrap_or(0).max(0)))
}

/// What the lines of an order need of one inventory item.
struct ItemNeed {
    quantity: i64,
    /// Every variant drawing on the item allows backorders.
    backorder: bool,
    /// (order line, quantity) to record reservations for.
    lines: Vec<(String, i64)>,
}

/// A line to reserve stock for.
pub struct Demand<'a> {
    pub order_line_item_id: &'a str,
    pub variant_id: &'a str,
    pub quantity: i64,
}

/// Reserves stock for every line at the locations of the sales channel. Quantities of
/// lines that share an inventory item are summed before the check, and items are locked
/// in id order so concurrent orders cannot deadlock. Fails with a 409 when an item that
/// does not allow backorders is short; the caller's transaction then rolls back.
pub async fn reserve(
    conn: &mut PgConnection,
    sales_channel_id: &str,
    demand: &[Demand<'_>],
) -> ApiResult<()> {
    // A BTreeMap keeps the items in id order, which is the locking order.
    let needs = item_needs(conn, demand).await?;
    for (item, need) in needs {
        reserve_item(conn, sales_channel_id, &item, need).await?;
    }
    Ok(())
}

/// What the lines need of each managed inventory item, summed over the lines that share
/// it, so the stock check sees the whole order's demand at once.
async fn item_needs(
    conn: &mut PgConnection,
    demand: &[Demand<'_>],
) -> ApiResult<BTreeMap<String, ItemNeed>> {
    let variants: Vec<&str> = demand.iter().map(|d| d.variant_id).collect();
    // One statement for every line's variant.
    let items = sqlx::query!(
        "SELECT vi.variant_id, vi.inventory_item_id, vi.required_quantity, v.allow_backorder
           FROM product_variant_inventory_items vi JOIN product_variants v ON v.id = vi.variant_id
          WHERE vi.variant_id = ANY($1) AND v.manage_inventory
          ORDER BY vi.variant_id, vi.inventory_item_id",
        &variants as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut needs: BTreeMap<String, ItemNeed> = BTreeMap::new();
    for d in demand {
        for row in items.iter().filter(|row| row.variant_id == d.variant_id) {
            let (item, backorder) = (row.inventory_item_id.clone(), row.allow_backorder);
            let quantity = d.quantity * i64::from(row.required_quantity);
            let need = needs.entry(item).or_insert(ItemNeed {
                quantity: 0,
                backorder: true,
                lines: Vec::new(),
            });
            need.quantity += quantity;
            need.backorder &= backorder;
            need.lines
                .push((d.order_line_item_id.to_string(), quantity));
        }
    }
    Ok(needs)
}

/// Holds one item's whole need at a single location of the channel and records a
/// reservation per order line, or fails with a 409 when no location can cover it and
/// backorders are not allowed.
async fn reserve_item(
    conn: &mut PgConnection,
    sales_channel_id: &str,
    item: &str,
    ItemNeed {
        quantity: needed,
        backorder,
        lines,
    }: ItemNeed,
) -> ApiResult<()> {
    // Lock this item's levels in the channel's locations; the fullest first.
    let levels: Vec<(String, String, i64)> = sqlx::query!(
        r#"SELECT l.id, l.location_id, (l.stocked_quantity - l.reserved_quantity)::bigint AS "free!"
               FROM inventory_levels l
              WHERE l.inventory_item_id = $1
                AND l.location_id IN (SELECT stock_location_id FROM sales_channel_stock_locations
                                       WHERE sales_channel_id = $2)
              ORDER BY l.id
              FOR UPDATE"#,
        item,
        sales_channel_id,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|l| (l.id, l.location_id, l.free))
    .collect();
    if levels.is_empty() && backorder {
        return Ok(()); // nothing stocked here and backorders allowed: nothing to hold
    }
    let Some((level_id, location_id, _)) = choose_level(&levels, needed, backorder) else {
        return Err(ApiError::public(
            ErrorType::Conflict,
            "Some items in the cart are no longer in stock in the requested quantity",
        ));
    };
    let needed =
        i32::try_from(needed).map_err(|_| ApiError::invalid_data("Quantity is too large"))?;
    // Each line's share is at most the whole need, so it fits an i32 too.
    let ids: Vec<String> = lines.iter().map(|_| new_id("resitem")).collect();
    let (line_ids, quantities): (Vec<String>, Vec<i32>) =
        lines.into_iter().map(|(line, q)| (line, q as i32)).unzip();
    // The level and a reservation per order line, in one statement.
    sqlx::query!(
        "WITH held AS (
              UPDATE inventory_levels SET reserved_quantity = reserved_quantity + $2, updated_at = now()
               WHERE id = $1)
         INSERT INTO reservations (id, order_line_item_id, inventory_item_id, location_id, quantity)
         SELECT r.id, r.line_id, $3, $4, r.quantity
           FROM unnest($5::text[], $6::text[], $7::int4[]) AS r(id, line_id, quantity)",
        level_id,
        needed,
        item,
        location_id,
        &ids,
        &line_ids,
        &quantities,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new reservation of `quantity` of an item at a location for one order line.
pub async fn insert_reservation(
    conn: &mut PgConnection,
    line_id: &str,
    item_id: &str,
    location_id: &str,
    quantity: i32,
) -> ApiResult<()> {
    sqlx::query!(
        "INSERT INTO reservations (id, order_line_item_id, inventory_item_id, location_id, quantity)
                 VALUES ($1, $2, $3, $4, $5)",
        new_id("resitem"),
        line_id,
        item_id,
        location_id,
        quantity,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The level to hold the whole need at: the fullest one that covers it, else (when
/// backorders are allowed) the fullest one even if it goes short; None when neither.
fn choose_level(
    levels: &[(String, String, i64)],
    needed: i64,
    backorder: bool,
) -> Option<&(String, String, i64)> {
    levels
        .iter()
        .filter(|(_, _, available)| *available >= needed)
        .max_by_key(|(_, _, available)| *available)
        .or_else(|| {
            if backorder {
                levels.iter().max_by_key(|(_, _, a)| *a)
            } else {
                None
            }
        })
}
