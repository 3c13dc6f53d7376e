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

/// One inventory item a line's variant draws on, as the order statement reads it (see
/// `checkout::write_order`): only variants whose stock is managed, ordered by variant,
/// then item.
#[derive(Debug)]
pub struct StockedItem {
    pub variant_id: String,
    pub inventory_item_id: String,
    pub required_quantity: i32,
    pub allow_backorder: bool,
}

/// Reserves stock for every line at the locations of the sales channel, from the items
/// the lines' variants draw on. Quantities of lines that share an inventory item are
/// summed before the check, and items are locked in id order so concurrent orders cannot
/// deadlock. Fails with a 409 when an item that does not allow backorders is short; the
/// caller's transaction then rolls back.
pub async fn reserve(
    conn: &mut PgConnection,
    sales_channel_id: &str,
    demand: &[Demand<'_>],
    items: &[StockedItem],
) -> ApiResult<()> {
    // A BTreeMap keeps the items in id order, which is the locking order.
    for (item, need) in item_needs(demand, items) {
        reserve_item(conn, sales_channel_id, &item, need).await?;
    }
    Ok(())
}

/// What the lines need of each managed inventory item, summed over the lines that share
/// it, so the stock check sees the whole order's demand at once.
fn item_needs(demand: &[Demand<'_>], items: &[StockedItem]) -> BTreeMap<String, ItemNeed> {
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
    needs
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
    let needed =
        i32::try_from(needed).map_err(|_| ApiError::invalid_data("Quantity is too large"))?;
    // Each line's share is at most the whole need, so it fits an i32 too.
    let ids: Vec<String> = lines.iter().map(|_| new_id("resitem")).collect();
    let (line_ids, quantities): (Vec<String>, Vec<i32>) =
        lines.into_iter().map(|(line, q)| (line, q as i32)).unzip();
    // One statement, so the levels stay locked for one round trip less: lock this item's
    // levels in the channel's locations (in id order), hold the whole need at the
    // fullest one that covers it (else, with backorders allowed, the fullest one even if
    // it goes short) and record a reservation per order line. The locked rows are the
    // latest versions, and the update re-reads the row it holds, so a concurrent order
    // that committed first is counted.
    let chosen = sqlx::query_scalar!(
        r#"WITH levels AS (
              SELECT l.id, l.location_id, (l.stocked_quantity - l.reserved_quantity)::bigint AS free
                FROM inventory_levels l
               WHERE l.inventory_item_id = $1
                 AND l.location_id IN (SELECT stock_location_id FROM sales_channel_stock_locations
                                        WHERE sales_channel_id = $2)
               ORDER BY l.id
                 FOR UPDATE),
              chosen AS (
              SELECT id, location_id FROM levels
               WHERE free >= $3::int4 OR $4
               ORDER BY free >= $3 DESC, free DESC, id DESC
               LIMIT 1),
              held AS (
              UPDATE inventory_levels l SET reserved_quantity = l.reserved_quantity + $3, updated_at = now()
                FROM chosen WHERE l.id = chosen.id),
              reserved AS (
              INSERT INTO reservations (id, order_line_item_id, inventory_item_id, location_id, quantity)
              SELECT r.id, r.line_id, $1, chosen.location_id, r.quantity
                FROM chosen, unnest($5::text[], $6::text[], $7::int4[]) AS r(id, line_id, quantity))
         SELECT (SELECT id FROM chosen) AS chosen"#,
        item,
        sales_channel_id,
        needed,
        backorder,
        &ids,
        &line_ids,
        &quantities,
    )
    .fetch_one(&mut *conn)
    .await?;
    // With backorders allowed, nothing is chosen only when nothing is stocked here:
    // nothing to hold.
    if chosen.is_none() && !backorder {
        return Err(ApiError::public(
            ErrorType::Conflict,
            "Some items in the cart are no longer in stock in the requested quantity",
        ));
    }
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
