//! The migrate function: a CloudFormation custom resource that applies the embedded
//! migrations (the same ones `storectl migrate` applies locally) on every deploy that
//! changes them. Migrations are idempotent, so a repeated run changes nothing.
//!
//! CloudFormation waits for an answer PUT to the event's pre-signed `ResponseURL`;
//! every outcome, failures included, is answered, so a bad deploy fails fast instead of
//! hanging for an hour.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const PHYSICAL_ID: &str = "database-migrations";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceEvent {
    pub request_type: String,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    #[serde(default)]
    pub resource_properties: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CustomResourceResponse<'a> {
    status: &'a str,
    reason: String,
    physical_resource_id: &'a str,
    stack_id: &'a str,
    request_id: &'a str,
    logical_resource_id: &'a str,
    data: Value,
}

pub fn response_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
}

/// Applies migrations on Create and Update (Delete keeps the data) and reports the
/// outcome to CloudFormation. Errors only when the answer itself cannot be delivered.
pub async fn handle(
    event: CustomResourceEvent,
    database_url: Option<&str>,
    client: &reqwest::Client,
) -> Result<(), lambda_http::Error> {
    let outcome = match event.request_type.as_str() {
        "Delete" => Ok(json!({ "Applied": 0 })),
        "Create" | "Update" => match database_url {
            None => Err("DATABASE_URL is not set for the migrate function".to_string()),
            Some(url) => apply(url).await,
        },
        other => Err(format!("unknown RequestType {other:?}")),
    };
    let (status, reason, data) = match outcome {
        Ok(data) => ("SUCCESS", format!("{} done", event.request_type), data),
        Err(reason) => {
            tracing::error!(%reason, "migrations failed");
            ("FAILED", reason, json!({}))
        }
    };
    let body = CustomResourceResponse {
        status,
        reason,
        physical_resource_id: event.physical_resource_id.as_deref().unwrap_or(PHYSICAL_ID),
        stack_id: &event.stack_id,
        request_id: &event.request_id,
        logical_resource_id: &event.logical_resource_id,
        data,
    };
    // The pre-signed URL is signed without a content type, so none may be sent.
    let response = client
        .put(&event.response_url)
        .header(reqwest::header::CONTENT_TYPE, "")
        .body(serde_json::to_vec(&body)?)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("CloudFormation refused the answer: {}", response.status()).into());
    }
    Ok(())
}

async fn apply(url: &str) -> Result<Value, String> {
    let pool = store::db::connect_and_migrate(url).await.map_err(|e| {
        format!(
            "cannot migrate the database: {}",
            without_secrets(&e.to_string(), url)
        )
    })?;
    // Runtime SQL: `_sqlx_migrations` is sqlx's own table, absent from the schema the
    // query macros are checked against.
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .map_err(|e| format!("cannot read the migration history: {e}"))?;
    pool.close().await;
    Ok(json!({ "Applied": applied }))
}

/// An error text without the database URL's password, should the driver quote it.
fn without_secrets(message: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message.to_string(),
    }
}
