//! The cart function: carts, line items, promotions and shipping of Medusa's Store API,
//! and the Admin API's promotions and shipping options.

use axum::extract::{FromRef, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use store::cart::{
    self, AddShippingMethod, CreateCart, LineInputBody, PromoCodes, UpdateCart, UpdateLine,
};
use store::query::{Fields, StoreQuery};
use store::web::{JsonBody, Routes, StoreContext};
use store::{ApiResult, AppState};
use store_admin::{promotions, regions, AdminContext, AdminState};
use store_customers::{CustomerContext, OptionalCustomer};

pub mod limits;

/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    let limits = limits::CartLimits::from_env()?;
    Ok(router_with(AdminState::from_env()?, limits))
}

/// The router with the default cart rate limits.
pub fn router(state: AdminState) -> Router {
    router_with(state, limits::CartLimits::default())
}

pub fn router_with(state: AdminState, cart_limits: limits::CartLimits) -> Router {
    let limiter = limits::Limiter::new(AppState::from_ref(&state), cart_limits);
    let routes = routes().map_router(|router| {
        router.route_layer(axum::middleware::from_fn_with_state(
            limiter,
            limits::limit_cart_writes,
        ))
    });
    store_admin::finish_router(routes, state)
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<AdminState> {
    Routes::new()
        .route("/store/carts", post(create_cart))
        .route("/store/carts/{id}", get(get_cart).post(update_cart))
        .route("/store/carts/{id}/line-items", post(add_line))
        .route("/store/carts/{id}/customer", post(transfer_cart))
        .route(
            "/store/carts/{id}/line-items/{line_id}",
            post(update_line).delete(delete_line),
        )
        .route(
            "/store/carts/{id}/promotions",
            post(add_promotions).delete(remove_promotions),
        )
        .route(
            "/store/carts/{id}/shipping-methods",
            post(add_shipping_method),
        )
        .route("/store/shipping-options", get(list_shipping_options))
        .route(
            "/admin/promotions",
            get(list_promotions).post(create_promotion),
        )
        .route(
            "/admin/promotions/{id}",
            get(get_promotion).post(update_promotion),
        )
        .route(
            "/admin/shipping-options",
            get(admin_shipping_options).post(create_shipping_option),
        )
        .route("/admin/shipping-options/{id}", post(update_shipping_option))
}

/// `{"cart": …}`. Without `fields` to apply, the cart is serialized straight to bytes;
/// otherwise rendered to a `Value`, narrowed, then serialized.
fn cart_body(cart: &cart::Cart, fields: &Fields) -> ApiResult<Response> {
    if fields.keeps_all() {
        return Ok(Json(CartReply {
            cart: cart::body(cart),
        })
        .into_response());
    }
    Ok(Json(CartReply {
        cart: render_cart(cart, fields)?,
    })
    .into_response())
}

#[derive(serde::Serialize)]
struct CartReply<T> {
    cart: T,
}

fn render_cart(cart: &cart::Cart, fields: &Fields) -> ApiResult<Value> {
    let mut body = cart::render(cart)?;
    fields.project(&mut body);
    Ok(body)
}

/// Carts answer with Medusa's default fields (relations included); `fields` narrows,
/// adds or removes as Medusa applies it. Read before any write, so a bad query changes
/// nothing.
fn cart_query(raw: Option<&str>) -> ApiResult<Fields> {
    StoreQuery::parse(raw, &["fields"])?.any_fields()
}

/// A logged-in customer's new cart is theirs and takes their email.
async fn create_cart(
    State(state): State<AppState>,
    store: StoreContext,
    OptionalCustomer(customer): OptionalCustomer,
    RawQuery(raw): RawQuery,
    JsonBody(mut input): JsonBody<CreateCart>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    input.owner = customer.map(owner);
    cart_body(
        &cart::create(&state.pool, &store.sales_channel_ids, input).await?,
        &fields,
    )
}

fn owner(customer: CustomerContext) -> cart::Owner {
    cart::Owner {
        customer_id: customer.customer_id,
        email: customer.email,
    }
}

/// `POST /store/carts/:id/customer`: the guest cart becomes the logged-in customer's.
async fn transfer_cart(
    State(state): State<AppState>,
    _store: StoreContext,
    customer: CustomerContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::transfer(&state.pool, &id, &owner(customer)).await?,
        &fields,
    )
}

async fn get_cart(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    cart_body(&cart::load(&mut conn, &id, false).await?, &fields)
}

async fn update_cart(
    State(state): State<AppState>,
    store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<UpdateCart>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::update(&state.pool, &id, &store.sales_channel_ids, input).await?,
        &fields,
    )
}

async fn add_line(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<LineInputBody>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(&cart::add_line(&state.pool, &id, input).await?, &fields)
}

async fn update_line(
    State(state): State<AppState>,
    _store: StoreContext,
    Path((id, line_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<UpdateLine>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::update_line(&state.pool, &id, &line_id, input).await?,
        &fields,
    )
}

async fn delete_line(
    State(state): State<AppState>,
    _store: StoreContext,
    Path((id, line_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let fields = cart_query(raw.as_deref())?;
    let cart = cart::delete_line(&state.pool, &id, &line_id).await?;
    Ok(Json(json!({
        "id": line_id, "object": "line-item", "deleted": true, "parent": render_cart(&cart, &fields)?,
    })))
}

async fn add_promotions(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<PromoCodes>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::add_promotions(&state.pool, &id, &input.promo_codes).await?,
        &fields,
    )
}

async fn remove_promotions(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<PromoCodes>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::remove_promotions(&state.pool, &id, &input.promo_codes).await?,
        &fields,
    )
}

async fn add_shipping_method(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    JsonBody(input): JsonBody<AddShippingMethod>,
) -> ApiResult<Response> {
    let fields = cart_query(raw.as_deref())?;
    cart_body(
        &cart::set_shipping_method(&state.pool, &id, input).await?,
        &fields,
    )
}

async fn list_shipping_options(
    State(state): State<AppState>,
    _store: StoreContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(
        raw.as_deref(),
        &["cart_id", "fields", "is_return", "limit", "offset", "order"],
    )?;
    // Accepted as Medusa accepts them, and as there ignored: every option of the cart
    // comes at once. Malformed values are still refused.
    query.limit(50)?;
    query.offset()?;
    let cart_id = query
        .single("cart_id")?
        .ok_or_else(|| store::ApiError::invalid_data("Invalid request: 'cart_id' is required"))?;
    let fields = query.any_fields()?;
    // Every option here is an outbound one; return options are not modelled.
    let is_return = query.boolean("is_return")?.unwrap_or(false);
    let mut options = cart::shipping_options(&state.pool, cart_id).await?;
    if is_return {
        options.clear();
    }
    options.iter_mut().for_each(|o| fields.project(o));
    Ok(Json(json!({ "shipping_options": options })))
}

async fn list_promotions(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(raw.as_deref(), &["q", "limit", "offset", "fields", "order"])?;
    Ok(Json(
        promotions::list(
            &state.pool,
            query.single("q")?,
            query.limit(50)?,
            query.offset()?,
        )
        .await?,
    ))
}

async fn get_promotion(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(promotions::retrieve(&state.pool, &id).await?))
}

async fn create_promotion(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<promotions::CreatePromotion>,
) -> ApiResult<Json<Value>> {
    Ok(Json(promotions::create(&state, &admin, &input).await?))
}

/// Deactivate with `{"status": "inactive"}`.
async fn update_promotion(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<promotions::UpdatePromotion>,
) -> ApiResult<Json<Value>> {
    Ok(Json(promotions::update(&state, &admin, &id, &input).await?))
}

async fn admin_shipping_options(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(raw.as_deref(), &["region_id", "fields", "limit", "offset"])?;
    Ok(Json(
        regions::list_shipping_options(&state, query.single("region_id")?).await?,
    ))
}

async fn create_shipping_option(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<regions::ShippingOptionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        regions::create_shipping_option(&state, &admin, &input).await?,
    ))
}

/// Deactivate with `{"is_active": false}`.
async fn update_shipping_option(
    State(state): State<AppState>,
    admin: AdminContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<regions::ShippingOptionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        regions::update_shipping_option(&state, &admin, &id, &input).await?,
    ))
}
