//! The content function (being written).

use axum::Router;
use store::web::finish_router;
use store::AppState;

pub fn router(state: AppState) -> Router {
    finish_router(Router::new(), state)
}
