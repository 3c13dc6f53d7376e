-- Carts, shipping options, promotions, payments, orders, reservations and the outbox.

CREATE TABLE shipping_options (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    region_id        TEXT NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    price_type       TEXT NOT NULL DEFAULT 'flat' CHECK (price_type = 'flat'),
    amount           BIGINT NOT NULL CHECK (amount >= 0),
    -- Free when the cart's items (before discounts) reach this amount.
    free_over_amount BIGINT CHECK (free_over_amount >= 0),
    type_code        TEXT NOT NULL DEFAULT 'standard',
    type_label       TEXT NOT NULL DEFAULT 'Standard',
    is_active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (region_id, name)
);

CREATE TABLE promotions (
    id                TEXT PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    is_automatic      BOOLEAN NOT NULL DEFAULT FALSE,
    is_active         BOOLEAN NOT NULL DEFAULT TRUE,
    method            TEXT NOT NULL CHECK (method IN ('percentage', 'fixed')),
    -- Basis points for a percentage (1000 = 10 %), minor units of currency_code for fixed.
    value             BIGINT NOT NULL CHECK (value >= 0),
    currency_code     TEXT,
    target            TEXT NOT NULL DEFAULT 'order' CHECK (target IN ('order', 'items')),
    target_product_ids TEXT[] NOT NULL DEFAULT '{}',
    per_unit          BOOLEAN NOT NULL DEFAULT FALSE,
    starts_at         TIMESTAMPTZ,
    ends_at           TIMESTAMPTZ,
    usage_limit       BIGINT CHECK (usage_limit >= 0),
    usage_count       BIGINT NOT NULL DEFAULT 0,
    min_item_subtotal BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (method <> 'percentage' OR value <= 10000),
    CHECK (method <> 'fixed' OR currency_code IS NOT NULL),
    CHECK (usage_limit IS NULL OR usage_count <= usage_limit)
);

CREATE TABLE carts (
    id               TEXT PRIMARY KEY,
    region_id        TEXT NOT NULL REFERENCES regions (id),
    currency_code    TEXT NOT NULL,
    sales_channel_id TEXT NOT NULL REFERENCES sales_channels (id),
    email            TEXT,
    customer_id      TEXT,
    shipping_address JSONB,
    billing_address  JSONB,
    metadata         JSONB,
    completed_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE cart_line_items (
    id                  TEXT PRIMARY KEY,
    cart_id             TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id          TEXT NOT NULL REFERENCES product_variants (id),
    product_id          TEXT NOT NULL REFERENCES products (id),
    title               TEXT NOT NULL,
    thumbnail           TEXT,
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    unit_price          BIGINT NOT NULL CHECK (unit_price >= 0),
    is_tax_inclusive    BOOLEAN NOT NULL,
    requires_shipping   BOOLEAN NOT NULL DEFAULT TRUE,
    discountable        BOOLEAN NOT NULL DEFAULT TRUE,
    product_title       TEXT NOT NULL,
    product_handle      TEXT NOT NULL,
    product_subtitle    TEXT,
    product_description TEXT,
    variant_sku         TEXT,
    variant_title       TEXT NOT NULL,
    metadata            JSONB NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The same variant with the same metadata is one line.
CREATE UNIQUE INDEX cart_line_items_merge ON cart_line_items (cart_id, variant_id, metadata);

CREATE TABLE cart_shipping_methods (
    id                 TEXT PRIMARY KEY,
    cart_id            TEXT NOT NULL UNIQUE REFERENCES carts (id) ON DELETE CASCADE,
    shipping_option_id TEXT NOT NULL REFERENCES shipping_options (id),
    name               TEXT NOT NULL,
    data               JSONB NOT NULL DEFAULT '{}',
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE cart_promotions (
    cart_id      TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    promotion_id TEXT NOT NULL REFERENCES promotions (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, promotion_id)
);

CREATE SEQUENCE order_display_id_seq;

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    display_id         BIGINT NOT NULL UNIQUE DEFAULT nextval('order_display_id_seq'),
    -- One order per cart, whatever happens above.
    cart_id            TEXT NOT NULL UNIQUE REFERENCES carts (id),
    region_id          TEXT NOT NULL REFERENCES regions (id),
    sales_channel_id   TEXT NOT NULL REFERENCES sales_channels (id),
    currency_code      TEXT NOT NULL,
    email              TEXT NOT NULL,
    shipping_address   JSONB,
    billing_address    JSONB,
    status             TEXT NOT NULL DEFAULT 'pending',
    payment_status     TEXT NOT NULL DEFAULT 'authorized',
    fulfillment_status TEXT NOT NULL DEFAULT 'not_fulfilled',
    -- Every total of the cart at completion (store::totals::Totals), in minor units.
    totals             JSONB NOT NULL,
    promotions         JSONB NOT NULL DEFAULT '[]',
    metadata           JSONB,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    canceled_at        TIMESTAMPTZ
);
ALTER SEQUENCE order_display_id_seq OWNED BY orders.display_id;

CREATE TABLE order_line_items (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id          TEXT REFERENCES product_variants (id) ON DELETE SET NULL,
    product_id          TEXT REFERENCES products (id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    thumbnail           TEXT,
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    unit_price          BIGINT NOT NULL,
    is_tax_inclusive    BOOLEAN NOT NULL,
    tax_rate_bps        INTEGER NOT NULL,
    requires_shipping   BOOLEAN NOT NULL,
    product_title       TEXT NOT NULL,
    product_handle      TEXT NOT NULL,
    variant_sku         TEXT,
    variant_title       TEXT NOT NULL,
    metadata            JSONB NOT NULL DEFAULT '{}',
    -- store::totals::LineTotals and the promotion adjustments, frozen at completion.
    totals              JSONB NOT NULL,
    adjustments         JSONB NOT NULL DEFAULT '[]',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_line_items_order ON order_line_items (order_id);

CREATE TABLE order_shipping_methods (
    id                 TEXT PRIMARY KEY,
    order_id           TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shipping_option_id TEXT REFERENCES shipping_options (id) ON DELETE SET NULL,
    name               TEXT NOT NULL,
    amount             BIGINT NOT NULL,
    is_tax_inclusive   BOOLEAN NOT NULL,
    tax_rate_bps       INTEGER NOT NULL,
    totals             JSONB NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE payment_collections (
    id                TEXT PRIMARY KEY,
    cart_id           TEXT NOT NULL UNIQUE REFERENCES carts (id) ON DELETE CASCADE,
    order_id          TEXT REFERENCES orders (id),
    currency_code     TEXT NOT NULL,
    amount            BIGINT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'not_paid',
    authorized_amount BIGINT,
    captured_amount   BIGINT,
    refunded_amount   BIGINT,
    completed_at      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE payment_sessions (
    id                    TEXT PRIMARY KEY,
    payment_collection_id TEXT NOT NULL REFERENCES payment_collections (id) ON DELETE CASCADE,
    provider_id           TEXT NOT NULL,
    currency_code         TEXT NOT NULL,
    amount                BIGINT NOT NULL,
    data                  JSONB NOT NULL DEFAULT '{}',
    status                TEXT NOT NULL DEFAULT 'pending',
    authorized_at         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_sessions_collection ON payment_sessions (payment_collection_id);

-- Stock held for an order line at one location until it ships or is cancelled.
CREATE TABLE reservations (
    id                 TEXT PRIMARY KEY,
    order_line_item_id TEXT NOT NULL REFERENCES order_line_items (id) ON DELETE CASCADE,
    inventory_item_id  TEXT NOT NULL REFERENCES inventory_items (id),
    location_id        TEXT NOT NULL REFERENCES stock_locations (id),
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Events written in the same transaction as the change they announce; a relay publishes them.
CREATE TABLE outbox_events (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    payload      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_events_unpublished ON outbox_events (created_at) WHERE published_at IS NULL;
