//! `/admin/products` and `/admin/inventory-items`: every handler takes an
//! [`AdminContext`], so nothing runs without valid credentials.

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Json;
use serde_json::{json, Value};

use store::query::StoreQuery;

use store::web::{call, Routes, SearchPage};
use store::{ApiResult, AppState};
use store_admin::{channels, inventory, products, regions, taxonomy, AdminContext, AdminState};

pub fn routes() -> Routes<AdminState> {
    Routes::new()
        .route(
            "/admin/products",
            get(list_products).post(call::body(products::create)),
        )
        .route(
            "/admin/products/{id}",
            get(call::id(get_product))
                .post(call::id_body(products::update))
                .delete(call::id(products::delete)),
        )
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            post(call::ids_body(products::update_variant)),
        )
        .route(
            "/admin/sales-channels",
            get(list_channels).post(call::body(channels::create_channel)),
        )
        // Disable with `{"is_disabled": true}`: its products leave every storefront.
        .route(
            "/admin/sales-channels/{id}",
            post(call::id_body(channels::update_channel)),
        )
        .merge(taxonomy_routes(
            [
                "/admin/product-categories",
                "/admin/product-categories/{id}",
            ],
            &taxonomy::CATEGORIES,
            taxonomy::create_category,
            taxonomy::update_category,
            taxonomy::delete_category,
        ))
        .merge(taxonomy_routes(
            ["/admin/collections", "/admin/collections/{id}"],
            &taxonomy::COLLECTIONS,
            taxonomy::create_collection,
            taxonomy::update_collection,
            taxonomy::delete_collection,
        ))
        .merge(taxonomy_routes(
            ["/admin/product-tags", "/admin/product-tags/{id}"],
            &taxonomy::TAGS,
            taxonomy::create_tag,
            taxonomy::update_tag,
            taxonomy::delete_tag,
        ))
        .route(
            "/admin/regions",
            get(list_regions).post(call::body(regions::create_region)),
        )
        // Name, countries, tax rate (`tax_rate` in percent), tax inclusion.
        .route(
            "/admin/regions/{id}",
            get(call::id(get_region)).post(call::id_body(regions::update_region)),
        )
        .route("/admin/inventory-items/{id}", get(get_inventory_item))
        .route(
            "/admin/inventory-items/{id}/location-levels/{location_id}",
            post(call::ids_body(inventory::update_level)),
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

async fn get_product(state: &AppState, _: &AdminContext, id: &str) -> ApiResult<Value> {
    Ok(json!({ "product": products::retrieve(&state.pool, id).await? }))
}

async fn get_inventory_item(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(inventory::retrieve_item(&state.pool, &id).await?))
}

async fn list_channels(
    State(state): State<AppState>,
    _admin: AdminContext,
) -> ApiResult<Json<Value>> {
    Ok(Json(channels::list_channels(&state.pool).await?))
}

/// `/admin/{product-categories,collections,product-tags}` and `…/{id}`: listed and read
/// through their [`taxonomy::Listing`], written by their own functions.
fn taxonomy_routes<C, U, D, I>(
    [all, one]: [&'static str; 2],
    listing: &'static taxonomy::Listing,
    create: C,
    update: U,
    delete: D,
) -> Routes<AdminState>
where
    C: for<'a> call::Action<'a, AdminContext, call::Body<I>, Value>,
    U: for<'a> call::Action<'a, AdminContext, call::IdBody<I>, Value>,
    D: for<'a> call::Action<'a, AdminContext, call::Id, Value>,
    I: call::Input,
{
    let list = move |State(state): State<AppState>, _: AdminContext, page: SearchPage| async move {
        let q = page.q.as_deref();
        let list = taxonomy::list(&state.pool, listing, q, page.limit, page.offset).await?;
        ApiResult::Ok(Json(list))
    };
    let retrieve = move |State(state): State<AppState>, _: AdminContext, Path(id): Path<String>| async move {
        ApiResult::Ok(Json(taxonomy::retrieve(&state.pool, listing, &id).await?))
    };
    Routes::new()
        .route(all, get(list).post(call::body(create)))
        .route(
            one,
            get(retrieve)
                .post(call::id_body(update))
                .delete(call::id(delete)),
        )
}

async fn list_regions(
    State(state): State<AppState>,
    _admin: AdminContext,
    page: SearchPage,
) -> ApiResult<Json<Value>> {
    let filter = store::catalog::regions::RegionFilter {
        conditions: store::catalog::regions::RegionConditions {
            q: page.q,
            ..Default::default()
        },
        order: ("name", false),
        limit: page.limit,
        offset: page.offset,
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

async fn get_region(state: &AppState, _: &AdminContext, id: &str) -> ApiResult<Value> {
    Ok(json!({ "region": store::catalog::regions::retrieve(&state.pool, id).await? }))
}
