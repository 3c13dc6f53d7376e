//! Regions: a currency, the countries it serves and how they are taxed.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::error::{ApiError, ApiResult, Context};
use crate::query::{Conjunction, StoreQuery};
use crate::wire::{ser_optional_timestamp, ser_timestamp};

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub currency_code: String,
    pub automatic_taxes: bool,
    pub is_tax_inclusive: bool,
    pub tax_rate_bps: i32,
    pub metadata: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct Country {
    pub iso_2: String,
    pub iso_3: String,
    pub num_code: String,
    pub name: String,
    pub display_name: String,
    pub region_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct RegionFilter {
    pub conditions: RegionConditions,
    pub order: (&'static str, bool),
    pub limit: i64,
    pub offset: i64,
}

/// Which regions a list asks for.
#[derive(Debug, Default)]
pub struct RegionConditions {
    pub ids: Option<Vec<String>>,
    pub currency_codes: Option<Vec<String>>,
    /// A substring of the name (`q`, or `name`).
    pub q: Option<String>,
    /// `$and`/`$or`: groups of conditions, each branch conditions of its own.
    pub groups: Vec<(Conjunction, Vec<RegionConditions>)>,
}

/// The filter keys of `GET /store/regions` (besides `query::LIST_KEYS`).
pub const REGION_LIST_KEYS: [&str; 6] = ["q", "id", "currency_code", "name", "$and", "$or"];

impl RegionConditions {
    /// The conditions a list request asks for; `$and`/`$or` branches take the same keys.
    pub fn from_query(query: &StoreQuery) -> ApiResult<Self> {
        Ok(RegionConditions {
            ids: query.ids("id", "reg")?,
            currency_codes: query
                .list("currency_code")
                .map(|codes| codes.iter().map(|c| c.to_ascii_lowercase()).collect()),
            q: query
                .single("q")?
                .or(query.single("name")?)
                .map(str::to_string),
            groups: query.map_groups(Self::from_query)?,
        })
    }

    fn push(&self, sql: &mut QueryBuilder<Postgres>) {
        super::push_any(sql, "r.id", &self.ids);
        super::push_any(sql, "r.currency_code", &self.currency_codes);
        if let Some(q) = &self.q {
            sql.push(" AND r.name ILIKE ")
                .push_bind(format!("%{}%", escape_like(q)));
        }
        super::push_groups(sql, &self.groups, Self::push);
    }
}

/// Fields and relations of a region that `fields=` may name.
pub const REGION_FIELDS: [&str; 11] = [
    "id",
    "name",
    "currency_code",
    "automatic_taxes",
    "is_tax_inclusive",
    "countries",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "payment_providers",
];

pub const REGION_ORDER_COLUMNS: [&str; 5] =
    ["id", "name", "currency_code", "created_at", "updated_at"];

pub async fn list(pool: &PgPool, filter: &RegionFilter) -> ApiResult<(Vec<Value>, i64)> {
    let (rows, count) = super::paged(
        filter.limit,
        filter.offset,
        |r: &RegionWithTotal| r.total,
        |limit, offset| page(pool, filter, limit, offset),
    )
    .await?;
    let regions: Vec<Region> = rows.into_iter().map(|r| r.region).collect();
    let ids: Vec<String> = regions.iter().map(|r| r.id.clone()).collect();
    let countries = countries_of(pool, &ids).await?;
    Ok((
        regions
            .iter()
            .map(|r| render(r, &countries))
            .collect::<ApiResult<_>>()?,
        count,
    ))
}

async fn page(
    pool: &PgPool,
    filter: &RegionFilter,
    limit: i64,
    offset: i64,
) -> ApiResult<Vec<RegionWithTotal>> {
    let (column, descending) = filter.order;
    let direction = if descending { "DESC" } else { "ASC" };
    let mut sql = QueryBuilder::new(
        "SELECT r.*, count(*) OVER () AS total FROM regions r WHERE r.deleted_at IS NULL",
    );
    filter.conditions.push(&mut sql);
    // `column` comes from REGION_ORDER_COLUMNS, never from the request text.
    sql.push(format_args!(
        " ORDER BY r.{column} {direction}, r.id {direction} LIMIT "
    ))
    .push_bind(limit)
    .push(" OFFSET ")
    .push_bind(offset);
    Ok(sql.build_query_as().fetch_all(pool).await?)
}

#[derive(sqlx::FromRow)]
struct RegionWithTotal {
    #[sqlx(flatten)]
    region: Region,
    total: i64,
}

pub async fn find<'e>(db: impl sqlx::PgExecutor<'e>, id: &str) -> ApiResult<Option<Region>> {
    Ok(sqlx::query_as!(
        Region,
        "SELECT id, name, currency_code, automatic_taxes, is_tax_inclusive, tax_rate_bps, metadata,
                created_at, updated_at, deleted_at
               FROM regions WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// The region serving a country, for pricing by `country_code`.
pub async fn find_by_country(pool: &PgPool, iso_2: &str) -> ApiResult<Option<Region>> {
    Ok(sqlx::query_as!(
        Region,
        "SELECT r.id, r.name, r.currency_code, r.automatic_taxes, r.is_tax_inclusive, r.tax_rate_bps,
                r.metadata, r.created_at, r.updated_at, r.deleted_at
           FROM regions r JOIN region_countries c ON c.region_id = r.id
          WHERE c.iso_2 = $1 AND r.deleted_at IS NULL",
        iso_2
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn retrieve(pool: &PgPool, id: &str) -> ApiResult<Value> {
    let region = find(pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Region with id: {id} was not found")))?;
    let countries = countries_of(pool, std::slice::from_ref(&region.id)).await?;
    render(&region, &countries)
}

pub async fn countries_of<'e>(
    db: impl sqlx::PgExecutor<'e>,
    region_ids: &[String],
) -> ApiResult<Vec<Country>> {
    Ok(sqlx::query_as!(
        Country,
        "SELECT iso_2, iso_3, num_code, name, display_name, region_id, created_at, updated_at
           FROM region_countries WHERE region_id = ANY($1) ORDER BY num_code",
        region_ids
    )
    .fetch_all(db)
    .await?)
}

/// A region with the countries it serves (those of `countries` whose region it is).
/// A region as the Store API answers it, with the countries it serves.
#[derive(serde::Serialize)]
pub struct RegionBody<'a> {
    id: &'a str,
    name: &'a str,
    currency_code: &'a str,
    automatic_taxes: bool,
    is_tax_inclusive: bool,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_optional_timestamp")]
    deleted_at: Option<DateTime<Utc>>,
    metadata: &'a Option<Value>,
    countries: Vec<CountryBody<'a>>,
}

#[derive(serde::Serialize)]
struct CountryBody<'a> {
    iso_2: &'a str,
    iso_3: &'a str,
    num_code: &'a str,
    name: &'a str,
    display_name: &'a str,
    region_id: Option<&'a str>,
    metadata: Option<()>,
    #[serde(serialize_with = "ser_timestamp")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_timestamp")]
    updated_at: DateTime<Utc>,
    deleted_at: Option<()>,
}

impl<'a> RegionBody<'a> {
    /// `countries` may hold those of other regions too; only the region's own are kept.
    pub fn new(region: &'a Region, countries: &'a [Country]) -> Self {
        RegionBody {
            id: &region.id,
            name: &region.name,
            currency_code: &region.currency_code,
            automatic_taxes: region.automatic_taxes,
            is_tax_inclusive: region.is_tax_inclusive,
            created_at: region.created_at,
            updated_at: region.updated_at,
            deleted_at: region.deleted_at,
            metadata: &region.metadata,
            countries: countries
                .iter()
                .filter(|c| c.region_id.as_deref() == Some(region.id.as_str()))
                .map(|c| CountryBody {
                    iso_2: &c.iso_2,
                    iso_3: &c.iso_3,
                    num_code: &c.num_code,
                    name: &c.name,
                    display_name: &c.display_name,
                    region_id: c.region_id.as_deref(),
                    metadata: None,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    deleted_at: None,
                })
                .collect(),
        }
    }
}

pub fn render(region: &Region, countries: &[Country]) -> ApiResult<Value> {
    serde_json::to_value(RegionBody::new(region, countries)).context("serializing a region")
}

/// Escapes `%`, `_` and `\` so a search text matches literally inside ILIKE.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
