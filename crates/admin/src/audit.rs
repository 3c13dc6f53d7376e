//! Who changed what and when: one row per admin change, written in the change's
//! transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::wire::{AuditEntry, AuditPage};
use super::AdminContext;
use store::error::ApiResult;
use store::id::new_id;

pub async fn record(
    conn: &mut PgConnection,
    actor: &AdminContext,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_log (id, actor_id, action, resource_type, resource_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        new_id("audit"),
        actor.actor_id,
        action,
        resource_type,
        resource_id,
        before,
        after,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `record` of `<kind>.created`: nothing before, `after` after.
pub async fn created(
    conn: &mut PgConnection,
    actor: &AdminContext,
    kind: &str,
    id: &str,
    after: Value,
) -> Result<(), sqlx::Error> {
    let action = format!("{kind}.created");
    record(conn, actor, &action, kind, id, None, Some(after)).await
}

/// `record` of `<kind>.updated`.
pub async fn updated(
    conn: &mut PgConnection,
    actor: &AdminContext,
    kind: &str,
    id: &str,
    before: Value,
    after: Value,
) -> Result<(), sqlx::Error> {
    let action = format!("{kind}.updated");
    record(conn, actor, &action, kind, id, Some(before), Some(after)).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub actor_id: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

struct AuditRow {
    id: String,
    actor_id: String,
    action: String,
    resource_type: String,
    resource_id: String,
    before: Option<Value>,
    after: Option<Value>,
    at: DateTime<Utc>,
    total: i64,
}

/// `{audit_log, count, offset, limit}`, newest first.
pub async fn list(pool: &PgPool, filter: &AuditFilter) -> ApiResult<AuditPage> {
    let limit = filter.limit.unwrap_or(50).clamp(0, 500);
    let offset = filter.offset.unwrap_or(0).max(0);
    let rows = sqlx::query_as!(
        AuditRow,
        r#"SELECT id, actor_id, action, resource_type, resource_id, before, after, at,
                  count(*) OVER () AS "total!"
             FROM audit_log
            WHERE ($1::text IS NULL OR resource_id = $1)
              AND ($2::text IS NULL OR resource_type = $2)
              AND ($3::text IS NULL OR actor_id = $3)
            ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5"#,
        filter.resource_id,
        filter.resource_type,
        filter.actor_id,
        limit,
        offset,
    )
    .fetch_all(pool)
    .await?;
    let count = rows.first().map_or(0, |r| r.total);
    let audit_log = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            actor_id: r.actor_id,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: r.before,
            after: r.after,
            created_at: r.at,
        })
        .collect();
    Ok(AuditPage {
        audit_log,
        count,
        offset,
        limit,
    })
}
