//! Query strings in the `qs` style Medusa's SDK sends (`id[0]=a&id[1]=b`), checked
//! against the keys a route accepts so that a typo is a 400 that names it.

use crate::error::{ApiError, ApiResult};

/// The largest `limit` any list route accepts.
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Default)]
pub struct StoreQuery {
    /// `(key, value)` with array suffixes (`[0]`, `[]`) removed from the key.
    pairs: Vec<(String, String)>,
}

impl StoreQuery {
    /// Parses `raw` and rejects any key not in `allowed`.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> ApiResult<Self> {
        let mut pairs = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if key.is_empty() {
                continue;
            }
            let base = array_base(&key);
            match base {
                Some(base) if allowed.contains(&base) => {
                    pairs.push((base.to_string(), value.into_owned()))
                }
                _ => {
                    if !unknown.iter().any(|k| *k == key) {
                        unknown.push(key.into_owned());
                    }
                }
            }
        }
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
            return Err(ApiError::invalid_data(format!(
                "Invalid request: Unrecognized fields: {}",
                names.join(", ")
            )));
        }
        Ok(StoreQuery { pairs })
    }

    /// The canonical form of the query, used as a cache key: pairs in a stable order.
    pub fn cache_key(&self) -> String {
        let mut pairs: Vec<&(String, String)> = self.pairs.iter().collect();
        pairs.sort();
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            out.append_pair(k, v);
        }
        out.finish()
    }

    /// Every value given for `key` (`id=a`, `id[]=a&id[]=b`, `id[0]=a`).
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        let values: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect();
        (!values.is_empty()).then_some(values)
    }

    /// The single value of `key`; giving it twice is a 400.
    pub fn single(&self, key: &str) -> ApiResult<Option<&str>> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::invalid_data(format!(
                "Invalid request: '{key}' must be given once"
            )));
        }
        Ok(first)
    }

    /// A list of ids that must each look like `prefix_...`.
    pub fn ids(&self, key: &str, prefix: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(ids) = self.list(key) else {
            return Ok(None);
        };
        if let Some(bad) = ids.iter().find(|id| !crate::id::is_well_formed(id, prefix)) {
            return Err(ApiError::invalid_data(format!(
                "Invalid request: '{key}' has a malformed id {bad:?} (expected {prefix}_...)"
            )));
        }
        Ok(Some(ids))
    }

    pub fn limit(&self, default: i64) -> ApiResult<i64> {
        match self.integer("limit")? {
            None => Ok(default),
            Some(n) if (0..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid_data(format!(
                "Invalid request: 'limit' must be between 0 and {MAX_LIMIT}"
            ))),
        }
    }

    pub fn offset(&self) -> ApiResult<i64> {
        match self.integer("offset")? {
            None => Ok(0),
            Some(n) if n >= 0 => Ok(n),
            Some(_) => Err(ApiError::invalid_data(
                "Invalid request: 'offset' must be 0 or more",
            )),
        }
    }

    /// `order=title` or `order=-created_at`, restricted to `allowed` columns.
    /// Returns the column and whether it is descending.
    pub fn order<'a>(&self, allowed: &[&'a str], default: &'a str) -> ApiResult<(&'a str, bool)> {
        let Some(raw) = self.single("order")? else {
            return Ok((default, false));
        };
        let (name, descending) = match raw.strip_prefix('-') {
            Some(name) => (name, true),
            None => (raw, false),
        };
        allowed
            .iter()
            .find(|column| **column == name)
            .map(|column| (*column, descending))
            .ok_or_else(|| {
                ApiError::invalid_data(format!(
                    "Invalid request: 'order' cannot sort by {name:?}; use one of {}",
                    allowed.join(", ")
                ))
            })
    }

    pub fn fields(&self, known: &[&str]) -> ApiResult<Fields> {
        match self.single("fields")? {
            None => Ok(Fields::default()),
            Some(raw) => Fields::parse(raw, known),
        }
    }

    fn integer(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.single(key)? {
            None => Ok(None),
            Some(raw) => raw.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid_data(format!(
                    "Invalid request: '{key}' must be a whole number, got {raw:?}"
                ))
            }),
        }
    }
}

/// `id`, `id[]`, `id[3]` → `id`; anything with other brackets (`a[$gte]`) → None.
fn array_base(key: &str) -> Option<&str> {
    match key.find('[') {
        None => Some(key),
        Some(open) => {
            let inner = key[open..].strip_prefix('[')?.strip_suffix(']')?;
            inner
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| &key[..open])
        }
    }
}

/// The `fields` parameter. This backend always returns a superset of a route's default
/// fields; what matters are the switches that trigger work.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    entries: Vec<(FieldOp, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Add,
    Remove,
    Replace,
}

impl Fields {
    /// `known` lists the entity's fields and relations; an entry whose first segment is
    /// not among them is a 400.
    pub fn parse(raw: &str, known: &[&str]) -> ApiResult<Self> {
        let mut entries = Vec::new();
        for entry in raw.split(',') {
            // `+` arrives as a space when the client did not encode it.
            let (op, path) = match entry.chars().next() {
                Some('+') | Some(' ') => (FieldOp::Add, entry[1..].trim()),
                Some('-') => (FieldOp::Remove, entry[1..].trim()),
                Some('*') => (FieldOp::Add, entry[1..].trim()),
                _ => (FieldOp::Replace, entry.trim()),
            };
            let path = path.trim_start_matches('*').trim_end_matches(".*");
            if path.is_empty() {
                continue;
            }
            let root = path.split('.').next().unwrap_or(path);
            if !known.contains(&root) {
                return Err(ApiError::invalid_data(format!(
                    "Invalid request: 'fields' names an unknown field {path:?}"
                )));
            }
            entries.push((op, path.to_string()));
        }
        Ok(Fields { entries })
    }

    /// Whether the last entry naming `path` (or something under it) asks for it.
    pub fn requests(&self, path: &str) -> bool {
        self.entries
            .iter()
            .rev()
            .find(|(_, p)| p == path || p.starts_with(&format!("{path}.")))
            .is_some_and(|(op, _)| *op != FieldOp::Remove)
    }

    /// Whether `path` was explicitly removed with `-path`.
    pub fn removes(&self, path: &str) -> bool {
        self.entries
            .iter()
            .rev()
            .find(|(_, p)| p == path)
            .is_some_and(|(op, _)| *op == FieldOp::Remove)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_keys_in_every_qs_form_are_collected() {
        let q = StoreQuery::parse(Some("id[0]=a&id[1]=b&id[]=c&id=d"), &["id"]).unwrap();
        assert_eq!(q.list("id").unwrap(), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn unknown_keys_are_named_in_the_error() {
        let err = StoreQuery::parse(Some("colour=red&limit=1&created_at[$gte]=x"), &["limit"])
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("'colour'"), "{msg}");
        assert!(msg.contains("'created_at[$gte]'"), "{msg}");
    }

    #[test]
    fn limits_outside_the_documented_range_are_rejected() {
        let parse = |q: &str| StoreQuery::parse(Some(q), &["limit", "offset"]).unwrap();
        assert_eq!(parse("limit=20").limit(50).unwrap(), 20);
        assert_eq!(parse("").limit(50).unwrap(), 50);
        assert!(parse("limit=-5")
            .limit(50)
            .unwrap_err()
            .to_string()
            .contains("'limit'"));
        assert!(parse("limit=201").limit(50).is_err());
        assert!(parse("limit=ten").limit(50).is_err());
        assert!(parse("offset=-1")
            .offset()
            .unwrap_err()
            .to_string()
            .contains("'offset'"));
        assert!(parse("limit=1&limit=2").limit(50).is_err());
    }

    #[test]
    fn order_accepts_known_columns_with_an_optional_minus() {
        let q = StoreQuery::parse(Some("order=-title"), &["order"]).unwrap();
        assert_eq!(
            q.order(&["title", "created_at"], "created_at").unwrap(),
            ("title", true)
        );
        let q = StoreQuery::parse(Some("order=price;drop"), &["order"]).unwrap();
        assert!(q
            .order(&["title"], "title")
            .unwrap_err()
            .to_string()
            .contains("'order'"));
    }

    #[test]
    fn field_switches_follow_plus_minus_and_star() {
        let known = ["variants", "tags", "metadata"];
        let f = Fields::parse(
            "*variants.calculated_price, variants.inventory_quantity,+tags",
            &known,
        )
        .unwrap();
        assert!(f.requests("variants.calculated_price"));
        assert!(f.requests("variants.inventory_quantity"));
        let f = Fields::parse(
            "+variants.inventory_quantity,-variants.inventory_quantity",
            &known,
        )
        .unwrap();
        assert!(!f.requests("variants.inventory_quantity"));
        assert!(f.removes("variants.inventory_quantity"));
        assert!(Fields::parse("+colour", &known)
            .unwrap_err()
            .to_string()
            .contains("colour"));
    }

    #[test]
    fn the_cache_key_does_not_depend_on_parameter_order() {
        let a = StoreQuery::parse(Some("limit=2&region_id=r"), &["limit", "region_id"]).unwrap();
        let b = StoreQuery::parse(Some("region_id=r&limit=2"), &["limit", "region_id"]).unwrap();
        assert_eq!(a.cache_key(), b.cache_key());
    }
}
