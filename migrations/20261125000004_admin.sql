-- Admin users, secret API keys, the audit log, and what the order lifecycle records:
-- fulfillments, shipments, deliveries, captures and refunds.

CREATE TABLE admin_users (
    id            TEXT PRIMARY KEY,
    -- Stored lower-case, so one address is one user.
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    -- argon2id, PHC string format (salt and parameters inside).
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Secret keys (`sk_...`) for server-to-server use; only a SHA-256 of the key is kept
-- (the key is 256 random bits, so a fast hash is enough).
CREATE TABLE admin_api_keys (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    -- The first characters, to tell keys apart in a list: `sk_1a2b***`.
    redacted     TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    revoked_by   TEXT,
    last_used_at TIMESTAMPTZ
);

-- Who changed what and when.
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    actor_id      TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    before        JSONB,
    after         JSONB,
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_resource ON audit_log (resource_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- The order's states, spelled as Medusa spells them.
ALTER TABLE orders
    ADD CONSTRAINT orders_status_known CHECK (status IN ('pending', 'completed', 'canceled')),
    ADD CONSTRAINT orders_payment_status_known CHECK (payment_status IN
        ('authorized', 'captured', 'partially_refunded', 'refunded', 'canceled')),
    ADD CONSTRAINT orders_fulfillment_status_known CHECK (fulfillment_status IN
        ('not_fulfilled', 'partially_fulfilled', 'fulfilled', 'partially_shipped', 'shipped',
         'partially_delivered', 'delivered', 'canceled'));
CREATE INDEX orders_created_at ON orders (created_at);

-- How much of each line has been fulfilled, shipped and delivered; never more than ordered.
ALTER TABLE order_line_items
    ADD COLUMN fulfilled_quantity INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN shipped_quantity   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN delivered_quantity INTEGER NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_line_items_fulfilled_within CHECK (fulfilled_quantity BETWEEN 0 AND quantity),
    ADD CONSTRAINT order_line_items_shipped_within CHECK (shipped_quantity BETWEEN 0 AND fulfilled_quantity),
    ADD CONSTRAINT order_line_items_delivered_within CHECK (delivered_quantity BETWEEN 0 AND shipped_quantity);

CREATE TABLE fulfillments (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    location_id     TEXT REFERENCES stock_locations (id) ON DELETE SET NULL,
    carrier         TEXT,
    tracking_number TEXT,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    shipped_at      TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    canceled_at     TIMESTAMPTZ,
    CHECK (delivered_at IS NULL OR shipped_at IS NOT NULL),
    -- Only a fulfillment that has not left the building can be canceled.
    CHECK (canceled_at IS NULL OR shipped_at IS NULL)
);
CREATE INDEX fulfillments_order ON fulfillments (order_id);

-- The stock each fulfillment took off the shelf, so a cancelation puts back exactly that.
CREATE TABLE fulfillment_stock (
    fulfillment_id     TEXT NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    order_line_item_id TEXT NOT NULL REFERENCES order_line_items (id) ON DELETE CASCADE,
    inventory_item_id  TEXT NOT NULL REFERENCES inventory_items (id),
    location_id        TEXT NOT NULL REFERENCES stock_locations (id),
    -- Taken from the reservation.
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    -- Taken from the shelf: less than `quantity` when a backorder reserved more than was stocked.
    shelf_quantity     INTEGER NOT NULL CHECK (shelf_quantity BETWEEN 0 AND quantity),
    PRIMARY KEY (fulfillment_id, order_line_item_id, inventory_item_id, location_id)
);

CREATE TABLE fulfillment_items (
    fulfillment_id     TEXT NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    order_line_item_id TEXT NOT NULL REFERENCES order_line_items (id) ON DELETE CASCADE,
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, order_line_item_id)
);

-- Money moves: captured and refunded never exceed what was authorized and captured.
ALTER TABLE payment_collections
    ADD COLUMN captured_at TIMESTAMPTZ,
    ADD COLUMN canceled_at TIMESTAMPTZ,
    ADD CONSTRAINT payment_collections_capture_within CHECK (captured_amount IS NULL OR captured_amount <= authorized_amount),
    ADD CONSTRAINT payment_collections_refund_within CHECK (refunded_amount IS NULL OR refunded_amount <= coalesce(captured_amount, 0));

CREATE TABLE refunds (
    id                    TEXT PRIMARY KEY,
    payment_collection_id TEXT NOT NULL REFERENCES payment_collections (id) ON DELETE CASCADE,
    order_id              TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount                BIGINT NOT NULL CHECK (amount > 0),
    note                  TEXT,
    created_by            TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order ON refunds (order_id);
