//! `storectl migrate` applies migrations; `storectl seed [FILE]` also loads a catalog
//! (default `seed/demo-catalog.json`) and prints the publishable key on stdout.

use std::process::ExitCode;

use store::cache::{Cache, RedisLink};
use store::config::Config;

const USAGE: &str = "usage: storectl migrate | storectl seed [CATALOG_FILE]
  reads DATABASE_URL (required) and REDIS_URL (optional, to purge cached store responses)";
const DEFAULT_CATALOG: &str = "seed/demo-catalog.json";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("storectl: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let command = args.first().map(String::as_str);
    if !matches!(command, Some("migrate" | "seed")) {
        return Err(USAGE.to_string());
    }
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let pool = store::db::connect_and_migrate(&config.database_url)
        .await
        .map_err(|e| format!("cannot migrate {}: {e}", redact(&config.database_url)))?;
    tracing::info!("migrations applied");
    if command == Some("migrate") {
        return Ok(());
    }
    let path = args.get(1).map(String::as_str).unwrap_or(DEFAULT_CATALOG);
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let catalog = store::seed::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let report = store::seed::load(&pool, &catalog)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    tracing::info!(
        created = report.products_created,
        already_there = report.products_existing,
        "catalog loaded from {path}"
    );
    store::catalog::purge_store_cache(&Cache::new(
        RedisLink::new(config.redis_url.as_deref()),
        &config.cache_prefix,
        config.cache_ttl,
    ))
    .await;
    for (_, token) in report.publishable_keys.iter().take(1) {
        println!("publishable_key={token}");
    }
    Ok(())
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}
