//! JWTs with Medusa v2's claims (HS256): `actor_id`, `actor_type` (`user` or `customer`),
//! `auth_identity_id`, `auth_provider`, `app_metadata` (`{user_id}` or `{customer_id}`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// `user_…`, `cus_…`, or empty for a customer identity without a customer yet.
    pub actor_id: String,
    pub actor_type: String,
    pub auth_identity_id: String,
    #[serde(default = "emailpass")]
    pub auth_provider: String,
    pub app_metadata: Value,
    #[serde(default = "empty_object")]
    pub user_metadata: Value,
    pub iat: i64,
    pub exp: i64,
}

fn emailpass() -> String {
    "emailpass".into()
}

fn empty_object() -> Value {
    json!({})
}

impl Claims {
    /// An admin user's token.
    pub fn user(user_id: &str, iat: i64, exp: i64) -> Self {
        Claims {
            actor_id: user_id.to_string(),
            actor_type: "user".into(),
            auth_identity_id: user_id.to_string(),
            auth_provider: emailpass(),
            app_metadata: json!({ "user_id": user_id }),
            user_metadata: empty_object(),
            iat,
            exp,
        }
    }

    /// A customer identity's token: before the customer exists (`customer_id` None, the
    /// registration token) or after (the login token).
    pub fn customer(identity_id: &str, customer_id: Option<&str>, iat: i64, exp: i64) -> Self {
        Claims {
            actor_id: customer_id.unwrap_or_default().to_string(),
            actor_type: "customer".into(),
            auth_identity_id: identity_id.to_string(),
            auth_provider: emailpass(),
            app_metadata: match customer_id {
                Some(id) => json!({ "customer_id": id }),
                None => json!({}),
            },
            user_metadata: empty_object(),
            iat,
            exp,
        }
    }
}

pub fn sign(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing with a byte key cannot fail")
}

/// The claims of a token signed with `secret`, unexpired, for `actor_type`.
pub fn verify(secret: &[u8], token: &str, actor_type: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .ok()
        .map(|data| data.claims)
        .filter(|c| c.actor_type == actor_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_their_secret_and_actor_only_and_not_after_expiry() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let now = chrono::Utc::now().timestamp();
        let token = sign(secret, &Claims::user("user_1", now, now + 60));
        assert_eq!(verify(secret, &token, "user").unwrap().actor_id, "user_1");
        assert!(verify(secret, &token, "customer").is_none());
        assert!(verify(b"another secret of thirty-two bytes!", &token, "user").is_none());
        let expired = sign(secret, &Claims::user("user_1", now - 7200, now - 3600));
        assert!(verify(secret, &expired, "user").is_none());
        let customer = sign(
            secret,
            &Claims::customer("authid_1", Some("cus_1"), now, now + 60),
        );
        let claims = verify(secret, &customer, "customer").unwrap();
        assert_eq!(claims.app_metadata["customer_id"], "cus_1");
        assert_eq!(claims.actor_id, "cus_1");
    }
}
