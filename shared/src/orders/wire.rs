//! The order resource as the Store API answers it (Medusa's shape): typed, serialized to
//! JSON, then narrowed by `fields`. Prices, taxes and discounts are the ones frozen at
//! completion (stored in minor units), shown in major units of the order's currency.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{FulfillmentRow, LineVariantRow, OrderLineRow, OrderRow, OrderShippingRow};
use crate::cart::{self, PaymentCollectionRow, PaymentSessionRow};
use crate::money::{Money, TotalsIn};
use crate::totals::Totals;
use crate::wire::{ser_optional_timestamp, ser_timestamp};

/// Always `null` on the wire (a field Medusa has and this store does not fill).
type Null = Option<()>;

/// What an order is rendered from: its row and the rows that hang off it.
pub(super) struct OrderParts<'a> {
    pub order: &'a OrderRow,
    pub totals: &'a Totals,
    pub lines: &'a [OrderLineRow],
    pub variants: &'a [LineVariantRow],
    pub shipping: &'a [OrderShippingRow],
    pub payment: Option<(&'a PaymentCollectionRow, &'a [PaymentSessionRow])>,
    pub fulfillments: &'a [FulfillmentRow],
}

#[derive(Serialize)]
pub struct OrderBody<'a> {
    id: &'a str,
    display_id: i64,
    cart_id: &'a str,
    status: &'a str,
    email: &'a str,
    currency_code: &'a str,
    region_id: &'a str,
    sales_channel_id: &'a str,
    customer_id: Option<&'a str>,
    payment_status: &'a str,
    fulfillment_status: &'a str,
    shipping_address: &'a Option<Value>,
    billing_address: &'a Option<Value>,
    items: Vec<Item<'a>>,
    shipping_methods: Vec<ShippingMethod<'a>>,
    payment_collections: Vec<OrderPaymentCollection<'a>>,
    /// The cart's promotions as they were at completion ([`cart::Promotion`], stored).
    promotions: &'a Value,
    fulfillments: Vec<Fulfillment<'a>>,
    credit_lines: [Value; 0],
    metadata: &'a Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    canceled_at: Option<DateTime<Utc>>,
    summary: Summary<'a>,
    #[serde(flatten)]
    totals: TotalsIn<'a, Totals>,
}

impl<'a> OrderBody<'a> {
    pub(super) fn new(parts: OrderParts<'a>) -> Self {
        let order = parts.order;
        let currency = order.currency_code.as_str();
        let (paid, refunded) = parts.payment.map_or((0, 0), |(c, _)| {
            (
                c.captured_amount.unwrap_or(0),
                c.refunded_amount.unwrap_or(0),
            )
        });
        OrderBody {
            id: &order.id,
            display_id: order.display_id,
            cart_id: &order.cart_id,
            status: &order.status,
            email: &order.email,
            currency_code: currency,
            region_id: &order.region_id,
            sales_channel_id: &order.sales_channel_id,
            customer_id: order.customer_id.as_deref(),
            payment_status: &order.payment_status,
            fulfillment_status: &order.fulfillment_status,
            shipping_address: &order.shipping_address,
            billing_address: &order.billing_address,
            items: parts
                .lines
                .iter()
                .map(|l| Item::new(l, parts.variants, currency))
                .collect(),
            shipping_methods: parts
                .shipping
                .iter()
                .map(|m| ShippingMethod::new(m, currency))
                .collect(),
            payment_collections: parts
                .payment
                .map(|(c, sessions)| OrderPaymentCollection::new(c, sessions))
                .into_iter()
                .collect(),
            promotions: &order.promotions,
            fulfillments: parts.fulfillments.iter().map(Fulfillment::new).collect(),
            credit_lines: [],
            metadata: &order.metadata,
            created_at: order.created_at,
            updated_at: order.updated_at,
            canceled_at: order.canceled_at,
            summary: Summary::new(parts.totals, paid, refunded, currency),
            totals: TotalsIn::new(parts.totals, currency),
        }
    }
}

/// What the shopper owes and has paid.
#[derive(Serialize)]
struct Summary<'a> {
    current_order_total: Money<'a>,
    original_order_total: Money<'a>,
    paid_total: Money<'a>,
    refunded_total: Money<'a>,
    transaction_total: Money<'a>,
    pending_difference: Money<'a>,
    accounting_total: Money<'a>,
}

impl<'a> Summary<'a> {
    fn new(totals: &Totals, paid: i64, refunded: i64, currency: &'a str) -> Self {
        let money = |amount| Money::new(amount, currency);
        Summary {
            current_order_total: money(totals.total),
            original_order_total: money(totals.original_total),
            paid_total: money(paid),
            refunded_total: money(refunded),
            transaction_total: money(paid - refunded),
            pending_difference: money(totals.total - (paid - refunded)),
            accounting_total: money(totals.total),
        }
    }
}

/// The rate frozen on a line or a shipping method; none where it was 0.
#[derive(Serialize)]
struct TaxLine {
    id: String,
    code: &'static str,
    rate: f64,
}

impl TaxLine {
    fn of(id: &str, rate_bps: i32) -> Vec<Self> {
        if rate_bps == 0 {
            return Vec::new();
        }
        vec![TaxLine {
            id: format!("taxline_{id}"),
            code: "default",
            rate: f64::from(rate_bps) / 100.0,
        }]
    }
}

/// An order line with its stored totals, adjustments, fulfilment detail, and the
/// variant and product it was bought as (null once they are gone).
#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    title: &'a str,
    subtitle: &'a str,
    thumbnail: Option<&'a str>,
    variant_id: Option<&'a str>,
    product_id: Option<&'a str>,
    product_title: &'a str,
    product_handle: &'a str,
    variant_sku: Option<&'a str>,
    variant_title: &'a str,
    quantity: i32,
    unit_price: Money<'a>,
    is_tax_inclusive: bool,
    requires_shipping: bool,
    metadata: &'a Value,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    tax_lines: Vec<TaxLine>,
    adjustments: Vec<Adjustment<'a>>,
    detail: Detail,
    variant: Option<LineVariant<'a>>,
    product: Option<LineProduct<'a>>,
    /// `store::totals::LineTotals` as stored at completion.
    #[serde(flatten)]
    totals: TotalsIn<'a, Value>,
}

impl<'a> Item<'a> {
    fn new(l: &'a OrderLineRow, variants: &'a [LineVariantRow], currency: &'a str) -> Self {
        let variant = variants
            .iter()
            .find(|v| l.variant_id.as_deref() == Some(v.variant_id.as_str()));
        Item {
            id: &l.id,
            title: &l.title,
            subtitle: &l.variant_title,
            thumbnail: l.thumbnail.as_deref(),
            variant_id: l.variant_id.as_deref(),
            product_id: l.product_id.as_deref(),
            product_title: &l.product_title,
            product_handle: &l.product_handle,
            variant_sku: l.variant_sku.as_deref(),
            variant_title: &l.variant_title,
            quantity: l.quantity,
            unit_price: Money::new(l.unit_price, currency),
            is_tax_inclusive: l.is_tax_inclusive,
            requires_shipping: l.requires_shipping,
            metadata: &l.metadata,
            created_at: l.created_at,
            tax_lines: TaxLine::of(&l.id, l.tax_rate_bps),
            adjustments: l
                .adjustments
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|a| Adjustment::new(a, currency))
                .collect(),
            detail: Detail {
                quantity: l.quantity,
                fulfilled_quantity: l.fulfilled_quantity,
                shipped_quantity: l.shipped_quantity,
                delivered_quantity: l.delivered_quantity,
            },
            variant: variant.map(LineVariant::new),
            product: variant.map(LineProduct::new),
            totals: TotalsIn::new(&l.totals, currency),
        }
    }
}

/// A promotion's share of a line, as stored at completion.
#[derive(Serialize)]
struct Adjustment<'a> {
    promotion_id: &'a Value,
    code: &'a Value,
    amount: Money<'a>,
}

impl<'a> Adjustment<'a> {
    fn new(stored: &'a Value, currency: &'a str) -> Self {
        Adjustment {
            promotion_id: &stored["promotion_id"],
            code: &stored["code"],
            amount: Money::new(stored["amount"].as_i64().unwrap_or(0), currency),
        }
    }
}

#[derive(Serialize)]
struct Detail {
    quantity: i32,
    fulfilled_quantity: i32,
    shipped_quantity: i32,
    delivered_quantity: i32,
}

/// `items[].product`: the product a line was bought as, while it exists.
#[derive(Serialize)]
struct LineProduct<'a> {
    id: &'a str,
    title: &'a str,
    subtitle: Option<&'a str>,
    description: Option<&'a str>,
    handle: &'a str,
    thumbnail: Option<&'a str>,
    is_giftcard: bool,
    discountable: bool,
    collection_id: Option<&'a str>,
    type_id: Option<&'a str>,
    metadata: &'a Option<Value>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    deleted_at: Null,
}

impl<'a> LineProduct<'a> {
    fn new(v: &'a LineVariantRow) -> Self {
        LineProduct {
            id: &v.product_id,
            title: &v.product_title,
            subtitle: v.product_subtitle.as_deref(),
            description: v.product_description.as_deref(),
            handle: &v.product_handle,
            thumbnail: v.product_thumbnail.as_deref(),
            is_giftcard: v.product_is_giftcard,
            discountable: v.product_discountable,
            collection_id: v.product_collection_id.as_deref(),
            type_id: v.product_type_id.as_deref(),
            metadata: &v.product_metadata,
            created_at: v.product_created_at,
            updated_at: v.product_updated_at,
            deleted_at: None,
        }
    }
}

/// `items[].variant`: the variant a line was bought as, with its options and product.
#[derive(Serialize)]
struct LineVariant<'a> {
    id: &'a str,
    title: &'a str,
    sku: Option<&'a str>,
    barcode: Option<&'a str>,
    ean: Option<&'a str>,
    upc: Option<&'a str>,
    allow_backorder: bool,
    manage_inventory: bool,
    variant_rank: i32,
    thumbnail: Option<&'a str>,
    metadata: &'a Option<Value>,
    product_id: &'a str,
    /// `[{id, value, option_id, option: {id, title}}]`, built by the query.
    options: &'a Value,
    product: LineProduct<'a>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    deleted_at: Null,
}

impl<'a> LineVariant<'a> {
    fn new(v: &'a LineVariantRow) -> Self {
        LineVariant {
            id: &v.variant_id,
            title: &v.title,
            sku: v.sku.as_deref(),
            barcode: v.barcode.as_deref(),
            ean: v.ean.as_deref(),
            upc: v.upc.as_deref(),
            allow_backorder: v.allow_backorder,
            manage_inventory: v.manage_inventory,
            variant_rank: v.variant_rank,
            thumbnail: v.thumbnail.as_deref(),
            metadata: &v.metadata,
            product_id: &v.product_id,
            options: &v.options,
            product: LineProduct::new(v),
            created_at: v.created_at,
            updated_at: v.updated_at,
            deleted_at: None,
        }
    }
}

#[derive(Serialize)]
struct ShippingMethod<'a> {
    id: &'a str,
    name: &'a str,
    shipping_option_id: Option<&'a str>,
    amount: Money<'a>,
    is_tax_inclusive: bool,
    tax_lines: Vec<TaxLine>,
    adjustments: [Value; 0],
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    /// `store::totals::ShippingTotals` as stored at completion.
    #[serde(flatten)]
    totals: TotalsIn<'a, Value>,
}

impl<'a> ShippingMethod<'a> {
    fn new(m: &'a OrderShippingRow, currency: &'a str) -> Self {
        ShippingMethod {
            id: &m.id,
            name: &m.name,
            shipping_option_id: m.shipping_option_id.as_deref(),
            amount: Money::new(m.amount, currency),
            is_tax_inclusive: m.is_tax_inclusive,
            tax_lines: TaxLine::of(&m.id, m.tax_rate_bps),
            adjustments: [],
            created_at: m.created_at,
            totals: TotalsIn::new(&m.totals, currency),
        }
    }
}

/// The order's payment collection with its payment.
#[derive(Serialize)]
struct OrderPaymentCollection<'a> {
    #[serde(flatten)]
    collection: cart::PaymentCollection<'a>,
    payments: [Payment<'a>; 1],
}

impl<'a> OrderPaymentCollection<'a> {
    fn new(c: &'a PaymentCollectionRow, sessions: &'a [PaymentSessionRow]) -> Self {
        OrderPaymentCollection {
            collection: cart::PaymentCollection::new(c, sessions),
            payments: [Payment::new(c, sessions)],
        }
    }
}

/// `payment_collections[].payments[]`: here the authorized collection is the payment (so
/// its id is the collection's, which the admin's capture and refund routes take).
#[derive(Serialize)]
struct Payment<'a> {
    id: &'a str,
    payment_collection_id: &'a str,
    amount: Money<'a>,
    currency_code: &'a str,
    provider_id: Option<&'a str>,
    payment_session_id: Option<&'a str>,
    data: PaymentData<'a>,
    authorized_amount: Option<Money<'a>>,
    captured_amount: Option<Money<'a>>,
    refunded_amount: Option<Money<'a>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    captured_at: Option<DateTime<Utc>>,
    canceled_at: Null,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
}

/// The authorized session's provider data, or `{}` before there is one.
#[derive(Serialize)]
#[serde(untagged)]
enum PaymentData<'a> {
    Session(&'a Value),
    None(cart::Empty),
}

impl<'a> Payment<'a> {
    fn new(c: &'a PaymentCollectionRow, sessions: &'a [PaymentSessionRow]) -> Self {
        let currency = c.currency_code.as_str();
        let money = |amount: Option<i64>| amount.map(|a| Money::new(a, currency));
        let session = sessions.iter().rev().find(|s| s.authorized_at.is_some());
        Payment {
            id: &c.id,
            payment_collection_id: &c.id,
            amount: Money::new(c.authorized_amount.unwrap_or(c.amount), currency),
            currency_code: currency,
            provider_id: session.map(|s| s.provider_id.as_str()),
            payment_session_id: session.map(|s| s.id.as_str()),
            data: session.map_or(PaymentData::None(cart::Empty {}), |s| {
                PaymentData::Session(&s.data)
            }),
            authorized_amount: money(c.authorized_amount),
            captured_amount: money(c.captured_amount),
            refunded_amount: money(c.refunded_amount),
            captured_at: c.captured_amount.filter(|a| *a > 0).map(|_| c.updated_at),
            canceled_at: None,
            created_at: session.map_or(c.created_at, |s| s.created_at),
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize)]
struct Fulfillment<'a> {
    id: &'a str,
    location_id: Option<&'a str>,
    /// `[{line_item_id, quantity}]`, built by the query.
    items: &'a Value,
    labels: Vec<Label<'a>>,
    carrier: Option<&'a str>,
    tracking_number: Option<&'a str>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    packed_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    shipped_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    delivered_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    canceled_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct Label<'a> {
    tracking_number: &'a str,
    tracking_url: &'static str,
    label_url: &'static str,
}

impl<'a> Fulfillment<'a> {
    fn new(f: &'a FulfillmentRow) -> Self {
        Fulfillment {
            id: &f.id,
            location_id: f.location_id.as_deref(),
            items: &f.items,
            labels: f
                .tracking_number
                .iter()
                .map(|number| Label {
                    tracking_number: number,
                    tracking_url: "",
                    label_url: "",
                })
                .collect(),
            carrier: f.carrier.as_deref(),
            tracking_number: f.tracking_number.as_deref(),
            created_at: f.created_at,
            packed_at: f.created_at,
            shipped_at: f.shipped_at,
            delivered_at: f.delivered_at,
            canceled_at: f.canceled_at,
        }
    }
}
