//! Who a Store API request comes from: a customer's JWT, sent as `Authorization: Bearer`
//! (`@medusajs/js-sdk`'s default) or in the session cookie that `POST /auth/session` sets
//! (`auth: { type: "session" }`).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{COOKIE, HOST};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use store::error::ApiError;
use store::web::AppState;
use store_auth::token::{self, Claims};
use store_auth::Auth;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "store_session";

/// A logged-in customer: a valid customer token whose customer exists.
#[derive(Debug, Clone)]
pub struct CustomerContext {
    pub customer_id: String,
    pub identity_id: String,
    pub email: String,
}

/// The customer if the request carries a valid login, else none (a missing, expired or
/// foreign token makes a guest, as Medusa's store routes that allow guests do).
#[derive(Debug, Clone)]
pub struct OptionalCustomer(pub Option<CustomerContext>);

/// A valid customer token, with or without a customer yet (the registration token that
/// `POST /store/customers` takes).
#[derive(Debug, Clone)]
pub struct IdentityToken(pub Claims);

/// The token of the request: the bearer token, else the session cookie.
pub fn token_of(parts: &Parts) -> Option<String> {
    if let Some(token) = store_auth::bearer(parts) {
        return Some(token.to_string());
    }
    session_cookie(parts)
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// Why a request has no valid customer token.
enum Refusal {
    /// Logins are not configured (no `JWT_SECRET`).
    Disabled,
    Unauthorized,
}

impl From<Refusal> for Response {
    fn from(refusal: Refusal) -> Response {
        match refusal {
            Refusal::Disabled => store_auth::disabled_response(),
            Refusal::Unauthorized => unauthorized(),
        }
    }
}

/// The verified claims of the request's customer token.
fn claims(parts: &Parts, auth: &Auth) -> Result<Claims, Refusal> {
    let inner = auth.inner().ok_or(Refusal::Disabled)?;
    let token = token_of(parts).ok_or(Refusal::Unauthorized)?;
    token::verify(&inner.secret, &token, "customer").ok_or(Refusal::Unauthorized)
}

fn unauthorized() -> Response {
    ApiError::unauthorized().into_response()
}

async fn customer_of(state: &AppState, claims: Claims) -> Result<CustomerContext, Response> {
    if claims.actor_id.is_empty() {
        return Err(unauthorized());
    }
    let email = state
        .on_pool(async |conn| {
            sqlx::query_scalar!(
                "SELECT email FROM customers WHERE id = $1 AND deleted_at IS NULL",
                claims.actor_id
            )
            .fetch_optional(conn)
            .await
        })
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let email = email.ok_or_else(unauthorized)?;
    Ok(CustomerContext {
        customer_id: claims.actor_id,
        identity_id: claims.auth_identity_id,
        email,
    })
}

/// The router state the customer extractors read: the app state (for the database) and
/// the login settings. Every state that holds both is one.
pub trait CustomerState: Send + Sync {
    fn app(&self) -> AppState;
    fn auth(&self) -> Auth;
}

impl<S> CustomerState for S
where
    AppState: FromRef<S>,
    Auth: FromRef<S>,
    S: Send + Sync,
{
    fn app(&self) -> AppState {
        AppState::from_ref(self)
    }

    fn auth(&self) -> Auth {
        Auth::from_ref(self)
    }
}

impl<S: CustomerState> FromRequestParts<S> for CustomerContext {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let claims = claims(parts, &state.auth()).map_err(Response::from)?;
        customer_of(&state.app(), claims).await
    }
}

impl<S: CustomerState> FromRequestParts<S> for OptionalCustomer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        if token_of(parts).is_none() {
            return Ok(OptionalCustomer(None));
        }
        let Ok(claims) = claims(parts, &state.auth()) else {
            return Ok(OptionalCustomer(None));
        };
        match customer_of(&state.app(), claims).await {
            Ok(customer) => Ok(OptionalCustomer(Some(customer))),
            Err(response) if response.status().is_server_error() => Err(response),
            Err(_) => Ok(OptionalCustomer(None)),
        }
    }
}

impl<S: CustomerState> FromRequestParts<S> for IdentityToken {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        claims(parts, &state.auth())
            .map(IdentityToken)
            .map_err(Response::from)
    }
}

/// The `Set-Cookie` value of a session holding `token` for `max_age` seconds: HttpOnly,
/// SameSite=Lax, and Secure unless the request came to localhost (where browsers refuse
/// Secure cookies over plain http).
pub fn session_cookie_header(parts: &Parts, token: &str, max_age: u64) -> String {
    let mut cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    if !is_local(parts) {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The `Set-Cookie` value that ends the session.
pub fn cleared_cookie_header(parts: &Parts) -> String {
    session_cookie_header(parts, "", 0)
}

/// Whether the session cookie was sent.
pub fn has_session_cookie(parts: &Parts) -> bool {
    session_cookie(parts).is_some()
}

fn is_local(parts: &Parts) -> bool {
    let host = parts
        .headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())
        .unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::get("/store/customers/me");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_token_comes_from_the_bearer_header_before_the_cookie() {
        let both = parts(&[
            ("authorization", "Bearer abc"),
            ("cookie", "x=1; store_session=def"),
        ]);
        assert_eq!(token_of(&both).as_deref(), Some("abc"));
        let cookie = parts(&[("cookie", "x=1; store_session=def; y=2")]);
        assert_eq!(token_of(&cookie).as_deref(), Some("def"));
        assert_eq!(token_of(&parts(&[("cookie", "store_sessionx=1")])), None);
        assert_eq!(token_of(&parts(&[])), None);
    }

    #[test]
    fn the_cookie_is_secure_except_on_localhost() {
        let local = parts(&[("host", "localhost:9000")]);
        let cookie = session_cookie_header(&local, "t", 60);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"));
        let public = parts(&[("host", "shop.example.com")]);
        assert!(session_cookie_header(&public, "t", 60).ends_with("; Secure"));
        assert!(cleared_cookie_header(&public).contains("Max-Age=0"));
    }
}
