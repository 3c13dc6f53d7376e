//! `pp_system_default`: Medusa's system provider. Nothing is charged online; every
//! payment is authorized at once and captured or canceled by hand.

use serde_json::{json, Value};

use super::{Authorization, InitiateRequest, PaymentError, PaymentProvider};

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemProvider;

pub const SYSTEM_PROVIDER_ID: &str = "pp_system_default";

#[async_trait::async_trait]
impl PaymentProvider for SystemProvider {
    fn id(&self) -> &'static str {
        SYSTEM_PROVIDER_ID
    }

    async fn initiate(&self, _req: &InitiateRequest) -> Result<Value, PaymentError> {
        Ok(json!({}))
    }

    async fn authorize(&self, data: &Value) -> Result<Authorization, PaymentError> {
        Ok(Authorization::Authorized { data: data.clone() })
    }

    async fn capture(&self, data: &Value) -> Result<Value, PaymentError> {
        Ok(data.clone())
    }

    async fn cancel(&self, data: &Value) -> Result<Value, PaymentError> {
        Ok(data.clone())
    }

    async fn refund(&self, data: &Value, _amount: i64, _key: &str) -> Result<Value, PaymentError> {
        Ok(data.clone())
    }
}
