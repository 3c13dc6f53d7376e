//! The one route table. `[workspace.metadata.lambda.watch.router]` in the workspace's
//! Cargo.toml says which function serves each path: `cargo lambda watch` routes by it,
//! `scripts/check_template.py` checks the HTTP API's routes against it, and the test
//! harness and the bench's in-process server dispatch through this crate, so all of
//! them send a path to the same function.

use std::sync::OnceLock;

const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

/// Paths (matchit syntax: `{id}`, `{*rest}`) and the function that serves each.
#[derive(Debug)]
pub struct RouteTable {
    router: matchit::Router<String>,
    entries: Vec<(String, String)>,
}

impl RouteTable {
    /// The table of this workspace.
    pub fn workspace() -> &'static RouteTable {
        static TABLE: OnceLock<RouteTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            RouteTable::parse(WORKSPACE_MANIFEST)
                .unwrap_or_else(|e| panic!("the watch router in Cargo.toml: {e}"))
        })
    }

    /// Reads `[workspace.metadata.lambda.watch.router]` from a Cargo manifest.
    pub fn parse(manifest: &str) -> Result<Self, String> {
        let manifest: toml::Table = manifest.parse().map_err(|e| format!("{e}"))?;
        let routes = ["workspace", "metadata", "lambda", "watch", "router"]
            .iter()
            .try_fold(&manifest, |table, key| {
                table.get(*key).and_then(toml::Value::as_table)
            })
            .ok_or("no [workspace.metadata.lambda.watch.router] table")?;
        let mut router = matchit::Router::new();
        let mut entries = Vec::with_capacity(routes.len());
        for (path, function) in routes {
            let function = function
                .as_str()
                .ok_or_else(|| format!("{path}: the function must be a string"))?;
            router
                .insert(path.as_str(), function.to_string())
                .map_err(|e| format!("{path}: {e}"))?;
            entries.push((path.clone(), function.to_string()));
        }
        Ok(RouteTable { router, entries })
    }

    /// The function that serves `path`, if any.
    pub fn function_for(&self, path: &str) -> Option<&str> {
        self.router.at(path).ok().map(|m| m.value.as_str())
    }

    /// Every path of the table with the function that serves it.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(p, f)| (p.as_str(), f.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::RouteTable;

    #[test]
    fn the_workspace_table_sends_each_path_to_its_function() {
        let table = RouteTable::workspace();
        assert!(table.len() > 40);
        for (path, function) in [
            ("/store/products", "products"),
            ("/store/products/prod_1", "products"),
            ("/store/carts", "cart"),
            ("/store/carts/cart_1/line-items/item_1", "cart"),
            ("/store/carts/cart_1/complete", "checkout"),
            (
                "/store/payment-collections/pay_1/payment-sessions",
                "checkout",
            ),
            ("/store/orders/order_1", "orders"),
            ("/auth/user/emailpass", "accounts"),
            ("/auth/customer/emailpass/register", "accounts"),
            ("/store/customers/me/addresses/cuaddr_1", "accounts"),
            ("/store/orders", "orders"),
            ("/admin/orders/order_1/fulfillments", "orders"),
            ("/admin/products/prod_1/variants", "products"),
            ("/admin/promotions", "cart"),
            ("/content/pages/home", "content"),
            // Paths nobody serves reach the function that answers them with a JSON 404.
            ("/store/locales", "products"),
            ("/admin/inventory", "products"),
            ("/nothing/here", "products"),
            ("/", "products"),
        ] {
            assert_eq!(table.function_for(path), Some(function), "{path}");
        }
    }

    #[test]
    fn a_conflicting_or_malformed_table_is_refused() {
        let conflict = "[workspace.metadata.lambda.watch.router]\n\"/a/{id}\" = \"x\"\n\"/a/{other}\" = \"y\"\n";
        assert!(RouteTable::parse(conflict).is_err());
        assert!(RouteTable::parse("[workspace]\n").is_err());
        let number = "[workspace.metadata.lambda.watch.router]\n\"/a\" = 1\n";
        assert!(RouteTable::parse(number).unwrap_err().contains("/a"));
    }
}
