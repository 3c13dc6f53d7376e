//! One response shape whatever the Strapi version: Strapi 5's flat documents, with
//! v4's `{id, attributes}` and relation `{data: ...}` nesting flattened, and relative
//! media URLs made absolute.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Normalizes a Strapi envelope `{data, meta}` (anything else is dropped).
pub fn normalize(body: Value, media_base_url: &str) -> Value {
    let Value::Object(mut envelope) = body else {
        return serde_json::json!({ "data": null, "meta": {} });
    };
    let mut data = flatten(envelope.remove("data").unwrap_or(Value::Null));
    rewrite_media(&mut data, media_base_url);
    let meta = envelope
        .remove("meta")
        .unwrap_or_else(|| Value::Object(Map::new()));
    serde_json::json!({ "data": data, "meta": meta })
}

/// Flattens v4 nesting; v5 values pass through unchanged.
pub fn flatten(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(flatten).collect()),
        Value::Object(map) => {
            if is_v4_entity(&map) {
                let mut map = map;
                let mut flat = Map::new();
                if let Some(id) = map.remove("id") {
                    flat.insert("id".into(), id);
                }
                if let Some(Value::Object(attributes)) = map.remove("attributes") {
                    for (k, v) in attributes {
                        flat.insert(k, flatten(v));
                    }
                }
                return Value::Object(flat);
            }
            if is_v4_relation(&map) {
                let mut map = map;
                return flatten(map.remove("data").unwrap_or(Value::Null));
            }
            Value::Object(map.into_iter().map(|(k, v)| (k, flatten(v))).collect())
        }
        other => other,
    }
}

/// `{id, attributes: {...}}` (v4 entries have no `documentId`).
fn is_v4_entity(map: &Map<String, Value>) -> bool {
    matches!(map.get("attributes"), Some(Value::Object(_)))
        && map.contains_key("id")
        && !map.contains_key("documentId")
        && map
            .keys()
            .all(|k| k == "id" || k == "attributes" || k == "meta")
}

/// A v4 relation or media field: `{data: null | entity | [entity]}`.
fn is_v4_relation(map: &Map<String, Value>) -> bool {
    if map.len() != 1 {
        return false;
    }
    match map.get("data") {
        Some(Value::Null) => true,
        Some(Value::Object(entity)) => is_v4_entity(entity),
        Some(Value::Array(items)) => items
            .iter()
            .all(|i| matches!(i, Value::Object(e) if is_v4_entity(e))),
        _ => false,
    }
}

/// Media objects (they have a `mime`) with a relative `url`, also in `formats.*`, get
/// the public media base prefixed.
pub fn rewrite_media(value: &mut Value, base: &str) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_media(i, base)),
        Value::Object(map) => {
            if map.contains_key("mime") {
                if let Some(Value::String(url)) = map.get_mut("url") {
                    if url.starts_with('/') && !url.starts_with("//") {
                        *url = format!("{base}{url}");
                    }
                }
            }
            map.values_mut().for_each(|v| rewrite_media(v, base));
        }
        _ => {}
    }
}

/// The invalidation tags of a response: every document it shows (`doc:<documentId>`)
/// and every media file (`media:<id>`), so a webhook for any of them purges it.
pub fn collect_tags(value: &Value, tags: &mut BTreeSet<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| collect_tags(i, tags)),
        Value::Object(map) => {
            if let Some(Value::String(document_id)) = map.get("documentId") {
                tags.insert(format!("doc:{document_id}"));
            }
            if map.contains_key("mime") {
                if let Some(id) = map.get("id").filter(|id| !id.is_null()) {
                    tags.insert(format!("media:{}", scalar(id)));
                }
            }
            map.values().for_each(|v| collect_tags(v, tags));
        }
        _ => {}
    }
}

pub(crate) fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v4_entities_relations_and_media_are_flattened() {
        let v4 = json!({
            "data": [{
                "id": 1,
                "attributes": {
                    "title": "About",
                    "seo": { "id": 3, "meta_title": "About" },
                    "banner": { "data": { "id": 2, "attributes": { "title": "B" } } },
                    "pages": { "data": [] },
                    "cover": { "data": { "id": 9, "attributes": {
                        "url": "/uploads/a.jpg", "mime": "image/jpeg",
                        "formats": { "thumbnail": { "url": "/uploads/t_a.jpg", "mime": "image/jpeg" } }
                    } } },
                    "empty": { "data": null }
                }
            }],
            "meta": { "pagination": { "page": 1 } }
        });
        let flat = normalize(v4, "https://media.example");
        assert_eq!(
            flat,
            json!({
                "data": [{
                    "id": 1,
                    "title": "About",
                    "seo": { "id": 3, "meta_title": "About" },
                    "banner": { "id": 2, "title": "B" },
                    "pages": [],
                    "cover": {
                        "id": 9, "url": "https://media.example/uploads/a.jpg", "mime": "image/jpeg",
                        "formats": { "thumbnail": { "url": "https://media.example/uploads/t_a.jpg", "mime": "image/jpeg" } }
                    },
                    "empty": null
                }],
                "meta": { "pagination": { "page": 1 } }
            })
        );
        let mut tags = BTreeSet::new();
        collect_tags(&flat, &mut tags);
        assert!(tags.contains("media:9"));
    }

    #[test]
    fn v5_documents_and_absolute_urls_are_left_alone() {
        let v5 = json!({ "data": { "id": 2, "documentId": "abc", "attributes": { "x": 1 },
            "image": { "url": "https://cdn/x.jpg", "mime": "image/jpeg" } }, "meta": {} });
        assert_eq!(normalize(v5.clone(), "https://m"), v5);
    }
}
