//! The products function: the catalog routes of Medusa's Store API, and the Admin
//! API's products and stock levels.

mod admin;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

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
use store::web::{cached_json, Routes, StoreContext};
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

async fn list_regions(
    State(state): State<AppState>,
    _store: StoreContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(raw.as_deref(), &REGION_LIST_KEYS)?;
    let key = query.cache_key();
    cached_json(&state, Namespace::Regions, key, || async {
        let filter = RegionFilter {
            conditions: RegionConditions::from_query(&query)?,
            order: query.order(&REGION_ORDER_COLUMNS, "created_at")?,
            limit: query.limit(50)?,
            offset: query.offset()?,
        };
        let fields = query.fields(&REGION_FIELDS)?;
        let (mut items, count) = regions::list(&state.pool, &filter).await?;
        items.iter_mut().for_each(|r| fields.project(r));
        Ok(list("regions", items, count, filter.offset, filter.limit))
    })
    .await
}

async fn get_region(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse(raw.as_deref(), &["fields"])?;
    well_formed(&id, "reg", "region")?;
    let key = format!("{id}?{}", query.cache_key());
    cached_json(&state, Namespace::Regions, key, || async {
        let fields = query.fields(&REGION_FIELDS)?;
        let mut region = regions::retrieve(&state.pool, &id).await?;
        fields.project(&mut region);
        Ok(json!({ "region": region }))
    })
    .await
}

async fn list_products(
    State(state): State<AppState>,
    store: StoreContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(raw.as_deref(), &PRODUCT_LIST_KEYS)?;
    let channels = store.narrow(query.ids("sales_channel_id", "sc")?)?;
    let key = format!("{}|{}", channels.join(","), query.cache_key());
    cached_json(&state, Namespace::Products, key, || async {
        let filter = ProductFilter {
            sales_channel_ids: channels.clone(),
            ..ProductFilter::from_query(&query)?
        };
        let page = Page {
            order: query.order(&PRODUCT_ORDER_COLUMNS, "created_at")?,
            limit: query.limit(50)?,
            offset: query.offset()?,
        };
        let (extras, fields) = product_extras(&state, &query).await?;
        let (mut items, count) = products::list(&state.pool, &filter, page, &extras).await?;
        items
            .iter_mut()
            .for_each(|p| products::apply_fields(p, &fields, true));
        Ok(list("products", items, count, page.offset, page.limit))
    })
    .await
}

async fn get_product(
    State(state): State<AppState>,
    store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse(
        raw.as_deref(),
        &[
            "fields",
            "region_id",
            "country_code",
            "currency_code",
            "province",
            "sales_channel_id",
            "cart_id",
        ],
    )?;
    well_formed(&id, "prod", "product")?;
    let channels = store.narrow(query.ids("sales_channel_id", "sc")?)?;
    let key = format!("{id}|{}|{}", channels.join(","), query.cache_key());
    cached_json(&state, Namespace::Products, key, || async {
        let (extras, fields) = product_extras(&state, &query).await?;
        let mut product = products::retrieve(&state.pool, &id, &channels, &extras).await?;
        products::apply_fields(&mut product, &fields, false);
        Ok(json!({ "product": product }))
    })
    .await
}

/// Prices when a pricing context is given (or asked for), stock and price lists when
/// asked for; and the `fields` selection to apply to the rendered products.
async fn product_extras(state: &AppState, query: &StoreQuery) -> ApiResult<(Extras, Fields)> {
    let fields = query.fields(&PRODUCT_FIELDS)?;
    // Without a region, a cart's region prices the products (Medusa's `cart_id`).
    let cart_region = match (query.single("region_id")?, query.single("cart_id")?) {
        (None, Some(cart_id)) => Some(store::cart::region_of(&state.pool, cart_id).await?),
        _ => None,
    };
    let pricing = PricingContext::resolve(
        &state.pool,
        query.single("region_id")?.or(cart_region.as_deref()),
        query.single("country_code")?,
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

async fn list_categories(
    State(state): State<AppState>,
    store: StoreContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(raw.as_deref(), &CATEGORY_LIST_KEYS)?;
    let key = format!(
        "{}|{}",
        store.sales_channel_ids.join(","),
        query.cache_key()
    );
    cached_json(&state, Namespace::Categories, key, || async {
        let filter = CategoryFilter::from_query(&query)?;
        let fields = query.fields(&CATEGORY_FIELDS)?;
        let order = query.order(&CATEGORY_ORDER_COLUMNS, "rank")?;
        let (limit, offset) = (query.limit(50)?, query.offset()?);
        let all = categories::all_visible(&state.pool).await?;
        let tree = Tree::new(&all);
        let selected = tree.select(&filter, order);
        let count = selected.len() as i64;
        let page: Vec<_> = selected
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let mut items: Vec<_> = page.iter().map(|c| tree.render(c, &filter)).collect();
        let ids: Vec<String> = page.iter().map(|c| c.id.clone()).collect();
        with_products(
            &state,
            Grouping::Category,
            &ids,
            &store,
            &fields,
            &mut items,
        )
        .await?;
        Ok(list("product_categories", items, count, offset, limit))
    })
    .await
}

async fn get_category(
    State(state): State<AppState>,
    store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse(
        raw.as_deref(),
        &[
            "fields",
            "include_ancestors_tree",
            "include_descendants_tree",
        ],
    )?;
    well_formed(&id, "pcat", "product category")?;
    let key = format!(
        "{id}|{}|{}",
        store.sales_channel_ids.join(","),
        query.cache_key()
    );
    cached_json(&state, Namespace::Categories, key, || async {
        let filter = CategoryFilter {
            ids: Some(vec![id.clone()]),
            include_ancestors_tree: query.boolean("include_ancestors_tree")?.unwrap_or(false),
            include_descendants_tree: query.boolean("include_descendants_tree")?.unwrap_or(false),
            ..CategoryFilter::default()
        };
        let fields = query.fields(&CATEGORY_FIELDS)?;
        let all = categories::all_visible(&state.pool).await?;
        let tree = Tree::new(&all);
        let category = tree
            .select(&filter, ("rank", false))
            .pop()
            .ok_or_else(|| categories::not_found(&id))?;
        let mut items = vec![tree.render(category, &filter)];
        let ids = std::slice::from_ref(&id);
        with_products(&state, Grouping::Category, ids, &store, &fields, &mut items).await?;
        Ok(json!({ "product_category": items.pop() }))
    })
    .await
}

async fn list_collections(
    State(state): State<AppState>,
    store: StoreContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse_list(raw.as_deref(), &COLLECTION_LIST_KEYS)?;
    let key = format!(
        "{}|{}",
        store.sales_channel_ids.join(","),
        query.cache_key()
    );
    cached_json(&state, Namespace::Collections, key, || async {
        let filter = CollectionFilter::from_query(&query)?;
        let fields = query.fields(&COLLECTION_FIELDS)?;
        let order = query.order(&COLLECTION_ORDER_COLUMNS, "created_at")?;
        let (limit, offset) = (query.limit(50)?, query.offset()?);
        let (rows, count) = collections::list(&state.pool, &filter, order, limit, offset).await?;
        let mut items: Vec<_> = rows.iter().map(collections::render).collect();
        let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
        with_products(
            &state,
            Grouping::Collection,
            &ids,
            &store,
            &fields,
            &mut items,
        )
        .await?;
        Ok(list("collections", items, count, offset, limit))
    })
    .await
}

async fn get_collection(
    State(state): State<AppState>,
    store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = StoreQuery::parse(raw.as_deref(), &["fields"])?;
    well_formed(&id, "pcol", "collection")?;
    let key = format!(
        "{id}|{}|{}",
        store.sales_channel_ids.join(","),
        query.cache_key()
    );
    cached_json(&state, Namespace::Collections, key, || async {
        let fields = query.fields(&COLLECTION_FIELDS)?;
        let filter = CollectionFilter {
            ids: Some(vec![id.clone()]),
            ..CollectionFilter::default()
        };
        let (rows, _) = collections::list(&state.pool, &filter, ("id", false), 1, 0).await?;
        let collection = rows.first().ok_or_else(|| collections::not_found(&id))?;
        let mut items = vec![collections::render(collection)];
        let ids = std::slice::from_ref(&id);
        with_products(
            &state,
            Grouping::Collection,
            ids,
            &store,
            &fields,
            &mut items,
        )
        .await?;
        Ok(json!({ "collection": items.pop() }))
    })
    .await
}

/// Attaches each category's or collection's products when `fields` asks for them
/// (`*products`), then applies `fields`.
async fn with_products(
    state: &AppState,
    grouping: Grouping,
    ids: &[String],
    store: &StoreContext,
    fields: &Fields,
    items: &mut [serde_json::Value],
) -> ApiResult<()> {
    if fields.requests("products") {
        let mut by_owner =
            products::summaries_by(&state.pool, grouping, ids, &store.sales_channel_ids).await?;
        for item in items.iter_mut() {
            let id = item["id"].as_str().unwrap_or_default().to_string();
            item["products"] = by_owner.remove(&id).unwrap_or_default().into();
        }
    }
    items.iter_mut().for_each(|c| fields.project(c));
    Ok(())
}

fn well_formed(id: &str, prefix: &str, what: &str) -> ApiResult<()> {
    if store::id::is_well_formed(id, prefix) {
        Ok(())
    } else {
        Err(ApiError::invalid_data(format!(
            "Invalid {what} id {id:?}: expected an id starting with {prefix}_"
        )))
    }
}
