//! Payment providers against a local fake of Stripe's PaymentIntents API (no database, no
//! network beyond 127.0.0.1).

use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::{json, Value};

use store::payments::{
    Authorization, InitiateRequest, PaymentError, PaymentProvider, PaymentProviders,
};
use store_stripe::{
    providers, providers_from_lookup, verify_webhook, webhook_signature, webhook_signature_header,
    StripeConfig, StripeProvider, WebhookError,
};
use store_tests::stripe_fake::{StripeFake, FAKE_API_KEY};

const TIMEOUT: Duration = Duration::from_secs(5);

fn request(session_id: &str) -> InitiateRequest {
    InitiateRequest {
        session_id: session_id.to_string(),
        amount: 4599,
        currency_code: "eur".to_string(),
        cart_id: "cart_01TEST".to_string(),
        email: Some("shopper@example.com".to_string()),
    }
}

fn new_session_id() -> String {
    format!("payses_{}", ulid::Ulid::generate())
}

async fn stripe() -> (StripeFake, PaymentProviders) {
    let fake = StripeFake::start().await;
    let providers = providers(Some(fake.config(TIMEOUT)));
    (fake, providers)
}

fn provider(providers: &PaymentProviders) -> &dyn PaymentProvider {
    providers
        .get("pp_stripe_stripe")
        .expect("Stripe is configured")
}

/// A new session's payment intent (its session data), created through `stripe`.
async fn new_intent(stripe: &dyn PaymentProvider) -> Value {
    stripe.initiate(&request(&new_session_id())).await.unwrap()
}

/// [`stripe`] with one new payment intent (its session data).
async fn stripe_with_intent() -> (StripeFake, PaymentProviders, Value) {
    let (fake, providers) = stripe().await;
    let data = new_intent(provider(&providers)).await;
    (fake, providers, data)
}

fn intent_id(data: &Value) -> String {
    data["id"]
        .as_str()
        .expect("session data has an id")
        .to_string()
}

#[tokio::test]
async fn the_system_provider_authorizes_at_once() {
    let providers = providers(None);
    assert_eq!(providers.ids(), vec!["pp_system_default"]);
    assert!(providers.get("pp_stripe_stripe").is_none());
    let system = providers.get("pp_system_default").expect("system provider");
    assert_eq!(system.id(), "pp_system_default");

    let data = system.initiate(&request(&new_session_id())).await.unwrap();
    assert_eq!(data, json!({}));
    assert_eq!(
        system.authorize(&data).await.unwrap(),
        Authorization::Authorized { data: json!({}) }
    );
    assert_eq!(system.capture(&data).await.unwrap(), json!({}));
    assert_eq!(system.cancel(&data).await.unwrap(), json!({}));
}

#[tokio::test]
async fn stripe_is_offered_only_when_an_api_key_is_set() {
    let without = providers_from_lookup(|_| None);
    assert_eq!(without.ids(), vec!["pp_system_default"]);
    let blank = providers_from_lookup(|name| (name == "STRIPE_API_KEY").then(|| " ".into()));
    assert_eq!(blank.ids(), vec!["pp_system_default"]);

    let with = providers_from_lookup(|name| match name {
        "STRIPE_API_KEY" => Some("sk_test_fromenv123".into()),
        "STRIPE_WEBHOOK_SECRET" => Some("whsec_fromenv".into()),
        "STRIPE_TIMEOUT_MS" => Some("2500".into()),
        _ => None,
    });
    assert_eq!(with.ids(), vec!["pp_system_default", "pp_stripe_stripe"]);
    assert_eq!(
        with.get("pp_stripe_stripe").unwrap().id(),
        "pp_stripe_stripe"
    );
    assert_eq!(with.stripe_webhook_secret(), Some("whsec_fromenv"));
    let debug = format!("{with:?}");
    assert!(!debug.contains("whsec_fromenv"), "{debug}");

    let config = StripeConfig::new("sk_test_secretkey42");
    let debug = format!("{config:?}");
    assert!(!debug.contains("sk_test_secretkey42"), "{debug}");
}

#[tokio::test]
async fn stripe_initiate_sends_the_amount_currency_and_idempotency_key_and_returns_the_client_secret(
) {
    let (fake, providers) = stripe().await;
    let session_id = new_session_id();
    let data = provider(&providers)
        .initiate(&request(&session_id))
        .await
        .unwrap();

    let id = intent_id(&data);
    assert!(id.starts_with("pi_"), "{data}");
    let secret = data["client_secret"].as_str().unwrap();
    assert!(secret.starts_with(&format!("{id}_secret_")), "{data}");
    assert_eq!(data["status"], "requires_payment_method");
    assert_eq!(data["amount"], 4599);
    assert_eq!(data["currency"], "eur");
    assert_eq!(data["capture_method"], "manual");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, Method::POST);
    assert_eq!(sent.path, "/v1/payment_intents");
    assert_eq!(
        sent.authorization.as_deref(),
        Some(format!("Bearer {FAKE_API_KEY}").as_str())
    );
    assert_eq!(sent.idempotency_key.as_deref(), Some(session_id.as_str()));
    assert_eq!(
        sent.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.param("amount"), Some("4599"));
    assert_eq!(sent.param("currency"), Some("eur"));
    assert_eq!(
        sent.param("automatic_payment_methods[enabled]"),
        Some("true")
    );
    assert_eq!(sent.param("capture_method"), Some("manual"));
    assert_eq!(sent.param("metadata[cart_id]"), Some("cart_01TEST"));
    assert_eq!(
        sent.param("metadata[session_id]"),
        Some(session_id.as_str())
    );

    let intent = fake.intent(&id).expect("the fake holds the intent");
    assert_eq!(intent["client_secret"], data["client_secret"]);
    assert_eq!(intent["metadata"]["cart_id"], "cart_01TEST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_session_id_twice_creates_one_intent() {
    let (fake, providers) = stripe().await;
    let stripe = provider(&providers);
    let session_id = new_session_id();

    let first = stripe.initiate(&request(&session_id)).await.unwrap();
    let again = stripe.initiate(&request(&session_id)).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(fake.intent_count(), 1);

    // Concurrent initiates of one new session, on several worker threads.
    let concurrent_id = new_session_id();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let providers = providers.clone();
            let req = request(&concurrent_id);
            tokio::spawn(async move { provider(&providers).initiate(&req).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(intent_id(&task.await.unwrap().expect("initiate")));
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_ne!(ids[0], intent_id(&first));
    assert_eq!(fake.intent_count(), 2);
    let creates = fake
        .requests()
        .iter()
        .filter(|r| r.idempotency_key.as_deref() == Some(concurrent_id.as_str()))
        .count();
    assert_eq!(creates, 8);
}

#[tokio::test]
async fn authorize_after_confirmation_is_authorized() {
    let (fake, providers, data) = stripe_with_intent().await;
    let stripe = provider(&providers);
    let id = intent_id(&data);

    match stripe.authorize(&data).await.unwrap() {
        Authorization::RequiresMore { data, message } => {
            assert_eq!(data["status"], "requires_payment_method");
            assert!(!message.is_empty());
        }
        other => panic!("an unconfirmed intent is not authorized: {other:?}"),
    }

    fake.require_action(&id);
    assert!(matches!(
        stripe.authorize(&data).await.unwrap(),
        Authorization::RequiresMore { .. }
    ));

    fake.confirm(&id);
    match stripe.authorize(&data).await.unwrap() {
        Authorization::Authorized { data } => {
            assert_eq!(data["id"], id.as_str());
            assert_eq!(data["status"], "requires_capture");
        }
        other => panic!("a confirmed intent is authorized: {other:?}"),
    }
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.method, Method::GET);
    assert_eq!(last.path, format!("/v1/payment_intents/{id}"));
    assert_eq!(
        last.authorization.as_deref(),
        Some(format!("Bearer {FAKE_API_KEY}").as_str())
    );
}

#[tokio::test]
async fn auto_confirmed_intents_are_authorized_on_the_first_look() {
    let (fake, providers) = stripe().await;
    fake.set_auto_confirm(true);
    let stripe = provider(&providers);
    let data = new_intent(stripe).await;
    assert!(matches!(
        stripe.authorize(&data).await.unwrap(),
        Authorization::Authorized { .. }
    ));
}

#[tokio::test]
async fn a_declined_card_is_declined_with_the_gateways_message() {
    let (fake, providers, data) = stripe_with_intent().await;
    let stripe = provider(&providers);
    fake.decline(&intent_id(&data));

    match stripe.authorize(&data).await.unwrap() {
        Authorization::Declined { data, message } => {
            assert_eq!(message, "Your card was declined.");
            assert_eq!(data["last_payment_error"]["code"], "card_declined");
            assert_eq!(
                data["last_payment_error"]["decline_code"],
                "generic_decline"
            );
        }
        other => panic!("a declined card is declined: {other:?}"),
    }
}

#[tokio::test]
async fn a_canceled_intent_is_declined() {
    let (_fake, providers) = stripe().await;
    let stripe = provider(&providers);
    let data = new_intent(stripe).await;
    stripe.cancel(&data).await.unwrap();
    assert!(matches!(
        stripe.authorize(&data).await.unwrap(),
        Authorization::Declined { .. }
    ));
}

#[tokio::test]
async fn a_slow_gateway_times_out_within_the_configured_timeout() {
    let fake = StripeFake::start().await;
    let timeout = Duration::from_millis(300);
    let providers = providers(Some(fake.config(timeout)));
    let stripe = provider(&providers);
    fake.set_delay(Some(Duration::from_secs(10)));

    let started = Instant::now();
    let result = stripe.initiate(&request(&new_session_id())).await;
    let elapsed = started.elapsed();
    assert_eq!(result, Err(PaymentError::Timeout));
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    let started = Instant::now();
    let result = stripe.authorize(&json!({"id": "pi_slow"})).await;
    assert_eq!(result, Err(PaymentError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_gateway_answering_500_is_unavailable() {
    let (fake, providers, data) = stripe_with_intent().await;
    let stripe = provider(&providers);
    fake.set_fail_with_500(true);

    for result in [
        stripe.initiate(&request(&new_session_id())).await,
        stripe.capture(&data).await,
        stripe.cancel(&data).await,
    ] {
        assert!(
            matches!(result, Err(PaymentError::Unavailable(_))),
            "{result:?}"
        );
    }
    assert!(matches!(
        stripe.authorize(&data).await,
        Err(PaymentError::Unavailable(_))
    ));
}

#[tokio::test]
async fn an_unreachable_gateway_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let stripe = StripeProvider::new(StripeConfig {
        api_key: FAKE_API_KEY.into(),
        api_base: format!("http://{addr}"),
        timeout: TIMEOUT,
        webhook_secret: None,
    })
    .unwrap();
    let result = stripe.initiate(&request(&new_session_id())).await;
    assert!(
        matches!(result, Err(PaymentError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn capture_and_cancel_hit_the_right_endpoints() {
    let (fake, providers) = stripe().await;
    let stripe = provider(&providers);

    let paid = new_intent(stripe).await;
    let paid_id = intent_id(&paid);
    fake.confirm(&paid_id);
    let captured = stripe.capture(&paid).await.unwrap();
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amount_received"], 4599);
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.method, Method::POST);
    assert_eq!(last.path, format!("/v1/payment_intents/{paid_id}/capture"));
    assert_eq!(fake.intent(&paid_id).unwrap()["status"], "succeeded");
    // A retried capture of a captured intent is done, not an error.
    assert_eq!(stripe.capture(&paid).await.unwrap()["status"], "succeeded");

    let abandoned = new_intent(stripe).await;
    let abandoned_id = intent_id(&abandoned);
    fake.confirm(&abandoned_id);
    let canceled = stripe.cancel(&abandoned).await.unwrap();
    assert_eq!(canceled["status"], "canceled");
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.method, Method::POST);
    assert_eq!(
        last.path,
        format!("/v1/payment_intents/{abandoned_id}/cancel")
    );
    assert_eq!(fake.intent(&abandoned_id).unwrap()["status"], "canceled");
    assert_eq!(
        stripe.cancel(&abandoned).await.unwrap()["status"],
        "canceled"
    );

    // A canceled intent cannot be captured: Stripe's message comes back.
    match stripe.capture(&abandoned).await {
        Err(PaymentError::Rejected(message)) => {
            assert!(message.contains("could not be captured"), "{message}")
        }
        other => panic!("capturing a canceled intent is rejected: {other:?}"),
    }
    // Neither can a captured one be canceled.
    assert!(matches!(
        stripe.cancel(&paid).await,
        Err(PaymentError::Rejected(_))
    ));
}

#[tokio::test]
async fn a_refused_request_is_rejected_with_the_gateways_message() {
    let (_fake, providers) = stripe().await;
    let stripe = provider(&providers);
    let mut req = request(&new_session_id());
    req.amount = 0;
    match stripe.initiate(&req).await {
        Err(PaymentError::Rejected(message)) => {
            assert!(message.contains("greater than or equal to 1"), "{message}")
        }
        other => panic!("a zero amount is rejected: {other:?}"),
    }
    match stripe.authorize(&json!({"id": "pi_doesnotexist"})).await {
        Err(PaymentError::Rejected(message)) => {
            assert!(message.contains("No such payment_intent"), "{message}")
        }
        other => panic!("an unknown intent is rejected: {other:?}"),
    }
    assert!(matches!(
        stripe.authorize(&json!({"client_secret": "x"})).await,
        Err(PaymentError::Config(_))
    ));
}

#[tokio::test]
async fn a_bad_api_key_is_a_config_error_that_does_not_reveal_the_key() {
    let fake = StripeFake::start().await;
    let key = "sk_live_51TopSecretWrongKey";
    let providers = providers(Some(StripeConfig {
        api_key: key.into(),
        ..fake.config(TIMEOUT)
    }));
    let stripe = provider(&providers);

    let error = stripe
        .initiate(&request(&new_session_id()))
        .await
        .unwrap_err();
    assert!(matches!(error, PaymentError::Config(_)), "{error:?}");
    assert!(!error.to_string().contains(key), "{error}");
    assert!(!format!("{error:?}").contains(key), "{error:?}");
    // The key did reach the fake, which echoes it in its 401 message.
    assert_eq!(
        fake.requests()[0].authorization.as_deref(),
        Some(format!("Bearer {key}").as_str())
    );

    let error = stripe.authorize(&json!({"id": "pi_x"})).await.unwrap_err();
    assert!(matches!(error, PaymentError::Config(_)), "{error:?}");
    assert!(!error.to_string().contains(key), "{error}");
}

// Webhook signatures. The vector below was computed independently (Python's hmac):
// HMAC-SHA256("whsec_test_secret", "1700000000." + PAYLOAD), hex.
const PAYLOAD: &str = r#"{"id":"evt_1","object":"event","type":"payment_intent.amount_capturable_updated","data":{"object":{"id":"pi_1","object":"payment_intent","status":"requires_capture"}}}"#;
const SECRET: &str = "whsec_test_secret";
const T: i64 = 1_700_000_000;
const V1: &str = "e0d24c788f72bc76ee59dd229ca4c0873f0cb738910916f859848a98234f692d";

#[test]
fn a_validly_signed_webhook_passes() {
    let header = format!("t={T},v1={V1}");
    let event = verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T + 10, 300).unwrap();
    assert_eq!(event["type"], "payment_intent.amount_capturable_updated");
    assert_eq!(event["data"]["object"]["id"], "pi_1");

    assert_eq!(webhook_signature(PAYLOAD.as_bytes(), SECRET, T), V1);
    assert_eq!(
        webhook_signature_header(PAYLOAD.as_bytes(), SECRET, T),
        header
    );
    // Other schemes and spaces are ignored.
    let header = format!(
        "t={T}, v1={V1}, v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
    );
    assert!(verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T, 300).is_ok());
}

#[test]
fn a_webhook_with_a_tampered_payload_fails() {
    let header = format!("t={T},v1={V1}");
    let tampered = PAYLOAD.replace("requires_capture", "succeeded");
    assert_eq!(
        verify_webhook(tampered.as_bytes(), &header, SECRET, T, 300),
        Err(WebhookError::SignatureMismatch)
    );
    // A changed timestamp breaks the signature too.
    let header = format!("t={},v1={V1}", T + 1);
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T, 300),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_webhook_signed_with_another_secret_fails() {
    let header = format!("t={T},v1={V1}");
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &header, "whsec_other", T, 300),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_webhook_with_a_stale_timestamp_fails() {
    let header = format!("t={T},v1={V1}");
    assert!(verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T + 300, 300).is_ok());
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T + 301, 300),
        Err(WebhookError::OutsideTolerance)
    );
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T - 301, 300),
        Err(WebhookError::OutsideTolerance)
    );
}

#[test]
fn a_webhook_header_with_several_v1_values_passes_when_one_matches() {
    let wrong = webhook_signature(PAYLOAD.as_bytes(), "whsec_rolled_away", T);
    let header = format!("t={T},v1={wrong},v1=nothex,v1={V1}");
    assert!(verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T, 300).is_ok());
    let header = format!("t={T},v1={wrong},v1=nothex");
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &header, SECRET, T, 300),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_webhook_header_without_a_timestamp_or_signature_fails() {
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &format!("v1={V1}"), SECRET, T, 300),
        Err(WebhookError::MissingTimestamp)
    );
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), &format!("t={T}"), SECRET, T, 300),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verify_webhook(PAYLOAD.as_bytes(), "", SECRET, T, 300),
        Err(WebhookError::MissingTimestamp)
    );
}
