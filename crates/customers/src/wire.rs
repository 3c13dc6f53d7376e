//! Customers and addresses as the Store API answers them (Medusa's shape).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use store::wire::{ser_optional_timestamp, ser_timestamp};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub company_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<Value>,
    pub has_account: bool,
    #[serde(serialize_with = "ser_optional_timestamp")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AddressRow {
    pub id: String,
    pub customer_id: String,
    pub address_name: Option<String>,
    pub company: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<Value>,
    pub is_default_shipping: bool,
    pub is_default_billing: bool,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A customer with its addresses and, when asked for (`fields=*orders`), its orders.
#[derive(Serialize)]
pub struct CustomerBody<'a> {
    #[serde(flatten)]
    pub row: &'a CustomerRow,
    pub addresses: Vec<AddressBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<Value>>,
}

#[derive(Serialize)]
pub struct AddressBody<'a> {
    #[serde(flatten)]
    pub row: &'a AddressRow,
    pub deleted_at: Option<()>,
}

impl<'a> AddressBody<'a> {
    pub fn new(row: &'a AddressRow) -> Self {
        AddressBody {
            row,
            deleted_at: None,
        }
    }
}
