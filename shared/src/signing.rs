//! HMAC-SHA256 over `"{timestamp}.{payload}"`: how Stripe signs the webhooks it sends us
//! and how the fulfilment webhook signs the ones we send.

use hmac::Hmac;
pub use hmac::Mac;
use sha2::Sha256;

/// The MAC of `payload` sent at `timestamp` (Unix seconds), keyed with `secret`.
pub fn timestamped_mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}
