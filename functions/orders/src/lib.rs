//! The orders function: orders of Medusa's Store API.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use store::query::StoreQuery;
use store::web::{finish_router, StoreContext};
use store::{ApiResult, AppState};

pub fn router(state: AppState) -> Router {
    let routes = Router::new().route("/store/orders/{id}", get(get_order));
    finish_router(routes, state)
}

/// No login needed: as in Medusa, the order id is the secret.
async fn get_order(
    State(state): State<AppState>,
    _store: StoreContext,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    StoreQuery::parse(raw.as_deref(), &["fields"])?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(
        json!({ "order": store::orders::retrieve(&mut conn, &id).await? }),
    ))
}
