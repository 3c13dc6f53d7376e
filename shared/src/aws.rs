//! The AWS SDK's configuration for SQS and SES, read from the environment the way Lambda
//! provides it: region (`AWS_REGION`), the execution role's credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, for local
//! servers such as moto, an endpoint (`AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`).
//! The HTTP client is the reqwest client the store links anyway (HTTP/1.1, rustls with
//! ring): SQS and SES speak HTTP/1.1, and the SDK's own client would add HTTP/2 and a
//! second hyper stack to every function (about 0.2 MB of each binary).
//!
//! `aws-config`'s full provider chain (profiles, SSO, STS, instance metadata) is not
//! linked: it would add megabytes to every function for sources a Lambda never uses.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use std::sync::OnceLock;

use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
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
        let http = reqwest_http_client();
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

/// The SDK's HTTP client: one reqwest client (one connection pool), built with the
/// connect and read timeouts of the first operation's settings (every operation of a
/// configuration has the same).
fn reqwest_http_client() -> SharedHttpClient {
    let connector = OnceLock::new();
    http_client_fn(move |settings, _| {
        connector
            .get_or_init(|| SharedHttpConnector::new(ReqwestConnector::new(settings)))
            .clone()
    })
}

#[derive(Debug)]
struct ReqwestConnector(Option<reqwest::Client>);

impl ReqwestConnector {
    fn new(settings: &HttpConnectorSettings) -> Self {
        let mut builder = reqwest::Client::builder();
        if let Some(timeout) = settings.connect_timeout() {
            builder = builder.connect_timeout(timeout);
        }
        if let Some(timeout) = settings.read_timeout() {
            builder = builder.read_timeout(timeout);
        }
        // Only a TLS backend that cannot start fails here; every call then says so.
        ReqwestConnector(
            builder
                .build()
                .map_err(|e| tracing::error!(error = %e, "the AWS SDK's HTTP client cannot start"))
                .ok(),
        )
    }
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move {
            let client = client.ok_or_else(|| {
                ConnectorError::other("the AWS SDK's HTTP client cannot start".into(), None)
            })?;
            // SQS and SES requests are built in memory; a streaming body is not sent.
            let body = request
                .body()
                .bytes()
                .map(axum::body::Bytes::copy_from_slice)
                .ok_or_else(|| ConnectorError::user("a streaming request body".into()))?;
            let method = reqwest::Method::from_bytes(request.method().as_bytes())
                .map_err(|e| ConnectorError::user(e.into()))?;
            let mut outgoing = client.request(method, request.uri()).body(body);
            for (name, value) in request.headers() {
                outgoing = outgoing.header(name, value);
            }
            let answer = outgoing.send().await.map_err(connector_error)?;
            let status = StatusCode::try_from(answer.status().as_u16())
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let headers = answer.headers().clone();
            let bytes = answer.bytes().await.map_err(connector_error)?;
            let mut response = HttpResponse::new(status, SdkBody::from(bytes));
            for (name, value) in &headers {
                response.headers_mut().append(name.clone(), value.clone());
            }
            Ok(response)
        })
    }
}

/// A reqwest failure as the SDK classifies it: timeouts and I/O are retried.
fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
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
