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
