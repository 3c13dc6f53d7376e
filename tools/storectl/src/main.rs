//! `storectl migrate` applies migrations; `storectl seed [FILE]` also loads a catalog
//! (default `seed/demo-catalog.json`) and prints the publishable key on stdout, and a
//! demo admin (local use only); `storectl create-admin --email E [--password P]` creates
//! an admin user (the password may also come from `ADMIN_PASSWORD`).

use std::process::ExitCode;

use store::cache::{Cache, RedisLink};
use store::config::Config;

const USAGE: &str = "usage: storectl migrate | storectl seed [CATALOG_FILE] | storectl create-admin --email EMAIL [--password PASSWORD]
  reads DATABASE_URL (required) and REDIS_URL (optional, to purge cached store responses);
  create-admin takes the password from --password or ADMIN_PASSWORD";
/// The demo admin the seed creates, for local use only.
const DEMO_ADMIN_EMAIL: &str = "admin@example.com";
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
    if !matches!(command, Some("migrate" | "seed" | "create-admin")) {
        return Err(USAGE.to_string());
    }
    let admin = if command == Some("create-admin") {
        Some(admin_args(&args[1..])?)
    } else {
        None
    };
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let pool = store::db::connect_and_migrate(&config.database_url)
        .await
        .map_err(|e| format!("cannot migrate {}: {e}", redact(&config.database_url)))?;
    tracing::info!("migrations applied");
    if command == Some("migrate") {
        return Ok(());
    }
    if let Some((email, password)) = admin {
        let id = store_admin::users::create_user(&pool, &email, &password)
            .await
            .map_err(|e| e.to_string())?;
        println!("admin_id={id}");
        println!("admin_email={}", email.trim().to_lowercase());
        return Ok(());
    }
    let path = args.get(1).map(String::as_str).unwrap_or(DEFAULT_CATALOG);
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let catalog = store_seed::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let report = store_seed::load(&pool, &catalog)
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
    // A demo admin with a random password, printed once; a second seed leaves it as is.
    if !store_admin::users::user_exists(&pool, DEMO_ADMIN_EMAIL)
        .await
        .map_err(|e| e.to_string())?
    {
        let password = hex::encode(rand::random::<[u8; 12]>());
        store_admin::users::create_user(&pool, DEMO_ADMIN_EMAIL, &password)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "storectl: a demo admin was created for LOCAL USE ONLY; its password is shown once"
        );
        println!("admin_email={DEMO_ADMIN_EMAIL}");
        println!("admin_password={password}");
    }
    Ok(())
}

/// `--email E [--password P]`; the password may come from `ADMIN_PASSWORD` instead, so
/// it need not appear in the shell history.
fn admin_args(args: &[String]) -> Result<(String, String), String> {
    let mut email = None;
    let mut password = std::env::var("ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        match name {
            "--email" => email = Some(value),
            "--password" => password = Some(value),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    match (email, password) {
        (Some(e), Some(p)) => Ok((e, p)),
        (None, _) => Err(format!("--email is required\n{USAGE}")),
        (_, None) => Err(format!(
            "a password is required (--password or ADMIN_PASSWORD)\n{USAGE}"
        )),
    }
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
