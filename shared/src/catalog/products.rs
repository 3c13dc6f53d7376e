//! Products as a storefront sees them: published, in the key's sales channels, with
//! variants, options, images, tags, categories, collection, type, prices and stock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::pricing::PricingContext;

mod wire;
use crate::error::{ApiError, ApiResult, Context};
use crate::money::to_major;
use crate::query::{Conjunction, DateRange, Fields, StoreQuery};
use crate::wire::{ser_optional_timestamp, ser_timestamp, timestamp};

/// Fields and relations of a product that `fields=` may name.
pub const PRODUCT_FIELDS: [&str; 32] = [
    "id",
    "title",
    "subtitle",
    "description",
    "handle",
    "status",
    "is_giftcard",
    "discountable",
    "thumbnail",
    "collection_id",
    "type_id",
    "weight",
    "length",
    "height",
    "width",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "external_id",
    "variants",
    "options",
    "images",
    "tags",
    "type",
    "collection",
    "categories",
    "sales_channels",
];

/// What Medusa leaves out of a product unless `fields` asks for it (`+metadata`,
/// `*variants.images`), as its captured answers show (Medusa 2.21).
const ON_REQUEST: [&str; 4] = ["metadata", "status", "deleted_at", "variants.images"];

/// Shapes a rendered product as Medusa's route answers by default, then applies the
/// request's `fields`. Medusa's list also leaves out the categories (`*categories` adds
/// them), which its retrieve includes.
pub fn apply_fields(product: &mut Value, fields: &Fields, listed: bool) {
    let categories = listed.then_some("categories");
    fields.drop_unrequested(product, ON_REQUEST.into_iter().chain(categories));
    fields.project(product);
}

/// Filter keys of `GET /store/products` (besides `query::LIST_KEYS`): Medusa's (`tags` is read as
/// `tag_id`, as Medusa maps it).
pub const PRODUCT_LIST_KEYS: [&str; 21] = [
    "q",
    "id",
    "handle",
    "title",
    "is_giftcard",
    "category_id",
    "collection_id",
    "tag_id",
    "tags",
    "type_id",
    "created_at",
    "updated_at",
    "sales_channel_id",
    "region_id",
    "country_code",
    "currency_code",
    "province",
    "cart_id",
    "$and",
    "$or",
    "deleted_at",
];

pub const PRODUCT_ORDER_COLUMNS: [&str; 5] = ["id", "title", "handle", "created_at", "updated_at"];

#[derive(Debug, Default)]
pub struct ProductFilter {
    pub sales_channel_ids: Vec<String>,
    pub ids: Option<Vec<String>>,
    pub handles: Option<Vec<String>>,
    pub titles: Option<Vec<String>>,
    /// Words of `q`, matched as prefixes against title, subtitle, description and handle.
    pub search_words: Option<Vec<String>>,
    pub category_ids: Option<Vec<String>>,
    pub collection_ids: Option<Vec<String>>,
    pub tag_ids: Option<Vec<String>>,
    pub type_ids: Option<Vec<String>>,
    pub is_giftcard: Option<bool>,
    pub created_at: DateRange,
    pub updated_at: DateRange,
    /// Lists never show deleted products, so any bound here matches nothing.
    pub deleted_at: DateRange,
    /// `$and`/`$or` branches, each a filter of its own over the same products.
    pub groups: Vec<(Conjunction, Vec<ProductFilter>)>,
    /// The admin's view: every status, any sales channel (deleted products stay hidden).
    pub admin: bool,
    /// Only these statuses (admin lists).
    pub statuses: Option<Vec<String>>,
}

impl ProductFilter {
    /// The store's filters from a query (or one `$and`/`$or` branch of it); the caller
    /// sets the sales channels.
    pub fn from_query(query: &StoreQuery) -> ApiResult<Self> {
        let mut tag_ids = query.ids("tag_id", "ptag")?;
        if let Some(more) = query.ids("tags", "ptag")? {
            tag_ids.get_or_insert_with(Vec::new).extend(more);
        }
        let groups = query.map_groups(Self::from_query)?;
        Ok(ProductFilter {
            ids: query.ids("id", "prod")?,
            handles: query.list("handle"),
            titles: query.list("title"),
            search_words: query.single("q")?.and_then(search_words),
            category_ids: query.ids("category_id", "pcat")?,
            collection_ids: query.ids("collection_id", "pcol")?,
            tag_ids,
            type_ids: query.ids("type_id", "ptyp")?,
            is_giftcard: query.boolean("is_giftcard")?,
            created_at: query.date_range("created_at")?,
            updated_at: query.date_range("updated_at")?,
            deleted_at: query.date_range("deleted_at")?,
            groups,
            ..ProductFilter::default()
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub order: (&'static str, bool),
    pub limit: i64,
    pub offset: i64,
}

/// What a caller wants computed beyond the plain product rows.
#[derive(Debug, Default)]
pub struct Extras {
    pub pricing: Option<PricingContext>,
    pub inventory_quantity: bool,
    /// `variants.prices`: every base price of each variant, in every currency.
    pub variant_prices: bool,
}

/// Splits a search text into words for a prefix full-text query; None when it has none.
pub fn search_words(q: &str) -> Option<Vec<String>> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect();
    (!words.is_empty()).then_some(words)
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct ProductRow {
    id: String,
    title: String,
    subtitle: Option<String>,
    description: Option<String>,
    handle: String,
    status: String,
    is_giftcard: bool,
    discountable: bool,
    thumbnail: Option<String>,
    collection_id: Option<String>,
    type_id: Option<String>,
    weight: Option<i32>,
    length: Option<i32>,
    height: Option<i32>,
    width: Option<i32>,
    hs_code: Option<String>,
    origin_country: Option<String>,
    mid_code: Option<String>,
    material: Option<String>,
    metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    deleted_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    total: i64,
}

pub async fn list(
    pool: &PgPool,
    filter: &ProductFilter,
    page: Page,
    extras: &Extras,
) -> ApiResult<(Vec<Value>, i64)> {
    let (rows, count) = super::paged(
        page.limit,
        page.offset,
        |p: &ProductRow| p.total,
        |limit, offset| fetch_page(pool, filter, page.order, limit, offset),
    )
    .await?;
    let products = render(pool, rows, &filter.sales_channel_ids, extras).await?;
    Ok((products, count))
}

pub async fn retrieve(
    pool: &PgPool,
    id: &str,
    sales_channel_ids: &[String],
    extras: &Extras,
) -> ApiResult<Value> {
    let filter = ProductFilter {
        sales_channel_ids: sales_channel_ids.to_vec(),
        ids: Some(vec![id.to_string()]),
        ..ProductFilter::default()
    };
    let rows = fetch_page(pool, &filter, ("id", false), 1, 0).await?;
    render(pool, rows, sales_channel_ids, extras)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("Product with id: {id} was not found")))
}

async fn fetch_page(
    pool: &PgPool,
    filter: &ProductFilter,
    order: (&'static str, bool),
    limit: i64,
    offset: i64,
) -> ApiResult<Vec<ProductRow>> {
    let (column, descending) = order;
    let direction = if descending { "DESC" } else { "ASC" };
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT p.id, p.title, p.subtitle, p.description, p.handle, p.status, p.is_giftcard,
                p.discountable, p.thumbnail, p.collection_id, p.type_id, p.weight, p.length,
                p.height, p.width, p.hs_code, p.origin_country, p.mid_code, p.material,
                p.metadata, p.created_at, p.updated_at, p.deleted_at,
                count(*) OVER () AS total
           FROM products p
          WHERE p.deleted_at IS NULL",
    );
    if !filter.admin {
        sql.push(
            " AND p.status = 'published'
              AND EXISTS (SELECT 1 FROM product_sales_channels s
                           WHERE s.product_id = p.id AND s.sales_channel_id = ANY(",
        )
        .push_bind(filter.sales_channel_ids.clone())
        .push("))");
    }
    if let Some(statuses) = &filter.statuses {
        sql.push(" AND p.status = ANY(")
            .push_bind(statuses.clone())
            .push(")");
    }
    push_conditions(&mut sql, filter);
    // `column` comes from PRODUCT_ORDER_COLUMNS, never from the request text.
    sql.push(format_args!(
        " ORDER BY p.{column} {direction}, p.id {direction} LIMIT "
    ))
    .push_bind(limit)
    .push(" OFFSET ")
    .push_bind(offset);
    Ok(sql.build_query_as().fetch_all(pool).await?)
}

/// `AND` the product is linked to any of `ids` through `table` (aliased `t`), whose
/// `column` holds the linked id.
fn linked(
    sql: &mut QueryBuilder<Postgres>,
    table: &str,
    t: &str,
    column: &str,
    ids: &Option<Vec<String>>,
) {
    if let Some(ids) = ids {
        sql.push(format_args!(
            " AND EXISTS (SELECT 1 FROM {table} {t}
                           WHERE {t}.product_id = p.id AND {t}.{column} = ANY("
        ))
        .push_bind(ids.clone())
        .push("))");
    }
}

/// The request's filters as `AND ...` conditions on `p`; `$and`/`$or` branches nest.
fn push_conditions(sql: &mut QueryBuilder<Postgres>, filter: &ProductFilter) {
    super::push_any(sql, "p.id", &filter.ids);
    super::push_any(sql, "p.handle", &filter.handles);
    super::push_any(sql, "p.title", &filter.titles);
    super::push_any(sql, "p.collection_id", &filter.collection_ids);
    super::push_any(sql, "p.type_id", &filter.type_ids);
    if let Some(words) = &filter.search_words {
        // The words are alphanumeric only, so they cannot carry tsquery syntax.
        let tsquery = words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & ");
        sql.push(" AND p.search @@ to_tsquery('simple', ")
            .push_bind(tsquery)
            .push(")");
    }
    linked(
        sql,
        "product_category_links",
        "c",
        "category_id",
        &filter.category_ids,
    );
    linked(sql, "product_tag_links", "t", "tag_id", &filter.tag_ids);
    if let Some(flag) = filter.is_giftcard {
        sql.push(" AND p.is_giftcard = ").push_bind(flag);
    }
    super::push_date_ranges(
        sql,
        &[
            ("p.created_at", &filter.created_at),
            ("p.updated_at", &filter.updated_at),
            ("p.deleted_at", &filter.deleted_at),
        ],
    );
    super::push_groups(sql, &filter.groups, |branch, sql| {
        push_conditions(sql, branch)
    });
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct VariantRow {
    id: String,
    product_id: String,
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    ean: Option<String>,
    upc: Option<String>,
    manage_inventory: bool,
    allow_backorder: bool,
    variant_rank: i32,
    weight: Option<i32>,
    length: Option<i32>,
    height: Option<i32>,
    width: Option<i32>,
    hs_code: Option<String>,
    origin_country: Option<String>,
    mid_code: Option<String>,
    material: Option<String>,
    thumbnail: Option<String>,
    metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct OptionRow {
    id: String,
    #[serde(skip)]
    product_id: String,
    title: String,
    metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct OptionValueRow {
    id: String,
    option_id: String,
    value: String,
    rank: Option<i32>,
    metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    owner_id: String,
    id: String,
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct ImageRow {
    id: String,
    #[serde(skip)]
    product_id: String,
    url: String,
    rank: i32,
    metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct NamedRow {
    id: String,
    owner_id: String,
    value: String,
    handle: Option<String>,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PriceRow {
    id: String,
    variant_id: String,
    amount: i64,
}

#[derive(sqlx::FromRow)]
struct VariantPriceRow {
    id: String,
    variant_id: String,
    currency_code: String,
    amount: i64,
    min_quantity: Option<i32>,
    max_quantity: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Everything the product rows point at, loaded in one batch per table.
struct Related {
    variants: Vec<VariantRow>,
    options: Vec<OptionRow>,
    option_values: Vec<OptionValueRow>,
    variant_values: Vec<LinkRow>,
    images: Vec<ImageRow>,
    tags: Vec<NamedRow>,
    categories: Vec<NamedRow>,
    collections: Vec<NamedRow>,
    types: Vec<NamedRow>,
    prices: Vec<PriceRow>,
    variant_prices: Vec<VariantPriceRow>,
    stock: Vec<(String, Option<i64>)>,
}

/// A page of products' variants, options, option values, variant-value links, images
/// and tags: the rows that make up the products.
type Parts = (
    Vec<VariantRow>,
    Vec<OptionRow>,
    Vec<OptionValueRow>,
    Vec<LinkRow>,
    Vec<ImageRow>,
    Vec<NamedRow>,
);

/// Their categories, collections, types, and the prices and stock `extras` asks for.
type Surroundings = (
    Vec<NamedRow>,
    Vec<NamedRow>,
    Vec<NamedRow>,
    Vec<PriceRow>,
    Vec<VariantPriceRow>,
    Vec<(String, Option<i64>)>,
);

async fn load_related(
    pool: &PgPool,
    product_ids: &[String],
    sales_channel_ids: &[String],
    extras: &Extras,
) -> ApiResult<Related> {
    let (variants, options, option_values, variant_values, images, tags) =
        load_parts(pool, product_ids).await?;
    let (categories, collections, types, prices, variant_prices, stock) =
        load_surroundings(pool, product_ids, sales_channel_ids, extras).await?;
    Ok(Related {
        variants,
        options,
        option_values,
        variant_values,
        images,
        tags,
        categories,
        collections,
        types,
        prices,
        variant_prices,
        stock,
    })
}

/// Six queries at once, on the pool.
async fn load_parts(pool: &PgPool, product_ids: &[String]) -> Result<Parts, sqlx::Error> {
    let variants = sqlx::query_as!(
        VariantRow,
        "SELECT id, product_id, title, sku, barcode, ean, upc, manage_inventory, allow_backorder,
                variant_rank, weight, length, height, width, hs_code, origin_country, mid_code,
                material, thumbnail, metadata, created_at, updated_at, deleted_at
           FROM product_variants WHERE product_id = ANY($1) AND deleted_at IS NULL
          ORDER BY variant_rank, created_at, id",
        product_ids,
    )
    .fetch_all(pool);
    let options = sqlx::query_as!(
        OptionRow,
        "SELECT id, product_id, title, metadata, created_at, updated_at
           FROM product_options WHERE product_id = ANY($1) ORDER BY created_at, id",
        product_ids,
    )
    .fetch_all(pool);
    let option_values = sqlx::query_as!(
        OptionValueRow,
        "SELECT v.id, v.option_id, v.value, v.rank, v.metadata, v.created_at, v.updated_at
           FROM product_option_values v JOIN product_options o ON o.id = v.option_id
          WHERE o.product_id = ANY($1) ORDER BY v.rank NULLS LAST, v.created_at, v.id",
        product_ids,
    )
    .fetch_all(pool);
    let variant_values = sqlx::query_as!(
        LinkRow,
        "SELECT l.variant_id AS owner_id, l.option_value_id AS id
           FROM product_variant_option_values l JOIN product_variants v ON v.id = l.variant_id
          WHERE v.product_id = ANY($1)",
        product_ids,
    )
    .fetch_all(pool);
    let images = sqlx::query_as!(
        ImageRow,
        "SELECT id, product_id, url, rank, metadata, created_at, updated_at
           FROM product_images WHERE product_id = ANY($1) ORDER BY rank, id",
        product_ids,
    )
    .fetch_all(pool);
    let tags = sqlx::query_as!(
        NamedRow,
        "SELECT t.id, l.product_id AS owner_id, t.value, NULL::text AS handle, t.metadata,
                t.created_at, t.updated_at
           FROM product_tags t JOIN product_tag_links l ON l.tag_id = t.id
          WHERE l.product_id = ANY($1) ORDER BY t.value",
        product_ids,
    )
    .fetch_all(pool);
    tokio::try_join!(
        variants,
        options,
        option_values,
        variant_values,
        images,
        tags
    )
}

/// Six queries at once, on the pool.
async fn load_surroundings(
    pool: &PgPool,
    product_ids: &[String],
    sales_channel_ids: &[String],
    extras: &Extras,
) -> Result<Surroundings, sqlx::Error> {
    let categories = sqlx::query_as!(
        NamedRow,
        "SELECT c.id, l.product_id AS owner_id, c.name AS value, c.handle, c.metadata,
                c.created_at, c.updated_at
           FROM product_categories c JOIN product_category_links l ON l.category_id = c.id
          WHERE l.product_id = ANY($1) AND c.is_active AND NOT c.is_internal
          ORDER BY c.rank, c.id",
        product_ids,
    )
    .fetch_all(pool);
    let collections = sqlx::query_as!(
        NamedRow,
        "SELECT c.id, p.id AS owner_id, c.title AS value, c.handle, c.metadata, c.created_at, c.updated_at
           FROM product_collections c JOIN products p ON p.collection_id = c.id
          WHERE p.id = ANY($1)",
        product_ids,
    )
    .fetch_all(pool);
    let types = sqlx::query_as!(
        NamedRow,
        "SELECT t.id, p.id AS owner_id, t.value, NULL::text AS handle, t.metadata, t.created_at, t.updated_at
           FROM product_types t JOIN products p ON p.type_id = t.id
          WHERE p.id = ANY($1)",
        product_ids,
    )
    .fetch_all(pool);
    let prices = prices_in(pool, product_ids, extras);
    let variant_prices = variant_prices(pool, product_ids, extras);
    let stock = async {
        if !extras.inventory_quantity {
            return Ok(Vec::new());
        }
        available_stock(pool, product_ids, sales_channel_ids).await
    };
    tokio::try_join!(
        categories,
        collections,
        types,
        prices,
        variant_prices,
        stock
    )
}

/// The calculated prices' rows, when the request is priced (`region_id`, …).
async fn prices_in(
    pool: &PgPool,
    product_ids: &[String],
    extras: &Extras,
) -> Result<Vec<PriceRow>, sqlx::Error> {
    let Some(ctx) = &extras.pricing else {
        return Ok(Vec::new());
    };
    sqlx::query_as!(
        PriceRow,
        "SELECT pr.id, pr.variant_id, pr.amount
           FROM prices pr JOIN product_variants v ON v.id = pr.variant_id
          WHERE v.product_id = ANY($1) AND pr.currency_code = $2
            AND pr.price_list_id IS NULL",
        product_ids,
        ctx.currency_code,
    )
    .fetch_all(pool)
    .await
}

/// Every price of the variants, when `fields` asks for `variants.prices`.
async fn variant_prices(
    pool: &PgPool,
    product_ids: &[String],
    extras: &Extras,
) -> Result<Vec<VariantPriceRow>, sqlx::Error> {
    if !extras.variant_prices {
        return Ok(Vec::new());
    }
    sqlx::query_as!(
        VariantPriceRow,
        "SELECT pr.id, pr.variant_id, pr.currency_code, pr.amount, pr.min_quantity,
                pr.max_quantity, pr.created_at, pr.updated_at
           FROM prices pr JOIN product_variants v ON v.id = pr.variant_id
          WHERE v.product_id = ANY($1) AND pr.price_list_id IS NULL
          ORDER BY pr.currency_code, pr.id",
        product_ids
    )
    .fetch_all(pool)
    .await
}

/// The available quantity (`inventory_quantity`) of each variant with inventory items;
/// the others are absent.
async fn available_stock(
    pool: &PgPool,
    product_ids: &[String],
    sales_channel_ids: &[String],
) -> Result<Vec<(String, Option<i64>)>, sqlx::Error> {
    // Available = stocked - reserved at the locations of the key's sales channels;
    // a variant needing several items is limited by the scarcest one.
    let rows = sqlx::query!(
        "SELECT vi.variant_id,
                min(floor(coalesce(a.available, 0)::numeric / vi.required_quantity))::bigint AS available
           FROM product_variant_inventory_items vi
           JOIN product_variants v ON v.id = vi.variant_id
           LEFT JOIN LATERAL (
                SELECT sum(l.stocked_quantity - l.reserved_quantity) AS available
                  FROM inventory_levels l
                 WHERE l.inventory_item_id = vi.inventory_item_id
                   AND l.location_id IN (SELECT stock_location_id FROM sales_channel_stock_locations
                                          WHERE sales_channel_id = ANY($2))
           ) a ON TRUE
          WHERE v.product_id = ANY($1)
          GROUP BY vi.variant_id",
        product_ids,
        sales_channel_ids,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.variant_id, r.available))
        .collect())
}

async fn render(
    pool: &PgPool,
    rows: Vec<ProductRow>,
    sales_channel_ids: &[String],
    extras: &Extras,
) -> ApiResult<Vec<Value>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let related = load_related(pool, &ids, sales_channel_ids, extras).await?;
    let lookup = Lookup::new(&related);
    rows.iter()
        .map(|p| serde_json::to_value(lookup.product(p, extras)).context("serializing a product"))
        .collect()
}

/// The related rows of a page of products, indexed for rendering.
struct Lookup<'a> {
    related: &'a Related,
    options: HashMap<&'a str, &'a OptionRow>,
    values: HashMap<&'a str, &'a OptionValueRow>,
    prices: HashMap<&'a str, &'a PriceRow>,
    stock: HashMap<&'a str, Option<i64>>,
}

impl<'a> Lookup<'a> {
    fn new(related: &'a Related) -> Self {
        Lookup {
            related,
            options: related.options.iter().map(|o| (o.id.as_str(), o)).collect(),
            values: related
                .option_values
                .iter()
                .map(|v| (v.id.as_str(), v))
                .collect(),
            prices: related
                .prices
                .iter()
                .map(|p| (p.variant_id.as_str(), p))
                .collect(),
            stock: related
                .stock
                .iter()
                .map(|(v, q)| (v.as_str(), *q))
                .collect(),
        }
    }

    fn product(&self, p: &'a ProductRow, extras: &Extras) -> wire::Product<'a> {
        let r = self.related;
        wire::Product {
            row: p,
            variants: owned_by(&r.variants, &p.id)
                .map(|v| self.variant(v, extras))
                .collect(),
            options: owned_by(&r.options, &p.id)
                .map(|o| self.option(o, true))
                .collect(),
            images: owned_by(&r.images, &p.id)
                .map(|row| wire::Image {
                    row,
                    deleted_at: None,
                })
                .collect(),
            tags: owned_by(&r.tags, &p.id)
                .map(|row| wire::Named {
                    row,
                    label: "value",
                })
                .collect(),
            categories: owned_by(&r.categories, &p.id)
                .map(|c| wire::Category {
                    id: &c.id,
                    name: &c.value,
                    handle: &c.handle,
                    metadata: &c.metadata,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                })
                .collect(),
            collection: owned_by(&r.collections, &p.id)
                .next()
                .map(|row| wire::Named {
                    row,
                    label: "title",
                }),
            product_type: owned_by(&r.types, &p.id).next().map(|row| wire::Named {
                row,
                label: "value",
            }),
        }
    }

    fn variant(&self, v: &'a VariantRow, extras: &Extras) -> wire::Variant<'a> {
        let options = owned_by(&self.related.variant_values, &v.id)
            .filter_map(|l| self.values.get(l.id.as_str()))
            .map(|row| wire::VariantOptionValue {
                value: wire::OptionValue {
                    row,
                    deleted_at: None,
                },
                option: self
                    .options
                    .get(row.option_id.as_str())
                    .map(|o| self.option(o, false)),
            })
            .collect();
        wire::Variant {
            row: v,
            options,
            images: [],
            calculated_price: extras.pricing.as_ref().map(|ctx| {
                self.prices
                    .get(v.id.as_str())
                    .map(|price| ctx.calculated_price(&price.id, price.amount))
                    .unwrap_or(Value::Null)
            }),
            prices: extras.variant_prices.then(|| {
                owned_by(&self.related.variant_prices, &v.id)
                    .map(variant_price_json)
                    .collect()
            }),
            inventory_quantity: extras
                .inventory_quantity
                .then(|| self.stock.get(v.id.as_str()).copied().flatten()),
        }
    }

    fn option(&self, o: &'a OptionRow, with_values: bool) -> wire::ProductOption<'a> {
        wire::ProductOption {
            row: o,
            is_exclusive: true,
            deleted_at: None,
            values: with_values.then(|| {
                owned_by(&self.related.option_values, &o.id)
                    .map(|row| wire::OptionValue {
                        row,
                        deleted_at: None,
                    })
                    .collect()
            }),
        }
    }
}

/// A variant's price as Medusa's `variants.prices` has it (no price rules here).
fn variant_price_json(pr: &VariantPriceRow) -> Value {
    json!({
        "id": pr.id, "title": null, "variant_id": pr.variant_id,
        "currency_code": pr.currency_code, "amount": to_major(pr.amount, &pr.currency_code),
        "min_quantity": pr.min_quantity, "max_quantity": pr.max_quantity,
        "price_list_id": null, "price_list": null, "rules_count": 0, "price_rules": [],
        "created_at": timestamp(&pr.created_at), "updated_at": timestamp(&pr.updated_at),
        "deleted_at": null,
    })
}

/// A related row of a product, variant or option: which one it belongs to.
trait Owned {
    fn owner(&self) -> &str;
}

macro_rules! owned_by_field {
    ($($row:ty => $field:ident),* $(,)?) => {
        $(impl Owned for $row {
            fn owner(&self) -> &str {
                &self.$field
            }
        })*
    };
}

owned_by_field! {
    VariantRow => product_id,
    OptionRow => product_id,
    ImageRow => product_id,
    OptionValueRow => option_id,
    VariantPriceRow => variant_id,
    NamedRow => owner_id,
    LinkRow => owner_id,
}

/// The rows of `rows` that belong to `owner`, in their order.
fn owned_by<'a, T: Owned>(rows: &'a [T], owner: &'a str) -> impl Iterator<Item = &'a T> {
    rows.iter().filter(move |r| r.owner() == owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_alphanumeric_words() {
        assert_eq!(
            search_words("Merino  sweater!"),
            Some(vec!["merino".into(), "sweater".into()])
        );
        assert_eq!(search_words("a:* & !b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(search_words(" !!! "), None);
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    owner_id: String,
    id: String,
    title: String,
    handle: String,
    thumbnail: Option<String>,
    created_at: DateTime<Utc>,
}

/// What groups products for [`summaries_by`].
#[derive(Debug, Clone, Copy)]
pub enum Grouping {
    Category,
    Collection,
}

/// Plain product fields (no variants) of the visible products in each category or
/// collection, for `fields=*products` on those routes.
pub async fn summaries_by(
    pool: &PgPool,
    grouping: Grouping,
    owner_ids: &[String],
    sales_channel_ids: &[String],
) -> ApiResult<HashMap<String, Vec<Value>>> {
    // A product in several of the requested categories is listed under each of them.
    let rows = match grouping {
        Grouping::Category => {
            sqlx::query_as!(
                SummaryRow,
                "SELECT l.category_id AS owner_id, p.id, p.title, p.handle, p.thumbnail, p.created_at
                   FROM products p JOIN product_category_links l ON l.product_id = p.id
                  WHERE l.category_id = ANY($1) AND p.status = 'published' AND p.deleted_at IS NULL
                    AND EXISTS (SELECT 1 FROM product_sales_channels s
                                 WHERE s.product_id = p.id AND s.sales_channel_id = ANY($2))
                  ORDER BY p.created_at, p.id",
                owner_ids,
                sales_channel_ids,
            )
            .fetch_all(pool)
            .await?
        }
        Grouping::Collection => {
            sqlx::query_as!(
                SummaryRow,
                r#"SELECT p.collection_id AS "owner_id!", p.id, p.title, p.handle, p.thumbnail, p.created_at
                   FROM products p
                  WHERE p.collection_id = ANY($1) AND p.status = 'published' AND p.deleted_at IS NULL
                    AND EXISTS (SELECT 1 FROM product_sales_channels s
                                 WHERE s.product_id = p.id AND s.sales_channel_id = ANY($2))
                  ORDER BY p.created_at, p.id"#,
                owner_ids,
                sales_channel_ids,
            )
            .fetch_all(pool)
            .await?
        }
    };
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for row in rows {
        out.entry(row.owner_id).or_default().push(json!({
            "id": row.id, "title": row.title, "handle": row.handle, "thumbnail": row.thumbnail,
            "created_at": timestamp(&row.created_at),
        }));
    }
    Ok(out)
}
