//! Which prices a storefront sees: the currency (and tax treatment) of a region, or a
//! bare currency.

use serde_json::{json, Value};
use sqlx::PgPool;

use super::regions::{self, Region};
use crate::error::{ApiError, ApiResult};
use crate::money::{to_major, with_and_without_tax};

#[derive(Debug, Clone)]
pub struct PricingContext {
    pub currency_code: String,
    /// Present when prices are asked for a region (by id or by one of its countries).
    pub region: Option<Region>,
    /// Whether prices carry `calculated_amount_with_tax` and the other tax figures. As in
    /// Medusa, only when a country is known (`country_code`, or the shipping address of
    /// the cart asked with) and the region computes taxes (`automatic_taxes`): with a
    /// region alone, the prices come without them.
    pub shows_taxes: bool,
}

impl PricingContext {
    /// From `region_id`, `country_code` (which picks the region without `region_id`, and
    /// shows taxes) and `currency_code`; None when none is given.
    pub async fn resolve(
        pool: &PgPool,
        region_id: Option<&str>,
        country_code: Option<&str>,
        currency_code: Option<&str>,
    ) -> ApiResult<Option<Self>> {
        let region = match (region_id, country_code) {
            (Some(id), _) => {
                if !crate::id::is_well_formed(id, "reg") {
                    return Err(ApiError::invalid_data(format!(
                        "Invalid request: 'region_id' has a malformed id {id:?} (expected reg_...)"
                    )));
                }
                Some(regions::find(pool, id).await?.ok_or_else(|| {
                    ApiError::not_found(format!("Region with id: {id} was not found"))
                })?)
            }
            (None, Some(country)) => {
                let country = country.to_ascii_lowercase();
                if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(ApiError::invalid_data(format!(
                        "Invalid request: 'country_code' must be a two-letter ISO code, got {country:?}"
                    )));
                }
                Some(
                    regions::find_by_country(pool, &country)
                        .await?
                        .ok_or_else(|| {
                            ApiError::invalid_data(format!(
                                "No region serves the country {country:?}"
                            ))
                        })?,
                )
            }
            (None, None) => None,
        };
        if let Some(region) = region {
            return Ok(Some(PricingContext {
                currency_code: region.currency_code.clone(),
                shows_taxes: region.automatic_taxes && country_code.is_some(),
                region: Some(region),
            }));
        }
        match currency_code {
            None => Ok(None),
            Some(code) => {
                let code = code.to_ascii_lowercase();
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(ApiError::invalid_data(format!(
                        "Invalid request: 'currency_code' must be a three-letter ISO 4217 code, got {code:?}"
                    )));
                }
                Ok(Some(PricingContext {
                    currency_code: code,
                    region: None,
                    shows_taxes: false,
                }))
            }
        }
    }

    /// Medusa's `calculated_price` object for a base price in this context.
    pub fn calculated_price(&self, price_id: &str, amount: i64) -> Value {
        let currency = self.currency_code.as_str();
        let tax_inclusive = self.region.as_ref().is_some_and(|r| r.is_tax_inclusive);
        let price_ref = json!({
            "id": price_id, "price_list_id": null, "price_list_type": null,
            "min_quantity": null, "max_quantity": null,
        });
        let raw = json!({ "value": amount_text(amount, currency), "precision": 20 });
        let mut out = json!({
            "id": price_id,
            "is_calculated_price_price_list": false,
            "is_calculated_price_tax_inclusive": tax_inclusive,
            "calculated_amount": to_major(amount, currency),
            "raw_calculated_amount": raw,
            "is_original_price_price_list": false,
            "is_original_price_tax_inclusive": tax_inclusive,
            "original_amount": to_major(amount, currency),
            "raw_original_amount": raw,
            "currency_code": currency,
            "calculated_price": price_ref,
            "original_price": price_ref,
        });
        if let Some(region) = self.region.as_ref().filter(|_| self.shows_taxes) {
            let (with_tax, without_tax) =
                with_and_without_tax(amount, region.tax_rate_bps, region.is_tax_inclusive);
            let object = out.as_object_mut().expect("built as an object");
            for prefix in ["calculated", "original"] {
                object.insert(
                    format!("{prefix}_amount_with_tax"),
                    to_major(with_tax, currency),
                );
                object.insert(
                    format!("{prefix}_amount_without_tax"),
                    to_major(without_tax, currency),
                );
            }
        }
        out
    }
}

fn amount_text(amount: i64, currency: &str) -> String {
    to_major(amount, currency).to_string()
}
