//! The product resource as the Store and Admin APIs answer it (Medusa's shape): typed,
//! serialized to JSON, then narrowed by `fields`. Rows serialize their own columns
//! (`#[serde(flatten)]`); what Medusa adds around them is here.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{ImageRow, NamedRow, OptionRow, OptionValueRow, ProductRow, VariantRow};
use crate::wire::ser_timestamp;

#[derive(serde::Serialize)]
pub(super) struct Product<'a> {
    #[serde(flatten)]
    pub row: &'a ProductRow,
    pub variants: Vec<Variant<'a>>,
    pub options: Vec<ProductOption<'a>>,
    pub images: Vec<Image<'a>>,
    pub tags: Vec<Named<'a>>,
    pub categories: Vec<Category<'a>>,
    pub collection: Option<Named<'a>>,
    #[serde(rename = "type")]
    pub product_type: Option<Named<'a>>,
}

#[derive(serde::Serialize)]
pub(super) struct Variant<'a> {
    #[serde(flatten)]
    pub row: &'a VariantRow,
    pub options: Vec<VariantOptionValue<'a>>,
    /// Variant images are not stored; Medusa's list is empty for them too.
    pub images: [Value; 0],
    /// With a pricing context (`region_id`, `currency_code` or `cart_id`); null without a
    /// price in its currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calculated_price: Option<Value>,
    /// `variants.prices`: every base price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<Value>>,
    /// `+variants.inventory_quantity`: null when stock is not managed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_quantity: Option<Option<i64>>,
}

/// A product option; with its values in a product, without them inside a variant's
/// option value.
#[derive(serde::Serialize)]
pub(super) struct ProductOption<'a> {
    #[serde(flatten)]
    pub row: &'a OptionRow,
    pub is_exclusive: bool,
    pub deleted_at: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<OptionValue<'a>>>,
}

#[derive(serde::Serialize)]
pub(super) struct OptionValue<'a> {
    #[serde(flatten)]
    pub row: &'a OptionValueRow,
    pub deleted_at: Option<()>,
}

#[derive(serde::Serialize)]
pub(super) struct VariantOptionValue<'a> {
    #[serde(flatten)]
    pub value: OptionValue<'a>,
    pub option: Option<ProductOption<'a>>,
}

#[derive(serde::Serialize)]
pub(super) struct Image<'a> {
    #[serde(flatten)]
    pub row: &'a ImageRow,
    pub deleted_at: Option<()>,
}

#[derive(serde::Serialize)]
pub(super) struct Category<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub handle: &'a Option<String>,
    pub metadata: &'a Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A tag or type (`label` is `value`) or a collection (`title`, with its handle).
pub(super) struct Named<'a> {
    pub row: &'a NamedRow,
    pub label: &'static str,
}

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = self.row;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &row.id)?;
        map.serialize_entry(self.label, &row.value)?;
        if let Some(handle) = &row.handle {
            map.serialize_entry("handle", handle)?;
        }
        map.serialize_entry("metadata", &row.metadata)?;
        map.serialize_entry("created_at", &crate::wire::timestamp(&row.created_at))?;
        map.serialize_entry("updated_at", &crate::wire::timestamp(&row.updated_at))?;
        map.serialize_entry("deleted_at", &Value::Null)?;
        map.end()
    }
}
