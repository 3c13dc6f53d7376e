//! The guest checkout flow through the Store API, for tests that need carts and orders.

use serde_json::{json, Value};

use crate::{Reply, TestStore};

pub const ADDRESS: &str = r#"{"first_name":"Ada","last_name":"Lovelace","address_1":"Main Street 1","city":"Copenhagen","country_code":"dk","postal_code":"2200","phone":"+4512345678"}"#;

pub fn address() -> Value {
    serde_json::from_str(ADDRESS).unwrap()
}

pub fn ok(reply: &Reply) -> &Value {
    assert_eq!(reply.status, 200, "{}", reply.body);
    &reply.body
}

/// The message of a 400 `invalid_data` reply.
#[track_caller]
pub fn invalid(reply: &Reply) -> &str {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["type"], "invalid_data", "{}", reply.body);
    reply.body["message"].as_str().unwrap_or_default()
}

/// The id of the `resource` (`"cart"`, `"order"`...) a successful reply carries.
pub fn id_of(reply: &Reply, resource: &str) -> String {
    ok(reply)[resource]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {resource}.id in {}", reply.body))
        .to_string()
}

/// The string `key` of each item of `body[list]`, in order.
pub fn each(body: &Value, list: &str, key: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {body}"))
        .iter()
        .map(|item| item[key].as_str().unwrap().to_string())
        .collect()
}

/// Minor units from a wire amount (`12.99` → 1299).
pub fn cents(value: &Value) -> i64 {
    (value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
        * 100.0)
        .round() as i64
}

/// Variants with stock: (variant id, stocked quantity), by SKU.
pub async fn stocked_variants(store: &TestStore, n: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
           JOIN product_variant_inventory_items vi ON vi.variant_id = v.id
           JOIN inventory_levels l ON l.inventory_item_id = vi.inventory_item_id
          WHERE p.status = 'published' AND NOT v.allow_backorder AND l.stocked_quantity >= 20
          ORDER BY v.sku LIMIT $1",
    )
    .bind(n)
    .fetch_all(&store.pool)
    .await
    .unwrap()
}

pub async fn new_cart(store: &TestStore) -> String {
    let region = store.region_id("eur").await;
    id_of(
        &store
            .post("/store/carts", json!({ "region_id": region }))
            .await,
        "cart",
    )
}

/// A new cart holding `quantity` of `variant`, for the shopper `email` shipping to
/// `shipping_address`.
pub async fn filled_cart(
    store: &TestStore,
    variant: &str,
    quantity: i64,
    email: &str,
    shipping_address: Value,
) -> String {
    let cart = new_cart(store).await;
    ok(&store
        .post(
            &format!("/store/carts/{cart}/line-items"),
            json!({ "variant_id": variant, "quantity": quantity }),
        )
        .await);
    ok(&store
        .post(
            &format!("/store/carts/{cart}"),
            json!({ "email": email, "shipping_address": shipping_address }),
        )
        .await);
    cart
}

/// A cart with `quantity` of `variant`, email, address, the cheapest shipping and a
/// system payment session: ready to complete.
pub async fn ready_cart(store: &TestStore, variant: &str, quantity: i64) -> String {
    ready_cart_for(store, variant, quantity, "ada@example.com").await
}

/// [`ready_cart`] for the shopper `email`.
pub async fn ready_cart_for(
    store: &TestStore,
    variant: &str,
    quantity: i64,
    email: &str,
) -> String {
    let cart = filled_cart(store, variant, quantity, email, address()).await;
    let option = first_shipping_option(store, &cart).await;
    add_shipping_method(store, &cart, &option).await;
    let collection = payment_collection(store, &cart).await;
    system_payment_session(store, &collection).await;
    cart
}

/// The id of the first shipping option offered for `cart`.
pub async fn first_shipping_option(store: &TestStore, cart: &str) -> String {
    let options = store
        .get(&format!("/store/shipping-options?cart_id={cart}"))
        .await;
    ok(&options)["shipping_options"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sets `option` as the shipping method of `cart`.
pub async fn add_shipping_method(store: &TestStore, cart: &str, option: &str) {
    ok(&store
        .post(
            &format!("/store/carts/{cart}/shipping-methods"),
            json!({ "option_id": option }),
        )
        .await);
}

/// Creates (or finds) the payment collection of `cart`; returns its id.
pub async fn payment_collection(store: &TestStore, cart: &str) -> String {
    id_of(
        &store
            .post("/store/payment-collections", json!({ "cart_id": cart }))
            .await,
        "payment_collection",
    )
}

/// Opens a `pp_system_default` payment session on `collection`.
pub async fn system_payment_session(store: &TestStore, collection: &str) {
    ok(&store
        .post(
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            json!({ "provider_id": "pp_system_default" }),
        )
        .await);
}

/// Places an order for `quantity` of `variant` by `email`; returns the order.
pub async fn place_order(store: &TestStore, variant: &str, quantity: i64, email: &str) -> Value {
    let cart = ready_cart_for(store, variant, quantity, email).await;
    let reply = store
        .post(&format!("/store/carts/{cart}/complete"), json!({}))
        .await;
    let body = ok(&reply);
    assert_eq!(body["type"], "order", "{body}");
    body["order"].clone()
}
