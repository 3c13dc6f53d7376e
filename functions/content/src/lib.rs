//! The content function: Strapi content behind one cache, under `/content/...`. The
//! routes live in the domain crate (`store::content::http`); this crate reads the
//! configuration once per cold start.

use axum::Router;
use store::content::ContentService;
use store::AppState;

/// The content routes, configured from the environment. Without `STRAPI_URL` they answer
/// 503 with a JSON error that says so.
pub fn router(state: AppState) -> Router {
    let service = ContentService::from_env(&state.config);
    store::content::router(state, service)
}
