//! Orders as placed: lines, prices, taxes, discounts and addresses frozen at completion.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sqlx::PgConnection;

use crate::cart::{self, put_totals, PaymentCollectionRow, PaymentSessionRow};
use crate::error::{ApiError, ApiResult};
use crate::id::is_well_formed;
use crate::money::to_major;
use crate::totals::Totals;
use crate::wire::{optional_timestamp, timestamp};

#[derive(sqlx::FromRow)]
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
    totals: Value,
    promotions: Value,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    canceled_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
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

#[derive(sqlx::FromRow)]
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

#[derive(sqlx::FromRow)]
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
    let order: OrderRow = sqlx::query_as("SELECT * FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    let lines: Vec<OrderLineRow> =
        sqlx::query_as("SELECT * FROM order_line_items WHERE order_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let shipping: Vec<OrderShippingRow> =
        sqlx::query_as("SELECT * FROM order_shipping_methods WHERE order_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let collection: Option<PaymentCollectionRow> =
        sqlx::query_as("SELECT * FROM payment_collections WHERE order_id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let paid = collection.as_ref().map_or((0, 0), |c| {
        (
            c.captured_amount.unwrap_or(0),
            c.refunded_amount.unwrap_or(0),
        )
    });
    let fulfillments: Vec<FulfillmentRow> = sqlx::query_as(
        "SELECT f.id, f.location_id, f.carrier, f.tracking_number, f.created_at, f.shipped_at, f.delivered_at,
                f.canceled_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('line_item_id', fi.order_line_item_id,
                                                              'quantity', fi.quantity)
                                           ORDER BY fi.order_line_item_id)
                            FROM fulfillment_items fi WHERE fi.fulfillment_id = f.id), '[]') AS items
           FROM fulfillments f WHERE f.order_id = $1 ORDER BY f.created_at, f.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let payment_collections = match collection {
        None => Vec::new(),
        Some(c) => {
            let sessions: Vec<PaymentSessionRow> =
                sqlx::query_as("SELECT * FROM payment_sessions WHERE payment_collection_id = $1 ORDER BY created_at, id")
                    .bind(&c.id)
                    .fetch_all(&mut *conn)
                    .await?;
            let mut collection = cart::render_payment_collection(&c, &sessions)?;
            collection["payments"] = json!([render_payment(&c, &sessions)]);
            vec![collection]
        }
    };
    let variants = line_variants(&mut *conn, &lines).await?;
    let fulfillments = fulfillments.iter().map(render_fulfillment).collect();
    Ok(render(
        &order,
        &lines,
        &variants,
        &shipping,
        payment_collections,
        fulfillments,
        paid,
    ))
}

/// `payment_collections[].payments[]`: here the authorized collection is the payment (so
/// its id is the collection's, which the admin's capture and refund routes take).
fn render_payment(c: &PaymentCollectionRow, sessions: &[PaymentSessionRow]) -> Value {
    let currency = c.currency_code.as_str();
    let session = sessions.iter().rev().find(|s| s.authorized_at.is_some());
    let captured_at = c
        .captured_amount
        .filter(|a| *a > 0)
        .map(|_| timestamp(&c.updated_at))
        .unwrap_or(Value::Null);
    json!({
        "id": c.id, "payment_collection_id": c.id,
        "amount": to_major(c.authorized_amount.unwrap_or(c.amount), currency),
        "currency_code": currency,
        "provider_id": session.map(|s| s.provider_id.clone()),
        "payment_session_id": session.map(|s| s.id.clone()),
        "data": session.map(|s| s.data.clone()).unwrap_or_else(|| json!({})),
        "authorized_amount": c.authorized_amount.map(|a| to_major(a, currency)),
        "captured_amount": c.captured_amount.map(|a| to_major(a, currency)),
        "refunded_amount": c.refunded_amount.map(|a| to_major(a, currency)),
        "captured_at": captured_at, "canceled_at": null,
        "created_at": timestamp(&session.map_or(c.created_at, |s| s.created_at)),
        "updated_at": timestamp(&c.updated_at),
    })
}

/// The variant and product an order line was bought as, while they exist.
#[derive(sqlx::FromRow)]
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

async fn line_variants(
    conn: &mut PgConnection,
    lines: &[OrderLineRow],
) -> ApiResult<Vec<LineVariantRow>> {
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.variant_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT v.id AS variant_id, v.title, v.sku, v.barcode, v.ean, v.upc, v.allow_backorder,
                v.manage_inventory, v.variant_rank, v.thumbnail, v.metadata, v.created_at,
                v.updated_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('id', ov.id, 'value', ov.value,
                                                              'option_id', ov.option_id,
                                                              'option', jsonb_build_object('id', o.id, 'title', o.title))
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
          WHERE v.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?)
}

/// `items[].product` of an order line.
fn line_product_json(v: &LineVariantRow) -> Value {
    json!({
        "id": v.product_id, "title": v.product_title, "subtitle": v.product_subtitle,
        "description": v.product_description, "handle": v.product_handle,
        "thumbnail": v.product_thumbnail, "is_giftcard": v.product_is_giftcard,
        "discountable": v.product_discountable, "collection_id": v.product_collection_id,
        "type_id": v.product_type_id, "metadata": v.product_metadata,
        "created_at": timestamp(&v.product_created_at), "updated_at": timestamp(&v.product_updated_at),
        "deleted_at": null,
    })
}

/// `items[].variant` of an order line, with its options and product.
fn line_variant_json(v: &LineVariantRow) -> Value {
    json!({
        "id": v.variant_id, "title": v.title, "sku": v.sku, "barcode": v.barcode, "ean": v.ean,
        "upc": v.upc, "allow_backorder": v.allow_backorder, "manage_inventory": v.manage_inventory,
        "variant_rank": v.variant_rank, "thumbnail": v.thumbnail, "metadata": v.metadata,
        "product_id": v.product_id, "options": v.options, "product": line_product_json(v),
        "created_at": timestamp(&v.created_at), "updated_at": timestamp(&v.updated_at),
        "deleted_at": null,
    })
}

fn render_fulfillment(f: &FulfillmentRow) -> Value {
    let labels = match &f.tracking_number {
        Some(number) => json!([{ "tracking_number": number, "tracking_url": "", "label_url": "" }]),
        None => json!([]),
    };
    json!({
        "id": f.id, "location_id": f.location_id, "items": f.items, "labels": labels,
        "carrier": f.carrier, "tracking_number": f.tracking_number,
        "created_at": timestamp(&f.created_at), "packed_at": timestamp(&f.created_at),
        "shipped_at": optional_timestamp(&f.shipped_at), "delivered_at": optional_timestamp(&f.delivered_at),
        "canceled_at": optional_timestamp(&f.canceled_at),
    })
}

fn stored_totals(value: &Value, currency: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(fields) = value {
        for (name, amount) in fields {
            if let Some(amount) = amount.as_i64() {
                out.insert(name.clone(), to_major(amount, currency));
            }
        }
    }
    out
}

fn tax_lines(id: &str, rate_bps: i32) -> Value {
    if rate_bps == 0 {
        return json!([]);
    }
    json!([{ "id": format!("taxline_{id}"), "code": "default", "rate": rate_bps as f64 / 100.0 }])
}

fn render(
    order: &OrderRow,
    lines: &[OrderLineRow],
    variants: &[LineVariantRow],
    shipping: &[OrderShippingRow],
    payment_collections: Vec<Value>,
    fulfillments: Vec<Value>,
    (paid, refunded): (i64, i64),
) -> Value {
    let currency = order.currency_code.as_str();
    let items: Vec<Value> = lines
        .iter()
        .map(|l| render_item(l, variants, currency))
        .collect();
    let shipping_methods: Vec<Value> = shipping
        .iter()
        .map(|m| {
            let mut method = json!({
                "id": m.id, "name": m.name, "shipping_option_id": m.shipping_option_id,
                "amount": to_major(m.amount, currency), "is_tax_inclusive": m.is_tax_inclusive,
                "tax_lines": tax_lines(&m.id, m.tax_rate_bps), "adjustments": [],
                "created_at": timestamp(&m.created_at),
            });
            if let Value::Object(map) = &mut method {
                map.extend(stored_totals(&m.totals, currency));
            }
            method
        })
        .collect();
    let totals: Totals = serde_json::from_value(order.totals.clone()).unwrap_or_default();
    let mut out = json!({
        "id": order.id, "display_id": order.display_id, "cart_id": order.cart_id, "status": order.status,
        "email": order.email, "currency_code": currency, "region_id": order.region_id,
        "sales_channel_id": order.sales_channel_id, "customer_id": order.customer_id,
        "payment_status": order.payment_status, "fulfillment_status": order.fulfillment_status,
        "shipping_address": order.shipping_address, "billing_address": order.billing_address,
        "items": items, "shipping_methods": shipping_methods, "payment_collections": payment_collections,
        "promotions": order.promotions, "fulfillments": fulfillments, "credit_lines": [],
        "metadata": order.metadata, "created_at": timestamp(&order.created_at),
        "updated_at": timestamp(&order.updated_at), "canceled_at": optional_timestamp(&order.canceled_at),
        "summary": {
            "current_order_total": to_major(totals.total, currency),
            "original_order_total": to_major(totals.original_total, currency),
            "paid_total": to_major(paid, currency), "refunded_total": to_major(refunded, currency),
            "transaction_total": to_major(paid - refunded, currency),
            "pending_difference": to_major(totals.total - (paid - refunded), currency),
            "accounting_total": to_major(totals.total, currency),
        },
    });
    if let Value::Object(map) = &mut out {
        put_totals(map, &totals, currency);
    }
    out
}

/// An order line with its stored totals, adjustments, fulfilment detail, and the
/// variant and product it was bought as.
fn render_item(l: &OrderLineRow, variants: &[LineVariantRow], currency: &str) -> Value {
    let adjustments: Vec<Value> = l
        .adjustments
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|a| {
            json!({ "promotion_id": a["promotion_id"], "code": a["code"],
                    "amount": to_major(a["amount"].as_i64().unwrap_or(0), currency) })
        })
        .collect();
    let mut item = json!({
        "id": l.id, "title": l.title, "subtitle": l.variant_title, "thumbnail": l.thumbnail,
        "variant_id": l.variant_id, "product_id": l.product_id, "product_title": l.product_title,
        "product_handle": l.product_handle, "variant_sku": l.variant_sku, "variant_title": l.variant_title,
        "quantity": l.quantity, "unit_price": to_major(l.unit_price, currency),
        "is_tax_inclusive": l.is_tax_inclusive, "requires_shipping": l.requires_shipping,
        "metadata": l.metadata, "created_at": timestamp(&l.created_at),
        "tax_lines": tax_lines(&l.id, l.tax_rate_bps), "adjustments": adjustments,
        "detail": { "quantity": l.quantity, "fulfilled_quantity": l.fulfilled_quantity,
                    "shipped_quantity": l.shipped_quantity, "delivered_quantity": l.delivered_quantity },
    });
    let variant = variants
        .iter()
        .find(|v| l.variant_id.as_deref() == Some(v.variant_id.as_str()));
    item["variant"] = variant.map(line_variant_json).unwrap_or(Value::Null);
    item["product"] = variant.map(line_product_json).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut item {
        map.extend(stored_totals(&l.totals, currency));
    }
    item
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
    let ids: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, count(*) OVER () FROM orders WHERE customer_id = $1
          ORDER BY CASE WHEN $4 THEN created_at END ASC, CASE WHEN NOT $4 THEN created_at END DESC, id
          LIMIT $2 OFFSET $3",
    )
    .bind(customer_id)
    .bind(limit)
    .bind(offset)
    .bind(oldest_first)
    .fetch_all(&mut *conn)
    .await?;
    let count = match ids.first() {
        Some((_, total)) => *total,
        None if offset > 0 => {
            sqlx::query_scalar("SELECT count(*) FROM orders WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_one(&mut *conn)
                .await?
        }
        None => 0,
    };
    let mut orders = Vec::with_capacity(ids.len());
    for (id, _) in ids {
        orders.push(retrieve(&mut *conn, &id).await?);
    }
    Ok((orders, count))
}
