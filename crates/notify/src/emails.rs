//! What the automations tell people: order confirmations, shipping notices, reminders,
//! review requests and low-stock alerts. The data is read here in integer minor units
//! (the state now, not the event's copy) and rendered as text and HTML.

use serde_json::Value;
use sqlx::PgConnection;

use crate::mail::{escape_html, format_money, Email};

/// An order as an email shows it.
#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub id: String,
    pub display_id: i64,
    pub email: String,
    pub currency_code: String,
    pub status: String,
    pub lines: Vec<SummaryLine>,
    /// The rows of the totals table, all before tax, so that
    /// `subtotal − discount + shipping + tax = total` holds exactly (see `totals`).
    pub subtotal: i64,
    pub discount_total: i64,
    pub shipping_total: i64,
    pub tax_total: i64,
    pub total: i64,
    pub shipping_address: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub title: String,
    pub variant_title: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub total: i64,
}

fn amount(totals: &Value, name: &str) -> i64 {
    totals[name].as_i64().unwrap_or(0)
}

impl OrderSummary {
    pub async fn load(
        conn: &mut PgConnection,
        order_id: &str,
    ) -> Result<Option<Self>, sqlx::Error> {
        let Some(row) = sqlx::query!(
            "SELECT id, display_id, email, currency_code, status, totals, shipping_address
               FROM orders WHERE id = $1",
            order_id
        )
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let lines = sqlx::query!(
            "SELECT product_title, variant_title, quantity, unit_price, totals
               FROM order_line_items WHERE order_id = $1 ORDER BY id",
            order_id
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|l| SummaryLine {
            title: l.product_title,
            variant_title: l.variant_title,
            quantity: i64::from(l.quantity),
            unit_price: l.unit_price,
            total: amount(&l.totals, "total"),
        })
        .collect();
        let totals = &row.totals;
        Ok(Some(OrderSummary {
            id: row.id,
            display_id: row.display_id,
            email: row.email,
            currency_code: row.currency_code,
            status: row.status,
            lines,
            subtotal: amount(totals, "item_subtotal"),
            discount_total: amount(totals, "discount_subtotal"),
            shipping_total: amount(totals, "shipping_subtotal"),
            tax_total: amount(totals, "tax_total"),
            total: amount(totals, "total"),
            shipping_address: row.shipping_address,
        }))
    }

    fn money(&self, amount: i64) -> String {
        format_money(amount, &self.currency_code)
    }

    /// The lines and totals, as text and as an HTML table.
    fn render_lines(&self) -> (String, String) {
        let mut text = String::new();
        let mut html = String::from(
            "<table cellpadding=\"4\"><tr><th align=\"left\">Item</th><th>Qty</th><th align=\"right\">Price</th><th align=\"right\">Total</th></tr>",
        );
        for line in &self.lines {
            text.push_str(&format!(
                "- {} ({}) x {} at {}: {}\n",
                line.title,
                line.variant_title,
                line.quantity,
                self.money(line.unit_price),
                self.money(line.total)
            ));
            html.push_str(&format!(
                "<tr><td>{} ({})</td><td align=\"center\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
                escape_html(&line.title),
                escape_html(&line.variant_title),
                line.quantity,
                self.money(line.unit_price),
                self.money(line.total)
            ));
        }
        html.push_str("</table><table cellpadding=\"4\">");
        let mut rows = vec![("Subtotal", self.subtotal)];
        if self.discount_total != 0 {
            rows.push(("Discount", -self.discount_total));
        }
        rows.push(("Shipping", self.shipping_total));
        rows.push(("Tax", self.tax_total));
        rows.push(("Total", self.total));
        text.push('\n');
        for (label, value) in rows {
            text.push_str(&format!("{label}: {}\n", self.money(value)));
            html.push_str(&format!(
                "<tr><td>{label}</td><td align=\"right\">{}</td></tr>",
                self.money(value)
            ));
        }
        html.push_str("</table>");
        (text, html)
    }
}

fn wrap_html(store: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>{body}</body></html>",
        escape_html(store)
    )
}

/// The order confirmation sent on `order.placed`.
pub fn order_confirmation(store: &str, order: &OrderSummary) -> Email {
    let (lines_text, lines_html) = order.render_lines();
    Email {
        to: order.email.clone(),
        subject: format!("{store}: order #{} confirmed", order.display_id),
        text: format!(
            "Thank you for your order #{} ({}).\n\n{lines_text}\nWe will let you know when it ships.\n",
            order.display_id, order.id
        ),
        html: wrap_html(
            store,
            &format!(
                "<p>Thank you for your order #{} ({}).</p>{lines_html}<p>We will let you know when it ships.</p>",
                order.display_id,
                escape_html(&order.id)
            ),
        ),
    }
}

/// The shipping notice sent on `shipment.created`.
pub fn shipping_notice(store: &str, order: &OrderSummary, carrier: &str, tracking: &str) -> Email {
    Email {
        to: order.email.clone(),
        subject: format!("{store}: order #{} has shipped", order.display_id),
        text: format!(
            "Your order #{} is on its way.\nCarrier: {carrier}\nTracking number: {tracking}\n",
            order.display_id
        ),
        html: wrap_html(
            store,
            &format!(
                "<p>Your order #{} is on its way.</p><p>Carrier: {}<br>Tracking number: <b>{}</b></p>",
                order.display_id,
                escape_html(carrier),
                escape_html(tracking)
            ),
        ),
    }
}

/// The review request sent some days after delivery.
pub fn review_request(store: &str, order: &OrderSummary, store_url: Option<&str>) -> Email {
    let link = store_url
        .map(|url| format!("{}/account/orders/{}", url.trim_end_matches('/'), order.id))
        .unwrap_or_default();
    let items: Vec<&str> = order.lines.iter().map(|l| l.title.as_str()).collect();
    Email {
        to: order.email.clone(),
        subject: format!("{store}: how do you like your order #{}?", order.display_id),
        text: format!(
            "Your order #{} arrived a few days ago ({}). We would love to hear what you think.\n{link}\n",
            order.display_id,
            items.join(", ")
        ),
        html: wrap_html(
            store,
            &format!(
                "<p>Your order #{} arrived a few days ago ({}). We would love to hear what you think.</p>{}",
                order.display_id,
                escape_html(&items.join(", ")),
                if link.is_empty() {
                    String::new()
                } else {
                    format!("<p><a href=\"{0}\">{0}</a></p>", escape_html(&link))
                }
            ),
        ),
    }
}

/// The password reset email: the link to the storefront's reset page (with `STORE_URL`)
/// and the token itself, for storefronts that ask for it.
pub fn password_reset(
    store: &str,
    to: &str,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    store_url: Option<&str>,
) -> Email {
    let link = store_url
        .map(|url| {
            format!(
                "{}/account/reset-password?token={token}&email={}",
                url.trim_end_matches('/'),
                url::form_urlencoded::byte_serialize(to.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let until = expires_at.format("%Y-%m-%d %H:%M UTC");
    let mut text = format!(
        "Someone asked to reset the password of your {store} account. If it was you, set a new one \
         before {until}"
    );
    let mut html = format!(
        "<p>Someone asked to reset the password of your account. If it was you, set a new one before {until}"
    );
    if link.is_empty() {
        text.push_str(&format!(" with this code: {token}\n"));
        html.push_str(&format!(" with this code:</p><p><code>{token}</code></p>"));
    } else {
        text.push_str(&format!(":\n{link}\n"));
        html.push_str(&format!(
            ":</p><p><a href=\"{0}\">Set a new password</a></p>",
            escape_html(&link)
        ));
    }
    text.push_str("If it was not you, ignore this email: your password stays as it is.\n");
    html.push_str("<p>If it was not you, ignore this email: your password stays as it is.</p>");
    Email {
        to: to.to_string(),
        subject: format!("{store}: reset your password"),
        text,
        html: wrap_html(store, &html),
    }
}

/// A cart as its reminder shows it.
#[derive(Debug, Clone)]
pub struct CartSummary {
    pub id: String,
    pub email: Option<String>,
    pub currency_code: String,
    pub completed: bool,
    pub lines: Vec<(String, i64, i64)>,
}

impl CartSummary {
    pub async fn load(conn: &mut PgConnection, cart_id: &str) -> Result<Option<Self>, sqlx::Error> {
        let Some(row) = sqlx::query!(
            r#"SELECT id, email, currency_code, completed_at IS NOT NULL AS "completed!" FROM carts WHERE id = $1"#,
            cart_id
        )
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let lines = sqlx::query!(
            "SELECT title, quantity, unit_price FROM cart_line_items WHERE cart_id = $1 ORDER BY id",
            cart_id
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|l| (l.title, i64::from(l.quantity), l.unit_price))
        .collect();
        Ok(Some(CartSummary {
            id: row.id,
            email: row.email,
            currency_code: row.currency_code,
            completed: row.completed,
            lines,
        }))
    }
}

/// The one reminder an abandoned cart gets.
pub fn abandoned_cart(store: &str, cart: &CartSummary, to: &str, store_url: Option<&str>) -> Email {
    let link = store_url
        .map(|url| format!("{}/cart?id={}", url.trim_end_matches('/'), cart.id))
        .unwrap_or_default();
    let mut text = String::from("You left these in your cart:\n");
    let mut html = String::from("<p>You left these in your cart:</p><ul>");
    for (title, quantity, unit_price) in &cart.lines {
        let price = format_money(*unit_price, &cart.currency_code);
        text.push_str(&format!("- {title} x {quantity} ({price} each)\n"));
        html.push_str(&format!(
            "<li>{} x {quantity} ({price} each)</li>",
            escape_html(title)
        ));
    }
    html.push_str("</ul>");
    if !link.is_empty() {
        text.push_str(&format!("\nComplete your order: {link}\n"));
        html.push_str(&format!(
            "<p><a href=\"{0}\">Complete your order</a></p>",
            escape_html(&link)
        ));
    }
    Email {
        to: to.to_string(),
        subject: format!("{store}: your cart is waiting"),
        text,
        html: wrap_html(store, &html),
    }
}

/// An inventory item's stock over all locations, less reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStock {
    pub inventory_item_id: String,
    pub sku: Option<String>,
    pub available: i64,
}

/// The stock of the managed inventory items linked to these variants, and of the items
/// with these ids.
pub async fn item_stock(
    conn: &mut PgConnection,
    variant_ids: &[String],
    inventory_item_ids: &[String],
) -> Result<Vec<ItemStock>, sqlx::Error> {
    sqlx::query_as!(
        ItemStock,
        r#"SELECT i.id AS inventory_item_id, i.sku, coalesce(sum(l.stocked_quantity - l.reserved_quantity), 0)::bigint AS "available!"
           FROM inventory_items i
           LEFT JOIN inventory_levels l ON l.inventory_item_id = i.id
          WHERE i.id = ANY($2)
             OR i.id IN (SELECT vi.inventory_item_id FROM product_variant_inventory_items vi
                           JOIN product_variants v ON v.id = vi.variant_id
                          WHERE vi.variant_id = ANY($1) AND v.manage_inventory)
          GROUP BY i.id, i.sku
          ORDER BY i.id"#,
        variant_ids,
        inventory_item_ids,
    )
    .fetch_all(&mut *conn)
    .await
}

/// The merchant's `inventory.low` alert.
pub fn low_stock_alert(store: &str, to: &str, items: &[ItemStock], threshold: i64) -> Email {
    let mut text = format!("These items are at or below {threshold} available:\n");
    let mut html = format!("<p>These items are at or below {threshold} available:</p><ul>");
    for item in items {
        let sku = item.sku.as_deref().unwrap_or("(no SKU)");
        text.push_str(&format!(
            "- {sku} ({}): {} available\n",
            item.inventory_item_id, item.available
        ));
        html.push_str(&format!(
            "<li>{} ({}): <b>{}</b> available</li>",
            escape_html(sku),
            escape_html(&item.inventory_item_id),
            item.available
        ));
    }
    html.push_str("</ul>");
    Email {
        to: to.to_string(),
        subject: format!(
            "{store}: inventory.low ({} item{})",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        text,
        html: wrap_html(store, &html),
    }
}
