//! The content proxy's configuration, read once per cold start. Unset `STRAPI_URL`
//! means the proxy is off (every route answers 503), so the function still starts.

use std::time::Duration;

use crate::config::ConfigError;

/// A value that must never reach a response, a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Collection,
    Single,
}

/// One content type the proxy may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// The segment in `/api/<api_id>` and `/content/<api_id>`: plural for collection
    /// types (`pages`), singular for single types (`homepage`).
    pub api_id: String,
    /// The model's singular name, as webhooks name it (`page`, `homepage`).
    pub model: String,
    pub kind: TypeKind,
}

/// The query keys Strapi's REST API knows and the proxy may forward.
pub const KNOWN_QUERY_KEYS: [&str; 6] = [
    "filters",
    "sort",
    "pagination",
    "fields",
    "populate",
    "locale",
];

#[derive(Debug, Clone)]
pub struct ContentConfig {
    /// `STRAPI_URL`, without a trailing slash.
    pub strapi_url: String,
    /// `STRAPI_TOKEN`: a read-only API token, sent to Strapi only.
    pub strapi_token: Option<Secret>,
    /// `STRAPI_API_VERSION`: 5 (default) or 4; picks how drafts are asked for.
    pub strapi_version: u8,
    /// `STRAPI_TIMEOUT_MS`: the whole Strapi call, connection included.
    pub timeout: Duration,
    /// `STRAPI_BREAKER_SECONDS`: after Strapi failed (timed out, refused the connection,
    /// answered 5xx), how long it is not asked again; zero asks every time.
    pub breaker: Duration,
    /// `CONTENT_TYPES`.
    pub types: Vec<ContentType>,
    /// `CONTENT_QUERY_KEYS`: a subset of [`KNOWN_QUERY_KEYS`].
    pub query_keys: Vec<String>,
    /// `CONTENT_MAX_POPULATE_DEPTH`.
    pub max_populate_depth: usize,
    /// `CONTENT_MAX_PAGE_SIZE`.
    pub max_page_size: u32,
    /// `CONTENT_MEDIA_BASE_URL` (default: `STRAPI_URL`): prefixed to relative media URLs.
    pub media_base_url: String,
    /// `CONTENT_DEFAULT_LOCALE`: asked for when a requested translation is missing.
    pub default_locale: Option<String>,
    /// `STRAPI_WEBHOOK_HEADER` (lowercase) and `STRAPI_WEBHOOK_SECRET`.
    pub webhook_header: String,
    pub webhook_secret: Option<Secret>,
    /// `CONTENT_PREVIEW_SECRET`: the `x-preview-secret` value that reads drafts.
    pub preview_secret: Option<Secret>,
    /// `CONTENT_CACHE_TTL_SECONDS`: how long an answer is fresh.
    pub ttl: Duration,
    /// `CONTENT_STALE_WHILE_REVALIDATE_SECONDS`: how long after that it is served while
    /// one refresh runs.
    pub stale_while_revalidate: Duration,
    /// `CONTENT_STALE_IF_ERROR_SECONDS`: how long after freshness it is served when
    /// Strapi fails.
    pub stale_if_error: Duration,
    /// `CONTENT_PRODUCT_TYPE`: the collection type that holds product content, matched
    /// to commerce products by its `handle` field.
    pub product_type: String,
}

pub const PREVIEW_HEADER: &str = "x-preview-secret";

/// `CONTENT_TYPES` when unset: the content types of the CMS app (`cms/`) and of
/// Strapi's captured responses.
pub const DEFAULT_TYPES: &str =
    "product-content:product-contents,page:pages,banner:banners,homepage";

impl ContentConfig {
    /// `Ok(None)` when `STRAPI_URL` is unset: the proxy is off.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let env = Env(get);
        let Some(strapi_url) = env.non_empty("STRAPI_URL") else {
            return Ok(None);
        };
        let strapi_url = strapi_url.trim().trim_end_matches('/').to_string();
        if url::Url::parse(&strapi_url).is_err() {
            return Err(invalid("STRAPI_URL", "not an absolute URL"));
        }
        let strapi_version = match env.number("STRAPI_API_VERSION", 5)? {
            4 => 4,
            5 => 5,
            _ => return Err(invalid("STRAPI_API_VERSION", "expected 4 or 5")),
        };
        let types = parse_types(
            &env.non_empty("CONTENT_TYPES")
                .unwrap_or_else(|| DEFAULT_TYPES.to_string()),
        )?;
        let query_keys = parse_query_keys(env.non_empty("CONTENT_QUERY_KEYS"))?;
        let max_page_size = env.number("CONTENT_MAX_PAGE_SIZE", 100)?;
        if !(1..=1000).contains(&max_page_size) {
            return Err(invalid("CONTENT_MAX_PAGE_SIZE", "expected 1 to 1000"));
        }
        let locale = env
            .non_empty("CONTENT_DEFAULT_LOCALE")
            .map(|l| l.trim().to_string());
        if let Some(locale) = &locale {
            if !valid_locale(locale) {
                return Err(invalid("CONTENT_DEFAULT_LOCALE", "not a locale code"));
            }
        }
        Ok(Some(ContentConfig {
            media_base_url: env
                .non_empty("CONTENT_MEDIA_BASE_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .unwrap_or_else(|| strapi_url.clone()),
            strapi_url,
            strapi_token: env.secret("STRAPI_TOKEN"),
            strapi_version,
            timeout: Duration::from_millis(env.number("STRAPI_TIMEOUT_MS", 5000)?.max(1)),
            breaker: Duration::from_secs(env.number("STRAPI_BREAKER_SECONDS", 5)?),
            types,
            query_keys,
            max_populate_depth: env.number("CONTENT_MAX_POPULATE_DEPTH", 2)? as usize,
            max_page_size: max_page_size as u32,
            default_locale: locale,
            webhook_header: env
                .non_empty("STRAPI_WEBHOOK_HEADER")
                .map(|h| h.trim().to_ascii_lowercase())
                .unwrap_or_else(|| "x-webhook-secret".to_string()),
            webhook_secret: env.secret("STRAPI_WEBHOOK_SECRET"),
            preview_secret: env.secret("CONTENT_PREVIEW_SECRET"),
            ttl: Duration::from_secs(env.number("CONTENT_CACHE_TTL_SECONDS", 60)?.max(1)),
            stale_while_revalidate: Duration::from_secs(
                env.number("CONTENT_STALE_WHILE_REVALIDATE_SECONDS", 300)?,
            ),
            stale_if_error: Duration::from_secs(
                env.number("CONTENT_STALE_IF_ERROR_SECONDS", 86_400)?,
            ),
            product_type: env
                .non_empty("CONTENT_PRODUCT_TYPE")
                .map(|t| t.trim().to_string())
                .unwrap_or_else(|| "product-contents".to_string()),
        }))
    }

    pub fn content_type(&self, api_id: &str) -> Option<&ContentType> {
        self.types.iter().find(|t| t.api_id == api_id)
    }

    /// The type a webhook names, by model (`page`) or uid (`api::page.page`).
    pub fn type_for_model(&self, model: Option<&str>, uid: Option<&str>) -> Option<&ContentType> {
        let from_uid = uid
            .and_then(|uid| uid.rsplit_once('.'))
            .map(|(_, name)| name);
        self.types
            .iter()
            .find(|t| Some(t.model.as_str()) == model || Some(t.model.as_str()) == from_uid)
    }
}

/// The variables as [`ContentConfig::from_lookup`] reads them: a blank value counts as
/// unset, so it falls back to the default like a missing one.
struct Env<F>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn non_empty(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A whole number, or `default` when unset.
    fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.non_empty(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| invalid(name, "expected a whole number")),
        }
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.non_empty(name).map(|v| Secret::new(v.trim()))
    }
}

/// `filters,sort`: the query keys forwarded to Strapi, every known one when unset. An
/// unknown key is an error rather than ignored, so a typo shows at start-up.
fn parse_query_keys(raw: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(KNOWN_QUERY_KEYS.iter().map(|k| k.to_string()).collect());
    };
    let keys: Vec<String> = raw
        .split(',')
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if let Some(bad) = keys
        .iter()
        .find(|k| !KNOWN_QUERY_KEYS.contains(&k.as_str()))
    {
        return Err(invalid(
            "CONTENT_QUERY_KEYS",
            &format!("{bad:?} is not one of {}", KNOWN_QUERY_KEYS.join(", ")),
        ));
    }
    Ok(keys)
}

/// `product-content:product-contents,page:pages,homepage`: collection types as
/// `model:plural`, single types as a bare singular name.
fn parse_types(raw: &str) -> Result<Vec<ContentType>, ConfigError> {
    let mut types = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (model, api_id, kind) = match item.split_once(':') {
            Some((model, plural)) => (model.trim(), plural.trim(), TypeKind::Collection),
            None => (item, item, TypeKind::Single),
        };
        if !valid_api_id(model) || !valid_api_id(api_id) {
            return Err(invalid(
                "CONTENT_TYPES",
                &format!("{item:?} is not `model:plural` or `single`"),
            ));
        }
        types.push(ContentType {
            api_id: api_id.to_string(),
            model: model.to_string(),
            kind,
        });
    }
    Ok(types)
}

pub(crate) fn valid_api_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(crate) fn valid_locale(locale: &str) -> bool {
    !locale.is_empty()
        && locale.len() <= 35
        && locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<ContentConfig>, ConfigError> {
        ContentConfig::from_lookup(crate::config::lookup_in(vars))
    }

    #[test]
    fn without_strapi_url_the_proxy_is_off() {
        assert!(config(&[("STRAPI_TOKEN", "t")]).unwrap().is_none());
    }

    #[test]
    fn types_defaults_and_a_redacted_token() {
        let c = config(&[
            ("STRAPI_URL", "http://strapi:1337/"),
            ("STRAPI_TOKEN", "very-secret-token"),
            ("CONTENT_TYPES", "page:pages, homepage"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.strapi_url, "http://strapi:1337");
        assert_eq!(c.media_base_url, "http://strapi:1337");
        assert_eq!(c.content_type("pages").unwrap().model, "page");
        assert_eq!(c.content_type("homepage").unwrap().kind, TypeKind::Single);
        assert_eq!(
            c.type_for_model(None, Some("api::page.page"))
                .unwrap()
                .api_id,
            "pages"
        );
        assert_eq!(c.query_keys.len(), 6);
        assert!(!format!("{c:?}").contains("very-secret-token"));
    }

    #[test]
    fn without_content_types_the_cms_apps_types_are_served() {
        let c = config(&[("STRAPI_URL", "http://strapi:1337")])
            .unwrap()
            .unwrap();
        let served: Vec<&str> = c.types.iter().map(|t| t.api_id.as_str()).collect();
        assert_eq!(served, ["product-contents", "pages", "banners", "homepage"]);
        assert_eq!(c.breaker, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[
            ("STRAPI_URL", "http://x"),
            ("CONTENT_QUERY_KEYS", "filters,status"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("CONTENT_QUERY_KEYS"));
        let err =
            config(&[("STRAPI_URL", "http://x"), ("CONTENT_TYPES", "Pages/../x")]).unwrap_err();
        assert!(err.to_string().contains("CONTENT_TYPES"));
    }
}
