//! The Admin API's resources as the JSON Medusa's admin answers them: sales channels,
//! API keys (publishable and secret), promotions, users, inventory items with their
//! levels and audit entries. The products, regions and orders an admin sees are the
//! catalog's, regions' and orders' own types.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use store::wire::{ser_optional_timestamp, ser_timestamp};

/// A sales channel (`sales_channel`, and the entries of `sales_channels`).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SalesChannel {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_disabled: bool,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A sales channel as a publishable key lists it.
#[derive(Debug, Serialize)]
pub struct ChannelRef {
    pub id: String,
    pub name: String,
}

/// An API key: publishable (public, opens sales channels to storefronts) or secret (an
/// admin credential, its token shown once, when it is created).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ApiKey {
    Publishable(PublishableKey),
    Secret(SecretKey),
}

#[derive(Debug, Serialize)]
pub struct PublishableKey {
    pub id: String,
    pub title: String,
    /// Always `publishable`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Publishable keys are public; Medusa shows them in full.
    pub token: String,
    pub redacted: String,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    pub sales_channels: Vec<ChannelRef>,
}

#[derive(Debug, Serialize)]
pub struct SecretKey {
    pub id: String,
    pub title: String,
    /// Always `secret`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub redacted: String,
    /// The key itself when it was just created, else empty.
    pub token: String,
    pub created_by: String,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The logged-in admin (`GET /admin/users/me`).
#[derive(Debug, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar_url: Option<String>,
    pub metadata: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A payment collection as the admin captures and refunds it (`{payment}`).
#[derive(Debug, Serialize)]
pub struct Payment {
    pub id: String,
    pub order_id: Option<String>,
    pub currency_code: String,
    pub amount: Value,
    pub status: String,
    pub authorized_amount: Value,
    pub captured_amount: Value,
    pub refunded_amount: Value,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub captured_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub canceled_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    pub refunds: Vec<Refund>,
}

/// Money given back on an order.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub id: String,
    pub amount: Value,
    pub note: Option<String>,
    pub created_by: String,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
}

/// A variant's base price as the admin sees it (beside the store's `calculated_price`).
#[derive(Debug, Serialize)]
pub struct VariantPrice {
    pub id: String,
    pub currency_code: String,
    pub amount: Value,
}

/// The inventory item a variant draws its stock from.
#[derive(Debug, Serialize)]
pub struct VariantInventoryItem {
    pub inventory_item_id: String,
    pub required_quantity: i32,
}

/// A shipping option as the admin manages it: a flat price in the region's currency.
#[derive(Debug, Serialize)]
pub struct AdminShippingOption {
    pub id: String,
    pub name: String,
    pub region_id: String,
    /// Always `flat`.
    pub price_type: &'static str,
    pub amount: Value,
    pub currency_code: String,
    pub free_over_amount: Option<Value>,
    pub is_active: bool,
    #[serde(rename = "type")]
    pub option_type: OptionTypeBody,
    pub prices: Vec<OptionPriceBody>,
}

#[derive(Debug, Serialize)]
pub struct OptionTypeBody {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct OptionPriceBody {
    pub currency_code: String,
    pub amount: Value,
}

/// What the audit log keeps of a region's own fields.
#[derive(Debug, Serialize)]
pub struct RegionSnapshot {
    pub name: String,
    pub currency_code: String,
    pub tax_rate_bps: i32,
    pub is_tax_inclusive: bool,
}

/// A promotion code and how it discounts.
#[derive(Debug, Serialize)]
pub struct Promotion {
    pub id: String,
    pub code: String,
    /// Always `standard`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub is_automatic: bool,
    /// `active` or `inactive`.
    pub status: &'static str,
    pub application_method: ApplicationMethod,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
    pub usage_count: i64,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct ApplicationMethod {
    /// `percentage` or `fixed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Percent, or an amount in the currency's major unit.
    pub value: Value,
    pub currency_code: Option<String>,
    /// `order` or `items`.
    pub target_type: String,
    /// `each` or `across`.
    pub allocation: &'static str,
}

/// An inventory item with its stock at every location.
#[derive(Debug, Serialize)]
pub struct InventoryItem {
    pub id: String,
    pub sku: Option<String>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    pub stocked_quantity: i64,
    pub reserved_quantity: i64,
    pub location_levels: Vec<InventoryLevel>,
}

#[derive(Debug, Serialize)]
pub struct InventoryLevel {
    pub id: String,
    pub inventory_item_id: String,
    pub location_id: String,
    pub stocked_quantity: i32,
    pub reserved_quantity: i32,
    pub available_quantity: i32,
    pub incoming_quantity: i32,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
}

/// `GET /admin/audit-log`: newest first.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub audit_log: Vec<AuditEntry>,
    pub count: i64,
    pub offset: i64,
    pub limit: i64,
}

/// A resource as JSON, for the audit log's before and after and the list helpers.
pub fn to_value(resource: &impl Serialize) -> store::error::ApiResult<Value> {
    use store::error::Context;
    serde_json::to_value(resource).context("serializing an admin resource")
}
