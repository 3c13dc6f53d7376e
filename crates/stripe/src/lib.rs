//! `pp_stripe_stripe`: Stripe PaymentIntents over HTTPS, with manual capture.
//!
//! - initiate: `POST /v1/payment_intents` (form-encoded `amount`, `currency`,
//!   `automatic_payment_methods[enabled]=true`, `capture_method=manual`,
//!   `metadata[cart_id]`, `metadata[session_id]`), `Idempotency-Key: <session id>`;
//! - authorize: `GET /v1/payment_intents/{id}` and read `status`;
//! - capture: `POST /v1/payment_intents/{id}/capture`;
//! - cancel: `POST /v1/payment_intents/{id}/cancel`.
//!
//! Errors: a timeout is [`PaymentError::Timeout`]; no connection, 5xx and 429 are
//! [`PaymentError::Unavailable`]; 401/403 (a bad or restricted API key) are
//! [`PaymentError::Config`] with a fixed message (Stripe's message names the key); other
//! 4xx are [`PaymentError::Rejected`] with `error.message` of Stripe's error body.
//!
//! Webhooks: [`verify_webhook`] checks the `Stripe-Signature` header
//! (`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint
//! secret>`, several `v1` during secret rolls).

use std::sync::Arc;
use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};

use store::payments::{
    Authorization, InitiateRequest, PaymentError, PaymentProvider, PaymentProviders,
};
use store::signing::{timestamped_mac, Mac};

pub const STRIPE_PROVIDER_ID: &str = "pp_stripe_stripe";

pub const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com";
pub const DEFAULT_STRIPE_TIMEOUT: Duration = Duration::from_millis(10_000);

/// The store's payment providers: `pp_system_default` always; `pp_stripe_stripe` when
/// `STRIPE_API_KEY` is set (with `STRIPE_API_BASE`, `STRIPE_TIMEOUT_MS`,
/// `STRIPE_WEBHOOK_SECRET`).
pub fn providers_from_env() -> PaymentProviders {
    providers_from_lookup(|name| std::env::var(name).ok())
}

/// [`providers_from_env`] with the variables read through `get`.
pub fn providers_from_lookup(get: impl Fn(&str) -> Option<String>) -> PaymentProviders {
    let non_empty = |name: &str| {
        get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let stripe = non_empty("STRIPE_API_KEY").map(|api_key| {
        let timeout = match non_empty("STRIPE_TIMEOUT_MS").map(|v| v.parse::<u64>()) {
            Some(Ok(ms)) if ms > 0 => Duration::from_millis(ms),
            Some(_) => {
                tracing::warn!(
                    "STRIPE_TIMEOUT_MS is not a positive number of milliseconds; using {} ms",
                    DEFAULT_STRIPE_TIMEOUT.as_millis()
                );
                DEFAULT_STRIPE_TIMEOUT
            }
            None => DEFAULT_STRIPE_TIMEOUT,
        };
        StripeConfig {
            api_key,
            api_base: non_empty("STRIPE_API_BASE")
                .unwrap_or_else(|| DEFAULT_STRIPE_API_BASE.to_string()),
            timeout,
            webhook_secret: non_empty("STRIPE_WEBHOOK_SECRET"),
        }
    });
    providers(stripe)
}

/// The system provider, plus Stripe when `stripe` is given. A Stripe client that cannot
/// be built (TLS set-up) is logged and left out.
pub fn providers(stripe: Option<StripeConfig>) -> PaymentProviders {
    let system = PaymentProviders::system();
    let Some(config) = stripe else {
        tracing::info!(
            providers = "pp_system_default",
            "payments configured (Stripe off: STRIPE_API_KEY unset)"
        );
        return system;
    };
    tracing::info!(
        providers = "pp_system_default,pp_stripe_stripe",
        webhook = if config.webhook_secret.is_some() {
            "on"
        } else {
            "off (STRIPE_WEBHOOK_SECRET unset)"
        },
        "payments configured"
    );
    let secret = config.webhook_secret.clone();
    match StripeProvider::new(config) {
        Ok(provider) => system
            .with(Arc::new(provider))
            .with_stripe_webhook_secret(secret),
        Err(error) => {
            tracing::error!(%error, "Stripe is configured but unusable");
            system
        }
    }
}

/// Stripe's recommended webhook tolerance.
pub const DEFAULT_WEBHOOK_TOLERANCE_SECS: i64 = 300;

#[derive(Clone)]
pub struct StripeConfig {
    /// Secret (`sk_...`) or restricted (`rk_...`) key.
    pub api_key: String,
    /// `https://api.stripe.com` unless testing.
    pub api_base: String,
    /// Whole-request timeout (connect, send, read).
    pub timeout: Duration,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: Option<String>,
}

impl StripeConfig {
    /// Default base URL and timeout, no webhook secret.
    pub fn new(api_key: impl Into<String>) -> Self {
        StripeConfig {
            api_key: api_key.into(),
            api_base: DEFAULT_STRIPE_API_BASE.to_string(),
            timeout: DEFAULT_STRIPE_TIMEOUT,
            webhook_secret: None,
        }
    }
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

pub struct StripeProvider {
    client: reqwest::Client,
    api_key: String,
    api_base: String,
}

impl std::fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeProvider")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// Stripe's error body: `{"error": {"type", "code", "decline_code", "message", ...}}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: StripeError,
}

#[derive(Debug, Default, Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
    /// The intent, on errors of requests about one (e.g. `payment_intent_unexpected_state`).
    payment_intent: Option<Value>,
}

/// A failed call: either already a [`PaymentError`], or a 4xx with Stripe's error body
/// (kept so that capture and cancel can recognise "already done").
enum Failure {
    Error(PaymentError),
    Api(StripeError),
}

impl From<Failure> for PaymentError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Error(error) => error,
            Failure::Api(error) => PaymentError::Rejected(
                error
                    .message
                    .unwrap_or_else(|| "the payment provider refused the request".into()),
            ),
        }
    }
}

impl StripeProvider {
    pub fn new(config: StripeConfig) -> Result<Self, PaymentError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|error| {
                tracing::error!(%error, "building the Stripe HTTP client");
                PaymentError::Config("the payment provider's HTTP client could not be built".into())
            })?;
        Ok(StripeProvider {
            client,
            api_key: config.api_key,
            api_base: config.api_base.trim_end_matches('/').to_string(),
        })
    }

    /// `POST /v1/payment_intents/{id}/{action}` (`capture`, `cancel`): the session data
    /// of the intent it answers; a refusal whose intent is already `done_status` (the
    /// action was taken before) counts as done.
    async fn settle_intent(
        &self,
        data: &Value,
        action: &str,
        done_status: &str,
    ) -> Result<Value, PaymentError> {
        let id = intent_id(data)?;
        let request = self
            .client
            .post(self.url(&format!("/v1/payment_intents/{id}/{action}")))
            .form(&[] as &[(&str, &str)]);
        match self.send(request).await {
            Ok(intent) => Ok(session_data(&intent)),
            Err(Failure::Api(StripeError {
                payment_intent: Some(intent),
                ..
            })) if intent_status(&intent) == done_status => Ok(session_data(&intent)),
            Err(failure) => Err(failure.into()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.api_base, path)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, Failure> {
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                tracing::warn!(%error, "Stripe request timed out");
                Failure::Error(PaymentError::Timeout)
            } else {
                tracing::warn!(%error, "Stripe request failed");
                Failure::Error(PaymentError::Unavailable(
                    "could not reach the payment provider".into(),
                ))
            }
        };
        let response = request
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| {
                tracing::warn!(%status, "Stripe answered with a body that is not JSON");
                Failure::Error(PaymentError::Unavailable(
                    "the payment provider sent an unreadable answer".into(),
                ))
            });
        }
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let error = body.error;
        tracing::warn!(
            %status,
            kind = error.kind.as_deref().unwrap_or(""),
            code = error.code.as_deref().unwrap_or(""),
            decline_code = error.decline_code.as_deref().unwrap_or(""),
            "Stripe refused a request"
        );
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                tracing::error!(%status, "Stripe refused the API key (STRIPE_API_KEY)");
                Failure::Error(PaymentError::Config(
                    "the payment provider refused the store's credentials".into(),
                ))
            }
            StatusCode::TOO_MANY_REQUESTS => Failure::Error(PaymentError::Unavailable(
                "the payment provider is busy, please try again".into(),
            )),
            s if s.is_client_error() => Failure::Api(error),
            s => Failure::Error(PaymentError::Unavailable(format!(
                "the payment provider answered with status {}",
                s.as_u16()
            ))),
        })
    }
}

/// The payment intent id in session data, checked so it is safe in a URL path.
fn intent_id(data: &Value) -> Result<&str, PaymentError> {
    data.get("id")
        .and_then(Value::as_str)
        .filter(|id| {
            id.starts_with("pi_") && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .ok_or_else(|| {
            PaymentError::Config("the payment session has no Stripe payment intent".into())
        })
}

/// What we keep of an intent on the payment session.
fn session_data(intent: &Value) -> Value {
    let mut data = Map::new();
    for key in [
        "id",
        "client_secret",
        "status",
        "amount",
        "amount_received",
        "currency",
        "capture_method",
    ] {
        if let Some(value) = intent.get(key).filter(|v| !v.is_null()) {
            data.insert(key.into(), value.clone());
        }
    }
    if let Some(error) = intent.get("last_payment_error").filter(|e| e.is_object()) {
        let mut kept = Map::new();
        for key in ["type", "code", "decline_code", "message"] {
            if let Some(value) = error.get(key).filter(|v| !v.is_null()) {
                kept.insert(key.into(), value.clone());
            }
        }
        data.insert("last_payment_error".into(), Value::Object(kept));
    }
    Value::Object(data)
}

fn intent_status(intent: &Value) -> &str {
    intent.get("status").and_then(Value::as_str).unwrap_or("")
}

/// Reads an intent's status as an authorization outcome.
pub fn authorization_of(intent: &Value) -> Authorization {
    let data = session_data(intent);
    let status = intent_status(intent);
    let error_message = intent
        .get("last_payment_error")
        .filter(|e| e.is_object())
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("the payment was declined")
                .to_string()
        });
    match (status, error_message) {
        ("requires_capture" | "succeeded", _) => Authorization::Authorized { data },
        ("canceled", _) => Authorization::Declined {
            data,
            message: "the payment was canceled".into(),
        },
        (_, Some(message)) => Authorization::Declined { data, message },
        (status, None) => {
            let message = match status {
                "requires_payment_method" => "a payment method is required".to_string(),
                "requires_confirmation" => "the payment has not been confirmed yet".to_string(),
                "requires_action" => {
                    "the payment needs the shopper to complete an extra step (e.g. 3-D Secure)"
                        .to_string()
                }
                "processing" => "the payment is still processing".to_string(),
                other => format!("the payment is not authorized (status {other:?})"),
            };
            Authorization::RequiresMore { data, message }
        }
    }
}

#[async_trait::async_trait]
impl PaymentProvider for StripeProvider {
    fn id(&self) -> &'static str {
        STRIPE_PROVIDER_ID
    }

    async fn initiate(&self, req: &InitiateRequest) -> Result<Value, PaymentError> {
        let form = [
            ("amount", req.amount.to_string()),
            ("currency", req.currency_code.to_lowercase()),
            ("automatic_payment_methods[enabled]", "true".to_string()),
            ("capture_method", "manual".to_string()),
            ("metadata[cart_id]", req.cart_id.clone()),
            ("metadata[session_id]", req.session_id.clone()),
        ];
        let request = self
            .client
            .post(self.url("/v1/payment_intents"))
            .header("Idempotency-Key", &req.session_id)
            .form(&form);
        let intent = self.send(request).await?;
        if intent
            .get("client_secret")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(PaymentError::Unavailable(
                "the payment provider sent an incomplete answer".into(),
            ));
        }
        Ok(session_data(&intent))
    }

    async fn authorize(&self, data: &Value) -> Result<Authorization, PaymentError> {
        let id = intent_id(data)?;
        let request = self
            .client
            .get(self.url(&format!("/v1/payment_intents/{id}")));
        let intent = self.send(request).await?;
        Ok(authorization_of(&intent))
    }

    async fn capture(&self, data: &Value) -> Result<Value, PaymentError> {
        // Captured before (a retried capture): done.
        self.settle_intent(data, "capture", "succeeded").await
    }

    async fn cancel(&self, data: &Value) -> Result<Value, PaymentError> {
        // Canceled before: done.
        self.settle_intent(data, "cancel", "canceled").await
    }

    async fn refund(
        &self,
        data: &Value,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Value, PaymentError> {
        let id = intent_id(data)?;
        let form = [
            ("payment_intent", id.to_string()),
            ("amount", amount.to_string()),
        ];
        let request = self
            .client
            .post(self.url("/v1/refunds"))
            .header("Idempotency-Key", idempotency_key)
            .form(&form);
        // The answer is a Refund object; the session keeps the intent's data.
        self.send(request).await?;
        Ok(data.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the Stripe-Signature header has no timestamp")]
    MissingTimestamp,
    #[error("the Stripe-Signature header has no v1 signature")]
    MissingSignature,
    #[error("no signature in the Stripe-Signature header matches the payload")]
    SignatureMismatch,
    #[error("the webhook's timestamp is outside the tolerance")]
    OutsideTolerance,
    #[error("the webhook payload is not a JSON object")]
    InvalidPayload,
}

/// The `v1` signature Stripe sends for `payload` at `timestamp`: hex HMAC-SHA256 of
/// `"{timestamp}.{payload}"` keyed with the endpoint secret.
pub fn webhook_signature(payload: &[u8], secret: &str, timestamp: i64) -> String {
    hex::encode(
        timestamped_mac(secret, timestamp, payload)
            .finalize()
            .into_bytes(),
    )
}

/// A whole `Stripe-Signature` header value (`t=...,v1=...`), as Stripe would send it.
pub fn webhook_signature_header(payload: &[u8], secret: &str, timestamp: i64) -> String {
    format!(
        "t={timestamp},v1={}",
        webhook_signature(payload, secret, timestamp)
    )
}

/// Verifies a Stripe webhook and returns its event (the parsed payload).
///
/// `payload` must be the raw request body. The header's elements are `key=value` pairs
/// separated by commas; `t` is the timestamp, every `v1` is a candidate signature (any may
/// match, for secret rolls), other schemes (`v0`) are ignored. Signatures are compared in
/// constant time. The timestamp must be within `tolerance_secs` of `now_unix`, in either
/// direction.
pub fn verify_webhook(
    payload: &[u8],
    signature_header: &str,
    secret: &str,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<Value, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in signature_header.split(',') {
        let Some((key, value)) = element.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" => timestamp = value.trim().parse::<i64>().ok(),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let expected = timestamped_mac(secret, timestamp, payload);
    let matches = signatures.iter().any(|signature| {
        hex::decode(signature)
            .map(|bytes| expected.clone().verify_slice(&bytes).is_ok())
            .unwrap_or(false)
    });
    if !matches {
        return Err(WebhookError::SignatureMismatch);
    }
    if now_unix.abs_diff(timestamp) > tolerance_secs.max(0) as u64 {
        return Err(WebhookError::OutsideTolerance);
    }
    match serde_json::from_slice::<Value>(payload) {
        Ok(event) if event.is_object() => Ok(event),
        _ => Err(WebhookError::InvalidPayload),
    }
}

/// [`verify_webhook`] at the current time with Stripe's recommended tolerance (300 s).
pub fn verify_webhook_now(
    payload: &[u8],
    signature_header: &str,
    secret: &str,
) -> Result<Value, WebhookError> {
    verify_webhook(
        payload,
        signature_header,
        secret,
        chrono::Utc::now().timestamp(),
        DEFAULT_WEBHOOK_TOLERANCE_SECS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_intent_with_an_error_and_no_capture_is_declined() {
        let intent = json!({"id": "pi_1", "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}});
        assert_eq!(
            authorization_of(&intent),
            Authorization::Declined {
                data: json!({"id": "pi_1", "status": "requires_payment_method",
                    "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}),
                message: "Your card was declined.".into()
            }
        );
    }

    #[test]
    fn session_data_without_an_intent_id_is_a_config_error() {
        assert!(matches!(
            intent_id(&json!({})),
            Err(PaymentError::Config(_))
        ));
        assert!(matches!(
            intent_id(&json!({"id": "pi_1/../../v1/charges"})),
            Err(PaymentError::Config(_))
        ));
        assert_eq!(intent_id(&json!({"id": "pi_1Ab"})).unwrap(), "pi_1Ab");
    }
}
