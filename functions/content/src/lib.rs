//! The content function: Strapi content behind one cache, under `/content/...`. The
//! Strapi client, normalisation, cache and configuration live in the domain crate
//! (`store::content`); the routes live here.

pub mod routes;

use axum::Router;
use store::content::ContentService;
use store::AppState;

/// The content routes, configured from the environment. Without `STRAPI_URL` they answer
/// 503 with a JSON error that says so.
/// The function's router, with its state built from the environment as at cold start.
pub fn from_env() -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    Ok(router(AppState::from_env()?))
}

pub fn router(state: AppState) -> Router {
    let service = ContentService::from_env(&state);
    routes::router(state, service)
}
