//! Product collections.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::catalog::regions::escape_like;
use crate::error::{ApiError, ApiResult};
use crate::query::{Conjunction, DateRange, StoreQuery};
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
    pub created_at: DateRange,
    pub updated_at: DateRange,
    /// `$and`/`$or`: groups of filters, each branch a filter of its own.
    pub groups: Vec<(Conjunction, Vec<CollectionFilter>)>,
}

/// The filter keys of `GET /store/collections` (besides `query::LIST_KEYS`).
pub const COLLECTION_LIST_KEYS: [&str; 8] = [
    "q",
    "id",
    "handle",
    "title",
    "created_at",
    "updated_at",
    "$and",
    "$or",
];

impl CollectionFilter {
    /// The filter a list request asks for; `$and`/`$or` branches take the same keys.
    pub fn from_query(query: &StoreQuery) -> ApiResult<Self> {
        Ok(CollectionFilter {
            ids: query.ids("id", "pcol")?,
            handles: query.list("handle"),
            titles: query.list("title"),
            q: query.single("q")?.map(str::to_string),
            created_at: query.date_range("created_at")?,
            updated_at: query.date_range("updated_at")?,
            groups: query.map_groups(Self::from_query)?,
        })
    }

    fn push_conditions(&self, sql: &mut QueryBuilder<Postgres>) {
        super::push_any(sql, "c.id", &self.ids);
        super::push_any(sql, "c.handle", &self.handles);
        super::push_any(sql, "c.title", &self.titles);
        if let Some(q) = &self.q {
            let pattern = format!("%{}%", escape_like(q));
            sql.push(" AND (c.title ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR c.handle ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
        super::push_date_ranges(
            sql,
            &[
                ("c.created_at", &self.created_at),
                ("c.updated_at", &self.updated_at),
            ],
        );
        super::push_groups(sql, &self.groups, Self::push_conditions);
    }
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
    let mut sql = QueryBuilder::new(
        "SELECT c.id, c.title, c.handle, c.metadata, c.created_at, c.updated_at,
                count(*) OVER () AS total
           FROM product_collections c
          WHERE TRUE",
    );
    filter.push_conditions(&mut sql);
    // `column` comes from COLLECTION_ORDER_COLUMNS, never from the request text.
    sql.push(format_args!(
        " ORDER BY c.{column} {direction}, c.id {direction} LIMIT "
    ))
    .push_bind(limit)
    .push(" OFFSET ")
    .push_bind(offset);
    Ok(sql.build_query_as().fetch_all(pool).await?)
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
