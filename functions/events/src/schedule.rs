//! Scheduled tasks. In AWS an EventBridge schedule invokes the function with
//! `{"task": "<name>"}`; locally the poller runs them on a timer.
//!
//! Reminders and review requests are announced as events, not sent from here: the task
//! marks the cart or order in `automation_marks` and writes the event in one transaction
//! (so each gets at most one, also with concurrent runs), and the consumer sends the
//! email with its usual once-per-event guarantee.

use serde::{Deserialize, Serialize};

use store::events::{self, names};

use crate::{Automation, Consumer};

/// How many carts or orders one run announces at most.
const BATCH: i64 = 200;
/// How many outbox rows one sweep sends at most.
const SWEEP_LIMIT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Resends outbox events a relay did not send.
    OutboxSweep,
    /// Announces `cart.abandoned` for idle carts with an email and items.
    AbandonedCarts,
    /// Announces `order.review_requested` some days after `delivery.created`.
    ReviewRequests,
}

impl Task {
    pub const ALL: [Task; 3] = [
        Task::OutboxSweep,
        Task::AbandonedCarts,
        Task::ReviewRequests,
    ];
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaskReport {
    /// Events written (reminders, review requests) or sent (sweep).
    pub events: usize,
    /// Outbox rows SQS did not take (sweep).
    pub failed: usize,
}

impl Consumer {
    pub async fn run_task(&self, task: Task) -> Result<TaskReport, sqlx::Error> {
        let s = &self.settings;
        let report = match task {
            Task::OutboxSweep => {
                let sweep = self.relay.sweep(&self.pool, s.sweep_grace, SWEEP_LIMIT).await?;
                TaskReport { events: sweep.sent, failed: sweep.failed }
            }
            Task::AbandonedCarts if s.is_enabled(Automation::AbandonedCart) => {
                self.announce(
                    "abandoned-cart",
                    names::CART_ABANDONED,
                    // Idle carts that can still be completed and have someone to remind.
                    "SELECT c.id, json_build_object('cart_id', c.id) FROM carts c
                      WHERE c.completed_at IS NULL AND c.email IS NOT NULL
                        AND c.updated_at < now() - make_interval(secs => $1)
                        AND EXISTS (SELECT 1 FROM cart_line_items l WHERE l.cart_id = c.id)
                        AND NOT EXISTS (SELECT 1 FROM automation_marks m
                                         WHERE m.kind = 'abandoned-cart' AND m.aggregate_id = c.id)
                      ORDER BY c.updated_at LIMIT $2",
                    s.abandoned_after.as_secs_f64(),
                )
                .await?
            }
            Task::ReviewRequests if s.is_enabled(Automation::ReviewRequest) => {
                self.announce(
                    "review-request",
                    names::ORDER_REVIEW_REQUESTED,
                    "SELECT DISTINCT ON (e.payload->>'order_id') e.payload->>'order_id',
                            json_build_object('order_id', e.payload->>'order_id', 'delivered_at', e.occurred_at)
                       FROM outbox_events e
                      WHERE e.name = 'delivery.created' AND e.payload ? 'order_id'
                        AND e.occurred_at < now() - make_interval(secs => $1)
                        AND NOT EXISTS (SELECT 1 FROM automation_marks m
                                         WHERE m.kind = 'review-request' AND m.aggregate_id = e.payload->>'order_id')
                      ORDER BY e.payload->>'order_id', e.occurred_at LIMIT $2",
                    s.review_after.as_secs_f64(),
                )
                .await?
            }
            Task::AbandonedCarts | Task::ReviewRequests => TaskReport::default(),
        };
        tracing::info!(?task, ?report, "scheduled task ran");
        Ok(report)
    }

    /// Marks each candidate and writes its event in one transaction, then relays them.
    /// `candidates` selects `(aggregate id, payload)` given `$1` (an age in seconds) and
    /// `$2` (a limit).
    async fn announce(
        &self,
        kind: &str,
        event_name: &str,
        candidates: &'static str,
        age_secs: f64,
    ) -> Result<TaskReport, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // dynamic: each scheduled task brings its own candidate select.
        let rows: Vec<(String, serde_json::Value)> = sqlx::query_as(candidates)
            .bind(age_secs)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
        let mut ids = Vec::new();
        for (aggregate_id, payload) in rows {
            let event_id = store::id::new_id("evt");
            // A concurrent run may have marked it since our select: then it is theirs.
            let marked = sqlx::query!(
                "INSERT INTO automation_marks (kind, aggregate_id, event_id) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                kind,
                aggregate_id,
                event_id,
            )
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if marked {
                events::record_with_id(&mut tx, &event_id, event_name, &aggregate_id, payload)
                    .await?;
                ids.push(event_id);
            }
        }
        tx.commit().await?;
        self.relay.publish(&self.pool, &ids).await;
        Ok(TaskReport {
            events: ids.len(),
            failed: 0,
        })
    }
}
