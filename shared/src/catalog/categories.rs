//! Product categories: a tree of active, public categories.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::error::{ApiError, ApiResult};
use crate::query::{Conjunction, DateRange, StoreQuery};
use crate::wire::timestamp;

pub const CATEGORY_FIELDS: [&str; 13] = [
    "id",
    "name",
    "description",
    "handle",
    "rank",
    "external_id",
    "parent_category_id",
    "created_at",
    "updated_at",
    "metadata",
    "parent_category",
    "category_children",
    "products",
];

pub const CATEGORY_ORDER_COLUMNS: [&str; 6] =
    ["id", "name", "handle", "rank", "created_at", "updated_at"];

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: String,
    pub handle: String,
    pub rank: i32,
    pub external_id: Option<String>,
    pub parent_category_id: Option<String>,
    pub metadata: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct CategoryFilter {
    pub ids: Option<Vec<String>>,
    pub handles: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub descriptions: Option<Vec<String>>,
    pub q: Option<String>,
    /// `Some(None)` asks for top-level categories (`parent_category_id=null`).
    pub parent_category_id: Option<Option<String>>,
    pub created_at: DateRange,
    pub updated_at: DateRange,
    /// `$and`/`$or`: groups of filters, each branch a filter of its own.
    pub groups: Vec<(Conjunction, Vec<CategoryFilter>)>,
    pub include_ancestors_tree: bool,
    pub include_descendants_tree: bool,
}

/// The filter keys of `GET /store/product-categories` (besides `query::LIST_KEYS`).
pub const CATEGORY_LIST_KEYS: [&str; 12] = [
    "q",
    "id",
    "handle",
    "name",
    "description",
    "parent_category_id",
    "include_ancestors_tree",
    "include_descendants_tree",
    "created_at",
    "updated_at",
    "$and",
    "$or",
];

impl CategoryFilter {
    /// The filter a list request asks for; `$and`/`$or` branches take the same keys.
    pub fn from_query(query: &StoreQuery) -> ApiResult<Self> {
        let parent_category_id = match query.single("parent_category_id")? {
            None => None,
            Some("null") => Some(None),
            Some(_) => query
                .ids("parent_category_id", "pcat")?
                .and_then(|mut ids| ids.pop())
                .map(Some),
        };
        Ok(CategoryFilter {
            ids: query.ids("id", "pcat")?,
            handles: query.list("handle"),
            names: query.list("name"),
            descriptions: query.list("description"),
            q: query.single("q")?.map(str::to_lowercase),
            parent_category_id,
            created_at: query.date_range("created_at")?,
            updated_at: query.date_range("updated_at")?,
            groups: query.map_groups(Self::from_query)?,
            include_ancestors_tree: query.boolean("include_ancestors_tree")?.unwrap_or(false),
            include_descendants_tree: query.boolean("include_descendants_tree")?.unwrap_or(false),
        })
    }

    fn matches(&self, c: &Category) -> bool {
        let listed = |values: &Option<Vec<String>>, value: &String| {
            values.as_ref().is_none_or(|v| v.contains(value))
        };
        listed(&self.ids, &c.id)
            && listed(&self.handles, &c.handle)
            && listed(&self.names, &c.name)
            && listed(&self.descriptions, &c.description)
            && self.q.as_ref().is_none_or(|q| {
                c.name.to_lowercase().contains(q)
                    || c.handle.contains(q)
                    || c.description.to_lowercase().contains(q)
            })
            && self
                .parent_category_id
                .as_ref()
                .is_none_or(|parent| c.parent_category_id == *parent)
            && self.created_at.contains(&c.created_at)
            && self.updated_at.contains(&c.updated_at)
            && self.groups.iter().all(|(conjunction, branches)| {
                conjunction.combine(branches.iter().map(|b| b.matches(c)))
            })
    }
}

/// The visible categories; there are few, so the tree is assembled in memory.
pub async fn all_visible(pool: &PgPool) -> ApiResult<Vec<Category>> {
    Ok(sqlx::query_as!(
        Category,
        "SELECT id, name, description, handle, rank, external_id, parent_category_id, metadata,
                created_at, updated_at
           FROM product_categories WHERE is_active AND NOT is_internal",
    )
    .fetch_all(pool)
    .await?)
}

pub struct Tree<'a> {
    by_id: HashMap<&'a str, &'a Category>,
    children: HashMap<&'a str, Vec<&'a Category>>,
}

impl<'a> Tree<'a> {
    pub fn new(all: &'a [Category]) -> Self {
        let by_id = all.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut children: HashMap<&str, Vec<&Category>> = HashMap::new();
        for c in all {
            if let Some(parent) = &c.parent_category_id {
                children.entry(parent.as_str()).or_default().push(c);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (a.rank, &a.id).cmp(&(b.rank, &b.id)));
        }
        Tree { by_id, children }
    }

    /// Categories matching the filter, ordered; a category under an inactive or
    /// internal parent is hidden with it.
    pub fn select(&self, filter: &CategoryFilter, order: (&str, bool)) -> Vec<&'a Category> {
        let mut found: Vec<&Category> = self
            .by_id
            .values()
            .copied()
            .filter(|c| self.reachable(c) && filter.matches(c))
            .collect();
        let (column, descending) = order;
        found.sort_by(|a, b| {
            let ordering = match column {
                "name" => a.name.cmp(&b.name),
                "handle" => a.handle.cmp(&b.handle),
                "created_at" => a.created_at.cmp(&b.created_at),
                "updated_at" => a.updated_at.cmp(&b.updated_at),
                "id" => a.id.cmp(&b.id),
                _ => a.rank.cmp(&b.rank),
            }
            .then_with(|| a.id.cmp(&b.id));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        found
    }

    fn reachable(&self, c: &Category) -> bool {
        let mut current = c;
        // Bounded walk: a cycle in bad data must not hang a request.
        for _ in 0..64 {
            match &current.parent_category_id {
                None => return true,
                Some(parent) => match self.by_id.get(parent.as_str()) {
                    Some(p) => current = p,
                    None => return false,
                },
            }
        }
        false
    }

    pub fn render(&self, c: &Category, filter: &CategoryFilter) -> Value {
        let mut j = plain(c);
        j["parent_category"] = self.parent_json(c, filter.include_ancestors_tree, 0);
        j["category_children"] = self.children_json(c, filter.include_descendants_tree, 0);
        j
    }

    fn parent_json(&self, c: &Category, recursive: bool, depth: usize) -> Value {
        let Some(parent) = c
            .parent_category_id
            .as_deref()
            .and_then(|id| self.by_id.get(id))
        else {
            return Value::Null;
        };
        let mut j = plain(parent);
        if recursive && depth < 64 {
            j["parent_category"] = self.parent_json(parent, true, depth + 1);
        }
        j
    }

    fn children_json(&self, c: &Category, recursive: bool, depth: usize) -> Value {
        let children = self
            .children
            .get(c.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        children
            .iter()
            .map(|child| {
                let mut j = plain(child);
                if recursive && depth < 64 {
                    j["category_children"] = self.children_json(child, true, depth + 1);
                }
                j
            })
            .collect()
    }
}

fn plain(c: &Category) -> Value {
    json!({
        "id": c.id, "name": c.name, "description": c.description, "handle": c.handle,
        "rank": c.rank, "external_id": c.external_id, "parent_category_id": c.parent_category_id,
        "created_at": timestamp(&c.created_at), "updated_at": timestamp(&c.updated_at),
        "metadata": c.metadata,
    })
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Product category with id: {id} was not found"))
}
