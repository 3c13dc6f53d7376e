//! Server-side latency of the guest checkout (release build, requests straight through
//! each function's router, real PostgreSQL and Redis): every step of the flow the
//! js-sdk end-to-end test runs, many times over, one flow at a time.
//!
//! Needs TEST_DATABASE_URL and TEST_REDIS_URL (scripts/bench sets them to the dev
//! servers); works in a throw-away database that it drops at the end.
//!
//!     cargo run --release -p store-tests --example checkout_bench

use std::time::{Duration, Instant};

use serde_json::json;
use store_tests::flow::{
    add_shipping_method, first_shipping_option, ok, payment_collection, system_payment_session,
};
use store_tests::timing::print_row;
use store_tests::TestStore;

const FLOWS: usize = 200;

#[tokio::main]
async fn main() {
    let store = TestStore::new().await;
    // Enough stock for every flow.
    store.stock_everything().await;
    let region = store.region_id("eur").await;
    let variants: Vec<String> = sqlx::query_scalar(
        "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
          WHERE p.status = 'published' ORDER BY v.sku LIMIT 2",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let address = json!({ "first_name": "Ada", "last_name": "Lovelace", "address_1": "Main Street 1",
                          "city": "Copenhagen", "country_code": "dk", "postal_code": "2200" });

    let steps = [
        "list regions",
        "list products (region)",
        "create cart",
        "add line item (x2)",
        "update line item",
        "set email and addresses",
        "apply promotion",
        "list shipping options",
        "add shipping method",
        "initiate payment session",
        "complete cart",
        "retrieve order",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(FLOWS); steps.len()];
    let mut flows = Vec::with_capacity(FLOWS);
    let mut add_line = Vec::with_capacity(FLOWS * 2);
    for _ in 0..FLOWS + 10 {
        let warm_up = flows.len() < 10 && times[0].len() < 10 && add_line.len() < 20;
        let mut record = Vec::with_capacity(steps.len());
        let flow_start = Instant::now();
        let mut step = Instant::now();
        let mut lap = |record: &mut Vec<Duration>| {
            record.push(step.elapsed());
            step = Instant::now();
        };

        ok(&store.get("/store/regions").await);
        lap(&mut record);
        ok(&store
            .get(&format!("/store/products?limit=20&region_id={region}"))
            .await);
        lap(&mut record);
        let cart = store
            .post("/store/carts", json!({ "region_id": region }))
            .await;
        let cart = ok(&cart)["cart"]["id"].as_str().unwrap().to_string();
        lap(&mut record);
        let t = Instant::now();
        ok(&store
            .post(
                &format!("/store/carts/{cart}/line-items"),
                json!({ "variant_id": variants[0], "quantity": 1 }),
            )
            .await);
        let first_add = t.elapsed();
        let t = Instant::now();
        let added = store
            .post(
                &format!("/store/carts/{cart}/line-items"),
                json!({ "variant_id": variants[1], "quantity": 1 }),
            )
            .await;
        let second_add = t.elapsed();
        lap(&mut record);
        let line = ok(&added)["cart"]["items"][1]["id"]
            .as_str()
            .unwrap()
            .to_string();
        ok(&store
            .post(
                &format!("/store/carts/{cart}/line-items/{line}"),
                json!({ "quantity": 2 }),
            )
            .await);
        lap(&mut record);
        ok(&store
            .post(&format!("/store/carts/{cart}"), json!({ "email": "ada@example.com", "shipping_address": address, "billing_address": address }))
            .await);
        lap(&mut record);
        ok(&store
            .post(
                &format!("/store/carts/{cart}/promotions"),
                json!({ "promo_codes": ["WELCOME10"] }),
            )
            .await);
        lap(&mut record);
        let option = first_shipping_option(&store, &cart).await;
        lap(&mut record);
        add_shipping_method(&store, &cart, &option).await;
        lap(&mut record);
        let collection = payment_collection(&store, &cart).await;
        system_payment_session(&store, &collection).await;
        lap(&mut record);
        let completed = store
            .post(&format!("/store/carts/{cart}/complete"), json!(null))
            .await;
        let order = ok(&completed)["order"]["id"].as_str().unwrap().to_string();
        lap(&mut record);
        ok(&store.get(&format!("/store/orders/{order}")).await);
        lap(&mut record);
        let flow = flow_start.elapsed();

        if warm_up {
            flows.push(Duration::ZERO); // marks a warm-up round
            continue;
        }
        for (i, d) in record.into_iter().enumerate() {
            times[i].push(d);
        }
        add_line.push(first_add);
        add_line.push(second_add);
        flows.push(flow);
    }
    flows.retain(|d| !d.is_zero());

    println!("{FLOWS} guest checkouts, one at a time, release build, through the function routers");
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "step", "p50 ms", "p90 ms", "p99 ms"
    );
    for (name, mut samples) in steps.iter().zip(times) {
        print_row(name, 34, &mut samples);
    }
    print_row("add-to-cart (one line item)", 34, &mut add_line);
    print_row("whole flow (all steps above)", 34, &mut flows);
    store.drop_database().await;
}
