//! The moto server `scripts/test` starts (`TEST_AWS_ENDPOINT_URL`): SQS queues per test
//! and the emails SES "sent".

use std::time::Duration;

use aws_sdk_sqs::config::Credentials;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use events::local::Queues;

pub struct Moto {
    pub endpoint: String,
    pub sqs: aws_sdk_sqs::Client,
    pub ses: aws_sdk_sesv2::Client,
}

/// An email as moto recorded it (the HTML part when there is one).
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub source: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

impl Moto {
    pub async fn new() -> Self {
        let endpoint = std::env::var("TEST_AWS_ENDPOINT_URL").unwrap_or_else(|_| {
            panic!("TEST_AWS_ENDPOINT_URL is not set: run the tests with scripts/test, which starts moto")
        });
        let config = store::aws::AwsSettings {
            region: "us-east-1".into(),
            credentials: Some(Credentials::new("test", "test", None, None, "tests")),
            endpoint_url: Some(endpoint.clone()),
        }
        .sdk_config(Duration::from_secs(30));
        Moto {
            endpoint,
            sqs: aws_sdk_sqs::Client::new(&config),
            ses: aws_sdk_sesv2::Client::new(&config),
        }
    }

    /// A queue and its dead-letter queue for one test. Messages a handler fails become
    /// visible again at once (visibility timeout 0), so retries need no waiting.
    /// The events consumer of `store`, sending its emails from `from` through moto's SES.
    pub fn consumer(
        &self,
        store: &crate::TestStore,
        from: String,
        relay: &store::events::Relay,
        settings: events::Settings,
    ) -> events::Consumer {
        events::Consumer::new(
            store.pool.clone(),
            store.state.cache.clone(),
            store_notify::mail::Mailer::with_client(from, self.ses.clone()),
            relay.clone(),
            settings,
        )
    }

    pub async fn queues(&self, name: &str, max_receive_count: u32) -> Queues {
        events::local::ensure_queues(&self.sqs, name, max_receive_count, Duration::ZERO)
            .await
            .expect("create queues in moto")
    }

    /// Messages on a queue, visible or in flight.
    pub async fn depth(&self, queue_url: &str) -> usize {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes
            .unwrap_or_default();
        attributes
            .values()
            .map(|v| v.parse::<usize>().unwrap_or(0))
            .sum()
    }

    /// Receives (and deletes) every message on a queue; returns the bodies.
    pub async fn take_all(&self, queue_url: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("ReceiveMessage");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for m in messages {
                bodies.push(m.body.clone().unwrap_or_default());
                self.sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .expect("DeleteMessage");
            }
        }
    }

    /// The emails SES accepted for `to`, oldest first.
    pub async fn emails_to(&self, to: &str) -> Vec<SentEmail> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", self.endpoint))
            .await
            .expect("moto data")
            .json()
            .await
            .expect("moto data is JSON");
        data["ses"]["Message"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|m| SentEmail {
                source: m["source"].as_str().unwrap_or_default().to_string(),
                to: m["destinations"]["ToAddresses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                subject: m["subject"].as_str().unwrap_or_default().to_string(),
                body: m["body"].as_str().unwrap_or_default().to_string(),
            })
            .filter(|m| m.to.iter().any(|t| t == to))
            .collect()
    }
}
