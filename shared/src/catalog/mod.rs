//! The catalog: what a storefront browses. Reads here, writes (admin) later; every
//! write purges the cached store responses it affects via [`purge_store_cache`].

pub mod categories;
pub mod channels;
pub mod collections;
pub mod pricing;
pub mod products;
pub mod regions;

use crate::cache::{Cache, Namespace};

/// Drops cached store responses after a catalog write.
pub async fn purge_store_cache(cache: &Cache) {
    cache.purge(&Namespace::CATALOG).await;
}
