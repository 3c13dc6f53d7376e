//! The Admin API's domain: admin users and secret keys, authentication, login rate
//! limits, the audit log, the order lifecycle, stock levels and catalog writes.
//!
//! Every `/admin/*` handler takes an [`AdminContext`], which refuses any request without
//! valid credentials with one and the same 401 body. Only the functions that serve admin
//! routes (products, cart, orders) depend on this crate; their state is an
//! [`AdminState`]: the store's [`AppState`] and the [`AdminAuth`].

pub mod audit;
pub mod auth;
pub mod channels;
mod input;
pub mod inventory;
pub mod orders;
pub mod products;
pub mod promotions;
pub mod regions;
pub mod taxonomy;
pub mod users;
pub mod wire;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::response::Response;
use axum::Router;

pub use auth::{ActorType, AdminContext};
/// Admin logins and tokens: the store's [`store_auth::Auth`].
pub use store_auth::Auth as AdminAuth;
pub use store_auth::{rate_limit, DEFAULT_JWT_TTL, MIN_JWT_SECRET_LEN};

use store::web::{self, AppState};

/// The state of a function with admin routes.
#[derive(Clone, FromRef)]
pub struct AdminState {
    pub app: AppState,
    pub auth: AdminAuth,
}

impl AdminState {
    /// The state a function builds at cold start, from the environment.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AdminState {
            app: AppState::from_env()?,
            auth: AdminAuth::from_env(),
        })
    }
}

/// [`web::finish_router`] for a function with admin routes: an unknown `/admin` path is
/// a 401 without valid credentials and a 404 with them, as in Medusa.
pub fn finish_router<S>(routes: web::Routes<S>, state: S) -> Router
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    AdminAuth: FromRef<S>,
{
    web::finish_router_with(routes, state, not_found::<S>)
}

async fn not_found<S>(State(state): State<S>, request: Request) -> Response
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    AdminAuth: FromRef<S>,
{
    let (mut parts, _) = request.into_parts();
    if web::is_admin_path(parts.uri.path()) {
        if let Err(rejection) = AdminContext::from_request_parts(&mut parts, &state).await {
            return rejection;
        }
        return web::no_such_route(&parts);
    }
    web::not_found(&parts)
}
