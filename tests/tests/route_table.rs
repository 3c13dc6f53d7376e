//! The one route table (the watch router in Cargo.toml) against what each function
//! declares in its `routes()`: `cargo lambda watch`, the HTTP API (scripts/check_template.py),
//! the test harness and the bench send a path to the function the table names, so a route a
//! function serves but the table sends elsewhere would be dead everywhere but in a unit
//! test, and a table entry no function serves would answer 404 for good.

use route_table::RouteTable;
use store_tests::openapi::{self, concrete, declared};

/// Parameter names do not matter to a matcher: `/a/{id}` and `/a/{x}` are one route.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(name) if name.starts_with('*') => "{*}",
            Some(_) => "{}",
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn every_declared_route_reaches_its_function() {
    let table = RouteTable::workspace();
    let mut wrong = Vec::new();
    for (function, paths) in declared() {
        assert!(!paths.is_empty(), "{function} declares no route");
        for path in paths {
            let sent_to = table.function_for(&concrete(path));
            if sent_to != Some(function) {
                wrong.push(format!(
                    "{path} is served by {function}, the table sends it to {sent_to:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_table_entry_is_served_by_its_function() {
    let declared = declared();
    let mut dead = Vec::new();
    for (entry, function) in RouteTable::workspace().entries() {
        let paths = &declared
            .iter()
            .find(|(name, _)| *name == function)
            .unwrap_or_else(|| panic!("the table names {function}, which no function crate is"))
            .1;
        let served = match entry.rsplit_once("/{*") {
            // A catch-all serves the declared routes under its prefix, or is one of the
            // top-level fallbacks that answer unknown paths with the JSON 404.
            Some((prefix, _)) => {
                prefix.matches('/').count() <= 1
                    || paths.iter().any(|p| p.starts_with(&format!("{prefix}/")))
            }
            None => entry == "/" || paths.iter().any(|p| shape(p) == shape(entry)),
        };
        if !served {
            dead.push(format!(
                "{entry} → {function}, which declares no such route"
            ));
        }
    }
    assert!(dead.is_empty(), "{}", dead.join("\n"));
}

#[test]
fn the_checks_would_see_a_mismatch() {
    assert_eq!(
        concrete("/store/carts/{id}/line-items/{line_id}"),
        "/store/carts/id_1/line-items/line_id_1"
    );
    assert_eq!(concrete("/hooks/payment/{*rest}"), "/hooks/payment/a/b");
    assert_eq!(shape("/a/{id}/b/{x}"), shape("/a/{other}/b/{y}"));
    let table = RouteTable::workspace();
    // A checkout route declared by the cart function would be reported.
    assert_ne!(
        table.function_for(&concrete("/store/carts/{id}/complete")),
        Some("cart")
    );
}

#[tokio::test]
async fn the_openapi_document_has_every_declared_route_with_the_methods_it_takes() {
    let functions = openapi::offline_functions();
    let document = openapi::document(&functions).await;
    let paths = document["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    let mut operations = 0;
    for (function, declared) in declared() {
        for path in declared {
            let methods = paths.get(path).and_then(|item| item.as_object());
            match methods {
                Some(methods) if !methods.is_empty() => operations += methods.len(),
                _ => missing.push(format!("{path} ({function}) has no operation")),
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // Spot checks against what the functions are known to serve.
    let methods_of = |path: &str| {
        let mut m: Vec<&str> = paths[path]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        m.sort_unstable();
        m
    };
    assert_eq!(methods_of("/store/carts/{id}"), ["get", "post"]);
    assert_eq!(
        methods_of("/store/carts/{id}/line-items/{line_id}"),
        ["delete", "post"]
    );
    assert_eq!(methods_of("/store/products"), ["get"]);
    assert!(
        operations > paths.len(),
        "{operations} operations on {} paths",
        paths.len()
    );
}
