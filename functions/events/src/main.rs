//! `events`: the Lambda function behind the events queue and the schedules; or, with
//! `events poll [--setup]`, a local poller that feeds the queue to the same code.

#![recursion_limit = "256"]

use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

const USAGE: &str =
    "usage: events            (as a Lambda function: SQS batches and {\"task\": ...} schedules)
       events poll [--setup]  (local: poll EVENTS_QUEUE_URL and run the scheduled tasks every
                             EVENTS_TASK_INTERVAL_SECONDS (30); --setup creates the queue, its
                             dead-letter queue and MAIL_FROM's identity first, for moto)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    store::logging::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let consumer = events::Consumer::from_env()?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
                let consumer = consumer.clone();
                async move { consumer.invoke(event.payload).await }
            }))
            .await
        }
        ["poll", rest @ ..] if rest.iter().all(|a| *a == "--setup") => {
            let queue_url = std::env::var("EVENTS_QUEUE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .ok_or("EVENTS_QUEUE_URL is required for `events poll`")?;
            let config =
                store::aws::AwsSettings::from_env("SQS").sdk_config(Duration::from_secs(30));
            let sqs = aws_sdk_sqs::Client::new(&config);
            if !rest.is_empty() {
                let name = queue_url.rsplit('/').next().unwrap_or("store-events");
                events::local::ensure_queues(&sqs, name, 5, Duration::from_secs(30)).await?;
                if let Some(from) = consumer.mailer.from_address() {
                    events::local::verify_sender(&aws_sdk_sesv2::Client::new(&config), from)
                        .await?;
                }
                tracing::info!(%queue_url, "queue, dead-letter queue and sender set up");
            }
            let every = std::env::var("EVENTS_TASK_INTERVAL_SECONDS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(30);
            events::local::run(&consumer, &sqs, &queue_url, Duration::from_secs(every)).await
        }
        _ => Err(USAGE.into()),
    }
}
