//! The catalog: what a storefront browses. Reads here, writes (admin) later; every
//! write purges the cached store responses it affects via [`purge_store_cache`].

pub mod categories;
pub mod channels;
pub mod collections;
pub mod pricing;
pub mod products;
pub mod regions;

use std::future::Future;

use crate::cache::{Cache, Namespace};
use sqlx::{Postgres, QueryBuilder};

use crate::error::ApiResult;
use crate::query::{Conjunction, DateRange};

/// Drops cached store responses after a catalog write.
pub async fn purge_store_cache(cache: &Cache) {
    cache.purge(&Namespace::CATALOG).await;
}

/// One page of a list whose rows carry `count(*) OVER ()`, and that total. `fetch` takes
/// `(limit, offset)`; `limit=0` still learns the total, and so does a page past the end.
pub(crate) async fn paged<T, Fut>(
    limit: i64,
    offset: i64,
    total: impl Fn(&T) -> i64,
    fetch: impl Fn(i64, i64) -> Fut,
) -> ApiResult<(Vec<T>, i64)>
where
    Fut: Future<Output = ApiResult<Vec<T>>>,
{
    let mut rows = fetch(limit.max(1), offset).await?;
    let count = match rows.first() {
        Some(row) => total(row),
        // The window count needs one row to ride on.
        None if offset > 0 => fetch(1, 0).await?.first().map_or(0, &total),
        None => 0,
    };
    if limit == 0 {
        rows.clear();
    }
    Ok((rows, count))
}

/// `AND <column> = ANY(<values>)` when the values are given.
pub(crate) fn push_any(
    sql: &mut QueryBuilder<Postgres>,
    column: &str,
    values: &Option<Vec<String>>,
) {
    if let Some(values) = values {
        sql.push(format_args!(" AND {column} = ANY("))
            .push_bind(values.clone())
            .push(")");
    }
}

/// `AND <column> <op> <bound>` for every bound of each (qualified column, date range).
pub(crate) fn push_date_ranges(sql: &mut QueryBuilder<Postgres>, ranges: &[(&str, &DateRange)]) {
    for (column, range) in ranges {
        for (op, at) in range.bounds() {
            sql.push(format_args!(" AND {column} {op} ")).push_bind(at);
        }
    }
}

/// Appends `$and`/`$or` groups to a `WHERE TRUE ...` condition list: each group is
/// `AND (<branch> AND|OR <branch> ...)`, each branch the conditions `push` writes for it.
pub(crate) fn push_groups<T>(
    sql: &mut QueryBuilder<Postgres>,
    groups: &[(Conjunction, Vec<T>)],
    push: fn(&T, &mut QueryBuilder<Postgres>),
) {
    for (conjunction, branches) in groups {
        let (neutral, joiner) = match conjunction {
            Conjunction::And => ("TRUE", " AND "),
            Conjunction::Or => ("FALSE", " OR "),
        };
        sql.push(format_args!(" AND ({neutral}"));
        for branch in branches {
            sql.push(joiner).push("(TRUE");
            push(branch, sql);
            sql.push(")");
        }
        sql.push(")");
    }
}
