//! Which automations run and how, from the environment (read once per cold start).

use std::collections::BTreeSet;
use std::time::Duration;

/// The automations, each switchable through `AUTOMATIONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Automation {
    /// `order.placed` → confirmation email to the shopper.
    OrderConfirmation,
    /// `order.placed`, `inventory.updated` → `inventory.low` email to the merchant.
    LowStockAlert,
    /// `product.*` → purge cached store responses.
    ProductCachePurge,
    /// `product.*` → create, update or delete the product's Strapi entry.
    StrapiProductSync,
    /// `order.fulfillment_created` → signed POST to the fulfilment webhook.
    FulfillmentWebhook,
    /// `shipment.created` → shipping email with the tracking number.
    ShippingEmail,
    /// Scheduled: one reminder per idle cart with an email and items (`cart.abandoned`).
    AbandonedCart,
    /// Scheduled: one review request per delivered order (`order.review_requested`).
    ReviewRequest,
    /// `auth.password_reset` → the reset link to the customer.
    PasswordResetEmail,
}

impl Automation {
    pub const ALL: [Automation; 9] = [
        Automation::OrderConfirmation,
        Automation::LowStockAlert,
        Automation::ProductCachePurge,
        Automation::StrapiProductSync,
        Automation::FulfillmentWebhook,
        Automation::ShippingEmail,
        Automation::AbandonedCart,
        Automation::ReviewRequest,
        Automation::PasswordResetEmail,
    ];

    /// The name used in `AUTOMATIONS` and as the handler name in idempotency records.
    pub fn name(self) -> &'static str {
        match self {
            Automation::OrderConfirmation => "order-confirmation",
            Automation::LowStockAlert => "low-stock-alert",
            Automation::ProductCachePurge => "product-cache-purge",
            Automation::StrapiProductSync => "strapi-product-sync",
            Automation::FulfillmentWebhook => "fulfillment-webhook",
            Automation::ShippingEmail => "shipping-email",
            Automation::AbandonedCart => "abandoned-cart",
            Automation::ReviewRequest => "review-request",
            Automation::PasswordResetEmail => "password-reset-email",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The fulfilment hand-off target.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub enabled: BTreeSet<Automation>,
    /// Shown in email subjects (`STORE_NAME`).
    pub store_name: String,
    /// The storefront's address, for links in emails (`STORE_URL`).
    pub store_url: Option<String>,
    /// Where `inventory.low` alerts go (`MERCHANT_EMAIL`).
    pub merchant_email: Option<String>,
    /// Alert when available stock is at or below this (`LOW_STOCK_THRESHOLD`).
    pub low_stock_threshold: i64,
    /// `FULFILLMENT_WEBHOOK_URL` and `FULFILLMENT_WEBHOOK_SECRET`.
    pub webhook: Option<Webhook>,
    /// A cart idle this long is abandoned (`ABANDONED_CART_AFTER_MINUTES`).
    pub abandoned_after: Duration,
    /// Review requests go out this long after delivery (`REVIEW_REQUEST_AFTER_DAYS`).
    pub review_after: Duration,
    /// The sweep leaves younger events to the relay of their request
    /// (`OUTBOX_SWEEP_GRACE_SECONDS`).
    pub sweep_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} is invalid: {reason}")]
pub struct SettingsError {
    pub name: &'static str,
    pub reason: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &'static str, default: u64| -> Result<u64, SettingsError> {
            match value(name) {
                None => Ok(default),
                Some(raw) => raw.parse().map_err(|_| SettingsError {
                    name,
                    reason: format!("expected a whole number, got {raw:?}"),
                }),
            }
        };
        let enabled = match value("AUTOMATIONS").as_deref() {
            None | Some("all") => Automation::ALL.into_iter().collect(),
            Some("none") => BTreeSet::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    Automation::from_name(n).ok_or_else(|| SettingsError {
                        name: "AUTOMATIONS",
                        reason: format!(
                            "unknown automation {n:?}; known: all, none, {}",
                            Automation::ALL.map(Automation::name).join(", ")
                        ),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let webhook = match (
            value("FULFILLMENT_WEBHOOK_URL"),
            value("FULFILLMENT_WEBHOOK_SECRET"),
        ) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(SettingsError {
                    name: "FULFILLMENT_WEBHOOK_SECRET",
                    reason: "required with FULFILLMENT_WEBHOOK_URL: the webhook is always signed"
                        .into(),
                })
            }
            (Some(url), Some(secret)) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(SettingsError {
                        name: "FULFILLMENT_WEBHOOK_URL",
                        reason: format!("expected an http(s) URL, got {url:?}"),
                    });
                }
                Some(Webhook { url, secret })
            }
        };
        let low_stock_threshold = number("LOW_STOCK_THRESHOLD", 5)?;
        Ok(Settings {
            enabled,
            store_name: value("STORE_NAME").unwrap_or_else(|| "Store".to_string()),
            store_url: value("STORE_URL"),
            merchant_email: value("MERCHANT_EMAIL"),
            low_stock_threshold: i64::try_from(low_stock_threshold).unwrap_or(i64::MAX),
            webhook,
            abandoned_after: Duration::from_secs(60 * number("ABANDONED_CART_AFTER_MINUTES", 180)?),
            review_after: Duration::from_secs(86_400 * number("REVIEW_REQUEST_AFTER_DAYS", 7)?),
            sweep_grace: Duration::from_secs(number("OUTBOX_SWEEP_GRACE_SECONDS", 30)?),
        })
    }

    pub fn is_enabled(&self, automation: Automation) -> bool {
        self.enabled.contains(&automation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(store::config::lookup_in(vars))
    }

    #[test]
    fn everything_is_on_by_default_and_a_list_picks_some() {
        assert_eq!(settings(&[]).unwrap().enabled.len(), Automation::ALL.len());
        let some = settings(&[("AUTOMATIONS", "order-confirmation, shipping-email")]).unwrap();
        assert!(some.is_enabled(Automation::OrderConfirmation));
        assert!(!some.is_enabled(Automation::LowStockAlert));
        assert!(settings(&[("AUTOMATIONS", "none")])
            .unwrap()
            .enabled
            .is_empty());
    }

    #[test]
    fn unknown_names_and_unsigned_webhooks_are_refused() {
        let err = settings(&[("AUTOMATIONS", "order-confirmation,fax")]).unwrap_err();
        assert!(err.to_string().contains("\"fax\""), "{err}");
        let err = settings(&[("FULFILLMENT_WEBHOOK_URL", "https://wms.example/hook")]).unwrap_err();
        assert_eq!(err.name, "FULFILLMENT_WEBHOOK_SECRET");
        let err = settings(&[("LOW_STOCK_THRESHOLD", "few")]).unwrap_err();
        assert_eq!(err.name, "LOW_STOCK_THRESHOLD");
    }
}
