//! `/admin/products` and `/admin/inventory-items`: every handler takes an
//! [`AdminContext`], so nothing runs without valid credentials.

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Json;
use serde_json::Value;

use store::query::StoreQuery;
use store::web::{JsonBody, Routes};
use store::{ApiResult, AppState};
use store_admin::{channels, inventory, products, regions, taxonomy, AdminContext, AdminState};

pub fn routes() -> Routes<AdminState> {
    Routes::new()
        .route("/admin/products", get(list_products).post(create_product))
        .route(
            "/admin/products/{id}",
            get(get_product).post(update_product).delete(delete_product),
        )
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            post(update_variant),
        )
        .route(
            "/admin/sales-channels",
            get(list_channels).post(create_channel),
        )
        .route("/admin/sales-channels/{id}", post(update_channel))
        .route(
            "/admin/product-categories",
            get(|s, _: AdminContext, q| list_listing(s, q, &taxonomy::CATEGORIES))
                .post(create_category),
        )
        .route(
            "/admin/product-categories/{id}",
            get(|s, _: AdminContext, p| get_listing(s, p, &taxonomy::CATEGORIES))
                .post(update_category)
                .delete(delete_category),
        )
        .route(
            "/admin/collections",
            get(|s, _: AdminContext, q| list_listing(s, q, &taxonomy::COLLECTIONS))
                .post(create_collection),
        )
        .route(
            "/admin/collections/{id}",
            get(|s, _: AdminContext, p| get_listing(s, p, &taxonomy::COLLECTIONS))
                .post(update_collection)
                .delete(delete_collection),
        )
        .route(
            "/admin/product-tags",
            get(|s, _: AdminContext, q| list_listing(s, q, &taxonomy::TAGS)).post(create_tag),
        )
        .route(
            "/admin/product-tags/{id}",
            get(|s, _: AdminContext, p| get_listing(s, p, &taxonomy::TAGS))
                .post(update_tag)
                .delete(delete_tag),
        )
        .route("/admin/regions", get(list_regions).post(create_region))
        .route("/admin/regions/{id}", get(get_region).post(update_region))
        .route("/admin/inventory-items/{id}", get(get_inventory_item))
        .route(
            "/admin/inventory-items/{id}/location-levels/{location_id}",
            post(update_level),
        )
}

async fn list_products(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(
        raw.as_deref(),
        &[
            "status",
            "q",
            "is_giftcard",
            "limit",
            "offset",
            "fields",
            "order",
        ],
    )?;
    Ok(Json(
        products::list(
            &state.pool,
            query.list("status"),
            query.single("q")?,
            query.boolean("is_giftcard")?,
            query.limit(50)?,
            query.offset()?,
        )
        .await?,
    ))
}

async fn get_product(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::json!({ "product": products::retrieve(&state.pool, &id).await? }),
    ))
}

async fn create_product(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<products::CreateProduct>,
) -> ApiResult<Json<Value>> {
    Ok(Json(products::create(&state, &admin, &input).await?))
}

async fn update_product(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<products::UpdateProduct>,
) -> ApiResult<Json<Value>> {
    Ok(Json(products::update(&state, &admin, &id, &input).await?))
}

async fn delete_product(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(products::delete(&state, &admin, &id).await?))
}

async fn update_variant(
    State(state): State<AppState>,
    admin: AdminContext,
    Path((id, variant_id)): Path<(String, String)>,
    JsonBody(input): JsonBody<products::UpdateVariant>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        products::update_variant(&state, &admin, &id, &variant_id, &input).await?,
    ))
}

async fn get_inventory_item(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(inventory::retrieve_item(&state.pool, &id).await?))
}

async fn update_level(
    State(state): State<AppState>,
    admin: AdminContext,
    Path((id, location_id)): Path<(String, String)>,
    JsonBody(input): JsonBody<inventory::UpdateLevel>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        inventory::update_level(&state, &admin, &id, &location_id, &input).await?,
    ))
}

async fn list_channels(
    State(state): State<AppState>,
    _admin: AdminContext,
) -> ApiResult<Json<Value>> {
    Ok(Json(channels::list_channels(&state.pool).await?))
}

async fn create_channel(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<channels::SalesChannelInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        channels::create_channel(&state, &admin, &input).await?,
    ))
}

/// Disable with `{"is_disabled": true}`: its products leave every storefront.
async fn update_channel(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<channels::SalesChannelInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        channels::update_channel(&state, &admin, &id, &input).await?,
    ))
}

async fn create_region(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<regions::RegionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(regions::create_region(&state, &admin, &input).await?))
}

/// Name, countries, tax rate (`tax_rate` in percent), tax inclusion.
async fn update_region(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<regions::RegionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        regions::update_region(&state, &admin, &id, &input).await?,
    ))
}

async fn create_category(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<taxonomy::CategoryInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::create_category(&state, &admin, &input).await?,
    ))
}

async fn update_category(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<taxonomy::CategoryInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::update_category(&state, &admin, &id, &input).await?,
    ))
}

async fn delete_category(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(taxonomy::delete_category(&state, &admin, &id).await?))
}

async fn create_collection(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<taxonomy::CollectionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::create_collection(&state, &admin, &input).await?,
    ))
}

async fn update_collection(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<taxonomy::CollectionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::update_collection(&state, &admin, &id, &input).await?,
    ))
}

async fn delete_collection(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::delete_collection(&state, &admin, &id).await?,
    ))
}

async fn create_tag(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<taxonomy::TagInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(taxonomy::create_tag(&state, &admin, &input).await?))
}

async fn update_tag(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<taxonomy::TagInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        taxonomy::update_tag(&state, &admin, &id, &input).await?,
    ))
}

async fn delete_tag(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(taxonomy::delete_tag(&state, &admin, &id).await?))
}

/// `GET /admin/{product-categories,collections,product-tags}`.
async fn list_listing(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    listing: &taxonomy::Listing,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(raw.as_deref(), &["q", "limit", "offset", "fields", "order"])?;
    Ok(Json(
        taxonomy::list(
            &state.pool,
            listing,
            query.single("q")?,
            query.limit(50)?,
            query.offset()?,
        )
        .await?,
    ))
}

/// `GET /admin/{product-categories,collections,product-tags}/:id`.
async fn get_listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    listing: &taxonomy::Listing,
) -> ApiResult<Json<Value>> {
    Ok(Json(taxonomy::retrieve(&state.pool, listing, &id).await?))
}

async fn list_regions(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(raw.as_deref(), &["q", "limit", "offset", "fields", "order"])?;
    let filter = store::catalog::regions::RegionFilter {
        conditions: store::catalog::regions::RegionConditions {
            q: query.single("q")?.map(str::to_string),
            ..Default::default()
        },
        order: ("name", false),
        limit: query.limit(50)?,
        offset: query.offset()?,
    };
    let (regions, count) = store::catalog::regions::list(&state.pool, &filter).await?;
    Ok(Json(store::wire::list(
        "regions",
        regions,
        count,
        filter.offset,
        filter.limit,
    )))
}

async fn get_region(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::json!({ "region": store::catalog::regions::retrieve(&state.pool, &id).await? }),
    ))
}
