//! Loads a catalog file (see `seed/demo-catalog.json`) into the database. Everything is
//! keyed by its natural key (names, handles, SKUs, ISO codes) and inserted only when
//! missing, in one transaction, so running it again changes nothing.

use std::collections::{BTreeMap, HashMap};

use rand::Rng;
use serde::Deserialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use store::id::new_id;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub sales_channels: Vec<SalesChannel>,
    pub stock_locations: Vec<StockLocation>,
    pub publishable_keys: Vec<PublishableKey>,
    pub regions: Vec<Region>,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub collections: Vec<Collection>,
    pub products: Vec<Product>,
    #[serde(default)]
    pub shipping_options: Vec<ShippingOption>,
    #[serde(default)]
    pub promotions: Vec<Promotion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// Region name.
    pub region: String,
    pub name: String,
    /// Minor units of the region's currency.
    pub amount: i64,
    #[serde(default)]
    pub free_over_amount: Option<i64>,
    #[serde(default = "standard")]
    pub type_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub code: String,
    /// `percentage` (value in basis points) or `fixed` (value in minor units of `currency_code`).
    pub method: String,
    pub value: i64,
    #[serde(default)]
    pub currency_code: Option<String>,
    #[serde(default)]
    pub is_automatic: bool,
    #[serde(default)]
    pub usage_limit: Option<i64>,
    #[serde(default)]
    pub min_item_subtotal: Option<i64>,
    /// Product handles; empty means the whole order.
    #[serde(default)]
    pub products: Vec<String>,
}

fn standard() -> String {
    "standard".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesChannel {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLocation {
    pub name: String,
    pub sales_channels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishableKey {
    pub title: String,
    pub sales_channels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub name: String,
    pub currency_code: String,
    pub tax_rate_bps: i32,
    #[serde(default)]
    pub is_tax_inclusive: bool,
    #[serde(default = "yes")]
    pub automatic_taxes: bool,
    pub countries: Vec<Country>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Country {
    pub iso_2: String,
    pub iso_3: String,
    pub num_code: String,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub handle: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub rank: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    pub handle: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub thumbnail: Option<String>,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default = "published")]
    pub status: String,
    #[serde(default, rename = "type")]
    pub product_type: Option<String>,
    #[serde(default)]
    pub collection: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sales_channels: Vec<String>,
    #[serde(default)]
    pub weight: Option<i32>,
    #[serde(default)]
    pub material: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductOption {
    pub title: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub title: String,
    pub sku: String,
    /// Option title → value.
    pub options: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub manage_inventory: bool,
    #[serde(default)]
    pub allow_backorder: bool,
    /// Currency code → amount in minor units.
    pub prices: BTreeMap<String, i64>,
    /// Stock location name → stocked quantity.
    #[serde(default)]
    pub stock: BTreeMap<String, i32>,
}

fn yes() -> bool {
    true
}

fn published() -> String {
    "published".into()
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub products_created: usize,
    pub products_existing: usize,
    /// Title → token of each publishable key in the file.
    pub publishable_keys: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("catalog file: {0}")]
    File(String),
    #[error("catalog refers to unknown {kind} {name:?}")]
    Unknown { kind: &'static str, name: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub fn parse(text: &str) -> Result<CatalogFile, SeedError> {
    serde_json::from_str(text).map_err(|e| SeedError::File(e.to_string()))
}

/// Loads `catalog` in one transaction; inserts only what is missing.
pub async fn load(pool: &PgPool, catalog: &CatalogFile) -> Result<SeedReport, SeedError> {
    let mut tx = pool.begin().await?;
    let report = load_in(&mut tx, catalog).await?;
    tx.commit().await?;
    Ok(report)
}

/// Names resolved to ids while loading.
#[derive(Default)]
struct Ids {
    channels: HashMap<String, String>,
    locations: HashMap<String, String>,
    categories: HashMap<String, String>,
    collections: HashMap<String, String>,
}

fn lookup<'a>(
    map: &'a HashMap<String, String>,
    kind: &'static str,
    name: &str,
) -> Result<&'a str, SeedError> {
    map.get(name)
        .map(String::as_str)
        .ok_or_else(|| SeedError::Unknown {
            kind,
            name: name.to_string(),
        })
}

async fn load_in(tx: &mut PgConnection, catalog: &CatalogFile) -> Result<SeedReport, SeedError> {
    let mut ids = Ids::default();
    let mut report = SeedReport::default();
    ids.channels = load_channels(tx, &catalog.sales_channels).await?;
    ids.locations = load_locations(tx, &ids.channels, &catalog.stock_locations).await?;
    report.publishable_keys = load_keys(tx, &ids.channels, &catalog.publishable_keys).await?;
    load_regions(tx, &catalog.regions).await?;
    ids.categories = load_categories(tx, &catalog.categories).await?;
    ids.collections = load_collections(tx, &catalog.collections).await?;
    for product in &catalog.products {
        if insert_product(tx, &ids, catalog, product).await? {
            report.products_created += 1;
        } else {
            report.products_existing += 1;
        }
    }
    load_shipping_options(tx, &catalog.shipping_options).await?;
    load_promotions(tx, &catalog.promotions).await?;
    Ok(report)
}

/// Sales channel name → id.
async fn load_channels(
    tx: &mut PgConnection,
    channels: &[SalesChannel],
) -> Result<HashMap<String, String>, SeedError> {
    let mut ids = HashMap::new();
    for channel in channels {
        let id: String = sqlx::query_scalar!(
            r#"WITH ins AS (INSERT INTO sales_channels (id, name, description) VALUES ($1, $2, $3)
                          ON CONFLICT (name) DO NOTHING RETURNING id)
             SELECT id AS "id!" FROM ins UNION ALL SELECT id FROM sales_channels WHERE name = $2 LIMIT 1"#,
            new_id("sc"),
            &channel.name,
            channel.description.as_deref()
        )
        .fetch_one(&mut *tx)
        .await?;
        ids.insert(channel.name.clone(), id);
    }
    Ok(ids)
}

/// Stock location name → id; links each location to its sales channels.
async fn load_locations(
    tx: &mut PgConnection,
    channels: &HashMap<String, String>,
    locations: &[StockLocation],
) -> Result<HashMap<String, String>, SeedError> {
    let mut ids = HashMap::new();
    for location in locations {
        let id: String = sqlx::query_scalar!(
            r#"WITH ins AS (INSERT INTO stock_locations (id, name) VALUES ($1, $2)
                          ON CONFLICT (name) DO NOTHING RETURNING id)
             SELECT id AS "id!" FROM ins UNION ALL SELECT id FROM stock_locations WHERE name = $2 LIMIT 1"#,
            new_id("sloc"),
            &location.name
        )
        .fetch_one(&mut *tx)
        .await?;
        for channel in &location.sales_channels {
            sqlx::query!(
                "INSERT INTO sales_channel_stock_locations (sales_channel_id, stock_location_id)
                 VALUES ($1, $2) ON CONFLICT DO NOTHING",
                lookup(channels, "sales channel", channel)?,
                &id
            )
            .execute(&mut *tx)
            .await?;
        }
        ids.insert(location.name.clone(), id);
    }
    Ok(ids)
}

/// (title, token) of each key; links each key to its sales channels.
async fn load_keys(
    tx: &mut PgConnection,
    channels: &HashMap<String, String>,
    keys: &[PublishableKey],
) -> Result<Vec<(String, String)>, SeedError> {
    let mut tokens = Vec::new();
    for key in keys {
        let row = sqlx::query!(
            r#"WITH ins AS (INSERT INTO publishable_api_keys (id, token, title) VALUES ($1, $2, $3)
                          ON CONFLICT (title) DO NOTHING RETURNING id, token)
             SELECT id AS "id!", token AS "token!" FROM ins
             UNION ALL SELECT id, token FROM publishable_api_keys WHERE title = $3 LIMIT 1"#,
            new_id("apk"),
            new_publishable_token(),
            key.title,
        )
        .fetch_one(&mut *tx)
        .await?;
        let (id, token) = (row.id, row.token);
        for channel in &key.sales_channels {
            sqlx::query!("INSERT INTO publishable_api_key_sales_channels (publishable_key_id, sales_channel_id)
                 VALUES ($1, $2) ON CONFLICT DO NOTHING", &id, lookup(channels, "sales channel", channel)?)
            .execute(&mut *tx)
            .await?;
        }
        tokens.push((key.title.clone(), token));
    }
    Ok(tokens)
}

/// Regions with their countries.
async fn load_regions(tx: &mut PgConnection, regions: &[Region]) -> Result<(), SeedError> {
    for region in regions {
        let id: String = sqlx::query_scalar!(
            r#"WITH ins AS (INSERT INTO regions (id, name, currency_code, tax_rate_bps, is_tax_inclusive, automatic_taxes)
                          VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id)
             SELECT id AS "id!" FROM ins UNION ALL SELECT id FROM regions WHERE name = $2 LIMIT 1"#, new_id("reg"), &region.name, &region.currency_code, region.tax_rate_bps, region.is_tax_inclusive, region.automatic_taxes)
        .fetch_one(&mut *tx)
        .await?;
        for c in &region.countries {
            sqlx::query!("INSERT INTO region_countries (iso_2, iso_3, num_code, name, display_name, region_id)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (iso_2) DO NOTHING", &c.iso_2, &c.iso_3, &c.num_code, &c.name, &c.display_name, &id)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Category handle → id.
async fn load_categories(
    tx: &mut PgConnection,
    categories: &[Category],
) -> Result<HashMap<String, String>, SeedError> {
    let mut ids = HashMap::new();
    // Parents first: a category may only name a parent listed before it.
    for category in categories {
        let parent = match &category.parent {
            Some(handle) => Some(lookup(&ids, "parent category", handle)?.to_string()),
            None => None,
        };
        let id: String = sqlx::query_scalar!(
            r#"WITH ins AS (INSERT INTO product_categories (id, name, description, handle, parent_category_id, rank)
                          VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (handle) DO NOTHING RETURNING id)
             SELECT id AS "id!" FROM ins UNION ALL SELECT id FROM product_categories WHERE handle = $4 LIMIT 1"#, new_id("pcat"), &category.name, &category.description, &category.handle, parent, category.rank)
        .fetch_one(&mut *tx)
        .await?;
        ids.insert(category.handle.clone(), id);
    }
    Ok(ids)
}

/// Collection handle → id.
async fn load_collections(
    tx: &mut PgConnection,
    collections: &[Collection],
) -> Result<HashMap<String, String>, SeedError> {
    let mut ids = HashMap::new();
    for collection in collections {
        let id: String = sqlx::query_scalar!(
            r#"WITH ins AS (INSERT INTO product_collections (id, title, handle) VALUES ($1, $2, $3)
                          ON CONFLICT (handle) DO NOTHING RETURNING id)
             SELECT id AS "id!" FROM ins UNION ALL SELECT id FROM product_collections WHERE handle = $3 LIMIT 1"#, new_id("pcol"), &collection.title, &collection.handle)
        .fetch_one(&mut *tx)
        .await?;
        ids.insert(collection.handle.clone(), id);
    }
    Ok(ids)
}

/// Shipping options; their regions must already exist.
async fn load_shipping_options(
    tx: &mut PgConnection,
    options: &[ShippingOption],
) -> Result<(), SeedError> {
    for option in options {
        let region_id: String =
            sqlx::query_scalar!("SELECT id FROM regions WHERE name = $1", &option.region)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| SeedError::Unknown {
                    kind: "region",
                    name: option.region.clone(),
                })?;
        let label: String = option
            .type_code
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect::<Vec<_>>()
            .join(" ");
        sqlx::query!("INSERT INTO shipping_options (id, name, region_id, amount, free_over_amount, type_code, type_label)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (region_id, name) DO NOTHING", new_id("so"), &option.name, region_id, option.amount, option.free_over_amount, &option.type_code, label)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Promotions; the products they target must already exist.
async fn load_promotions(tx: &mut PgConnection, promotions: &[Promotion]) -> Result<(), SeedError> {
    for promotion in promotions {
        let mut product_ids = Vec::new();
        for handle in &promotion.products {
            let id: String =
                sqlx::query_scalar!("SELECT id FROM products WHERE handle = $1", handle)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| SeedError::Unknown {
                        kind: "product",
                        name: handle.clone(),
                    })?;
            product_ids.push(id);
        }
        sqlx::query!(
            "INSERT INTO promotions (id, code, is_automatic, method, value, currency_code, target,
                                     target_product_ids, usage_limit, min_item_subtotal)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING",
            new_id("promo"),
            &promotion.code,
            promotion.is_automatic,
            &promotion.method,
            promotion.value,
            promotion.currency_code.as_deref(),
            if product_ids.is_empty() {
                "order"
            } else {
                "items"
            },
            &product_ids,
            promotion.usage_limit,
            promotion.min_item_subtotal
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Inserts a product with everything under it; false when its handle already exists.
async fn insert_product(
    tx: &mut PgConnection,
    ids: &Ids,
    catalog: &CatalogFile,
    p: &Product,
) -> Result<bool, SeedError> {
    let Some(product_id) = insert_product_row(tx, ids, p).await? else {
        return Ok(false);
    };
    link_product(tx, ids, catalog, p, &product_id).await?;
    let values = insert_options(tx, &product_id, &p.options).await?;
    for (rank, v) in p.variants.iter().enumerate() {
        insert_variant(tx, ids, &product_id, &values, rank, v).await?;
    }
    Ok(true)
}

/// The new product's id; `None` when its handle already exists.
async fn insert_product_row(
    tx: &mut PgConnection,
    ids: &Ids,
    p: &Product,
) -> Result<Option<String>, SeedError> {
    let type_id = match &p.product_type {
        Some(value) => Some(ensure_named(tx, "product_types", "ptyp", value).await?),
        None => None,
    };
    let collection_id = match &p.collection {
        Some(handle) => Some(lookup(&ids.collections, "collection", handle)?.to_string()),
        None => None,
    };
    let product_id = new_id("prod");
    let inserted = sqlx::query!(
        "INSERT INTO products (id, handle, status, title, subtitle, description, thumbnail,
                               collection_id, type_id, weight, material, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (handle) DO NOTHING",
        &product_id,
        &p.handle,
        &p.status,
        &p.title,
        p.subtitle.as_deref(),
        &p.description as &Option<String>,
        p.thumbnail.as_ref().or(p.images.first()),
        collection_id,
        type_id,
        p.weight,
        &p.material as &Option<String>,
        &p.metadata as &Option<serde_json::Value>,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok((inserted != 0).then_some(product_id))
}

/// A new product's sales channels, images, tags and categories.
async fn link_product(
    tx: &mut PgConnection,
    ids: &Ids,
    catalog: &CatalogFile,
    p: &Product,
    product_id: &str,
) -> Result<(), SeedError> {
    // Without an explicit list, a product is sold in every channel of the file.
    let channels: Vec<&str> = if p.sales_channels.is_empty() {
        catalog
            .sales_channels
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    } else {
        p.sales_channels.iter().map(String::as_str).collect()
    };
    for channel in channels {
        sqlx::query!(
            "INSERT INTO product_sales_channels (product_id, sales_channel_id) VALUES ($1, $2)",
            product_id,
            lookup(&ids.channels, "sales channel", channel)?
        )
        .execute(&mut *tx)
        .await?;
    }
    for (rank, url) in p.images.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO product_images (id, product_id, url, rank) VALUES ($1, $2, $3, $4)",
            new_id("img"),
            product_id,
            url,
            rank as i32
        )
        .execute(&mut *tx)
        .await?;
    }
    for tag in &p.tags {
        let tag_id = ensure_named(tx, "product_tags", "ptag", tag).await?;
        sqlx::query!(
            "INSERT INTO product_tag_links (product_id, tag_id) VALUES ($1, $2)",
            product_id,
            tag_id
        )
        .execute(&mut *tx)
        .await?;
    }
    for handle in &p.categories {
        sqlx::query!(
            "INSERT INTO product_category_links (product_id, category_id) VALUES ($1, $2)",
            product_id,
            lookup(&ids.categories, "category", handle)?
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Inserts a new product's options; (option title, value) → option value id.
async fn insert_options<'a>(
    tx: &mut PgConnection,
    product_id: &str,
    options: &'a [ProductOption],
) -> Result<HashMap<(&'a str, &'a str), String>, SeedError> {
    let mut values = HashMap::new();
    for option in options {
        let option_id = new_id("opt");
        sqlx::query!(
            "INSERT INTO product_options (id, product_id, title) VALUES ($1, $2, $3)",
            &option_id,
            product_id,
            &option.title
        )
        .execute(&mut *tx)
        .await?;
        for (rank, value) in option.values.iter().enumerate() {
            let value_id = new_id("optval");
            sqlx::query!("INSERT INTO product_option_values (id, option_id, value, rank) VALUES ($1, $2, $3, $4)", &value_id, &option_id, value, rank as i32)
                .execute(&mut *tx)
                .await?;
            values.insert((option.title.as_str(), value.as_str()), value_id);
        }
    }
    Ok(values)
}

/// Inserts a variant of a new product with its option values, prices and inventory.
async fn insert_variant(
    tx: &mut PgConnection,
    ids: &Ids,
    product_id: &str,
    values: &HashMap<(&str, &str), String>,
    rank: usize,
    v: &Variant,
) -> Result<(), SeedError> {
    let variant_id = new_id("variant");
    sqlx::query!("INSERT INTO product_variants (id, product_id, title, sku, manage_inventory, allow_backorder, variant_rank)
         VALUES ($1, $2, $3, $4, $5, $6, $7)", &variant_id, product_id, &v.title, &v.sku, v.manage_inventory, v.allow_backorder, rank as i32)
    .execute(&mut *tx)
    .await?;
    for (option, value) in &v.options {
        let value_id = values
            .get(&(option.as_str(), value.as_str()))
            .ok_or_else(|| SeedError::Unknown {
                kind: "option value",
                name: format!("{option}: {value} (variant {})", v.sku),
            })?;
        sqlx::query!("INSERT INTO product_variant_option_values (variant_id, option_value_id) VALUES ($1, $2)", &variant_id, value_id)
            .execute(&mut *tx)
            .await?;
    }
    for (currency, amount) in &v.prices {
        sqlx::query!(
            "INSERT INTO prices (id, variant_id, currency_code, amount) VALUES ($1, $2, $3, $4)",
            new_id("price"),
            &variant_id,
            currency.to_ascii_lowercase(),
            amount
        )
        .execute(&mut *tx)
        .await?;
    }
    if v.manage_inventory {
        insert_inventory(tx, ids, &variant_id, v).await?;
    }
    Ok(())
}

/// An inventory item for a new variant, with its stock at each location.
async fn insert_inventory(
    tx: &mut PgConnection,
    ids: &Ids,
    variant_id: &str,
    v: &Variant,
) -> Result<(), SeedError> {
    let item_id = new_id("iitem");
    sqlx::query!(
        "INSERT INTO inventory_items (id, sku) VALUES ($1, $2)",
        &item_id,
        &v.sku
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("INSERT INTO product_variant_inventory_items (variant_id, inventory_item_id, required_quantity)
         VALUES ($1, $2, 1)", variant_id, &item_id)
    .execute(&mut *tx)
    .await?;
    for (location, quantity) in &v.stock {
        sqlx::query!(
            "INSERT INTO inventory_levels (id, inventory_item_id, location_id, stocked_quantity)
             VALUES ($1, $2, $3, $4)",
            new_id("ilev"),
            &item_id,
            lookup(&ids.locations, "stock location", location)?,
            quantity
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The id of a tag or type by its value, inserting it when missing.
async fn ensure_named(
    tx: &mut PgConnection,
    table: &'static str,
    prefix: &str,
    value: &str,
) -> Result<String, SeedError> {
    // `table` is one of two literals above, never input.
    let sql = format!(
        "WITH ins AS (INSERT INTO {table} (id, value) VALUES ($1, $2) ON CONFLICT (value) DO NOTHING RETURNING id)
         SELECT id FROM ins UNION ALL SELECT id FROM {table} WHERE value = $2 LIMIT 1"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(new_id(prefix))
        .bind(value)
        .fetch_one(&mut *tx)
        .await?)
}

/// `pk_` and 64 hex digits; publishable keys are public, so they are stored as is.
fn new_publishable_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("pk_{hex}")
}
