//! The cart resource as the Store API answers it (Medusa's shape): typed, serialized to
//! JSON, then narrowed by `fields`. Amounts are stored in minor units and leave here in
//! major units of the cart's currency ([`Money`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{
    shipping_amount, Cart, LineRow, PaymentCollectionRow, PaymentSessionRow, PromotionRow,
    ShippingMethodRow, ShippingOptionRow,
};
use crate::catalog::regions::{self, Region};
use crate::money::{Money, TotalsIn};
use crate::totals::{self, Totals};
use crate::wire::{ser_optional_timestamp, ser_timestamp};

/// Always `null` on the wire (a field Medusa has and this store does not fill).
type Null = Option<()>;

/// An empty JSON object.
#[derive(Serialize)]
pub struct Empty {}

#[derive(Serialize)]
pub struct CartBody<'a> {
    id: &'a str,
    region_id: &'a str,
    currency_code: &'a str,
    email: Option<&'a str>,
    sales_channel_id: &'a str,
    customer_id: Option<&'a str>,
    locale: Null,
    #[serde(serialize_with = "ser_optional_timestamp")]
    completed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    metadata: &'a Option<Value>,
    shipping_address: &'a Option<Value>,
    billing_address: &'a Option<Value>,
    items: Vec<Item<'a>>,
    shipping_methods: Vec<ShippingMethod<'a>>,
    promotions: Vec<Promotion<'a>>,
    credit_lines: [Value; 0],
    region: regions::RegionBody<'a>,
    payment_collection: Option<PaymentCollection<'a>>,
    #[serde(flatten)]
    totals: TotalsIn<'a, Totals>,
}

impl<'a> CartBody<'a> {
    pub fn new(cart: &'a Cart) -> Self {
        let row = &cart.row;
        let currency = row.currency_code.as_str();
        CartBody {
            id: &row.id,
            region_id: &row.region_id,
            currency_code: currency,
            email: row.email.as_deref(),
            sales_channel_id: &row.sales_channel_id,
            customer_id: row.customer_id.as_deref(),
            locale: None,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            metadata: &row.metadata,
            shipping_address: &row.shipping_address,
            billing_address: &row.billing_address,
            items: cart
                .lines
                .iter()
                .zip(&cart.computed.lines)
                .map(|(line, totals)| Item::new(cart, line, totals))
                .collect(),
            shipping_methods: cart
                .shipping
                .iter()
                .zip(&cart.computed.shipping)
                .map(|((method, option), totals)| ShippingMethod::new(cart, method, option, totals))
                .collect(),
            promotions: cart.promotions.iter().map(Promotion::new).collect(),
            credit_lines: [],
            region: regions::RegionBody::new(&cart.region, &cart.countries),
            payment_collection: cart
                .payment
                .as_ref()
                .map(|(collection, sessions)| PaymentCollection::new(collection, sessions)),
            totals: TotalsIn::new(&cart.computed.totals, currency),
        }
    }
}

/// A line item with its totals, tax lines and adjustments.
#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    cart_id: &'a str,
    title: &'a str,
    subtitle: &'a str,
    thumbnail: Option<&'a str>,
    quantity: i32,
    unit_price: Money<'a>,
    compare_at_unit_price: Null,
    is_tax_inclusive: bool,
    requires_shipping: bool,
    is_discountable: bool,
    is_giftcard: bool,
    metadata: &'a Value,
    product_id: &'a str,
    variant_id: &'a str,
    product_title: &'a str,
    product_handle: &'a str,
    product_subtitle: Option<&'a str>,
    product_description: Option<&'a str>,
    product_type: Null,
    product_type_id: Null,
    product_collection: Null,
    variant_sku: Option<&'a str>,
    variant_title: &'a str,
    variant_barcode: Null,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    tax_lines: Vec<TaxLine<'a>>,
    adjustments: Vec<Adjustment<'a>>,
    product: LineProduct<'a>,
    variant: LineVariant<'a>,
    #[serde(flatten)]
    totals: TotalsIn<'a, totals::LineTotals>,
}

impl<'a> Item<'a> {
    fn new(cart: &'a Cart, l: &'a LineRow, totals: &'a totals::LineTotals) -> Self {
        let currency = cart.row.currency_code.as_str();
        let product = LineVariantProduct {
            id: &l.product_id,
            title: &l.product_title,
            handle: &l.product_handle,
            thumbnail: l.thumbnail.as_deref(),
        };
        Item {
            id: &l.id,
            cart_id: &l.cart_id,
            title: &l.title,
            subtitle: &l.variant_title,
            thumbnail: l.thumbnail.as_deref(),
            quantity: l.quantity,
            unit_price: Money::new(l.unit_price, currency),
            compare_at_unit_price: None,
            is_tax_inclusive: l.is_tax_inclusive,
            requires_shipping: l.requires_shipping,
            is_discountable: l.discountable,
            is_giftcard: false,
            metadata: &l.metadata,
            product_id: &l.product_id,
            variant_id: &l.variant_id,
            product_title: &l.product_title,
            product_handle: &l.product_handle,
            product_subtitle: l.product_subtitle.as_deref(),
            product_description: l.product_description.as_deref(),
            product_type: None,
            product_type_id: None,
            product_collection: None,
            variant_sku: l.variant_sku.as_deref(),
            variant_title: &l.variant_title,
            variant_barcode: None,
            created_at: l.created_at,
            updated_at: l.updated_at,
            tax_lines: TaxLine::of(&l.id, &cart.region),
            adjustments: cart
                .computed
                .adjustments
                .iter()
                .filter(|a| a.line_id == l.id)
                .map(|a| Adjustment {
                    id: format!("caliadj_{}_{}", l.id, a.promotion_id),
                    item_id: &l.id,
                    promotion_id: &a.promotion_id,
                    code: &a.code,
                    amount: Money::new(a.amount, currency),
                })
                .collect(),
            product: LineProduct {
                product,
                subtitle: l.product_subtitle.as_deref(),
            },
            variant: LineVariant {
                id: &l.variant_id,
                title: &l.variant_title,
                sku: l.variant_sku.as_deref(),
                product_id: &l.product_id,
                product,
            },
            totals: TotalsIn::new(totals, currency),
        }
    }
}

#[derive(Serialize, Clone, Copy)]
struct LineVariantProduct<'a> {
    id: &'a str,
    title: &'a str,
    handle: &'a str,
    thumbnail: Option<&'a str>,
}

#[derive(Serialize)]
struct LineProduct<'a> {
    #[serde(flatten)]
    product: LineVariantProduct<'a>,
    subtitle: Option<&'a str>,
}

#[derive(Serialize)]
struct LineVariant<'a> {
    id: &'a str,
    title: &'a str,
    sku: Option<&'a str>,
    product_id: &'a str,
    product: LineVariantProduct<'a>,
}

#[derive(Serialize)]
struct Adjustment<'a> {
    id: String,
    item_id: &'a str,
    promotion_id: &'a str,
    code: &'a str,
    amount: Money<'a>,
}

/// The region's tax rate on a line or a shipping method; none where the rate is 0.
#[derive(Serialize)]
struct TaxLine<'a> {
    id: String,
    code: &'static str,
    description: &'a str,
    rate: f64,
    provider_id: &'static str,
}

impl<'a> TaxLine<'a> {
    fn of(id: &str, region: &'a Region) -> Vec<Self> {
        if region.tax_rate_bps == 0 {
            return Vec::new();
        }
        vec![TaxLine {
            id: format!("taxline_{id}"),
            code: "default",
            description: &region.name,
            rate: f64::from(region.tax_rate_bps) / 100.0,
            provider_id: "system",
        }]
    }
}

#[derive(Serialize)]
struct ShippingMethod<'a> {
    id: &'a str,
    cart_id: &'a str,
    name: &'a str,
    shipping_option_id: &'a str,
    data: &'a Value,
    amount: Money<'a>,
    is_tax_inclusive: bool,
    tax_lines: Vec<TaxLine<'a>>,
    adjustments: [Value; 0],
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(flatten)]
    totals: TotalsIn<'a, totals::ShippingTotals>,
}

impl<'a> ShippingMethod<'a> {
    fn new(
        cart: &'a Cart,
        method: &'a ShippingMethodRow,
        option: &ShippingOptionRow,
        totals: &'a totals::ShippingTotals,
    ) -> Self {
        let currency = cart.row.currency_code.as_str();
        ShippingMethod {
            id: &method.id,
            cart_id: &cart.row.id,
            name: &method.name,
            shipping_option_id: &method.shipping_option_id,
            data: &method.data,
            amount: Money::new(shipping_amount(option, cart.item_basis_total()), currency),
            is_tax_inclusive: cart.region.is_tax_inclusive,
            tax_lines: TaxLine::of(&method.id, &cart.region),
            adjustments: [],
            created_at: method.created_at,
            totals: TotalsIn::new(totals, currency),
        }
    }
}

/// A promotion on a cart (and, stored, on its order) with Medusa's `application_method`.
#[derive(Serialize)]
pub struct Promotion<'a> {
    id: &'a str,
    code: &'a str,
    is_automatic: bool,
    application_method: ApplicationMethod<'a>,
}

#[derive(Serialize)]
struct ApplicationMethod<'a> {
    #[serde(rename = "type")]
    method: &'a str,
    value: Value,
    currency_code: Option<&'a str>,
    target_type: &'a str,
    allocation: &'static str,
}

impl<'a> Promotion<'a> {
    pub fn new(p: &'a PromotionRow) -> Self {
        // A percentage is stored in basis points and shown in percent.
        let value = if p.method == "percentage" {
            Value::from(p.value as f64 / 100.0)
        } else {
            crate::money::to_major(p.value, p.currency_code.as_deref().unwrap_or("eur"))
        };
        Promotion {
            id: &p.id,
            code: &p.code,
            is_automatic: p.is_automatic,
            application_method: ApplicationMethod {
                method: &p.method,
                value,
                currency_code: p.currency_code.as_deref(),
                target_type: &p.target,
                allocation: if p.per_unit { "each" } else { "across" },
            },
        }
    }
}

#[derive(Serialize)]
pub struct PaymentCollection<'a> {
    id: &'a str,
    currency_code: &'a str,
    amount: Money<'a>,
    status: &'a str,
    authorized_amount: Option<Money<'a>>,
    captured_amount: Option<Money<'a>>,
    refunded_amount: Option<Money<'a>>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    completed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    metadata: Null,
    payment_sessions: Vec<PaymentSession<'a>>,
}

impl<'a> PaymentCollection<'a> {
    pub fn new(c: &'a PaymentCollectionRow, sessions: &'a [PaymentSessionRow]) -> Self {
        let currency = c.currency_code.as_str();
        let money = |amount: Option<i64>| amount.map(|a| Money::new(a, currency));
        PaymentCollection {
            id: &c.id,
            currency_code: currency,
            amount: Money::new(c.amount, currency),
            status: &c.status,
            authorized_amount: money(c.authorized_amount),
            captured_amount: money(c.captured_amount),
            refunded_amount: money(c.refunded_amount),
            completed_at: c.completed_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            metadata: None,
            payment_sessions: sessions.iter().map(PaymentSession::new).collect(),
        }
    }
}

#[derive(Serialize)]
struct PaymentSession<'a> {
    id: &'a str,
    payment_collection_id: &'a str,
    provider_id: &'a str,
    currency_code: &'a str,
    amount: Money<'a>,
    data: &'a Value,
    status: &'a str,
    #[serde(serialize_with = "ser_optional_timestamp")]
    authorized_at: Option<DateTime<Utc>>,
    context: Empty,
    metadata: Empty,
    payment: Null,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
}

impl<'a> PaymentSession<'a> {
    fn new(s: &'a PaymentSessionRow) -> Self {
        PaymentSession {
            id: &s.id,
            payment_collection_id: &s.payment_collection_id,
            provider_id: &s.provider_id,
            currency_code: &s.currency_code,
            amount: Money::new(s.amount, &s.currency_code),
            data: &s.data,
            status: &s.status,
            authorized_at: s.authorized_at,
            context: Empty {},
            metadata: Empty {},
            payment: None,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A shipping option priced for a cart.
#[derive(Serialize)]
pub(super) struct ShippingOption<'a> {
    id: &'a str,
    name: &'a str,
    price_type: &'a str,
    provider_id: &'static str,
    data: Null,
    service_zone_id: Null,
    shipping_profile_id: Null,
    #[serde(rename = "type")]
    option_type: OptionType<'a>,
    provider: Provider,
    amount: Money<'a>,
    is_tax_inclusive: bool,
    insufficient_inventory: bool,
    calculated_price: CalculatedPrice<'a>,
    prices: Vec<ShippingPrice<'a>>,
}

#[derive(Serialize)]
struct OptionType<'a> {
    id: String,
    label: &'a str,
    code: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct Provider {
    id: &'static str,
    is_enabled: bool,
}

#[derive(Serialize)]
struct CalculatedPrice<'a> {
    id: &'a str,
    calculated_amount: Money<'a>,
    original_amount: Money<'a>,
    currency_code: &'a str,
    is_calculated_price_tax_inclusive: bool,
    is_calculated_price_price_list: bool,
}

/// `shipping_options[].prices` as Medusa models them: the flat price, and for free
/// shipping from a threshold a price of 0 with an `item_total >= threshold` rule (which
/// storefronts read to show "add X more for free shipping").
#[derive(Serialize)]
struct ShippingPrice<'a> {
    id: String,
    title: Null,
    currency_code: &'a str,
    amount: Money<'a>,
    min_quantity: Null,
    max_quantity: Null,
    price_list_id: Null,
    price_list: Null,
    rules_count: usize,
    price_rules: Vec<PriceRule>,
}

#[derive(Serialize)]
struct PriceRule {
    attribute: &'static str,
    operator: &'static str,
    value: String,
}

impl<'a> ShippingOption<'a> {
    /// The option priced at `amount` for a cart in `currency`, whose region's prices do
    /// or do not include tax.
    pub(super) fn new(
        o: &'a ShippingOptionRow,
        amount: i64,
        currency: &'a str,
        tax_inclusive: bool,
    ) -> Self {
        let price = |suffix: &str, amount: i64, price_rules: Vec<PriceRule>| ShippingPrice {
            id: format!("price_{}_{suffix}", o.id.trim_start_matches("so_")),
            title: None,
            currency_code: currency,
            amount: Money::new(amount, currency),
            min_quantity: None,
            max_quantity: None,
            price_list_id: None,
            price_list: None,
            rules_count: price_rules.len(),
            price_rules,
        };
        let mut prices = vec![price("flat", o.amount, Vec::new())];
        if let Some(threshold) = o.free_over_amount {
            let rule = PriceRule {
                attribute: "item_total",
                operator: "gte",
                value: crate::money::to_major(threshold, currency).to_string(),
            };
            prices.push(price("free", 0, vec![rule]));
        }
        ShippingOption {
            id: &o.id,
            name: &o.name,
            price_type: &o.price_type,
            provider_id: "manual_manual",
            data: None,
            service_zone_id: None,
            shipping_profile_id: None,
            option_type: OptionType {
                id: format!("sotype_{}", o.type_code),
                label: &o.type_label,
                code: &o.type_code,
                description: &o.type_label,
            },
            provider: Provider {
                id: "manual_manual",
                is_enabled: true,
            },
            amount: Money::new(amount, currency),
            is_tax_inclusive: tax_inclusive,
            insufficient_inventory: false,
            calculated_price: CalculatedPrice {
                id: &o.id,
                calculated_amount: Money::new(amount, currency),
                original_amount: Money::new(o.amount, currency),
                currency_code: currency,
                is_calculated_price_tax_inclusive: tax_inclusive,
                is_calculated_price_price_list: false,
            },
            prices,
        }
    }
}
