//! Product sync: commerce products pushed to Strapi's `product-content` collection, keyed
//! by handle, through Strapi's REST API with a write token (`STRAPI_SYNC_TOKEN`).
//!
//! Only the fields commerce owns are written: the handle, and when the collection has
//! fields for them (`STRAPI_SYNC_ID_FIELD`, `STRAPI_SYNC_TITLE_FIELD`), the product id
//! and title. Editorial fields are never touched. Every write goes to the draft
//! version (`?status=draft`): new entries are drafts, and an update changes the draft
//! only, so neither publishes anything; editors publish.
//!
//! No loop: Strapi's webhooks only purge the content cache here and never write to
//! commerce, and an update that would not change anything is not sent (so a repeated
//! event does not make Strapi fire webhooks again).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use serde_json::{json, Map, Value};
use sqlx::PgConnection;

use super::config::Secret;
use crate::config::ConfigError;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// `STRAPI_URL`, without a trailing slash.
    pub strapi_url: String,
    /// `STRAPI_SYNC_TOKEN`: an API token that may create, update and delete entries.
    pub token: Secret,
    /// `STRAPI_SYNC_COLLECTION`: the plural API id (`product-contents`).
    pub collection: String,
    /// `STRAPI_SYNC_ID_FIELD`: a text field for the commerce product id, if any.
    pub id_field: Option<String>,
    /// `STRAPI_SYNC_TITLE_FIELD`: a text field for the product title, if any.
    pub title_field: Option<String>,
    /// `STRAPI_TIMEOUT_MS` (5000).
    pub timeout: Duration,
}

impl SyncConfig {
    /// `Ok(None)` when `STRAPI_URL` or `STRAPI_SYNC_TOKEN` is unset: no sync.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (Some(url), Some(token)) = (value("STRAPI_URL"), value("STRAPI_SYNC_TOKEN")) else {
            return Ok(None);
        };
        let strapi_url = url.trim_end_matches('/').to_string();
        if url::Url::parse(&strapi_url).is_err() {
            return Err(ConfigError::Invalid {
                name: "STRAPI_URL",
                reason: "not an absolute URL".into(),
            });
        }
        let field = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match value(name) {
                Some(f) if !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    Err(ConfigError::Invalid {
                        name,
                        reason: format!("{f:?} is not a field name"),
                    })
                }
                other => Ok(other),
            }
        };
        let collection =
            value("STRAPI_SYNC_COLLECTION").unwrap_or_else(|| "product-contents".into());
        if !collection
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConfigError::Invalid {
                name: "STRAPI_SYNC_COLLECTION",
                reason: format!("{collection:?} is not a plural API id"),
            });
        }
        let timeout_ms = match value("STRAPI_TIMEOUT_MS") {
            None => 5000,
            Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
                name: "STRAPI_TIMEOUT_MS",
                reason: "expected a whole number".into(),
            })?,
        };
        Ok(Some(SyncConfig {
            strapi_url,
            token: Secret::new(token),
            collection,
            id_field: field("STRAPI_SYNC_ID_FIELD")?,
            title_field: field("STRAPI_SYNC_TITLE_FIELD")?,
            timeout: Duration::from_millis(timeout_ms),
        }))
    }
}

/// What commerce tells Strapi about a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedProduct {
    pub id: String,
    pub handle: String,
    pub title: String,
}

impl SyncedProduct {
    pub async fn load(conn: &mut PgConnection, id: &str) -> Result<Option<Self>, sqlx::Error> {
        sqlx::query_as!(
            SyncedProduct,
            "SELECT id, handle, title FROM products WHERE id = $1",
            id
        )
        .fetch_optional(conn)
        .await
    }
}

/// Strapi 5 publishes on every REST `POST` and `PUT` unless the query string says
/// `status=draft` (a `publishedAt: null` in the body, Strapi 4's way, is ignored), and a
/// `PUT` without it would publish whatever draft an editor left: every write carries it.
const DRAFT: &[(&str, &str)] = &[("status", "draft")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Created,
    Updated,
    Unchanged,
    Deleted,
    /// Nothing in Strapi to delete.
    Absent,
}

#[derive(Debug, thiserror::Error)]
#[error("Strapi product sync: {0}")]
pub struct SyncError(String);

#[derive(Clone)]
pub struct ProductSync {
    http: reqwest::Client,
    config: SyncConfig,
}

impl ProductSync {
    pub fn new(config: SyncConfig) -> Result<Self, reqwest::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", config.token.expose())) {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .build()?;
        Ok(ProductSync { http, config })
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/api/{}{rest}",
            self.config.strapi_url, self.config.collection
        )
    }

    /// The fields commerce owns, as they should be in Strapi.
    fn fields(&self, product: &SyncedProduct) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("handle".into(), json!(product.handle));
        if let Some(f) = &self.config.id_field {
            data.insert(f.clone(), json!(product.id));
        }
        if let Some(f) = &self.config.title_field {
            data.insert(f.clone(), json!(product.title));
        }
        data
    }

    /// The entry for this product (draft version, so new drafts are found too): by the id
    /// field when there is one (the handle may have changed), else by handle.
    async fn find(&self, product_id: &str, handle: &str) -> Result<Option<Value>, SyncError> {
        let (field, value) = match &self.config.id_field {
            Some(f) => (f.as_str(), product_id),
            None => ("handle", handle),
        };
        let response = self
            .http
            .get(self.url(""))
            .query(&[
                (format!("filters[{field}][$eq]"), value),
                ("status".to_string(), "draft"),
                ("pagination[pageSize]".to_string(), "1"),
            ])
            .send()
            .await
            .map_err(|e| SyncError(describe(&e)))?;
        let body = check(response).await?;
        Ok(body["data"].as_array().and_then(|d| d.first()).cloned())
    }

    /// Creates or updates the product's entry.
    pub async fn upsert(&self, product: &SyncedProduct) -> Result<SyncOutcome, SyncError> {
        let wanted = self.fields(product);
        match self.find(&product.id, &product.handle).await? {
            Some(entry) => {
                if wanted.iter().all(|(k, v)| entry.get(k) == Some(v)) {
                    return Ok(SyncOutcome::Unchanged);
                }
                let document_id = document_id(&entry)?;
                let put = self.http.put(self.url(&format!("/{document_id}")));
                self.write_draft(put, &wanted).await?;
                Ok(SyncOutcome::Updated)
            }
            None => {
                self.write_draft(self.http.post(self.url("")), &wanted)
                    .await?;
                Ok(SyncOutcome::Created)
            }
        }
    }

    /// Sends the entry's fields as a draft ([`DRAFT`]).
    async fn write_draft(
        &self,
        request: reqwest::RequestBuilder,
        wanted: &Map<String, Value>,
    ) -> Result<(), SyncError> {
        let response = request
            .query(DRAFT)
            .json(&json!({ "data": wanted }))
            .send()
            .await
            .map_err(|e| SyncError(describe(&e)))?;
        check(response).await?;
        Ok(())
    }

    /// Deletes the product's entry (every version of the document).
    pub async fn delete(&self, product_id: &str, handle: &str) -> Result<SyncOutcome, SyncError> {
        let Some(entry) = self.find(product_id, handle).await? else {
            return Ok(SyncOutcome::Absent);
        };
        let document_id = document_id(&entry)?;
        let response = self
            .http
            .delete(self.url(&format!("/{document_id}")))
            .send()
            .await
            .map_err(|e| SyncError(describe(&e)))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(SyncOutcome::Absent); // deleted meanwhile
        }
        check(response).await?;
        Ok(SyncOutcome::Deleted)
    }
}

fn document_id(entry: &Value) -> Result<String, SyncError> {
    entry["documentId"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| SyncError("the entry has no documentId (is this Strapi 5?)".into()))
}

/// The JSON body of a 2xx answer; anything else is an error with Strapi's message.
async fn check(response: reqwest::Response) -> Result<Value, SyncError> {
    let status = response.status();
    if status == reqwest::StatusCode::NO_CONTENT {
        return Ok(Value::Null);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let message = body["error"]["message"].as_str().unwrap_or("no message");
    Err(SyncError(format!(
        "Strapi answered {}: {}",
        status.as_u16(),
        message.chars().take(300).collect::<String>()
    )))
}

fn describe(err: &reqwest::Error) -> String {
    format!("Strapi: {}", super::strapi::describe(err))
}
