//! The orders function: orders of Medusa's Store API, and the Admin API's orders,
//! payments, admin login, secret keys and audit log.

use axum::extract::{FromRef, FromRequestParts, Path, Query, RawQuery, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use store::payments::PaymentProviders;
use store::query::StoreQuery;
use store::web::{call, JsonBody, Routes, StoreCall};
use store::wire::list;
use store::{ApiError, ApiResult, AppState};
use store_admin::{
    audit, channels, orders as lifecycle, users, AdminAuth, AdminContext, AdminState,
};
use store_customers::CustomerContext;

/// The orders function's state: the store's, the admin login and token checks, and the
/// payment providers (for captures and refunds).
#[derive(Clone, FromRef)]
pub struct OrdersState {
    pub app: AppState,
    pub auth: AdminAuth,
    pub payments: PaymentProviders,
}

impl OrdersState {
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let AdminState { app, auth } = AdminState::from_env()?;
        Ok(OrdersState {
            app,
            auth,
            payments: store_stripe::providers_from_env(),
        })
    }
}

/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    Ok(router(OrdersState::from_env()?))
}

pub fn router(state: OrdersState) -> Router {
    store_admin::finish_router(routes(), state)
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<OrdersState> {
    Routes::new()
        .route("/store/orders", get(list_customer_orders))
        .route("/store/orders/{id}", get(get_order))
        .route("/admin/orders", get(list_orders))
        .route("/admin/orders/{id}", get(call::id(admin_get_order)))
        .route(
            "/admin/orders/{id}/fulfillments",
            post(call::id_body(lifecycle::create_fulfillment)),
        )
        .route(
            "/admin/orders/{id}/fulfillments/{fid}/shipments",
            post(call::ids_body(lifecycle::create_shipment)),
        )
        .route(
            "/admin/orders/{id}/fulfillments/{fid}/mark-as-delivered",
            post(call::ids(lifecycle::mark_delivered)),
        )
        .route(
            "/admin/orders/{id}/fulfillments/{fid}/cancel",
            post(call::ids(lifecycle::cancel_fulfillment)),
        )
        .route("/admin/orders/{id}/cancel", post(call::id(cancel_order)))
        .route("/admin/payments/{id}/capture", post(call::id_body(capture)))
        .route("/admin/payments/{id}/refund", post(call::id_body(refund)))
        .route("/admin/api-keys", get(list_api_keys).post(create_api_key))
        .route(
            "/admin/api-keys/{id}/revoke",
            post(call::id(revoke_api_key)),
        )
        .route(
            "/admin/api-keys/{id}/sales-channels",
            post(call::id_body(channels::change_key_channels)),
        )
        .route("/admin/audit-log", get(audit_log))
        .route("/admin/users/me", get(me))
}

/// No login needed: as in Medusa, the order id is the secret.
async fn get_order(call: StoreCall, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let fields = StoreQuery::parse(call.query(), &["fields"])?.any_fields()?;
    let mut conn = call.state.pool.acquire().await?;
    let mut order = store::orders::retrieve(&mut conn, &id).await?;
    fields.project(&mut order);
    Ok(Json(json!({ "order": order })))
}

/// `GET /store/orders`: the logged-in customer's orders (401 without a login), newest
/// first unless `order=created_at`; `limit`, `offset` and `fields` as for one order.
async fn list_customer_orders(
    call: StoreCall,
    customer: CustomerContext,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse_list(call.query(), &[])?;
    let (limit, offset) = (query.limit(50)?, query.offset()?);
    let (_, descending) = query.order(&["created_at"], "-created_at")?;
    let fields = query.any_fields()?;
    let mut conn = call.state.pool.acquire().await?;
    let (mut orders, count) = store::orders::list_of_customer(
        &mut conn,
        &customer.customer_id,
        limit,
        offset,
        !descending,
    )
    .await?;
    orders.iter_mut().for_each(|o| fields.project(o));
    Ok(Json(list("orders", orders, count, offset, limit)))
}

async fn list_orders(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let filter = lifecycle::OrderFilter::parse(raw.as_deref())?;
    Ok(Json(lifecycle::list(&state.pool, &filter).await?))
}

async fn admin_get_order(state: &AppState, _: &AdminContext, id: &str) -> ApiResult<Value> {
    Ok(json!({ "order": lifecycle::retrieve(&state.pool, id).await? }))
}

/// Who moves money: the admin (their credentials checked first) with the payment
/// providers to refund or capture through.
struct Cashier {
    admin: AdminContext,
    payments: PaymentProviders,
}

impl FromRequestParts<OrdersState> for Cashier {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &OrdersState) -> Result<Self, Response> {
        Ok(Cashier {
            admin: AdminContext::from_request_parts(parts, state).await?,
            payments: state.payments.clone(),
        })
    }
}

async fn cancel_order(state: &AppState, by: &Cashier, id: &str) -> ApiResult<Value> {
    lifecycle::cancel(state, &by.payments, &by.admin, id).await
}

async fn capture(
    state: &AppState,
    by: &Cashier,
    id: &str,
    input: &lifecycle::CapturePayment,
) -> ApiResult<Value> {
    lifecycle::capture(state, &by.payments, &by.admin, id, input).await
}

async fn refund(
    state: &AppState,
    by: &Cashier,
    id: &str,
    input: &lifecycle::RefundPayment,
) -> ApiResult<Value> {
    lifecycle::refund(state, &by.payments, &by.admin, id, input).await
}

async fn list_api_keys(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(raw.as_deref(), &["type", "fields", "limit", "offset"])?;
    Ok(Json(
        users::list_api_keys(&state.pool, query.single("type")?).await?,
    ))
}

async fn create_api_key(
    State(state): State<AppState>,
    admin: AdminContext,
    JsonBody(input): JsonBody<users::CreateApiKey>,
) -> ApiResult<Json<Value>> {
    let key = users::create_api_key(&state, &admin, &input).await?;
    Ok(Json(json!({ "api_key": key })))
}

async fn revoke_api_key(state: &AppState, admin: &AdminContext, id: &str) -> ApiResult<Value> {
    let key = users::revoke_api_key(state, admin, id).await?;
    Ok(json!({ "api_key": key }))
}

async fn audit_log(
    State(state): State<AppState>,
    _admin: AdminContext,
    query: Result<Query<audit::AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<store_admin::wire::AuditPage>> {
    let Query(filter) =
        query.map_err(|e| ApiError::invalid_data(format!("Invalid request: {e}")))?;
    Ok(Json(audit::list(&state.pool, &filter).await?))
}

async fn me(State(state): State<AppState>, admin: AdminContext) -> ApiResult<Json<Value>> {
    Ok(Json(users::me(&state.pool, &admin).await?))
}
