//! Email through Amazon SES v2. The sender is `MAIL_FROM`; without it nothing is sent
//! and the automations that send email report themselves switched off.
//!
//! Locally the AWS SDK talks to moto (`AWS_ENDPOINT_URL`), which keeps what was sent:
//! `curl -s http://127.0.0.1:4566/moto-api/data.json | jq '.ses.Message'`.

use aws_sdk_sesv2::types::{Body, Content, Destination as Recipients, EmailContent, Message};
use store::aws::Destination;

pub use store::money::format_money;

/// One email, in text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no sender configured (MAIL_FROM)")]
    NotConfigured,
    #[error("SES refused the email: {0}")]
    Ses(String),
}

/// Sends email from one address. Cheap to clone; the SES client is built on first use.
#[derive(Clone, Default)]
pub struct Mailer {
    sender: Destination<aws_sdk_sesv2::Client>,
}

impl Mailer {
    pub fn disabled() -> Self {
        Mailer::default()
    }

    /// Sends from `from` with the AWS SDK's default configuration.
    pub fn new(from: impl Into<String>) -> Self {
        Mailer {
            sender: Destination::new(from),
        }
    }

    pub fn with_client(from: impl Into<String>, client: aws_sdk_sesv2::Client) -> Self {
        Mailer {
            sender: Destination::with_client(from, client),
        }
    }

    /// From `MAIL_FROM`; disabled when it is unset or empty.
    pub fn from_env() -> Self {
        Mailer {
            sender: Destination::from_env("MAIL_FROM"),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.sender.address().is_some()
    }

    pub fn from_address(&self) -> Option<&str> {
        self.sender.address()
    }

    /// Sends `email`; returns SES's message id.
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let (from, client) = self
            .sender
            .client(|| async {
                let config = store::aws::AwsSettings::from_env("SESV2")
                    .sdk_config(std::time::Duration::from_secs(10));
                aws_sdk_sesv2::Client::new(&config)
            })
            .await
            .ok_or(MailError::NotConfigured)?;
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let message = Message::builder()
            .subject(content(&email.subject))
            .body(
                Body::builder()
                    .text(content(&email.text))
                    .html(content(&email.html))
                    .build(),
            )
            .build();
        let out = client
            .send_email()
            .from_email_address(from)
            .destination(Recipients::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|err| {
                MailError::Ses(aws_sdk_sesv2::error::DisplayErrorContext(&err).to_string())
            })?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_exactly_from_minor_units() {
        assert_eq!(format_money(1299, "eur"), "12.99 EUR");
        assert_eq!(format_money(5, "usd"), "0.05 USD");
        assert_eq!(format_money(-250, "usd"), "-2.50 USD");
        assert_eq!(format_money(1500, "jpy"), "1500 JPY");
        assert_eq!(format_money(12345, "kwd"), "12.345 KWD");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
