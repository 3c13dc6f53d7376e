//! Server-side latency of a content cache hit: `GET /content/pages?...` straight through
//! the content router (publishable-key check and the Redis read included), with a local
//! Strapi stand-in behind it that only the first request reaches.
//!
//! Needs TEST_DATABASE_URL and TEST_REDIS_URL (scripts/bench sets them to the dev
//! servers); works in a throw-away database that it drops at the end.
//!
//!     cargo run --release -p store-tests --example content_bench

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use store::content::{ContentConfig, ContentService};
use store_tests::strapi_fake::{StrapiFake, FAKE_TOKEN};
use store_tests::timing::percentiles;
use store_tests::TestStore;

const ITERATIONS: usize = 2_000;

#[tokio::main]
async fn main() {
    let store = TestStore::new().await;
    let fake = StrapiFake::start().await;
    let config = ContentConfig::from_lookup(|name| match name {
        "STRAPI_URL" => Some(fake.base_url.clone()),
        "STRAPI_TOKEN" => Some(FAKE_TOKEN.into()),
        "CONTENT_TYPES" => {
            Some("product-content:product-contents,page:pages,banner:banners,homepage".into())
        }
        "CONTENT_CACHE_TTL_SECONDS" => Some("3600".into()),
        _ => None,
    })
    .expect("config")
    .expect("configured");
    let service = ContentService::new(Ok(Some(config)), &store.state);
    let router = content::routes::router(store.state.clone(), service);
    let uri = "/content/homepage?populate=*";
    let request = || {
        Request::get(uri)
            .header("x-publishable-api-key", &store.publishable_key)
            .body(Body::empty())
            .unwrap()
    };

    for _ in 0..50 {
        let response = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.unwrap();
    }
    let mut times = Vec::with_capacity(ITERATIONS);
    let all = Instant::now();
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let response = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.headers()["x-cache"], "hit");
        response.into_body().collect().await.unwrap();
        times.push(start.elapsed());
    }
    let elapsed = all.elapsed();
    let (p50, p90, p99) = percentiles(&mut times);
    assert_eq!(
        fake.count("/api/homepage"),
        1,
        "only the first request reaches Strapi"
    );
    println!("{ITERATIONS} requests, one at a time, release build, through the content function's router");
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>10}",
        "request", "p50 ms", "p90 ms", "p99 ms", "req/s"
    );
    println!(
        "{:<44} {:>8.3} {:>8.3} {:>8.3} {:>10.0}",
        "content/homepage?populate=* (Redis hit)",
        p50,
        p90,
        p99,
        ITERATIONS as f64 / elapsed.as_secs_f64()
    );
    store.drop_database().await;
}
