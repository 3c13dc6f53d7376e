//! The domain crate every function shares: catalog, pricing, regions, errors,
//! configuration, the response cache, and the HTTP plumbing around them.

pub mod admin;
pub mod aws;
pub mod cache;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod events;
pub mod id;
pub mod inventory;
pub mod mail;
pub mod money;
pub mod notify;
pub mod orders;
pub mod payments;
pub mod query;
pub mod seed;
pub mod totals;
pub mod web;
pub mod wire;

pub use error::{ApiError, ApiResult};
pub use web::AppState;
