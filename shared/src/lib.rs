//! The domain crate every function shares: catalog, pricing, regions, carts, checkout,
//! orders, errors, configuration, the response cache, the outbox, and the HTTP plumbing
//! around them. The Admin API's domain is the `store-admin` crate (`crates/admin`).

pub mod aws;
pub mod cache;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod content;
pub mod db;
pub mod db_breaker;
pub mod error;
pub mod events;
pub mod gate;
pub mod http_cache;
pub mod id;
pub mod inventory;
pub mod logging;
pub mod money;
pub mod orders;
pub mod payments;
pub mod query;
pub mod signing;
pub mod totals;
pub mod web;
pub mod wire;

pub use error::{ApiError, ApiResult};
pub use web::AppState;

/// mimalloc instead of the system allocator, for every binary that links this crate: each
/// function, `storectl`, the bench and the tests (not the local `front-door`).
/// A request allocates and frees many small buffers (JSON, rows, headers); glibc's malloc
/// spent about a tenth of the server's CPU per checkout on that, much of it merging freed
/// chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
