//! The one route table (the watch router in Cargo.toml) against what each function
//! declares in its `routes()`: `cargo lambda watch`, the HTTP API (scripts/check_template.py),
//! the test harness and the bench send a path to the function the table names, so a route a
//! function serves but the table sends elsewhere would be dead everywhere but in a unit
//! test, and a table entry no function serves would answer 404 for good.

use route_table::RouteTable;

/// Each function's declared paths, in axum's syntax.
fn declared() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("products", products::routes().paths().to_vec()),
        ("cart", cart::routes().paths().to_vec()),
        ("checkout", checkout::routes().paths().to_vec()),
        ("orders", orders::routes().paths().to_vec()),
        ("accounts", accounts::routes().paths().to_vec()),
        ("content", content::routes::routes().paths().to_vec()),
    ]
}

/// A concrete path matching a declared one: `{id}` → `id_1`, `{*rest}` → `a/b`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(name) if name.starts_with('*') => "a/b".to_string(),
            Some(name) => format!("{}_1", name.trim_end_matches('}')),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

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
