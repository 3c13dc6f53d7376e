//! One API error type, rendered as Medusa renders errors: `{type, message, code?}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Error kinds with Medusa's status mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    NotAllowed,
    InvalidData,
    Unauthorized,
    NotFound,
    Conflict,
    DuplicateError,
    PaymentAuthorizationError,
    UnknownError,
}

impl ErrorType {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::NotAllowed | ErrorType::InvalidData => StatusCode::BAD_REQUEST,
            ErrorType::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
            ErrorType::Conflict => StatusCode::CONFLICT,
            ErrorType::DuplicateError | ErrorType::PaymentAuthorizationError => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorType::UnknownError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A client mistake or an expected outcome; the message is shown to the caller.
    #[error("{message}")]
    Public {
        kind: ErrorType,
        message: String,
        code: Option<&'static str>,
    },
    /// Anything else: logged with its cause, never shown to the caller.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::public(ErrorType::InvalidData, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::public(ErrorType::NotFound, message)
    }

    /// The one answer to a caller without valid credentials, as Medusa gives it.
    pub fn unauthorized() -> Self {
        Self::public(ErrorType::Unauthorized, "Unauthorized")
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::public(ErrorType::NotAllowed, message)
    }

    pub fn public(kind: ErrorType, message: impl Into<String>) -> Self {
        ApiError::Public {
            kind,
            message: message.into(),
            code: None,
        }
    }

    pub fn kind(&self) -> ErrorType {
        match self {
            ApiError::Public { kind, .. } => *kind,
            ApiError::Internal(_) => ErrorType::UnknownError,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(Box::new(err))
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: ErrorType,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Public {
                kind,
                message,
                code,
            } => (
                kind.status(),
                Json(ErrorBody {
                    kind: *kind,
                    message,
                    code: *code,
                }),
            )
                .into_response(),
            ApiError::Internal(cause) => {
                tracing::error!(error = %ErrorChain(cause.as_ref()), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorBody {
                        kind: ErrorType::UnknownError,
                        message: "An unknown error occurred.",
                        code: Some("unknown_error"),
                    }),
                )
                    .into_response()
            }
        }
    }
}

/// Displays an error with all its sources, for the one log line an internal error gets.
struct ErrorChain<'a>(&'a (dyn std::error::Error + Send + Sync));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
