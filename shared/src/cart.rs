//! Carts: lines, addresses, promotions and shipping, priced on the server. Every change
//! is one transaction that locks the cart row, so concurrent edits and a concurrent
//! completion never interleave.

mod wire;
pub use wire::{CartBody, Empty, PaymentCollection, Promotion};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::catalog::regions::{self, Region};
use crate::error::{ApiError, ApiResult, Context};
use crate::id::{is_well_formed, new_id};
use crate::inventory;

use crate::totals::{
    self, Computed, DiscountMethod, DiscountTarget, LineInput, PromotionInput, PromotionRules,
    ShippingInput,
};

/// The largest quantity one line may hold.
pub const MAX_QUANTITY: i64 = 10_000;
/// The most lines a cart may hold.
pub const MAX_LINES: usize = 100;

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct CartRow {
    pub id: String,
    pub region_id: String,
    pub currency_code: String,
    pub sales_channel_id: String,
    pub email: Option<String>,
    pub customer_id: Option<String>,
    pub shipping_address: Option<Value>,
    pub billing_address: Option<Value>,
    pub metadata: Option<Value>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct LineRow {
    pub id: String,
    pub cart_id: String,
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    pub thumbnail: Option<String>,
    pub quantity: i32,
    pub unit_price: i64,
    pub is_tax_inclusive: bool,
    pub requires_shipping: bool,
    pub discountable: bool,
    pub product_title: String,
    pub product_handle: String,
    pub product_subtitle: Option<String>,
    pub product_description: Option<String>,
    pub variant_sku: Option<String>,
    pub variant_title: String,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct ShippingOptionRow {
    pub id: String,
    pub name: String,
    pub region_id: String,
    pub price_type: String,
    pub amount: i64,
    pub free_over_amount: Option<i64>,
    pub type_code: String,
    pub type_label: String,
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct ShippingMethodRow {
    pub id: String,
    pub shipping_option_id: String,
    pub name: String,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct PromotionRow {
    pub id: String,
    pub code: String,
    pub is_automatic: bool,
    pub is_active: bool,
    pub method: String,
    pub value: i64,
    pub currency_code: Option<String>,
    pub target: String,
    pub target_product_ids: Vec<String>,
    pub per_unit: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
    pub usage_count: i64,
    pub min_item_subtotal: Option<i64>,
}

impl PromotionRow {
    fn rules(&self) -> PromotionRules {
        PromotionRules {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            usage_limit: self.usage_limit,
            usage_count: self.usage_count,
            min_item_subtotal: self.min_item_subtotal,
            currency_code: self.currency_code.clone(),
            is_active: self.is_active,
        }
    }

    fn input(&self) -> PromotionInput {
        let method = if self.method == "percentage" {
            DiscountMethod::Percentage {
                bps: self.value as i32,
            }
        } else {
            DiscountMethod::Fixed { amount: self.value }
        };
        let target = if self.target == "items" {
            DiscountTarget::Items {
                product_ids: self.target_product_ids.clone(),
                variant_ids: Vec::new(),
                per_unit: self.per_unit,
            }
        } else {
            DiscountTarget::Order
        };
        PromotionInput {
            id: self.id.clone(),
            code: self.code.clone(),
            method,
            target,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct PaymentCollectionRow {
    pub id: String,
    pub cart_id: String,
    pub order_id: Option<String>,
    pub currency_code: String,
    pub amount: i64,
    pub status: String,
    pub authorized_amount: Option<i64>,
    pub captured_amount: Option<i64>,
    pub refunded_amount: Option<i64>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version of the row (PostgreSQL's `xmin`, which every write to it moves), where
    /// it was read with a cart's parts or written.
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct PaymentSessionRow {
    pub id: String,
    pub payment_collection_id: String,
    pub provider_id: String,
    pub currency_code: String,
    pub amount: i64,
    pub data: Value,
    pub status: String,
    pub authorized_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A cart with everything needed to price and show it.
#[derive(Debug, Clone)]
pub struct Cart {
    pub row: CartRow,
    /// The version of the row (PostgreSQL's `xmin`, which every write to it moves) as
    /// read with the parts; `None` when the caller had the row already.
    pub version: Option<String>,
    pub region: Region,
    /// The countries the region serves: a storefront's address form lists them.
    pub countries: Vec<regions::Country>,
    pub lines: Vec<LineRow>,
    pub shipping: Option<(ShippingMethodRow, ShippingOptionRow)>,
    /// Promotions that apply now: codes on the cart and automatic ones, rules passed.
    pub promotions: Vec<PromotionRow>,
    pub payment: Option<(PaymentCollectionRow, Vec<PaymentSessionRow>)>,
    pub computed: Computed,
}

impl Cart {
    pub fn is_completed(&self) -> bool {
        self.row.completed_at.is_some()
    }

    pub fn total(&self) -> i64 {
        self.computed.totals.total
    }

    /// The sum of line price bases before discounts, which promotion minimums and free
    /// shipping thresholds are measured against.
    pub fn item_basis_total(&self) -> i64 {
        item_basis_total(&self.lines)
    }
}

fn item_basis_total(lines: &[LineRow]) -> i64 {
    lines
        .iter()
        .map(|l| l.unit_price * i64::from(l.quantity))
        .sum()
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Cart with id '{id}' not found"))
}

fn check_id(id: &str) -> ApiResult<()> {
    if is_well_formed(id, "cart") {
        Ok(())
    } else {
        Err(ApiError::invalid_data(format!(
            "Invalid cart id {id:?}: expected an id starting with cart_"
        )))
    }
}

/// The region of a cart and the country of its shipping address (if it has one), for
/// pricing products by `cart_id` as Medusa does.
pub async fn pricing_of(pool: &PgPool, id: &str) -> ApiResult<(String, Option<String>)> {
    check_id(id)?;
    let row = sqlx::query!(
        r#"SELECT region_id, nullif(shipping_address->>'country_code', '') AS "country?"
             FROM carts WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| not_found(id))?;
    Ok((row.region_id, row.country))
}

/// Loads and prices a cart. With `lock`, the cart row stays locked until the caller's
/// transaction ends.
pub async fn load(conn: &mut PgConnection, id: &str, lock: bool) -> ApiResult<Cart> {
    check_id(id)?;
    if lock {
        let row = lock_row(&mut *conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        return priced(conn, row).await;
    }
    // Unlocked, the row comes with the parts: one statement.
    let (row, parts) = parts_of(conn, id, RowFrom::Read).await?;
    Ok(assemble(row.ok_or_else(|| not_found(id))?, parts?))
}

/// The cart a payment collection pays for, loaded (and with `lock`, locked) as [`load`]
/// does; `None` when there is no such collection.
pub async fn load_for_collection(
    conn: &mut PgConnection,
    collection_id: &str,
    lock: bool,
) -> ApiResult<Option<Cart>> {
    if !lock {
        let cart_id = sqlx::query_scalar!(
            "SELECT cart_id FROM payment_collections WHERE id = $1",
            collection_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        return match cart_id {
            Some(id) => Ok(Some(load(conn, &id, false).await?)),
            None => Ok(None),
        };
    }
    let row = sqlx::query_as!(
        CartRow,
        "SELECT c.id, c.region_id, c.currency_code, c.sales_channel_id, c.email, c.customer_id,
                c.shipping_address, c.billing_address, c.metadata, c.completed_at, c.created_at,
                c.updated_at
           FROM carts c JOIN payment_collections pc ON pc.cart_id = c.id
          WHERE pc.id = $1 FOR UPDATE OF c",
        collection_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(priced(conn, row).await?)),
        None => Ok(None),
    }
}

/// Prices a cart from its row: everything else of it is read in one statement.
async fn priced(conn: &mut PgConnection, row: CartRow) -> ApiResult<Cart> {
    let (_, parts) = parts_of(&mut *conn, &row.id, RowFrom::Locked(&row)).await?;
    Ok(assemble(row, parts?))
}

/// Writes a change to the locked cart's row (and `updated_at`, which every change moves)
/// and prices the cart as it now is.
async fn written(conn: &mut PgConnection, id: &str, writes: &RowWrites) -> ApiResult<Cart> {
    let row = write_row(&mut *conn, id, writes, false)
        .await?
        .ok_or_else(|| not_found(id))?;
    priced(conn, row).await
}

/// Writes `writes` (and `updated_at`) to the cart's row and answers the row as written.
///
/// `guarded` is for a caller that holds no lock: the row is written only if the cart is
/// open, unchanged since the statement's snapshot (so the region's countries it checks
/// are the ones of the cart's region as written), its region exists and serves the
/// addresses' countries; otherwise the statement answers no row. A change or completion
/// in flight is waited for, and the conditions are checked again on the row it left.
async fn write_row(
    conn: &mut PgConnection,
    id: &str,
    writes: &RowWrites,
    guarded: bool,
) -> ApiResult<Option<CartRow>> {
    Ok(sqlx::query_as!(
        CartRow,
        "UPDATE carts SET sales_channel_id = coalesce($2, sales_channel_id),
                email = coalesce($3, email), customer_id = coalesce($4, customer_id),
                shipping_address = coalesce($5, shipping_address),
                billing_address = coalesce($6, billing_address),
                metadata = coalesce($7, metadata), updated_at = now()
          WHERE id = $1
            AND (NOT $8 OR (completed_at IS NULL
                 AND xmin = (SELECT v.xmin FROM carts v WHERE v.id = $1)
                 AND EXISTS (SELECT 1 FROM regions WHERE id = carts.region_id AND deleted_at IS NULL)
                 AND $9::text[] <@ ARRAY(SELECT iso_2 FROM region_countries WHERE region_id = carts.region_id)))
         RETURNING id, region_id, currency_code, sales_channel_id, email, customer_id, shipping_address,
                   billing_address, metadata, completed_at, created_at, updated_at",
        id,
        writes.sales_channel_id.as_deref(),
        writes.email.as_deref(),
        writes.customer_id.as_deref(),
        writes.shipping_address.as_ref(),
        writes.billing_address.as_ref(),
        writes.metadata.as_ref(),
        guarded,
        &writes.country_codes(),
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// The cart from its row and parts: promotions whose rules hold, and the totals.
fn assemble(row: CartRow, parts: Parts) -> Cart {
    let Parts {
        version,
        region,
        countries,
        lines,
        shipping,
        promotions: candidates,
        payment,
    } = parts;
    let now = Utc::now();
    let basis = item_basis_total(&lines);
    let promotions: Vec<PromotionRow> = candidates
        .into_iter()
        .filter(|p| totals::check_rules(&p.rules(), now, &row.currency_code, basis).is_ok())
        .collect();
    let computed = price(
        &region,
        &lines,
        shipping.as_ref().map(|(_, o)| o),
        &promotions,
    );
    Cart {
        row,
        version,
        region,
        countries,
        lines,
        shipping,
        promotions,
        payment,
        computed,
    }
}

/// What a cart is priced and shown with, besides its own row.
struct Parts {
    /// The version of the row, when the statement read it.
    version: Option<String>,
    region: Region,
    countries: Vec<regions::Country>,
    lines: Vec<LineRow>,
    /// The shipping method and its option (none when the option is gone).
    shipping: Option<(ShippingMethodRow, ShippingOptionRow)>,
    /// Codes on the cart and the active automatic promotions, rules not yet checked.
    promotions: Vec<PromotionRow>,
    /// The payment collection and its sessions, oldest first.
    payment: Option<(PaymentCollectionRow, Vec<PaymentSessionRow>)>,
}

/// Where [`parts_of`] gets the cart's row from.
enum RowFrom<'a> {
    /// An unlocked read: the row (and its version) comes with the parts.
    Read,
    /// The caller locked (or just wrote) the row and has it.
    Locked(&'a CartRow),
}

/// Everything of a cart, in one statement (one round trip instead of seven to nine): each
/// part is a JSON value PostgreSQL builds from the same columns the rows' types name,
/// parsed straight into them (`Json<T>`). The row comes with the parts (`None` when
/// there is no such cart) unless the caller has it ([`RowFrom`]). The parts are an
/// error when the cart's region is gone.
///
/// The statement only reads: a write goes first, in a statement of its own
/// ([`write_row`]). A data-modifying part here, even one that wrote nothing, made every
/// read of a cart cost PostgreSQL about a sixth more CPU (the table opened for writing,
/// the answer kept in a tuple store; docs/performance-log.md, 2026-12-06 morning).
async fn parts_of(
    conn: &mut PgConnection,
    cart_id: &str,
    from: RowFrom<'_>,
) -> ApiResult<(Option<CartRow>, ApiResult<Parts>)> {
    let known = match from {
        RowFrom::Read => None,
        RowFrom::Locked(row) => Some(row.region_id.as_str()),
    };
    let parts = sqlx::query_as!(
        PartsRow,
        r#"WITH cart AS (
     SELECT id, region_id, currency_code, sales_channel_id, email, customer_id, shipping_address,
            billing_address, metadata, completed_at, created_at, updated_at, xmin::text AS version
       FROM carts WHERE id = $1 AND $2::text IS NULL)
SELECT
  (SELECT row_to_json(c) FROM cart c) AS "row: Json<CartRow>",
  (SELECT version FROM cart) AS "version?",
  (SELECT row_to_json(r) FROM (
     SELECT id, name, currency_code, automatic_taxes, is_tax_inclusive, tax_rate_bps, metadata,
            created_at, updated_at, deleted_at
       FROM regions
      WHERE id = coalesce($2, (SELECT region_id FROM cart)) AND deleted_at IS NULL) r)
       AS "region: Json<Region>",
  (SELECT coalesce(json_agg(c ORDER BY c.num_code), '[]') FROM (
     SELECT iso_2, iso_3, num_code, name, display_name, region_id, created_at, updated_at
       FROM region_countries WHERE region_id = coalesce($2, (SELECT region_id FROM cart))) c)
       AS "countries!: Json<Vec<regions::Country>>",
  (SELECT coalesce(json_agg(l ORDER BY l.created_at, l.id), '[]') FROM (
     SELECT id, cart_id, variant_id, product_id, title, thumbnail, quantity, unit_price,
            is_tax_inclusive, requires_shipping, discountable, product_title, product_handle,
            product_subtitle, product_description, variant_sku, variant_title, metadata,
            created_at, updated_at
       FROM cart_line_items WHERE cart_id = $1) l) AS "lines!: Json<Vec<LineRow>>",
  (SELECT row_to_json(m) FROM (
     SELECT id, shipping_option_id, name, data, created_at
       FROM cart_shipping_methods WHERE cart_id = $1) m) AS "shipping_method: Json<ShippingMethodRow>",
  (SELECT row_to_json(o) FROM (
     SELECT o.id, o.name, o.region_id, o.price_type, o.amount, o.free_over_amount, o.type_code,
            o.type_label
       FROM shipping_options o JOIN cart_shipping_methods m ON m.shipping_option_id = o.id
      WHERE m.cart_id = $1) o) AS "shipping_option: Json<ShippingOptionRow>",
  (SELECT coalesce(json_agg(p ORDER BY p.is_automatic DESC, p.code), '[]') FROM (
     SELECT p.id, p.code, p.is_automatic, p.is_active, p.method, p.value, p.currency_code,
            p.target, p.target_product_ids, p.per_unit, p.starts_at, p.ends_at, p.usage_limit,
            p.usage_count, p.min_item_subtotal
       FROM promotions p
      WHERE p.id IN (SELECT promotion_id FROM cart_promotions WHERE cart_id = $1)
         OR (p.is_automatic AND p.is_active)) p) AS "promotions!: Json<Vec<PromotionRow>>",
  (SELECT row_to_json(pc) FROM (
     SELECT id, cart_id, order_id, currency_code, amount, status, authorized_amount,
            captured_amount, refunded_amount, completed_at, created_at, updated_at,
            xmin::text AS version
       FROM payment_collections WHERE cart_id = $1) pc) AS "payment_collection: Json<PaymentCollectionRow>",
  (SELECT coalesce(json_agg(s ORDER BY s.created_at, s.id), '[]') FROM (
     SELECT s.id, s.payment_collection_id, s.provider_id, s.currency_code, s.amount, s.data,
            s.status, s.authorized_at, s.created_at, s.updated_at
       FROM payment_sessions s JOIN payment_collections pc ON pc.id = s.payment_collection_id
      WHERE pc.cart_id = $1) s) AS "payment_sessions!: Json<Vec<PaymentSessionRow>>""#,
        cart_id,
        known,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(parts.split())
}

/// The parts statement's one row: each part as the JSON PostgreSQL built, parsed.
struct PartsRow {
    row: Option<Json<CartRow>>,
    version: Option<String>,
    region: Option<Json<Region>>,
    countries: Json<Vec<regions::Country>>,
    lines: Json<Vec<LineRow>>,
    shipping_method: Option<Json<ShippingMethodRow>>,
    shipping_option: Option<Json<ShippingOptionRow>>,
    promotions: Json<Vec<PromotionRow>>,
    payment_collection: Option<Json<PaymentCollectionRow>>,
    payment_sessions: Json<Vec<PaymentSessionRow>>,
}

impl PartsRow {
    /// The row, if the statement read it, and the parts (an error when the region is gone).
    fn split(self) -> (Option<CartRow>, ApiResult<Parts>) {
        let row = self.row.map(|r| r.0);
        let Some(Json(region)) = self.region else {
            let gone = ApiError::invalid_data("The cart's region no longer exists");
            return (row, Err(gone));
        };
        let method = self.shipping_method.map(|m| m.0);
        let option = self.shipping_option.map(|o| o.0);
        let sessions = self.payment_sessions.0;
        let parts = Parts {
            version: self.version,
            region,
            countries: self.countries.0,
            lines: self.lines.0,
            shipping: method.zip(option),
            promotions: self.promotions.0,
            payment: self.payment_collection.map(|c| (c.0, sessions)),
        };
        (row, Ok(parts))
    }
}

/// A shipping option's price for a cart: flat, or free above its threshold.
pub fn shipping_amount(option: &ShippingOptionRow, item_basis_total: i64) -> i64 {
    match option.free_over_amount {
        Some(threshold) if item_basis_total >= threshold => 0,
        _ => option.amount,
    }
}

fn price(
    region: &Region,
    lines: &[LineRow],
    option: Option<&ShippingOptionRow>,
    promotions: &[PromotionRow],
) -> Computed {
    let line_inputs: Vec<LineInput> = lines
        .iter()
        .map(|l| LineInput {
            id: l.id.clone(),
            product_id: l.product_id.clone(),
            variant_id: l.variant_id.clone(),
            unit_price: l.unit_price,
            quantity: i64::from(l.quantity),
            is_tax_inclusive: l.is_tax_inclusive,
            tax_rate_bps: region.tax_rate_bps,
            discountable: l.discountable,
        })
        .collect();
    let shipping: Vec<ShippingInput> = option
        .map(|o| ShippingInput {
            id: o.id.clone(),
            amount: shipping_amount(o, item_basis_total(lines)),
            is_tax_inclusive: region.is_tax_inclusive,
            tax_rate_bps: region.tax_rate_bps,
        })
        .into_iter()
        .collect();
    let promotions: Vec<PromotionInput> = promotions.iter().map(PromotionRow::input).collect();
    totals::compute(&line_inputs, &shipping, &promotions)
}

// ---------------------------------------------------------------- input ---

/// A postal address as Medusa's storefronts send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

impl AddressInput {
    /// Checks lengths; returns the stored form, its country code trimmed and lowercased.
    /// Whether the region serves the country is checked against the cart as written
    /// ([`RowWrites::check_countries`]).
    fn validate(self, field: &str) -> ApiResult<Value> {
        let texts = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("company", &self.company),
            ("address_1", &self.address_1),
            ("address_2", &self.address_2),
            ("city", &self.city),
            ("province", &self.province),
            ("postal_code", &self.postal_code),
            ("phone", &self.phone),
        ];
        for (name, value) in texts {
            if value.as_ref().is_some_and(|v| v.chars().count() > 255) {
                return Err(ApiError::invalid_data(format!(
                    "{field}.{name} is longer than 255 characters"
                )));
            }
        }
        let country_code = self
            .country_code
            .as_ref()
            .map(|code| code.trim().to_ascii_lowercase());
        Ok(json!({
            "id": new_id("caaddr"),
            "first_name": self.first_name, "last_name": self.last_name, "company": self.company,
            "address_1": self.address_1, "address_2": self.address_2, "city": self.city,
            "country_code": country_code, "province": self.province, "postal_code": self.postal_code,
            "phone": self.phone, "metadata": self.metadata,
        }))
    }
}

/// An email address: one `@`, something on both sides, a dot in the domain, no spaces.
pub fn validate_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email.to_string())
    } else {
        Err(ApiError::invalid_data(format!(
            "Invalid email address {raw:?}"
        )))
    }
}

fn check_quantity(quantity: i64, allow_zero: bool) -> ApiResult<i32> {
    let min = if allow_zero { 0 } else { 1 };
    if quantity < min || quantity > MAX_QUANTITY {
        return Err(ApiError::invalid_data(format!(
            "Invalid request: 'quantity' must be between {min} and {MAX_QUANTITY}, got {quantity}"
        )));
    }
    Ok(quantity as i32)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInputBody {
    pub variant_id: String,
    pub quantity: i64,
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCart {
    pub region_id: Option<String>,
    pub email: Option<String>,
    pub currency_code: Option<String>,
    pub items: Option<Vec<LineInputBody>>,
    pub shipping_address: Option<AddressInput>,
    pub billing_address: Option<AddressInput>,
    pub sales_channel_id: Option<String>,
    pub promo_codes: Option<Vec<String>>,
    pub metadata: Option<Map<String, Value>>,
    pub customer_id: Option<Value>,
    pub locale: Option<Value>,
    /// The logged-in customer creating the cart (never read from the body).
    #[serde(skip)]
    pub owner: Option<Owner>,
}

/// The customer a cart belongs to: its id, and its email, which the cart takes.
#[derive(Debug, Clone)]
pub struct Owner {
    pub customer_id: String,
    pub email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCart {
    pub region_id: Option<String>,
    pub email: Option<String>,
    pub shipping_address: Option<AddressInput>,
    pub billing_address: Option<AddressInput>,
    pub sales_channel_id: Option<String>,
    pub promo_codes: Option<Vec<String>>,
    pub metadata: Option<Map<String, Value>>,
    pub locale: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLine {
    pub quantity: i64,
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoCodes {
    pub promo_codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddShippingMethod {
    pub option_id: String,
    pub data: Option<Map<String, Value>>,
}

// ------------------------------------------------------------ commands ---

/// Creates a cart in the key's sales channel (or the one asked for, if the key has it)
/// and the region's currency.
///
/// A cart created with nothing but a region, currency, channel or metadata (what
/// storefronts send) is one `INSERT` and one read, with no transaction around them.
pub async fn create(pool: &PgPool, key_channels: &[String], input: CreateCart) -> ApiResult<Cart> {
    if input.is_bare() {
        if let Ok(channel) = sales_channel_of(key_channels, input.sales_channel_id.as_deref()) {
            let mut conn = pool.acquire().await?;
            if let Some(row) = insert_bare(&mut conn, &input, &channel).await? {
                return priced(&mut conn, row).await;
            }
        }
        // No region matches, or the channel is not the key's: the full path says why.
    }
    create_with_contents(pool, key_channels, input).await
}

impl CreateCart {
    /// Nothing to write besides the cart's own row: no items, addresses, email, owner or
    /// promotion codes.
    fn is_bare(&self) -> bool {
        self.items.as_ref().is_none_or(Vec::is_empty)
            && self.email.is_none()
            && self.owner.is_none()
            && self.shipping_address.is_none()
            && self.billing_address.is_none()
            && self.promo_codes.is_none()
    }
}

/// The sales channel a new cart goes in: the one asked for if the key has it, else the
/// key's first.
fn sales_channel_of(key_channels: &[String], requested: Option<&str>) -> ApiResult<String> {
    match requested {
        Some(id) if key_channels.iter().any(|c| c == id) => Ok(id.to_string()),
        Some(id) => Err(ApiError::invalid_data(format!(
            "Sales channel {id} is not part of the publishable key"
        ))),
        None => key_channels
            .first()
            .cloned()
            .ok_or_else(|| ApiError::invalid_data("The publishable key has no sales channel")),
    }
}

/// Inserts a bare cart in the region asked for (or the first region, of the currency if
/// one is asked for); `None` when no live region matches.
async fn insert_bare(
    conn: &mut PgConnection,
    input: &CreateCart,
    sales_channel_id: &str,
) -> ApiResult<Option<CartRow>> {
    Ok(sqlx::query_as!(
        CartRow,
        "INSERT INTO carts (id, region_id, currency_code, sales_channel_id, metadata)
         SELECT $1, r.id, r.currency_code, $4, $5 FROM regions r
          WHERE r.deleted_at IS NULL AND ($2::text IS NULL OR r.id = $2)
            AND ($3::text IS NULL OR r.currency_code = lower($3))
          ORDER BY r.created_at, r.id LIMIT 1
         RETURNING id, region_id, currency_code, sales_channel_id, email, customer_id,
                   shipping_address, billing_address, metadata, completed_at, created_at, updated_at",
        new_id("cart"),
        input.region_id,
        input.currency_code,
        sales_channel_id,
        input.metadata.clone().map(Value::Object),
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// [`create`] with items, addresses, an email or promotion codes: one transaction.
async fn create_with_contents(
    pool: &PgPool,
    key_channels: &[String],
    input: CreateCart,
) -> ApiResult<Cart> {
    let mut tx = pool.begin().await?;
    let region = match &input.region_id {
        Some(id) => {
            if !is_well_formed(id, "reg") {
                return Err(ApiError::invalid_data(format!("Invalid region_id {id:?}")));
            }
            regions::find(&mut *tx, id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("Region with id: {id} was not found")))?
        }
        None => default_region(&mut tx, input.currency_code.as_deref()).await?,
    };
    if let Some(currency) = &input.currency_code {
        if !currency.eq_ignore_ascii_case(&region.currency_code) {
            return Err(ApiError::invalid_data(format!(
                "Currency {currency} is not used in region {} ({})",
                region.name, region.currency_code
            )));
        }
    }
    let sales_channel_id = sales_channel_of(key_channels, input.sales_channel_id.as_deref())?;
    let id = new_id("cart");
    // The new row is this transaction's alone until it commits: no lock to take.
    let row = sqlx::query_as!(
        CartRow,
        "INSERT INTO carts (id, region_id, currency_code, sales_channel_id, metadata, customer_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, region_id, currency_code, sales_channel_id, email, customer_id,
                   shipping_address, billing_address, metadata, completed_at, created_at, updated_at",
        id,
        region.id,
        region.currency_code,
        sales_channel_id,
        input.metadata.map(Value::Object),
        input.owner.as_ref().map(|o| &o.customer_id) as Option<&String>,
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut update = UpdateCart {
        email: input.email.or(input.owner.map(|o| o.email)),
        shipping_address: input.shipping_address,
        billing_address: input.billing_address,
        promo_codes: input.promo_codes,
        ..UpdateCart::default()
    };
    for item in input.items.unwrap_or_default() {
        held(add_line_in(&mut tx, &row.id, &item).await?)?;
    }
    // After the items, so promotion minimums see them.
    let writes = row_writes(key_channels, &mut update)?;
    let writes = apply_update(&mut tx, &row, update, writes).await?;
    let cart = if writes.is_empty() {
        priced(&mut tx, row).await?
    } else {
        written(&mut tx, &id, &writes).await?
    };
    writes.check_countries(&cart)?;
    tx.commit().await?;
    Ok(cart)
}

/// `POST /store/carts/:id/customer`: a guest cart becomes the customer's and takes its
/// email. Another customer's cart is not found, as an unknown one.
pub async fn transfer(pool: &PgPool, id: &str, owner: &Owner) -> ApiResult<Cart> {
    change(pool, id, async |_, cart| {
        if cart
            .customer_id
            .as_ref()
            .is_some_and(|c| *c != owner.customer_id)
        {
            return Err(not_found(id));
        }
        Ok(RowWrites {
            customer_id: Some(owner.customer_id.clone()),
            email: Some(owner.email.clone()),
            ..RowWrites::default()
        })
    })
    .await
}

async fn default_region(conn: &mut PgConnection, currency: Option<&str>) -> ApiResult<Region> {
    let region = sqlx::query_as!(
        Region,
        "SELECT id, name, currency_code, automatic_taxes, is_tax_inclusive, tax_rate_bps, metadata,
                created_at, updated_at, deleted_at
           FROM regions WHERE deleted_at IS NULL AND ($1::text IS NULL OR currency_code = lower($1))
          ORDER BY created_at, id LIMIT 1",
        currency
    )
    .fetch_optional(&mut *conn)
    .await?;
    region.ok_or_else(|| match currency {
        Some(c) => ApiError::invalid_data(format!("No region uses the currency {c}")),
        None => ApiError::invalid_data("The store has no region; create one first"),
    })
}

/// Runs `change` on an open cart inside one transaction that holds the cart's row lock,
/// writes what it asks of the cart's row, then answers with the repriced cart.
async fn change<W: Into<RowWrites>>(
    pool: &PgPool,
    id: &str,
    change: impl AsyncFnOnce(&mut PgConnection, CartRow) -> ApiResult<W>,
) -> ApiResult<Cart> {
    let mut tx = pool.begin().await?;
    let row = lock_open(&mut tx, id).await?;
    let writes: RowWrites = change(&mut tx, row).await?.into();
    let cart = written(&mut tx, id, &writes).await?;
    writes.check_countries(&cart)?;
    tx.commit().await?;
    Ok(cart)
}

/// The cart's row, locked until the caller's transaction ends.
async fn lock_row(conn: &mut PgConnection, id: &str) -> ApiResult<Option<CartRow>> {
    Ok(sqlx::query_as!(
        CartRow,
        "SELECT id, region_id, currency_code, sales_channel_id, email, customer_id,
                shipping_address, billing_address, metadata, completed_at, created_at, updated_at
           FROM carts WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// Locks an open cart for a change; a completed cart cannot change.
async fn lock_open(conn: &mut PgConnection, id: &str) -> ApiResult<CartRow> {
    check_id(id)?;
    let row = lock_row(&mut *conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if row.completed_at.is_some() {
        return Err(ApiError::invalid_data(format!(
            "Cart {id} is already completed."
        )));
    }
    Ok(row)
}

pub async fn update(
    pool: &PgPool,
    id: &str,
    key_channels: &[String],
    mut input: UpdateCart,
) -> ApiResult<Cart> {
    // What checkouts send (an email, addresses, metadata) writes only the cart's row: one
    // guarded statement, no transaction. Anything it cannot settle alone (a region, codes,
    // a guard that fails) takes the transaction, which also answers the precise error.
    check_id(id)?;
    let mut writes = row_writes(key_channels, &mut input)?;
    if input.region_id.is_none() && input.promo_codes.is_none() {
        let mut conn = pool.acquire().await?;
        if write_row(&mut conn, id, &writes, true).await?.is_some() {
            // The cart as it is now, read after the write in a snapshot of its own.
            return load(&mut conn, id, false).await;
        }
    }
    writes.moved = input.region_id.is_some();
    change(pool, id, async |tx, cart| {
        apply_update(tx, &cart, input, writes).await
    })
    .await
}

/// Applies an update: a new region and promotion codes at once (lines are repriced, codes
/// checked against the cart as it is then), then what the cart's own row takes (`writes`,
/// checked already).
async fn apply_update(
    conn: &mut PgConnection,
    cart: &CartRow,
    input: UpdateCart,
    writes: RowWrites,
) -> ApiResult<RowWrites> {
    let id = cart.id.as_str();
    if let Some(region_id) = &input.region_id {
        change_region(&mut *conn, id, region_id).await?;
    }
    if let Some(codes) = input.promo_codes {
        // On a cart update, the list replaces the codes (as Medusa does).
        sqlx::query!("DELETE FROM cart_promotions WHERE cart_id = $1", id)
            .execute(&mut *conn)
            .await?;
        add_promotions_in(conn, id, &codes).await?;
    }
    Ok(writes)
}

/// What an update writes to the cart's own row, checked (the addresses and email taken
/// out of `input`).
fn row_writes(key_channels: &[String], input: &mut UpdateCart) -> ApiResult<RowWrites> {
    let mut writes = RowWrites::default();
    if let Some(channel) = input.sales_channel_id.take() {
        if !key_channels.contains(&channel) {
            return Err(ApiError::invalid_data(format!(
                "Sales channel {channel} is not part of the publishable key"
            )));
        }
        writes.sales_channel_id = Some(channel);
    }
    if let Some(email) = &input.email {
        writes.email = Some(validate_email(email)?);
    }
    let validate =
        |field, address: Option<AddressInput>| address.map(|a| a.validate(field)).transpose();
    writes.shipping_address = validate("shipping_address", input.shipping_address.take())?;
    writes.billing_address = validate("billing_address", input.billing_address.take())?;
    writes.metadata = input.metadata.take().map(Value::Object);
    Ok(writes)
}

/// What a change writes to the cart's own row besides `updated_at`; what is unset stays.
#[derive(Debug, Default)]
struct RowWrites {
    sales_channel_id: Option<String>,
    email: Option<String>,
    customer_id: Option<String>,
    shipping_address: Option<Value>,
    billing_address: Option<Value>,
    metadata: Option<Value>,
    /// The region changed (written by [`change_region`] already).
    moved: bool,
}

impl RowWrites {
    /// An address written must be in a country of the cart's region (as the cart is after
    /// the change, so a region changed in the same update counts). Checked after the write,
    /// which saves a round trip for the region's countries: an error here rolls the
    /// caller's transaction back.
    fn check_countries(&self, cart: &Cart) -> ApiResult<()> {
        for code in self.country_codes() {
            if !cart.countries.iter().any(|c| c.iso_2 == code) {
                return Err(ApiError::invalid_data(format!(
                    "Country with code {code} is not within region {}",
                    cart.region.name
                )));
            }
        }
        Ok(())
    }

    /// The countries of the addresses written.
    fn country_codes(&self) -> Vec<String> {
        [&self.shipping_address, &self.billing_address]
            .into_iter()
            .flatten()
            .filter_map(|address| address.get("country_code").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    fn is_empty(&self) -> bool {
        !self.moved
            && self.sales_channel_id.is_none()
            && self.email.is_none()
            && self.customer_id.is_none()
            && self.shipping_address.is_none()
            && self.billing_address.is_none()
            && self.metadata.is_none()
    }
}

/// A change that writes nothing to the cart's row but `updated_at`.
impl From<()> for RowWrites {
    fn from((): ()) -> Self {
        RowWrites::default()
    }
}

/// Moves the cart to another region: its currency and tax, every line repriced, the
/// shipping method dropped (options are per region).
async fn change_region(conn: &mut PgConnection, id: &str, region_id: &str) -> ApiResult<()> {
    if !is_well_formed(region_id, "reg") {
        return Err(ApiError::invalid_data(format!(
            "Invalid region_id {region_id:?}"
        )));
    }
    let region = regions::find(&mut *conn, region_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Region with id: {region_id} was not found")))?;
    sqlx::query!(
        "UPDATE carts SET region_id = $2, currency_code = $3, updated_at = now() WHERE id = $1",
        id,
        region.id,
        region.currency_code,
    )
    .execute(&mut *conn)
    .await?;
    // A new region means a new currency and tax: reprice every line, drop shipping
    // (options are per region).
    reprice_lines(conn, id, &region).await?;
    sqlx::query!("DELETE FROM cart_shipping_methods WHERE cart_id = $1", id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the statement adding a line saw and whether it wrote: the checks of
/// [`add_line_in`] run on these, and the statement writes only when they all pass.
struct LineAdd {
    /// The cart was open and unchanged since the statement's snapshot, and is now
    /// locked; nothing else was looked at otherwise.
    cart_held: bool,
    /// The variant exists and its published product is sold in the cart's channel.
    sellable: Option<bool>,
    amount: Option<i64>,
    currency_code: Option<String>,
    /// The cart's region's, while the region exists.
    tax_inclusive: Option<bool>,
    /// What the cart then holds of the variant (under this metadata), this line included.
    total: Option<i64>,
    /// How much the channel can sell; `None` when the variant's stock is not managed.
    available: Option<i64>,
    lines: Option<i64>,
    adds_to_existing: Option<bool>,
    written: bool,
}

/// Adds a line (or adds to the line with the same variant and metadata), in one
/// statement: the cart's row is locked only if it is open and unchanged since the
/// statement's snapshot (so what the statement reads of the cart is the cart's), the
/// variant and its stock are checked, and the line is written with the cart's
/// `updated_at`. Answers `None` when the cart was not held (gone, completed, or changed
/// in between): the caller then takes the cart's lock first.
async fn add_line_in(
    conn: &mut PgConnection,
    cart_id: &str,
    input: &LineInputBody,
) -> ApiResult<Option<()>> {
    let variant_id = input.variant_id.as_str();
    let quantity = check_quantity(input.quantity, false)?;
    let unknown = || {
        ApiError::invalid_data(format!(
            "Variants {variant_id} do not exist or belong to a product that is not published"
        ))
    };
    if !is_well_formed(variant_id, "variant") {
        return Err(unknown());
    }
    let metadata = Value::Object(input.metadata.clone().unwrap_or_default());
    // A variant needing several items is limited by the scarcest one.
    let seen = sqlx::query_as!(
        LineAdd,
        r#"WITH cart AS (
     SELECT id, region_id, currency_code, sales_channel_id FROM carts
      WHERE id = $1 AND completed_at IS NULL
        AND xmin = (SELECT v.xmin FROM carts v WHERE v.id = $1)
        FOR UPDATE),
  variant AS (
     SELECT v.id AS variant_id, p.id AS product_id, p.title AS product_title, p.handle AS product_handle,
            p.subtitle AS product_subtitle, p.description AS product_description, p.thumbnail,
            p.discountable, v.title AS variant_title, v.sku AS variant_sku,
            v.manage_inventory AND NOT v.allow_backorder AS managed, v.deleted_at IS NULL
            AND p.deleted_at IS NULL AND p.status = 'published'
            AND EXISTS (SELECT 1 FROM product_sales_channels s, cart
                         WHERE s.product_id = p.id AND s.sales_channel_id = cart.sales_channel_id) AS sellable
       FROM product_variants v JOIN products p ON p.id = v.product_id
      WHERE v.id = $2),
  seen AS (
     SELECT v.*, c.currency_code,
            (SELECT amount FROM prices WHERE variant_id = v.variant_id AND price_list_id IS NULL
                AND currency_code = c.currency_code) AS amount,
            (SELECT is_tax_inclusive FROM regions WHERE id = c.region_id AND deleted_at IS NULL) AS tax_inclusive,
            coalesce(e.quantity, 0)::bigint + $3 AS total,
            (SELECT coalesce(min(floor(coalesce(a.available, 0)::numeric / vi.required_quantity))::bigint, 0)
               FROM product_variant_inventory_items vi
               LEFT JOIN LATERAL (
                    SELECT sum(l.stocked_quantity - l.reserved_quantity) AS available
                      FROM inventory_levels l
                     WHERE l.inventory_item_id = vi.inventory_item_id
                       AND l.location_id IN (SELECT stock_location_id FROM sales_channel_stock_locations
                                              WHERE sales_channel_id = c.sales_channel_id)
               ) a ON TRUE
              WHERE vi.variant_id = v.variant_id) AS available,
            (SELECT count(*) FROM cart_line_items WHERE cart_id = $1) AS lines,
            e.id AS existing_id
       FROM cart c CROSS JOIN variant v
       LEFT JOIN LATERAL (
            SELECT l.id, l.quantity FROM cart_line_items l
             WHERE l.cart_id = $1 AND l.variant_id = v.variant_id AND l.metadata = $4
             LIMIT 1) e ON TRUE),
  ok AS (
     SELECT * FROM seen
      WHERE sellable AND amount IS NOT NULL AND tax_inclusive IS NOT NULL AND total <= $5
        AND (NOT managed OR total <= greatest(available, 0))
        AND (existing_id IS NOT NULL OR lines < $6)),
  added AS (
     UPDATE cart_line_items l SET quantity = ok.total, updated_at = now()
       FROM ok WHERE l.id = ok.existing_id
     RETURNING l.id),
  inserted AS (
     INSERT INTO cart_line_items (id, cart_id, variant_id, product_id, title, thumbnail, quantity,
            unit_price, is_tax_inclusive, discountable, product_title, product_handle,
            product_subtitle, product_description, variant_sku, variant_title, metadata)
     SELECT $7, $1, variant_id, product_id, product_title, thumbnail, $3, amount, tax_inclusive,
            discountable, product_title, product_handle, product_subtitle, product_description,
            variant_sku, variant_title, $4
       FROM ok WHERE existing_id IS NULL
     RETURNING id),
  touched AS (
     UPDATE carts SET updated_at = now()
      WHERE id = $1 AND EXISTS (SELECT 1 FROM ok)
     RETURNING id)
SELECT EXISTS (SELECT 1 FROM cart) AS "cart_held!",
       seen.sellable AS "sellable?", seen.amount AS "amount?", seen.currency_code AS "currency_code?",
       seen.tax_inclusive AS "tax_inclusive?",
       seen.total AS "total?", CASE WHEN seen.managed THEN greatest(seen.available, 0) END AS "available?",
       seen.lines AS "lines?", seen.existing_id IS NOT NULL AS "adds_to_existing?",
       EXISTS (SELECT 1 FROM touched) AS "written!"
  FROM (SELECT 1) one LEFT JOIN seen ON TRUE"#,
        cart_id,
        variant_id,
        i64::from(quantity),
        metadata,
        MAX_QUANTITY,
        MAX_LINES as i64,
        new_id("cali"),
    )
    .fetch_one(&mut *conn)
    .await?;
    if !seen.cart_held {
        return Ok(None);
    }
    if seen.sellable != Some(true) {
        return Err(unknown());
    }
    if seen.amount.is_none() {
        return Err(ApiError::invalid_data(format!(
            "Variant {variant_id} has no price in {}",
            seen.currency_code.unwrap_or_default()
        )));
    }
    if seen.tax_inclusive.is_none() {
        return Err(ApiError::invalid_data("The cart's region no longer exists"));
    }
    let total = seen.total.unwrap_or_default();
    check_quantity(total, false)?;
    if let Some(available) = seen.available {
        if total > available {
            return Err(ApiError::invalid_data(format!(
                "Variant {variant_id} does not have the required inventory: {total} asked, {available} available"
            )));
        }
    }
    if seen.adds_to_existing != Some(true) && seen.lines.unwrap_or_default() as usize >= MAX_LINES {
        return Err(ApiError::invalid_data(format!(
            "A cart holds at most {MAX_LINES} lines"
        )));
    }
    if !seen.written {
        return Err(ApiError::internal(
            "adding a line",
            "the line passed every check but was not written",
        ));
    }
    Ok(Some(()))
}

async fn check_stock(
    conn: &mut PgConnection,
    cart: &CartRow,
    variant_id: &str,
    quantity: i64,
) -> ApiResult<()> {
    if let Some(available) =
        inventory::available_for_variant(conn, variant_id, &cart.sales_channel_id).await?
    {
        if quantity > available {
            return Err(ApiError::invalid_data(format!(
                "Variant {variant_id} does not have the required inventory: {quantity} asked, {available} available"
            )));
        }
    }
    Ok(())
}

pub async fn add_line(pool: &PgPool, id: &str, input: LineInputBody) -> ApiResult<Cart> {
    // What storefronts send takes one statement and a read, without a transaction; a
    // request that is invalid on its face, or finds the cart held, takes the cart's lock
    // first (and its errors come in the order they always did).
    if check_id(id).is_ok()
        && is_well_formed(&input.variant_id, "variant")
        && check_quantity(input.quantity, false).is_ok()
    {
        let mut conn = pool.acquire().await?;
        if add_line_in(&mut conn, id, &input).await?.is_some() {
            return load(&mut conn, id, false).await;
        }
    }
    change(pool, id, async |tx, cart| {
        held(add_line_in(tx, &cart.id, &input).await?)
    })
    .await
}

/// What [`add_line_in`] answers under the cart's lock, which it always holds.
fn held(added: Option<()>) -> ApiResult<()> {
    added.ok_or_else(|| ApiError::internal("adding a line", "the locked cart was not held"))
}

async fn reprice_lines(conn: &mut PgConnection, id: &str, region: &Region) -> ApiResult<()> {
    let missing = sqlx::query_scalar!(
        "SELECT l.variant_id FROM cart_line_items l
          WHERE l.cart_id = $1 AND NOT EXISTS (SELECT 1 FROM prices p WHERE p.variant_id = l.variant_id
                AND p.currency_code = $2 AND p.price_list_id IS NULL)
          LIMIT 1",
        id,
        region.currency_code,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(variant) = missing {
        return Err(ApiError::invalid_data(format!(
            "Variant {variant} has no price in {}",
            region.currency_code
        )));
    }
    sqlx::query!(
        "UPDATE cart_line_items l SET is_tax_inclusive = $3, updated_at = now(),
                unit_price = (SELECT amount FROM prices p WHERE p.variant_id = l.variant_id
                               AND p.currency_code = $2 AND p.price_list_id IS NULL)
          WHERE l.cart_id = $1",
        id,
        region.currency_code,
        region.is_tax_inclusive,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets a line's quantity (0 removes it) and optionally its metadata.
pub async fn update_line(
    pool: &PgPool,
    id: &str,
    line_id: &str,
    input: UpdateLine,
) -> ApiResult<Cart> {
    let quantity = check_quantity(input.quantity, true)?;
    change(pool, id, async |tx, cart| {
        let variant_id = sqlx::query_scalar!(
            "SELECT variant_id FROM cart_line_items WHERE id = $1 AND cart_id = $2",
            line_id,
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| line_not_found(line_id))?;
        if quantity == 0 {
            sqlx::query!("DELETE FROM cart_line_items WHERE id = $1", line_id)
                .execute(&mut *tx)
                .await?;
            return Ok(());
        }
        check_stock(tx, &cart, &variant_id, i64::from(quantity)).await?;
        sqlx::query!(
            "UPDATE cart_line_items SET quantity = $2, metadata = coalesce($3, metadata), updated_at = now() WHERE id = $1",
            line_id,
            quantity,
            input.metadata.map(Value::Object),
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::invalid_data(
                "Another line of this cart already has this variant with this metadata",
            ),
            _ => e.into(),
        })?;
        Ok(())
    })
    .await
}

pub async fn delete_line(pool: &PgPool, id: &str, line_id: &str) -> ApiResult<Cart> {
    change(pool, id, async |tx, _| {
        let deleted = sqlx::query!(
            "DELETE FROM cart_line_items WHERE id = $1 AND cart_id = $2",
            line_id,
            id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted == 0 {
            return Err(line_not_found(line_id));
        }
        Ok(())
    })
    .await
}

fn line_not_found(line_id: &str) -> ApiError {
    ApiError::not_found(format!("Line item with id: {line_id} was not found"))
}

pub async fn add_promotions(pool: &PgPool, id: &str, codes: &[String]) -> ApiResult<Cart> {
    change(pool, id, async |tx, _| {
        add_promotions_in(tx, id, codes).await
    })
    .await
}

async fn add_promotions_in(conn: &mut PgConnection, id: &str, codes: &[String]) -> ApiResult<()> {
    if codes.len() > 20 {
        return Err(ApiError::invalid_data(
            "At most 20 promotion codes per request",
        ));
    }
    let cart = sqlx::query!(
        r#"SELECT c.currency_code, coalesce(sum(l.unit_price * l.quantity), 0)::bigint AS "basis!"
             FROM carts c LEFT JOIN cart_line_items l ON l.cart_id = c.id WHERE c.id = $1 GROUP BY c.id"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let (currency, basis) = (cart.currency_code, cart.basis);
    for code in codes {
        let promotion = sqlx::query_as!(
            PromotionRow,
            "SELECT p.id, p.code, p.is_automatic, p.is_active, p.method, p.value, p.currency_code,
                p.target, p.target_product_ids, p.per_unit, p.starts_at, p.ends_at, p.usage_limit,
                p.usage_count, p.min_item_subtotal
               FROM promotions p WHERE p.code = $1",
            code
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::invalid_data(format!("The promotion code {code} is invalid")))?;
        totals::check_rules(&promotion.rules(), Utc::now(), &currency, basis).map_err(|why| {
            ApiError::invalid_data(format!(
                "The promotion code {code} cannot be applied: {why}"
            ))
        })?;
        sqlx::query!(
            "INSERT INTO cart_promotions (cart_id, promotion_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            id,
            promotion.id
        )
        .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn remove_promotions(pool: &PgPool, id: &str, codes: &[String]) -> ApiResult<Cart> {
    change(pool, id, async |tx, _| {
        sqlx::query!(
            "DELETE FROM cart_promotions WHERE cart_id = $1
                AND promotion_id IN (SELECT id FROM promotions WHERE code = ANY($2))",
            id,
            codes
        )
        .execute(&mut *tx)
        .await?;
        Ok(())
    })
    .await
}

/// The shipping options offered to a cart, priced for it, in Medusa's shape: one
/// statement reads what pricing them takes (the cart's currency, its region's tax mode,
/// the lines' price basis for free-shipping thresholds) with the options themselves,
/// instead of the whole cart and then the options.
pub async fn shipping_options(pool: &PgPool, cart_id: &str) -> ApiResult<Vec<Value>> {
    check_id(cart_id)?;
    let offer = sqlx::query!(
        r#"SELECT c.currency_code, r.is_tax_inclusive AS "tax_inclusive?",
                  (SELECT coalesce(sum(l.unit_price * l.quantity), 0) FROM cart_line_items l
                    WHERE l.cart_id = c.id)::bigint AS "basis!",
                  (SELECT coalesce(json_agg(o ORDER BY o.amount, o.name), '[]') FROM (
                     SELECT id, name, region_id, price_type, amount, free_over_amount, type_code, type_label
                       FROM shipping_options WHERE region_id = c.region_id AND is_active) o)
                    AS "options!: Json<Vec<ShippingOptionRow>>"
             FROM carts c LEFT JOIN regions r ON r.id = c.region_id AND r.deleted_at IS NULL
            WHERE c.id = $1"#,
        cart_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| not_found(cart_id))?;
    let tax_inclusive = offer
        .tax_inclusive
        .ok_or_else(|| ApiError::invalid_data("The cart's region no longer exists"))?;
    offer
        .options
        .iter()
        .map(|o| {
            let amount = shipping_amount(o, offer.basis);
            let option = wire::ShippingOption::new(o, amount, &offer.currency_code, tax_inclusive);
            serde_json::to_value(option).context("serializing a shipping option")
        })
        .collect()
}

pub async fn set_shipping_method(
    pool: &PgPool,
    id: &str,
    input: AddShippingMethod,
) -> ApiResult<Cart> {
    let data = Value::Object(input.data.unwrap_or_default());
    let option_id = input.option_id;
    // The checkout's choice: written without a transaction, then the cart is read. What
    // the statement turns away takes the transaction below, which answers the precise
    // error.
    if check_id(id).is_ok() && is_well_formed(&option_id, "so") {
        let mut conn = pool.acquire().await?;
        if ship_with(&mut conn, id, &option_id, &data).await? {
            return load(&mut conn, id, false).await;
        }
    }
    change(pool, id, async |tx, _| {
        if is_well_formed(&option_id, "so") && ship_with(tx, id, &option_id, &data).await? {
            return Ok(());
        }
        Err(ApiError::invalid_data(format!(
            "Shipping option {option_id} is not valid for this cart (unknown, inactive, or not offered in its region)"
        )))
    })
    .await
}

/// Makes `option_id` the cart's one shipping method (a new choice replaces the old one),
/// in one statement, if the cart exists, is open, its region exists, and the option
/// exists, is active (the store lists only those) and serves that region; answers whether
/// it did. The statement touches the cart's row, which takes its lock: a completion in
/// flight is waited for, and then seen.
async fn ship_with(
    conn: &mut PgConnection,
    cart_id: &str,
    option_id: &str,
    data: &Value,
) -> ApiResult<bool> {
    let written = sqlx::query_scalar!(
        "WITH touched AS (
            UPDATE carts c SET updated_at = now()
              FROM shipping_options o
             WHERE c.id = $2 AND c.completed_at IS NULL
               AND o.id = $3 AND o.region_id = c.region_id AND o.is_active
               AND EXISTS (SELECT 1 FROM regions r WHERE r.id = c.region_id AND r.deleted_at IS NULL)
            RETURNING c.id, o.id AS option_id, o.name)
         INSERT INTO cart_shipping_methods (id, cart_id, shipping_option_id, name, data)
         SELECT $1, t.id, t.option_id, t.name, $4 FROM touched t
         ON CONFLICT (cart_id) DO UPDATE SET shipping_option_id = EXCLUDED.shipping_option_id,
                name = EXCLUDED.name, data = EXCLUDED.data, created_at = now()
         RETURNING id",
        new_id("casm"),
        cart_id,
        option_id,
        data,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(written.is_some())
}

// ----------------------------------------------------------- rendering ---

/// The cart in Medusa's shape, to serialize as it is (no `fields` to apply): straight to
/// bytes, without building a `Value` first.
pub fn body(cart: &Cart) -> impl serde::Serialize + '_ {
    wire::CartBody::new(cart)
}

/// The cart in Medusa's shape ([`wire::CartBody`]), as JSON for `fields` to narrow.
pub fn render(cart: &Cart) -> ApiResult<Value> {
    serde_json::to_value(wire::CartBody::new(cart)).context("serializing the cart")
}

pub fn render_payment_collection(
    c: &PaymentCollectionRow,
    sessions: &[PaymentSessionRow],
) -> ApiResult<Value> {
    serde_json::to_value(wire::PaymentCollection::new(c, sessions))
        .context("serializing the payment collection")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            validate_email(" ada@example.com ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quantities_must_be_positive_and_bounded() {
        assert!(check_quantity(0, false).is_err());
        assert_eq!(check_quantity(0, true).unwrap(), 0);
        assert!(check_quantity(-1, true).is_err());
        assert!(check_quantity(MAX_QUANTITY + 1, false).is_err());
        assert_eq!(
            check_quantity(MAX_QUANTITY, false).unwrap(),
            MAX_QUANTITY as i32
        );
    }

    #[test]
    fn shipping_is_free_from_the_threshold_on() {
        let option = ShippingOptionRow {
            id: "so_1".into(),
            name: "Standard".into(),
            region_id: "reg_1".into(),
            price_type: "flat".into(),
            amount: 495,
            free_over_amount: Some(5000),
            type_code: "standard".into(),
            type_label: "Standard".into(),
        };
        assert_eq!(shipping_amount(&option, 4999), 495);
        assert_eq!(shipping_amount(&option, 5000), 0);
    }
}
