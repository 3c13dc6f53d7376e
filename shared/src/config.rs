//! Typed configuration, read once per cold start from the environment.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// Unset means: no Redis, an in-process cache stands in.
    pub redis_url: Option<String>,
    /// Origins a browser storefront may call `/store`, `/content` and `/hooks` from
    /// (`STORE_CORS`, comma-separated, `*` for any, without credentials).
    pub store_cors: Vec<String>,
    /// Origins an admin dashboard may call `/admin` from (`ADMIN_CORS`; unset: the local
    /// dashboard ports, set empty: none).
    pub admin_cors: Vec<String>,
    /// Origins that may call `/auth` (`AUTH_CORS`; unset or empty: the store's and the
    /// admin's origins together).
    pub auth_cors: Vec<String>,
    /// Prefix of every Redis key (`CACHE_PREFIX`), for several stores on one Redis.
    pub cache_prefix: String,
    /// How long store responses stay cached (`CACHE_TTL_SECONDS`).
    pub cache_ttl: Duration,
    /// Connections per function instance (`DATABASE_MAX_CONNECTIONS`).
    pub database_max_connections: u32,
    /// How long browsers and CDNs may keep catalog answers (`CATALOG_MAX_AGE_SECONDS`,
    /// `CATALOG_STALE_WHILE_REVALIDATE_SECONDS`).
    pub catalog_caching: crate::http_cache::CatalogCaching,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub const DEFAULT_STORE_CORS: &str =
    "http://localhost:8000,http://127.0.0.1:8000,http://localhost:3000,http://localhost:5173";
/// Where Medusa's admin dashboard runs locally (its dev server, or served beside the API).
pub const DEFAULT_ADMIN_CORS: &str =
    "http://localhost:5173,http://localhost:7001,http://localhost:9000,http://127.0.0.1:9000";

/// A comma-separated origin list: trimmed, without trailing slashes or empty entries.
fn origins(list: &str) -> Vec<String> {
    list.split(',')
        .map(|origin| origin.trim().trim_end_matches('/').to_string())
        .filter(|origin| !origin.is_empty())
        .collect()
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut database_url =
            non_empty("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?;
        // An RDS Proxy (or any other host) in front of the database named by the URL.
        if let Some(host) = non_empty("DATABASE_HOST") {
            database_url = with_host(&database_url, host.trim())?;
        }
        let store_cors: Vec<String> =
            origins(&non_empty("STORE_CORS").unwrap_or_else(|| DEFAULT_STORE_CORS.to_string()));
        let admin_cors: Vec<String> =
            origins(&get("ADMIN_CORS").unwrap_or_else(|| DEFAULT_ADMIN_CORS.to_string()));
        let auth_cors = match non_empty("AUTH_CORS") {
            Some(list) => origins(&list),
            None => {
                let mut both = store_cors.clone();
                both.extend(
                    admin_cors
                        .iter()
                        .filter(|o| !store_cors.contains(o))
                        .cloned(),
                );
                both
            }
        };
        let cache_ttl = parse_number(non_empty("CACHE_TTL_SECONDS"), "CACHE_TTL_SECONDS", 30)?;
        let database_max_connections = parse_number(
            non_empty("DATABASE_MAX_CONNECTIONS"),
            "DATABASE_MAX_CONNECTIONS",
            5,
        )?;
        let max_age = parse_number(
            non_empty("CATALOG_MAX_AGE_SECONDS"),
            "CATALOG_MAX_AGE_SECONDS",
            30,
        )?;
        let stale_while_revalidate = parse_number(
            non_empty("CATALOG_STALE_WHILE_REVALIDATE_SECONDS"),
            "CATALOG_STALE_WHILE_REVALIDATE_SECONDS",
            300,
        )?;
        Ok(Config {
            catalog_caching: crate::http_cache::CatalogCaching {
                max_age: Duration::from_secs(max_age),
                stale_while_revalidate: Duration::from_secs(stale_while_revalidate),
            },
            database_url,
            redis_url: non_empty("REDIS_URL"),
            cache_prefix: non_empty("CACHE_PREFIX").unwrap_or_else(|| "store".to_string()),
            store_cors,
            admin_cors,
            auth_cors,
            cache_ttl: Duration::from_secs(cache_ttl),
            database_max_connections: u32::try_from(database_max_connections.max(1)).map_err(
                |_| ConfigError::Invalid {
                    name: "DATABASE_MAX_CONNECTIONS",
                    reason: "too large".into(),
                },
            )?,
        })
    }
}

fn with_host(database_url: &str, host: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "DATABASE_HOST",
        reason,
    };
    let mut url = url::Url::parse(database_url)
        .map_err(|_| invalid("DATABASE_URL is not a URL, so its host cannot be replaced".into()))?;
    url.set_host(Some(host))
        .map_err(|e| invalid(format!("{host:?} is not a host name: {e}")))?;
    Ok(url.to_string())
}

fn parse_number(
    value: Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match value {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("expected a whole number, got {raw:?}"),
        }),
    }
}

/// A lookup over fixed `(name, value)` pairs, for the `from_lookup` of a configuration
/// (tests, tools): the first pair of a name gives its value.
pub fn lookup_in<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(lookup_in(vars))
    }

    #[test]
    fn database_url_is_required() {
        assert!(matches!(
            config(&[]),
            Err(ConfigError::Missing("DATABASE_URL"))
        ));
    }

    #[test]
    fn empty_redis_url_means_no_redis_and_cors_has_local_defaults() {
        let c = config(&[("DATABASE_URL", "postgres://x"), ("REDIS_URL", "")]).unwrap();
        assert_eq!(c.redis_url, None);
        assert!(c.store_cors.contains(&"http://localhost:8000".to_string()));
        assert_eq!(c.cache_ttl, Duration::from_secs(30));
    }

    #[test]
    fn database_host_replaces_the_host_of_the_database_url() {
        let c = config(&[
            ("DATABASE_URL", "postgres://shop:pw@db.internal:5432/store"),
            ("DATABASE_HOST", "proxy.rds.example"),
        ])
        .unwrap();
        assert_eq!(
            c.database_url,
            "postgres://shop:pw@proxy.rds.example:5432/store"
        );
        let unchanged =
            config(&[("DATABASE_URL", "postgres://a@b/c"), ("DATABASE_HOST", "")]).unwrap();
        assert_eq!(unchanged.database_url, "postgres://a@b/c");
    }

    #[test]
    fn cors_origins_are_trimmed_and_a_bad_ttl_is_rejected() {
        let c = config(&[
            ("DATABASE_URL", "x"),
            ("STORE_CORS", " https://shop.example/ ,"),
        ])
        .unwrap();
        assert_eq!(c.store_cors, vec!["https://shop.example".to_string()]);
        let err = config(&[("DATABASE_URL", "x"), ("CACHE_TTL_SECONDS", "soon")]).unwrap_err();
        assert!(err.to_string().contains("CACHE_TTL_SECONDS"));
    }

    #[test]
    fn admin_and_auth_origins_are_kept_apart_from_the_storefronts() {
        let c = config(&[
            ("DATABASE_URL", "x"),
            ("STORE_CORS", "https://shop.example"),
        ])
        .unwrap();
        assert!(c.admin_cors.contains(&"http://localhost:5173".to_string()));
        assert!(!c.admin_cors.contains(&"https://shop.example".to_string()));
        // Unset AUTH_CORS: storefronts log customers in, dashboards log admins in.
        assert!(c.auth_cors.contains(&"https://shop.example".to_string()));
        assert!(c.auth_cors.contains(&"http://localhost:5173".to_string()));

        let c = config(&[
            ("DATABASE_URL", "x"),
            ("STORE_CORS", "https://shop.example"),
            ("ADMIN_CORS", ""),
            ("AUTH_CORS", "https://shop.example, https://admin.example/"),
        ])
        .unwrap();
        assert!(c.admin_cors.is_empty(), "set empty: no admin origin");
        assert_eq!(
            c.auth_cors,
            vec!["https://shop.example", "https://admin.example"]
        );
    }
}
