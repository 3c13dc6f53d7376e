//! The checkout function: payment providers, payment collections and sessions, and
//! completing a cart into an order.

use axum::extract::{FromRef, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use store::checkout::{self, CreatePaymentCollection, CreatePaymentSession};
use store::payments::PaymentProviders;
use store::query::StoreQuery;
use store::web::{finish_router, JsonBody, Routes, StoreCall};
use store::{ApiError, ApiResult, AppState};
use store_stripe::verify_webhook_now;

/// The checkout function's state: the store's and the payment providers.
#[derive(Clone, FromRef)]
pub struct CheckoutState {
    pub app: AppState,
    pub payments: PaymentProviders,
}

impl CheckoutState {
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(CheckoutState {
            app: AppState::from_env()?,
            payments: store_stripe::providers_from_env(),
        })
    }
}

/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    Ok(router(CheckoutState::from_env()?))
}

pub fn router(state: CheckoutState) -> Router {
    finish_router(routes(), state)
}

/// The routes this function serves (checked against the route table in Cargo.toml).
pub fn routes() -> Routes<CheckoutState> {
    Routes::new()
        .route("/store/payment-providers", get(list_providers))
        .route("/store/payment-collections", post(create_collection))
        .route(
            "/store/payment-collections/{id}/payment-sessions",
            post(create_session),
        )
        .route("/store/carts/{id}/complete", post(complete_cart))
        .route("/hooks/payment/stripe_stripe", post(stripe_webhook))
}

async fn list_providers(
    call: StoreCall,
    State(payments): State<PaymentProviders>,
) -> ApiResult<Json<Value>> {
    let query = StoreQuery::parse(
        call.query(),
        &["region_id", "fields", "limit", "offset", "order"],
    )?;
    if let Some(region_id) = query.single("region_id")? {
        if !store::id::is_well_formed(region_id, "reg") {
            return Err(ApiError::invalid_data(format!(
                "Invalid region_id {region_id:?}"
            )));
        }
        store::catalog::regions::find(&call.state.pool, region_id)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("Region with id: {region_id} was not found"))
            })?;
    }
    let (limit, offset) = (query.limit(20)?, query.offset()?);
    let ids = payments.ids();
    let providers: Vec<Value> = ids
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|id| json!({ "id": id, "is_enabled": true }))
        .collect();
    Ok(Json(
        json!({ "payment_providers": providers, "count": ids.len(), "offset": offset, "limit": limit }),
    ))
}

/// `{"payment_collection": …}`, serialized from the rendered collection without a copy.
#[derive(serde::Serialize)]
struct CollectionReply {
    payment_collection: Value,
}

fn collection_body(payment_collection: Value) -> ApiResult<Json<CollectionReply>> {
    Ok(Json(CollectionReply { payment_collection }))
}

async fn create_collection(
    call: StoreCall,
    JsonBody(input): JsonBody<CreatePaymentCollection>,
) -> ApiResult<Json<CollectionReply>> {
    collection_body(checkout::payment_collection(&call.state.pool, &input).await?)
}

async fn create_session(
    call: StoreCall,
    State(payments): State<PaymentProviders>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CreatePaymentSession>,
) -> ApiResult<Json<CollectionReply>> {
    let pool = &call.state.pool;
    collection_body(checkout::payment_session(pool, &payments, &id, &input).await?)
}

async fn complete_cart(
    call: StoreCall,
    State(payments): State<PaymentProviders>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let state = &call.state;
    let completion = checkout::complete(&state.pool, &payments, &state.events, &id).await?;
    Ok(Json(completion.into_body()))
}

/// Stripe's webhook: only signed events are accepted. Completion checks the intent's
/// status itself, so events are acknowledged and logged, not acted on yet.
async fn stripe_webhook(
    State(payments): State<PaymentProviders>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let secret = payments.stripe_webhook_secret().ok_or_else(|| {
        ApiError::not_allowed("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
    })?;
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::invalid_data("Missing Stripe-Signature header"))?;
    let event = verify_webhook_now(&body, signature, secret)
        .map_err(|e| ApiError::invalid_data(format!("Invalid Stripe webhook: {e}")))?;
    tracing::info!(event_type = %event["type"], event_id = %event["id"], "stripe webhook received");
    Ok(Json(json!({ "received": true })))
}
