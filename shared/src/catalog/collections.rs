//! Product collections.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::catalog::regions::escape_like;
use crate::error::{ApiError, ApiResult};
use crate::wire::timestamp;

pub const COLLECTION_FIELDS: [&str; 8] = [
    "id",
    "title",
    "handle",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "products",
];

pub const COLLECTION_ORDER_COLUMNS: [&str; 5] =
    ["id", "title", "handle", "created_at", "updated_at"];

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub metadata: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub total: i64,
}

#[derive(Debug, Default)]
pub struct CollectionFilter {
    pub ids: Option<Vec<String>>,
    pub handles: Option<Vec<String>>,
    pub titles: Option<Vec<String>>,
    pub q: Option<String>,
}

pub async fn list(
    pool: &PgPool,
    filter: &CollectionFilter,
    order: (&'static str, bool),
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<Collection>, i64)> {
    super::paged(
        limit,
        offset,
        |c: &Collection| c.total,
        |limit, offset| page(pool, filter, order, limit, offset),
    )
    .await
}

async fn page(
    pool: &PgPool,
    filter: &CollectionFilter,
    order: (&'static str, bool),
    limit: i64,
    offset: i64,
) -> ApiResult<Vec<Collection>> {
    let (column, descending) = order;
    let direction = if descending { "DESC" } else { "ASC" };
    // `column` comes from COLLECTION_ORDER_COLUMNS, never from the request text.
    let sql = format!(
        "SELECT c.id, c.title, c.handle, c.metadata, c.created_at, c.updated_at,
                count(*) OVER () AS total
           FROM product_collections c
          WHERE ($1::text[] IS NULL OR c.id = ANY($1))
            AND ($2::text[] IS NULL OR c.handle = ANY($2))
            AND ($3::text[] IS NULL OR c.title = ANY($3))
            AND ($4::text IS NULL OR c.title ILIKE '%' || $4 || '%' OR c.handle ILIKE '%' || $4 || '%')
          ORDER BY c.{column} {direction}, c.id {direction}
          LIMIT $5 OFFSET $6"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&filter.ids)
        .bind(&filter.handles)
        .bind(&filter.titles)
        .bind(filter.q.as_deref().map(escape_like))
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?)
}

pub fn render(c: &Collection) -> Value {
    json!({
        "id": c.id, "title": c.title, "handle": c.handle, "metadata": c.metadata,
        "created_at": timestamp(&c.created_at), "updated_at": timestamp(&c.updated_at),
        "deleted_at": null,
    })
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Collection with id: {id} was not found"))
}
