//! Regions with their tax rate, and shipping options per region.

use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;

use crate::wire::{to_value, AdminShippingOption, OptionPriceBody, OptionTypeBody, RegionSnapshot};
use crate::{audit, input, AdminContext};
use store::catalog::regions;
use store::error::{ApiError, ApiResult};
use store::id::{is_well_formed, new_id};
use store::money::{from_major, to_major};
use store::web::{AppState, Stale};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionInput {
    pub name: Option<String>,
    pub currency_code: Option<String>,
    /// ISO 3166-1 alpha-2 codes; replaces the region's countries.
    pub countries: Option<Vec<String>>,
    pub automatic_taxes: Option<bool>,
    pub is_tax_inclusive: Option<bool>,
    /// The region's tax rate in percent (`21` = 21 %, up to two decimals).
    pub tax_rate: Option<serde_json::Number>,
    /// Accepted as Medusa's admin sends it; every enabled provider serves every region.
    pub payment_providers: Option<Vec<String>>,
    pub metadata: Option<Value>,
}

fn tax_bps(rate: Option<&serde_json::Number>) -> ApiResult<Option<i32>> {
    rate.map(|r| {
        from_major(r, "eur")
            .filter(|bps| *bps <= 100_000)
            .map(|bps| bps as i32)
            .ok_or_else(|| {
                ApiError::invalid_data(
                    "tax_rate: a percentage from 0 to 1000, at most two decimals",
                )
            })
    })
    .transpose()
}

async fn set_countries(
    conn: &mut PgConnection,
    region_id: &str,
    countries: &[String],
) -> ApiResult<()> {
    let codes: Vec<String> = countries.iter().map(|c| c.trim().to_lowercase()).collect();
    for code in &codes {
        let owner: Option<Option<String>> = sqlx::query_scalar!(
            "SELECT region_id FROM region_countries WHERE iso_2 = $1 FOR UPDATE",
            code
        )
        .fetch_optional(&mut *conn)
        .await?;
        match owner {
            None => {
                return Err(ApiError::invalid_data(format!(
                    "countries: {code:?} is not a country this store knows"
                )))
            }
            Some(Some(other)) if other != region_id => {
                return Err(ApiError::invalid_data(format!(
                    "countries: {code} already belongs to region {other}"
                )))
            }
            _ => {}
        }
    }
    sqlx::query!(
        "UPDATE region_countries SET region_id = NULL, updated_at = now()
          WHERE region_id = $1 AND NOT (iso_2 = ANY($2))",
        region_id,
        &codes
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE region_countries SET region_id = $1, updated_at = now() WHERE iso_2 = ANY($2)",
        region_id,
        &codes
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn snapshot(conn: &mut PgConnection, id: &str) -> ApiResult<Value> {
    let snapshot = sqlx::query_as!(
        RegionSnapshot,
        "SELECT name, currency_code, tax_rate_bps, is_tax_inclusive FROM regions WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await?;
    to_value(&snapshot)
}

pub async fn create_region(
    state: &AppState,
    actor: &AdminContext,
    input: &RegionInput,
) -> ApiResult<Value> {
    let name = input::name(input.name.as_deref())?;
    let currency = input
        .currency_code
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()))
        .ok_or_else(|| ApiError::invalid_data("currency_code: required, an ISO 4217 code"))?;
    let bps = tax_bps(input.tax_rate.as_ref())?.unwrap_or(0);
    let id = new_id("reg");
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO regions (id, name, currency_code, automatic_taxes, is_tax_inclusive, tax_rate_bps, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &id,
        name,
        &currency,
        input.automatic_taxes.unwrap_or(true),
        input.is_tax_inclusive.unwrap_or(false),
        bps,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, format!("name: a region named {name:?} already exists")))?;
    if let Some(countries) = &input.countries {
        set_countries(&mut tx, &id, countries).await?;
    }
    let after = snapshot(&mut tx, &id).await?;
    audit::created(&mut tx, actor, "region", &id, after).await?;
    state.commit(tx, &[], Stale::Catalog).await?;
    Ok(json!({ "region": regions::retrieve(&state.pool, &id).await? }))
}

/// Updates a region; a tax rate change is audited with the rate before and after.
pub async fn update_region(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &RegionInput,
) -> ApiResult<Value> {
    if !is_well_formed(id, "reg") {
        return Err(ApiError::invalid_data(format!("Invalid region id {id:?}")));
    }
    if input.currency_code.is_some() {
        return Err(ApiError::invalid_data(
            "currency_code: a region's currency cannot change (its prices and carts are in it)",
        ));
    }
    let name = input.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.len() > 200) {
        return Err(ApiError::invalid_data(
            "name: at most 200 characters, not empty",
        ));
    }
    let bps = tax_bps(input.tax_rate.as_ref())?;
    let mut tx = state.pool.begin().await?;
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM regions WHERE id = $1 AND deleted_at IS NULL) AS "exists!""#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        return Err(ApiError::not_found(format!(
            "Region with id: {id} was not found"
        )));
    }
    let before = snapshot(&mut tx, id).await?;
    sqlx::query!(
        "UPDATE regions SET name = coalesce($2, name), automatic_taxes = coalesce($3, automatic_taxes),
                is_tax_inclusive = coalesce($4, is_tax_inclusive), tax_rate_bps = coalesce($5, tax_rate_bps),
                metadata = coalesce($6, metadata), updated_at = now()
          WHERE id = $1",
        id,
        name,
        input.automatic_taxes,
        input.is_tax_inclusive,
        bps,
        input.metadata.as_ref()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, "name: a region with this name already exists"))?;
    if let Some(countries) = &input.countries {
        set_countries(&mut tx, id, countries).await?;
    }
    let after = snapshot(&mut tx, id).await?;
    audit::updated(&mut tx, actor, "region", id, before, after).await?;
    state.commit(tx, &[], Stale::Catalog).await?;
    Ok(json!({ "region": regions::retrieve(&state.pool, id).await? }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionType {
    pub code: String,
    pub label: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionPrice {
    pub currency_code: Option<String>,
    pub region_id: Option<String>,
    pub amount: serde_json::Number,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOptionInput {
    pub name: Option<String>,
    pub region_id: Option<String>,
    /// Only `flat`.
    pub price_type: Option<String>,
    /// Major units of the region's currency; or Medusa's `prices`.
    pub amount: Option<serde_json::Number>,
    pub prices: Option<Vec<OptionPrice>>,
    /// Free when the items reach this (major units).
    pub free_over_amount: Option<serde_json::Number>,
    #[serde(rename = "type")]
    pub option_type: Option<OptionType>,
    pub is_active: Option<bool>,
}

struct OptionRow {
    id: String,
    name: String,
    region_id: String,
    amount: i64,
    free_over_amount: Option<i64>,
    type_code: String,
    type_label: String,
    is_active: bool,
}

async fn render_option(conn: &mut PgConnection, o: &OptionRow) -> ApiResult<AdminShippingOption> {
    let currency: String = sqlx::query_scalar!(
        "SELECT currency_code FROM regions WHERE id = $1",
        &o.region_id
    )
    .fetch_one(conn)
    .await?;
    Ok(AdminShippingOption {
        id: o.id.clone(),
        name: o.name.clone(),
        region_id: o.region_id.clone(),
        price_type: "flat",
        amount: to_major(o.amount, &currency),
        free_over_amount: o.free_over_amount.map(|a| to_major(a, &currency)),
        is_active: o.is_active,
        option_type: OptionTypeBody {
            code: o.type_code.clone(),
            label: o.type_label.clone(),
        },
        prices: vec![OptionPriceBody {
            currency_code: currency.clone(),
            amount: to_major(o.amount, &currency),
        }],
        currency_code: currency,
    })
}

/// The amount in minor units of `currency`, from `amount` or the matching `prices` entry.
fn option_amount(
    input: &ShippingOptionInput,
    currency: &str,
    region_id: &str,
) -> ApiResult<Option<i64>> {
    let number = match (&input.amount, &input.prices) {
        (Some(a), _) => Some(a),
        (None, Some(prices)) => Some(
            &prices
                .iter()
                .find(|p| {
                    p.currency_code.as_deref().map(str::to_lowercase).as_deref() == Some(currency)
                        || p.region_id.as_deref() == Some(region_id)
                })
                .ok_or_else(|| {
                    ApiError::invalid_data(format!(
                        "prices: a price in {currency} (the region's currency) is required"
                    ))
                })?
                .amount,
        ),
        (None, None) => None,
    };
    number
        .map(|n| {
            from_major(n, currency).ok_or_else(|| {
                ApiError::invalid_data(format!("amount: {n} is not an amount of {currency}"))
            })
        })
        .transpose()
}

async fn region_currency(conn: &mut PgConnection, region_id: &str) -> ApiResult<String> {
    sqlx::query_scalar!(
        "SELECT currency_code FROM regions WHERE id = $1 AND deleted_at IS NULL",
        region_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ApiError::invalid_data(format!("region_id: region {region_id} does not exist")))
}

pub async fn create_shipping_option(
    state: &AppState,
    actor: &AdminContext,
    input: &ShippingOptionInput,
) -> ApiResult<Value> {
    let name = input::name(input.name.as_deref())?;
    if input.price_type.as_deref().is_some_and(|t| t != "flat") {
        return Err(ApiError::invalid_data(
            "price_type: only flat prices are supported",
        ));
    }
    let region_id = input
        .region_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid_data("region_id: required"))?;
    let mut tx = state.pool.begin().await?;
    let currency = region_currency(&mut tx, region_id).await?;
    let amount = option_amount(input, &currency, region_id)?
        .ok_or_else(|| ApiError::invalid_data("amount: required (or prices)"))?;
    let free_over = input
        .free_over_amount
        .as_ref()
        .map(|n| {
            from_major(n, &currency).ok_or_else(|| {
                ApiError::invalid_data(format!("free_over_amount: not an amount of {currency}"))
            })
        })
        .transpose()?;
    let (code, label) = input
        .option_type
        .as_ref()
        .map_or(("standard", "Standard"), |t| {
            (t.code.as_str(), t.label.as_str())
        });
    let row = sqlx::query_as!(
        OptionRow,
        "INSERT INTO shipping_options (id, name, region_id, amount, free_over_amount, type_code, type_label, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, name, region_id, amount, free_over_amount, type_code, type_label, is_active",
        new_id("so"),
        name,
        region_id,
        amount,
        free_over,
        code,
        label,
        input.is_active.unwrap_or(true),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| input::duplicate(e, format!("name: the region already has a shipping option {name:?}")))?;
    let body = render_option(&mut tx, &row).await?;
    audit::created(&mut tx, actor, "shipping_option", &row.id, to_value(&body)?).await?;
    tx.commit().await?;
    Ok(json!({ "shipping_option": body }))
}

/// Updates name, price, threshold or `is_active` (deactivate: `false`).
pub async fn update_shipping_option(
    state: &AppState,
    actor: &AdminContext,
    id: &str,
    input: &ShippingOptionInput,
) -> ApiResult<Value> {
    if input.region_id.is_some() {
        return Err(ApiError::invalid_data(
            "region_id: a shipping option cannot move to another region",
        ));
    }
    let mut tx = state.pool.begin().await?;
    let before = sqlx::query_as!(
        OptionRow,
        "SELECT id, name, region_id, amount, free_over_amount, type_code, type_label, is_active FROM shipping_options WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("Shipping option {id} not found")))?;
    let currency = region_currency(&mut tx, &before.region_id).await?;
    let amount = option_amount(input, &currency, &before.region_id)?;
    let name = input.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.len() > 200) {
        return Err(ApiError::invalid_data(
            "name: at most 200 characters, not empty",
        ));
    }
    let row = sqlx::query_as!(
        OptionRow,
        "UPDATE shipping_options SET name = coalesce($2, name), amount = coalesce($3, amount),
                is_active = coalesce($4, is_active), updated_at = now()
          WHERE id = $1 RETURNING id, name, region_id, amount, free_over_amount, type_code, type_label, is_active",
        id,
        name,
        amount,
        input.is_active,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        input::duplicate(
            e,
            "name: the region already has a shipping option with this name",
        )
    })?;
    let before_body = render_option(&mut tx, &before).await?;
    let body = render_option(&mut tx, &row).await?;
    let (before, after) = (to_value(&before_body)?, to_value(&body)?);
    audit::updated(&mut tx, actor, "shipping_option", id, before, after).await?;
    tx.commit().await?;
    Ok(json!({ "shipping_option": body }))
}

pub async fn list_shipping_options(state: &AppState, region_id: Option<&str>) -> ApiResult<Value> {
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query_as!(
        OptionRow,
        "SELECT id, name, region_id, amount, free_over_amount, type_code, type_label, is_active FROM shipping_options WHERE ($1::text IS NULL OR region_id = $1)
          ORDER BY region_id, amount, name",
        region_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(to_value(&render_option(&mut conn, row).await?)?);
    }
    let count = out.len() as i64;
    Ok(store::wire::list("shipping_options", out, count, 0, count))
}
