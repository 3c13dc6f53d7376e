//! The fulfilment webhook's signature.
//!
//! Every POST carries `X-Store-Timestamp` (Unix seconds) and
//! `X-Store-Signature: v1=<hex>`, where `<hex>` is HMAC-SHA256 keyed with the shared
//! secret over `<timestamp>.<raw body>`. A receiver recomputes it, compares in constant
//! time and refuses timestamps older than a few minutes (replays).

use store::signing::{timestamped_mac, Mac};

pub const TIMESTAMP_HEADER: &str = "x-store-timestamp";
pub const SIGNATURE_HEADER: &str = "x-store-signature";
pub const EVENT_HEADER: &str = "x-store-event";
pub const EVENT_ID_HEADER: &str = "x-store-event-id";

/// `v1=<hex>` for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = timestamped_mac(secret, timestamp, body)
        .finalize()
        .into_bytes();
    format!("v1={}", hex::encode(digest))
}

/// Checks a signature header as a receiver would (constant-time comparison).
pub fn verify(secret: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(given) = header.strip_prefix("v1=").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    timestamped_mac(secret, timestamp, body)
        .verify_slice(&given)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_timestamp_and_secret() {
        let sig = sign("whsec", 1_700_000_000, b"{\"a\":1}");
        assert!(verify("whsec", 1_700_000_000, b"{\"a\":1}", &sig));
        assert!(!verify("whsec", 1_700_000_001, b"{\"a\":1}", &sig));
        assert!(!verify("whsec", 1_700_000_000, b"{\"a\":2}", &sig));
        assert!(!verify("other", 1_700_000_000, b"{\"a\":1}", &sig));
        assert!(!verify("whsec", 1_700_000_000, b"{\"a\":1}", "v1=zz"));
    }
}
