//! Load generation: a closed loop of `connections` workers on one `reqwest` client,
//! each sending its next request (or checkout) as soon as the previous one answered,
//! latencies in HDR histograms (microseconds).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::ValueEnum;
use hdrhistogram::Histogram;
use reqwest::{Client, Method};
use serde::Serialize;
use serde_json::{json, Value};

/// Latencies up to this many microseconds are recorded exactly (3 significant digits);
/// longer ones are clamped to it.
const MAX_MICROS: u64 = 120_000_000;
/// Distinct error messages kept per run.
const MAX_ERROR_KINDS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// (a) GET /store/products?limit=20
    List,
    /// (a-gz) the same, asking for gzip (`Accept-Encoding: gzip`)
    ListGzip,
    /// (b) GET /store/products/:id?region_id=… (cycling through the catalog)
    ById,
    /// (c) GET /store/products?limit=20&region_id=… (prices)
    ListRegion,
    /// (d) the guest checkout, 8 requests from a new cart to an order
    Checkout,
    /// (e) GET --content-path (a content cache hit); skipped without --content-path
    Content,
}

impl Workload {
    pub fn title(self) -> &'static str {
        match self {
            Workload::List => "(a) GET /store/products?limit=20",
            Workload::ListGzip => "(a-gz) the same, Accept-Encoding: gzip",
            Workload::ById => "(b) GET /store/products/:id?region_id=",
            Workload::ListRegion => "(c) GET /store/products?limit=20&region_id=",
            Workload::Checkout => "(d) guest checkout (8 requests)",
            Workload::Content => "(e) GET content (cache hit)",
        }
    }
}

/// The steps of the checkout, in order.
pub const STEPS: [&str; 8] = [
    "create cart",
    "add line item",
    "email + address",
    "list shipping options",
    "add shipping method",
    "payment collection",
    "payment session",
    "complete",
];
const LIST_OPTIONS_STEP: usize = 3;

/// One backend to load: its address, key and what the workloads need from its catalog.
pub struct Target {
    pub label: String,
    pub base: String,
    pub key: String,
    pub region_id: String,
    pub country_code: String,
    pub product_ids: Vec<String>,
    pub content_path: Option<String>,
    pub stock: StockPool,
    next_product: AtomicUsize,
}

/// Variants to buy, each with a budget of units this run may take: at most half of
/// what was available minus `keep`, so two targets sharing one database cannot
/// empty it either. Picked round-robin, so every variant drains at the same pace.
pub struct StockPool {
    variants: Vec<(String, AtomicI64)>,
    next: AtomicUsize,
    pub units: i64,
}

impl StockPool {
    fn new(available: Vec<(String, i64)>, keep: i64) -> Self {
        let variants: Vec<(String, AtomicI64)> = available
            .into_iter()
            .map(|(id, n)| (id, ((n - keep) / 2).max(0)))
            .filter(|(_, budget)| *budget > 0)
            .map(|(id, budget)| (id, AtomicI64::new(budget)))
            .collect();
        let units = variants
            .iter()
            .map(|(_, b)| b.load(Ordering::Relaxed))
            .sum();
        StockPool {
            variants,
            next: AtomicUsize::new(0),
            units,
        }
    }

    pub fn variants(&self) -> usize {
        self.variants.len()
    }

    /// Only the `n` variants with the largest budgets: every checkout then competes for
    /// the same few stock rows (`--hot`).
    pub fn keep_hottest(&mut self, n: usize) {
        self.variants
            .sort_by_key(|(_, budget)| std::cmp::Reverse(budget.load(Ordering::Relaxed)));
        self.variants.truncate(n);
        self.units = self
            .variants
            .iter()
            .map(|(_, b)| b.load(Ordering::Relaxed))
            .sum();
    }

    /// A variant with budget left, taking one unit of it.
    pub fn take(&self) -> Option<&str> {
        let n = self.variants.len();
        for _ in 0..n {
            let (id, budget) = &self.variants[self.next.fetch_add(1, Ordering::Relaxed) % n];
            if budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                    (b > 0).then_some(b - 1)
                })
                .is_ok()
            {
                return Some(id);
            }
        }
        None
    }
}

/// An HTTP failure: non-2xx status or transport error, with a short description.
struct Failure(String);

struct Reply {
    status: u16,
    body: axum::body::Bytes,
}

async fn send(
    client: &Client,
    target: &Target,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Reply, Failure> {
    let mut request = request_to(client, target, method, path);
    if let Some(body) = body {
        request = request.json(body);
    }
    finish(request).await
}

/// A request to the store with the publishable key.
fn request_to(
    client: &Client,
    target: &Target,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, format!("{}{}", target.base, path))
        .header("x-publishable-api-key", &target.key)
}

/// Sends the request and reads the whole body (as sent: the bench decodes nothing).
async fn finish(request: reqwest::RequestBuilder) -> Result<Reply, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure(format!("transport: {}", error_chain(&e))))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| Failure(format!("reading body: {}", error_chain(&e))))?;
    Ok(Reply { status, body })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn describe(reply: &Reply) -> String {
    let text = String::from_utf8_lossy(&reply.body);
    let message = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(120).collect());
    format!("HTTP {}: {}", reply.status, message)
}

async fn get_json(client: &Client, target: &Target, path: &str) -> anyhow::Result<Value> {
    let reply = send(client, target, Method::GET, path, None)
        .await
        .map_err(|f| anyhow::anyhow!("GET {}{path}: {}", target.base, f.0))?;
    if reply.status != 200 {
        bail!("GET {}{path}: {}", target.base, describe(&reply));
    }
    serde_json::from_slice(&reply.body).with_context(|| format!("GET {path}: not JSON"))
}

/// Reads what the workloads need through the Store API only (so it works against
/// Medusa too): a region (EUR with Denmark if there is one), product ids, and
/// variants with stock (`fields=+variants.inventory_quantity`).
pub async fn discover(
    client: &Client,
    label: String,
    base: &str,
    key: &str,
    content_path: Option<String>,
    keep_stock: i64,
) -> anyhow::Result<Target> {
    let mut target = Target {
        label,
        base: base.trim_end_matches('/').to_string(),
        key: key.to_string(),
        region_id: String::new(),
        country_code: String::new(),
        product_ids: Vec::new(),
        content_path,
        stock: StockPool::new(Vec::new(), 0),
        next_product: AtomicUsize::new(0),
    };
    (target.region_id, target.country_code) = discover_region(client, &target).await?;
    let (product_ids, available) = discover_products(client, &target).await?;
    target.product_ids = product_ids;
    if target.product_ids.is_empty() {
        bail!("{} lists no products for this key", target.base);
    }
    target.stock = StockPool::new(available, keep_stock);
    Ok(target)
}

/// The region to shop in (EUR with Denmark if there is one, else the first with a
/// country) and its country code (`dk` if it has it).
async fn discover_region(client: &Client, target: &Target) -> anyhow::Result<(String, String)> {
    let regions = get_json(client, target, "/store/regions?limit=50").await?;
    let regions = regions["regions"].as_array().cloned().unwrap_or_default();
    let countries = |r: &Value| -> Vec<String> {
        r["countries"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["iso_2"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let region = regions
        .iter()
        .find(|r| r["currency_code"] == "eur" && countries(r).iter().any(|c| c == "dk"))
        .or_else(|| regions.iter().find(|r| !countries(r).is_empty()))
        .context("the store has no region with a country")?;
    let region_id = region["id"]
        .as_str()
        .context("region without id")?
        .to_string();
    let countries = countries(region);
    let country_code = if countries.iter().any(|c| c == "dk") {
        "dk".to_string()
    } else {
        countries[0].clone()
    };
    Ok((region_id, country_code))
}

/// Product ids (up to about 1000) and the stock of every variant without backorder,
/// page by page.
async fn discover_products(
    client: &Client,
    target: &Target,
) -> anyhow::Result<(Vec<String>, Vec<(String, i64)>)> {
    let mut product_ids = Vec::new();
    let mut available = Vec::new();
    let mut offset = 0;
    loop {
        let page = get_json(
            client,
            target,
            &format!(
                "/store/products?limit=100&offset={offset}&fields=%2Bvariants.inventory_quantity"
            ),
        )
        .await?;
        let products = page["products"].as_array().cloned().unwrap_or_default();
        for product in &products {
            if let Some(id) = product["id"].as_str() {
                product_ids.push(id.to_string());
            }
            for variant in product["variants"].as_array().into_iter().flatten() {
                let (Some(id), Some(n)) = (
                    variant["id"].as_str(),
                    variant["inventory_quantity"].as_i64(),
                ) else {
                    continue;
                };
                if variant["allow_backorder"] != true {
                    available.push((id.to_string(), n));
                }
            }
        }
        offset += products.len();
        let count = page["count"].as_u64().unwrap_or(0) as usize;
        if products.is_empty() || offset >= count || offset >= 1000 {
            break;
        }
    }
    Ok((product_ids, available))
}

/// What one worker (and then one run) measured.
pub struct Stats {
    /// Per unit: a request, or a whole checkout.
    pub total: Histogram<u64>,
    /// Checkout without listing shipping options (the steps Medusa's anchor timed).
    pub total_without_options: Histogram<u64>,
    pub steps: Vec<StepStats>,
    pub units_ok: u64,
    pub units_failed: u64,
    pub requests: u64,
    pub bytes: u64,
    pub errors: BTreeMap<String, u64>,
    /// The checkout ran out of its stock budget.
    pub out_of_stock: bool,
}

pub struct StepStats {
    pub latency: Histogram<u64>,
    pub errors: u64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

impl Stats {
    pub fn new() -> Self {
        Stats {
            total: histogram(),
            total_without_options: histogram(),
            steps: STEPS
                .iter()
                .map(|_| StepStats {
                    latency: histogram(),
                    errors: 0,
                })
                .collect(),
            units_ok: 0,
            units_failed: 0,
            requests: 0,
            bytes: 0,
            errors: BTreeMap::new(),
            out_of_stock: false,
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.total.add(&other.total);
        let _ = self.total_without_options.add(&other.total_without_options);
        for (mine, theirs) in self.steps.iter_mut().zip(&other.steps) {
            let _ = mine.latency.add(&theirs.latency);
            mine.errors += theirs.errors;
        }
        self.units_ok += other.units_ok;
        self.units_failed += other.units_failed;
        self.requests += other.requests;
        self.bytes += other.bytes;
        for (k, v) in &other.errors {
            self.add_error_count(k, *v);
        }
        self.out_of_stock |= other.out_of_stock;
    }

    fn add_error_count(&mut self, message: &str, n: u64) {
        if let Some(count) = self.errors.get_mut(message) {
            *count += n;
        } else if self.errors.len() < MAX_ERROR_KINDS {
            self.errors.insert(message.to_string(), n);
        } else {
            *self.errors.entry("(other errors)".to_string()).or_default() += n;
        }
    }

    fn error(&mut self, message: String) {
        self.units_failed += 1;
        self.add_error_count(&message, 1);
    }
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, MAX_MICROS)
}

/// Runs `workload` with `connections` workers for `duration`; returns what they
/// measured and the wall time from the start until the last worker finished.
pub async fn run(
    client: &Client,
    target: &Arc<Target>,
    workload: Workload,
    connections: usize,
    duration: Duration,
) -> (Stats, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections.max(1))
        .map(|worker| {
            let client = client.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let mut stats = Stats::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    match workload {
                        Workload::Checkout => {
                            if !checkout(&client, &target, worker, n, &mut stats).await {
                                break;
                            }
                        }
                        _ => get(&client, &target, workload, &mut stats).await,
                    }
                    n += 1;
                }
                stats
            })
        })
        .collect();
    let mut stats = Stats::new();
    for worker in workers {
        match worker.await {
            Ok(s) => stats.merge(&s),
            Err(e) => stats.error(format!("worker failed: {e}")),
        }
    }
    (stats, started.elapsed())
}

fn path_for(target: &Target, workload: Workload) -> String {
    match workload {
        Workload::List | Workload::ListGzip => "/store/products?limit=20".to_string(),
        Workload::ListRegion => format!("/store/products?limit=20&region_id={}", target.region_id),
        Workload::ById => {
            let i = target.next_product.fetch_add(1, Ordering::Relaxed) % target.product_ids.len();
            format!(
                "/store/products/{}?region_id={}",
                target.product_ids[i], target.region_id
            )
        }
        Workload::Content => target.content_path.clone().unwrap_or_default(),
        Workload::Checkout => unreachable!("the checkout is not one GET"),
    }
}

async fn get(client: &Client, target: &Target, workload: Workload, stats: &mut Stats) {
    let path = path_for(target, workload);
    let mut request = request_to(client, target, Method::GET, &path);
    if workload == Workload::ListGzip {
        request = request.header("accept-encoding", "gzip");
    }
    let start = Instant::now();
    let result = finish(request).await;
    let _ = stats.total.record(micros(start.elapsed()));
    stats.requests += 1;
    match result {
        Ok(reply) if (200..300).contains(&reply.status) => {
            stats.units_ok += 1;
            stats.bytes += reply.body.len() as u64;
        }
        Ok(reply) => {
            stats.bytes += reply.body.len() as u64;
            stats.error(describe(&reply));
        }
        Err(Failure(e)) => stats.error(e),
    }
}

/// One guest checkout through the Store API. Returns false when the stock budget is
/// spent, so the worker stops.
async fn checkout(
    client: &Client,
    target: &Target,
    worker: usize,
    n: u64,
    stats: &mut Stats,
) -> bool {
    let Some(variant) = target.stock.take() else {
        stats.out_of_stock = true;
        stats.error("no stock budget left: the catalog's stock is (nearly) used up".to_string());
        return false;
    };
    let mut flow = Flow {
        client,
        target,
        stats,
        step: 0,
        elapsed: [Duration::ZERO; STEPS.len()],
    };
    let result = flow.run(variant, worker, n).await;
    let elapsed = flow.elapsed;
    match result {
        Ok(()) => {
            let total: Duration = elapsed.iter().sum();
            let _ = stats.total.record(micros(total));
            let _ = stats
                .total_without_options
                .record(micros(total - elapsed[LIST_OPTIONS_STEP]));
            stats.units_ok += 1;
        }
        Err(Failure(message)) => stats.error(message),
    }
    true
}

/// Where an answer holds an id that a later step needs: its JSON pointer, and its name
/// for the failure when it is missing.
struct IdAt {
    pointer: &'static str,
    name: &'static str,
}

const CART_ID: IdAt = IdAt {
    pointer: "/cart/id",
    name: "cart.id",
};
const OPTION_ID: IdAt = IdAt {
    pointer: "/shipping_options/0/id",
    name: "shipping_options[0].id",
};
const COLLECTION_ID: IdAt = IdAt {
    pointer: "/payment_collection/id",
    name: "payment_collection.id",
};

struct Flow<'a> {
    client: &'a Client,
    target: &'a Target,
    stats: &'a mut Stats,
    step: usize,
    elapsed: [Duration; STEPS.len()],
}

impl Flow<'_> {
    /// Sends the next step's request; a non-2xx answer fails the checkout.
    async fn step(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let step = self.step;
        self.step += 1;
        let start = Instant::now();
        let result = send(self.client, self.target, method, path, body.as_ref()).await;
        let took = start.elapsed();
        self.elapsed[step] = took;
        self.stats.requests += 1;
        let _ = self.stats.steps[step].latency.record(micros(took));
        let fail = |stats: &mut Stats, message: String| {
            stats.steps[step].errors += 1;
            Failure(format!("{}: {message}", STEPS[step]))
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(Failure(e)) => return Err(fail(self.stats, e)),
        };
        self.stats.bytes += reply.body.len() as u64;
        if !(200..300).contains(&reply.status) {
            return Err(fail(self.stats, describe(&reply)));
        }
        serde_json::from_slice(&reply.body).map_err(|e| fail(self.stats, format!("not JSON: {e}")))
    }

    /// Sends the next step's request and returns the id its answer holds at `id`.
    async fn step_id(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        id: IdAt,
    ) -> Result<String, Failure> {
        let answer = self.step(method, path, body).await?;
        answer
            .pointer(id.pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.missing(id.name))
    }

    /// The last step answered without something the next one needs.
    fn missing(&self, what: &str) -> Failure {
        Failure(format!("{}: answer without {what}", STEPS[self.step - 1]))
    }

    async fn run(&mut self, variant: &str, worker: usize, n: u64) -> Result<(), Failure> {
        let cart_id = self.create_cart().await?;
        self.fill_cart(&cart_id, variant, worker, n).await?;
        self.choose_shipping(&cart_id).await?;
        self.pay(&cart_id).await?;
        self.complete(&cart_id).await
    }

    /// Creates a cart in the target's region; returns its id.
    async fn create_cart(&mut self) -> Result<String, Failure> {
        let body = json!({ "region_id": self.target.region_id });
        self.step_id(Method::POST, "/store/carts", Some(body), CART_ID)
            .await
    }

    /// Adds one unit of `variant`, then the email and shipping address.
    async fn fill_cart(
        &mut self,
        cart_id: &str,
        variant: &str,
        worker: usize,
        n: u64,
    ) -> Result<(), Failure> {
        self.step(
            Method::POST,
            &format!("/store/carts/{cart_id}/line-items"),
            Some(json!({ "variant_id": variant, "quantity": 1 })),
        )
        .await?;
        self.step(
            Method::POST,
            &format!("/store/carts/{cart_id}"),
            Some(json!({
                "email": format!("bench-{worker}-{n}@example.com"),
                "shipping_address": {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "address_1": "Main Street 1",
                    "city": "Copenhagen",
                    "country_code": self.target.country_code,
                    "postal_code": "2200",
                },
            })),
        )
        .await?;
        Ok(())
    }

    /// Lists the shipping options and adds the first as the shipping method.
    async fn choose_shipping(&mut self, cart_id: &str) -> Result<(), Failure> {
        let options = format!("/store/shipping-options?cart_id={cart_id}");
        let option_id = self.step_id(Method::GET, &options, None, OPTION_ID).await?;
        self.step(
            Method::POST,
            &format!("/store/carts/{cart_id}/shipping-methods"),
            Some(json!({ "option_id": option_id })),
        )
        .await?;
        Ok(())
    }

    /// Creates the payment collection and a session with the system provider.
    async fn pay(&mut self, cart_id: &str) -> Result<(), Failure> {
        let collections = "/store/payment-collections";
        let body = json!({ "cart_id": cart_id });
        let collection_id = self
            .step_id(Method::POST, collections, Some(body), COLLECTION_ID)
            .await?;
        self.step(
            Method::POST,
            &format!("/store/payment-collections/{collection_id}/payment-sessions"),
            Some(json!({ "provider_id": "pp_system_default" })),
        )
        .await?;
        Ok(())
    }

    /// Completes the cart; anything but an order fails the checkout.
    async fn complete(&mut self, cart_id: &str) -> Result<(), Failure> {
        let completion = self
            .step(
                Method::POST,
                &format!("/store/carts/{cart_id}/complete"),
                None,
            )
            .await?;
        if completion["type"] != "order" {
            self.stats.steps[STEPS.len() - 1].errors += 1;
            let error = completion["error"]["message"]
                .as_str()
                .or(completion["error"].as_str())
                .unwrap_or("no order");
            return Err(Failure(format!(
                "complete: type {}: {error}",
                completion["type"]
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_budget_is_half_of_what_is_left_above_keep_and_round_robin() {
        let pool = StockPool::new(
            vec![
                ("a".into(), 9),
                ("b".into(), 7),
                ("c".into(), 5),
                ("d".into(), 0),
            ],
            5,
        );
        assert_eq!(pool.units, 3);
        let taken: Vec<&str> = std::iter::from_fn(|| pool.take()).collect();
        assert_eq!(taken, ["a", "b", "a"]);
        assert!(pool.take().is_none());
    }

    #[test]
    fn hottest_keeps_the_largest_budgets() {
        let mut pool = StockPool::new(
            vec![("a".into(), 9), ("b".into(), 105), ("c".into(), 25)],
            5,
        );
        pool.keep_hottest(2);
        assert_eq!((pool.variants(), pool.units), (2, 50 + 10));
        assert_eq!(pool.take(), Some("b"));
        assert_eq!(pool.take(), Some("c"));
    }
}
