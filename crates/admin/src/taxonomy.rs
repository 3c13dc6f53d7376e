//! Categories, collections and tags: create, update, delete. Each write is audited and
//! purges the cached store responses.

use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;

use crate::{audit, input, AdminContext};
use store::error::{ApiError, ApiResult, ErrorType};
use store::id::new_id;
use store::web::{AppState, Stale};

fn required(field: &str, value: Option<&str>) -> ApiResult<String> {
    optional(field, value)?.ok_or_else(|| ApiError::invalid_data(format!("{field}: required")))
}

fn optional(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some(v) if v.is_empty() || v.len() > 500 => Err(ApiError::invalid_data(format!(
            "{field}: not empty, at most 500 characters"
        ))),
        Some(v) => Ok(Some(v.to_string())),
    }
}

fn new_handle(value: Option<&str>) -> ApiResult<Option<String>> {
    value.map(|h| input::handle("handle", h)).transpose()
}

/// Audits a write of a `kind`: a creation when there is nothing `before`, else an
/// update; commits it, and answers `{<kind>: after}`.
async fn audited_write(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    actor: &AdminContext,
    kind: &str,
    id: &str,
    before: Option<Value>,
    after: Value,
) -> ApiResult<Value> {
    match before {
        None => audit::created(&mut tx, actor, kind, id, after.clone()).await?,
        Some(before) => audit::updated(&mut tx, actor, kind, id, before, after.clone()).await?,
    }
    state.commit(tx, &[], Stale::Catalog).await?;
    Ok(json!({ kind: after }))
}

/// Audits a deletion of a `kind` (`product_category`, `collection`, `product_tag`),
/// commits it, and answers Medusa's `{id, object, deleted: true}`.
async fn audited_delete(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    actor: &AdminContext,
    kind: &str,
    id: &str,
    before: Value,
) -> ApiResult<Value> {
    let action = format!("{kind}.deleted");
    audit::record(&mut tx, actor, &action, kind, id, Some(before), None).await?;
    state.commit(tx, &[], Stale::Catalog).await?;
    Ok(json!({ "id": id, "object": kind, "deleted": true }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: Option<String>,
    pub handle: Option<String>,
    pub description: Option<String>,
    pub parent_category_id: Option<String>,
    pub is_active: Option<bool>,
    pub is_internal: Option<bool>,
    pub rank: Option<i32>,
    pub metadata: Option<Value>,
}

async fn category_json(conn: &mut PgConnection, id: &str) -> ApiResult<Value> {
    let row: Option<Value> = sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('id', id, 'name', name, 'handle', handle, 'description', description,
                'parent_category_id', parent_category_id, 'is_active', is_active, 'is_internal', is_internal,
                'rank', rank, 'metadata', metadata) AS "row!"
           FROM product_categories WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    row.ok_or_else(|| ApiError::not_found(format!("Product category with id: {id} was not found")))
}

/// A parent must exist and must not be the category itself or one of its descendants.
async fn check_parent(conn: &mut PgConnection, id: Option<&str>, parent: &str) -> ApiResult<()> {
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_categories WHERE id = $1) AS "exists!""#,
        parent
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Err(ApiError::invalid_data(format!(
            "parent_category_id: category {parent} does not exist"
        )));
    }
    if let Some(id) = id {
        let cycle: bool = sqlx::query_scalar!(
            r#"WITH RECURSIVE below(id) AS (
                 SELECT $1::text UNION SELECT c.id FROM product_categories c JOIN below b ON c.parent_category_id = b.id)
             SELECT EXISTS (SELECT 1 FROM below WHERE id = $2) AS "cycle!""#,
            id,
            parent
        )
        .fetch_one(&mut *conn)
        .await?;
        if cycle {
            return Err(ApiError::invalid_data(
                "parent_category_id: a category cannot sit below itself",
            ));
        }
    }
    Ok(())
}

pub async fn create_category(
    state: &AppState,
    actor: &AdminContext,
    input: &CategoryInput,
) -> ApiResult<Value> {
    let name = required("name", input.name.as_deref())?;
    let handle = input::handle("handle", input.handle.as_deref().unwrap_or(&name))?;
    let mut tx = state.pool.begin().await?;
    if let Some(parent) = &input.parent_category_id {
        check_parent(&mut tx, None, parent).await?;
    }
    let id = new_id("pcat");
    sqlx::query!(
        "INSERT INTO product_categories (id, name, handle, description, parent_category_id, is_active, is_internal, rank, metadata)
         VALUES ($1, $2, $3, coalesce($4, ''), $5, $6, $7, $8, $9)",
        &id,
        &name,
        &handle,
        input.description.as_deref(),
        input.parent_category_id.as_deref(),
        input.is_active.unwrap_or(true),
        input.is_internal.unwrap_or(false),
        input.rank.unwrap_or(0),
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, format!("handle: a category with handle {handle:?} already exists")))?;
    let body = category_json(&mut tx, &id).await?;
    audited_write(state, tx, actor, "product_category", &id, None, body).await
}

pub async fn update_category(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &CategoryInput,
) -> ApiResult<Value> {
    let name = optional("name", input.name.as_deref())?;
    let handle = new_handle(input.handle.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let before = category_json(&mut tx, id).await?;
    if let Some(parent) = &input.parent_category_id {
        check_parent(&mut tx, Some(id), parent).await?;
    }
    sqlx::query!(
        "UPDATE product_categories SET name = coalesce($2, name), handle = coalesce($3, handle),
                description = coalesce($4, description), parent_category_id = coalesce($5, parent_category_id),
                is_active = coalesce($6, is_active), is_internal = coalesce($7, is_internal),
                rank = coalesce($8, rank), metadata = coalesce($9, metadata), updated_at = now()
          WHERE id = $1",
        id,
        name.as_deref(),
        handle.as_deref(),
        input.description.as_deref(),
        input.parent_category_id.as_deref(),
        input.is_active,
        input.is_internal,
        input.rank,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, "handle: a category with this handle already exists"))?;
    let body = category_json(&mut tx, id).await?;
    audited_write(state, tx, actor, "product_category", id, Some(before), body).await
}

/// Deletes a category without subcategories; its products simply lose it.
pub async fn delete_category(state: &AppState, actor: &AdminContext, id: &str) -> ApiResult<Value> {
    let mut tx = state.pool.begin().await?;
    let before = category_json(&mut tx, id).await?;
    let children: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_categories WHERE parent_category_id = $1) AS "exists!""#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if children {
        return Err(ApiError::public(
            ErrorType::Conflict,
            format!("Category {id} has subcategories; delete or move them first"),
        ));
    }
    sqlx::query!("DELETE FROM product_categories WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    audited_delete(state, tx, actor, "product_category", id, before).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    pub title: Option<String>,
    pub handle: Option<String>,
    pub metadata: Option<Value>,
}

async fn collection_json(conn: &mut PgConnection, id: &str) -> ApiResult<Value> {
    let row: Option<Value> = sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('id', id, 'title', title, 'handle', handle, 'metadata', metadata) AS "row!"
           FROM product_collections WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    row.ok_or_else(|| ApiError::not_found(format!("Collection with id: {id} was not found")))
}

pub async fn create_collection(
    state: &AppState,
    actor: &AdminContext,
    input: &CollectionInput,
) -> ApiResult<Value> {
    let title = required("title", input.title.as_deref())?;
    let handle = input::handle("handle", input.handle.as_deref().unwrap_or(&title))?;
    let id = new_id("pcol");
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO product_collections (id, title, handle, metadata) VALUES ($1, $2, $3, $4)",
        &id,
        &title,
        &handle,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        input::duplicate(
            e,
            format!("handle: a collection with handle {handle:?} already exists"),
        )
    })?;
    let body = collection_json(&mut tx, &id).await?;
    audited_write(state, tx, actor, "collection", &id, None, body).await
}

pub async fn update_collection(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &CollectionInput,
) -> ApiResult<Value> {
    let title = optional("title", input.title.as_deref())?;
    let handle = new_handle(input.handle.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let before = collection_json(&mut tx, id).await?;
    sqlx::query!(
        "UPDATE product_collections SET title = coalesce($2, title), handle = coalesce($3, handle),
                metadata = coalesce($4, metadata), updated_at = now() WHERE id = $1",
        id,
        title.as_deref(),
        handle.as_deref(),
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, "handle: a collection with this handle already exists"))?;
    let body = collection_json(&mut tx, id).await?;
    audited_write(state, tx, actor, "collection", id, Some(before), body).await
}

/// Deletes a collection; its products stay, without a collection.
pub async fn delete_collection(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
) -> ApiResult<Value> {
    let mut tx = state.pool.begin().await?;
    let before = collection_json(&mut tx, id).await?;
    sqlx::query!("DELETE FROM product_collections WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    audited_delete(state, tx, actor, "collection", id, before).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub value: Option<String>,
    pub metadata: Option<Value>,
}

async fn tag_json(conn: &mut PgConnection, id: &str) -> ApiResult<Value> {
    let row: Option<Value> = sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('id', id, 'value', value, 'metadata', metadata) AS "row!" FROM product_tags WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    row.ok_or_else(|| ApiError::not_found(format!("Product tag with id: {id} was not found")))
}

pub async fn create_tag(
    state: &AppState,
    actor: &AdminContext,
    input: &TagInput,
) -> ApiResult<Value> {
    let value = required("value", input.value.as_deref())?;
    let id = new_id("ptag");
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO product_tags (id, value, metadata) VALUES ($1, $2, $3)",
        &id,
        &value,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, format!("value: a tag {value:?} already exists")))?;
    let body = tag_json(&mut tx, &id).await?;
    audited_write(state, tx, actor, "product_tag", &id, None, body).await
}

pub async fn update_tag(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &TagInput,
) -> ApiResult<Value> {
    let value = optional("value", input.value.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let before = tag_json(&mut tx, id).await?;
    sqlx::query!(
        "UPDATE product_tags SET value = coalesce($2, value), metadata = coalesce($3, metadata), updated_at = now()
          WHERE id = $1",
        id,
        value.as_deref(),
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, "value: a tag with this value already exists"))?;
    let body = tag_json(&mut tx, id).await?;
    audited_write(state, tx, actor, "product_tag", id, Some(before), body).await
}

pub async fn delete_tag(state: &AppState, actor: &AdminContext, id: &str) -> ApiResult<Value> {
    let mut tx = state.pool.begin().await?;
    let before = tag_json(&mut tx, id).await?;
    sqlx::query!("DELETE FROM product_tags WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    audited_delete(state, tx, actor, "product_tag", id, before).await
}

/// What the admin lists of categories, collections and tags need: the table, the JSON
/// of a row, the column `q` searches and the order.
pub struct Listing {
    pub plural: &'static str,
    pub singular: &'static str,
    table: &'static str,
    json: &'static str,
    search: &'static str,
    order: &'static str,
}

pub const CATEGORIES: Listing = Listing {
    plural: "product_categories",
    singular: "product_category",
    table: "product_categories",
    json: "jsonb_build_object('id', id, 'name', name, 'handle', handle, 'description', description,
            'parent_category_id', parent_category_id, 'is_active', is_active, 'is_internal', is_internal,
            'rank', rank, 'metadata', metadata, 'created_at', created_at, 'updated_at', updated_at)",
    search: "name",
    order: "rank, name, id",
};

pub const COLLECTIONS: Listing = Listing {
    plural: "collections",
    singular: "collection",
    table: "product_collections",
    json: "jsonb_build_object('id', id, 'title', title, 'handle', handle, 'metadata', metadata,
            'created_at', created_at, 'updated_at', updated_at)",
    search: "title",
    order: "title, id",
};

pub const TAGS: Listing = Listing {
    plural: "product_tags",
    singular: "product_tag",
    table: "product_tags",
    json: "jsonb_build_object('id', id, 'value', value, 'metadata', metadata,
            'created_at', created_at, 'updated_at', updated_at)",
    search: "value",
    order: "value, id",
};

/// `{<plural>, count, offset, limit}` of every row (active or not), `q` on the name.
pub async fn list(
    pool: &sqlx::PgPool,
    listing: &Listing,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> ApiResult<Value> {
    let like = q.map(|q| format!("%{}%", store::catalog::regions::escape_like(q)));
    // Every interpolated part is a constant of this module, never request text.
    // dynamic: one listing for categories, collections and tags (table, JSON, search).
    let rows: Vec<(Value, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {json}, count(*) OVER () FROM {table}
          WHERE ($1::text IS NULL OR {search} ILIKE $1)
          ORDER BY {order} LIMIT $2 OFFSET $3",
        json = listing.json,
        table = listing.table,
        search = listing.search,
        order = listing.order,
    )))
    .bind(&like)
    .bind(limit.max(1))
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let count = rows.first().map_or(0, |r| r.1);
    let items = if limit == 0 {
        Vec::new()
    } else {
        rows.into_iter().map(|r| r.0).collect()
    };
    Ok(store::wire::list(
        listing.plural,
        items,
        count,
        offset,
        limit,
    ))
}

pub async fn retrieve(pool: &sqlx::PgPool, listing: &Listing, id: &str) -> ApiResult<Value> {
    // dynamic: the same three resources' table and JSON.
    let row: Option<Value> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {json} FROM {table} WHERE id = $1",
        json = listing.json,
        table = listing.table,
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let row = row.ok_or_else(|| {
        ApiError::not_found(format!("{} with id: {id} was not found", listing.singular))
    })?;
    Ok(json!({ listing.singular: row }))
}
