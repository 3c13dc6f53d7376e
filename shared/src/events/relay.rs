//! The relay: sends outbox rows to SQS with `SendMessageBatch`.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED` in a transaction that stays open while
//! they are sent, and marked published in that transaction: a relay right after commit
//! and any number of concurrent sweeps never send one row twice. A row whose send fails
//! keeps `published_at` empty, counts the attempt and the error, and waits for the sweep.
//! (SQS delivers at least once anyway; the consumer is idempotent per event id.)

use std::time::Duration;

use super::{Envelope, ENVELOPE_VERSION};
use crate::aws::Destination;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

/// SQS takes at most ten messages per `SendMessageBatch`.
const BATCH: usize = 10;
/// Rows one sweep transaction claims; their batches are sent concurrently.
const SWEEP_CLAIM: usize = 100;

/// Publishes outbox rows to the events queue. Cheap to clone; the SQS client is built on
/// first use, so a cold start does not wait for it.
#[derive(Clone, Default)]
pub struct Relay {
    queue: Destination<aws_sdk_sqs::Client>,
}

/// The queue and its client, for one publish or sweep.
struct Target<'a> {
    queue_url: &'a str,
    client: &'a aws_sdk_sqs::Client,
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub sent: usize,
    pub failed: usize,
}

impl Relay {
    /// A relay that sends nothing: events stay in the outbox (no queue configured).
    pub fn disabled() -> Self {
        Relay::default()
    }

    /// Sends to `queue_url` with the AWS SDK's default configuration (region, credentials
    /// and endpoint from the environment: `AWS_ENDPOINT_URL_SQS` or `AWS_ENDPOINT_URL`
    /// point it at a local server).
    pub fn new(queue_url: impl Into<String>) -> Self {
        Relay {
            queue: Destination::new(queue_url),
        }
    }

    /// Like [`Relay::new`] with a client built by the caller.
    pub fn with_client(queue_url: impl Into<String>, client: aws_sdk_sqs::Client) -> Self {
        Relay {
            queue: Destination::with_client(queue_url, client),
        }
    }

    /// From `EVENTS_QUEUE_URL`; disabled when it is unset or empty.
    pub fn from_env() -> Self {
        Relay {
            queue: Destination::from_env("EVENTS_QUEUE_URL"),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.queue.address().is_some()
    }

    /// The queue and its client (built the first time), or None without a queue.
    async fn target(&self) -> Option<Target<'_>> {
        let (queue_url, client) = self
            .queue
            .client(|| async { sqs_client(&crate::aws::AwsSettings::from_env("SQS")) })
            .await?;
        Some(Target { queue_url, client })
    }

    /// Sends the events with these ids, right after the transaction that wrote them
    /// committed. Never fails the caller: what is not sent stays in the outbox for the
    /// sweep, and the failure is logged.
    pub async fn publish(&self, pool: &PgPool, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let Some(target) = self.target().await else {
            return;
        };
        let result = async {
            let mut tx = pool.begin().await?;
            let rows = claim(&mut tx, Claim::These(ids)).await?;
            let report = target.send(&mut tx, rows).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(report)
        }
        .await;
        match result {
            Ok(report) if report.failed > 0 => {
                tracing::warn!(
                    failed = report.failed,
                    "events left in the outbox for the sweep"
                )
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "could not relay events; the sweep will send them")
            }
        }
    }

    /// Sends up to `limit` unpublished events that are older than `grace` (younger ones
    /// are still in the hands of the relay of the request that wrote them).
    pub async fn sweep(
        &self,
        pool: &PgPool,
        grace: Duration,
        limit: usize,
    ) -> Result<SweepReport, sqlx::Error> {
        let Some(target) = self.target().await else {
            return Ok(SweepReport::default());
        };
        let mut total = SweepReport::default();
        while total.sent + total.failed < limit {
            let mut tx = pool.begin().await?;
            let rows = claim(
                &mut tx,
                Claim::OlderThan {
                    grace,
                    limit: SWEEP_CLAIM.min(limit - total.sent - total.failed),
                },
            )
            .await?;
            if rows.is_empty() {
                break;
            }
            let report = target.send(&mut tx, rows).await?;
            tx.commit().await?;
            total.sent += report.sent;
            total.failed += report.failed;
            if report.sent == 0 {
                break; // SQS refuses everything: try again at the next sweep.
            }
        }
        Ok(total)
    }
}

/// The relay's SQS client. A checkout waits for its relay, so that wait is bounded (3 s)
/// and a failed send is not retried: the event stays in the outbox and the sweep sends
/// it later, rather than the shopper waiting through the SDK's retries.
pub fn sqs_client(settings: &crate::aws::AwsSettings) -> aws_sdk_sqs::Client {
    let config = settings.sdk_config(Duration::from_secs(3));
    let sqs = aws_sdk_sqs::config::Builder::from(&config)
        .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sqs::Client::from_conf(sqs)
}

/// Which unpublished events a relay claims.
enum Claim<'a> {
    /// These, just written.
    These(&'a [String]),
    /// The oldest ones, left for at least `grace`.
    OlderThan { grace: Duration, limit: usize },
}

/// Unpublished rows, locked for this transaction, skipping rows another relay holds.
async fn claim(tx: &mut PgConnection, which: Claim<'_>) -> Result<Vec<Envelope>, sqlx::Error> {
    let rows = match which {
        Claim::These(ids) => {
            sqlx::query_as!(
                Row,
                "SELECT id, name, aggregate_id, occurred_at, payload FROM outbox_events
                  WHERE id = ANY($1) AND published_at IS NULL
                  ORDER BY occurred_at, id FOR UPDATE SKIP LOCKED",
                ids
            )
            .fetch_all(&mut *tx)
            .await?
        }
        Claim::OlderThan { grace, limit } => {
            sqlx::query_as!(
                Row,
                "SELECT id, name, aggregate_id, occurred_at, payload FROM outbox_events
                  WHERE published_at IS NULL AND occurred_at < now() - make_interval(secs => $1)
                  ORDER BY occurred_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                grace.as_secs_f64(),
                i64::try_from(limit).unwrap_or(i64::MAX),
            )
            .fetch_all(&mut *tx)
            .await?
        }
    };
    Ok(rows.into_iter().map(Row::into_envelope).collect())
}

/// An outbox row.
struct Row {
    id: String,
    name: String,
    aggregate_id: String,
    occurred_at: DateTime<Utc>,
    payload: Value,
}

impl Row {
    fn into_envelope(self) -> Envelope {
        Envelope {
            version: ENVELOPE_VERSION,
            id: self.id,
            name: self.name,
            aggregate_id: self.aggregate_id,
            occurred_at: self.occurred_at,
            payload: self.payload,
        }
    }
}

impl Target<'_> {
    /// Sends one batch of at most ten; returns the ids SQS took and the ones it did not,
    /// with the reason.
    async fn send_batch(&self, chunk: &[Envelope]) -> (Vec<String>, Vec<(String, String)>) {
        let entries = chunk
            .iter()
            .map(|event| {
                let body = serde_json::to_string(event).expect("an envelope serializes");
                SendMessageBatchRequestEntry::builder()
                    .id(&event.id)
                    .message_body(body)
                    .build()
                    .expect("id and body are set")
            })
            .collect();
        let result = self
            .client
            .send_message_batch()
            .queue_url(self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
        match result {
            Ok(out) => (
                out.successful()
                    .iter()
                    .map(|s| s.id().to_string())
                    .collect(),
                out.failed()
                    .iter()
                    .map(|f| {
                        let reason = format!("{}: {}", f.code(), f.message().unwrap_or(""));
                        (f.id().to_string(), reason)
                    })
                    .collect(),
            ),
            Err(err) => {
                let reason = aws_sdk_sqs::error::DisplayErrorContext(&err).to_string();
                let failed = chunk
                    .iter()
                    .map(|e| (e.id.clone(), reason.clone()))
                    .collect();
                (Vec::new(), failed)
            }
        }
    }

    /// Sends `rows` (batches of ten, concurrently) and records the outcome of each on `tx`.
    async fn send(
        &self,
        tx: &mut PgConnection,
        rows: Vec<Envelope>,
    ) -> Result<SweepReport, sqlx::Error> {
        let outcomes =
            futures_util::future::join_all(rows.chunks(BATCH).map(|c| self.send_batch(c))).await;
        let mut report = SweepReport::default();
        for (sent, failed) in outcomes {
            sqlx::query!(
                "UPDATE outbox_events SET published_at = now(), attempts = attempts + 1, last_error = NULL
                  WHERE id = ANY($1)",
                &sent
            )
            .execute(&mut *tx)
            .await?;
            for (id, reason) in &failed {
                tracing::warn!(event_id = %id, error = %reason, "SQS did not take an event");
                sqlx::query!(
                    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                    id,
                    reason
                )
                .execute(&mut *tx)
                .await?;
            }
            report.sent += sent.len();
            report.failed += failed.len();
        }
        Ok(report)
    }
}
