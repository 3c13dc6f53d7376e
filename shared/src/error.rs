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

    /// Adds Medusa's `code` (`invalid_request_error`, …) to a public error.
    pub fn with_code(mut self, new_code: &'static str) -> Self {
        if let ApiError::Public { code, .. } = &mut self {
            *code = Some(new_code);
        }
        self
    }

    pub fn kind(&self) -> ErrorType {
        match self {
            ApiError::Public { kind, .. } => *kind,
            ApiError::Internal(_) => ErrorType::UnknownError,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    /// A database error, with the place of the `?` that met it (`#[track_caller]`), so
    /// the log line of a 500 says which query failed.
    #[track_caller]
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(Box::new(Failed {
            operation: Operation::At(std::panic::Location::caller()),
            source: Box::new(err),
        }))
    }
}

impl ApiError {
    /// An internal error that names the operation that failed.
    pub fn internal(
        operation: &'static str,
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ApiError::Internal(Box::new(Failed {
            operation: Operation::Named(operation),
            source: err.into(),
        }))
    }
}

/// Adds the failed operation to an internal error: `.context("reserving stock")?`.
pub trait Context<T> {
    fn context(self, operation: &'static str) -> Result<T, ApiError>;
}

impl<T, E> Context<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context(self, operation: &'static str) -> Result<T, ApiError> {
        self.map_err(|err| ApiError::internal(operation, err))
    }
}

#[derive(Debug)]
enum Operation {
    Named(&'static str),
    At(&'static std::panic::Location<'static>),
}

/// An internal failure and what was being done: its log line reads
/// `<operation>: <cause>: <its sources>`.
#[derive(Debug)]
struct Failed {
    operation: Operation,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.operation {
            Operation::Named(name) => f.write_str(name),
            Operation::At(at) => write!(f, "database call at {}:{}", at.file(), at.line()),
        }
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
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
                if crate::db_breaker::is_unreachable(
                    cause.as_ref() as &(dyn std::error::Error + 'static)
                ) {
                    tracing::warn!(error = %ErrorChain(cause.as_ref()), "database unreachable");
                    return crate::db_breaker::unavailable();
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> Result<(), sqlx::Error> {
        Err(sqlx::Error::RowNotFound)
    }

    #[rustfmt::skip]
    fn failing() -> (u32, ApiResult<()>) {
        let line = line!(); let result = (|| -> ApiResult<()> { query()?; Ok(()) })();
        (line, result)
    }

    fn logged(err: &ApiError) -> String {
        match err {
            ApiError::Internal(cause) => ErrorChain(cause.as_ref()).to_string(),
            ApiError::Public { .. } => panic!("not an internal error: {err}"),
        }
    }

    #[test]
    fn a_database_error_logs_the_place_of_the_question_mark_that_met_it() {
        let (line, result) = failing();
        let logged = logged(&result.unwrap_err());
        let expected = format!("database call at shared/src/error.rs:{line}: ");
        assert!(logged.starts_with(&expected), "{logged}");
        assert!(logged.contains("no rows returned"), "{logged}");
    }

    #[test]
    fn a_named_operation_comes_first_in_the_log_line() {
        let err = query().context("reserving stock").unwrap_err();
        assert!(
            logged(&err).starts_with("reserving stock: "),
            "{}",
            logged(&err)
        );
    }
}
