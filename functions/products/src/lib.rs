//! The products function: the catalog routes of Medusa's Store API, and the Admin
//! API's products and stock levels.

mod admin;

use std::future::Future;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use store::cache::Namespace;
use store::catalog::categories::{
    self, CategoryFilter, Tree, CATEGORY_FIELDS, CATEGORY_LIST_KEYS, CATEGORY_ORDER_COLUMNS,
};
use store::catalog::collections::{
    self, CollectionFilter, COLLECTION_FIELDS, COLLECTION_LIST_KEYS, COLLECTION_ORDER_COLUMNS,
};
use store::catalog::pricing::PricingContext;
use store::catalog::products::{
    self, Extras, Grouping, Page, ProductFilter, PRODUCT_FIELDS, PRODUCT_LIST_KEYS,
    PRODUCT_ORDER_COLUMNS,
};
use store::catalog::regions::{
    self, RegionConditions, RegionFilter, REGION_FIELDS, REGION_LIST_KEYS, REGION_ORDER_COLUMNS,
};
use store::query::{Fields, StoreQuery};
use store::web::{cached_json, private_json, Routes, StoreCall};
use store::wire::list;
use store::{ApiError, ApiResult, AppState};
use store_admin::AdminState;

/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    Ok(router(AdminState::from_env()?))
}

pub fn router(state: AdminState) -> Router {
    store::web::compressed(store_admin::finish_router(routes(), state))
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<AdminState> {
    Routes::new()
        .route("/store/regions", get(list_regions))
        .route("/store/regions/{id}", get(get_region))
        .route("/store/products", get(list_products))
        .route("/store/products/{id}", get(get_product))
        .route("/store/product-categories", get(list_categories))
        .route("/store/product-categories/{id}", get(get_category))
        .route("/store/collections", get(list_collections))
        .route("/store/collections/{id}", get(get_collection))
        .merge(admin::routes())
}

async fn list_regions(call: StoreCall) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(call.query(), &REGION_LIST_KEYS)?;
    let key = query.cache_key();
    cached_json(&call.state, Namespace::Regions, key, || async {
        let filter = RegionFilter {
            conditions: RegionConditions::from_query(&query)?,
            order: query.order(&REGION_ORDER_COLUMNS, "created_at")?,
            limit: query.limit(50)?,
            offset: query.offset()?,
        };
        let fields = query.fields(&REGION_FIELDS)?;
        let (mut items, count) = regions::list(&call.state.pool, &filter).await?;
        items.iter_mut().for_each(|r| fields.project(r));
        Ok(list("regions", items, count, filter.offset, filter.limit))
    })
    .await
}

async fn get_region(call: StoreCall, Path(id): Path<String>) -> ApiResult<Response> {
    let query = item_query(&call, &["fields"], &id, "reg", "region")?;
    let key = format!("{id}?{}", query.cache_key());
    cached_json(&call.state, Namespace::Regions, key, || async {
        let fields = query.fields(&REGION_FIELDS)?;
        let mut region = regions::retrieve(&call.state.pool, &id).await?;
        fields.project(&mut region);
        Ok(json!({ "region": region }))
    })
    .await
}

async fn list_products(call: StoreCall) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(call.query(), &PRODUCT_LIST_KEYS)?;
    let channels = call.store.narrow(query.ids("sales_channel_id", "sc")?)?;
    let key = channel_key(&channels, &query);
    products_json(&call, &query, key, || async {
        let filter = ProductFilter {
            sales_channel_ids: channels.clone(),
            ..ProductFilter::from_query(&query)?
        };
        let page = page(&query, &PRODUCT_ORDER_COLUMNS, "created_at")?;
        let (extras, fields) = product_extras(&call.state, &query).await?;
        let (mut items, count) = products::list(&call.state.pool, &filter, page, &extras).await?;
        items
            .iter_mut()
            .for_each(|p| products::apply_fields(p, &fields, true));
        Ok(list("products", items, count, page.offset, page.limit))
    })
    .await
}

/// What `GET /store/products/:id` reads: `fields`, the pricing context, the sales
/// channels and the cart whose region prices the product.
const PRODUCT_KEYS: [&str; 7] = [
    "fields",
    "region_id",
    "country_code",
    "currency_code",
    "province",
    "sales_channel_id",
    "cart_id",
];

async fn get_product(call: StoreCall, Path(id): Path<String>) -> ApiResult<Response> {
    let query = item_query(&call, &PRODUCT_KEYS, &id, "prod", "product")?;
    let channels = call.store.narrow(query.ids("sales_channel_id", "sc")?)?;
    let key = format!("{id}|{}", channel_key(&channels, &query));
    products_json(&call, &query, key, || async {
        let (extras, fields) = product_extras(&call.state, &query).await?;
        let mut product = products::retrieve(&call.state.pool, &id, &channels, &extras).await?;
        products::apply_fields(&mut product, &fields, false);
        Ok(json!({ "product": product }))
    })
    .await
}

/// The key a storefront's read is cached under: the sales channels it sees, then the
/// query.
fn channel_key(channels: &[String], query: &StoreQuery) -> String {
    format!("{}|{}", channels.join(","), query.cache_key())
}

/// A category or collection list's query (`keys` allowed), and the key its answer is
/// cached under.
fn grouping_list_query(call: &StoreCall, keys: &[&str]) -> ApiResult<(StoreQuery, String)> {
    let query = StoreQuery::parse_list(call.query(), keys)?;
    let key = channel_key(&call.store.sales_channel_ids, &query);
    Ok((query, key))
}

/// A list's `order` (by one of `columns`, `default` without one), `limit` (50 without
/// one) and `offset`.
fn page(query: &StoreQuery, columns: &[&'static str], default: &'static str) -> ApiResult<Page> {
    Ok(Page {
        order: query.order(columns, default)?,
        limit: query.limit(50)?,
        offset: query.offset()?,
    })
}

/// A products answer: cached under `key`, unless a cart prices it (`cart_id`). That
/// answer follows the cart (its region, its shipping country), so it is built for each
/// request and kept out of shared caches.
async fn products_json<F, Fut>(
    call: &StoreCall,
    query: &StoreQuery,
    key: String,
    build: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<Value>>,
{
    if query.single("cart_id")?.is_some() {
        return private_json(&build().await?);
    }
    cached_json(&call.state, Namespace::Products, key, build).await
}

/// Prices when a pricing context is given (or asked for), stock and price lists when
/// asked for; and the `fields` selection to apply to the rendered products.
async fn product_extras(state: &AppState, query: &StoreQuery) -> ApiResult<(Extras, Fields)> {
    let fields = query.fields(&PRODUCT_FIELDS)?;
    // As in Medusa, a cart prices the products in its region and, once it has a shipping
    // address, shows taxes for its country: over `region_id` and `country_code`.
    let cart = match query.single("cart_id")? {
        Some(cart_id) => Some(store::cart::pricing_of(&state.pool, cart_id).await?),
        None => None,
    };
    let (region_id, country_code) = match &cart {
        Some((region, country)) => (
            Some(region.as_str()),
            country.as_deref().or(query.single("country_code")?),
        ),
        None => (query.single("region_id")?, query.single("country_code")?),
    };
    let pricing = PricingContext::resolve(
        &state.pool,
        region_id,
        country_code,
        query.single("currency_code")?,
    )
    .await?;
    if pricing.is_none() && fields.requests("variants.calculated_price") {
        return Err(ApiError::invalid_data(
            "Missing required pricing context to calculate prices - currency_code or region_id",
        ));
    }
    let extras = Extras {
        pricing: pricing.filter(|_| !fields.removes("variants.calculated_price")),
        inventory_quantity: fields.requests("variants.inventory_quantity"),
        variant_prices: fields.requests("variants.prices"),
    };
    Ok((extras, fields))
}

async fn list_categories(call: StoreCall) -> ApiResult<Response> {
    let (query, key) = grouping_list_query(&call, &CATEGORY_LIST_KEYS)?;
    cached_json(&call.state, Namespace::Categories, key, || async {
        let filter = CategoryFilter::from_query(&query)?;
        let fields = query.fields(&CATEGORY_FIELDS)?;
        let page = page(&query, &CATEGORY_ORDER_COLUMNS, "rank")?;
        let all = categories::all_visible(&call.state.pool).await?;
        let tree = Tree::new(&all);
        let selected = tree.select(&filter, page.order);
        let count = selected.len() as i64;
        let mut items: Vec<_> = selected
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(|c| tree.render(c, &filter))
            .collect();
        with_products(&call, Grouping::Category, &fields, &mut items).await?;
        Ok(list(
            "product_categories",
            items,
            count,
            page.offset,
            page.limit,
        ))
    })
    .await
}

/// What `GET /store/product-categories/:id` reads.
const CATEGORY_KEYS: [&str; 3] = [
    "fields",
    "include_ancestors_tree",
    "include_descendants_tree",
];

async fn get_category(call: StoreCall, Path(id): Path<String>) -> ApiResult<Response> {
    let query = item_query(&call, &CATEGORY_KEYS, &id, "pcat", "product category")?;
    let channels = &call.store.sales_channel_ids;
    let key = format!("{id}|{}", channel_key(channels, &query));
    cached_json(&call.state, Namespace::Categories, key, || async {
        let filter = CategoryFilter {
            ids: Some(vec![id.clone()]),
            include_ancestors_tree: query.boolean("include_ancestors_tree")?.unwrap_or(false),
            include_descendants_tree: query.boolean("include_descendants_tree")?.unwrap_or(false),
            ..CategoryFilter::default()
        };
        let fields = query.fields(&CATEGORY_FIELDS)?;
        let all = categories::all_visible(&call.state.pool).await?;
        let tree = Tree::new(&all);
        let category = tree
            .select(&filter, ("rank", false))
            .pop()
            .ok_or_else(|| categories::not_found(&id))?;
        let mut items = vec![tree.render(category, &filter)];
        with_products(&call, Grouping::Category, &fields, &mut items).await?;
        Ok(json!({ "product_category": items.pop() }))
    })
    .await
}

async fn list_collections(call: StoreCall) -> ApiResult<Response> {
    let (query, key) = grouping_list_query(&call, &COLLECTION_LIST_KEYS)?;
    cached_json(&call.state, Namespace::Collections, key, || async {
        let filter = CollectionFilter::from_query(&query)?;
        let fields = query.fields(&COLLECTION_FIELDS)?;
        let Page {
            order,
            limit,
            offset,
        } = page(&query, &COLLECTION_ORDER_COLUMNS, "created_at")?;
        let (rows, count) =
            collections::list(&call.state.pool, &filter, order, limit, offset).await?;
        let mut items: Vec<_> = rows.iter().map(collections::render).collect();
        with_products(&call, Grouping::Collection, &fields, &mut items).await?;
        Ok(list("collections", items, count, offset, limit))
    })
    .await
}

async fn get_collection(call: StoreCall, Path(id): Path<String>) -> ApiResult<Response> {
    let query = item_query(&call, &["fields"], &id, "pcol", "collection")?;
    let channels = &call.store.sales_channel_ids;
    let key = format!("{id}|{}", channel_key(channels, &query));
    cached_json(&call.state, Namespace::Collections, key, || async {
        let fields = query.fields(&COLLECTION_FIELDS)?;
        let filter = CollectionFilter {
            ids: Some(vec![id.clone()]),
            ..CollectionFilter::default()
        };
        let (rows, _) = collections::list(&call.state.pool, &filter, ("id", false), 1, 0).await?;
        let collection = rows.first().ok_or_else(|| collections::not_found(&id))?;
        let mut items = vec![collections::render(collection)];
        with_products(&call, Grouping::Collection, &fields, &mut items).await?;
        Ok(json!({ "collection": items.pop() }))
    })
    .await
}

/// Attaches each category's or collection's products when `fields` asks for them
/// (`*products`), then applies `fields`.
async fn with_products(
    call: &StoreCall,
    grouping: Grouping,
    fields: &Fields,
    items: &mut [Value],
) -> ApiResult<()> {
    if fields.requests("products") {
        let ids: Vec<String> = items.iter().map(id_of).collect();
        let channels = &call.store.sales_channel_ids;
        let mut by_owner =
            products::summaries_by(&call.state.pool, grouping, &ids, channels).await?;
        for item in items.iter_mut() {
            item["products"] = by_owner.remove(&id_of(item)).unwrap_or_default().into();
        }
    }
    items.iter_mut().for_each(|c| fields.project(c));
    Ok(())
}

/// A rendered category's or collection's id.
fn id_of(item: &Value) -> String {
    item["id"].as_str().unwrap_or_default().to_string()
}

/// The query of a read of one item (`keys` allowed), then the item's id, which must be
/// well formed: `{prefix}_…`.
fn item_query(
    call: &StoreCall,
    keys: &[&str],
    id: &str,
    prefix: &str,
    what: &str,
) -> ApiResult<StoreQuery> {
    let query = StoreQuery::parse(call.query(), keys)?;
    if store::id::is_well_formed(id, prefix) {
        Ok(query)
    } else {
        Err(ApiError::invalid_data(format!(
            "Invalid {what} id {id:?}: expected an id starting with {prefix}_"
        )))
    }
}
