//! The events function: consumes the events queue and runs the shop's automations, and
//! runs the scheduled tasks (outbox sweep, abandoned carts, review requests).
//!
//! Each automation is a handler keyed by its name. Before it acts, a handler claims
//! `(event id, handler)` in `event_handlings` inside a transaction that commits only
//! after the action succeeded: a redelivered message, or a duplicate delivered at the
//! same moment (it waits on the claim), finds the record and does nothing. A failure
//! rolls the claim back, so the message is retried and, after the queue's
//! `maxReceiveCount`, lands in the dead-letter queue; the other messages of its batch
//! are not retried with it (`ReportBatchItemFailures`).

pub mod local;
pub mod schedule;
pub mod settings;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use store::cache::Cache;
use store::content::sync::{ProductSync, SyncConfig, SyncedProduct};
use store::events::{names, Envelope, Relay, ENVELOPE_VERSION};
use store_notify::mail::Mailer;

pub use settings::{Automation, Settings};

/// Everything the handlers use; built once per cold start.
#[derive(Clone)]
pub struct Consumer {
    pub pool: PgPool,
    pub cache: Cache,
    pub mailer: Mailer,
    pub relay: Relay,
    pub settings: Arc<Settings>,
    pub http: reqwest::Client,
    /// Off without `STRAPI_URL` and `STRAPI_SYNC_TOKEN`.
    pub strapi_sync: Option<ProductSync>,
    /// The cold start's background connect, which an invocation waits for.
    pub warm_up: store::web::WarmUp,
}

/// Why a message was not handled; the message is retried.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("message body is not an event envelope: {0}")]
    Malformed(String),
    #[error("envelope version {0} is not supported (this consumer reads {ENVELOPE_VERSION})")]
    Version(u32),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{handler}: {message}")]
    Failed {
        handler: &'static str,
        message: String,
    },
}

/// What a handler did with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Already handled: a redelivery.
    Duplicate,
    /// Nothing to do (switched off, no recipient, nothing low...), with the reason.
    Skipped(String),
}

/// What running a handler gives: its outcome, or the error that retries the message.
type Handled = Result<Outcome, HandlerError>;

impl Consumer {
    pub fn new(
        pool: PgPool,
        cache: Cache,
        mailer: Mailer,
        relay: Relay,
        settings: Settings,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("the TLS backend is compiled in");
        Consumer {
            pool,
            cache,
            mailer,
            relay,
            settings: Arc::new(settings),
            http,
            strapi_sync: None,
            warm_up: store::web::WarmUp::default(),
        }
    }

    pub fn with_strapi_sync(mut self, sync: Option<ProductSync>) -> Self {
        self.strapi_sync = sync;
        self
    }

    /// From the environment, as the Lambda function builds it.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let config = store::config::Config::from_env()?;
        let sync = SyncConfig::from_lookup(|name| std::env::var(name).ok())?
            .map(ProductSync::new)
            .transpose()?;
        let mut consumer = Consumer::new(
            store::web::lazy_pool(&config)?,
            store::web::cache_of(&config),
            Mailer::from_env(),
            Relay::from_env(),
            Settings::from_env()?,
        )
        .with_strapi_sync(sync);
        consumer.warm_up = store::web::warm_up(&consumer.pool, &consumer.cache);
        consumer.log_configuration();
        Ok(consumer)
    }

    /// Says once, at cold start, which automations cannot act and why.
    pub fn log_configuration(&self) {
        let s = &self.settings;
        let enabled: Vec<&str> = s.enabled.iter().map(|a| a.name()).collect();
        tracing::info!(automations = %enabled.join(","), "events consumer configured");
        if !self.mailer.is_enabled() {
            tracing::warn!("MAIL_FROM is not set: email automations skip their events");
        }
        if s.is_enabled(Automation::LowStockAlert) && s.merchant_email.is_none() {
            tracing::warn!("MERCHANT_EMAIL is not set: low-stock alerts are skipped");
        }
        if s.is_enabled(Automation::StrapiProductSync) && self.strapi_sync.is_none() {
            tracing::warn!(
                "STRAPI_URL or STRAPI_SYNC_TOKEN is not set: the Strapi product sync is skipped"
            );
        }
        if s.is_enabled(Automation::FulfillmentWebhook) && s.webhook.is_none() {
            tracing::warn!("FULFILLMENT_WEBHOOK_URL is not set: fulfilment hand-offs are skipped");
        }
    }

    /// Handles one SQS batch; the failed messages are reported for a retry.
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in event.records {
            let id = message.message_id.clone().unwrap_or_default();
            let body = message.body.as_deref().unwrap_or("");
            if let Err(err) = self.handle_body(body).await {
                tracing::error!(message_id = %id, error = %err, "event not handled; it will be retried");
                response.add_failure(id);
            }
        }
        response
    }

    /// Handles one message body: every enabled handler subscribed to the event runs once.
    pub async fn handle_body(
        &self,
        body: &str,
    ) -> Result<Vec<(&'static str, Outcome)>, HandlerError> {
        let envelope = parse(body)?;
        let mut outcomes = Vec::new();
        let mut first_error = None;
        for &automation in subscribers(&envelope.name) {
            if !self.settings.is_enabled(automation) {
                continue;
            }
            match self.run_once(automation, &envelope).await {
                Ok(outcome) => {
                    tracing::info!(event_id = %envelope.id, event = %envelope.name, handler = automation.name(), ?outcome, "handled");
                    outcomes.push((automation.name(), outcome));
                }
                // The other handlers still run; this one retries with the message.
                Err(err) => {
                    tracing::warn!(event_id = %envelope.id, handler = automation.name(), error = %err, "handler failed");
                    first_error.get_or_insert(err);
                }
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(outcomes),
        }
    }

    /// Claims `(event, handler)`, acts, and records it in one transaction.
    async fn run_once(&self, automation: Automation, event: &Envelope) -> Handled {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query!(
            "INSERT INTO event_handlings (event_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event.id,
            automation.name(),
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(Outcome::Duplicate);
        }
        let outcome = self.act(automation, event, &mut tx).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Runs one automation on an event, inside the transaction of its claim.
    async fn act(
        &self,
        automation: Automation,
        event: &Envelope,
        conn: &mut PgConnection,
    ) -> Handled {
        match automation {
            Automation::OrderConfirmation => self.order_confirmation(event, conn).await,
            Automation::LowStockAlert => self.low_stock_alert(event, conn).await,
            Automation::ProductCachePurge => {
                store::catalog::purge_store_cache(&self.cache).await;
                Ok(Outcome::Done)
            }
            Automation::StrapiProductSync => self.strapi_sync(event, conn).await,
            Automation::FulfillmentWebhook => self.fulfillment_webhook(event, conn).await,
            Automation::ShippingEmail => self.shipping_email(event, conn).await,
            Automation::AbandonedCart => self.abandoned_cart(event, conn).await,
            Automation::ReviewRequest => self.review_request(event, conn).await,
            Automation::PasswordResetEmail => self.password_reset_email(event, conn).await,
        }
    }

    /// Emails the customer the placed order.
    async fn order_confirmation(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let Some(order) = store_notify::OrderSummary::load(conn, &event.aggregate_id).await? else {
            return Ok(Outcome::Skipped(format!(
                "order {} does not exist",
                event.aggregate_id
            )));
        };
        let email = store_notify::order_confirmation(&self.settings.store_name, &order);
        self.send(email, Automation::OrderConfirmation).await
    }

    /// Emails the merchant the items newly at or below the stock threshold.
    async fn low_stock_alert(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let s = &self.settings;
        let Some(to) = &s.merchant_email else {
            return Ok(Outcome::Skipped("MERCHANT_EMAIL is not set".into()));
        };
        let (variants, items) = stock_subjects(conn, event).await?;
        let stock = store_notify::item_stock(conn, &variants, &items).await?;
        let fresh = mark_low_stock(conn, event, stock, s.low_stock_threshold).await?;
        if fresh.is_empty() {
            return Ok(Outcome::Skipped(
                "no item newly at or below the threshold".into(),
            ));
        }
        let email = store_notify::low_stock_alert(&s.store_name, to, &fresh, s.low_stock_threshold);
        self.send(email, Automation::LowStockAlert).await
    }

    /// Upserts the product's Strapi entry, or removes it once the product is gone.
    async fn strapi_sync(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let Some(sync) = &self.strapi_sync else {
            return Ok(Outcome::Skipped("STRAPI_SYNC_TOKEN is not set".into()));
        };
        let product = if event.name == names::PRODUCT_DELETED {
            None
        } else {
            SyncedProduct::load(conn, &event.aggregate_id).await?
        };
        let result = match product {
            Some(product) => sync.upsert(&product).await,
            // Deleted (or gone by the time this runs): remove its entry.
            None => {
                let handle = payload_str(event, "handle").unwrap_or_default();
                sync.delete(&event.aggregate_id, handle).await
            }
        };
        let outcome = result.map_err(|e| failed(Automation::StrapiProductSync, e.to_string()))?;
        tracing::info!(product_id = %event.aggregate_id, ?outcome, "Strapi product sync");
        Ok(Outcome::Done)
    }

    /// POSTs the event and its order, signed, to the fulfilment webhook.
    async fn fulfillment_webhook(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let fail = |message: String| failed(Automation::FulfillmentWebhook, message);
        let Some(hook) = &self.settings.webhook else {
            return Ok(Outcome::Skipped(
                "FULFILLMENT_WEBHOOK_URL is not set".into(),
            ));
        };
        let order_id = order_id_of(event);
        let order = match store::orders::retrieve(conn, order_id).await {
            Ok(order) => order,
            Err(err) => return Err(fail(format!("order {order_id}: {err}"))),
        };
        let body = serde_json::to_vec(&json!({ "event": event, "order": order }))
            .expect("JSON values serialize");
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .http
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(webhook::EVENT_HEADER, &event.name)
            .header(webhook::EVENT_ID_HEADER, &event.id)
            .header(webhook::TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                webhook::SIGNATURE_HEADER,
                webhook::sign(&hook.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| fail(format!("POST {}: {e}", hook.url)))?;
        if !response.status().is_success() {
            return Err(fail(format!(
                "POST {} answered {}",
                hook.url,
                response.status()
            )));
        }
        Ok(Outcome::Done)
    }

    /// Emails the customer the shipment's carrier and tracking number.
    async fn shipping_email(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let order_id = order_id_of(event);
        let Some(order) = store_notify::OrderSummary::load(conn, order_id).await? else {
            return Ok(Outcome::Skipped(format!("order {order_id} does not exist")));
        };
        let carrier = payload_str(event, "carrier").unwrap_or("the carrier");
        let tracking = payload_str(event, "tracking_number").unwrap_or("(none given)");
        let email =
            store_notify::shipping_notice(&self.settings.store_name, &order, carrier, tracking);
        self.send(email, Automation::ShippingEmail).await
    }

    /// Reminds the customer of a cart still open, with an email and items.
    async fn abandoned_cart(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let s = &self.settings;
        let Some(cart) = store_notify::CartSummary::load(conn, &event.aggregate_id).await? else {
            return Ok(Outcome::Skipped(format!(
                "cart {} does not exist",
                event.aggregate_id
            )));
        };
        if cart.completed {
            return Ok(Outcome::Skipped("the cart was completed meanwhile".into()));
        }
        let (Some(to), false) = (cart.email.clone(), cart.lines.is_empty()) else {
            return Ok(Outcome::Skipped(
                "the cart has no email or no items now".into(),
            ));
        };
        let email = store_notify::abandoned_cart(&s.store_name, &cart, &to, s.store_url.as_deref());
        self.send(email, Automation::AbandonedCart).await
    }

    /// Asks the customer to review an order that was not canceled.
    async fn review_request(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let s = &self.settings;
        let order_id = order_id_of(event);
        let Some(order) = store_notify::OrderSummary::load(conn, order_id).await? else {
            return Ok(Outcome::Skipped(format!("order {order_id} does not exist")));
        };
        if order.status == "canceled" {
            return Ok(Outcome::Skipped("the order was canceled".into()));
        }
        let email = store_notify::review_request(&s.store_name, &order, s.store_url.as_deref());
        self.send(email, Automation::ReviewRequest).await
    }

    /// Emails a customer the reset token, while it is still unused and unexpired.
    async fn password_reset_email(&self, event: &Envelope, conn: &mut PgConnection) -> Handled {
        let (Some(to), Some(token)) =
            (payload_str(event, "entity_id"), payload_str(event, "token"))
        else {
            return Err(HandlerError::Malformed(
                "auth.password_reset needs entity_id and token".into(),
            ));
        };
        let usable = sqlx::query_scalar!(
            r#"SELECT expires_at AS "expires_at!" FROM password_reset_tokens
                WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')
                  AND used_at IS NULL AND expires_at > now()"#,
            token,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(expires_at) = usable else {
            return Ok(Outcome::Skipped(
                "the reset token is used or expired".into(),
            ));
        };
        let s = &self.settings;
        let email = store_notify::password_reset(
            &s.store_name,
            to,
            token,
            expires_at,
            s.store_url.as_deref(),
        );
        self.send(email, Automation::PasswordResetEmail).await
    }

    async fn send(&self, email: store_notify::mail::Email, automation: Automation) -> Handled {
        if !self.mailer.is_enabled() {
            return Ok(Outcome::Skipped("MAIL_FROM is not set".into()));
        }
        let id = self
            .mailer
            .send(&email)
            .await
            .map_err(|e| failed(automation, e.to_string()))?;
        tracing::info!(to = %email.to, subject = %email.subject, ses_message_id = %id, "email sent");
        Ok(Outcome::Done)
    }
}

/// The automations subscribed to an event.
pub fn subscribers(event_name: &str) -> &'static [Automation] {
    match event_name {
        names::ORDER_PLACED => &[Automation::OrderConfirmation, Automation::LowStockAlert],
        names::INVENTORY_UPDATED => &[Automation::LowStockAlert],
        names::PRODUCT_CREATED | names::PRODUCT_UPDATED | names::PRODUCT_DELETED => {
            &[Automation::ProductCachePurge, Automation::StrapiProductSync]
        }
        names::ORDER_FULFILLMENT_CREATED => &[Automation::FulfillmentWebhook],
        names::SHIPMENT_CREATED => &[Automation::ShippingEmail],
        names::CART_ABANDONED => &[Automation::AbandonedCart],
        names::ORDER_REVIEW_REQUESTED => &[Automation::ReviewRequest],
        names::AUTH_PASSWORD_RESET => &[Automation::PasswordResetEmail],
        _ => &[],
    }
}

fn parse(body: &str) -> Result<Envelope, HandlerError> {
    // Read the version first, so a newer envelope is named as such, not as malformed.
    let value: Value =
        serde_json::from_str(body).map_err(|e| HandlerError::Malformed(e.to_string()))?;
    match value.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(ENVELOPE_VERSION) => {}
        Some(v) => return Err(HandlerError::Version(u32::try_from(v).unwrap_or(u32::MAX))),
        None => return Err(HandlerError::Malformed("no \"version\"".into())),
    }
    serde_json::from_value(value).map_err(|e| HandlerError::Malformed(e.to_string()))
}

fn payload_str<'a>(event: &'a Envelope, key: &str) -> Option<&'a str> {
    event.payload.get(key).and_then(Value::as_str)
}

/// The order an event is about: its payload's `order_id`, else the event's aggregate.
fn order_id_of(event: &Envelope) -> &str {
    payload_str(event, "order_id").unwrap_or(&event.aggregate_id)
}

fn payload_strings(event: &Envelope, key: &str) -> Vec<String> {
    match event.payload.get(key) {
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The variants and inventory items whose stock an event changed.
async fn stock_subjects(
    conn: &mut PgConnection,
    event: &Envelope,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    if event.name == names::ORDER_PLACED {
        let variants = sqlx::query_scalar!(
            r#"SELECT DISTINCT variant_id AS "variant_id!" FROM order_line_items WHERE order_id = $1 AND variant_id IS NOT NULL"#,
            event.aggregate_id
        )
        .fetch_all(&mut *conn)
        .await?;
        return Ok((variants, Vec::new()));
    }
    Ok((
        payload_strings(event, "variant_ids"),
        payload_strings(event, "inventory_item_id"),
    ))
}

/// A handler's failure: the queue message is retried.
fn failed(automation: Automation, message: String) -> HandlerError {
    HandlerError::Failed {
        handler: automation.name(),
        message,
    }
}

/// Marks the items at or below the threshold and re-arms the others; returns the
/// items newly marked. One alert per item while it stays low.
async fn mark_low_stock(
    conn: &mut PgConnection,
    event: &Envelope,
    stock: Vec<store_notify::ItemStock>,
    threshold: i64,
) -> Result<Vec<store_notify::ItemStock>, sqlx::Error> {
    let (low, recovered): (Vec<_>, Vec<_>) = stock
        .into_iter()
        .partition(|item| item.available <= threshold);
    let recovered: Vec<String> = recovered.into_iter().map(|i| i.inventory_item_id).collect();
    sqlx::query!(
        "DELETE FROM automation_marks WHERE kind = 'low-stock' AND aggregate_id = ANY($1)",
        &recovered
    )
    .execute(&mut *conn)
    .await?;
    let mut fresh = Vec::new();
    for item in low {
        let marked = sqlx::query!(
            "INSERT INTO automation_marks (kind, aggregate_id, event_id) VALUES ('low-stock', $1, $2)
                         ON CONFLICT DO NOTHING",
            item.inventory_item_id,
            event.id,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if marked {
            fresh.push(item);
        }
    }
    Ok(fresh)
}

impl Consumer {
    /// A Lambda invocation: an SQS batch (`Records`) or a schedule's `{"task": ...}`.
    pub async fn invoke(&self, payload: Value) -> Result<Value, lambda_runtime::Error> {
        self.warm_up.connected().await;
        if payload.get("Records").is_some() {
            let event: SqsEvent = serde_json::from_value(payload)?;
            return Ok(serde_json::to_value(self.handle_batch(event).await)?);
        }
        if let Some(task) = payload.get("task") {
            let task: schedule::Task = serde_json::from_value(task.clone())
                .map_err(|e| format!("unknown task {task}: {e}"))?;
            return Ok(serde_json::to_value(self.run_task(task).await?)?);
        }
        Err("expected an SQS event (Records) or a scheduled {\"task\": ...}".into())
    }
}
