//! A local HTTP fake of the Stripe PaymentIntents API, for tests that must not reach
//! Stripe.
//!
//! Serves `POST /v1/payment_intents`, `GET /v1/payment_intents/{id}`,
//! `POST /v1/payment_intents/{id}/capture` and `POST /v1/payment_intents/{id}/cancel` on
//! 127.0.0.1 with Stripe's documented bodies: PaymentIntent objects
//! (`object: "payment_intent"`, `id: "pi_..."`, `client_secret: "pi_..._secret_..."`,
//! `status`, `capture_method`, `last_payment_error`, ...) and error bodies
//! (`{"error": {"type", "code", "decline_code", "message", "param", "payment_intent"}}`).
//!
//! Like Stripe it checks the Bearer key, validates the form body (unknown parameters are an
//! error), honours `Idempotency-Key` (the same key and parameters replay the first answer,
//! also under concurrent calls; the same key with other parameters is an
//! `idempotency_error`), and refuses captures and cancels in the wrong state. Unlike Stripe,
//! a wrong key is echoed unmasked in the 401 message, so a client that passes gateway
//! messages on would leak it and a test can see that.
//!
//! Intents start in `requires_payment_method`; the shopper's confirmation in the browser is
//! simulated with [`StripeFake::confirm`], [`StripeFake::decline`],
//! [`StripeFake::require_action`] or [`StripeFake::set_auto_confirm`]. The whole fake can be
//! made slow ([`StripeFake::set_delay`]) or broken ([`StripeFake::set_fail_with_500`]).
//! Every request is recorded ([`StripeFake::requests`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// The API key the fake accepts.
pub const FAKE_API_KEY: &str = "sk_test_fake_51Hx0aLocalOnly";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: Method,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    /// The decoded form body, in order.
    pub form: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of a form parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        crate::value_of(&self.form, name)
    }
}

#[derive(Default)]
struct Inner {
    intents: HashMap<String, Value>,
    /// Idempotency key → (the create parameters, the answer).
    idempotent: HashMap<String, (Vec<(String, String)>, Value)>,
    requests: Vec<RecordedRequest>,
    auto_confirm: bool,
    delay: Option<Duration>,
    fail_with_500: bool,
    /// Payment intent → amount refunded so far.
    refunded: HashMap<String, i64>,
}

type Shared = Arc<Mutex<Inner>>;

/// A running fake. The server lives as long as the tokio runtime that started it.
#[derive(Clone)]
pub struct StripeFake {
    /// `http://127.0.0.1:<port>`, for `STRIPE_API_BASE`.
    pub base_url: String,
    inner: Shared,
}

impl StripeFake {
    /// Starts the fake on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let inner: Shared = Arc::default();
        let router = Router::new().fallback(handle).with_state(inner.clone());
        StripeFake {
            base_url: crate::serve_on_loopback(router, "Stripe fake").await,
            inner,
        }
    }

    /// A provider configuration pointing at this fake with the right key.
    pub fn config(&self, timeout: Duration) -> store_stripe::StripeConfig {
        store_stripe::StripeConfig {
            api_key: FAKE_API_KEY.to_string(),
            api_base: self.base_url.clone(),
            timeout,
            webhook_secret: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The intent as the fake holds it now.
    pub fn intent(&self, id: &str) -> Option<Value> {
        self.lock().intents.get(id).cloned()
    }

    /// How much of an intent has been refunded.
    pub fn refunded(&self, intent: &str) -> i64 {
        self.lock().refunded.get(intent).copied().unwrap_or(0)
    }

    /// Every intent the fake holds now, as it holds it.
    pub fn intents(&self) -> Vec<Value> {
        self.lock().intents.values().cloned().collect()
    }

    pub fn intent_count(&self) -> usize {
        self.lock().intents.len()
    }

    /// New intents are confirmed with a working card at once.
    pub fn set_auto_confirm(&self, on: bool) {
        self.lock().auto_confirm = on;
    }

    /// Every answer waits this long first (None: answer at once).
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.lock().delay = delay;
    }

    /// Every request is answered with a 500 and Stripe's `api_error` body.
    pub fn set_fail_with_500(&self, on: bool) {
        self.lock().fail_with_500 = on;
    }

    /// The shopper confirmed with a working card: `requires_capture` (manual capture) or
    /// `succeeded` (automatic capture).
    pub fn confirm(&self, id: &str) {
        let mut inner = self.lock();
        let intent = inner.intents.get_mut(id).expect("no such intent");
        confirm_intent(intent);
    }

    /// The shopper's card was declined: `requires_payment_method` with
    /// `last_payment_error` (`card_declined`).
    pub fn decline(&self, id: &str) {
        let mut inner = self.lock();
        let intent = inner.intents.get_mut(id).expect("no such intent");
        intent["status"] = json!("requires_payment_method");
        intent["payment_method"] = Value::Null;
        intent["last_payment_error"] = json!({
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
            "payment_method": {"id": "pm_card_chargeDeclined", "object": "payment_method", "type": "card"}
        });
    }

    /// The card needs 3-D Secure: `requires_action` with a `next_action`.
    pub fn require_action(&self, id: &str) {
        let mut inner = self.lock();
        let intent = inner.intents.get_mut(id).expect("no such intent");
        intent["status"] = json!("requires_action");
        intent["payment_method"] = json!("pm_card_threeDSecure2Required");
        intent["next_action"] = json!({"type": "use_stripe_sdk", "use_stripe_sdk": {}});
    }
}

fn confirm_intent(intent: &mut Value) {
    let amount = intent["amount"].as_i64().unwrap_or(0);
    let manual = intent["capture_method"] == "manual";
    intent["payment_method"] = json!("pm_card_visa");
    intent["last_payment_error"] = Value::Null;
    intent["next_action"] = Value::Null;
    intent["latest_charge"] = json!(new_id("ch"));
    if manual {
        intent["status"] = json!("requires_capture");
        intent["amount_capturable"] = json!(amount);
    } else {
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(amount);
    }
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::generate())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Stripe's error body.
fn error(status: StatusCode, kind: &str, code: Option<&str>, message: String) -> Response {
    let mut body = Map::new();
    body.insert("type".into(), json!(kind));
    if let Some(code) = code {
        body.insert("code".into(), json!(code));
        body.insert(
            "doc_url".into(),
            json!(format!("https://stripe.com/docs/error-codes/{code}")),
        );
    }
    body.insert("message".into(), json!(message));
    (status, Json(json!({ "error": body }))).into_response()
}

fn param_error(param: &str, message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {
            "type": "invalid_request_error",
            "message": message,
            "param": param,
        }})),
    )
        .into_response()
}

fn unexpected_state(intent: &Value, message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-unexpected-state",
            "message": message,
            "payment_intent": intent,
        }})),
    )
        .into_response()
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

async fn handle(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request = RecordedRequest {
        method: method.clone(),
        path: uri.path().to_string(),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
        content_type: header("content-type"),
        form: parse_form(&body),
    };
    let (delay, fail_with_500) = {
        let mut inner = inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.requests.push(request.clone());
        (inner.delay, inner.fail_with_500)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if fail_with_500 {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            None,
            "An unknown error occurred".into(),
        );
    }
    match request.authorization.as_deref() {
        Some(value) if value == format!("Bearer {FAKE_API_KEY}") => {}
        Some(value) => {
            let key = value.strip_prefix("Bearer ").unwrap_or(value);
            // Stripe masks all but the last characters; the fake deliberately does not.
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                format!("Invalid API Key provided: {key}"),
            );
        }
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                "You did not provide an API key.".into(),
            )
        }
    }
    if method == Method::POST
        && !request.form.is_empty()
        && request.content_type.as_deref() != Some("application/x-www-form-urlencoded")
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "Invalid request: the body must be form-encoded.".into(),
        );
    }

    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let mut inner = inner.lock().unwrap_or_else(|e| e.into_inner());
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "payment_intents"]) => create(&mut inner, &request),
        ("POST", ["v1", "refunds"]) => refund(&mut inner, &request),
        ("GET", ["v1", "payment_intents", id]) => match inner.intents.get(*id) {
            Some(intent) => Json(intent.clone()).into_response(),
            None => no_such_intent(id),
        },
        ("POST", ["v1", "payment_intents", id, "capture"]) => {
            let (intent, status) =
                match intent_to_change(&mut inner, &request, id, "amount_to_capture") {
                    Ok(found) => found,
                    Err(response) => return *response,
                };
            if status != "requires_capture" {
                return unexpected_state(
                    intent,
                    format!(
                        "This PaymentIntent could not be captured because it has a status of {status}. \
                         Only a PaymentIntent with one of the following statuses may be captured: requires_capture."
                    ),
                );
            }
            let amount = intent["amount"].clone();
            intent["status"] = json!("succeeded");
            intent["amount_received"] = amount;
            intent["amount_capturable"] = json!(0);
            Json(intent.clone()).into_response()
        }
        ("POST", ["v1", "payment_intents", id, "cancel"]) => {
            let (intent, status) =
                match intent_to_change(&mut inner, &request, id, "cancellation_reason") {
                    Ok(found) => found,
                    Err(response) => return *response,
                };
            if !matches!(
                status.as_str(),
                "requires_payment_method"
                    | "requires_capture"
                    | "requires_confirmation"
                    | "requires_action"
                    | "processing"
            ) {
                return unexpected_state(
                    intent,
                    format!(
                        "You cannot cancel this PaymentIntent because it has a status of {status}. \
                         Only a PaymentIntent with one of the following statuses may be canceled: \
                         requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
                    ),
                );
            }
            intent["status"] = json!("canceled");
            intent["canceled_at"] = json!(now());
            intent["amount_capturable"] = json!(0);
            intent["cancellation_reason"] = request
                .param("cancellation_reason")
                .map_or(Value::Null, |r| json!(r));
            Json(intent.clone()).into_response()
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!(
                "Unrecognized request URL ({}: {}).",
                method.as_str(),
                request.path
            ),
        ),
    }
}

/// `POST /v1/refunds` for a payment intent: at most what was received and not yet
/// refunded; an idempotency key replays its first answer.
fn refund(inner: &mut Inner, request: &RecordedRequest) -> Response {
    if let Some(replayed) = replay(inner, request) {
        return replayed;
    }
    if let Some(unknown) = unknown_parameters(request, &["payment_intent", "amount", "reason"]) {
        return unknown;
    }
    let Some(id) = request.param("payment_intent").map(str::to_string) else {
        return param_error(
            "payment_intent",
            "Missing required param: payment_intent.".into(),
        );
    };
    let Some(intent) = inner.intents.get(&id) else {
        return no_such_intent(&id);
    };
    if intent["status"] != "succeeded" {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("charge_not_refundable"),
            format!("This PaymentIntent ({id}) does not have a successful charge to refund."),
        );
    }
    let received = intent["amount_received"].as_i64().unwrap_or(0);
    let already = inner.refunded.get(&id).copied().unwrap_or(0);
    let amount = match request.param("amount").map(str::parse::<i64>) {
        None => received - already,
        Some(Ok(a)) if a >= 1 => a,
        Some(_) => return param_error("amount", "Invalid positive integer".into()),
    };
    if amount > received - already {
        return param_error(
            "amount",
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                received - already
            ),
        );
    }
    inner.refunded.insert(id.clone(), already + amount);
    let answer = json!({
        "id": new_id("re"), "object": "refund", "amount": amount, "currency": intent["currency"],
        "payment_intent": id, "status": "succeeded", "created": now(),
    });
    if let Some(key) = &request.idempotency_key {
        inner
            .idempotent
            .insert(key.clone(), (request.form.clone(), answer.clone()));
    }
    Json(answer).into_response()
}

fn no_such_intent(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        format!("No such payment_intent: '{id}'"),
    )
}

fn unknown_parameter(key: &str) -> Response {
    param_error(key, format!("Received unknown parameter: {key}"))
}

/// Stripe's 400 for the first form parameter not in `allowed`.
fn unknown_parameters(request: &RecordedRequest, allowed: &[&str]) -> Option<Response> {
    request
        .form
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
        .map(|(key, _)| unknown_parameter(key))
}

/// The intent `id` and its status, for a request that may carry only `allowed`.
fn intent_to_change<'a>(
    inner: &'a mut Inner,
    request: &RecordedRequest,
    id: &str,
    allowed: &str,
) -> Result<(&'a mut Value, String), Box<Response>> {
    if let Some(unknown) = unknown_parameters(request, &[allowed]) {
        return Err(Box::new(unknown));
    }
    let intent = inner
        .intents
        .get_mut(id)
        .ok_or_else(|| Box::new(no_such_intent(id)))?;
    let status = intent["status"].as_str().unwrap_or("").to_string();
    Ok((intent, status))
}

/// The first answer again for a known idempotency key with the same parameters (marked
/// `idempotent-replayed`, as Stripe does), a 400 for the same key with others.
fn replay(inner: &Inner, request: &RecordedRequest) -> Option<Response> {
    let key = request.idempotency_key.as_ref()?;
    let (form, answer) = inner.idempotent.get(key)?;
    if *form != request.form {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
        ));
    }
    let mut response = Json(answer.clone()).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", "true".parse().expect("header"));
    Some(response)
}

fn create(inner: &mut Inner, request: &RecordedRequest) -> Response {
    if let Some(replayed) = replay(inner, request) {
        return replayed;
    }

    let mut amount = None;
    let mut currency = None;
    let mut capture_method = "automatic_async".to_string();
    let mut automatic_payment_methods = Value::Null;
    let mut metadata = Map::new();
    let mut receipt_email = Value::Null;
    let mut description = Value::Null;
    for (key, value) in &request.form {
        match key.as_str() {
            "amount" => match value.parse::<i64>() {
                Ok(a) if a >= 1 => amount = Some(a),
                _ => {
                    return param_error(
                        "amount",
                        format!(
                        "Invalid integer: {value}. This value must be greater than or equal to 1."
                    ),
                    )
                }
            },
            "currency" => {
                if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_lowercase()) {
                    return param_error("currency", format!("Invalid currency: {value}."));
                }
                currency = Some(value.clone());
            }
            "capture_method" => {
                if !matches!(value.as_str(), "automatic" | "automatic_async" | "manual") {
                    return param_error(
                        "capture_method",
                        format!("Invalid capture_method: must be one of automatic, automatic_async, or manual (got {value})."),
                    );
                }
                capture_method = value.clone();
            }
            "automatic_payment_methods[enabled]" => {
                let enabled = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return param_error(key, format!("Invalid boolean: {value}")),
                };
                automatic_payment_methods =
                    json!({"allow_redirects": "always", "enabled": enabled});
            }
            "receipt_email" => receipt_email = json!(value),
            "description" => description = json!(value),
            k if k.starts_with("metadata[") && k.ends_with(']') => {
                metadata.insert(k["metadata[".len()..k.len() - 1].to_string(), json!(value));
            }
            other => return unknown_parameter(other),
        }
    }
    let Some(amount) = amount else {
        return param_error("amount", "Missing required param: amount.".into());
    };
    let Some(currency) = currency else {
        return param_error("currency", "Missing required param: currency.".into());
    };
    let id = new_id("pi");
    let mut intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": capture_method,
        "client_secret": format!("{id}_secret_{}", ulid::Ulid::generate()),
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": null,
        "description": description,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": metadata,
        "next_action": null,
        "payment_method": null,
        "payment_method_types": ["card"],
        "receipt_email": receipt_email,
        "status": "requires_payment_method",
    });
    if inner.auto_confirm {
        confirm_intent(&mut intent);
    }
    inner.intents.insert(id, intent.clone());
    if let Some(key) = &request.idempotency_key {
        inner
            .idempotent
            .insert(key.clone(), (request.form.clone(), intent.clone()));
    }
    Json(intent).into_response()
}
