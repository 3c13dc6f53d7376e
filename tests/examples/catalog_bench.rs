//! Server-side latency (time to a complete response body) of the catalog routes, without any Lambda emulation: requests go
//! straight through the products router, as the Lambda runtime hands them over.
//!
//! Needs TEST_DATABASE_URL and TEST_REDIS_URL (scripts/bench sets them to the dev
//! servers); works in a throw-away database that it drops at the end.
//!
//!     cargo run --release -p store-tests --example catalog_bench

use std::time::Instant;

use store_tests::timing::print_row;
use store_tests::TestStore;

const ITERATIONS: usize = 300;

#[tokio::main]
async fn main() {
    let store = TestStore::new().await;
    let region = store.region_id("eur").await;
    let path = format!("/store/products?limit=20&region_id={region}");
    let stock_path = format!("{path}&fields=%2Bvariants.inventory_quantity");

    println!("{ITERATIONS} requests each, one at a time, release build, through products::router");
    println!(
        "{:<58} {:>9} {:>9} {:>9}",
        "request", "p50 ms", "p90 ms", "p99 ms"
    );
    for (label, uri, purge) in [
        (
            "products?limit=20&region_id (Redis hit)",
            path.as_str(),
            false,
        ),
        (
            "products?limit=20&region_id (miss: PostgreSQL)",
            path.as_str(),
            true,
        ),
        (
            "... +variants.inventory_quantity (miss)",
            stock_path.as_str(),
            true,
        ),
        ("regions (Redis hit)", "/store/regions", false),
    ] {
        for _ in 0..20 {
            assert_eq!(store.get(uri).await.status, 200);
        }
        let mut times = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            if purge {
                store
                    .state
                    .cache
                    .purge(&store::cache::Namespace::CATALOG)
                    .await;
            }
            let start = Instant::now();
            let (status, headers, _body) = store.get_raw(uri).await;
            times.push(start.elapsed());
            assert_eq!(status, 200);
            assert_eq!(headers["x-cache"], if purge { "miss" } else { "hit" });
        }
        print_row(label, 58, &mut times);
    }
    store.drop_database().await;
}
