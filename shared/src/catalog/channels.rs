//! Sales channels and the publishable keys that open them to a storefront.

use sqlx::PgConnection;

/// The sales channels of a live (not revoked) publishable key; None for an unknown key.
pub async fn sales_channels_for_key(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS "ids!"
           FROM publishable_api_keys k
           LEFT JOIN publishable_api_key_sales_channels l ON l.publishable_key_id = k.id
           LEFT JOIN sales_channels c ON c.id = l.sales_channel_id AND NOT c.is_disabled
          WHERE k.token = $1 AND k.revoked_at IS NULL
          GROUP BY k.id"#,
        token
    )
    .fetch_optional(conn)
    .await
}
