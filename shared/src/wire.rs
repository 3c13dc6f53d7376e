//! Small helpers for rendering values the way Medusa's JSON has them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// `2026-11-25T17:36:21.713Z`
pub fn timestamp(at: &DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub fn optional_timestamp(at: &Option<DateTime<Utc>>) -> Value {
    at.as_ref().map(timestamp).unwrap_or(Value::Null)
}

/// [`timestamp`] for `#[serde(serialize_with)]`.
pub fn ser_timestamp<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// [`optional_timestamp`] for `#[serde(serialize_with)]`.
pub fn ser_optional_timestamp<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => ser_timestamp(at, s),
        None => s.serialize_none(),
    }
}

/// `{ <plural>: [...], count, offset, limit }`
pub fn list(plural: &str, items: Vec<Value>, count: i64, offset: i64, limit: i64) -> Value {
    let mut body = serde_json::Map::new();
    body.insert(plural.to_string(), Value::Array(items));
    body.insert("count".into(), count.into());
    body.insert("offset".into(), offset.into());
    body.insert("limit".into(), limit.into());
    Value::Object(body)
}
