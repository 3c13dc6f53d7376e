//! The order lifecycle through the Admin API: fulfil, ship, deliver, cancel, capture and
//! refund; illegal transitions refused; concurrent transitions of one order.

use std::sync::Arc;

use serde_json::{json, Value};
use store_tests::flow::{invalid, ok};
use store_tests::{Reply, TestStore};

fn refused(reply: &Reply, status: u16, words: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "expected {words:?} in {message:?}");
}

async fn event_names(store: &TestStore, order_id: &str) -> Vec<String> {
    store
        .events_for(order_id)
        .await
        .into_iter()
        .map(|(name, payload)| {
            if name != "order.placed" {
                assert_eq!(payload["order_id"], order_id, "{name}: {payload}");
            }
            name
        })
        .collect()
}

/// The calls of one logged-in admin on orders and payments.
struct Admin<'a> {
    store: &'a TestStore,
    token: String,
}

impl<'a> Admin<'a> {
    async fn login(store: &'a TestStore) -> Self {
        let token = store.admin_token().await;
        Admin { store, token }
    }

    /// `POST /admin/orders/{order}/{action}` (`cancel`, `fulfillments`).
    async fn order(&self, order: &str, action: &str, body: Value) -> Reply {
        self.post(format!("/admin/orders/{order}/{action}"), body)
            .await
    }

    /// `POST /admin/orders/{order}/fulfillments/{fulfillment}/{action}`.
    async fn fulfillment(&self, order: &str, fulfillment: &str, action: &str) -> Reply {
        let path = format!("/admin/orders/{order}/fulfillments/{fulfillment}/{action}");
        self.post(path, json!({})).await
    }

    /// `POST /admin/payments/{payment}/{action}` (`capture`, `refund`).
    async fn payment(&self, payment: &str, action: &str, body: Value) -> Reply {
        self.post(format!("/admin/payments/{payment}/{action}"), body)
            .await
    }

    async fn post(&self, path: String, body: Value) -> Reply {
        self.store.admin_post(&self.token, &path, body).await
    }
}

#[tokio::test]
async fn an_order_goes_from_placed_to_fulfilled_shipped_and_delivered() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let token = &admin.token;
    let variant = store.stocked_variant().await;
    let (stocked_before, reserved_before) = store.stock_of(&variant).await;
    let order = store.place_order(&variant, 3).await;
    let id = order["id"].as_str().unwrap().to_string();
    let line = order["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        store.stock_of(&variant).await,
        (stocked_before, reserved_before + 3)
    );

    let got = store.admin_get(token, &format!("/admin/orders/{id}")).await;
    let got = &ok(&got)["order"];
    assert_eq!(got["status"], "pending");
    assert_eq!(got["payment_status"], "authorized");
    assert_eq!(got["fulfillment_status"], "not_fulfilled");

    // Illegal before anything happened.
    let too_many = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": line, "quantity": 4 }] }),
        )
        .await;
    refused(&too_many, 400, "left to fulfill");
    let foreign = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": "ordli_other", "quantity": 1 }] }),
        )
        .await;
    refused(&foreign, 400, "not an item");
    let zero = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": line, "quantity": 0 }] }),
        )
        .await;
    refused(&zero, 400, "quantity");
    let missing = store
        .admin_post(token, "/admin/orders/order_nope/fulfillments", json!({}))
        .await;
    assert_eq!(missing.status, 404);
    let malformed = store
        .admin_post(token, "/admin/orders/nope/fulfillments", json!({}))
        .await;
    assert_eq!(malformed.status, 400);

    // Fulfil one: it leaves the shelf and the reservation.
    let first = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": line, "quantity": 1 }] }),
        )
        .await;
    let first = ok(&first)["order"].clone();
    assert_eq!(first["fulfillment_status"], "partially_fulfilled");
    assert_eq!(first["items"][0]["detail"]["fulfilled_quantity"], 1);
    assert_eq!(
        store.stock_of(&variant).await,
        (stocked_before - 1, reserved_before + 2)
    );
    let f1 = first["fulfillments"][0]["id"].as_str().unwrap().to_string();

    // Delivered before shipped: refused.
    let early = admin.fulfillment(&id, &f1, "mark-as-delivered").await;
    refused(&early, 409, "not been shipped");

    let shipped = admin
        .order(
            &id,
            &format!("fulfillments/{f1}/shipments"),
            json!({ "carrier": "DHL", "tracking_number": "JD0001" }),
        )
        .await;
    let shipped = ok(&shipped)["order"].clone();
    assert_eq!(shipped["fulfillment_status"], "partially_shipped");
    assert_eq!(shipped["fulfillments"][0]["carrier"], "DHL");
    assert_eq!(shipped["fulfillments"][0]["tracking_number"], "JD0001");
    let twice = admin.fulfillment(&id, &f1, "shipments").await;
    refused(&twice, 409, "already shipped");
    let unknown = admin.fulfillment(&id, "ful_nope", "shipments").await;
    assert_eq!(unknown.status, 404);

    // The rest, with no items named; then nothing is left.
    let second = admin.order(&id, "fulfillments", json!({})).await;
    let second = ok(&second)["order"].clone();
    assert_eq!(second["items"][0]["detail"]["fulfilled_quantity"], 3);
    assert_eq!(
        store.stock_of(&variant).await,
        (stocked_before - 3, reserved_before)
    );
    let f2 = second["fulfillments"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let more = admin.order(&id, "fulfillments", json!({})).await;
    refused(&more, 409, "fully fulfilled");
    let over = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": line, "quantity": 1 }] }),
        )
        .await;
    refused(&over, 400, "left to fulfill");

    // Shipping with Medusa's labels and items form.
    let shipped = admin.order(&id, &format!("fulfillments/{f2}/shipments"), json!({ "items": [{ "id": line, "quantity": 2 }], "labels": [{ "tracking_number": "JD0002", "tracking_url": "", "label_url": "" }] })).await;
    assert_eq!(ok(&shipped)["order"]["fulfillment_status"], "shipped");
    assert_eq!(
        shipped.body["order"]["fulfillments"][1]["tracking_number"],
        "JD0002"
    );

    let delivered = admin.fulfillment(&id, &f1, "mark-as-delivered").await;
    assert_eq!(
        ok(&delivered)["order"]["fulfillment_status"],
        "partially_delivered"
    );
    let again = admin.fulfillment(&id, &f1, "mark-as-delivered").await;
    refused(&again, 409, "already delivered");
    let delivered = admin.fulfillment(&id, &f2, "mark-as-delivered").await;
    let done = ok(&delivered)["order"].clone();
    assert_eq!(done["fulfillment_status"], "delivered");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["items"][0]["detail"]["delivered_quantity"], 3);

    let cancel = admin.order(&id, "cancel", json!({})).await;
    refused(&cancel, 409, "completed");

    // The store's view of the order shows the fulfillments too.
    let public = store.get(&format!("/store/orders/{id}")).await;
    assert_eq!(
        ok(&public)["order"]["fulfillments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(
        event_names(&store, &id).await,
        [
            "order.placed",
            "order.fulfillment_created",
            "shipment.created",
            "order.fulfillment_created",
            "shipment.created",
            "delivery.created",
            "delivery.created",
        ]
    );
    let shipment: Value = store.scalar("SELECT payload FROM outbox_events WHERE name = 'shipment.created' ORDER BY occurred_at LIMIT 1").await;
    assert_eq!(shipment["carrier"], "DHL");
    assert_eq!(shipment["fulfillment_id"], f1.as_str());
    let audit = store
        .admin_get(token, &format!("/admin/audit-log?resource_id={id}"))
        .await;
    let actions: Vec<&str> = ok(&audit)["audit_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 6, "{actions:?}");
    assert!(actions.contains(&"order.delivery_created"));
}

#[tokio::test]
async fn a_payment_is_captured_once_and_never_refunded_beyond_what_was_captured() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let token = &admin.token;
    let variant = store.stocked_variant().await;
    let order = store.place_order(&variant, 1).await;
    let id = order["id"].as_str().unwrap().to_string();
    let payment = order["payment_collections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let total = order["total"].as_f64().unwrap();
    assert!(total > 2.0);

    let early = admin
        .payment(&payment, "refund", json!({ "amount": 1 }))
        .await;
    refused(&early, 409, "only captured money");
    let partial = admin
        .payment(&payment, "capture", json!({ "amount": 0.5 }))
        .await;
    refused(&partial, 400, "partial capture");

    let captured = admin.payment(&payment, "capture", json!({})).await;
    let captured = ok(&captured)["payment"].clone();
    assert_eq!(captured["captured_amount"].as_f64().unwrap(), total);
    let twice = admin.payment(&payment, "capture", json!({})).await;
    refused(&twice, 409, "only an authorized payment");

    let refund = admin
        .payment(
            &payment,
            "refund",
            json!({ "amount": 1.5, "note": "scratched" }),
        )
        .await;
    let refund = ok(&refund)["payment"].clone();
    assert_eq!(refund["refunded_amount"], json!(1.5));
    assert_eq!(refund["refunds"][0]["note"], "scratched");
    let got = store.admin_get(token, &format!("/admin/orders/{id}")).await;
    assert_eq!(ok(&got)["order"]["payment_status"], "partially_refunded");
    assert_eq!(got.body["order"]["summary"]["refunded_total"], json!(1.5));

    let left = ((total - 1.5) * 100.0).round() as i64;
    let beyond = admin
        .payment(
            &payment,
            "refund",
            json!({ "amount": (left + 1) as f64 / 100.0 }),
        )
        .await;
    refused(&beyond, 400, "left to refund");
    for bad in [
        json!({ "amount": 0 }),
        json!({ "amount": -1 }),
        json!({ "amount": 0.001 }),
        json!({ "amount": "1" }),
    ] {
        let reply = store
            .admin_post(
                token,
                &format!("/admin/payments/{payment}/refund"),
                bad.clone(),
            )
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
    }
    let rest = admin
        .payment(&payment, "refund", json!({ "amount": left as f64 / 100.0 }))
        .await;
    ok(&rest);
    let got = store.admin_get(token, &format!("/admin/orders/{id}")).await;
    assert_eq!(ok(&got)["order"]["payment_status"], "refunded");
    let more = admin
        .payment(&payment, "refund", json!({ "amount": 0.01 }))
        .await;
    refused(&more, 409, "refunded");

    let (captured, refunded): (i64, i64) = sqlx::query_as(
        "SELECT captured_amount, refunded_amount FROM payment_collections WHERE id = $1",
    )
    .bind(&payment)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(captured, refunded);
    let refunds: i64 = store
        .scalar_for(
            "SELECT sum(amount)::bigint FROM refunds WHERE order_id = $1",
            &id,
        )
        .await;
    assert_eq!(refunds, refunded);
    assert_eq!(
        event_names(&store, &id).await,
        [
            "order.placed",
            "payment.captured",
            "order.refunded",
            "order.refunded"
        ]
    );
    let audit = store
        .admin_get(token, &format!("/admin/audit-log?resource_id={payment}"))
        .await;
    assert_eq!(ok(&audit)["count"], 3);
}

#[tokio::test]
async fn canceling_an_order_gives_back_its_stock_and_its_money() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let variant = store.stocked_variant().await;
    let before = store.stock_of(&variant).await;

    // Authorized only: the authorization is canceled.
    let order = store.place_order(&variant, 2).await;
    let id = order["id"].as_str().unwrap().to_string();
    let payment = order["payment_collections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(store.stock_of(&variant).await, (before.0, before.1 + 2));
    let canceled = admin.order(&id, "cancel", json!({})).await;
    let canceled = ok(&canceled)["order"].clone();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["payment_status"], "canceled");
    assert!(canceled["canceled_at"].is_string());
    assert_eq!(store.stock_of(&variant).await, before);
    let reservations: i64 = store.scalar("SELECT count(*) FROM reservations").await;
    assert_eq!(reservations, 0);

    // Nothing moves a canceled order.
    let line = order["items"][0]["id"].as_str().unwrap();
    refused(
        &admin.order(&id, "cancel", json!({})).await,
        409,
        "already canceled",
    );
    refused(
        &admin.order(&id, "fulfillments", json!({})).await,
        409,
        "canceled",
    );
    refused(
        &admin
            .order(
                &id,
                "fulfillments",
                json!({ "items": [{ "id": line, "quantity": 1 }] }),
            )
            .await,
        409,
        "canceled",
    );
    refused(
        &admin.payment(&payment, "capture", json!({})).await,
        409,
        "canceled",
    );
    refused(
        &admin.payment(&payment, "refund", json!({})).await,
        409,
        "canceled",
    );
    assert_eq!(
        event_names(&store, &id).await,
        ["order.placed", "order.canceled"]
    );

    // Captured and partly refunded: the rest is refunded.
    let order = store.place_order(&variant, 1).await;
    let id = order["id"].as_str().unwrap().to_string();
    let payment = order["payment_collections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&admin.payment(&payment, "capture", json!({})).await);
    ok(&admin
        .payment(&payment, "refund", json!({ "amount": 1 }))
        .await);
    let canceled = admin.order(&id, "cancel", json!({})).await;
    assert_eq!(ok(&canceled)["order"]["payment_status"], "refunded");
    let (captured, refunded): (i64, i64) = sqlx::query_as(
        "SELECT captured_amount, refunded_amount FROM payment_collections WHERE id = $1",
    )
    .bind(&payment)
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(captured, refunded);
    assert_eq!(store.stock_of(&variant).await, before);
    // Events of one transaction share its timestamp: compare them as a set.
    let events = store.events_for(&id).await;
    let mut names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "order.canceled",
            "order.placed",
            "order.refunded",
            "order.refunded",
            "payment.captured"
        ]
    );
    let canceled_event = &events
        .iter()
        .find(|(n, _)| n == "order.canceled")
        .unwrap()
        .1;
    assert_eq!(canceled_event["amount"], json!(captured - 100));

    // A fulfilled order cannot be canceled.
    let order = store.place_order(&variant, 1).await;
    let id = order["id"].as_str().unwrap().to_string();
    ok(&admin.order(&id, "fulfillments", json!({})).await);
    refused(
        &admin.order(&id, "cancel", json!({})).await,
        409,
        "fulfillments",
    );
}

#[tokio::test]
async fn concurrent_cancel_and_fulfill_of_one_order_end_in_one_consistent_state() {
    let store = Arc::new(TestStore::new().await);
    let admin = Admin::login(&store).await;
    let token = &admin.token;
    let variant = store.stocked_variant().await;
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        let before = store.stock_of(&variant).await;
        let order = store.place_order(&variant, 2).await;
        let id = order["id"].as_str().unwrap().to_string();
        // Two tasks, so the requests really run side by side.
        let request = |path: String| {
            let (store, token) = (store.clone(), token.clone());
            tokio::spawn(async move { store.admin_post(&token, &path, json!({})).await })
        };
        let cancel = request(format!("/admin/orders/{id}/cancel"));
        let fulfill = request(format!("/admin/orders/{id}/fulfillments"));
        let (cancel, fulfill) = tokio::join!(cancel, fulfill);
        let (cancel, fulfill) = (cancel.unwrap(), fulfill.unwrap());
        let state: (String, String, String) = sqlx::query_as(
            "SELECT status, payment_status, fulfillment_status FROM orders WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&store.pool)
        .await
        .unwrap();
        let fulfillments: i64 = store
            .scalar_for("SELECT count(*) FROM fulfillments WHERE order_id = $1", &id)
            .await;
        match (cancel.status.as_u16(), fulfill.status.as_u16()) {
            (200, 409) => {
                assert_eq!(
                    state,
                    ("canceled".into(), "canceled".into(), "canceled".into())
                );
                assert_eq!(fulfillments, 0);
                assert_eq!(store.stock_of(&variant).await, before, "stock given back");
                outcomes.push("canceled");
            }
            (409, 200) => {
                assert_eq!(
                    state,
                    ("pending".into(), "authorized".into(), "fulfilled".into())
                );
                assert_eq!(fulfillments, 1);
                assert_eq!(
                    store.stock_of(&variant).await,
                    (before.0 - 2, before.1),
                    "stock shipped out"
                );
                outcomes.push("fulfilled");
            }
            other => panic!(
                "both or neither went through: {other:?} {} {}",
                cancel.body, fulfill.body
            ),
        }
    }
    assert_eq!(outcomes.len(), 8);
}

#[tokio::test]
async fn orders_are_listed_with_filters_and_pages() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let token = &admin.token;
    let variant = store.stocked_variant().await;
    let first = store.place_order(&variant, 1).await;
    let second = store.place_order(&variant, 1).await;
    let second_id = second["id"].as_str().unwrap();
    ok(&admin.order(second_id, "cancel", json!({})).await);

    let all = store.admin_get(token, "/admin/orders").await;
    assert_eq!(ok(&all)["count"], 2);
    assert_eq!(all.body["orders"][0]["id"], second_id, "newest first");
    let canceled = store
        .admin_get(token, "/admin/orders?status[0]=canceled")
        .await;
    assert_eq!(ok(&canceled)["count"], 1);
    assert_eq!(canceled.body["orders"][0]["id"], second_id);
    let page = store
        .admin_get(token, "/admin/orders?limit=1&offset=1")
        .await;
    assert_eq!(ok(&page)["count"], 2);
    assert_eq!(page.body["orders"][0]["id"], first["id"]);
    assert_eq!(page.body["limit"], 1);
    // Past the last page: no orders, and still the count.
    let beyond = store
        .admin_get(token, "/admin/orders?limit=1&offset=5")
        .await;
    assert_eq!(ok(&beyond)["count"], 2);
    assert_eq!(beyond.body["orders"], json!([]));
    let by_email = store
        .admin_get(token, "/admin/orders?email=ADA@example.com")
        .await;
    assert_eq!(ok(&by_email)["count"], 2);
    let nobody = store
        .admin_get(token, "/admin/orders?email=eve@example.com")
        .await;
    assert_eq!(ok(&nobody)["count"], 0);
    let q = store
        .admin_get(token, &format!("/admin/orders?q={}", first["display_id"]))
        .await;
    assert_eq!(ok(&q)["count"], 1);
    assert_eq!(q.body["orders"][0]["id"], first["id"]);
    let q = store
        .admin_get(token, &format!("/admin/orders?q={second_id}"))
        .await;
    assert_eq!(ok(&q)["count"], 1);
    let q = store.admin_get(token, "/admin/orders?q=lovelace").await;
    assert_eq!(ok(&q)["count"], 2);
    let future = store
        .admin_get(token, "/admin/orders?created_at[$gte]=2999-01-01")
        .await;
    assert_eq!(ok(&future)["count"], 0);
    let past = store
        .admin_get(
            token,
            "/admin/orders?created_at[$gte]=2000-01-01T00:00:00Z&created_at[$lte]=2999-01-01",
        )
        .await;
    assert_eq!(ok(&past)["count"], 2);
    for bad in [
        "status=shipped",
        "created_at[$gte]=soon",
        "limit=1001",
        "colour=red",
    ] {
        invalid(
            &store
                .admin_get(token, &format!("/admin/orders?{bad}"))
                .await,
        );
    }
}

#[tokio::test]
async fn stripe_payments_are_captured_refunded_and_canceled_at_stripe() {
    let fake = store_tests::stripe_fake::StripeFake::start().await;
    let store = TestStore::new().await;
    let payments = store_stripe::providers(Some(fake.config(std::time::Duration::from_secs(5))));
    let store = store.with_payments(payments);
    let admin = Admin::login(&store).await;
    let variant = store.stocked_variant().await;

    let order = store
        .place_order_paying(&variant, 1, Some(&fake), None)
        .await;
    let id = order["id"].as_str().unwrap().to_string();
    let payment = order["payment_collections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let intent = order["payment_collections"][0]["payment_sessions"][0]["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fake.intent(&intent).unwrap()["status"], "requires_capture");

    ok(&admin.payment(&payment, "capture", json!({})).await);
    let captured = fake.intent(&intent).unwrap();
    assert_eq!(captured["status"], "succeeded");
    let received = captured["amount_received"].as_i64().unwrap();

    ok(&admin
        .payment(&payment, "refund", json!({ "amount": 1 }))
        .await);
    assert_eq!(fake.refunded(&intent), 100);
    let refund_request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/refunds")
        .unwrap();
    assert_eq!(refund_request.param("amount"), Some("100"));
    assert!(refund_request.idempotency_key.unwrap().starts_with("ref_"));

    // Stripe down: nothing is recorded, and the order can be refunded later.
    fake.set_fail_with_500(true);
    let failed = admin
        .payment(&payment, "refund", json!({ "amount": 1 }))
        .await;
    assert_eq!(failed.status, 422, "{}", failed.body);
    fake.set_fail_with_500(false);
    let refunded: i64 = store
        .scalar_for(
            "SELECT refunded_amount FROM payment_collections WHERE id = $1",
            &payment,
        )
        .await;
    assert_eq!(refunded, 100);
    assert_eq!(store.scalar::<i64>("SELECT count(*) FROM refunds").await, 1);
    let canceled = admin.order(&id, "cancel", json!({})).await;
    assert_eq!(ok(&canceled)["order"]["payment_status"], "refunded");
    assert_eq!(
        fake.refunded(&intent),
        received,
        "Stripe gave everything back, once"
    );

    // An authorized Stripe payment is canceled at Stripe when the order is.
    let order = store
        .place_order_paying(&variant, 1, Some(&fake), None)
        .await;
    let id = order["id"].as_str().unwrap().to_string();
    let intent = order["payment_collections"][0]["payment_sessions"][0]["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&admin.order(&id, "cancel", json!({})).await);
    assert_eq!(fake.intent(&intent).unwrap()["status"], "canceled");
}

#[tokio::test]
async fn concurrent_refunds_never_give_back_more_than_was_captured() {
    let store = Arc::new(TestStore::new().await);
    let admin = Admin::login(&store).await;
    let variant = store.stocked_variant().await;
    let order = store.place_order(&variant, 1).await;
    let payment = order["payment_collections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&admin.payment(&payment, "capture", json!({})).await);
    let captured: i64 = store
        .scalar_for(
            "SELECT captured_amount FROM payment_collections WHERE id = $1",
            &payment,
        )
        .await;
    // Two of these fit in what was captured, a third does not.
    let each = captured * 2 / 5 + 1;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, token, payment) = (store.clone(), admin.token.clone(), payment.clone());
            tokio::spawn(async move {
                let admin = Admin {
                    store: &store,
                    token,
                };
                admin
                    .payment(&payment, "refund", json!({ "amount": each as f64 / 100.0 }))
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status.as_u16() {
            200 => accepted += 1,
            400 => assert!(reply.body["message"]
                .as_str()
                .unwrap()
                .contains("left to refund")),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(accepted, 2);
    let refunded: i64 = store
        .scalar_for(
            "SELECT refunded_amount FROM payment_collections WHERE id = $1",
            &payment,
        )
        .await;
    assert_eq!(refunded, 2 * each);
    assert_eq!(store.scalar::<i64>("SELECT count(*) FROM refunds").await, 2);
    let refund_events: i64 = store
        .scalar("SELECT count(*) FROM outbox_events WHERE name = 'order.refunded'")
        .await;
    assert_eq!(refund_events, 2);
}

#[tokio::test]
async fn a_fulfillment_canceled_before_shipping_puts_its_stock_back_for_the_order() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let variant = store.stocked_variant().await;
    let before = store.stock_of(&variant).await;
    let order = store.place_order(&variant, 2).await;
    let id = order["id"].as_str().unwrap().to_string();
    let line = order["items"][0]["id"].as_str().unwrap().to_string();

    let first = admin
        .order(
            &id,
            "fulfillments",
            json!({ "items": [{ "id": line, "quantity": 1 }] }),
        )
        .await;
    let f1 = ok(&first)["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(store.stock_of(&variant).await, (before.0 - 1, before.1 + 1));
    let canceled = admin.fulfillment(&id, &f1, "cancel").await;
    let canceled = ok(&canceled)["order"].clone();
    assert_eq!(canceled["fulfillment_status"], "not_fulfilled");
    assert!(canceled["fulfillments"][0]["canceled_at"].is_string());
    assert_eq!(canceled["items"][0]["detail"]["fulfilled_quantity"], 0);
    assert_eq!(
        store.stock_of(&variant).await,
        (before.0, before.1 + 2),
        "back on the shelf, still held"
    );
    let reservations: i64 = store.scalar("SELECT count(*) FROM reservations").await;
    assert_eq!(reservations, 1, "one reservation row per line and item");

    refused(
        &admin.fulfillment(&id, &f1, "cancel").await,
        409,
        "canceled",
    );
    refused(
        &admin.fulfillment(&id, &f1, "shipments").await,
        409,
        "canceled",
    );

    // Fulfilled in full again, then shipped: that one cannot be canceled.
    let all = admin.order(&id, "fulfillments", json!({})).await;
    let f2 = ok(&all)["order"]["fulfillments"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(store.stock_of(&variant).await, (before.0 - 2, before.1));
    ok(&admin.fulfillment(&id, &f2, "shipments").await);
    refused(&admin.fulfillment(&id, &f2, "cancel").await, 409, "shipped");

    // An order whose fulfillment was canceled can itself be canceled.
    let order = store.place_order(&variant, 1).await;
    let other = order["id"].as_str().unwrap().to_string();
    let f = admin.order(&other, "fulfillments", json!({})).await;
    let f = ok(&f)["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        &admin.order(&other, "cancel", json!({})).await,
        409,
        "fulfillments",
    );
    ok(&admin.fulfillment(&other, &f, "cancel").await);
    ok(&admin.order(&other, "cancel", json!({})).await);
    assert_eq!(store.stock_of(&variant).await, (before.0 - 2, before.1));
    assert_eq!(
        event_names(&store, &other).await,
        [
            "order.placed",
            "order.fulfillment_created",
            "order.fulfillment_canceled",
            "order.canceled"
        ]
    );
}

#[tokio::test]
async fn a_backordered_fulfillment_canceled_creates_no_phantom_stock() {
    let store = TestStore::new().await;
    let admin = Admin::login(&store).await;
    let variant = store.stocked_variant().await;
    store
        .execute_for(
            "UPDATE product_variants SET allow_backorder = TRUE WHERE id = $1",
            &variant,
        )
        .await;
    store.execute_for("UPDATE inventory_levels SET stocked_quantity = 1, reserved_quantity = 0
          WHERE inventory_item_id IN (SELECT inventory_item_id FROM product_variant_inventory_items WHERE variant_id = $1)", &variant).await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let order = store.place_order(&variant, 3).await;
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(
        store.stock_of(&variant).await,
        (1, 3),
        "one on the shelf, three promised"
    );

    let fulfilled = admin.order(&id, "fulfillments", json!({})).await;
    let f = ok(&fulfilled)["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        store.stock_of(&variant).await,
        (0, 0),
        "the one unit left; nothing negative"
    );
    ok(&admin.fulfillment(&id, &f, "cancel").await);
    assert_eq!(
        store.stock_of(&variant).await,
        (1, 3),
        "exactly what was taken came back"
    );
}
