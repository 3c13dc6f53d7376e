//! What events cost (release build, real PostgreSQL, moto for SQS and SES): the relay's
//! send right after a commit, the sweep's throughput, and the consumer's throughput for
//! `order.placed` (confirmation email and low-stock check per event).
//!
//! Needs TEST_DATABASE_URL, TEST_REDIS_URL and TEST_AWS_ENDPOINT_URL (a moto server);
//! works in a throw-away database that it drops at the end.
//!
//!     cargo run --release -p store-tests --example events_bench

use std::time::{Duration, Instant};

use events::local::poll_once;
use events::Settings;
use serde_json::json;
use store::events::Relay;
use store_tests::aws::Moto;
use store_tests::flow::{place_order, stocked_variants};
use store_tests::timing::{ms, percentiles};
use store_tests::TestStore;

const RELAYED: usize = 300;
const SWEPT: usize = 2_000;
const ORDERS: usize = 200;

async fn record(store: &TestStore, n: usize) -> Vec<String> {
    let mut conn = store.pool.acquire().await.unwrap();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(
            store::events::record(
                &mut conn,
                "bench.noop",
                &format!("agg_{i}"),
                json!({ "i": i }),
            )
            .await
            .unwrap(),
        );
    }
    ids
}

#[tokio::main]
async fn main() {
    let store = TestStore::new().await;
    store.stock_everything().await;
    let moto = Moto::new().await;
    let name = store.database_url.rsplit('/').next().unwrap().to_string();
    let queues = moto.queues(&name, 5).await;
    let relay = Relay::with_client(&queues.url, moto.sqs.clone());

    // 1. The relay: one event sent right after its commit, as a checkout does.
    let ids = record(&store, RELAYED + 20).await;
    let mut sends = Vec::with_capacity(RELAYED);
    for (i, id) in ids.iter().enumerate() {
        let t = Instant::now();
        relay.publish(&store.pool, std::slice::from_ref(id)).await;
        if i >= 20 {
            sends.push(t.elapsed());
        }
    }
    moto.take_all(&queues.url).await;

    // 2. The sweep: a backlog of unpublished events, batches of ten.
    record(&store, SWEPT).await;
    let t = Instant::now();
    let report = relay
        .sweep(&store.pool, Duration::ZERO, usize::MAX)
        .await
        .unwrap();
    let sweep = t.elapsed();
    assert_eq!(report.sent, SWEPT);
    moto.take_all(&queues.url).await;

    // 3. The consumer: order.placed events (an email each) drained like Lambda's poller.
    let from = format!("shop@{name}.example");
    events::local::verify_sender(&moto.ses, &from)
        .await
        .unwrap();
    let variants = stocked_variants(&store, 20).await;
    for i in 0..ORDERS {
        let email = format!("bench{i}@{name}.example");
        place_order(&store, &variants[i % variants.len()], 1, &email).await;
    }
    relay
        .sweep(&store.pool, Duration::ZERO, usize::MAX)
        .await
        .unwrap();
    let settings = Settings::from_lookup(|_| None).unwrap();
    let consumer = moto.consumer(&store, from, &relay, settings);
    let mut batches = Vec::new();
    let mut handled = 0;
    let t = Instant::now();
    while handled < ORDERS {
        let b = Instant::now();
        let report = poll_once(&consumer, &moto.sqs, &queues.url, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(report.failed, 0);
        if report.received > 0 {
            batches.push(b.elapsed());
        }
        handled += report.received;
    }
    let drain = t.elapsed();

    println!("events, release build, PostgreSQL and moto (SQS, SES) on loopback");
    let (p50, p90, p99) = percentiles(&mut sends);
    println!(
        "relay: one event right after its commit ({RELAYED}x)   p50 {p50:.2} ms, p90 {p90:.2} ms, p99 {p99:.2} ms"
    );
    println!(
        "sweep: {SWEPT} unpublished events                     {:.0} events/s ({:.0} ms)",
        SWEPT as f64 / sweep.as_secs_f64(),
        ms(sweep)
    );
    let (p50, p90, p99) = percentiles(&mut batches);
    println!(
        "consumer: {ORDERS} order.placed (email + stock check)  {:.0} events/s; per batch of up to 10: p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms ({} batches)",
        ORDERS as f64 / drain.as_secs_f64(),
        batches.len()
    );
    store.drop_database().await;
}
