//! Strapi query strings (`filters[handle][$eq]=x&populate[seo]=true`), checked against
//! the allow-list before anything reaches Strapi, and put in one canonical order so the
//! same request is one cache entry and one Strapi URL.

use super::config::{valid_locale, ContentConfig};
use crate::error::{ApiError, ApiResult};

const MAX_PAIRS: usize = 100;
const MAX_KEY_LEN: usize = 200;
const MAX_VALUE_LEN: usize = 1000;
/// Strapi's own default page size (`api.rest.defaultLimit`).
const STRAPI_DEFAULT_PAGE_SIZE: u32 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `/api/pages`: lists take filters, sort and pagination.
    List,
    /// `/api/pages/:documentId` and single types.
    Document,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentQuery {
    /// Decoded pairs, sorted by key (stable, so `sort[]=a&sort[]=b` keeps its order).
    pairs: Vec<(String, String)>,
}

impl ContentQuery {
    /// Parses and checks a client's query string.
    pub fn parse(raw: Option<&str>, config: &ContentConfig, shape: Shape) -> ApiResult<Self> {
        let mut pairs = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if key.is_empty() {
                continue;
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Self::check(pairs, config, shape, &[])
    }

    /// Checks pairs; `extra` names top-level keys a route accepts besides Strapi's.
    pub fn check(
        pairs: Vec<(String, String)>,
        config: &ContentConfig,
        shape: Shape,
        extra: &[&str],
    ) -> ApiResult<Self> {
        if pairs.len() > MAX_PAIRS {
            return Err(bad(format!(
                "at most {MAX_PAIRS} query parameters are accepted"
            )));
        }
        let mut kept = Vec::new();
        let mut populate = Vec::new();
        for (key, value) in pairs {
            if key.len() > MAX_KEY_LEN || value.len() > MAX_VALUE_LEN {
                return Err(bad(format!("query parameter '{}' is too long", clip(&key))));
            }
            let (top, path) = split_key(&key)
                .ok_or_else(|| bad(format!("malformed query key '{}'", clip(&key))))?;
            if extra.contains(&top) {
                continue;
            }
            if !config.query_keys.iter().any(|k| k == top) {
                return Err(bad(format!(
                    "Unrecognized query key '{top}'; allowed: {}",
                    config.query_keys.join(", ")
                )));
            }
            if shape == Shape::Document && matches!(top, "filters" | "sort" | "pagination") {
                return Err(bad(format!(
                    "'{top}' applies to lists, not to a single document"
                )));
            }
            match top {
                "pagination" => check_pagination(&path, &value, config.max_page_size)?,
                "locale" if !path.is_empty() || !valid_locale(&value) => {
                    return Err(bad(format!(
                        "'locale' must be a locale code, got {value:?}"
                    )));
                }
                "populate" => populate.push((path.clone(), value.clone())),
                _ => {}
            }
            kept.push((key, value));
        }
        let depth = populate_depth(&populate);
        if depth > config.max_populate_depth {
            return Err(bad(format!(
                "populate is {depth} levels deep; at most {} are allowed",
                config.max_populate_depth
            )));
        }
        if shape == Shape::List && config.max_page_size < STRAPI_DEFAULT_PAGE_SIZE {
            let sized = kept.iter().any(|(k, _)| {
                k.starts_with("pagination[pageSize]") || k.starts_with("pagination[limit]")
            });
            if !sized {
                let offset_mode = kept.iter().any(|(k, _)| k == "pagination[start]");
                let key = if offset_mode {
                    "pagination[limit]"
                } else {
                    "pagination[pageSize]"
                };
                kept.push((key.to_string(), config.max_page_size.to_string()));
            }
        }
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ContentQuery { pairs: kept })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn locale(&self) -> Option<&str> {
        self.get("locale")
    }

    /// The same query with `locale` replaced.
    pub fn with_locale(&self, locale: &str) -> Self {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "locale")
            .cloned()
            .collect();
        pairs.push(("locale".into(), locale.into()));
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        ContentQuery { pairs }
    }

    /// Adds a pair the proxy itself sets (a handle filter, the draft status).
    pub fn with(&self, key: &str, value: &str) -> Self {
        let mut pairs = self.pairs.clone();
        pairs.push((key.into(), value.into()));
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        ContentQuery { pairs }
    }

    /// The canonical, percent-encoded query string (empty when there is none).
    pub fn encoded(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

/// `filters[a][$eq]` → (`filters`, [`a`, `$eq`]); None when the brackets are malformed.
fn split_key(key: &str) -> Option<(&str, Vec<String>)> {
    let (top, mut rest) = match key.find('[') {
        None => (key, ""),
        Some(open) => (&key[..open], &key[open..]),
    };
    if top.is_empty() || top.contains(']') {
        return None;
    }
    let mut path = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let segment = &inner[..close];
        if segment.contains('[') {
            return None;
        }
        path.push(segment.to_string());
        rest = &inner[close + 1..];
    }
    Some((top, path))
}

fn check_pagination(path: &[String], value: &str, max_page_size: u32) -> ApiResult<()> {
    let [name] = path else {
        return Err(bad(
            "'pagination' takes page, pageSize, start, limit or withCount",
        ));
    };
    let number = || {
        value
            .trim()
            .parse::<i64>()
            .map_err(|_| bad(format!("'pagination[{name}]' must be a whole number")))
    };
    match name.as_str() {
        "page" => {
            if number()? < 1 {
                return Err(bad("'pagination[page]' must be 1 or more"));
            }
        }
        "start" => {
            if number()? < 0 {
                return Err(bad("'pagination[start]' must be 0 or more"));
            }
        }
        "pageSize" | "limit" => {
            let n = number()?;
            if n < 1 || n > i64::from(max_page_size) {
                return Err(bad(format!(
                    "'pagination[{name}]' must be between 1 and {max_page_size}"
                )));
            }
        }
        "withCount" => {
            if value != "true" && value != "false" {
                return Err(bad("'pagination[withCount]' must be true or false"));
            }
        }
        other => {
            return Err(bad(format!(
                "'pagination[{other}]' is not a pagination parameter"
            )))
        }
    }
    Ok(())
}

/// How many relation levels a `populate` asks for: `*`, `a`, `a,b` and `populate[a]=true`
/// are 1; `a.b` and `populate[a][populate]=*` are 2, and so on.
pub fn populate_depth(entries: &[(Vec<String>, String)]) -> usize {
    entries
        .iter()
        .map(|(path, value)| entry_depth(path, value))
        .max()
        .unwrap_or(0)
}

fn entry_depth(path: &[String], value: &str) -> usize {
    let mut depth = 0;
    let mut expect_name = true;
    let mut segments = path.iter().peekable();
    while let Some(segment) = segments.next() {
        let is_index = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        if segment.is_empty() || is_index {
            continue;
        }
        if expect_name {
            depth += 1;
            expect_name = false;
        } else if segment == "populate" {
            expect_name = true;
        } else if segment == "on" {
            // Dynamic zones: `on[component.name]` stays on the same level.
            segments.next();
        } else {
            // fields, filters, sort, count: nothing below is populated.
            return depth;
        }
    }
    if expect_name {
        let names = value
            .split(',')
            .map(|name| name.trim().split('.').filter(|s| !s.is_empty()).count())
            .max()
            .unwrap_or(0);
        depth += names;
    }
    depth
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::invalid_data(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(query: &str) -> usize {
        let entries: Vec<(Vec<String>, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (split_key(&k).unwrap().1, v.into_owned()))
            .collect();
        populate_depth(&entries)
    }

    #[test]
    fn populate_depth_counts_relation_levels() {
        assert_eq!(depth("populate=*"), 1);
        assert_eq!(depth("populate=seo,banner"), 1);
        assert_eq!(depth("populate[0]=seo&populate[1]=banner.image"), 2);
        assert_eq!(depth("populate[seo]=true"), 1);
        assert_eq!(depth("populate[seo][fields][0]=meta_title"), 1);
        assert_eq!(depth("populate[banner][populate]=*"), 2);
        assert_eq!(depth("populate[a][populate][b][populate][0]=c"), 3);
        assert_eq!(depth("populate[zone][on][shared.seo][populate]=*"), 2);
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(split_key("filters[a").is_none());
        assert!(split_key("[a]").is_none());
        assert!(split_key("a]").is_none());
        assert_eq!(
            split_key("filters[handle][$eq]").unwrap(),
            ("filters", vec!["handle".to_string(), "$eq".to_string()])
        );
    }
}
