//! Catalog writes: products with options, variants, prices and images; publish,
//! unpublish, delete. Each write is one transaction with its `product.*` event and an
//! audit row, and purges the cached store responses after commit.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::{PgConnection, PgPool};

use crate::wire::{to_value, ChannelRef, VariantInventoryItem, VariantPrice};
use crate::{audit, input, AdminContext};
use store::catalog::products::{self, Extras, Page, ProductFilter};
use store::error::{ApiError, ApiResult, ErrorType};
use store::events::{self, names};
use store::id::{is_well_formed, new_id};
use store::money::{from_major, to_major};
use store::web::{AppState, Stale};

const STATUSES: [&str; 4] = ["draft", "proposed", "published", "rejected"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRef {
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    pub url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    pub title: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub currency_code: String,
    /// Major units, as Medusa's admin sends them.
    pub amount: serde_json::Number,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub manage_inventory: Option<bool>,
    pub allow_backorder: Option<bool>,
    pub variant_rank: Option<i32>,
    /// Option title → value.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub prices: Vec<PriceInput>,
    pub metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    pub title: String,
    pub handle: Option<String>,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub thumbnail: Option<String>,
    pub is_giftcard: Option<bool>,
    pub discountable: Option<bool>,
    #[serde(default)]
    pub images: Vec<ImageInput>,
    #[serde(default)]
    pub options: Vec<OptionInput>,
    #[serde(default)]
    pub variants: Vec<VariantInput>,
    /// Omitted: the store's first sales channel, as Medusa links to its default one.
    pub sales_channels: Option<Vec<IdRef>>,
    pub collection_id: Option<String>,
    pub type_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<IdRef>,
    #[serde(default)]
    pub categories: Vec<IdRef>,
    pub material: Option<String>,
    pub weight: Option<i32>,
    pub metadata: Option<Value>,
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() || value.len() > max {
        return Err(ApiError::invalid_data(format!(
            "{field}: required, at most {max} characters"
        )));
    }
    Ok(value.to_string())
}

fn status(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s) => Ok(Some(s.to_string())),
        Some(s) => Err(ApiError::invalid_data(format!(
            "{field}: {s:?} is not one of {}",
            STATUSES.join(", ")
        ))),
    }
}

/// Base prices as (currency, minor units), each currency once.
fn prices_of(field: &str, prices: &[PriceInput]) -> ApiResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for (i, p) in prices.iter().enumerate() {
        let currency = p.currency_code.trim().to_lowercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ApiError::invalid_data(format!(
                "{field}[{i}].currency_code: not an ISO 4217 code"
            )));
        }
        let amount = from_major(&p.amount, &currency).ok_or_else(|| {
            ApiError::invalid_data(format!(
                "{field}[{i}].amount: {} is not a valid amount of {currency}",
                p.amount
            ))
        })?;
        if out.insert(currency.clone(), amount).is_some() {
            return Err(ApiError::invalid_data(format!(
                "{field}[{i}].currency_code: {currency} is given twice"
            )));
        }
    }
    Ok(out)
}

/// Maps a unique violation to a 422 naming the value, anything else to a 500.
fn unique(err: sqlx::Error, what: &str) -> ApiError {
    if let sqlx::Error::Database(db) = &err {
        if db.code().as_deref() == Some("23505") {
            return ApiError::public(ErrorType::DuplicateError, format!("{what} already exists"));
        }
        if db.code().as_deref() == Some("23503") {
            return ApiError::invalid_data(format!(
                "{what}: refers to something that does not exist"
            ));
        }
    }
    err.into()
}

async fn check_exists(
    conn: &mut PgConnection,
    table: &'static str,
    field: &str,
    ids: &[String],
) -> ApiResult<()> {
    for id in ids {
        // dynamic: one check for every table a product refers to.
        let found: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1)"
        )))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if !found {
            return Err(ApiError::invalid_data(format!(
                "{field}: {id} does not exist"
            )));
        }
    }
    Ok(())
}

async fn write_prices(
    conn: &mut PgConnection,
    variant_id: &str,
    prices: &BTreeMap<String, i64>,
) -> ApiResult<()> {
    let currencies: Vec<String> = prices.keys().cloned().collect();
    sqlx::query!(
        "DELETE FROM prices WHERE variant_id = $1 AND price_list_id IS NULL AND NOT (currency_code = ANY($2))",
        variant_id,
        &currencies
    )
    .execute(&mut *conn)
    .await?;
    for (currency, amount) in prices {
        sqlx::query!(
            "INSERT INTO prices (id, variant_id, currency_code, amount) VALUES ($1, $2, $3, $4)
             ON CONFLICT (variant_id, currency_code) WHERE price_list_id IS NULL
             DO UPDATE SET amount = EXCLUDED.amount, updated_at = now()",
            new_id("price"),
            variant_id,
            currency,
            amount
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn current_prices(conn: &mut PgConnection, variant_id: &str) -> ApiResult<Value> {
    let rows = sqlx::query!(
        "SELECT currency_code, amount FROM prices WHERE variant_id = $1 AND price_list_id IS NULL
          ORDER BY currency_code",
        variant_id
    )
    .fetch_all(conn)
    .await?;
    Ok(Value::Object(
        rows.into_iter()
            .map(|r| (r.currency_code, Value::from(r.amount)))
            .collect::<Map<_, _>>(),
    ))
}

/// Inserts a variant with its option values, prices and (when managed) inventory item.
async fn insert_variant(
    conn: &mut PgConnection,
    product_id: &str,
    option_values: &BTreeMap<String, BTreeMap<String, String>>,
    index: usize,
    v: &VariantInput,
) -> ApiResult<(String, BTreeMap<String, i64>)> {
    let field = format!("variants[{index}]");
    let title = text(&format!("{field}.title"), &v.title, 200)?;
    let prices = prices_of(&format!("{field}.prices"), &v.prices)?;
    for title in v.options.keys() {
        if !option_values.contains_key(title) {
            return Err(ApiError::invalid_data(format!(
                "{field}.options: the product has no option {title:?}"
            )));
        }
    }
    let mut value_ids = Vec::new();
    for (option, values) in option_values {
        let value = v.options.get(option).ok_or_else(|| {
            ApiError::invalid_data(format!(
                "{field}.options: a value for {option:?} is required"
            ))
        })?;
        let id = values.get(value).ok_or_else(|| {
            ApiError::invalid_data(format!(
                "{field}.options: {value:?} is not a value of option {option:?}"
            ))
        })?;
        value_ids.push(id.clone());
    }
    let variant_id = new_id("variant");
    let manage = v.manage_inventory.unwrap_or(true);
    sqlx::query!(
        "INSERT INTO product_variants (id, product_id, title, sku, barcode, manage_inventory, allow_backorder,
                                       variant_rank, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &variant_id,
        product_id,
        &title,
        v.sku.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        v.barcode.as_deref(),
        manage,
        v.allow_backorder.unwrap_or(false),
        v.variant_rank.unwrap_or(index as i32),
        v.metadata.as_ref()
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| unique(e, &format!("{field}.sku: a variant with this SKU")))?;
    for value_id in &value_ids {
        sqlx::query!(
            "INSERT INTO product_variant_option_values (variant_id, option_value_id) VALUES ($1, $2)",
            &variant_id,
            value_id
        )
        .execute(&mut *conn)
        .await?;
    }
    write_prices(conn, &variant_id, &prices).await?;
    if manage {
        let item_id = new_id("iitem");
        sqlx::query!(
            "INSERT INTO inventory_items (id, sku) VALUES ($1, $2)",
            &item_id,
            v.sku.as_deref().map(str::trim).filter(|s| !s.is_empty())
        )
        .execute(&mut *conn)
        .await
        .map_err(|e| unique(e, &format!("{field}.sku: an inventory item with this SKU")))?;
        sqlx::query!(
            "INSERT INTO product_variant_inventory_items (variant_id, inventory_item_id) VALUES ($1, $2)",
            &variant_id,
            &item_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok((variant_id, prices))
}

/// Checks that the sales channels (the first channel when none are given), tags,
/// categories, collection and type a new product names exist; returns its links, each
/// with the statement that writes one.
async fn check_references(tx: &mut PgConnection, input: &CreateProduct) -> ApiResult<Links> {
    let channels: Vec<String> = match &input.sales_channels {
        Some(list) => list.iter().map(|r| r.id.clone()).collect(),
        None => {
            sqlx::query_scalar!("SELECT id FROM sales_channels ORDER BY created_at, id LIMIT 1")
                .fetch_all(&mut *tx)
                .await?
        }
    };
    check_exists(&mut *tx, "sales_channels", "sales_channels", &channels).await?;
    let tags: Vec<String> = input.tags.iter().map(|r| r.id.clone()).collect();
    check_exists(&mut *tx, "product_tags", "tags", &tags).await?;
    let categories: Vec<String> = input.categories.iter().map(|r| r.id.clone()).collect();
    check_exists(&mut *tx, "product_categories", "categories", &categories).await?;
    if let Some(c) = &input.collection_id {
        check_exists(
            &mut *tx,
            "product_collections",
            "collection_id",
            std::slice::from_ref(c),
        )
        .await?;
    }
    if let Some(t) = &input.type_id {
        check_exists(
            &mut *tx,
            "product_types",
            "type_id",
            std::slice::from_ref(t),
        )
        .await?;
    }
    Ok(Links {
        channels,
        tags,
        categories,
    })
}

/// What a new product is filed under (each id checked to exist).
struct Links {
    channels: Vec<String>,
    tags: Vec<String>,
    categories: Vec<String>,
}

async fn insert_links(tx: &mut PgConnection, product_id: &str, links: &Links) -> ApiResult<()> {
    let inserts = [
        sqlx::query!(
            "INSERT INTO product_sales_channels (product_id, sales_channel_id)
         SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            product_id,
            &links.channels
        ),
        sqlx::query!(
            "INSERT INTO product_tag_links (product_id, tag_id)
         SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            product_id,
            &links.tags
        ),
        sqlx::query!(
            "INSERT INTO product_category_links (product_id, category_id)
         SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            product_id,
            &links.categories
        ),
    ];
    for insert in inserts {
        insert.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A new product's options and their values; returns option title → value → value id.
async fn insert_options(
    tx: &mut PgConnection,
    product_id: &str,
    options: &[OptionInput],
) -> ApiResult<BTreeMap<String, BTreeMap<String, String>>> {
    let mut option_values: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (i, option) in options.iter().enumerate() {
        let title = text(&format!("options[{i}].title"), &option.title, 200)?;
        if option.values.is_empty() {
            return Err(ApiError::invalid_data(format!(
                "options[{i}].values: at least one value is required"
            )));
        }
        let option_id = new_id("opt");
        sqlx::query!(
            "INSERT INTO product_options (id, product_id, title) VALUES ($1, $2, $3)",
            &option_id,
            product_id,
            &title
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| unique(e, &format!("options[{i}].title: an option {title:?}")))?;
        let values = option_values.entry(title.clone()).or_default();
        for (rank, value) in option.values.iter().enumerate() {
            let value = text(&format!("options[{i}].values[{rank}]"), value, 200)?;
            let value_id = new_id("optval");
            sqlx::query!(
                "INSERT INTO product_option_values (id, option_id, value, rank) VALUES ($1, $2, $3, $4)",
                &value_id,
                &option_id,
                &value,
                rank as i32
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| unique(e, &format!("options[{i}].values: the value {value:?}")))?;
            values.insert(value, value_id);
        }
    }
    Ok(option_values)
}

pub async fn create(
    state: &AppState,
    actor: &AdminContext,
    input: &CreateProduct,
) -> ApiResult<Value> {
    let title = text("title", &input.title, 500)?;
    let handle = input::handle("handle", input.handle.as_deref().unwrap_or(&title))?;
    let status = status("status", input.status.as_deref())?.unwrap_or_else(|| "draft".into());
    let mut tx = state.pool.begin().await?;
    let links = check_references(&mut tx, input).await?;
    let product_id = new_id("prod");
    let thumbnail = input
        .thumbnail
        .clone()
        .or_else(|| input.images.first().map(|i| i.url.clone()));
    sqlx::query!(
        "INSERT INTO products (id, handle, status, title, subtitle, description, thumbnail, is_giftcard,
                               discountable, collection_id, type_id, material, weight, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &product_id,
        &handle,
        &status,
        &title,
        input.subtitle.as_deref(),
        input.description.as_deref(),
        thumbnail.as_deref(),
        input.is_giftcard.unwrap_or(false),
        input.discountable.unwrap_or(true),
        input.collection_id.as_deref(),
        input.type_id.as_deref(),
        input.material.as_deref(),
        input.weight,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| unique(e, &format!("handle: a product with handle {handle:?}")))?;
    write_images(&mut tx, &product_id, &input.images).await?;
    insert_links(&mut tx, &product_id, &links).await?;
    let option_values = insert_options(&mut tx, &product_id, &input.options).await?;
    let mut audit_prices = Map::new();
    for (i, v) in input.variants.iter().enumerate() {
        let (variant_id, prices) =
            insert_variant(&mut tx, &product_id, &option_values, i, v).await?;
        audit_prices.insert(variant_id, json!(prices));
    }
    let event_id = events::record(
        &mut tx,
        names::PRODUCT_CREATED,
        &product_id,
        json!({ "id": product_id, "handle": handle }),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "product.created",
        "product",
        &product_id,
        None,
        Some(json!({ "title": title, "handle": handle, "status": status, "prices": audit_prices })),
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Catalog).await?;
    Ok(json!({ "product": retrieve(&state.pool, &product_id).await? }))
}

async fn write_images(
    conn: &mut PgConnection,
    product_id: &str,
    images: &[ImageInput],
) -> ApiResult<()> {
    sqlx::query!(
        "DELETE FROM product_images WHERE product_id = $1",
        product_id
    )
    .execute(&mut *conn)
    .await?;
    for (rank, image) in images.iter().enumerate() {
        let url = text(&format!("images[{rank}].url"), &image.url, 2000)?;
        sqlx::query!(
            "INSERT INTO product_images (id, product_id, url, rank) VALUES ($1, $2, $3, $4)
             ON CONFLICT (product_id, url) DO NOTHING",
            new_id("img"),
            product_id,
            url,
            rank as i32
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    pub title: Option<String>,
    pub handle: Option<String>,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub thumbnail: Option<String>,
    pub discountable: Option<bool>,
    /// Replaces the images.
    pub images: Option<Vec<ImageInput>>,
    /// Replaces the sales channels.
    pub sales_channels: Option<Vec<IdRef>>,
    /// Replaces the categories.
    pub categories: Option<Vec<IdRef>>,
    /// Replaces the tags.
    pub tags: Option<Vec<IdRef>>,
    pub collection_id: Option<String>,
    pub material: Option<String>,
    pub metadata: Option<Value>,
}

struct ProductState {
    handle: String,
    status: String,
    title: String,
}

fn check_product_id(id: &str) -> ApiResult<()> {
    if !is_well_formed(id, "prod") {
        return Err(ApiError::invalid_data(format!(
            "Invalid product id {id:?}: expected an id starting with prod_"
        )));
    }
    Ok(())
}

async fn lock_product(conn: &mut PgConnection, id: &str) -> ApiResult<ProductState> {
    check_product_id(id)?;
    sqlx::query_as!(
        ProductState,
        "SELECT handle, status, title FROM products WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Product with id: {id} was not found")))
}

/// Replaces the product's sales channels, categories and tags with those `input` names
/// (each list only when given).
async fn replace_links(tx: &mut PgConnection, id: &str, input: &UpdateProduct) -> ApiResult<()> {
    if let Some(channels) = &input.sales_channels {
        let ids: Vec<String> = channels.iter().map(|r| r.id.clone()).collect();
        check_exists(&mut *tx, "sales_channels", "sales_channels", &ids).await?;
        sqlx::query!(
            "DELETE FROM product_sales_channels WHERE product_id = $1",
            id
        )
        .execute(&mut *tx)
        .await?;
        for channel in &ids {
            sqlx::query!(
                "INSERT INTO product_sales_channels (product_id, sales_channel_id) VALUES ($1, $2)",
                id,
                channel
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    for (links, table, link_table, column, field) in [
        (
            &input.categories,
            "product_categories",
            "product_category_links",
            "category_id",
            "categories",
        ),
        (
            &input.tags,
            "product_tags",
            "product_tag_links",
            "tag_id",
            "tags",
        ),
    ] {
        let Some(links) = links else { continue };
        let ids: Vec<String> = links.iter().map(|r| r.id.clone()).collect();
        check_exists(&mut *tx, table, field, &ids).await?;
        // dynamic: the link table of channels, categories or tags.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {link_table} WHERE product_id = $1"
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for link in &ids {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {link_table} (product_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )))
            .bind(id)
            .bind(link)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

pub async fn update(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &UpdateProduct,
) -> ApiResult<Value> {
    let title = input
        .title
        .as_deref()
        .map(|t| text("title", t, 500))
        .transpose()?;
    let handle = input
        .handle
        .as_deref()
        .map(|h| input::handle("handle", h))
        .transpose()?;
    let new_status = status("status", input.status.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let before = lock_product(&mut tx, id).await?;
    if let Some(c) = &input.collection_id {
        check_exists(
            &mut tx,
            "product_collections",
            "collection_id",
            std::slice::from_ref(c),
        )
        .await?;
    }
    let after = sqlx::query_as!(
        ProductState,
        "UPDATE products SET title = coalesce($2, title), handle = coalesce($3, handle),
                subtitle = coalesce($4, subtitle), description = coalesce($5, description),
                status = coalesce($6, status), thumbnail = coalesce($7, thumbnail),
                discountable = coalesce($8, discountable), collection_id = coalesce($9, collection_id),
                material = coalesce($10, material), metadata = coalesce($11, metadata), updated_at = now()
          WHERE id = $1 RETURNING handle, status, title",
        id,
        title,
        handle,
        input.subtitle,
        input.description,
        new_status,
        input.thumbnail,
        input.discountable,
        input.collection_id,
        input.material,
        input.metadata,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique(e, "handle: a product with this handle"))?;
    if let Some(images) = &input.images {
        write_images(&mut tx, id, images).await?;
    }
    replace_links(&mut tx, id, input).await?;
    let event_id = events::record(
        &mut tx,
        names::PRODUCT_UPDATED,
        id,
        json!({ "id": id, "handle": after.handle }),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "product.updated",
        "product",
        id,
        Some(json!({ "title": before.title, "handle": before.handle, "status": before.status })),
        Some(json!({ "title": after.title, "handle": after.handle, "status": after.status })),
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Catalog).await?;
    Ok(json!({ "product": retrieve(&state.pool, id).await? }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateVariant {
    pub title: Option<String>,
    pub allow_backorder: Option<bool>,
    /// Replaces the variant's base prices.
    pub prices: Option<Vec<PriceInput>>,
    pub metadata: Option<Value>,
}

/// `POST /admin/products/:id/variants/:variant_id`; price changes are audited with the
/// prices before and after.
pub async fn update_variant(
    state: &AppState,
    actor: &AdminContext,
    product_id: &str,
    variant_id: &str,
    input: &UpdateVariant,
) -> ApiResult<Value> {
    let title = input
        .title
        .as_deref()
        .map(|t| text("title", t, 200))
        .transpose()?;
    let prices = input
        .prices
        .as_deref()
        .map(|p| prices_of("prices", p))
        .transpose()?;
    let mut tx = state.pool.begin().await?;
    let product = lock_product(&mut tx, product_id).await?;
    let found: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_variants WHERE id = $1 AND product_id = $2 AND deleted_at IS NULL) AS "exists!""#,
        variant_id,
        product_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !found {
        return Err(ApiError::not_found(format!(
            "Variant {variant_id} of product {product_id} not found"
        )));
    }
    let before = current_prices(&mut tx, variant_id).await?;
    sqlx::query!(
        "UPDATE product_variants SET title = coalesce($2, title), allow_backorder = coalesce($3, allow_backorder),
                metadata = coalesce($4, metadata), updated_at = now()
          WHERE id = $1",
        variant_id,
        title.as_deref(),
        input.allow_backorder,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await?;
    if let Some(prices) = &prices {
        write_prices(&mut tx, variant_id, prices).await?;
    }
    let after = current_prices(&mut tx, variant_id).await?;
    if before != after {
        audit::record(
            &mut tx,
            actor,
            "variant.prices_updated",
            "variant",
            variant_id,
            Some(json!({ "prices": before })),
            Some(json!({ "prices": after, "product_id": product_id })),
        )
        .await?;
    }
    let event_id = events::record(
        &mut tx,
        names::PRODUCT_UPDATED,
        product_id,
        json!({ "id": product_id, "handle": product.handle, "variant_id": variant_id }),
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Catalog).await?;
    Ok(json!({ "product": retrieve(&state.pool, product_id).await? }))
}

/// Soft delete: the product leaves every list; orders keep their copies of its lines.
/// Its handle and SKUs are freed for reuse.
pub async fn delete(state: &AppState, actor: &AdminContext, id: &str) -> ApiResult<Value> {
    let mut tx = state.pool.begin().await?;
    let product = lock_product(&mut tx, id).await?;
    sqlx::query!(
        "UPDATE products SET deleted_at = now(), updated_at = now(), handle = handle || '--deleted-' || id
          WHERE id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE product_variants SET deleted_at = now(), updated_at = now(), sku = NULL
          WHERE product_id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(&mut *tx)
    .await?;
    let event_id = events::record(
        &mut tx,
        names::PRODUCT_DELETED,
        id,
        json!({ "id": id, "handle": product.handle }),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "product.deleted",
        "product",
        id,
        Some(json!({ "title": product.title, "handle": product.handle, "status": product.status })),
        None,
    )
    .await?;
    state.commit(tx, &[event_id], Stale::Catalog).await?;
    Ok(json!({ "id": id, "object": "product", "deleted": true }))
}

/// Adds what the admin sees beyond the store shape: base prices and sales channels.
async fn admin_extras(pool: &PgPool, products: &mut [Value]) -> ApiResult<()> {
    let ids: Vec<String> = products
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    let prices = sqlx::query!(
        "SELECT pr.id, pr.variant_id, pr.currency_code, pr.amount
           FROM prices pr JOIN product_variants v ON v.id = pr.variant_id
          WHERE v.product_id = ANY($1) AND pr.price_list_id IS NULL ORDER BY pr.currency_code",
        &ids
    )
    .fetch_all(pool)
    .await?;
    let channels = sqlx::query!(
        "SELECT l.product_id, c.id, c.name FROM product_sales_channels l
           JOIN sales_channels c ON c.id = l.sales_channel_id
          WHERE l.product_id = ANY($1) ORDER BY c.name",
        &ids
    )
    .fetch_all(pool)
    .await?;
    let items = sqlx::query!(
        "SELECT vi.variant_id, vi.inventory_item_id FROM product_variant_inventory_items vi
           JOIN product_variants v ON v.id = vi.variant_id WHERE v.product_id = ANY($1)",
        &ids
    )
    .fetch_all(pool)
    .await?;
    for product in products.iter_mut() {
        let pid = product["id"].as_str().unwrap_or_default().to_string();
        let product_channels: Vec<ChannelRef> = channels
            .iter()
            .filter(|c| c.product_id == pid)
            .map(|c| ChannelRef {
                id: c.id.clone(),
                name: c.name.clone(),
            })
            .collect();
        product["sales_channels"] = to_value(&product_channels)?;
        if let Some(variants) = product["variants"].as_array_mut() {
            for variant in variants {
                let vid = variant["id"].as_str().unwrap_or_default().to_string();
                let variant_prices: Vec<VariantPrice> = prices
                    .iter()
                    .filter(|p| p.variant_id == vid)
                    .map(|p| VariantPrice {
                        id: p.id.clone(),
                        amount: to_major(p.amount, &p.currency_code),
                        currency_code: p.currency_code.clone(),
                    })
                    .collect();
                let variant_items: Vec<VariantInventoryItem> = items
                    .iter()
                    .filter(|i| i.variant_id == vid)
                    .map(|i| VariantInventoryItem {
                        inventory_item_id: i.inventory_item_id.clone(),
                        required_quantity: 1,
                    })
                    .collect();
                variant["prices"] = to_value(&variant_prices)?;
                variant["inventory_items"] = to_value(&variant_items)?;
            }
        }
    }
    Ok(())
}

pub async fn retrieve(pool: &PgPool, id: &str) -> ApiResult<Value> {
    check_product_id(id)?;
    let filter = ProductFilter {
        ids: Some(vec![id.to_string()]),
        admin: true,
        ..ProductFilter::default()
    };
    let page = Page {
        order: ("id", false),
        limit: 1,
        offset: 0,
    };
    let (mut found, _) = products::list(pool, &filter, page, &Extras::default()).await?;
    admin_extras(pool, &mut found).await?;
    found
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("Product with id: {id} was not found")))
}

/// `{products, count, offset, limit}` of every status (or those in `statuses`).
pub async fn list(
    pool: &PgPool,
    statuses: Option<Vec<String>>,
    q: Option<&str>,
    is_giftcard: Option<bool>,
    limit: i64,
    offset: i64,
) -> ApiResult<Value> {
    if let Some(bad) = statuses
        .iter()
        .flatten()
        .find(|s| !STATUSES.contains(&s.as_str()))
    {
        return Err(ApiError::invalid_data(format!(
            "Invalid request: 'status' {bad:?} is not one of {}",
            STATUSES.join(", ")
        )));
    }
    let filter = ProductFilter {
        admin: true,
        statuses,
        search_words: q.and_then(products::search_words),
        is_giftcard,
        ..ProductFilter::default()
    };
    let page = Page {
        order: ("created_at", true),
        limit,
        offset,
    };
    let (mut items, count) = products::list(pool, &filter, page, &Extras::default()).await?;
    admin_extras(pool, &mut items).await?;
    Ok(store::wire::list("products", items, count, offset, limit))
}
