//! Paying for a cart and turning it into an order.
//!
//! Completion is one PostgreSQL transaction that holds the cart's row lock from the
//! first read to the commit: concurrent completions of one cart wait for it and then
//! find the order it made, and stock is reserved under row locks, so nothing oversells.

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::cart::{self, Cart};
use crate::error::{ApiError, ApiResult, Context, ErrorType};
use crate::events::{self, Relay};
use crate::id::{is_well_formed, new_id};
use crate::inventory::{self, Demand};
use crate::orders;
use crate::payments::{Authorization, InitiateRequest, PaymentProvider, PaymentProviders};
use crate::totals;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentCollection {
    pub cart_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentSession {
    pub provider_id: String,
    pub data: Option<Map<String, Value>>,
}

/// The cart's payment collection, created on first call; its amount follows the cart.
pub async fn payment_collection(
    pool: &PgPool,
    input: &CreatePaymentCollection,
) -> ApiResult<Value> {
    // The checkout's path, without a transaction: the cart is read, then the collection is
    // written for its total only while the cart's row is the version read. Anything else
    // takes the transaction below.
    let mut conn = pool.acquire().await?;
    let cart = cart::load(&mut conn, &input.cart_id, false).await?;
    if cart.is_completed() {
        return Err(completed(&cart));
    }
    if let Some(collection) = collect_for(&mut conn, &cart).await? {
        // The sessions as read with the cart: a session written since then (which does
        // not change the cart's row) is not in this answer, only in the next.
        let sessions = cart.payment.map(|(_, s)| s).unwrap_or_default();
        return cart::render_payment_collection(&collection, &sessions);
    }
    drop(conn);
    let mut tx = pool.begin().await?;
    let cart = cart::load(&mut tx, &input.cart_id, true).await?;
    if cart.is_completed() {
        return Err(completed(&cart));
    }
    let collection = collect_for(&mut tx, &cart).await?.ok_or_else(|| {
        ApiError::internal(
            "writing a payment collection",
            "the locked cart was not held",
        )
    })?;
    // The sessions are the ones the cart was loaded with: this transaction holds the
    // cart's lock, and the upsert leaves them alone.
    let sessions = cart.payment.map(|(_, s)| s).unwrap_or_default();
    let body = cart::render_payment_collection(&collection, &sessions)?;
    tx.commit().await?;
    Ok(body)
}

/// Writes the cart's payment collection for its total (created on first call), if the
/// cart is open and, when the cart was read with its version (not under the caller's
/// lock), its row is still that version. The row is share-locked, so a change or
/// completion in flight is waited for and then seen; every change writes the row.
async fn collect_for(
    conn: &mut PgConnection,
    cart: &Cart,
) -> ApiResult<Option<cart::PaymentCollectionRow>> {
    Ok(sqlx::query_as!(
        cart::PaymentCollectionRow,
        "WITH cart AS (
            SELECT id, currency_code FROM carts
             WHERE id = $2 AND completed_at IS NULL AND ($4::text IS NULL OR xmin::text = $4)
             FOR SHARE)
         INSERT INTO payment_collections (id, cart_id, currency_code, amount)
         SELECT $1, id, currency_code, $3 FROM cart
         ON CONFLICT (cart_id) DO UPDATE SET amount = EXCLUDED.amount, currency_code = EXCLUDED.currency_code,
                updated_at = now()
         RETURNING id, cart_id, order_id, currency_code, amount, status, authorized_amount,
                   captured_amount, refunded_amount, completed_at, created_at, updated_at,
                   xmin::text AS version",
        new_id("pay_col"),
        cart.row.id,
        cart.total(),
        cart.version,
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// Starts paying with a provider. A collection holds one live session: starting a new
/// one replaces (and cancels) the previous.
pub async fn payment_session(
    pool: &PgPool,
    providers: &PaymentProviders,
    collection_id: &str,
    input: &CreatePaymentSession,
) -> ApiResult<Value> {
    if !is_well_formed(collection_id, "pay_col") {
        return Err(ApiError::invalid_data(format!(
            "Invalid payment collection id {collection_id:?}"
        )));
    }
    let provider = providers.get(&input.provider_id).ok_or_else(|| {
        ApiError::invalid_data(format!(
            "Payment provider {} is not enabled; available: {}",
            input.provider_id,
            providers.ids().join(", ")
        ))
    })?;
    // The checkout's path, without a transaction: the cart is read, the provider starts a
    // session for its total (no connection held meanwhile), and the session is written
    // only while the cart's row and its collection's are the versions read. Writing a
    // session moves the collection's row, so two sessions started at once cannot both
    // pass. Anything else takes the transaction below, which holds the cart's lock across
    // the provider's answer, as before 2026-12-06.
    let cart = payable_cart(&mut *pool.acquire().await?, collection_id, false).await?;
    let (session_id, data) = initiate(provider, &cart).await?;
    let mut conn = pool.acquire().await?;
    let written = replace_session(
        &mut conn,
        collection_id,
        &session_id,
        provider.id(),
        &cart,
        &data,
    )
    .await?;
    drop(conn);
    if let Some((collection, session)) = written {
        let body = cart::render_payment_collection(&collection, &[session])?;
        cancel_replaced(providers, &cart).await;
        return Ok(body);
    }
    // The cart changed since it was read: that session was for the cart as it was.
    if let Err(err) = provider.cancel(&data).await {
        tracing::warn!(error = %err, provider = provider.id(), "could not cancel a session started for a changed cart");
    }
    let mut tx = pool.begin().await?;
    let cart = payable_cart(&mut tx, collection_id, true).await?;
    let (session_id, data) = initiate(provider, &cart).await?;
    let (collection, session) = replace_session(
        &mut tx,
        collection_id,
        &session_id,
        provider.id(),
        &cart,
        &data,
    )
    .await?
    .ok_or_else(|| {
        ApiError::internal("writing a payment session", "the locked cart was not held")
    })?;
    let body = cart::render_payment_collection(&collection, &[session])?;
    tx.commit().await?;
    cancel_replaced(providers, &cart).await;
    Ok(body)
}

/// Asks the provider for a session paying the cart's total: its id and the provider's data.
async fn initiate(provider: &dyn PaymentProvider, cart: &Cart) -> ApiResult<(String, Value)> {
    let session_id = new_id("payses");
    let data = provider
        .initiate(&InitiateRequest {
            session_id: session_id.clone(),
            amount: cart.total(),
            currency_code: cart.row.currency_code.clone(),
            cart_id: cart.row.id.clone(),
            email: cart.row.email.clone(),
        })
        .await
        .map_err(|e| ApiError::public(ErrorType::PaymentAuthorizationError, e.to_string()))?;
    Ok((session_id, data))
}

/// Cancels at their providers the live sessions the cart was read with, which the new
/// session replaced: the write that replaced them required the cart as read.
async fn cancel_replaced(providers: &PaymentProviders, cart: &Cart) {
    let replaced = cart
        .payment
        .iter()
        .flat_map(|(_, sessions)| sessions)
        .filter(|s| s.status != "canceled");
    for session in replaced {
        if let Some(provider) = providers.get(&session.provider_id) {
            if let Err(err) = provider.cancel(&session.data).await {
                tracing::warn!(error = %err, provider = session.provider_id, "could not cancel a replaced payment session");
            }
        }
    }
}

/// The cart a payment collection pays for (with `lock`, locked); it must be open and have
/// items.
async fn payable_cart(conn: &mut PgConnection, collection_id: &str, lock: bool) -> ApiResult<Cart> {
    let cart = cart::load_for_collection(conn, collection_id, lock)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Payment collection with id: {collection_id} was not found"
            ))
        })?;
    if cart.is_completed() {
        return Err(completed(&cart));
    }
    if cart.lines.is_empty() {
        return Err(ApiError::invalid_data(
            "Cannot pay for a cart with no items",
        ));
    }
    Ok(cart)
}

/// The collection's one live session becomes `session_id`, for the cart's total now, if
/// the cart is open and, when it was read with its version (not under the caller's lock),
/// the cart's row and the collection's are still the versions read. The cart's row is
/// share-locked, so a change or completion in flight is waited for and then seen; every
/// session written moves the collection's row, so a session written since the cart was
/// read turns this one away. Answers the collection and its session as they now are;
/// `None` when it wrote nothing.
async fn replace_session(
    conn: &mut PgConnection,
    collection_id: &str,
    session_id: &str,
    provider_id: &str,
    cart: &Cart,
    data: &Value,
) -> ApiResult<Option<(cart::PaymentCollectionRow, cart::PaymentSessionRow)>> {
    // Under the caller's lock nothing is compared; read without it, both versions are.
    let collection_version = match (&cart.version, &cart.payment) {
        (None, _) => None,
        (Some(_), Some((collection, _))) if collection.version.is_some() => {
            collection.version.as_deref()
        }
        (Some(_), _) => return Ok(None),
    };
    // One statement: the collection follows the cart, the old sessions go, the new one
    // comes.
    let row = sqlx::query!(
        r#"WITH cart AS (
                SELECT id FROM carts
                 WHERE id = $7 AND completed_at IS NULL AND ($8::text IS NULL OR xmin::text = $8)
                 FOR SHARE),
                collection AS (
                UPDATE payment_collections SET amount = $5, status = 'not_paid', updated_at = now()
                 WHERE id = $2 AND EXISTS (SELECT 1 FROM cart)
                   AND ($9::text IS NULL OR xmin::text = $9)
                RETURNING id, cart_id, order_id, currency_code, amount, status, authorized_amount,
                          captured_amount, refunded_amount, completed_at, created_at, updated_at),
                gone AS (DELETE FROM payment_sessions
                          WHERE payment_collection_id = $2 AND EXISTS (SELECT 1 FROM collection)),
                session AS (
                INSERT INTO payment_sessions (id, payment_collection_id, provider_id, currency_code, amount, data)
                SELECT $1, $2, $3, $4, $5, $6 FROM collection
                RETURNING id, payment_collection_id, provider_id, currency_code, amount, data, status,
                          authorized_at, created_at, updated_at)
           SELECT row_to_json(collection) AS "collection!: Json<cart::PaymentCollectionRow>",
                  row_to_json(session) AS "session!: Json<cart::PaymentSessionRow>"
             FROM session, collection"#,
        session_id,
        collection_id,
        provider_id,
        cart.row.currency_code,
        cart.total(),
        data,
        cart.row.id,
        cart.version,
        collection_version,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|row| (row.collection.0, row.session.0)))
}

fn completed(cart: &Cart) -> ApiError {
    ApiError::invalid_data(format!("Cart {} is already completed.", cart.row.id))
}

/// What completing a cart gives: an order, or (payment not authorized) the cart with
/// the reason, which Medusa answers with 200 as well.
pub enum Completion {
    Order(Value),
    PaymentFailed { cart: Value, message: String },
}

impl Completion {
    pub fn into_body(self) -> Value {
        match self {
            // Moved into the map, not copied as `json!` would.
            Completion::Order(order) => Value::Object(serde_json::Map::from_iter([
                ("type".to_string(), Value::from("order")),
                ("order".to_string(), order),
            ])),
            Completion::PaymentFailed { cart, message } => json!({
                "type": "cart",
                "cart": cart,
                "error": { "message": message, "name": "Error", "type": "payment_authorization_error" },
            }),
        }
    }
}

pub async fn complete(
    pool: &PgPool,
    providers: &PaymentProviders,
    relay: &Relay,
    cart_id: &str,
) -> ApiResult<Completion> {
    let mut tx = pool.begin().await?;
    let cart = cart::load(&mut tx, cart_id, true).await?;
    if cart.is_completed() {
        // A replay, or a concurrent completion that waited for our lock: same order.
        let order_id = sqlx::query_scalar!("SELECT id FROM orders WHERE cart_id = $1", cart_id)
            .fetch_one(&mut *tx)
            .await?;
        let order = orders::retrieve(&mut tx, &order_id).await?;
        tx.commit().await?;
        return Ok(Completion::Order(order));
    }
    validate(&cart)?;
    let (_, sessions) = cart.payment.as_ref().expect("validated");
    let session = sessions.last().expect("validated").clone();
    let provider = providers.get(&session.provider_id).ok_or_else(|| {
        ApiError::invalid_data(format!(
            "Payment provider {} is not enabled",
            session.provider_id
        ))
    })?;
    let data = match provider.authorize(&session.data).await {
        Ok(Authorization::Authorized { data }) => data,
        Ok(Authorization::RequiresMore { data, message })
        | Ok(Authorization::Declined { data, message }) => {
            tx.rollback().await?;
            // Nothing was reserved; remember what the gateway said on the session.
            sqlx::query!(
                "UPDATE payment_sessions SET status = 'error', data = $2, updated_at = now() WHERE id = $1",
                session.id,
                data,
            )
            .execute(pool)
            .await?;
            let mut conn = pool.acquire().await?;
            let cart = cart::load(&mut conn, cart_id, false).await?;
            return Ok(Completion::PaymentFailed {
                cart: cart::render(&cart)?,
                message,
            });
        }
        Err(err) => {
            return Err(ApiError::public(
                ErrorType::PaymentAuthorizationError,
                err.to_string(),
            ));
        }
    };
    match place_order(&mut tx, &cart, &session.id, &data).await {
        Ok((order_id, event_id)) => match tx.commit().await {
            Ok(()) => {
                relay.publish(pool, &[event_id]).await;
                let mut conn = pool.acquire().await?;
                Ok(Completion::Order(
                    orders::retrieve(&mut conn, &order_id).await?,
                ))
            }
            Err(err) => {
                release_authorization(provider, &data).await;
                Err(err.into())
            }
        },
        Err(err) => {
            drop(tx);
            release_authorization(provider, &data).await;
            Err(err)
        }
    }
}

/// The authorization outlived a failed transaction: give the money back to the shopper.
async fn release_authorization(provider: &dyn PaymentProvider, data: &Value) {
    if let Err(err) = provider.cancel(data).await {
        tracing::error!(error = %err, provider = provider.id(), "could not cancel an authorization after a failed checkout");
    }
}

fn validate(cart: &Cart) -> ApiResult<()> {
    if cart.lines.is_empty() {
        return Err(ApiError::invalid_data(
            "Cannot complete a cart with no items",
        ));
    }
    if cart.row.email.is_none() {
        return Err(ApiError::invalid_data(
            "Cannot complete a cart without an email address",
        ));
    }
    if cart.lines.iter().any(|l| l.requires_shipping) {
        let address = cart.row.shipping_address.as_ref();
        let has = |field: &str| {
            address
                .and_then(|a| a.get(field))
                .and_then(Value::as_str)
                .is_some_and(|v| !v.trim().is_empty())
        };
        if !(has("address_1") && has("city") && has("country_code")) {
            return Err(ApiError::invalid_data(
                "Cannot complete a cart without a shipping address (address_1, city and country_code)",
            ));
        }
        if cart.shipping.is_none() {
            return Err(ApiError::invalid_data(
                "Cannot complete a cart without a shipping method",
            ));
        }
    }
    let session = cart
        .payment
        .as_ref()
        .and_then(|(_, sessions)| sessions.last());
    let Some(session) = session else {
        return Err(ApiError::invalid_data(
            "Cannot complete a cart without a payment session; create a payment collection and a session first",
        ));
    };
    if session.amount != cart.total() || session.currency_code != cart.row.currency_code {
        return Err(ApiError::invalid_data(
            "The cart changed after the payment session was created; create a new payment session",
        ));
    }
    Ok(())
}

/// Writes the order and everything that goes with it; returns the order id and the id
/// of its `order.placed` event.
///
/// The rows only this cart touches come first; the rows every shopper shares, a
/// promotion's usage count and the stock levels, are locked last, so that concurrent
/// checkouts of one product wait for each other only over those last statements and the
/// commit, not over the whole order.
async fn place_order(
    conn: &mut PgConnection,
    cart: &Cart,
    session_id: &str,
    payment_data: &Value,
) -> ApiResult<(String, String)> {
    let order_id = new_id("order");
    let event_id = new_id("evt");
    let paid = Paid {
        session_id,
        data: payment_data,
        event_id: &event_id,
    };
    let (line_ids, items) = write_order(&mut *conn, cart, &order_id, &paid).await?;
    use_promotions(&mut *conn, cart).await?;
    let demand: Vec<Demand> = cart
        .lines
        .iter()
        .zip(&line_ids)
        .map(|(line, line_id)| Demand {
            order_line_item_id: line_id,
            variant_id: &line.variant_id,
            quantity: i64::from(line.quantity),
        })
        .collect();
    inventory::reserve(conn, &cart.row.sales_channel_id, &demand, &items).await?;
    Ok((order_id, event_id))
}

/// Counts a use of each of the cart's promotions; one at its usage limit refuses the order.
async fn use_promotions(conn: &mut PgConnection, cart: &Cart) -> ApiResult<()> {
    for promotion in &cart.promotions {
        let used = sqlx::query!(
            "UPDATE promotions SET usage_count = usage_count + 1, updated_at = now()
              WHERE id = $1 AND (usage_limit IS NULL OR usage_count < usage_limit)",
            promotion.id
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if used == 0 {
            return Err(ApiError::public(
                ErrorType::Conflict,
                format!(
                    "The promotion code {} has reached its usage limit",
                    promotion.code
                ),
            ));
        }
    }
    Ok(())
}

/// The authorized payment an order is written with, and the id of its `order.placed` event.
struct Paid<'a> {
    session_id: &'a str,
    data: &'a Value,
    event_id: &'a str,
}

/// Writes, in one statement, every row only this cart's lock guards: the order, its
/// lines and shipping method, the authorized session and collection, the completed cart
/// and the `order.placed` event (with the order's display id). Returns the lines' ids, in
/// the cart's order, and the managed inventory items the lines' variants draw on (read in
/// the same round trip, for [`inventory::reserve`]). The statement's plan is cached
/// (generic), so the items are looked up per variant by key: `OFFSET 0` keeps the lookup
/// a nested loop over the lines, where a join would plan a scan of both tables (the
/// planner guesses 100 rows for `jsonb_to_recordset`).
async fn write_order(
    conn: &mut PgConnection,
    cart: &Cart,
    order_id: &str,
    paid: &Paid<'_>,
) -> ApiResult<(Vec<String>, Vec<inventory::StockedItem>)> {
    let row = &cart.row;
    let promotions: Vec<cart::Promotion> =
        cart.promotions.iter().map(cart::Promotion::new).collect();
    let email = row.email.as_deref().unwrap_or_default();
    let lines = OrderLine::all(cart);
    let shipping = OrderShipping::of(cart);
    let placed = json!({
        "id": order_id, "email": email, "currency_code": row.currency_code,
        "total": cart.total(), "placed_at": Utc::now(), "customer_id": row.customer_id,
    });
    let items = sqlx::query_as!(
        inventory::StockedItem,
        "WITH placed AS (
              INSERT INTO orders (id, cart_id, region_id, sales_channel_id, currency_code, email, shipping_address,
                                  billing_address, totals, promotions, metadata, customer_id)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
              RETURNING display_id),
              lines AS (
              INSERT INTO order_line_items (id, order_id, variant_id, product_id, title, thumbnail, quantity,
                     unit_price, is_tax_inclusive, tax_rate_bps, requires_shipping, product_title, product_handle,
                     variant_sku, variant_title, metadata, totals, adjustments)
              SELECT l.id, $1, l.variant_id, l.product_id, l.title, l.thumbnail, l.quantity, l.unit_price,
                     l.is_tax_inclusive, $14, l.requires_shipping, l.product_title, l.product_handle, l.variant_sku,
                     l.variant_title, l.metadata, l.totals, l.adjustments
                FROM jsonb_to_recordset($13::jsonb)
                     AS l(id text, variant_id text, product_id text, title text, thumbnail text, quantity int4,
                          unit_price int8, is_tax_inclusive bool, requires_shipping bool, product_title text,
                          product_handle text, variant_sku text, variant_title text, metadata jsonb,
                          totals jsonb, adjustments jsonb)),
              shipping AS (
              INSERT INTO order_shipping_methods (id, order_id, shipping_option_id, name, amount, is_tax_inclusive,
                     tax_rate_bps, totals)
              SELECT s.id, $1, s.shipping_option_id, s.name, s.amount, $16, $14, s.totals
                FROM jsonb_to_recordset($15::jsonb)
                     AS s(id text, shipping_option_id text, name text, amount int8, totals jsonb)),
              session AS (
              UPDATE payment_sessions SET status = 'authorized', data = $18, authorized_at = now(),
                     updated_at = now()
               WHERE id = $17),
              collection AS (
              UPDATE payment_collections SET status = 'authorized', authorized_amount = amount,
                     order_id = $1, completed_at = now(), updated_at = now()
               WHERE cart_id = $2),
              event AS (
              INSERT INTO outbox_events (id, name, aggregate_id, payload)
              SELECT $19, $20, $1, $21::jsonb || jsonb_build_object('display_id', display_id) FROM placed),
              completed AS (
              UPDATE carts SET completed_at = now(), updated_at = now() WHERE id = $2)
         SELECT i.variant_id, i.inventory_item_id, i.required_quantity, i.allow_backorder
           FROM (SELECT DISTINCT l.variant_id FROM jsonb_to_recordset($13::jsonb) AS l(variant_id text)) l
          CROSS JOIN LATERAL (
                SELECT vi.variant_id, vi.inventory_item_id, vi.required_quantity, v.allow_backorder
                  FROM product_variant_inventory_items vi JOIN product_variants v ON v.id = vi.variant_id
                 WHERE vi.variant_id = l.variant_id AND v.manage_inventory
                OFFSET 0) i
          ORDER BY i.variant_id, i.inventory_item_id",
        order_id,
        row.id,
        row.region_id,
        row.sales_channel_id,
        row.currency_code,
        email,
        row.shipping_address,
        row.billing_address,
        serde_json::to_value(&cart.computed.totals).context("serializing the cart totals")?,
        serde_json::to_value(promotions).context("serializing the cart's promotions")?,
        row.metadata,
        row.customer_id,
        serde_json::to_value(&lines).context("serializing the order lines")?,
        cart.region.tax_rate_bps,
        serde_json::to_value(&shipping).context("serializing the order's shipping")?,
        cart.region.is_tax_inclusive,
        paid.session_id,
        paid.data,
        paid.event_id,
        events::names::ORDER_PLACED,
        placed,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((lines.into_iter().map(|l| l.id).collect(), items))
}

/// An order line as the order statement reads it (`jsonb_to_recordset`), with its totals
/// and promotion adjustments.
#[derive(serde::Serialize)]
struct OrderLine<'a> {
    id: String,
    variant_id: &'a str,
    product_id: &'a str,
    title: &'a str,
    thumbnail: Option<&'a str>,
    quantity: i32,
    unit_price: i64,
    is_tax_inclusive: bool,
    requires_shipping: bool,
    product_title: &'a str,
    product_handle: &'a str,
    variant_sku: Option<&'a str>,
    variant_title: &'a str,
    metadata: &'a Value,
    totals: &'a totals::LineTotals,
    adjustments: Vec<Value>,
}

impl<'a> OrderLine<'a> {
    /// The cart's lines, in its order, each with a new order line id.
    fn all(cart: &'a Cart) -> Vec<Self> {
        cart.lines
            .iter()
            .zip(&cart.computed.lines)
            .map(|(line, totals)| OrderLine {
                id: new_id("ordli"),
                variant_id: &line.variant_id,
                product_id: &line.product_id,
                title: &line.title,
                thumbnail: line.thumbnail.as_deref(),
                quantity: line.quantity,
                unit_price: line.unit_price,
                is_tax_inclusive: line.is_tax_inclusive,
                requires_shipping: line.requires_shipping,
                product_title: &line.product_title,
                product_handle: &line.product_handle,
                variant_sku: line.variant_sku.as_deref(),
                variant_title: &line.variant_title,
                metadata: &line.metadata,
                totals,
                adjustments: cart
                    .computed
                    .adjustments
                    .iter()
                    .filter(|a| a.line_id == line.id)
                    .map(|a| json!({ "promotion_id": a.promotion_id, "code": a.code, "amount": a.amount }))
                    .collect(),
            })
            .collect()
    }
}

/// The order's shipping method as the order statement reads it (`jsonb_to_recordset`):
/// none or one, as the cart has.
#[derive(serde::Serialize)]
struct OrderShipping<'a> {
    id: String,
    shipping_option_id: &'a str,
    name: &'a str,
    amount: i64,
    totals: &'a totals::ShippingTotals,
}

impl<'a> OrderShipping<'a> {
    fn of(cart: &'a Cart) -> Vec<Self> {
        cart.shipping
            .iter()
            .zip(&cart.computed.shipping)
            .map(|((method, option), totals)| OrderShipping {
                id: new_id("ordsm"),
                shipping_option_id: &option.id,
                name: &method.name,
                amount: cart::shipping_amount(option, cart.item_basis_total()),
                totals,
            })
            .collect()
    }
}
