//! The AWS SDK's configuration for SQS and SES, read from the environment the way Lambda
//! provides it: region (`AWS_REGION`), the execution role's credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, for local
//! servers such as moto, an endpoint (`AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`).
//! The HTTPS client is rustls with ring.
//!
//! `aws-config`'s full provider chain (profiles, SSO, STS, instance metadata) is not
//! linked: it would add megabytes to every function for sources a Lambda never uses.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::SdkConfig;

/// Where and as whom to call AWS.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub region: String,
    pub credentials: Option<Credentials>,
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    /// From the environment; `service` names the service-specific endpoint variable
    /// (`SQS` reads `AWS_ENDPOINT_URL_SQS` before `AWS_ENDPOINT_URL`).
    pub fn from_env(service: &str) -> Self {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(key), Some(secret)) => Some(Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            )),
            _ => None,
        };
        AwsSettings {
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string()),
            credentials,
            endpoint_url: var(&format!("AWS_ENDPOINT_URL_{service}"))
                .or_else(|| var("AWS_ENDPOINT_URL")),
        }
    }

    /// The SDK configuration, with every call bounded by `operation_timeout`.
    pub fn sdk_config(&self, operation_timeout: Duration) -> SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(1).min(operation_timeout))
            .operation_timeout(operation_timeout)
            .build();
        let mut builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .http_client(http)
            .timeout_config(timeouts)
            .sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep().expect("tokio sleep"));
        if let Some(credentials) = &self.credentials {
            builder =
                builder.credentials_provider(SharedCredentialsProvider::new(credentials.clone()));
        }
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder.build()
    }
}

/// Where an AWS client sends (a queue URL, a sender address), with the client built on
/// first use so a cold start makes no call to AWS; disabled when nothing is configured.
/// Cheap to clone.
pub struct Destination<C> {
    inner: Option<std::sync::Arc<(String, tokio::sync::OnceCell<C>)>>,
}

impl<C> Clone for Destination<C> {
    fn clone(&self) -> Self {
        Destination {
            inner: self.inner.clone(),
        }
    }
}

impl<C> Default for Destination<C> {
    fn default() -> Self {
        Destination { inner: None }
    }
}

impl<C> Destination<C> {
    /// Sends to `address` with a client built on first use.
    pub fn new(address: impl Into<String>) -> Self {
        Self::with_cell(address, tokio::sync::OnceCell::new())
    }

    /// Sends to `address` with a client built by the caller.
    pub fn with_client(address: impl Into<String>, client: C) -> Self {
        Self::with_cell(address, tokio::sync::OnceCell::new_with(Some(client)))
    }

    fn with_cell(address: impl Into<String>, cell: tokio::sync::OnceCell<C>) -> Self {
        Destination {
            inner: Some(std::sync::Arc::new((address.into(), cell))),
        }
    }

    /// From the environment variable `name`; disabled when it is unset or empty.
    pub fn from_env(name: &str) -> Self {
        match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Self::new(value.trim()),
            _ => Self::default(),
        }
    }

    pub fn address(&self) -> Option<&str> {
        self.inner.as_deref().map(|(address, _)| address.as_str())
    }

    /// The address and the client (built with `build` the first time), or None when
    /// disabled.
    pub async fn client<F, Fut>(&self, build: F) -> Option<(&str, &C)>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = C>,
    {
        let (address, cell) = self.inner.as_deref()?;
        Some((address.as_str(), cell.get_or_init(build).await))
    }
}
