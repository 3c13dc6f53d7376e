//! Customers: created with a registration token (one account per email), read and
//! changed by the logged-in customer, listed for the merchant.

use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::wire::{AddressBody, AddressRow, CustomerBody, CustomerRow};
use store::error::{ApiError, ApiResult, Context, ErrorType};
use store::id::new_id;
use store::web::AppState;
use store_auth::token::Claims;

/// The longest name, phone or company accepted.
const MAX_TEXT: usize = 255;

/// A customer with its addresses, loaded for an answer.
pub struct Customer {
    pub row: CustomerRow,
    pub addresses: Vec<AddressRow>,
    pub orders: Option<Vec<Value>>,
}

impl Customer {
    pub fn render(&self) -> ApiResult<Value> {
        let body = CustomerBody {
            row: &self.row,
            addresses: self.addresses.iter().map(AddressBody::new).collect(),
            orders: self.orders.clone(),
        };
        serde_json::to_value(body).context("serializing a customer")
    }
}

fn duplicate() -> ApiError {
    ApiError::public(
        ErrorType::DuplicateError,
        "Customer with this email already has an account",
    )
    .with_code("invalid_request_error")
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Customer with id: {id} was not found"))
}

/// Checks a text field's length; returns it trimmed (empty becomes none).
pub(crate) fn text(field: &str, value: Option<String>) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_string();
    if value.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid_data(format!(
            "{field} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok((!value.is_empty()).then_some(value))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// `POST /store/customers`: the customer of a registered identity that has none yet.
/// The email is the identity's; another one in the body is refused.
pub async fn create(
    state: &AppState,
    claims: &Claims,
    input: CreateCustomer,
) -> ApiResult<Customer> {
    let mut tx = state.pool.begin().await?;
    let identity = sqlx::query!(
        "SELECT email, customer_id FROM auth_identities
          WHERE id = $1 AND actor_type = 'customer' FOR UPDATE",
        claims.auth_identity_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(ApiError::unauthorized)?;
    if identity.customer_id.is_some() {
        return Err(duplicate());
    }
    if let Some(email) = &input.email {
        if email.trim().to_lowercase() != identity.email {
            return Err(ApiError::invalid_data(
                "email must be the email the account was registered with",
            ));
        }
    }
    let id = new_id("cus");
    let inserted = sqlx::query!(
        "INSERT INTO customers (id, email, first_name, last_name, phone, company_name, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING RETURNING id",
        id,
        identity.email,
        text("first_name", input.first_name)?,
        text("last_name", input.last_name)?,
        text("phone", input.phone)?,
        text("company_name", input.company_name)?,
        input.metadata.map(Value::Object),
    )
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Err(duplicate());
    }
    sqlx::query!(
        "UPDATE auth_identities SET customer_id = $2, updated_at = now() WHERE id = $1",
        claims.auth_identity_id,
        id,
    )
    .execute(&mut *tx)
    .await?;
    let customer = load(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(customer)
}

/// The customer and its addresses (oldest first); 404 when deleted or unknown.
pub async fn load(conn: &mut PgConnection, id: &str) -> ApiResult<Customer> {
    let row = sqlx::query_as!(
        CustomerRow,
        "SELECT id, email, company_name, first_name, last_name, phone, metadata, has_account,
                deleted_at, created_at, updated_at
           FROM customers WHERE id = $1 AND deleted_at IS NULL",
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(id))?;
    let addresses = crate::addresses::of_customer(&mut *conn, id).await?;
    Ok(Customer {
        row,
        addresses,
        orders: None,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// `POST /store/customers/me`: the fields given change, the others stay.
pub async fn update(state: &AppState, id: &str, input: UpdateCustomer) -> ApiResult<Customer> {
    let first_name = text("first_name", input.first_name.clone())?;
    let last_name = text("last_name", input.last_name.clone())?;
    let phone = text("phone", input.phone.clone())?;
    let company_name = text("company_name", input.company_name.clone())?;
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "UPDATE customers SET
            first_name = CASE WHEN $2 THEN $3 ELSE first_name END,
            last_name = CASE WHEN $4 THEN $5 ELSE last_name END,
            phone = CASE WHEN $6 THEN $7 ELSE phone END,
            company_name = CASE WHEN $8 THEN $9 ELSE company_name END,
            metadata = CASE WHEN $10 THEN $11 ELSE metadata END,
            updated_at = now()
          WHERE id = $1 AND deleted_at IS NULL",
        id,
        input.first_name.is_some(),
        first_name,
        input.last_name.is_some(),
        last_name,
        input.phone.is_some(),
        phone,
        input.company_name.is_some(),
        company_name,
        input.metadata.is_some(),
        input.metadata.map(Value::Object),
    )
    .execute(&mut *tx)
    .await?;
    let customer = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(customer)
}

/// `GET /admin/customers`: newest first, `q` matching email or name.
pub async fn list(
    state: &AppState,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<Value>, i64)> {
    let pattern = q.map(|q| format!("%{}%", store::catalog::regions::escape_like(q.trim())));
    let rows = sqlx::query!(
        r#"SELECT id, count(*) OVER () AS "total!"
             FROM customers
            WHERE deleted_at IS NULL
              AND ($1::text IS NULL OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1
                   OR (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ILIKE $1)
            ORDER BY created_at DESC, id DESC
            LIMIT $2 OFFSET $3"#,
        pattern,
        limit,
        offset,
    )
    .fetch_all(&state.pool)
    .await?;
    let count = rows.first().map_or(0, |r| r.total);
    let mut conn = state.pool.acquire().await?;
    let mut customers = Vec::with_capacity(rows.len());
    for row in rows {
        customers.push(load(&mut conn, &row.id).await?.render()?);
    }
    Ok((customers, count))
}
