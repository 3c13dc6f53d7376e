-- Indexes on the foreign keys that point at tables growing with sales (orders, order
-- lines, payment collections, customers): each of them is how a parent's children are
-- read (an order's shipping methods and payment collection, a line's reservations and
-- fulfilments), and without one every read scanned the whole child table, so a checkout
-- got slower with every order the shop had taken (tests/tests/schema.rs keeps it so).
CREATE INDEX IF NOT EXISTS order_shipping_methods_order ON order_shipping_methods (order_id);
CREATE INDEX IF NOT EXISTS payment_collections_order ON payment_collections (order_id)
    WHERE order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reservations_line ON reservations (order_line_item_id);
CREATE INDEX IF NOT EXISTS fulfillment_items_line ON fulfillment_items (order_line_item_id);
CREATE INDEX IF NOT EXISTS fulfillment_stock_line ON fulfillment_stock (order_line_item_id);
CREATE INDEX IF NOT EXISTS refunds_collection ON refunds (payment_collection_id);
CREATE INDEX IF NOT EXISTS carts_customer ON carts (customer_id) WHERE customer_id IS NOT NULL;
