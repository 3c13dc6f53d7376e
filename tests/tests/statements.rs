//! How many SQL statements each step of the guest checkout sends to PostgreSQL, counted
//! from sqlx's own per-statement events (target `sqlx::query`) while the step's request
//! runs through its function's router. Prints the figures (`--nocapture`) and fails when
//! a step sends more than its budget, so a change that adds round trips says so.

use std::sync::{Arc, Mutex};

use serde_json::json;
use store_tests::flow::{self, ok};
use store_tests::TestStore;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The statements sqlx reported, by their first line.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Summary(Option<String>);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" && self.0.is_none() {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut summary = Summary(None);
            event.record(&mut summary);
            let text = summary.0.unwrap_or_default();
            self.0
                .lock()
                .unwrap()
                .push(text.trim_matches('"').to_string());
        }
    }
}

#[tokio::test]
async fn each_checkout_step_sends_at_most_its_budget_of_statements() {
    let store = TestStore::new().await;
    let variant = flow::stocked_variants(&store, 1).await.remove(0);
    let region = store.region_id("eur").await;
    // Warm: the first request of a pool also asks PostgreSQL for its types.
    flow::ready_cart(&store, &variant, 1).await;

    let statements = Statements::default();
    let subscriber = tracing_subscriber::registry().with(statements.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut steps: Vec<(&str, usize, Vec<String>)> = Vec::new();
    let mut step = |name: &'static str| {
        let sent = statements.take();
        steps.push((name, sent.len(), sent));
    };
    let cart = ok(&store
        .post("/store/carts", json!({ "region_id": region }))
        .await)["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    step("create cart");
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": 1 }),
        )
        .await);
    step("add line item");
    ok(&store
        .post(
            &format!("/store/carts/{cart}"),
            json!({ "email": "ada@example.com", "shipping_address": flow::address() }),
        )
        .await);
    step("email + address");
    let option = flow::first_shipping_option(&store, &cart).await;
    step("list shipping options");
    flow::add_shipping_method(&store, &cart, &option).await;
    step("add shipping method");
    let collection = flow::payment_collection(&store, &cart).await;
    step("payment collection");
    flow::system_payment_session(&store, &collection).await;
    step("payment session");
    let done = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    assert_eq!(ok(&done)["type"], "order");
    step("complete");
    // Not a step of the checkout, but what a storefront sends most: the cart, read.
    ok(&store.get(&format!("/store/carts/{cart}")).await);
    step("retrieve cart");

    let total: usize = steps.iter().map(|(_, n, _)| n).sum();
    println!("statements per step of the guest checkout ({total} in all):");
    for (name, n, sent) in &steps {
        println!("  {name:<24} {n:>3}");
        for s in sent {
            println!("      {}", s.chars().take(100).collect::<String>());
        }
    }
    assert!(
        total > 0,
        "no statement was counted: the sqlx events did not arrive"
    );
    // What each step sends today (121 in all before a cart was loaded in one statement,
    // 75 before an order was, and before a change's row came back from the one update
    // that writes it; an unlocked read of a cart took 2 before its row came with its
    // parts; 37 before a bare cart was created without a transaction, an address's
    // country was checked against the parts the change reads anyway, the order statement
    // read the stock items, one statement locked and held an item's stock, and listing
    // shipping options read what prices them with the options instead of the whole cart;
    // 30 before a line, an email or address, the shipping method and the payment
    // collection were each written by one guarded statement, without a transaction; an
    // email or address took 1 while the cart's read wrote it too; a payment session took 4
    // in a transaction that locked the cart before it was written by a guarded statement).
    let budgets = [
        ("create cart", 2),
        ("add line item", 2),
        ("email + address", 2),
        ("list shipping options", 1),
        ("add shipping method", 2),
        ("payment collection", 2),
        ("payment session", 3),
        ("complete", 6),
        ("retrieve cart", 1),
    ];
    for ((name, n, _), (budget_name, budget)) in steps.iter().zip(budgets) {
        assert_eq!(*name, budget_name);
        assert!(*n <= budget, "{name}: {n} statements, budget {budget}");
    }
}
