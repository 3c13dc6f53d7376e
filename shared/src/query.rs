//! Query strings in the `qs` style Medusa's SDK sends (`id[0]=a&id[1]=b`,
//! `created_at[$gte]=...`, `$or[0][title]=a`), checked against the keys a route accepts
//! so that a typo is a 400 that names it.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The largest `limit` a list route accepts. Medusa sets none; storefronts and its
/// dashboard ask for up to 1000 in one go (the Remix starter's sitemap, the dashboard's
/// region and tag pickers), and a bound keeps one request's work finite.
pub const MAX_LIMIT: i64 = 1000;

/// Keys that take Medusa's operator maps (`created_at[$gte]=...`) wherever a route
/// accepts them.
const OPERATOR_KEYS: [&str; 3] = ["created_at", "updated_at", "deleted_at"];
/// Operators accepted on the date keys.
const DATE_OPERATORS: [&str; 6] = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"];
/// Keys that take one value: `limit[]=1` or `limit=1&limit=2` is a 400.
const SCALAR_KEYS: [&str; 5] = ["fields", "limit", "offset", "order", "q"];
/// Keys that select or page rather than filter; not allowed inside `$and`/`$or`.
const FIND_KEYS: [&str; 4] = ["fields", "limit", "offset", "order"];

#[derive(Debug, Default)]
pub struct StoreQuery {
    /// `(key, value)` with array suffixes (`[0]`, `[]`) removed from the key.
    pairs: Vec<(String, String)>,
    /// `created_at[$gte]=v` as `(created_at, $gte, v)`.
    operators: Vec<(String, String, String)>,
    /// `$and[i][...]` and `$or[i][...]`: each branch is a query of its own.
    groups: Vec<(Conjunction, Vec<StoreQuery>)>,
}

/// Decoded `key=value` pairs, in request order.
type Pairs = Vec<(String, String)>;

/// How the branches of a `$and`/`$or` group combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conjunction {
    And,
    Or,
}

/// A key split into its name and bracket segments: `a[b][]` → `["a", "b", ""]`.
fn segments(key: &str) -> Option<Vec<&str>> {
    let Some(open) = key.find('[') else {
        return Some(vec![key]);
    };
    let mut out = vec![&key[..open]];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        out.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Some(out)
}

fn is_index(segment: &str) -> bool {
    segment.bytes().all(|b| b.is_ascii_digit())
}

/// The key as the client wrote it, for messages: `title` inside `$or[0]` is
/// `$or[0][title]`.
fn full_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        let (head, tail) = key.split_at(key.find('[').unwrap_or(key.len()));
        format!("{prefix}[{head}]{tail}")
    }
}

/// Files `$and[i][field]...` under branch `i` of its conjunction, re-rooted to
/// `field...`; a group key without both an index and a field is unknown.
fn add_to_branch(
    branches: &mut Vec<(Conjunction, String, Pairs)>,
    name: &str,
    rest: &[&str],
    value: &str,
    full: String,
    unknown: &mut Vec<String>,
) {
    let conjunction = if name == "$and" {
        Conjunction::And
    } else {
        Conjunction::Or
    };
    match rest {
        [index, field, more @ ..] if is_index(index) && !index.is_empty() => {
            let inner: String = std::iter::once(field.to_string())
                .chain(more.iter().map(|s| format!("[{s}]")))
                .collect();
            let index = index.to_string();
            match branches
                .iter_mut()
                .find(|(c, i, _)| *c == conjunction && *i == index)
            {
                Some((_, _, keys)) => keys.push((inner, value.to_string())),
                None => branches.push((conjunction, index, vec![(inner, value.to_string())])),
            }
        }
        _ => unknown.push(full),
    }
}

/// The keys every list route takes besides its filters.
pub const LIST_KEYS: [&str; 4] = ["fields", "offset", "limit", "order"];

impl StoreQuery {
    /// Parses `raw` and rejects any key not in `allowed`. `$and`/`$or` are accepted when
    /// `allowed` lists them; operator maps on the date keys when it lists the key.
    /// [`parse`](Self::parse) for a list route: its filter keys and [`LIST_KEYS`].
    pub fn parse_list(raw: Option<&str>, filters: &[&str]) -> ApiResult<Self> {
        let allowed: Vec<&str> = LIST_KEYS.iter().chain(filters).copied().collect();
        Self::parse(raw, &allowed)
    }

    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .filter(|(key, _)| !key.is_empty())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let mut unknown: Vec<String> = Vec::new();
        let query = Self::build(&pairs, allowed, "", &mut unknown)?;
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
            return Err(ApiError::invalid_data(format!(
                "Invalid request: Unrecognized fields: {}",
                names.join(", ")
            )));
        }
        Ok(query)
    }

    /// `pairs` hold keys relative to `prefix` (the `$or[0]` they sit in, for messages).
    fn build(
        pairs: &[(String, String)],
        allowed: &[&str],
        prefix: &str,
        unknown: &mut Vec<String>,
    ) -> ApiResult<Self> {
        let mut query = StoreQuery::default();
        // Branch keys, re-rooted: `$or[0][title]` → branch ("$or", "0") gets `title`.
        let mut branches: Vec<(Conjunction, String, Pairs)> = Vec::new();
        for (key, value) in pairs {
            let full = full_key(prefix, key);
            let Some(segs) = segments(key) else {
                unknown.push(full);
                continue;
            };
            let name = segs[0];
            if !allowed.contains(&name) {
                if !unknown.contains(&full) {
                    unknown.push(full);
                }
                continue;
            }
            let rest = &segs[1..];
            if name == "$and" || name == "$or" {
                add_to_branch(&mut branches, name, rest, value, full, unknown);
                continue;
            }
            query.add_filter(name, rest, value, full, unknown)?;
        }
        query.add_groups(branches, allowed, prefix, unknown)?;
        Ok(query)
    }

    /// Records a plain key (`id`, `id[0]`) or a date operator (`created_at[$gte]`);
    /// any other shape is unknown. An unsupported operator is a 400 of its own so the
    /// client learns which ones exist.
    fn add_filter(
        &mut self,
        name: &str,
        rest: &[&str],
        value: &str,
        full: String,
        unknown: &mut Vec<String>,
    ) -> ApiResult<()> {
        match rest {
            [] => self.pairs.push((name.to_string(), value.to_string())),
            [_] if SCALAR_KEYS.contains(&name) => {
                return Err(ApiError::invalid_data(format!(
                    "Invalid request: '{full}': '{name}' takes one value, not a list"
                )));
            }
            [index] if is_index(index) => self.pairs.push((name.to_string(), value.to_string())),
            [op] if op.starts_with('$') && OPERATOR_KEYS.contains(&name) => {
                if !DATE_OPERATORS.contains(op) {
                    return Err(ApiError::invalid_data(format!(
                        "Invalid request: '{full}' uses an operator this route does not support; use one of {}",
                        DATE_OPERATORS.join(", ")
                    )));
                }
                self.operators
                    .push((name.to_string(), op.to_string(), value.to_string()));
            }
            _ => unknown.push(full),
        }
        Ok(())
    }

    /// Builds each `$and`/`$or` branch as a query of its own, with the find keys
    /// (`fields`, `limit`, ...) not allowed inside, and groups them by conjunction in
    /// the order they first appeared.
    fn add_groups(
        &mut self,
        branches: Vec<(Conjunction, String, Pairs)>,
        allowed: &[&str],
        prefix: &str,
        unknown: &mut Vec<String>,
    ) -> ApiResult<()> {
        let inner_allowed: Vec<&str> = allowed
            .iter()
            .copied()
            .filter(|k| !FIND_KEYS.contains(k))
            .collect();
        for (conjunction, index, keys) in branches {
            let label = if conjunction == Conjunction::And {
                "$and"
            } else {
                "$or"
            };
            let prefix = if prefix.is_empty() {
                format!("{label}[{index}]")
            } else {
                format!("{prefix}[{label}][{index}]")
            };
            let branch = Self::build(&keys, &inner_allowed, &prefix, unknown)?;
            match self.groups.iter_mut().find(|(c, _)| *c == conjunction) {
                Some((_, list)) => list.push(branch),
                None => self.groups.push((conjunction, vec![branch])),
            }
        }
        Ok(())
    }

    /// The canonical form of the query, used as a cache key: pairs in a stable order.
    pub fn cache_key(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        self.serialize_into(&mut out, "");
        out.finish()
    }

    fn serialize_into(&self, out: &mut url::form_urlencoded::Serializer<'_, String>, prefix: &str) {
        let mut pairs: Vec<(String, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str()))
            .chain(
                self.operators
                    .iter()
                    .map(|(k, op, v)| (format!("{k}[{op}]"), v.as_str())),
            )
            .collect();
        pairs.sort();
        for (k, v) in pairs {
            out.append_pair(&format!("{prefix}{k}"), v);
        }
        for (conjunction, branches) in &self.groups {
            for (i, branch) in branches.iter().enumerate() {
                let label = if *conjunction == Conjunction::And {
                    "$and"
                } else {
                    "$or"
                };
                branch.serialize_into(out, &format!("{prefix}{label}[{i}]."));
            }
        }
    }

    /// The `$and`/`$or` branches given, each a query of filter keys.
    pub fn groups(&self) -> &[(Conjunction, Vec<StoreQuery>)] {
        &self.groups
    }

    /// The `$and`/`$or` groups, each branch read into a route's filter by `read`.
    pub fn map_groups<T>(
        &self,
        read: impl Fn(&StoreQuery) -> ApiResult<T> + Copy,
    ) -> ApiResult<Vec<(Conjunction, Vec<T>)>> {
        self.groups
            .iter()
            .map(|(conjunction, branches)| {
                let branches = branches.iter().map(read).collect::<ApiResult<Vec<_>>>()?;
                Ok((*conjunction, branches))
            })
            .collect()
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

    /// `true` or `false`, as Medusa's `booleanString` reads them.
    pub fn boolean(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.single(key)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid_data(format!(
                "Invalid request: '{key}' must be true or false, got {other:?}"
            ))),
        }
    }

    /// `key=<date>` and `key[$op]=<date>` (RFC 3339 or `YYYY-MM-DD`) as one range.
    pub fn date_range(&self, key: &str) -> ApiResult<DateRange> {
        let mut range = DateRange::default();
        let parse = |name: String, raw: &str| -> ApiResult<DateTime<Utc>> {
            DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&Utc))
                .or_else(|_| {
                    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                })
                .map_err(|_| {
                    ApiError::invalid_data(format!(
                        "Invalid request: '{name}' must be a date (2026-01-31 or 2026-01-31T12:00:00Z), got {raw:?}"
                    ))
                })
        };
        if let Some(raw) = self.single(key)? {
            range.eq = Some(parse(key.to_string(), raw)?);
        }
        for (k, op, raw) in &self.operators {
            if k != key {
                continue;
            }
            let at = parse(format!("{key}[{op}]"), raw)?;
            let slot = match op.as_str() {
                "$eq" => &mut range.eq,
                "$ne" => &mut range.ne,
                "$gt" => &mut range.gt,
                "$gte" => &mut range.gte,
                "$lt" => &mut range.lt,
                _ => &mut range.lte,
            };
            if slot.replace(at).is_some() {
                return Err(ApiError::invalid_data(format!(
                    "Invalid request: '{key}[{op}]' must be given once"
                )));
            }
        }
        Ok(range)
    }

    /// `limit` between 0 and [`MAX_LIMIT`].
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

    /// `fields` for an answer whose fields are not listed (carts, orders): any name is
    /// accepted, and one this backend does not serve is simply absent from the answer.
    pub fn any_fields(&self) -> ApiResult<Fields> {
        match self.single("fields")? {
            None => Ok(Fields::default()),
            Some(raw) => Fields::read(raw, None),
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

/// Bounds on a timestamp column from `created_at[$gte]=...` and friends.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DateRange {
    pub eq: Option<DateTime<Utc>>,
    pub ne: Option<DateTime<Utc>>,
    pub gt: Option<DateTime<Utc>>,
    pub gte: Option<DateTime<Utc>>,
    pub lt: Option<DateTime<Utc>>,
    pub lte: Option<DateTime<Utc>>,
}

impl DateRange {
    /// `(SQL operator, bound)` for every bound given.
    pub fn bounds(&self) -> impl Iterator<Item = (&'static str, DateTime<Utc>)> + '_ {
        [
            ("=", self.eq),
            ("<>", self.ne),
            (">", self.gt),
            (">=", self.gte),
            ("<", self.lt),
            ("<=", self.lte),
        ]
        .into_iter()
        .filter_map(|(op, at)| at.map(|at| (op, at)))
    }

    /// Whether `at` lies within every bound (for filters applied in memory).
    pub fn contains(&self, at: &DateTime<Utc>) -> bool {
        self.bounds().all(|(op, bound)| match op {
            "=" => *at == bound,
            "<>" => *at != bound,
            ">" => *at > bound,
            ">=" => *at >= bound,
            "<" => *at < bound,
            _ => *at <= bound,
        })
    }
}

impl Conjunction {
    /// Combines the branches' answers: all of them (`$and`) or any (`$or`).
    pub fn combine(self, mut branches: impl Iterator<Item = bool>) -> bool {
        match self {
            Conjunction::And => branches.all(|b| b),
            Conjunction::Or => branches.any(|b| b),
        }
    }
}

/// The `fields` parameter as Medusa applies it: entries starting with `+`, `-`, `*` (or
/// a space, which is how an unencoded `+` arrives) adjust the route's defaults; plain
/// entries replace them, so the answer narrows to those fields (and `id`). `rel.*` and
/// `*rel` name a whole relation.
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
        Self::read(raw, Some(known))
    }

    fn read(raw: &str, known: Option<&[&str]>) -> ApiResult<Self> {
        let mut entries = Vec::new();
        for entry in raw.split(',') {
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
            if known.is_some_and(|known| !known.contains(&root)) {
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

    /// Removes each of `paths` this selection does not ask for: what a route renders
    /// only on request (`+metadata`, `*variants.images`).
    pub fn drop_unrequested<'a>(
        &self,
        value: &mut Value,
        paths: impl IntoIterator<Item = &'a str>,
    ) {
        for path in paths {
            if !self.requests(path) {
                remove_path(value, path);
            }
        }
    }

    /// Whether `path` was explicitly removed with `-path`.
    pub fn removes(&self, path: &str) -> bool {
        self.entries
            .iter()
            .rev()
            .find(|(_, p)| p == path)
            .is_some_and(|(op, _)| *op == FieldOp::Remove)
    }

    /// Whether the answer is narrowed to the fields named (a plain entry was given).
    pub fn narrows(&self) -> bool {
        self.entries.iter().any(|(op, _)| *op == FieldOp::Replace)
    }

    /// Whether [`Fields::project`] leaves every rendered field in place (no `fields`, or
    /// only additions of what the default shape already has).
    pub fn keeps_all(&self) -> bool {
        self.entries.iter().all(|(op, _)| *op == FieldOp::Add)
    }

    /// Applies the selection to a rendered entity (or a list of them): removes what
    /// `-path` names and, when plain entries were given, keeps only the fields named
    /// (with `id` at every level).
    pub fn project(&self, value: &mut Value) {
        for (op, path) in &self.entries {
            if *op == FieldOp::Remove {
                remove_path(value, path);
            }
        }
        if self.narrows() {
            let mut selection = Selection::default();
            for (op, path) in &self.entries {
                if *op != FieldOp::Remove {
                    selection.insert(path);
                }
            }
            selection.apply(value);
        }
    }
}

fn remove_path(value: &mut Value, path: &str) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| remove_path(v, path)),
        Value::Object(map) => match path.split_once('.') {
            None => {
                map.remove(path);
            }
            Some((head, rest)) => {
                if let Some(inner) = map.get_mut(head) {
                    remove_path(inner, rest);
                }
            }
        },
        _ => {}
    }
}

/// The tree of fields a narrowing `fields` keeps.
#[derive(Debug, Default)]
struct Selection {
    whole: bool,
    nested: Vec<(String, Selection)>,
}

impl Selection {
    fn insert(&mut self, path: &str) {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let index = match self.nested.iter().position(|(name, _)| name == head) {
            Some(i) => i,
            None => {
                self.nested.push((head.to_string(), Selection::default()));
                self.nested.len() - 1
            }
        };
        let child = &mut self.nested[index].1;
        match rest {
            None => child.whole = true,
            Some(rest) => child.insert(rest),
        }
    }

    fn apply(&self, value: &mut Value) {
        if self.whole {
            return;
        }
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            Value::Object(map) => {
                map.retain(|key, _| key == "id" || self.nested.iter().any(|(n, _)| n == key));
                for (name, child) in &self.nested {
                    if let Some(inner) = map.get_mut(name) {
                        child.apply(inner);
                    }
                }
            }
            _ => {}
        }
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
        assert!(parse("limit=1001").limit(50).is_err());
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

    #[test]
    fn date_operators_and_giftcard_flags_are_read_and_bad_ones_named() {
        let keys = ["created_at", "updated_at", "is_giftcard"];
        let q = StoreQuery::parse(
            Some("created_at[$gt]=2026-01-01&updated_at[$lte]=2026-02-01T10:00:00Z&is_giftcard=false"),
            &keys,
        )
        .unwrap();
        let created = q.date_range("created_at").unwrap();
        assert_eq!(created.bounds().count(), 1);
        assert_eq!(
            created.gt.unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert!(q.date_range("updated_at").unwrap().lte.is_some());
        assert_eq!(q.boolean("is_giftcard").unwrap(), Some(false));

        let err = StoreQuery::parse(Some("created_at[$like]=x"), &keys).unwrap_err();
        assert!(err.to_string().contains("'created_at[$like]'"), "{err}");
        let q = StoreQuery::parse(Some("created_at[$gt]=yesterday"), &keys).unwrap();
        let err = q.date_range("created_at").unwrap_err();
        assert!(err.to_string().contains("'created_at[$gt]'"), "{err}");
        let q = StoreQuery::parse(Some("is_giftcard=maybe"), &keys).unwrap();
        assert!(q
            .boolean("is_giftcard")
            .unwrap_err()
            .to_string()
            .contains("'is_giftcard'"));
        // Operators only where Medusa has operator maps.
        let err = StoreQuery::parse(Some("is_giftcard[$gt]=1"), &keys).unwrap_err();
        assert!(err.to_string().contains("'is_giftcard[$gt]'"), "{err}");
    }

    #[test]
    fn and_or_groups_become_branches_of_filter_keys() {
        let keys = ["$or", "$and", "title", "handle", "limit"];
        let q = StoreQuery::parse(
            Some("$or[0][title]=A&$or[1][handle]=b&$or[1][title]=B&limit=2"),
            &keys,
        )
        .unwrap();
        let (conjunction, branches) = &q.groups()[0];
        assert_eq!(*conjunction, Conjunction::Or);
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[0].list("title").unwrap(), vec!["A"]);
        assert_eq!(branches[1].list("handle").unwrap(), vec!["b"]);
        // Paging belongs to the whole query, not to a branch; unknown keys are named
        // where they stand.
        let err = StoreQuery::parse(Some("$or[0][limit]=1&$and[0][colour]=red"), &keys)
            .unwrap_err()
            .to_string();
        assert!(err.contains("'$or[0][limit]'"), "{err}");
        assert!(err.contains("'$and[0][colour]'"), "{err}");
        // Without $or in the route's keys it is unknown.
        assert!(StoreQuery::parse(Some("$or[0][title]=A"), &["title"]).is_err());
        // Branches are part of the cache key.
        let other = StoreQuery::parse(Some("$or[0][title]=B&limit=2"), &keys).unwrap();
        assert_ne!(q.cache_key(), other.cache_key());
    }

    #[test]
    fn plain_fields_narrow_the_answer_and_signed_ones_adjust_it() {
        let known = ["id", "title", "handle", "variants", "tags"];
        let product = || {
            serde_json::json!({
                "id": "prod_1", "title": "T", "handle": "h", "tags": [],
                "variants": [{ "id": "variant_1", "title": "S", "sku": "X", "prices": [{"id": "price_1", "amount": 1}] }],
            })
        };
        let additions = Fields::parse("*variants.calculated_price,+tags,", &known).unwrap();
        assert!(additions.keeps_all());
        let mut p = product();
        additions.project(&mut p);
        assert_eq!(p, product(), "additions leave the default shape as it is");
        assert!(!Fields::parse("id,title", &known).unwrap().keeps_all());

        let mut p = product();
        Fields::parse("id,title", &known).unwrap().project(&mut p);
        assert_eq!(p, serde_json::json!({ "id": "prod_1", "title": "T" }));

        let mut p = product();
        Fields::parse("handle", &known).unwrap().project(&mut p);
        assert_eq!(p, serde_json::json!({ "id": "prod_1", "handle": "h" }));

        let mut p = product();
        Fields::parse("title,variants.*,variants.prices.*", &known)
            .unwrap()
            .project(&mut p);
        assert_eq!(p["variants"][0]["sku"], "X");
        assert_eq!(p["variants"][0]["prices"][0]["amount"], 1);
        assert!(p.get("handle").is_none());

        let mut p = product();
        Fields::parse("title,variants.title", &known)
            .unwrap()
            .project(&mut p);
        assert_eq!(
            p["variants"][0],
            serde_json::json!({ "id": "variant_1", "title": "S" })
        );

        let mut p = product();
        let f = Fields::parse("*variants.calculated_price,-variants.sku,+tags,", &known).unwrap();
        assert!(!f.narrows());
        assert!(!f.keeps_all(), "a removal changes the answer");
        f.project(&mut p);
        assert_eq!(p["handle"], "h");
        assert!(p["variants"][0].get("sku").is_none());
    }
}
