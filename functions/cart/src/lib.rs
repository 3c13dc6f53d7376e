//! The cart function: carts, line items, promotions and shipping of Medusa's Store API,
//! and the Admin API's promotions and shipping options.

use std::future::Future;

use axum::extract::{FromRef, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use store::cart::{
    self, AddShippingMethod, CreateCart, LineInputBody, PromoCodes, UpdateCart, UpdateLine,
};
use store::query::{Fields, StoreQuery};
use store::web::{call, JsonBody, Routes, SearchPage, StoreCall, StoreContext};
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
            post(|call, body| change_promotions(call, body, true))
                .delete(|call, body| change_promotions(call, body, false)),
        )
        .route(
            "/store/carts/{id}/shipping-methods",
            post(add_shipping_method),
        )
        .route("/store/shipping-options", get(list_shipping_options))
        .route(
            "/admin/promotions",
            get(list_promotions).post(call::body(promotions::create)),
        )
        // Deactivate with `{"status": "inactive"}`.
        .route(
            "/admin/promotions/{id}",
            get(call::id(get_promotion)).post(call::id_body(promotions::update)),
        )
        .route(
            "/admin/shipping-options",
            get(admin_shipping_options).post(call::body(regions::create_shipping_option)),
        )
        // Deactivate with `{"is_active": false}`.
        .route(
            "/admin/shipping-options/{id}",
            post(call::id_body(regions::update_shipping_option)),
        )
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

/// What a handler of one cart takes, extracted in this order: the storefront (its
/// publishable key checked first), the path (the cart's id, or with a line's id), and
/// the raw query; the handler's JSON body comes after.
struct CartCall<P = String> {
    state: AppState,
    store: StoreContext,
    path: P,
    raw: Option<String>,
}

impl<P> FromRequestParts<AdminState> for CartCall<P>
where
    Path<P>: FromRequestParts<AdminState>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, from: &AdminState) -> Result<Self, Response> {
        let StoreCall { state, store, raw } = StoreCall::from_request_parts(parts, from)
            .await
            .map_err(IntoResponse::into_response)?;
        // Every route on one cart reads it: at a cold start, with the warm-up's connection.
        state.warmed().await;
        let Path(path) = Path::<P>::from_request_parts(parts, from)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CartCall {
            state,
            store,
            path,
            raw,
        })
    }
}

impl<P> CartCall<P> {
    /// Reads `fields` (a bad query changes nothing), then runs `change` and answers the
    /// cart it leaves.
    async fn reply(
        &self,
        change: impl Future<Output = ApiResult<cart::Cart>>,
    ) -> ApiResult<Response> {
        let fields = cart_query(self.raw.as_deref())?;
        cart_body(&change.await?, &fields)
    }
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
async fn transfer_cart(call: CartCall, customer: CustomerContext) -> ApiResult<Response> {
    call.reply(cart::transfer(
        &call.state.pool,
        &call.path,
        &owner(customer),
    ))
    .await
}

async fn get_cart(call: CartCall) -> ApiResult<Response> {
    call.reply(async {
        let mut conn = call.state.pool.acquire().await?;
        cart::load(&mut conn, &call.path, false).await
    })
    .await
}

async fn update_cart(call: CartCall, JsonBody(input): JsonBody<UpdateCart>) -> ApiResult<Response> {
    let channels = &call.store.sales_channel_ids;
    call.reply(cart::update(&call.state.pool, &call.path, channels, input))
        .await
}

async fn add_line(call: CartCall, JsonBody(input): JsonBody<LineInputBody>) -> ApiResult<Response> {
    call.reply(cart::add_line(&call.state.pool, &call.path, input))
        .await
}

async fn update_line(
    call: CartCall<(String, String)>,
    JsonBody(input): JsonBody<UpdateLine>,
) -> ApiResult<Response> {
    let (id, line_id) = &call.path;
    call.reply(cart::update_line(&call.state.pool, id, line_id, input))
        .await
}

async fn delete_line(call: CartCall<(String, String)>) -> ApiResult<Json<Value>> {
    let fields = cart_query(call.raw.as_deref())?;
    let (id, line_id) = &call.path;
    let cart = cart::delete_line(&call.state.pool, id, line_id).await?;
    Ok(Json(json!({
        "id": line_id, "object": "line-item", "deleted": true, "parent": render_cart(&cart, &fields)?,
    })))
}

/// `POST` adds the codes, `DELETE` removes them.
async fn change_promotions(
    call: CartCall,
    JsonBody(input): JsonBody<PromoCodes>,
    adding: bool,
) -> ApiResult<Response> {
    let (pool, id, codes) = (&call.state.pool, &call.path, &input.promo_codes);
    if adding {
        call.reply(cart::add_promotions(pool, id, codes)).await
    } else {
        call.reply(cart::remove_promotions(pool, id, codes)).await
    }
}

async fn add_shipping_method(
    call: CartCall,
    JsonBody(input): JsonBody<AddShippingMethod>,
) -> ApiResult<Response> {
    call.reply(cart::set_shipping_method(
        &call.state.pool,
        &call.path,
        input,
    ))
    .await
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
    page: SearchPage,
) -> ApiResult<Json<Value>> {
    let q = page.q.as_deref();
    Ok(Json(
        promotions::list(&state.pool, q, page.limit, page.offset).await?,
    ))
}

async fn get_promotion(state: &AppState, _: &AdminContext, id: &str) -> ApiResult<Value> {
    promotions::retrieve(&state.pool, id).await
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
