//! Money is an integer count of minor units with its currency; it becomes a decimal
//! number in major units (Medusa's wire format) only at the edge.

use serde_json::Value;

/// Digits after the decimal point for an ISO 4217 currency (lower-case code).
pub fn minor_digits(currency_code: &str) -> u32 {
    match currency_code {
        "bif" | "clp" | "djf" | "gnf" | "isk" | "jpy" | "kmf" | "krw" | "pyg" | "rwf" | "ugx"
        | "vnd" | "vuv" | "xaf" | "xof" | "xpf" => 0,
        "bhd" | "iqd" | "jod" | "kwd" | "lyd" | "omr" | "tnd" => 3,
        _ => 2,
    }
}

/// `1299` EUR cents → `12.99`. Exact for any amount below 2^53 minor units, since the
/// shortest decimal that round-trips the f64 quotient is the exact decimal.
pub fn to_major(amount: i64, currency_code: &str) -> Value {
    let digits = minor_digits(currency_code);
    if digits == 0 {
        return Value::from(amount);
    }
    let major = amount as f64 / 10f64.powi(digits as i32);
    if major.fract() == 0.0 {
        return Value::from(amount / 10i64.pow(digits));
    }
    serde_json::Number::from_f64(major)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `1050, "eur"` → `"10.50 EUR"`, exact, with integers only (for messages and emails).
pub fn format_money(amount: i64, currency_code: &str) -> String {
    let code = currency_code.to_uppercase();
    let digits = minor_digits(&currency_code.to_lowercase());
    if digits == 0 {
        return format!("{amount} {code}");
    }
    let scale = 10u64.pow(digits);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    format!(
        "{sign}{}.{:0width$} {code}",
        abs / scale,
        abs % scale,
        width = digits as usize
    )
}

/// `12.99` EUR (a JSON number in major units) → `1299`. None for negative numbers,
/// more decimals than the currency has, exponents, or amounts too large.
pub fn from_major(number: &serde_json::Number, currency_code: &str) -> Option<i64> {
    let text = number.to_string();
    if text.starts_with('-') || text.contains(['e', 'E']) {
        return None;
    }
    let digits = minor_digits(currency_code) as usize;
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > digits || whole.len() > 15 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<digits$}").parse().ok()?
    };
    whole
        .checked_mul(10i64.pow(digits as u32))?
        .checked_add(fraction)
}

/// Rounds `numerator / denominator` to the nearest integer, halves away from zero.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(denominator > 0);
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    let rounded = if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    };
    rounded as i64
}

/// Price with and without tax for a rate in basis points, rounded once, half away from
/// zero. A tax-inclusive price has its tax extracted; an exclusive one has it added.
pub fn with_and_without_tax(amount: i64, rate_bps: i32, tax_inclusive: bool) -> (i64, i64) {
    let rate = i128::from(rate_bps);
    if tax_inclusive {
        let net = div_round_half_away(i128::from(amount) * 10_000, 10_000 + rate);
        (amount, net)
    } else {
        let tax = div_round_half_away(i128::from(amount) * rate, 10_000);
        (amount + tax, amount)
    }
}

/// An amount of minor units that serializes as [`to_major`] of its currency: the money
/// fields of a typed response.
#[derive(Debug, Clone, Copy)]
pub struct Money<'a> {
    pub amount: i64,
    pub currency: &'a str,
}

impl<'a> Money<'a> {
    pub fn new(amount: i64, currency: &'a str) -> Self {
        Money { amount, currency }
    }
}

impl serde::Serialize for Money<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        to_major(self.amount, self.currency).serialize(s)
    }
}

/// The integer fields of a totals struct (`totals::Totals`, `LineTotals`, …) as money in
/// one currency, for `#[serde(flatten)]` into a typed response; its other fields (the
/// line or shipping id the totals belong to) are left out.
pub struct TotalsIn<'a, T> {
    pub totals: &'a T,
    pub currency: &'a str,
}

impl<'a, T> TotalsIn<'a, T> {
    pub fn new(totals: &'a T, currency: &'a str) -> Self {
        TotalsIn { totals, currency }
    }
}

impl<T: serde::Serialize> serde::Serialize for TotalsIn<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let Value::Object(fields) = serde_json::to_value(self.totals).map_err(S::Error::custom)?
        else {
            return Err(S::Error::custom("totals must serialize as a map"));
        };
        let mut map = s.serialize_map(None)?;
        for (name, value) in fields {
            if let Some(amount) = value.as_i64() {
                map.serialize_entry(&name, &Money::new(amount, self.currency))?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_amounts_parse_exactly_and_refuse_extra_decimals() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(from_major(&n("12.99"), "eur"), Some(1299));
        assert_eq!(from_major(&n("12.5"), "eur"), Some(1250));
        assert_eq!(from_major(&n("10"), "eur"), Some(1000));
        assert_eq!(from_major(&n("10.0"), "eur"), Some(1000));
        assert_eq!(from_major(&n("500"), "jpy"), Some(500));
        assert_eq!(from_major(&n("12.999"), "eur"), None);
        assert_eq!(from_major(&n("1.5"), "jpy"), None);
        assert_eq!(from_major(&n("-1"), "eur"), None);
        // serde_json reads exponents as the float they denote.
        assert_eq!(from_major(&n("1e3"), "eur"), Some(100_000));
    }

    #[test]
    fn minor_units_become_major_units_on_the_wire() {
        assert_eq!(to_major(1299, "eur").to_string(), "12.99");
        assert_eq!(to_major(1200, "eur").to_string(), "12");
        assert_eq!(to_major(5, "usd").to_string(), "0.05");
        assert_eq!(to_major(1500, "jpy").to_string(), "1500");
        assert_eq!(to_major(1234, "kwd").to_string(), "1.234");
        assert_eq!(to_major(0, "eur").to_string(), "0");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2), 3);
        assert_eq!(div_round_half_away(-5, 2), -3);
        assert_eq!(div_round_half_away(4, 3), 1);
        assert_eq!(div_round_half_away(-4, 3), -1);
    }

    #[test]
    fn tax_is_added_to_exclusive_prices_and_extracted_from_inclusive_ones() {
        // 10.00 + 21 % = 12.10
        assert_eq!(with_and_without_tax(1000, 2100, false), (1210, 1000));
        // 12.10 incl. 21 % → 10.00 net
        assert_eq!(with_and_without_tax(1210, 2100, true), (1210, 1000));
        // 9.99 incl. 19 % → 8.394… → 8.39
        assert_eq!(with_and_without_tax(999, 1900, true), (999, 839));
        assert_eq!(with_and_without_tax(999, 0, false), (999, 999));
    }
}
