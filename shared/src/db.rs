//! Database set-up shared by the CLI and the tests.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Creates the database named in `url` when it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<(), sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    let name = options.get_database().unwrap_or("postgres").to_string();
    let mut admin = options.clone().database("postgres").connect().await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        name
    )
    .fetch_one(&mut admin)
    .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut admin)
            .await?;
    }
    admin.close().await?;
    Ok(())
}

/// Connects and applies pending migrations.
pub async fn connect_and_migrate(url: &str) -> Result<PgPool, sqlx::Error> {
    create_database_if_missing(url).await?;
    let pool = PgPoolOptions::new().max_connections(5).connect(url).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
