//! A customer's saved addresses. Every change locks the customer row first, so that
//! concurrent changes of the defaults cannot leave two defaults of a kind (the unique
//! partial indexes would refuse the second; the lock makes it wait instead).

use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::countries::is_country;
use crate::customers::{self, text, Customer};
use crate::wire::AddressRow;
use store::error::{ApiError, ApiResult};
use store::id::{is_well_formed, new_id};
use store::web::AppState;

/// The most addresses one customer may keep.
pub const MAX_ADDRESSES: i64 = 50;

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Address with id: {id} was not found"))
}

/// The customer's addresses, oldest first.
pub async fn of_customer(conn: &mut PgConnection, customer_id: &str) -> ApiResult<Vec<AddressRow>> {
    Ok(sqlx::query_as!(
        AddressRow,
        "SELECT id, customer_id, address_name, company, first_name, last_name, address_1, address_2,
                city, province, postal_code, country_code, phone, metadata, is_default_shipping,
                is_default_billing, created_at, updated_at
           FROM customer_addresses WHERE customer_id = $1 ORDER BY created_at, id",
        customer_id,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// One of the customer's addresses; another customer's is a 404 like an unknown one.
pub async fn get(state: &AppState, customer_id: &str, id: &str) -> ApiResult<AddressRow> {
    let mut conn = state.pool.acquire().await?;
    of_customer(&mut conn, customer_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| not_found(id))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub address_name: Option<String>,
    pub company: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub is_default_shipping: Option<bool>,
    pub is_default_billing: Option<bool>,
}

/// The input checked: texts trimmed and bounded, the country an assigned ISO code.
struct Checked {
    texts: [Option<String>; 10],
    country_code: Option<String>,
}

const TEXT_FIELDS: [&str; 10] = [
    "address_name",
    "company",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "city",
    "province",
    "postal_code",
    "phone",
];

impl AddressInput {
    fn check(&self) -> ApiResult<Checked> {
        let values = [
            &self.address_name,
            &self.company,
            &self.first_name,
            &self.last_name,
            &self.address_1,
            &self.address_2,
            &self.city,
            &self.province,
            &self.postal_code,
            &self.phone,
        ];
        let mut texts: [Option<String>; 10] = Default::default();
        for (i, (field, value)) in TEXT_FIELDS.iter().zip(values).enumerate() {
            texts[i] = text(field, value.clone())?;
        }
        let country_code = match &self.country_code {
            None => None,
            Some(code) => {
                let code = code.trim().to_ascii_lowercase();
                if !is_country(&code) {
                    return Err(ApiError::invalid_data(format!(
                        "country_code: '{code}' is not an ISO 3166-1 alpha-2 country code"
                    )));
                }
                Some(code)
            }
        };
        Ok(Checked {
            texts,
            country_code,
        })
    }

    /// Which fields the body names, for an update that keeps the others.
    fn given(&self) -> [bool; 10] {
        [
            self.address_name.is_some(),
            self.company.is_some(),
            self.first_name.is_some(),
            self.last_name.is_some(),
            self.address_1.is_some(),
            self.address_2.is_some(),
            self.city.is_some(),
            self.province.is_some(),
            self.postal_code.is_some(),
            self.phone.is_some(),
        ]
    }
}

/// Locks the customer (see the module comment); 404 when it is gone.
async fn lock_customer(conn: &mut PgConnection, customer_id: &str) -> ApiResult<()> {
    sqlx::query_scalar!(
        "SELECT id FROM customers WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        customer_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| customers::not_found(customer_id))?;
    Ok(())
}

/// Clears the defaults that `keep` is about to take over.
async fn clear_defaults(
    conn: &mut PgConnection,
    customer_id: &str,
    keep: &str,
    shipping: bool,
    billing: bool,
) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE customer_addresses
            SET is_default_shipping = is_default_shipping AND NOT $3,
                is_default_billing = is_default_billing AND NOT $4,
                updated_at = now()
          WHERE customer_id = $1 AND id <> $2
            AND ((is_default_shipping AND $3) OR (is_default_billing AND $4))",
        customer_id,
        keep,
        shipping,
        billing,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `POST /store/customers/me/addresses`: answers the customer with all its addresses.
pub async fn create(
    state: &AppState,
    customer_id: &str,
    input: AddressInput,
) -> ApiResult<Customer> {
    let checked = input.check()?;
    let mut tx = state.pool.begin().await?;
    lock_customer(&mut tx, customer_id).await?;
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM customer_addresses WHERE customer_id = $1"#,
        customer_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_ADDRESSES {
        return Err(ApiError::invalid_data(format!(
            "A customer can keep at most {MAX_ADDRESSES} addresses"
        )));
    }
    let id = new_id("cuaddr");
    let shipping = input.is_default_shipping.unwrap_or(false);
    let billing = input.is_default_billing.unwrap_or(false);
    clear_defaults(&mut tx, customer_id, &id, shipping, billing).await?;
    let [address_name, company, first_name, last_name, address_1, address_2, city, province, postal_code, phone] =
        checked.texts;
    sqlx::query!(
        "INSERT INTO customer_addresses (id, customer_id, address_name, company, first_name, last_name,
                address_1, address_2, city, province, postal_code, country_code, phone, metadata,
                is_default_shipping, is_default_billing)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        id,
        customer_id,
        address_name,
        company,
        first_name,
        last_name,
        address_1,
        address_2,
        city,
        province,
        postal_code,
        checked.country_code,
        phone,
        input.metadata.map(Value::Object),
        shipping,
        billing,
    )
    .execute(&mut *tx)
    .await?;
    let customer = customers::load(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(customer)
}

/// `POST /store/customers/me/addresses/:id`: the fields given change, the others stay.
pub async fn update(
    state: &AppState,
    customer_id: &str,
    id: &str,
    input: AddressInput,
) -> ApiResult<Customer> {
    if !is_well_formed(id, "cuaddr") {
        return Err(not_found(id));
    }
    let checked = input.check()?;
    let mut tx = state.pool.begin().await?;
    lock_customer(&mut tx, customer_id).await?;
    clear_defaults(
        &mut tx,
        customer_id,
        id,
        input.is_default_shipping == Some(true),
        input.is_default_billing == Some(true),
    )
    .await?;
    if !write_update(&mut tx, customer_id, id, input, checked).await? {
        return Err(not_found(id));
    }
    let customer = customers::load(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(customer)
}

/// Writes the fields the request gave (and only those); false when the customer has no
/// such address.
async fn write_update(
    conn: &mut PgConnection,
    customer_id: &str,
    id: &str,
    input: AddressInput,
    checked: Checked,
) -> ApiResult<bool> {
    let given = input.given();
    let [address_name, company, first_name, last_name, address_1, address_2, city, province, postal_code, phone] =
        checked.texts;
    let updated = sqlx::query_scalar!(
        "UPDATE customer_addresses SET
            address_name = CASE WHEN $3 THEN $4 ELSE address_name END,
            company = CASE WHEN $5 THEN $6 ELSE company END,
            first_name = CASE WHEN $7 THEN $8 ELSE first_name END,
            last_name = CASE WHEN $9 THEN $10 ELSE last_name END,
            address_1 = CASE WHEN $11 THEN $12 ELSE address_1 END,
            address_2 = CASE WHEN $13 THEN $14 ELSE address_2 END,
            city = CASE WHEN $15 THEN $16 ELSE city END,
            province = CASE WHEN $17 THEN $18 ELSE province END,
            postal_code = CASE WHEN $19 THEN $20 ELSE postal_code END,
            phone = CASE WHEN $21 THEN $22 ELSE phone END,
            country_code = CASE WHEN $23 THEN $24 ELSE country_code END,
            metadata = CASE WHEN $25 THEN $26 ELSE metadata END,
            is_default_shipping = coalesce($27, is_default_shipping),
            is_default_billing = coalesce($28, is_default_billing),
            updated_at = now()
          WHERE id = $1 AND customer_id = $2
          RETURNING id",
        id,
        customer_id,
        given[0],
        address_name,
        given[1],
        company,
        given[2],
        first_name,
        given[3],
        last_name,
        given[4],
        address_1,
        given[5],
        address_2,
        given[6],
        city,
        given[7],
        province,
        given[8],
        postal_code,
        given[9],
        phone,
        input.country_code.is_some(),
        checked.country_code,
        input.metadata.is_some(),
        input.metadata.map(Value::Object),
        input.is_default_shipping,
        input.is_default_billing,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(updated.is_some())
}

/// `DELETE /store/customers/me/addresses/:id`: answers the customer without it.
pub async fn delete(state: &AppState, customer_id: &str, id: &str) -> ApiResult<Customer> {
    let mut tx = state.pool.begin().await?;
    lock_customer(&mut tx, customer_id).await?;
    let deleted = sqlx::query_scalar!(
        "DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2 RETURNING id",
        id,
        customer_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if deleted.is_none() {
        return Err(not_found(id));
    }
    let customer = customers::load(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(customer)
}
