//! The accounts function: who is logging in and who they are. Logins of admin users and
//! customers (`/auth`), customers and their addresses (`/store/customers`), and the
//! Admin API's customers.

use std::future::Future;

use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use store::query::{Fields, StoreQuery};
use store::web::{JsonBody, Routes, StoreCall};
use store::wire::list;
use store::{ApiError, ApiResult, AppState};
use store_admin::{auth, AdminAuth, AdminContext, AdminState};
use store_auth::token;
use store_customers::session::{self, CustomerContext, IdentityToken};
use store_customers::{addresses, customers, identities, Customer};

/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    Ok(router(AdminState::from_env()?))
}

pub fn router(state: AdminState) -> Router {
    store_admin::finish_router(routes(), state)
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<AdminState> {
    Routes::new()
        .route("/auth/user/emailpass", post(user_login))
        .route("/auth/customer/emailpass/register", post(register))
        .route("/auth/customer/emailpass", post(customer_login))
        .route(
            "/auth/customer/emailpass/reset-password",
            post(request_reset),
        )
        .route("/auth/customer/emailpass/update", post(reset_password))
        .route("/auth/token/refresh", post(refresh))
        .route("/auth/session", post(create_session).delete(delete_session))
        .route("/store/customers", post(create_customer))
        .route("/store/customers/me", get(me).post(update_me))
        .route(
            "/store/customers/me/addresses",
            get(list_addresses).post(create_address),
        )
        .route(
            "/store/customers/me/addresses/{id}",
            get(get_address).post(update_address).delete(delete_address),
        )
        .route("/admin/customers", get(admin_list_customers))
        .route("/admin/customers/{id}", get(admin_get_customer))
}

fn token_response(result: Result<Value, Response>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(response) => response,
    }
}

/// What a login takes before its JSON body: the state, the login settings and the
/// caller's IP address (for the rate limit on failed attempts).
struct LoginCall {
    state: AppState,
    auth: AdminAuth,
    ip: Option<String>,
}

impl FromRequestParts<AdminState> for LoginCall {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        Ok(LoginCall {
            state: state.app.clone(),
            auth: state.auth.clone(),
            ip: auth::source_ip(parts),
        })
    }
}

/// `POST /auth/user/emailpass` → `{token}` for an admin user.
async fn user_login(call: LoginCall, JsonBody(input): JsonBody<auth::EmailPass>) -> Response {
    let LoginCall {
        state,
        auth: admin,
        ip,
    } = &call;
    token_response(auth::login(state, admin, ip.as_deref(), input).await)
}

/// `POST /auth/customer/emailpass/register` → `{token}` to create the customer with.
async fn register(call: LoginCall, JsonBody(input): JsonBody<identities::EmailPass>) -> Response {
    let LoginCall { state, auth, ip } = &call;
    token_response(identities::register(state, auth, ip.as_deref(), input).await)
}

/// `POST /auth/customer/emailpass` → `{token}` of the customer.
async fn customer_login(
    call: LoginCall,
    JsonBody(input): JsonBody<identities::EmailPass>,
) -> Response {
    let LoginCall { state, auth, ip } = &call;
    token_response(identities::login(state, auth, ip.as_deref(), input).await)
}

/// `POST /auth/customer/emailpass/reset-password`: 201 "Created", known email or not.
async fn request_reset(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<identities::ResetRequest>,
) -> ApiResult<Response> {
    if let Some(event) = identities::request_reset(&state, input).await? {
        state.events.publish(&state.pool, &[event]).await;
    }
    Ok((
        StatusCode::CREATED,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Created",
    )
        .into_response())
}

/// `POST /auth/customer/emailpass/update` with the emailed token as bearer.
async fn reset_password(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(input): JsonBody<identities::NewPassword>,
) -> ApiResult<Json<Value>> {
    let token = store_auth::bearer(&parts).ok_or_else(ApiError::unauthorized)?;
    identities::reset_password(&state, token, input).await?;
    Ok(Json(json!({ "success": true })))
}

/// `POST /auth/token/refresh`: a fresh token for an admin user's or a customer's token.
async fn refresh(State(state): State<AdminState>, mut parts: Parts) -> Response {
    let Some(inner) = state.auth.inner() else {
        return store_auth::disabled_response();
    };
    let customer =
        session::token_of(&parts).and_then(|t| token::verify(&inner.secret, &t, "customer"));
    if let Some(claims) = customer {
        return match identities::refresh(&state.app, inner, &claims).await {
            Ok(body) => Json(body).into_response(),
            Err(err) => err.into_response(),
        };
    }
    match AdminContext::from_request_parts(&mut parts, &state).await {
        Ok(admin) => auth::refresh(&state.auth, &admin),
        Err(rejection) => rejection,
    }
}

/// `POST /auth/session` with a customer's bearer token: the same login as an HttpOnly
/// cookie, for storefronts that use `auth: { type: "session" }`; answers the claims.
async fn create_session(
    State(auth): State<AdminAuth>,
    parts: Parts,
    IdentityToken(claims): IdentityToken,
) -> Response {
    let Some(inner) = auth.inner() else {
        return store_auth::disabled_response();
    };
    let token = store_auth::bearer(&parts)
        .map(str::to_string)
        .or_else(|| session::token_of(&parts))
        .unwrap_or_default();
    let max_age = (claims.exp - claims.iat).clamp(0, inner.customer_ttl.as_secs() as i64);
    let cookie = session::session_cookie_header(&parts, &token, max_age as u64);
    ([(SET_COOKIE, cookie)], Json(json!({ "user": claims }))).into_response()
}

/// `DELETE /auth/session`: ends the cookie session; 401 without one.
async fn delete_session(parts: Parts) -> Response {
    if !session::has_session_cookie(&parts) {
        return ApiError::unauthorized().into_response();
    }
    let cookie = session::cleared_cookie_header(&parts);
    ([(SET_COOKIE, cookie)], Json(json!({ "success": true }))).into_response()
}

fn customer_fields(raw: Option<&str>) -> ApiResult<Fields> {
    StoreQuery::parse(raw, &["fields"])?.any_fields()
}

/// `{customer}`, with the orders when `fields` asks for them (`*orders`).
async fn customer_body(
    state: &AppState,
    mut customer: Customer,
    fields: &Fields,
) -> ApiResult<Json<Value>> {
    if fields.requests("orders") {
        let mut conn = state.pool.acquire().await?;
        let (orders, _) =
            store::orders::list_of_customer(&mut conn, &customer.row.id, 50, 0, false).await?;
        customer.orders = Some(orders);
    }
    let mut body = customer.render()?;
    fields.project(&mut body);
    Ok(Json(json!({ "customer": body })))
}

/// What a handler of the logged-in customer takes before the path and the body, extracted
/// in this order: the storefront (its publishable key checked first), the customer (401
/// without a login) and the raw query.
struct CustomerCall {
    state: AppState,
    raw: Option<String>,
    /// The customer's id.
    id: String,
}

impl FromRequestParts<AdminState> for CustomerCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, Response> {
        let call = StoreCall::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let customer = CustomerContext::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CustomerCall {
            state: call.state,
            raw: call.raw,
            id: customer.customer_id,
        })
    }
}

/// Reads `fields` (a bad query changes nothing), then runs `change` and answers the
/// customer it leaves.
async fn customer_reply(
    call: &CustomerCall,
    change: impl Future<Output = ApiResult<Customer>>,
) -> ApiResult<Json<Value>> {
    let fields = customer_fields(call.raw.as_deref())?;
    customer_body(&call.state, change.await?, &fields).await
}

/// `POST /store/customers` with the registration token.
async fn create_customer(
    call: StoreCall,
    IdentityToken(claims): IdentityToken,
    JsonBody(input): JsonBody<customers::CreateCustomer>,
) -> ApiResult<Json<Value>> {
    let fields = customer_fields(call.query())?;
    let customer = customers::create(&call.state, &claims, input).await?;
    customer_body(&call.state, customer, &fields).await
}

async fn me(call: CustomerCall) -> ApiResult<Json<Value>> {
    customer_reply(&call, async {
        let mut conn = call.state.pool.acquire().await?;
        customers::load(&mut conn, &call.id).await
    })
    .await
}

async fn update_me(
    call: CustomerCall,
    JsonBody(input): JsonBody<customers::UpdateCustomer>,
) -> ApiResult<Json<Value>> {
    customer_reply(&call, customers::update(&call.state, &call.id, input)).await
}

async fn list_addresses(call: CustomerCall) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse_list(call.raw.as_deref(), &[])?;
    let (limit, offset) = (query.limit(50)?, query.offset()?);
    let fields = query.any_fields()?;
    let mut conn = call.state.pool.acquire().await?;
    let all = addresses::of_customer(&mut conn, &call.id).await?;
    let count = all.len() as i64;
    let mut page: Vec<Value> = all
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::internal("serializing an address", e))?;
    page.iter_mut().for_each(|a| fields.project(a));
    Ok(Json(list("addresses", page, count, offset, limit)))
}

async fn create_address(
    call: CustomerCall,
    JsonBody(input): JsonBody<addresses::AddressInput>,
) -> ApiResult<Json<Value>> {
    customer_reply(&call, addresses::create(&call.state, &call.id, input)).await
}

async fn get_address(call: CustomerCall, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let address = addresses::get(&call.state, &call.id, &id).await?;
    Ok(Json(json!({ "address": address })))
}

async fn update_address(
    call: CustomerCall,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<addresses::AddressInput>,
) -> ApiResult<Json<Value>> {
    customer_reply(&call, addresses::update(&call.state, &call.id, &id, input)).await
}

async fn delete_address(call: CustomerCall, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let updated = addresses::delete(&call.state, &call.id, &id).await?;
    Ok(Json(json!({
        "id": id, "object": "address", "deleted": true, "parent": updated.render()?,
    })))
}

/// `GET /admin/customers`: `q` (email or name), `limit`, `offset`.
async fn admin_list_customers(
    State(state): State<AppState>,
    _admin: AdminContext,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse_list(raw.as_deref(), &["q"])?;
    let (limit, offset) = (query.limit(50)?, query.offset()?);
    let (items, count) = customers::list(&state, query.single("q")?, limit, offset).await?;
    Ok(Json(list("customers", items, count, offset, limit)))
}

/// `GET /admin/customers/:id`: the customer with its addresses and orders.
async fn admin_get_customer(
    State(state): State<AppState>,
    _admin: AdminContext,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.pool.acquire().await?;
    let mut customer = customers::load(&mut conn, &id).await?;
    let (orders, _) = store::orders::list_of_customer(&mut conn, &id, 50, 0, false).await?;
    customer.orders = Some(orders);
    Ok(Json(json!({ "customer": customer.render()? })))
}
