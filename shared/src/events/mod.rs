//! Events: written to the outbox in the same transaction as the change they announce,
//! relayed to SQS after commit (and by the sweep when the relay did not get to it), and
//! acted on by the consumer function.
//!
//! Events carry ids, not whole records: the consumer reads the current state, so a late
//! or repeated message cannot write stale data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;

use crate::id::new_id;

mod relay;
pub use relay::{sqs_client, Relay, SweepReport};

/// Event names, as Medusa v2 spells them.
pub mod names {
    pub const ORDER_PLACED: &str = "order.placed";
    pub const ORDER_CANCELED: &str = "order.canceled";
    pub const ORDER_REFUNDED: &str = "order.refunded";
    pub const ORDER_FULFILLMENT_CREATED: &str = "order.fulfillment_created";
    pub const SHIPMENT_CREATED: &str = "shipment.created";
    pub const DELIVERY_CREATED: &str = "delivery.created";
    pub const PRODUCT_CREATED: &str = "product.created";
    pub const PRODUCT_UPDATED: &str = "product.updated";
    pub const PRODUCT_DELETED: &str = "product.deleted";
    pub const INVENTORY_UPDATED: &str = "inventory.updated";
    pub const CART_ABANDONED: &str = "cart.abandoned";
    pub const ORDER_REVIEW_REQUESTED: &str = "order.review_requested";
    pub const PAYMENT_CAPTURED: &str = "payment.captured";
    pub const ORDER_FULFILLMENT_CANCELED: &str = "order.fulfillment_canceled";
    pub const PROMOTION_CREATED: &str = "promotion.created";
    pub const PROMOTION_UPDATED: &str = "promotion.updated";
    pub const AUTH_PASSWORD_RESET: &str = "auth.password_reset";
}

/// The version of [`Envelope`] this code writes and reads.
pub const ENVELOPE_VERSION: u32 = 1;

/// The body of every SQS message: the outbox row, versioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u32,
    pub id: String,
    pub name: String,
    pub aggregate_id: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

/// Writes an event to the outbox on `conn`, which should be the transaction that makes
/// the change the event announces. Returns the event id (`evt_...`).
///
/// Nothing is sent here: after the transaction commits, hand the id to
/// [`Relay::publish`] (through `AppState::events`); the sweep sends whatever a relay
/// missed.
pub async fn record(
    conn: &mut PgConnection,
    name: &str,
    aggregate_id: &str,
    payload: Value,
) -> Result<String, sqlx::Error> {
    let id = new_id("evt");
    record_with_id(conn, &id, name, aggregate_id, payload).await?;
    Ok(id)
}

/// [`record`] with an id the caller made with `new_id("evt")` (to reference it first).
pub async fn record_with_id(
    conn: &mut PgConnection,
    id: &str,
    name: &str,
    aggregate_id: &str,
    payload: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO outbox_events (id, name, aggregate_id, payload) VALUES ($1, $2, $3, $4)",
        id,
        name,
        aggregate_id,
        payload
    )
    .execute(conn)
    .await?;
    Ok(())
}
