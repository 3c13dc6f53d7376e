//! Cart and order totals, named as Medusa v2 names them, in integer minor units.
//!
//! Pure: no I/O, no floats. [`compute`] takes the lines, shipping methods and promotions
//! of a cart (or order) and returns every total, per line, per shipping method and for
//! the whole cart, plus the adjustment each promotion made on each line.
//!
//! **Rounding.** A line's price basis is `unit_price × quantity` (gross when the line is
//! tax-inclusive, net otherwise); everything is computed on that line amount, never per
//! unit, so each rounded figure is rounded exactly once per line. Every rounding is to
//! the nearest minor unit, halves away from zero ([`money::div_round_half_away`]), with
//! i128 intermediates. Promotions apply in the given order, before tax, on the price
//! basis, and each takes at most what is left of a line after the earlier ones, so no
//! line goes below 0 and a 100 % discount leaves the line and its tax at exactly 0.
//! A percentage rounds once per line (`round(remaining × bps / 10000)`). A fixed amount
//! shared by several lines is first capped at what is left of those lines, then split in
//! proportion to what is left of each by the largest-remainder method: every line gets
//! the floor of its exact share, and the cents still missing go one each to the lines
//! with the largest remainders, earlier lines first on ties (1.00 over three equal lines
//! is 0.34 + 0.33 + 0.33). Tax is computed once per line from its discounted amount:
//! added to exclusive amounts (`round(net × rate)`), extracted from inclusive ones
//! (`gross − round(gross × 10000 / (10000 + rate))`), the same rounding as
//! `calculated_price`. The discount's share of the tax is the difference between the
//! tax before and after discounts, so per line `total = subtotal − discount_subtotal +
//! tax_total` and `total = original_total − discount_total` hold exactly. Cart totals are
//! plain sums of the line and shipping figures, never recomputed from a rate.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::money;

/// A cart or order line as the totals need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub id: String,
    pub product_id: String,
    pub variant_id: String,
    /// Minor units; gross when `is_tax_inclusive`, net otherwise.
    pub unit_price: i64,
    pub quantity: i64,
    pub is_tax_inclusive: bool,
    /// Basis points: 2100 = 21 %.
    pub tax_rate_bps: i32,
    pub discountable: bool,
}

/// A shipping method as the totals need it (shipping is never discounted for now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingInput {
    pub id: String,
    pub amount: i64,
    pub is_tax_inclusive: bool,
    pub tax_rate_bps: i32,
}

/// A promotion applied to the cart, in application order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionInput {
    pub id: String,
    pub code: String,
    pub method: DiscountMethod,
    pub target: DiscountTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountMethod {
    /// 1000 = 10 %, at most 10000.
    Percentage { bps: i32 },
    /// Minor units of the cart's currency.
    Fixed { amount: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountTarget {
    /// Every discountable line; a fixed amount is split across them.
    Order,
    /// Discountable lines whose product or variant is listed. A fixed amount is taken
    /// off each unit when `per_unit`, otherwise split across the matching lines.
    /// `per_unit` makes no difference to a percentage.
    Items {
        product_ids: Vec<String>,
        variant_ids: Vec<String>,
        per_unit: bool,
    },
}

/// Every total of a cart or order, with Medusa's field names. Read back from an order,
/// a total the order was stored without is 0.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Totals {
    pub item_subtotal: i64,
    pub item_tax_total: i64,
    pub item_total: i64,
    pub item_discount_total: i64,
    pub original_item_subtotal: i64,
    pub original_item_tax_total: i64,
    pub original_item_total: i64,
    pub shipping_subtotal: i64,
    pub shipping_tax_total: i64,
    pub shipping_total: i64,
    pub shipping_discount_total: i64,
    pub original_shipping_subtotal: i64,
    pub original_shipping_tax_total: i64,
    pub original_shipping_total: i64,
    pub subtotal: i64,
    pub tax_total: i64,
    pub discount_total: i64,
    pub discount_subtotal: i64,
    pub discount_tax_total: i64,
    pub original_total: i64,
    pub original_tax_total: i64,
    pub total: i64,
    pub credit_line_subtotal: i64,
    pub credit_line_tax_total: i64,
    pub credit_line_total: i64,
}

/// The totals of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineTotals {
    pub line_id: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The totals of one shipping method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingTotals {
    pub shipping_id: String,
    #[serde(flatten)]
    pub figures: Figures,
}

impl std::ops::Deref for LineTotals {
    type Target = Figures;
    fn deref(&self) -> &Figures {
        &self.figures
    }
}

impl std::ops::Deref for ShippingTotals {
    type Target = Figures;
    fn deref(&self) -> &Figures {
        &self.figures
    }
}

/// What one promotion took off one line's price basis (before tax; gross for a
/// tax-inclusive line). Only non-zero adjustments are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub line_id: String,
    pub promotion_id: String,
    pub code: String,
    pub amount: i64,
}

/// Everything [`compute`] returns. `lines` and `shipping` follow the input order;
/// `adjustments` are ordered by promotion, then by line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Computed {
    pub totals: Totals,
    pub lines: Vec<LineTotals>,
    pub shipping: Vec<ShippingTotals>,
    pub adjustments: Vec<Adjustment>,
}

/// A line's price basis: `unit_price × quantity`.
pub fn line_basis(line: &LineInput) -> i64 {
    to_i64(i128::from(line.unit_price) * i128::from(line.quantity))
}

/// The sum of the lines' price bases before discounts (what [`check_rules`] takes).
pub fn item_basis_total(lines: &[LineInput]) -> i64 {
    to_i64(lines.iter().map(|l| i128::from(line_basis(l))).sum())
}

/// Computes every total. Inputs are assumed validated (quantities ≥ 1, amounts ≥ 0,
/// percentages within 0..=10000, tax rates ≥ 0) and small enough that each figure and
/// each sum fits in an i64 (it panics otherwise rather than return wrong money).
pub fn compute(
    lines: &[LineInput],
    shipping: &[ShippingInput],
    promotions: &[PromotionInput],
) -> Computed {
    let bases: Vec<i64> = lines.iter().map(line_basis).collect();
    let (discounts, adjustments) = apply_promotions(lines, &bases, promotions);
    let line_totals = line_totals(lines, &bases, &discounts);
    let shipping_totals = shipping_totals(shipping);
    let totals = cart_totals(&line_totals, &shipping_totals);
    Computed {
        totals,
        lines: line_totals,
        shipping: shipping_totals,
        adjustments,
    }
}

/// Applies the promotions in order, each on what the earlier ones left of a line, and
/// returns the discount taken off each line with the non-zero adjustments behind it.
fn apply_promotions(
    lines: &[LineInput],
    bases: &[i64],
    promotions: &[PromotionInput],
) -> (Vec<i64>, Vec<Adjustment>) {
    let mut remaining = bases.to_vec();
    let mut discounts = vec![0i64; lines.len()];
    let mut adjustments = Vec::new();

    for promotion in promotions {
        let eligible: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].discountable && targets(&promotion.target, &lines[i]))
            .collect();
        let amounts = promotion_amounts(promotion, lines, &eligible, &remaining);
        for (&i, amount) in eligible.iter().zip(amounts) {
            let amount = amount.clamp(0, remaining[i]);
            if amount == 0 {
                continue;
            }
            remaining[i] -= amount;
            discounts[i] += amount;
            adjustments.push(Adjustment {
                line_id: lines[i].id.clone(),
                promotion_id: promotion.id.clone(),
                code: promotion.code.clone(),
                amount,
            });
        }
    }
    (discounts, adjustments)
}

/// What one promotion wants off each eligible line (in `eligible` order), before it is
/// capped at what is left of the line.
fn promotion_amounts(
    promotion: &PromotionInput,
    lines: &[LineInput],
    eligible: &[usize],
    remaining: &[i64],
) -> Vec<i64> {
    match (&promotion.method, &promotion.target) {
        (DiscountMethod::Percentage { bps }, _) => eligible
            .iter()
            .map(|&i| {
                money::div_round_half_away(i128::from(remaining[i]) * i128::from(*bps), 10_000)
            })
            .collect(),
        (DiscountMethod::Fixed { amount }, DiscountTarget::Items { per_unit: true, .. }) => {
            eligible
                .iter()
                .map(|&i| {
                    let wanted = i128::from(*amount) * i128::from(lines[i].quantity);
                    to_i64(wanted.min(i128::from(remaining[i])))
                })
                .collect()
        }
        (DiscountMethod::Fixed { amount }, _) => {
            let weights: Vec<i64> = eligible.iter().map(|&i| remaining[i]).collect();
            split_largest_remainder(*amount, &weights)
        }
    }
}

/// The totals of each line from its price basis and the discount the promotions took.
fn line_totals(lines: &[LineInput], bases: &[i64], discounts: &[i64]) -> Vec<LineTotals> {
    lines
        .iter()
        .zip(bases.iter().zip(discounts))
        .map(|(line, (&basis, &discount))| LineTotals {
            line_id: line.id.clone(),
            figures: figures(basis, discount, line.tax_rate_bps, line.is_tax_inclusive),
        })
        .collect()
}

/// The totals of each shipping method; shipping is never discounted for now.
fn shipping_totals(shipping: &[ShippingInput]) -> Vec<ShippingTotals> {
    shipping
        .iter()
        .map(|method| ShippingTotals {
            shipping_id: method.id.clone(),
            figures: figures(
                method.amount,
                0,
                method.tax_rate_bps,
                method.is_tax_inclusive,
            ),
        })
        .collect()
}

/// The cart's totals: plain sums of the line and shipping figures, never recomputed
/// from a rate, so they always add up to what each line shows.
fn cart_totals(line_totals: &[LineTotals], shipping_totals: &[ShippingTotals]) -> Totals {
    let li = |f: fn(&LineTotals) -> i64| sum(line_totals.iter().map(f));
    let sh = |f: fn(&ShippingTotals) -> i64| sum(shipping_totals.iter().map(f));
    let item_subtotal = li(|l| l.subtotal);
    let item_tax_total = li(|l| l.tax_total);
    let item_total = li(|l| l.total);
    let item_discount_total = li(|l| l.discount_total);
    let original_item_subtotal = li(|l| l.original_subtotal);
    let original_item_tax_total = li(|l| l.original_tax_total);
    let original_item_total = li(|l| l.original_total);
    let shipping_subtotal = sh(|s| s.subtotal);
    let shipping_tax_total = sh(|s| s.tax_total);
    let shipping_total = sh(|s| s.total);
    let shipping_discount_total = sh(|s| s.discount_total);
    let original_shipping_subtotal = sh(|s| s.original_subtotal);
    let original_shipping_tax_total = sh(|s| s.original_tax_total);
    let original_shipping_total = sh(|s| s.original_total);
    let add = |a: i64, b: i64| sum([a, b].into_iter());

    Totals {
        item_subtotal,
        item_tax_total,
        item_total,
        item_discount_total,
        original_item_subtotal,
        original_item_tax_total,
        original_item_total,
        shipping_subtotal,
        shipping_tax_total,
        shipping_total,
        shipping_discount_total,
        original_shipping_subtotal,
        original_shipping_tax_total,
        original_shipping_total,
        subtotal: add(item_subtotal, shipping_subtotal),
        tax_total: add(item_tax_total, shipping_tax_total),
        discount_total: add(item_discount_total, shipping_discount_total),
        discount_subtotal: add(li(|l| l.discount_subtotal), sh(|s| s.discount_subtotal)),
        discount_tax_total: add(li(|l| l.discount_tax_total), sh(|s| s.discount_tax_total)),
        original_total: add(original_item_total, original_shipping_total),
        original_tax_total: add(original_item_tax_total, original_shipping_tax_total),
        total: add(item_total, shipping_total),
        credit_line_subtotal: 0,
        credit_line_tax_total: 0,
        credit_line_total: 0,
    }
}

/// Whether a promotion's target covers a line (discountability is checked apart).
fn targets(target: &DiscountTarget, line: &LineInput) -> bool {
    match target {
        DiscountTarget::Order => true,
        DiscountTarget::Items {
            product_ids,
            variant_ids,
            ..
        } => product_ids.contains(&line.product_id) || variant_ids.contains(&line.variant_id),
    }
}

/// Splits `min(amount, Σ weights)` in proportion to `weights` (all ≥ 0) by the
/// largest-remainder method; ties go to the earlier weight. The pieces sum exactly to
/// the capped amount and no piece exceeds its weight.
fn split_largest_remainder(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|&w| i128::from(w.max(0))).sum();
    let amount = i128::from(amount.max(0)).min(total);
    if amount == 0 {
        return vec![0; weights.len()];
    }
    let mut pieces = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for &w in weights {
        let exact = amount * i128::from(w.max(0));
        pieces.push(exact / total);
        remainders.push(exact % total);
    }
    let leftover = amount - pieces.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable sort: equal remainders keep line order.
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]));
    for &i in order.iter().take(to_usize(leftover)) {
        pieces[i] += 1;
    }
    pieces.into_iter().map(to_i64).collect()
}

/// The figures of one line or shipping method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    pub discount_total: i64,
    pub discount_subtotal: i64,
    pub discount_tax_total: i64,
    pub original_total: i64,
    pub original_subtotal: i64,
    pub original_tax_total: i64,
}

/// `basis` is the undiscounted amount (gross when `inclusive`), `discount` what the
/// promotions took off it (0 ≤ discount ≤ basis).
fn figures(basis: i64, discount: i64, rate_bps: i32, inclusive: bool) -> Figures {
    let tax = |amount: i64| {
        let (with_tax, without_tax) = money::with_and_without_tax(amount, rate_bps, inclusive);
        to_i64(i128::from(with_tax) - i128::from(without_tax))
    };
    let discounted = basis - discount;
    let original_tax_total = tax(basis);
    let tax_total = tax(discounted);
    let discount_tax_total = original_tax_total - tax_total;
    let (subtotal, discount_subtotal) = if inclusive {
        (basis - original_tax_total, discount - discount_tax_total)
    } else {
        (basis, discount)
    };
    Figures {
        subtotal,
        tax_total,
        total: sum([subtotal, -discount_subtotal, tax_total].into_iter()),
        discount_total: discount_subtotal + discount_tax_total,
        discount_subtotal,
        discount_tax_total,
        original_total: sum([subtotal, original_tax_total].into_iter()),
        original_subtotal: subtotal,
        original_tax_total,
    }
}

fn sum(values: impl Iterator<Item = i64>) -> i64 {
    to_i64(values.map(i128::from).sum())
}

fn to_i64(value: i128) -> i64 {
    i64::try_from(value).expect("money total out of i64 range: inputs beyond validated bounds")
}

fn to_usize(value: i128) -> usize {
    usize::try_from(value).expect("leftover cents are fewer than the lines")
}

/// The conditions under which a promotion may be applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PromotionRules {
    /// Valid from this instant on (inclusive).
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until this instant (exclusive).
    pub ends_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
    pub usage_count: i64,
    /// Minimum of the lines' price bases before discounts, in minor units.
    pub min_item_subtotal: Option<i64>,
    /// The currency a fixed amount is in (lower-case ISO 4217); `None` for any.
    pub currency_code: Option<String>,
    pub is_active: bool,
}

/// Why a promotion cannot be applied (checked in this order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("the promotion is not active")]
    Inactive,
    #[error("the promotion has not started yet (it starts at {})", .starts_at.to_rfc3339())]
    NotStarted { starts_at: DateTime<Utc> },
    #[error("the promotion has expired (it ended at {})", .ended_at.to_rfc3339())]
    Expired { ended_at: DateTime<Utc> },
    #[error("the promotion's usage limit of {limit} has been reached")]
    UsageLimitReached { limit: i64 },
    #[error(
        "the promotion is in {}, the cart in {}",
        .promotion_currency.to_uppercase(),
        .cart_currency.to_uppercase()
    )]
    WrongCurrency {
        promotion_currency: String,
        cart_currency: String,
    },
    #[error(
        "the cart's items come to {}, below the promotion's minimum of {}",
        money::format_money(*.item_subtotal, .currency_code),
        money::format_money(*.minimum, .currency_code)
    )]
    BelowMinimum {
        minimum: i64,
        item_subtotal: i64,
        currency_code: String,
    },
}

/// Whether a promotion with these rules may apply to a cart in `cart_currency` whose
/// lines' price bases add up to `item_basis_total` (see [`item_basis_total`]).
/// Valid from `starts_at` (inclusive) until `ends_at` (exclusive).
pub fn check_rules(
    rules: &PromotionRules,
    now: DateTime<Utc>,
    cart_currency: &str,
    item_basis_total: i64,
) -> Result<(), Ineligible> {
    if !rules.is_active {
        return Err(Ineligible::Inactive);
    }
    if let Some(starts_at) = rules.starts_at {
        if now < starts_at {
            return Err(Ineligible::NotStarted { starts_at });
        }
    }
    if let Some(ended_at) = rules.ends_at {
        if now >= ended_at {
            return Err(Ineligible::Expired { ended_at });
        }
    }
    if let Some(limit) = rules.usage_limit {
        if rules.usage_count >= limit {
            return Err(Ineligible::UsageLimitReached { limit });
        }
    }
    if let Some(currency) = &rules.currency_code {
        if !currency.eq_ignore_ascii_case(cart_currency) {
            return Err(Ineligible::WrongCurrency {
                promotion_currency: currency.to_lowercase(),
                cart_currency: cart_currency.to_lowercase(),
            });
        }
    }
    if let Some(minimum) = rules.min_item_subtotal {
        if item_basis_total < minimum {
            return Err(Ineligible::BelowMinimum {
                minimum,
                item_subtotal: item_basis_total,
                currency_code: cart_currency.to_lowercase(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_totals_missing_a_field_read_it_as_zero() {
        let totals: Totals = serde_json::from_str(r#"{"total": 1250, "tax_total": 200}"#).unwrap();
        assert_eq!(totals.total, 1250);
        assert_eq!(totals.tax_total, 200);
        assert_eq!(totals.discount_total, 0);
    }
    use chrono::TimeZone;

    fn line(id: &str, unit_price: i64, quantity: i64, inclusive: bool, rate: i32) -> LineInput {
        LineInput {
            id: id.into(),
            product_id: format!("prod_{id}"),
            variant_id: format!("variant_{id}"),
            unit_price,
            quantity,
            is_tax_inclusive: inclusive,
            tax_rate_bps: rate,
            discountable: true,
        }
    }

    fn ship(id: &str, amount: i64, inclusive: bool, rate: i32) -> ShippingInput {
        ShippingInput {
            id: id.into(),
            amount,
            is_tax_inclusive: inclusive,
            tax_rate_bps: rate,
        }
    }

    fn percent(id: &str, bps: i32, target: DiscountTarget) -> PromotionInput {
        PromotionInput {
            id: id.into(),
            code: id.to_uppercase(),
            method: DiscountMethod::Percentage { bps },
            target,
        }
    }

    fn fixed(id: &str, amount: i64, target: DiscountTarget) -> PromotionInput {
        PromotionInput {
            id: id.into(),
            code: id.to_uppercase(),
            method: DiscountMethod::Fixed { amount },
            target,
        }
    }

    fn items(products: &[&str], variants: &[&str], per_unit: bool) -> DiscountTarget {
        DiscountTarget::Items {
            product_ids: products.iter().map(|s| s.to_string()).collect(),
            variant_ids: variants.iter().map(|s| s.to_string()).collect(),
            per_unit,
        }
    }

    fn adjustment_amounts(c: &Computed) -> Vec<(&str, &str, i64)> {
        c.adjustments
            .iter()
            .map(|a| (a.line_id.as_str(), a.promotion_id.as_str(), a.amount))
            .collect()
    }

    /// (subtotal, discount_subtotal, tax_total, total) of a line.
    fn brief(l: &LineTotals) -> (i64, i64, i64, i64) {
        (l.subtotal, l.discount_subtotal, l.tax_total, l.total)
    }

    #[test]
    fn without_promotions_exclusive_tax_is_added_per_line_and_summed() {
        let lines = [
            line("a", 1000, 2, false, 2100),
            line("b", 599, 1, false, 2100),
        ];
        let c = compute(&lines, &[], &[]);
        // 20.00 + 21 % = 4.20; 5.99 × 21 % = 1.2579 → 1.26
        assert_eq!(brief(&c.lines[0]), (2000, 0, 420, 2420));
        assert_eq!(brief(&c.lines[1]), (599, 0, 126, 725));
        let t = &c.totals;
        assert_eq!(
            (t.item_subtotal, t.item_tax_total, t.item_total),
            (2599, 546, 3145)
        );
        assert_eq!((t.subtotal, t.tax_total, t.total), (2599, 546, 3145));
        assert_eq!((t.original_total, t.original_tax_total), (3145, 546));
        assert_eq!((t.discount_total, t.discount_tax_total), (0, 0));
        assert!(c.adjustments.is_empty());
    }

    #[test]
    fn inclusive_prices_have_their_tax_extracted() {
        let c = compute(&[line("a", 1210, 1, true, 2100)], &[], &[]);
        let l = &c.lines[0];
        assert_eq!(brief(l), (1000, 0, 210, 1210));
        assert_eq!((l.original_total, l.original_tax_total), (1210, 210));
        // 9.99 × 3 incl. 19 %: 29.97 / 1.19 = 25.184… → 25.18 net, 4.79 tax, once per line
        let c = compute(&[line("b", 999, 3, true, 1900)], &[], &[]);
        assert_eq!(brief(&c.lines[0]), (2518, 0, 479, 2997));
    }

    #[test]
    fn odd_cents_of_a_fixed_discount_go_to_the_first_lines_and_sum_exactly() {
        let lines = [
            line("a", 1000, 1, false, 0),
            line("b", 1000, 1, false, 0),
            line("c", 1000, 1, false, 0),
        ];
        let c = compute(&lines, &[], &[fixed("p", 100, DiscountTarget::Order)]);
        assert_eq!(
            adjustment_amounts(&c),
            [("a", "p", 34), ("b", "p", 33), ("c", "p", 33)]
        );
        assert_eq!(c.totals.discount_total, 100);
        assert_eq!(c.totals.total, 2900);
        // Unequal lines: 5.00 over 10.00 + 1.00 → 4.545… + 0.454… → 4.55 + 0.45
        let lines = [line("a", 1000, 1, false, 0), line("b", 100, 1, false, 0)];
        let c = compute(&lines, &[], &[fixed("p", 500, DiscountTarget::Order)]);
        assert_eq!(adjustment_amounts(&c), [("a", "p", 455), ("b", "p", 45)]);
    }

    #[test]
    fn a_full_discount_leaves_total_and_tax_at_zero() {
        let lines = [
            line("a", 1999, 3, false, 2100),
            line("b", 1210, 1, true, 2100),
        ];
        let c = compute(&lines, &[], &[percent("p", 10_000, DiscountTarget::Order)]);
        for l in &c.lines {
            assert_eq!((l.total, l.tax_total), (0, 0), "{l:?}");
            assert_eq!(l.discount_total, l.original_total);
        }
        assert_eq!(c.lines[0].discount_tax_total, 1259); // 59.97 × 21 % = 12.5937
        assert_eq!(c.lines[1].discount_subtotal, 1000);
        assert_eq!((c.totals.total, c.totals.tax_total), (0, 0));
        assert_eq!(c.totals.discount_total, c.totals.original_total);
    }

    #[test]
    fn a_percentage_off_an_inclusive_price_splits_into_net_and_tax() {
        let c = compute(
            &[line("a", 1210, 1, true, 2100)],
            &[],
            &[percent("p", 1000, DiscountTarget::Order)],
        );
        let l = &c.lines[0];
        assert_eq!(adjustment_amounts(&c), [("a", "p", 121)]);
        // 10.89 incl. 21 % = 9.00 + 1.89; the discount was 1.00 net + 0.21 tax
        assert_eq!(brief(l), (1000, 100, 189, 1089));
        assert_eq!((l.discount_total, l.discount_tax_total), (121, 21));
        assert_eq!((l.original_total, l.original_tax_total), (1210, 210));
    }

    #[test]
    fn a_fixed_discount_larger_than_the_cart_is_capped_at_the_cart() {
        let lines = [
            line("a", 500, 1, false, 1000),
            line("b", 300, 1, false, 1000),
        ];
        let c = compute(
            &lines,
            &[ship("s", 495, false, 0)],
            &[fixed("p", 10_000, DiscountTarget::Order)],
        );
        assert_eq!(adjustment_amounts(&c), [("a", "p", 500), ("b", "p", 300)]);
        let t = &c.totals;
        assert_eq!((t.item_total, t.item_tax_total), (0, 0));
        assert_eq!((t.item_discount_total, t.discount_total), (880, 880));
        assert_eq!(t.total, 495);
    }

    #[test]
    fn stacked_promotions_never_drive_a_line_negative() {
        let c = compute(
            &[line("a", 1000, 1, false, 0)],
            &[],
            &[
                percent("p1", 6000, DiscountTarget::Order),
                fixed("p2", 500, DiscountTarget::Order),
                fixed("p3", 500, DiscountTarget::Order),
            ],
        );
        assert_eq!(adjustment_amounts(&c), [("a", "p1", 600), ("a", "p2", 400)]);
        assert_eq!(c.lines[0].total, 0);

        // The second promotion is split by what the first one left.
        let c = compute(
            &[line("a", 1000, 1, false, 0), line("b", 1000, 1, false, 0)],
            &[],
            &[
                percent("p1", 9000, items(&["prod_a"], &[], false)),
                fixed("p2", 500, DiscountTarget::Order),
            ],
        );
        assert_eq!(
            adjustment_amounts(&c),
            [("a", "p1", 900), ("a", "p2", 45), ("b", "p2", 455)]
        );
        assert_eq!((c.lines[0].total, c.lines[1].total), (55, 545));
    }

    #[test]
    fn an_item_promotion_touches_only_the_listed_products_and_variants() {
        let lines = [
            line("a", 1000, 1, false, 0),
            line("b", 1000, 1, false, 0),
            line("c", 1000, 1, false, 0),
        ];
        let c = compute(
            &lines,
            &[],
            &[percent(
                "p",
                1000,
                items(&["prod_a"], &["variant_c"], false),
            )],
        );
        assert_eq!(adjustment_amounts(&c), [("a", "p", 100), ("c", "p", 100)]);
        assert_eq!(c.lines[1].discount_total, 0);
        // A fixed amount split over the matching lines only.
        let c = compute(
            &lines,
            &[],
            &[fixed("p", 300, items(&["prod_b"], &[], false))],
        );
        assert_eq!(adjustment_amounts(&c), [("b", "p", 300)]);
    }

    #[test]
    fn a_per_unit_fixed_discount_comes_off_every_unit_capped_per_line() {
        let lines = [line("a", 1000, 3, false, 0), line("b", 100, 2, false, 0)];
        let c = compute(
            &lines,
            &[],
            &[fixed("p", 250, items(&["prod_a", "prod_b"], &[], true))],
        );
        assert_eq!(adjustment_amounts(&c), [("a", "p", 750), ("b", "p", 200)]);
        assert_eq!((c.lines[0].total, c.lines[1].total), (2250, 0));
    }

    #[test]
    fn non_discountable_lines_are_left_alone() {
        let mut gift_card = line("b", 2000, 1, false, 0);
        gift_card.discountable = false;
        let lines = [line("a", 1000, 1, false, 0), gift_card];
        let c = compute(
            &lines,
            &[],
            &[
                percent("p1", 5000, DiscountTarget::Order),
                fixed("p2", 1000, DiscountTarget::Order),
                fixed("p3", 100, items(&["prod_b"], &[], true)),
            ],
        );
        assert_eq!(adjustment_amounts(&c), [("a", "p1", 500), ("a", "p2", 500)]);
        assert_eq!((c.lines[1].discount_total, c.lines[1].total), (0, 2000));
    }

    #[test]
    fn shipping_is_taxed_like_a_line_and_never_discounted() {
        let c = compute(
            &[line("a", 1000, 1, false, 0)],
            &[ship("s1", 500, false, 2100), ship("s2", 605, true, 2100)],
            &[percent("p", 10_000, DiscountTarget::Order)],
        );
        let s = &c.shipping;
        assert_eq!((s[0].subtotal, s[0].tax_total, s[0].total), (500, 105, 605));
        assert_eq!((s[1].subtotal, s[1].tax_total, s[1].total), (500, 105, 605));
        assert_eq!(s[1].shipping_id, "s2");
        assert_eq!((s[0].original_total, s[0].discount_total), (605, 0));
        let t = &c.totals;
        assert_eq!(
            (t.shipping_subtotal, t.shipping_tax_total, t.shipping_total),
            (1000, 210, 1210)
        );
        assert_eq!(
            (t.original_shipping_total, t.shipping_discount_total),
            (1210, 0)
        );
        assert_eq!((t.subtotal, t.total, t.tax_total), (2000, 1210, 210));
    }

    #[test]
    fn huge_but_valid_amounts_do_not_overflow() {
        // 10^12 × 10^6 = 10^18 minor units; products with rates and splits need i128.
        let lines = [
            line("a", 1_000_000_000_000, 1_000_000, false, 2100),
            line("b", 1_000_000_000_000, 3, true, 2100),
        ];
        let c = compute(
            &lines,
            &[],
            &[
                percent("p1", 3333, items(&["prod_a"], &[], false)),
                fixed("p2", 500_000_000_000_000_001, DiscountTarget::Order),
            ],
        );
        assert_eq!(c.adjustments[0].amount, 333_300_000_000_000_000);
        let taken: i64 = c.adjustments.iter().map(|a| a.amount).sum();
        assert_eq!(taken, 333_300_000_000_000_000 + 500_000_000_000_000_001);
        // a keeps 666_700_000_000_000_000 × 500_000_000_000_000_001 / 666_703_000_000_000_000
        // rounded down; b's larger remainder gets the last cent.
        assert_eq!(c.adjustments[1].amount, 499_997_750_122_618_318);
        assert_eq!(c.adjustments[2].amount, 2_249_877_381_683);
        // (10^18 − both discounts) × 21 %, rounded half away.
        assert_eq!(c.lines[0].tax_total, 35_007_472_474_250_153);
        assert_eq!(
            c.totals.total,
            c.totals.original_total - c.totals.discount_total
        );
    }

    #[test]
    fn totals_serialize_with_medusa_field_names() {
        let c = compute(&[line("a", 1210, 1, true, 2100)], &[], &[]);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["totals"]["item_subtotal"], 1000);
        assert_eq!(json["totals"]["original_item_total"], 1210);
        assert_eq!(json["totals"]["credit_line_total"], 0);
        assert_eq!(json["lines"][0]["line_id"], "a");
        assert_eq!(json["lines"][0]["original_tax_total"], 210);
        assert_eq!(json["totals"].as_object().unwrap().len(), 25);
    }

    /// splitmix64: a small deterministic generator for the property test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> i64 {
            (self.next() % n) as i64
        }
        fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
            xs[self.below(xs.len() as u64) as usize]
        }
    }

    fn random_cart(rng: &mut Rng) -> (Vec<LineInput>, Vec<ShippingInput>, Vec<PromotionInput>) {
        let rates = [0, 500, 700, 1900, 2000, 2100, 2500, 10_000];
        let lines: Vec<LineInput> = (0..rng.below(6) + 1)
            .map(|i| LineInput {
                id: format!("l{i}"),
                product_id: format!("p{}", rng.below(4)),
                variant_id: format!("v{}", rng.below(6)),
                unit_price: rng.pick(&[0, 1, 3, 99, 1999]).max(rng.below(50_000)),
                quantity: rng.below(7) + 1,
                is_tax_inclusive: rng.below(2) == 0,
                tax_rate_bps: rng.pick(&rates),
                discountable: rng.below(5) != 0,
            })
            .collect();
        let shipping = (0..rng.below(3))
            .map(|i| ShippingInput {
                id: format!("s{i}"),
                amount: rng.below(3000),
                is_tax_inclusive: rng.below(2) == 0,
                tax_rate_bps: rng.pick(&rates),
            })
            .collect();
        let promotions = (0..rng.below(4))
            .map(|i| {
                let method = if rng.below(2) == 0 {
                    DiscountMethod::Percentage {
                        bps: rng.pick(&[1, 333, 1000, 2500, 5000, 6667, 10_000]),
                    }
                } else {
                    DiscountMethod::Fixed {
                        amount: rng.pick(&[0, 1, 7, 100, 999, 5000, 1_000_000]),
                    }
                };
                let target = if rng.below(2) == 0 {
                    DiscountTarget::Order
                } else {
                    DiscountTarget::Items {
                        product_ids: (0..rng.below(3))
                            .map(|_| format!("p{}", rng.below(4)))
                            .collect(),
                        variant_ids: (0..rng.below(3))
                            .map(|_| format!("v{}", rng.below(6)))
                            .collect(),
                        per_unit: rng.below(2) == 0,
                    }
                };
                PromotionInput {
                    id: format!("promo{i}"),
                    code: format!("CODE{i}"),
                    method,
                    target,
                }
            })
            .collect();
        (lines, shipping, promotions)
    }

    fn tax_of(amount: i64, rate: i32, inclusive: bool) -> i64 {
        let r = i128::from(rate);
        let a = i128::from(amount);
        if inclusive {
            amount - money::div_round_half_away(a * 10_000, 10_000 + r)
        } else {
            money::div_round_half_away(a * r, 10_000)
        }
    }

    #[test]
    fn every_invariant_holds_for_many_generated_carts() {
        let mut rng = Rng(0x5EED);
        let mut discounted_carts = 0;
        for case in 0..5000 {
            let (lines, shipping, promotions) = random_cart(&mut rng);
            let c = compute(&lines, &shipping, &promotions);
            let ctx = format!("case {case}: {lines:?} {shipping:?} {promotions:?} → {c:?}");

            // Adjustments: non-zero, ordered by promotion then line, each promotion takes
            // exactly what the reference model says, and only from eligible lines.
            let mut remaining: Vec<i64> = lines.iter().map(line_basis).collect();
            let mut adjs = c.adjustments.iter().peekable();
            for p in &promotions {
                let eligible: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].discountable && targets(&p.target, &lines[i]))
                    .collect();
                let room: i64 = eligible.iter().map(|&i| remaining[i]).sum();
                let expected: Vec<i64> = match (&p.method, &p.target) {
                    (DiscountMethod::Percentage { bps }, _) => eligible
                        .iter()
                        .map(|&i| {
                            money::div_round_half_away(
                                i128::from(remaining[i]) * i128::from(*bps),
                                10_000,
                            )
                        })
                        .collect(),
                    (
                        DiscountMethod::Fixed { amount },
                        DiscountTarget::Items { per_unit: true, .. },
                    ) => eligible
                        .iter()
                        .map(|&i| (amount * lines[i].quantity).min(remaining[i]))
                        .collect(),
                    (DiscountMethod::Fixed { amount }, _) => {
                        // Only the total is pinned; each piece is within one cent of
                        // its exact proportional share.
                        let capped = (*amount).min(room);
                        let mut got = vec![0; eligible.len()];
                        while let Some(a) = adjs.peek().filter(|a| a.promotion_id == p.id) {
                            let k = eligible
                                .iter()
                                .position(|&i| lines[i].id == a.line_id)
                                .unwrap_or_else(|| panic!("ineligible line {ctx}"));
                            got[k] = a.amount;
                            adjs.next();
                        }
                        assert_eq!(got.iter().sum::<i64>(), capped, "{ctx}");
                        let r = i128::from(room.max(1));
                        for (k, &i) in eligible.iter().enumerate() {
                            let exact = i128::from(capped) * i128::from(remaining[i]);
                            let share = i128::from(got[k]) * r;
                            assert!(share + r > exact && share - r < exact, "{ctx}");
                            remaining[i] -= got[k];
                        }
                        continue;
                    }
                };
                for (&i, want) in eligible.iter().zip(expected) {
                    if want == 0 {
                        continue;
                    }
                    let a = adjs.next().unwrap_or_else(|| panic!("missing {ctx}"));
                    assert_eq!(
                        (a.line_id.as_str(), a.promotion_id.as_str(), a.amount),
                        (lines[i].id.as_str(), p.id.as_str(), want),
                        "{ctx}"
                    );
                    assert_eq!(a.code, p.code);
                    remaining[i] -= want;
                }
            }
            assert!(adjs.next().is_none(), "extra adjustments {ctx}");
            assert!(c.adjustments.iter().all(|a| a.amount > 0), "{ctx}");
            if !c.adjustments.is_empty() {
                discounted_carts += 1;
            }

            // Lines: same order, the identities, the tax rule, nothing negative.
            assert_eq!(c.lines.len(), lines.len());
            for ((l, input), left) in c.lines.iter().zip(&lines).zip(&remaining) {
                assert_eq!(l.line_id, input.id);
                let basis = line_basis(input);
                let d = basis - left;
                let (rate, incl) = (input.tax_rate_bps, input.is_tax_inclusive);
                assert_eq!(
                    l.total,
                    l.subtotal - l.discount_subtotal + l.tax_total,
                    "{ctx}"
                );
                assert_eq!(l.discount_total, l.discount_subtotal + l.discount_tax_total);
                assert_eq!(l.original_total, l.subtotal + l.original_tax_total);
                assert_eq!(l.original_subtotal, l.subtotal);
                assert_eq!(l.total, l.original_total - l.discount_total);
                assert_eq!(l.original_tax_total, tax_of(basis, rate, incl), "{ctx}");
                assert_eq!(l.tax_total, tax_of(basis - d, rate, incl), "{ctx}");
                if incl {
                    assert_eq!((l.original_total, l.total), (basis, basis - d), "{ctx}");
                } else {
                    assert_eq!((l.subtotal, l.discount_subtotal), (basis, d), "{ctx}");
                }
                if !input.discountable {
                    assert_eq!(d, 0, "{ctx}");
                }
                for v in [
                    l.subtotal,
                    l.tax_total,
                    l.total,
                    l.discount_total,
                    l.discount_subtotal,
                    l.discount_tax_total,
                    l.original_total,
                    l.original_tax_total,
                ] {
                    assert!(v >= 0, "negative figure {ctx}");
                }
                assert!(l.discount_subtotal <= l.subtotal, "{ctx}");
                assert!(l.tax_total <= l.original_tax_total, "{ctx}");
            }

            // Shipping: taxed, never discounted.
            assert_eq!(c.shipping.len(), shipping.len());
            for (s, input) in c.shipping.iter().zip(&shipping) {
                assert_eq!(s.shipping_id, input.id);
                let tax = tax_of(input.amount, input.tax_rate_bps, input.is_tax_inclusive);
                assert_eq!(s.tax_total, tax);
                assert_eq!(s.total, s.subtotal + tax);
                assert_eq!(
                    if input.is_tax_inclusive {
                        s.total
                    } else {
                        s.subtotal
                    },
                    input.amount
                );
                assert_eq!(
                    (s.original_total, s.original_subtotal),
                    (s.total, s.subtotal)
                );
                assert_eq!(s.original_tax_total, s.tax_total);
                assert_eq!(
                    (s.discount_total, s.discount_subtotal, s.discount_tax_total),
                    (0, 0, 0)
                );
                assert!(s.subtotal >= 0 && s.tax_total >= 0);
            }

            // Cart: plain sums.
            let t = &c.totals;
            let ls = |f: fn(&LineTotals) -> i64| c.lines.iter().map(f).sum::<i64>();
            let ss = |f: fn(&ShippingTotals) -> i64| c.shipping.iter().map(f).sum::<i64>();
            assert_eq!(t.item_subtotal, ls(|l| l.subtotal));
            assert_eq!(t.item_tax_total, ls(|l| l.tax_total));
            assert_eq!(t.item_total, ls(|l| l.total));
            assert_eq!(t.item_discount_total, ls(|l| l.discount_total));
            assert_eq!(t.original_item_subtotal, ls(|l| l.original_subtotal));
            assert_eq!(t.original_item_tax_total, ls(|l| l.original_tax_total));
            assert_eq!(t.original_item_total, ls(|l| l.original_total));
            assert_eq!(t.shipping_subtotal, ss(|s| s.subtotal));
            assert_eq!(t.shipping_tax_total, ss(|s| s.tax_total));
            assert_eq!(t.shipping_total, ss(|s| s.total));
            assert_eq!(t.shipping_discount_total, 0);
            assert_eq!(t.original_shipping_subtotal, ss(|s| s.original_subtotal));
            assert_eq!(t.original_shipping_tax_total, ss(|s| s.original_tax_total));
            assert_eq!(t.original_shipping_total, ss(|s| s.original_total));
            assert_eq!(t.subtotal, t.item_subtotal + t.shipping_subtotal);
            assert_eq!(t.tax_total, t.item_tax_total + t.shipping_tax_total);
            assert_eq!(t.total, t.item_total + t.shipping_total);
            assert_eq!(t.discount_total, ls(|l| l.discount_total));
            assert_eq!(t.discount_subtotal, ls(|l| l.discount_subtotal));
            assert_eq!(t.discount_tax_total, ls(|l| l.discount_tax_total));
            assert_eq!(
                t.original_total,
                t.original_item_total + t.original_shipping_total
            );
            assert_eq!(
                t.original_tax_total,
                t.original_item_tax_total + t.original_shipping_tax_total
            );
            assert_eq!(t.total, t.original_total - t.discount_total, "{ctx}");
            assert_eq!(t.total, t.subtotal - t.discount_subtotal + t.tax_total);
            assert_eq!(t.discount_total, t.discount_subtotal + t.discount_tax_total);
            assert_eq!(
                (
                    t.credit_line_subtotal,
                    t.credit_line_tax_total,
                    t.credit_line_total
                ),
                (0, 0, 0)
            );
            let basis_total: i64 = lines.iter().map(line_basis).sum();
            let taken: i64 = c.adjustments.iter().map(|a| a.amount).sum();
            assert_eq!(item_basis_total(&lines), basis_total);
            assert!(taken <= basis_total);
        }
        // The generator really exercises discounts.
        assert!(discounted_carts > 1000, "{discounted_carts}");
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, day, 12, 0, 0).unwrap()
    }

    fn open_rules() -> PromotionRules {
        PromotionRules {
            is_active: true,
            ..PromotionRules::default()
        }
    }

    #[test]
    fn promotion_rules_accept_a_cart_that_meets_every_condition() {
        let rules = PromotionRules {
            starts_at: Some(at(1)),
            ends_at: Some(at(30)),
            usage_limit: Some(10),
            usage_count: 9,
            min_item_subtotal: Some(5000),
            currency_code: Some("eur".into()),
            is_active: true,
        };
        assert_eq!(check_rules(&rules, at(1), "EUR", 5000), Ok(()));
        assert_eq!(check_rules(&open_rules(), at(15), "usd", 0), Ok(()));
    }

    #[test]
    fn promotion_rules_reject_each_failed_condition_with_a_message() {
        let now = at(15);
        let inactive = PromotionRules::default();
        assert_eq!(
            check_rules(&inactive, now, "eur", 0),
            Err(Ineligible::Inactive)
        );

        let future = PromotionRules {
            starts_at: Some(at(16)),
            ..open_rules()
        };
        let err = check_rules(&future, now, "eur", 0).unwrap_err();
        assert_eq!(err, Ineligible::NotStarted { starts_at: at(16) });
        assert!(err.to_string().contains("not started yet"), "{err}");

        let past = PromotionRules {
            ends_at: Some(at(15)),
            ..open_rules()
        };
        let err = check_rules(&past, now, "eur", 0).unwrap_err();
        assert_eq!(err, Ineligible::Expired { ended_at: at(15) });
        assert!(err.to_string().contains("expired"), "{err}");

        let used_up = PromotionRules {
            usage_limit: Some(3),
            usage_count: 3,
            ..open_rules()
        };
        let err = check_rules(&used_up, now, "eur", 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the promotion's usage limit of 3 has been reached"
        );

        let dollars = PromotionRules {
            currency_code: Some("usd".into()),
            ..open_rules()
        };
        let err = check_rules(&dollars, now, "eur", 0).unwrap_err();
        assert_eq!(err.to_string(), "the promotion is in USD, the cart in EUR");

        let minimum = PromotionRules {
            min_item_subtotal: Some(5000),
            ..open_rules()
        };
        let err = check_rules(&minimum, now, "eur", 4999).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the cart's items come to 49.99 EUR, below the promotion's minimum of 50.00 EUR"
        );
        let err = check_rules(&minimum, now, "jpy", 4999).unwrap_err();
        assert!(err.to_string().ends_with("minimum of 5000 JPY"), "{err}");
    }

    #[test]
    fn money_in_messages_is_formatted_with_the_currency_digits() {
        assert_eq!(money::format_money(1050, "eur"), "10.50 EUR");
        assert_eq!(money::format_money(5, "usd"), "0.05 USD");
        assert_eq!(money::format_money(-1234, "kwd"), "-1.234 KWD");
        assert_eq!(money::format_money(1500, "JPY"), "1500 JPY");
    }
}
