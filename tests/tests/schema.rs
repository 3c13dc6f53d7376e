//! What the migrations must keep true of the schema as the shop grows.

/// Every foreign key pointing at a table that grows with sales is the first column of an
/// index: that is how a parent's children are read (an order's shipping methods, a
/// line's reservations), and without one each read scans the whole child table, so
/// every checkout gets slower with every order taken. Keys to small reference tables
/// (regions, products, locations, ...) are left out: those are read the other way.
#[tokio::test]
async fn foreign_keys_to_growing_tables_are_indexed() {
    let url = store_tests::fresh_database_url().await;
    let pool = store::db::connect_and_migrate(&url).await.expect("migrate");
    let unindexed: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
            AND c.confrelid::regclass::text IN
                ('orders', 'order_line_items', 'payment_collections', 'carts', 'customers',
                 'fulfillments', 'auth_identities')
            AND NOT EXISTS (SELECT 1 FROM pg_index i
                             WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
          ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let referencing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint c
          WHERE c.contype = 'f'
            AND c.confrelid::regclass::text IN ('orders', 'order_line_items', 'payment_collections')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(referencing >= 6, "the check sees the schema's foreign keys");
    assert!(
        unindexed.is_empty(),
        "foreign keys without an index (table, column, referenced): {unindexed:?}"
    );
}

/// The rows a checkout writes keep no foreign key to the catalog and configuration rows
/// they name: each such key share-locks the named row for every row written, so every
/// checkout wrote into the same region, sales channel and variant rows (and made
/// MultiXacts of them under concurrency). No code deletes those rows (regions, products and
/// variants are soft-deleted), and the writes take their ids from rows they have read
/// (migration `20261205000007`). Keys among the checkout's own rows stay.
#[tokio::test]
async fn checkout_rows_lock_no_catalog_rows() {
    let url = store_tests::fresh_database_url().await;
    let pool = store::db::connect_and_migrate(&url).await.expect("migrate");
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text
           FROM pg_constraint
          WHERE contype = 'f'
            AND conrelid::regclass::text IN
                ('carts', 'cart_line_items', 'cart_shipping_methods', 'orders',
                 'order_line_items', 'order_shipping_methods', 'reservations')
          ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let catalog = [
        "regions",
        "sales_channels",
        "products",
        "product_variants",
        "shipping_options",
        "inventory_items",
        "stock_locations",
    ];
    let to_catalog: Vec<_> = keys
        .iter()
        .filter(|(_, to)| catalog.contains(&to.as_str()))
        .collect();
    assert!(
        to_catalog.is_empty(),
        "foreign keys from checkout rows to catalog rows: {to_catalog:?}"
    );
    // The keys among the checkout's own rows are still there.
    for kept in [
        ("cart_line_items", "carts"),
        ("order_line_items", "orders"),
        ("reservations", "order_line_items"),
    ] {
        assert!(
            keys.iter()
                .any(|(from, to)| (from.as_str(), to.as_str()) == kept),
            "{kept:?} missing from {keys:?}"
        );
    }
}
