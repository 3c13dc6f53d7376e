//! Local stand-ins for what AWS does around the function: creating the queue and its
//! dead-letter queue (with a redrive policy, as `template.yaml` does), and polling the
//! queue the way Lambda's event source mapping does: receive up to ten messages, hand
//! them to the function as one batch, delete the ones it did not report as failed. A
//! failed message becomes visible again after the visibility timeout and, after
//! `maxReceiveCount` receives, the queue moves it to the dead-letter queue.
//!
//! Used by `events poll` (local development against moto) and by the tests.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};

use crate::schedule::Task;
use crate::Consumer;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct Queues {
    pub url: String,
    pub dlq_url: String,
}

/// Creates `name` and `name-dlq` (no-op when they exist with the same attributes).
pub async fn ensure_queues(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    max_receive_count: u32,
    visibility_timeout: Duration,
) -> Result<Queues, Error> {
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no URL")?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or("GetQueueAttributes returned no QueueArn")?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receive_count.to_string(),
    });
    let url = sqs
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_timeout.as_secs().to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no URL")?;
    Ok(Queues { url, dlq_url })
}

/// Registers `from` as a sending identity (moto refuses unverified senders, as SES's
/// sandbox does).
pub async fn verify_sender(ses: &aws_sdk_sesv2::Client, from: &str) -> Result<(), Error> {
    match ses
        .create_email_identity()
        .email_identity(from)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(aws_sdk_sesv2::error::DisplayErrorContext(err)
            .to_string()
            .into()),
    }
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub received: usize,
    pub failed: usize,
}

/// Receives one batch (waiting up to `wait` for it), lets the consumer handle it and
/// deletes what succeeded.
pub async fn poll_once(
    consumer: &Consumer,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    wait: Duration,
) -> Result<PollReport, Error> {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20).min(20))
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(PollReport::default());
    }
    let mut event = SqsEvent::default();
    for m in &messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.receipt_handle = m.receipt_handle.clone();
        record.body = m.body.clone();
        event.records.push(record);
    }
    let response = consumer.handle_batch(event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let entries: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| !failed.contains(&m.message_id.as_deref().unwrap_or_default()))
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                .build()
                .expect("id and receipt handle are set")
        })
        .collect();
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await?;
    }
    Ok(PollReport {
        received: messages.len(),
        failed: failed.len(),
    })
}

/// Polls forever and runs the scheduled tasks every `task_every` (local development).
pub async fn run(
    consumer: &Consumer,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    task_every: Duration,
) -> ! {
    let mut last_tasks: Option<Instant> = None;
    loop {
        if last_tasks.is_none_or(|t| t.elapsed() >= task_every) {
            for task in Task::ALL {
                if let Err(err) = consumer.run_task(task).await {
                    tracing::warn!(?task, error = %err, "scheduled task failed");
                }
            }
            last_tasks = Some(Instant::now());
        }
        if let Err(err) = poll_once(consumer, sqs, queue_url, Duration::from_secs(5)).await {
            tracing::warn!(error = %err, "polling the events queue failed; retrying in 5 s");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
}
