//! Payment providers: one trait, used through `dyn`, and a registry built once per cold
//! start.
//!
//! - `pp_system_default` ([`system::SystemProvider`]) authorizes at once, like Medusa's
//!   system provider (manual payments, cash on delivery, demos).
//! - `pp_stripe_stripe` (the `store-stripe` crate, `crates/stripe`) uses Stripe
//!   PaymentIntents with manual capture. Only the functions that take payments (checkout,
//!   orders) link it; it is registered when `STRIPE_API_KEY` is set.
//!
//! Error messages ([`PaymentError`]) are fit to show a shopper: they never carry API keys,
//! URLs or raw gateway bodies.

pub mod system;

use std::sync::Arc;

use serde_json::Value;

pub use system::SystemProvider;

/// What a provider needs to start a payment session.
#[derive(Debug, Clone)]
pub struct InitiateRequest {
    /// The payment session id (`payses_...`); also the idempotency key at the gateway, so
    /// a retried initiate never creates a second payment.
    pub session_id: String,
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217, lower-case.
    pub currency_code: String,
    pub cart_id: String,
    pub email: Option<String>,
}

/// The outcome of an authorization attempt. `data` is the session data to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Authorization {
    Authorized {
        data: Value,
    },
    /// The shopper still has to act (choose a payment method, 3-D Secure, ...) or the
    /// gateway is still processing.
    RequiresMore {
        data: Value,
        message: String,
    },
    /// The gateway refused the payment; `message` is the gateway's, fit for the shopper.
    Declined {
        data: Value,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment provider did not answer in time")]
    Timeout,
    /// Network errors, 5xx and rate limits: worth retrying later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// A 4xx answer from the gateway, with its message.
    #[error("{0}")]
    Rejected(String),
    /// The store is set up wrongly (bad API key, session data without an intent, ...).
    #[error("payments are not configured correctly: {0}")]
    Config(String),
}

#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The Medusa provider id, e.g. `pp_system_default`, `pp_stripe_stripe`.
    fn id(&self) -> &'static str;
    /// Starts a payment; returns the data to store on the payment session (for Stripe:
    /// `id`, `client_secret`, `status`, ...; the storefront uses `client_secret`).
    async fn initiate(&self, req: &InitiateRequest) -> Result<Value, PaymentError>;
    async fn authorize(&self, data: &Value) -> Result<Authorization, PaymentError>;
    /// Captures an authorized payment; returns the new session data.
    async fn capture(&self, data: &Value) -> Result<Value, PaymentError>;
    /// Releases an authorization (or abandons an unfinished payment); returns the new
    /// session data.
    async fn cancel(&self, data: &Value) -> Result<Value, PaymentError>;
    /// Gives back `amount` (minor units) of a captured payment; `idempotency_key` (the
    /// refund id) makes a retried call refund once. Returns the new session data.
    async fn refund(
        &self,
        data: &Value,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Value, PaymentError>;
}

/// The providers this store offers, built once per cold start.
#[derive(Clone)]
pub struct PaymentProviders {
    providers: Vec<Arc<dyn PaymentProvider>>,
    stripe_webhook_secret: Option<String>,
}

impl std::fmt::Debug for PaymentProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentProviders")
            .field("ids", &self.ids())
            .field(
                "stripe_webhook_secret",
                &self.stripe_webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for PaymentProviders {
    fn default() -> Self {
        Self::system()
    }
}

impl PaymentProviders {
    /// `pp_system_default` alone.
    pub fn system() -> Self {
        PaymentProviders {
            providers: vec![Arc::new(SystemProvider)],
            stripe_webhook_secret: None,
        }
    }

    /// These providers and `provider` after them.
    pub fn with(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// The endpoint secret Stripe's webhooks are signed with.
    pub fn with_stripe_webhook_secret(mut self, secret: Option<String>) -> Self {
        self.stripe_webhook_secret = secret;
        self
    }

    pub fn get(&self, id: &str) -> Option<&dyn PaymentProvider> {
        self.providers
            .iter()
            .find(|p| p.id() == id)
            .map(|p| p.as_ref())
    }

    /// Provider ids, system first.
    pub fn ids(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.id()).collect()
    }

    /// The endpoint secret of Stripe's webhooks (`STRIPE_WEBHOOK_SECRET`), when Stripe is
    /// enabled and the secret is set.
    pub fn stripe_webhook_secret(&self) -> Option<&str> {
        self.stripe_webhook_secret.as_deref()
    }
}
