//! Events and automations against the real moto server (SQS, SES) and PostgreSQL: the
//! outbox relay, the sweep, the consumer's once-per-event guarantee, the dead-letter
//! queue, the signed fulfilment webhook and the scheduled reminders.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use events::local::{poll_once, Queues};
use events::schedule::Task;
use events::{Consumer, Outcome, Settings};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use store::events::{names, Envelope, Relay};
use store_notify::mail::format_money;
use store_tests::aws::Moto;
use store_tests::flow::{cents, place_order, ready_cart_for, stocked_variants};
use store_tests::{serve_on_loopback, TestStore};

struct Shop {
    store: TestStore,
    moto: Moto,
    queues: Queues,
    relay: Relay,
    consumer: Consumer,
    /// Unique per test, so emails in the shared moto server can be told apart.
    shopper: String,
    merchant: String,
}

/// A store whose functions relay to a fresh queue (redrive after `max_receives`), and a
/// consumer with `vars` as its environment (plus a sender and a merchant address).
async fn shop(vars: &[(&str, &str)], max_receives: u32) -> Shop {
    let store = TestStore::new().await;
    let moto = Moto::new().await;
    let name = store.database_url.rsplit('/').next().unwrap().to_string();
    let queues = moto.queues(&name, max_receives).await;
    let from = format!("shop@{name}.example");
    events::local::verify_sender(&moto.ses, &from)
        .await
        .unwrap();
    let relay = Relay::with_client(&queues.url, moto.sqs.clone());
    let state = store.state.clone().with_events(relay.clone());
    let store = store.with_state(state);
    let shopper = format!("ada@{name}.example");
    let merchant = format!("merchant@{name}.example");
    let mut env: Vec<(String, String)> = vec![("MERCHANT_EMAIL".into(), merchant.clone())];
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::from_lookup(|key| {
        env.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let consumer = moto.consumer(&store, from, &relay, settings);
    Shop {
        store,
        moto,
        queues,
        relay,
        consumer,
        shopper,
        merchant,
    }
}

impl Shop {
    /// The same shop with the functions relaying through `relay` (the consumer keeps its own).
    fn functions_relay(self, relay: Relay) -> Self {
        let state = self.store.state.clone().with_events(relay);
        Shop {
            store: self.store.with_state(state),
            ..self
        }
    }

    /// Polls like Lambda's event source mapping until the queue is empty; returns the
    /// number of messages received (retries included).
    async fn drain(&self) -> usize {
        let mut received = 0;
        for _ in 0..40 {
            let report = poll_once(
                &self.consumer,
                &self.moto.sqs,
                &self.queues.url,
                Duration::ZERO,
            )
            .await
            .unwrap();
            if report.received == 0 && self.moto.depth(&self.queues.url).await == 0 {
                return received;
            }
            received += report.received;
        }
        panic!("the queue did not drain in 40 polls");
    }

    async fn unpublished(&self) -> i64 {
        self.store
            .scalar("SELECT count(*) FROM outbox_events WHERE published_at IS NULL")
            .await
    }

    async fn record(&self, name: &str, aggregate_id: &str, payload: Value) -> String {
        let mut conn = self.store.pool.acquire().await.unwrap();
        store::events::record(&mut conn, name, aggregate_id, payload)
            .await
            .unwrap()
    }

    async fn envelope(&self, id: &str) -> Envelope {
        let (name, aggregate_id, occurred_at, payload) = sqlx::query_as(
            "SELECT name, aggregate_id, occurred_at, payload FROM outbox_events WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.store.pool)
        .await
        .unwrap();
        Envelope {
            version: 1,
            id: id.to_string(),
            name,
            aggregate_id,
            occurred_at,
            payload,
        }
    }
}

async fn first_variant(store: &TestStore) -> String {
    stocked_variants(store, 1).await.remove(0)
}

#[tokio::test]
async fn placing_an_order_sends_exactly_one_confirmation_with_its_totals() {
    let shop = shop(&[], 3).await;
    let variant = first_variant(&shop.store).await;
    let order = place_order(&shop.store, &variant, 2, &shop.shopper).await;
    let order_id = order["id"].as_str().unwrap();

    // The relay sent order.placed right after commit.
    assert_eq!(shop.unpublished().await, 0);
    assert_eq!(shop.moto.depth(&shop.queues.url).await, 1);
    assert_eq!(shop.drain().await, 1);

    let emails = shop.moto.emails_to(&shop.shopper).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let email = &emails[0];
    let display_id = order["display_id"].as_i64().unwrap();
    assert!(
        email.subject.contains(&format!("order #{display_id}")),
        "{}",
        email.subject
    );
    let currency = order["currency_code"].as_str().unwrap();
    let total = format_money(cents(&order["total"]), currency);
    let item = &order["items"][0];
    assert!(
        email.body.contains(&total),
        "total {total} missing: {}",
        email.body
    );
    // The totals table is before tax, and adds up: subtotal − discount + shipping + tax.
    let figure = |name: &str| cents(&order[name]);
    assert_eq!(
        figure("item_subtotal") - figure("discount_subtotal")
            + figure("shipping_subtotal")
            + figure("tax_total"),
        figure("total")
    );
    for name in ["item_subtotal", "shipping_subtotal", "tax_total"] {
        let shown = format!(">{}<", format_money(figure(name), currency));
        assert!(
            email.body.contains(&shown),
            "{name} {shown} missing: {}",
            email.body
        );
    }
    assert!(email
        .body
        .contains(&format_money(cents(&item["unit_price"]), currency)));
    assert!(
        email.body.contains(&format!(">{}<", item["quantity"])),
        "{}",
        email.body
    );
    let recorded: Vec<(String,)> =
        sqlx::query_as("SELECT h.handler FROM event_handlings h JOIN outbox_events e ON e.id = h.event_id WHERE e.aggregate_id = $1 ORDER BY 1")
            .bind(order_id)
            .fetch_all(&shop.store.pool)
            .await
            .unwrap();
    assert_eq!(
        recorded,
        vec![("low-stock-alert".into(),), ("order-confirmation".into(),)]
    );
    shop.store.drop_database().await;
}

#[tokio::test]
async fn the_same_message_delivered_twice_or_at_once_sends_one_email() {
    let shop = shop(&[], 3).await;
    let variant = first_variant(&shop.store).await;
    place_order(&shop.store, &variant, 1, &shop.shopper).await;
    let body = shop.moto.take_all(&shop.queues.url).await.remove(0);

    // Two copies at the same moment, then a third later (SQS delivers at least once).
    let (a, b) = tokio::join!(
        shop.consumer.handle_body(&body),
        shop.consumer.handle_body(&body)
    );
    let outcomes: Vec<Outcome> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .filter(|(h, _)| *h == "order-confirmation")
        .map(|(_, o)| o)
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Done).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Duplicate)
            .count(),
        1,
        "{outcomes:?}"
    );
    for _ in 0..2 {
        shop.moto
            .sqs
            .send_message()
            .queue_url(&shop.queues.url)
            .message_body(&body)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(shop.drain().await, 2);
    assert_eq!(shop.moto.emails_to(&shop.shopper).await.len(), 1);
    shop.store.drop_database().await;
}

#[tokio::test]
async fn an_event_whose_relay_died_after_commit_is_delivered_by_the_sweep_once() {
    let shop = shop(&[], 3).await;
    // The relay "dies" between commit and send: the functions have none.
    let shop = shop.functions_relay(Relay::disabled());
    let variants = stocked_variants(&shop.store, 3).await;
    for variant in &variants {
        place_order(&shop.store, variant, 1, &shop.shopper).await;
    }
    assert_eq!(shop.unpublished().await, 3);
    assert_eq!(shop.moto.depth(&shop.queues.url).await, 0);

    // Events younger than the grace period are left to their relay.
    assert_eq!(
        shop.relay
            .sweep(&shop.store.pool, Duration::from_secs(3600), 100)
            .await
            .unwrap()
            .sent,
        0
    );
    // Three sweeps at once: every event is sent exactly once.
    let zero = Duration::ZERO;
    let (a, b, c) = tokio::join!(
        shop.relay.sweep(&shop.store.pool, zero, 100),
        shop.relay.sweep(&shop.store.pool, zero, 100),
        shop.relay.sweep(&shop.store.pool, zero, 100),
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent + c.unwrap().sent, 3);
    assert_eq!(shop.unpublished().await, 0);
    let bodies = shop.moto.take_all(&shop.queues.url).await;
    let mut ids: Vec<String> = bodies
        .iter()
        .map(|b| serde_json::from_str::<Envelope>(b).unwrap().id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((bodies.len(), ids.len()), (3, 3));
    for body in &bodies {
        shop.consumer.handle_body(body).await.unwrap();
    }
    assert_eq!(shop.moto.emails_to(&shop.shopper).await.len(), 3);
    let attempts: i64 = shop
        .store
        .scalar("SELECT sum(attempts)::bigint FROM outbox_events")
        .await;
    assert_eq!(attempts, 3);
    shop.store.drop_database().await;
}

#[tokio::test]
async fn a_relay_that_cannot_reach_sqs_leaves_the_event_for_the_sweep() {
    // The queue is gone.
    let shop = shop(&[], 3).await;
    let broken = Relay::with_client(
        format!("{}-missing", shop.queues.url),
        shop.moto.sqs.clone(),
    );
    the_sweep_delivers_what_a_broken_relay_left("queue missing", shop, broken).await;
}

#[tokio::test]
async fn with_the_sqs_server_down_the_order_completes_and_the_sweep_sends_its_event_later() {
    // Nothing listens where the relay sends: the SQS server is down.
    let shop = shop(&[], 3).await;
    let settings = store::aws::AwsSettings {
        region: "us-east-1".into(),
        credentials: Some(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "tests",
        )),
        endpoint_url: Some("http://127.0.0.1:1".into()),
    };
    let broken = Relay::with_client(
        shop.queues.url.clone(),
        store::events::sqs_client(&settings),
    );
    the_sweep_delivers_what_a_broken_relay_left("SQS server down", shop, broken).await;
}

/// Places an order through `broken`: the checkout succeeds, its event waits in the
/// outbox with the failed attempt counted, and the sweep (with a working relay, after
/// the grace period) delivers it exactly once.
async fn the_sweep_delivers_what_a_broken_relay_left(fault: &str, shop: Shop, broken: Relay) {
    let shop = shop.functions_relay(broken);
    let variant = first_variant(&shop.store).await;
    let started = std::time::Instant::now();
    let order = place_order(&shop.store, &variant, 1, &shop.shopper).await;
    let took = started.elapsed();
    assert!(order["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("order_")));
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox_events WHERE published_at IS NULL")
            .fetch_one(&shop.store.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.is_some());
    assert_eq!(
        shop.consumer
            .run_task(Task::OutboxSweep)
            .await
            .unwrap()
            .events,
        0,
        "within the grace period"
    );
    sqlx::query("UPDATE outbox_events SET occurred_at = occurred_at - interval '1 hour'")
        .execute(&shop.store.pool)
        .await
        .unwrap();
    assert_eq!(
        shop.consumer
            .run_task(Task::OutboxSweep)
            .await
            .unwrap()
            .events,
        1
    );
    let delivered = shop.drain().await;
    assert_eq!(delivered, 1);
    assert_eq!(shop.moto.emails_to(&shop.shopper).await.len(), 1);
    println!(
        "{fault}: 1 order placed (guest checkout, {took:?}), its event left in the outbox \
         (1 failed attempt), then delivered once by the sweep: {delivered} message, 1 email"
    );
    shop.store.drop_database().await;
}

/// One POST the stand-in endpoint received: headers and raw body.
type Delivery = (HeaderMap, Vec<u8>);

/// A stand-in fulfilment endpoint: records what it receives, answers `status`.
#[derive(Clone, Default)]
struct Hook {
    received: Arc<Mutex<Vec<Delivery>>>,
}

async fn hook(status: StatusCode) -> (Hook, String) {
    let hook = Hook::default();
    let recorder = hook.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let recorder = recorder.clone();
            async move {
                recorder
                    .received
                    .lock()
                    .unwrap()
                    .push((headers, body.to_vec()));
                status
            }
        }),
    );
    let url = format!("{}/hook", serve_on_loopback(app, "webhook").await);
    (hook, url)
}

#[tokio::test]
async fn the_fulfillment_webhook_is_signed_as_documented() {
    let (hook, url) = hook(StatusCode::OK).await;
    let secret = "whsec_test_secret";
    let shop = shop(
        &[
            ("FULFILLMENT_WEBHOOK_URL", &url),
            ("FULFILLMENT_WEBHOOK_SECRET", secret),
        ],
        3,
    )
    .await;
    let variant = first_variant(&shop.store).await;
    let order = place_order(&shop.store, &variant, 1, &shop.shopper).await;
    let order_id = order["id"].as_str().unwrap();
    let event_id = shop
        .record(
            names::ORDER_FULFILLMENT_CREATED,
            order_id,
            json!({ "order_id": order_id, "fulfillment_id": "ful_1" }),
        )
        .await;
    shop.relay
        .publish(&shop.store.pool, std::slice::from_ref(&event_id))
        .await;
    shop.drain().await;

    let received = hook.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("x-store-event"), "order.fulfillment_created");
    assert_eq!(header("x-store-event-id"), event_id);
    // The documented scheme, computed here independently: HMAC-SHA256 over
    // "<timestamp>.<body>", hex, prefixed "v1=".
    let timestamp = header("x-store-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header("x-store-signature"), expected);
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "timestamp is {age} s old");
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["event"]["id"], event_id.as_str());
    assert_eq!(payload["order"]["id"], order_id);
    assert_eq!(payload["order"]["items"][0]["variant_id"], variant.as_str());
    shop.store.drop_database().await;
}

#[tokio::test]
async fn a_failing_handler_dead_letters_its_message_and_the_rest_of_the_batch_succeeds() {
    let (hook, url) = hook(StatusCode::SERVICE_UNAVAILABLE).await;
    let shop = shop(
        &[
            ("FULFILLMENT_WEBHOOK_URL", &url),
            ("FULFILLMENT_WEBHOOK_SECRET", "s"),
        ],
        3,
    )
    .await;
    let variants = stocked_variants(&shop.store, 2).await;
    // Two orders whose confirmations can be sent, and one hand-off that always fails,
    // all in the queue together (one batch).
    let shop = shop.functions_relay(Relay::disabled());
    let first = place_order(&shop.store, &variants[0], 1, &shop.shopper).await;
    place_order(&shop.store, &variants[1], 1, &shop.shopper).await;
    let order_id = first["id"].as_str().unwrap();
    let failing = shop
        .record(
            names::ORDER_FULFILLMENT_CREATED,
            order_id,
            json!({ "order_id": order_id, "fulfillment_id": "ful_1" }),
        )
        .await;
    // A message that is not an envelope at all is dead-lettered too.
    shop.moto
        .sqs
        .send_message()
        .queue_url(&shop.queues.url)
        .message_body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        shop.relay
            .sweep(&shop.store.pool, Duration::ZERO, 100)
            .await
            .unwrap()
            .sent,
        3
    );

    let received = shop.drain().await;
    // Three receives of each failing message (maxReceiveCount = 3), one of each good one.
    assert_eq!(received, 2 + 3 + 3);
    assert_eq!(
        hook.received.lock().unwrap().len(),
        3,
        "the webhook is retried"
    );
    assert_eq!(
        shop.moto.emails_to(&shop.shopper).await.len(),
        2,
        "the rest of the batch succeeded"
    );
    let mut dead = shop.moto.take_all(&shop.queues.dlq_url).await;
    dead.sort();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(dead[0], "not json");
    assert_eq!(
        serde_json::from_str::<Envelope>(&dead[1]).unwrap().id,
        failing
    );
    let handled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event_handlings WHERE event_id = $1")
            .bind(&failing)
            .fetch_one(&shop.store.pool)
            .await
            .unwrap();
    assert_eq!(
        handled, 0,
        "a failed handler leaves no record, so a redrive retries it"
    );
    shop.store.drop_database().await;
}

#[tokio::test]
async fn a_shipment_sends_the_tracking_number_and_stock_at_the_threshold_alerts_the_merchant() {
    let shop = shop(&[("LOW_STOCK_THRESHOLD", "3")], 3).await;
    let variant = first_variant(&shop.store).await;
    sqlx::query(
        "UPDATE inventory_levels SET stocked_quantity = 5, reserved_quantity = 0
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)",
    )
    .bind(&variant)
    .execute(&shop.store.pool)
    .await
    .unwrap();
    let order = place_order(&shop.store, &variant, 1, &shop.shopper).await;
    shop.drain().await;
    assert!(
        shop.moto.emails_to(&shop.merchant).await.is_empty(),
        "4 left is above 3"
    );
    place_order(&shop.store, &variant, 1, &shop.shopper).await;
    shop.drain().await;
    let alerts = shop.moto.emails_to(&shop.merchant).await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].subject.contains("inventory.low"));
    assert!(
        alerts[0].body.contains("<b>3</b> available"),
        "{}",
        alerts[0].body
    );
    // Still low after the next order: no second alert. Restocked, then low again: one more.
    place_order(&shop.store, &variant, 1, &shop.shopper).await;
    shop.drain().await;
    assert_eq!(shop.moto.emails_to(&shop.merchant).await.len(), 1);
    let item: String = sqlx::query_scalar(
        "SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1",
    )
    .bind(&variant)
    .fetch_one(&shop.store.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE inventory_levels SET stocked_quantity = stocked_quantity + 10 WHERE inventory_item_id = $1")
        .bind(&item)
        .execute(&shop.store.pool)
        .await
        .unwrap();
    let restocked = shop
        .record(
            names::INVENTORY_UPDATED,
            &item,
            json!({ "inventory_item_id": item }),
        )
        .await;
    shop.relay.publish(&shop.store.pool, &[restocked]).await;
    shop.drain().await;
    assert_eq!(
        shop.moto.emails_to(&shop.merchant).await.len(),
        1,
        "12 available: no alert"
    );
    sqlx::query("UPDATE inventory_levels SET stocked_quantity = stocked_quantity - 10 WHERE inventory_item_id = $1")
        .bind(&item)
        .execute(&shop.store.pool)
        .await
        .unwrap();
    place_order(&shop.store, &variant, 1, &shop.shopper).await;
    shop.drain().await;
    assert_eq!(
        shop.moto.emails_to(&shop.merchant).await.len(),
        2,
        "low again after a restock"
    );

    let order_id = order["id"].as_str().unwrap();
    let id = shop
        .record(names::SHIPMENT_CREATED, order_id, json!({ "order_id": order_id, "fulfillment_id": "ful_1", "carrier": "DHL", "tracking_number": "JD014600003SE" }))
        .await;
    shop.relay.publish(&shop.store.pool, &[id]).await;
    shop.drain().await;
    let shipped: Vec<_> = shop
        .moto
        .emails_to(&shop.shopper)
        .await
        .into_iter()
        .filter(|e| e.subject.contains("shipped"))
        .collect();
    assert_eq!(shipped.len(), 1);
    assert!(shipped[0].body.contains("JD014600003SE") && shipped[0].body.contains("DHL"));
    shop.store.drop_database().await;
}

#[tokio::test]
async fn an_abandoned_cart_gets_one_reminder_and_a_delivered_order_one_review_request() {
    let shop = shop(
        &[
            ("ABANDONED_CART_AFTER_MINUTES", "60"),
            ("REVIEW_REQUEST_AFTER_DAYS", "7"),
        ],
        3,
    )
    .await;
    let variants = stocked_variants(&shop.store, 2).await;
    let idle = ready_cart_for(&shop.store, &variants[0], 2, &shop.shopper).await;
    let fresh = ready_cart_for(&shop.store, &variants[1], 1, &shop.shopper).await;
    let completed = ready_cart_for(&shop.store, &variants[1], 1, &shop.shopper).await;
    shop.store
        .post(&format!("/store/carts/{completed}/complete"), json!({}))
        .await;
    sqlx::query("UPDATE carts SET updated_at = now() - interval '2 hours' WHERE id = ANY($1)")
        .bind(vec![idle.clone(), completed.clone()])
        .execute(&shop.store.pool)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        shop.consumer.run_task(Task::AbandonedCarts),
        shop.consumer.run_task(Task::AbandonedCarts)
    );
    assert_eq!(
        a.unwrap().events + b.unwrap().events,
        1,
        "only the idle, open cart"
    );
    assert_eq!(
        shop.consumer
            .run_task(Task::AbandonedCarts)
            .await
            .unwrap()
            .events,
        0,
        "one reminder per cart"
    );
    let marked: String = shop
        .store
        .scalar("SELECT aggregate_id FROM automation_marks WHERE kind = 'abandoned-cart'")
        .await;
    assert_eq!(marked, idle);
    assert_ne!(marked, fresh);

    // Delivered eight days ago: a review request, once.
    let order = place_order(&shop.store, &variants[0], 1, &shop.shopper).await;
    let order_id = order["id"].as_str().unwrap();
    let delivered = shop
        .record(
            names::DELIVERY_CREATED,
            order_id,
            json!({ "order_id": order_id, "fulfillment_id": "ful_1" }),
        )
        .await;
    assert_eq!(
        shop.consumer
            .run_task(Task::ReviewRequests)
            .await
            .unwrap()
            .events,
        0,
        "too early"
    );
    sqlx::query("UPDATE outbox_events SET occurred_at = now() - interval '8 days' WHERE id = $1")
        .bind(&delivered)
        .execute(&shop.store.pool)
        .await
        .unwrap();
    assert_eq!(
        shop.consumer
            .run_task(Task::ReviewRequests)
            .await
            .unwrap()
            .events,
        1
    );
    assert_eq!(
        shop.consumer
            .run_task(Task::ReviewRequests)
            .await
            .unwrap()
            .events,
        0
    );

    shop.drain().await;
    let emails = shop.moto.emails_to(&shop.shopper).await;
    let count = |needle: &str| emails.iter().filter(|e| e.subject.contains(needle)).count();
    assert_eq!(count("your cart is waiting"), 1);
    assert_eq!(count("how do you like"), 1);
    assert_eq!(count("confirmed"), 2);
    shop.store.drop_database().await;
}

#[tokio::test]
async fn a_product_event_purges_the_cached_store_responses() {
    let shop = shop(&[], 3).await;
    assert_eq!(
        shop.store
            .get("/store/products?limit=5")
            .await
            .header("x-cache"),
        Some("miss")
    );
    assert_eq!(
        shop.store
            .get("/store/products?limit=5")
            .await
            .header("x-cache"),
        Some("hit")
    );
    let product: String = shop.store.scalar("SELECT id FROM products LIMIT 1").await;
    let id = shop
        .record(names::PRODUCT_UPDATED, &product, json!({ "id": product }))
        .await;
    let outcomes = shop
        .consumer
        .handle_body(&serde_json::to_string(&shop.envelope(&id).await).unwrap())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            ("product-cache-purge", Outcome::Done),
            (
                "strapi-product-sync",
                Outcome::Skipped("STRAPI_SYNC_TOKEN is not set".into())
            ),
        ]
    );
    assert_eq!(
        shop.store
            .get("/store/products?limit=5")
            .await
            .header("x-cache"),
        Some("miss")
    );
    shop.store.drop_database().await;
}

#[tokio::test]
async fn switched_off_automations_and_unknown_envelopes() {
    let shop = shop(&[("AUTOMATIONS", "low-stock-alert")], 3).await;
    let variant = first_variant(&shop.store).await;
    place_order(&shop.store, &variant, 1, &shop.shopper).await;
    shop.drain().await;
    assert!(
        shop.moto.emails_to(&shop.shopper).await.is_empty(),
        "confirmations are off"
    );

    let mut newer = shop
        .envelope(&shop.record("order.placed", "order_x", json!({})).await)
        .await;
    newer.version = 2;
    let err = shop
        .consumer
        .handle_body(&serde_json::to_string(&newer).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("version 2"), "{err}");
    // An event nobody subscribes to is acknowledged.
    let other = shop
        .envelope(&shop.record("cart.updated", "cart_x", json!({})).await)
        .await;
    assert!(shop
        .consumer
        .handle_body(&serde_json::to_string(&other).unwrap())
        .await
        .unwrap()
        .is_empty());
    shop.store.drop_database().await;
}

/// A Strapi 5 stand-in for the product sync's writes: one collection in memory, the
/// REST shapes of `/api/product-contents` (list envelope, `documentId`, error bodies as
/// in the captured responses), a required write token, and a switch that makes it fail.
/// It models Draft & Publish as Strapi 5 does: each document has a draft version
/// (`docs`) and maybe a published one (`published`); `GET` reads the published versions
/// unless `status=draft`, and `POST`/`PUT` write the draft and publish it too unless the
/// query string says `status=draft`.
#[derive(Clone, Default)]
struct StrapiWrites {
    docs: Arc<Mutex<Vec<Value>>>,
    published: Arc<Mutex<Vec<Value>>>,
    writes: Arc<Mutex<Vec<String>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl StrapiWrites {
    /// Records the write (`POST`, or `POST published` when it also publishes).
    fn write_is_draft(
        &self,
        method: &str,
        query: &std::collections::HashMap<String, String>,
    ) -> bool {
        let draft = query.get("status").map(String::as_str) == Some("draft");
        let name = if draft {
            method.to_string()
        } else {
            format!("{method} published")
        };
        self.writes.lock().unwrap().push(name);
        draft
    }

    /// What an editor's "Publish" does: the draft becomes the published version.
    fn publish(&self, draft: &Value) {
        let mut version = draft.clone();
        version["publishedAt"] = json!("2026-12-03T10:00:00.000Z");
        let mut published = self.published.lock().unwrap();
        published.retain(|d| d["documentId"] != draft["documentId"]);
        published.push(version);
    }

    fn published_version(&self) -> Option<Value> {
        self.published.lock().unwrap().first().cloned()
    }
}

async fn strapi_writes(token: &'static str) -> (StrapiWrites, String) {
    use axum::extract::{Path, Query, State};
    use axum::routing::{get, put};
    use std::collections::HashMap;
    use std::sync::atomic::Ordering;

    fn guard(
        s: &StrapiWrites,
        headers: &HeaderMap,
        token: &str,
    ) -> Option<(StatusCode, axum::Json<Value>)> {
        if s.down.load(Ordering::SeqCst) {
            return Some((
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(
                    json!({"data": null, "error": {"status": 500, "name": "InternalServerError", "message": "Internal Server Error"}}),
                ),
            ));
        }
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        (auth != Some(&format!("Bearer {token}"))).then(|| {
            (StatusCode::UNAUTHORIZED, axum::Json(json!({"data": null, "error": {"status": 401, "name": "UnauthorizedError", "message": "Missing or invalid credentials", "details": {}}})))
        })
    }
    let state = StrapiWrites::default();
    let app = axum::Router::new()
        .route(
            "/api/product-contents",
            get(move |State(s): State<StrapiWrites>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>| async move {
                if let Some(refused) = guard(&s, &headers, token) {
                    return refused;
                }
                let filter = q.iter().find_map(|(k, v)| {
                    k.strip_prefix("filters[").and_then(|r| r.strip_suffix("][$eq]")).map(|f| (f.to_string(), v.clone()))
                });
                let docs = if q.get("status").map(String::as_str) == Some("draft") {
                    s.docs.lock().unwrap()
                } else {
                    s.published.lock().unwrap()
                };
                let data: Vec<Value> = docs
                    .iter()
                    .filter(|d| filter.as_ref().is_none_or(|(f, v)| d[f.as_str()] == json!(v)))
                    .cloned()
                    .collect();
                let total = data.len();
                (StatusCode::OK, axum::Json(json!({"data": data, "meta": {"pagination": {"page": 1, "pageSize": 25, "pageCount": 1, "total": total}}})))
            })
            .post(move |State(s): State<StrapiWrites>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>, axum::Json(body): axum::Json<Value>| async move {
                if let Some(refused) = guard(&s, &headers, token) {
                    return refused;
                }
                let mut docs = s.docs.lock().unwrap();
                let mut doc = body["data"].clone();
                doc["id"] = json!(docs.len() + 1);
                doc["documentId"] = json!(format!("doc{}", docs.len() + 1));
                doc["publishedAt"] = Value::Null;
                docs.push(doc.clone());
                if !s.write_is_draft("POST", &q) {
                    s.publish(&doc);
                }
                (StatusCode::CREATED, axum::Json(json!({"data": doc, "meta": {}})))
            }),
        )
        .route(
            "/api/product-contents/{document_id}",
            put(move |State(s): State<StrapiWrites>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>, axum::Json(body): axum::Json<Value>| async move {
                if let Some(refused) = guard(&s, &headers, token) {
                    return refused;
                }
                let mut docs = s.docs.lock().unwrap();
                let Some(doc) = docs.iter_mut().find(|d| d["documentId"] == json!(id)) else {
                    return (StatusCode::NOT_FOUND, axum::Json(json!({"data": null, "error": {"status": 404, "name": "NotFoundError", "message": "Not Found", "details": {}}})));
                };
                for (k, v) in body["data"].as_object().unwrap() {
                    doc[k.as_str()] = v.clone();
                }
                let doc = doc.clone();
                if !s.write_is_draft("PUT", &q) {
                    s.publish(&doc);
                }
                (StatusCode::OK, axum::Json(json!({"data": doc, "meta": {}})))
            })
            .delete(move |State(s): State<StrapiWrites>, headers: HeaderMap, Path(id): Path<String>| async move {
                if let Some(refused) = guard(&s, &headers, token) {
                    return refused;
                }
                s.docs.lock().unwrap().retain(|d| d["documentId"] != json!(id));
                s.published.lock().unwrap().retain(|d| d["documentId"] != json!(id));
                s.writes.lock().unwrap().push("DELETE".into());
                (StatusCode::NO_CONTENT, axum::Json(Value::Null))
            }),
        )
        .with_state(state.clone());
    (state, serve_on_loopback(app, "Strapi").await)
}

#[tokio::test]
async fn product_events_create_update_and_delete_the_strapi_entry_without_echoes() {
    use store::content::sync::{ProductSync, SyncConfig};
    let (strapi, url) = strapi_writes("write-token").await;
    let shop = shop(&[], 3).await;
    let vars = [
        ("STRAPI_URL", url.as_str()),
        ("STRAPI_SYNC_TOKEN", "write-token"),
        ("STRAPI_SYNC_ID_FIELD", "commerce_id"),
        ("STRAPI_SYNC_TITLE_FIELD", "title"),
    ];
    let config = SyncConfig::from_lookup(store::config::lookup_in(&vars))
        .unwrap()
        .unwrap();
    let shop = Shop {
        consumer: shop
            .consumer
            .clone()
            .with_strapi_sync(Some(ProductSync::new(config).unwrap())),
        ..shop
    };
    let (product, handle, title): (String, String, String) =
        sqlx::query_as("SELECT id, handle, title FROM products ORDER BY handle LIMIT 1")
            .fetch_one(&shop.store.pool)
            .await
            .unwrap();
    let handle_event = |name: &'static str| {
        let shop = &shop;
        let product = product.clone();
        let handle = handle.clone();
        async move {
            let id = shop
                .record(name, &product, json!({ "id": product, "handle": handle }))
                .await;
            let body = serde_json::to_string(&shop.envelope(&id).await).unwrap();
            shop.consumer.handle_body(&body).await
        }
    };

    handle_event(names::PRODUCT_CREATED).await.unwrap();
    let docs = strapi.docs.lock().unwrap().clone();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        (
            docs[0]["handle"].as_str(),
            docs[0]["commerce_id"].as_str(),
            docs[0]["title"].as_str()
        ),
        (
            Some(handle.as_str()),
            Some(product.as_str()),
            Some(title.as_str())
        )
    );
    // The new entry is a draft: nothing reaches the storefront until an editor publishes.
    assert_eq!(strapi.published_version(), None);
    assert_eq!(docs[0]["publishedAt"], Value::Null);
    // An editor writes the editorial fields and publishes, then starts a new draft that
    // is not for publication; the sync leaves both alone.
    strapi.docs.lock().unwrap()[0]["editorial_title"] = json!("Written by an editor");
    let reviewed = strapi.docs.lock().unwrap()[0].clone();
    strapi.publish(&reviewed);
    strapi.docs.lock().unwrap()[0]["editorial_title"] = json!("EDITOR WIP - NOT FOR PUBLICATION");

    // Nothing changed: no write, so Strapi fires no webhook that could echo back.
    handle_event(names::PRODUCT_UPDATED).await.unwrap();
    assert_eq!(*strapi.writes.lock().unwrap(), vec!["POST"]);

    sqlx::query("UPDATE products SET title = 'Renamed', handle = 'renamed-product' WHERE id = $1")
        .bind(&product)
        .execute(&shop.store.pool)
        .await
        .unwrap();
    handle_event(names::PRODUCT_UPDATED).await.unwrap();
    let doc = strapi.docs.lock().unwrap()[0].clone();
    assert_eq!(
        (doc["handle"].as_str(), doc["title"].as_str()),
        (Some("renamed-product"), Some("Renamed"))
    );
    assert_eq!(doc["editorial_title"], "EDITOR WIP - NOT FOR PUBLICATION");
    // The commerce change went to the draft only: the published version is the one the
    // editor published, without their unfinished draft.
    let live = strapi.published_version().unwrap();
    assert_eq!(
        (live["editorial_title"].as_str(), live["handle"].as_str()),
        (Some("Written by an editor"), Some(handle.as_str()))
    );

    // Strapi down: the handler fails, so the message is retried (and in the end dead-lettered).
    strapi.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = handle_event(names::PRODUCT_UPDATED).await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    assert!(!err.to_string().contains("write-token"));
    strapi
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);

    sqlx::query("DELETE FROM products WHERE id = $1")
        .bind(&product)
        .execute(&shop.store.pool)
        .await
        .ok();
    handle_event(names::PRODUCT_DELETED).await.unwrap();
    assert!(strapi.docs.lock().unwrap().is_empty());
    assert_eq!(
        *strapi.writes.lock().unwrap(),
        vec!["POST", "PUT", "DELETE"]
    );
    shop.store.drop_database().await;
}

#[tokio::test]
async fn an_order_taken_through_the_admin_api_drives_the_fulfilment_automations() {
    let (hook, url) = hook(StatusCode::OK).await;
    let shop = shop(
        &[
            ("FULFILLMENT_WEBHOOK_URL", &url),
            ("FULFILLMENT_WEBHOOK_SECRET", "s"),
            ("REVIEW_REQUEST_AFTER_DAYS", "7"),
        ],
        3,
    )
    .await;
    let variant = first_variant(&shop.store).await;
    let order = place_order(&shop.store, &variant, 1, &shop.shopper).await;
    let id = order["id"].as_str().unwrap();
    let token = shop.store.admin_token().await;
    let fulfilled = shop
        .store
        .admin_post(
            &token,
            &format!("/admin/orders/{id}/fulfillments"),
            json!({}),
        )
        .await;
    assert_eq!(fulfilled.status, 200, "{}", fulfilled.body);
    let fulfillment = fulfilled.body["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shipped = shop
        .store
        .admin_post(
            &token,
            &format!("/admin/orders/{id}/fulfillments/{fulfillment}/shipments"),
            json!({ "carrier": "PostNord", "tracking_number": "00370712345678901234" }),
        )
        .await;
    assert_eq!(shipped.status, 200, "{}", shipped.body);
    let delivered = shop
        .store
        .admin_post(
            &token,
            &format!("/admin/orders/{id}/fulfillments/{fulfillment}/mark-as-delivered"),
            json!({}),
        )
        .await;
    assert_eq!(delivered.status, 200, "{}", delivered.body);
    // The admin routes relayed their events after commit: nothing waits for the sweep.
    assert_eq!(shop.unpublished().await, 0);
    shop.drain().await;

    let hooks = hook.received.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1, "one hand-off for one fulfillment");
    let payload: Value = serde_json::from_slice(&hooks[0].1).unwrap();
    assert_eq!(
        payload["event"]["payload"]["fulfillment_id"],
        fulfillment.as_str()
    );
    let emails = shop.moto.emails_to(&shop.shopper).await;
    let shipping: Vec<_> = emails
        .iter()
        .filter(|e| e.subject.contains("has shipped"))
        .collect();
    assert_eq!(shipping.len(), 1);
    assert!(
        shipping[0].body.contains("00370712345678901234") && shipping[0].body.contains("PostNord")
    );

    // A week after delivery, one review request.
    sqlx::query("UPDATE outbox_events SET occurred_at = occurred_at - interval '8 days' WHERE name = 'delivery.created'")
        .execute(&shop.store.pool)
        .await
        .unwrap();
    assert_eq!(
        shop.consumer
            .run_task(Task::ReviewRequests)
            .await
            .unwrap()
            .events,
        1
    );
    shop.drain().await;
    let reviews = shop
        .moto
        .emails_to(&shop.shopper)
        .await
        .into_iter()
        .filter(|e| e.subject.contains("how do you like"))
        .count();
    assert_eq!(reviews, 1);
    shop.store.drop_database().await;
}

#[tokio::test]
async fn a_password_reset_request_emails_the_customer_a_working_link_once() {
    use store_tests::customers::As;
    let shop = shop(&[("STORE_URL", "https://shop.example")], 3).await;
    shop.store.register_customer(&shop.shopper, "Ada").await;
    let request = axum::http::Request::post("/auth/customer/emailpass/reset-password")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({ "identifier": shop.shopper }).to_string(),
        ))
        .unwrap();
    assert_eq!(shop.store.send_raw(request).await.0, 201);
    assert_eq!(shop.unpublished().await, 0, "relayed after commit");
    assert_eq!(shop.drain().await, 1);

    let emails = shop.moto.emails_to(&shop.shopper).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert!(
        emails[0].subject.contains("reset your password"),
        "{}",
        emails[0].subject
    );
    let body = &emails[0].body;
    let start = body
        .find("https://shop.example/account/reset-password?token=")
        .unwrap_or_else(|| panic!("no link: {body}"));
    let token: String = body[start..]
        .split("token=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{body}");
    let reply = shop
        .store
        .customer_post(
            "/auth/customer/emailpass/update",
            As::Bearer(&token),
            json!({ "password": "a brand new password" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Handled again after the token was used (as if the first handling had not been
    // recorded): skipped, no second email.
    let id: String = shop
        .store
        .scalar("SELECT id FROM outbox_events WHERE name = 'auth.password_reset'")
        .await;
    sqlx::query("DELETE FROM event_handlings WHERE event_id = $1")
        .bind(&id)
        .execute(&shop.store.pool)
        .await
        .unwrap();
    let body = serde_json::to_string(&shop.envelope(&id).await).unwrap();
    let outcomes = shop.consumer.handle_body(&body).await.unwrap();
    assert!(
        matches!(&outcomes[..], [(_, Outcome::Skipped(why))] if why.contains("used or expired")),
        "{outcomes:?}"
    );
    assert_eq!(shop.moto.emails_to(&shop.shopper).await.len(), 1);
    shop.store.drop_database().await;
}
