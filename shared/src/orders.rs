//! Orders as placed: lines, prices, taxes, discounts and addresses frozen at completion.

mod wire;
pub use wire::OrderBody;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgConnection;

use serde::Deserialize;

use crate::cart::{PaymentCollectionRow, PaymentSessionRow};
use crate::error::{ApiError, ApiResult, Context};
use crate::id::is_well_formed;
use crate::totals::Totals;

#[derive(Debug, Deserialize)]
struct OrderRow {
    id: String,
    display_id: i64,
    cart_id: String,
    region_id: String,
    sales_channel_id: String,
    currency_code: String,
    email: String,
    customer_id: Option<String>,
    shipping_address: Option<Value>,
    billing_address: Option<Value>,
    status: String,
    payment_status: String,
    fulfillment_status: String,
    totals: Totals,
    promotions: Value,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    canceled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct OrderLineRow {
    id: String,
    variant_id: Option<String>,
    product_id: Option<String>,
    title: String,
    thumbnail: Option<String>,
    quantity: i32,
    unit_price: i64,
    is_tax_inclusive: bool,
    tax_rate_bps: i32,
    requires_shipping: bool,
    product_title: String,
    product_handle: String,
    variant_sku: Option<String>,
    variant_title: String,
    metadata: Value,
    totals: Value,
    adjustments: Value,
    created_at: DateTime<Utc>,
    fulfilled_quantity: i32,
    shipped_quantity: i32,
    delivered_quantity: i32,
}

#[derive(Debug, Deserialize)]
struct FulfillmentRow {
    id: String,
    location_id: Option<String>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    created_at: DateTime<Utc>,
    shipped_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    items: Value,
}

#[derive(Debug, Deserialize)]
struct OrderShippingRow {
    id: String,
    shipping_option_id: Option<String>,
    name: String,
    amount: i64,
    is_tax_inclusive: bool,
    tax_rate_bps: i32,
    totals: Value,
    created_at: DateTime<Utc>,
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Order id not found: {id}"))
}

/// Medusa's order shape. The order id is the secret that lets a guest see it.
pub async fn retrieve(conn: &mut PgConnection, id: &str) -> ApiResult<Value> {
    if !is_well_formed(id, "order") {
        return Err(ApiError::invalid_data(format!(
            "Invalid order id {id:?}: expected an id starting with order_"
        )));
    }
    let parts = sqlx::query!(
        r#"SELECT
  (SELECT row_to_json(o) FROM (
     SELECT id, display_id, cart_id, region_id, sales_channel_id, currency_code, email, customer_id,
            shipping_address, billing_address, status, payment_status, fulfillment_status, totals,
            promotions, metadata, created_at, updated_at, canceled_at
       FROM orders WHERE id = $1) o) AS "order: Json<OrderRow>",
  (SELECT coalesce(json_agg(l ORDER BY l.id), '[]') FROM (
     SELECT id, variant_id, product_id, title, thumbnail, quantity, unit_price, is_tax_inclusive,
            tax_rate_bps, requires_shipping, product_title, product_handle, variant_sku,
            variant_title, metadata, totals, adjustments, created_at, fulfilled_quantity,
            shipped_quantity, delivered_quantity
       FROM order_line_items WHERE order_id = $1) l) AS "lines!: Json<Vec<OrderLineRow>>",
  (SELECT coalesce(json_agg(m ORDER BY m.id), '[]') FROM (
     SELECT id, shipping_option_id, name, amount, is_tax_inclusive, tax_rate_bps, totals, created_at
       FROM order_shipping_methods WHERE order_id = $1) m) AS "shipping!: Json<Vec<OrderShippingRow>>",
  (SELECT row_to_json(pc) FROM (
     SELECT id, cart_id, order_id, currency_code, amount, status, authorized_amount,
            captured_amount, refunded_amount, completed_at, created_at, updated_at
       FROM payment_collections WHERE order_id = $1) pc) AS "payment_collection: Json<PaymentCollectionRow>",
  (SELECT coalesce(json_agg(s ORDER BY s.created_at, s.id), '[]') FROM (
     SELECT s.id, s.payment_collection_id, s.provider_id, s.currency_code, s.amount, s.data,
            s.status, s.authorized_at, s.created_at, s.updated_at
       FROM payment_sessions s JOIN payment_collections pc ON pc.id = s.payment_collection_id
      WHERE pc.order_id = $1) s) AS "payment_sessions!: Json<Vec<PaymentSessionRow>>",
  (SELECT coalesce(json_agg(f ORDER BY f.created_at, f.id), '[]') FROM (
     SELECT f.id, f.location_id, f.carrier, f.tracking_number, f.created_at, f.shipped_at,
            f.delivered_at, f.canceled_at,
            coalesce((SELECT json_agg(json_build_object('line_item_id', fi.order_line_item_id,
                                                          'quantity', fi.quantity)
                                       ORDER BY fi.order_line_item_id)
                        FROM fulfillment_items fi WHERE fi.fulfillment_id = f.id), '[]') AS items
       FROM fulfillments f WHERE f.order_id = $1) f) AS "fulfillments!: Json<Vec<FulfillmentRow>>",
  (SELECT coalesce(json_agg(v), '[]') FROM (
     SELECT v.id AS variant_id, v.title, v.sku, v.barcode, v.ean, v.upc, v.allow_backorder,
            v.manage_inventory, v.variant_rank, v.thumbnail, v.metadata, v.created_at,
            v.updated_at,
            coalesce((SELECT json_agg(json_build_object('id', ov.id, 'value', ov.value,
                                                          'option_id', ov.option_id,
                                                          'option', json_build_object('id', o.id, 'title', o.title))
                                       ORDER BY o.created_at, o.id)
                        FROM product_variant_option_values l
                        JOIN product_option_values ov ON ov.id = l.option_value_id
                        JOIN product_options o ON o.id = ov.option_id
                       WHERE l.variant_id = v.id), '[]') AS options,
            p.id AS product_id, p.title AS product_title, p.subtitle AS product_subtitle,
            p.description AS product_description, p.handle AS product_handle,
            p.thumbnail AS product_thumbnail, p.is_giftcard AS product_is_giftcard,
            p.discountable AS product_discountable, p.collection_id AS product_collection_id,
            p.type_id AS product_type_id, p.metadata AS product_metadata,
            p.created_at AS product_created_at, p.updated_at AS product_updated_at
       FROM product_variants v JOIN products p ON p.id = v.product_id
      WHERE v.id IN (SELECT variant_id FROM order_line_items WHERE order_id = $1)) v) AS "variants!: Json<Vec<LineVariantRow>>""#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let Json(order) = parts.order.ok_or_else(|| not_found(id))?;
    let body = wire::OrderBody::new(wire::OrderParts {
        order: &order,
        totals: &order.totals,
        lines: &parts.lines.0,
        variants: &parts.variants.0,
        shipping: &parts.shipping.0,
        payment: (parts.payment_collection.as_ref()).map(|c| (&c.0, &parts.payment_sessions.0[..])),
        fulfillments: &parts.fulfillments.0,
    });
    serde_json::to_value(body).context("serializing the order")
}

/// The variant and product an order line was bought as, while they exist.
#[derive(Debug, Deserialize)]
struct LineVariantRow {
    variant_id: String,
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    ean: Option<String>,
    upc: Option<String>,
    allow_backorder: bool,
    manage_inventory: bool,
    variant_rank: i32,
    thumbnail: Option<String>,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    options: Value,
    product_id: String,
    product_title: String,
    product_subtitle: Option<String>,
    product_description: Option<String>,
    product_handle: String,
    product_thumbnail: Option<String>,
    product_is_giftcard: bool,
    product_discountable: bool,
    product_collection_id: Option<String>,
    product_type_id: Option<String>,
    product_metadata: Option<Value>,
    product_created_at: DateTime<Utc>,
    product_updated_at: DateTime<Utc>,
}

/// Orders of a customer (`GET /store/orders`): newest first unless `oldest_first`, in
/// the shape of [`retrieve`]; with their total count.
pub async fn list_of_customer(
    conn: &mut PgConnection,
    customer_id: &str,
    limit: i64,
    offset: i64,
    oldest_first: bool,
) -> ApiResult<(Vec<Value>, i64)> {
    let ids = sqlx::query!(
        r#"SELECT id, count(*) OVER () AS "total!" FROM orders WHERE customer_id = $1
          ORDER BY CASE WHEN $4 THEN created_at END ASC, CASE WHEN NOT $4 THEN created_at END DESC, id
          LIMIT $2 OFFSET $3"#,
        customer_id,
        limit,
        offset,
        oldest_first,
    )
    .fetch_all(&mut *conn)
    .await?;
    let count = match ids.first() {
        Some(first) => first.total,
        None if offset > 0 => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM orders WHERE customer_id = $1"#,
                customer_id
            )
            .fetch_one(&mut *conn)
            .await?
        }
        None => 0,
    };
    let mut orders = Vec::with_capacity(ids.len());
    for row in ids {
        orders.push(retrieve(&mut *conn, &row.id).await?);
    }
    Ok((orders, count))
}
