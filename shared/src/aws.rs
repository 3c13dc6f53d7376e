//! The AWS SDK's configuration for SQS and SES: region, credentials and endpoint from the
//! environment as usual (`AWS_ENDPOINT_URL` points it at moto locally), with an HTTPS
//! client on rustls and ring.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// A loader with this crate's HTTPS client; callers add what they need, then `load()`.
pub fn loader() -> ConfigLoader {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(http)
}

/// The configuration from the environment, with calls bounded by `operation_timeout`.
pub async fn config(operation_timeout: Duration) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1).min(operation_timeout))
        .operation_timeout(operation_timeout)
        .build();
    loader().timeout_config(timeouts).load().await
}
