-- Customer accounts: customers, their login identities (email and argon2id password),
-- saved addresses, password reset tokens, and the customer an order belongs to.

CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    -- Stored lower-case, so one address is one account.
    email        TEXT NOT NULL CHECK (email = lower(email)),
    company_name TEXT,
    first_name   TEXT,
    last_name    TEXT,
    phone        TEXT,
    metadata     JSONB,
    has_account  BOOLEAN NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at   TIMESTAMPTZ
);
-- One account per email (guest checkouts do not create customers).
CREATE UNIQUE INDEX customers_account_email ON customers (email)
    WHERE has_account AND deleted_at IS NULL;
CREATE INDEX customers_created_at ON customers (created_at DESC, id DESC);

-- A login: registered first (customer_id NULL), then tied to the customer it creates.
CREATE TABLE auth_identities (
    id            TEXT PRIMARY KEY,
    actor_type    TEXT NOT NULL CHECK (actor_type = 'customer'),
    email         TEXT NOT NULL CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    customer_id   TEXT UNIQUE REFERENCES customers (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (actor_type, email)
);

CREATE TABLE customer_addresses (
    id                  TEXT PRIMARY KEY,
    customer_id         TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    address_name        TEXT,
    company             TEXT,
    first_name          TEXT,
    last_name           TEXT,
    address_1           TEXT,
    address_2           TEXT,
    city                TEXT,
    province            TEXT,
    postal_code         TEXT,
    country_code        TEXT CHECK (country_code ~ '^[a-z]{2}$'),
    phone               TEXT,
    metadata            JSONB,
    is_default_shipping BOOLEAN NOT NULL DEFAULT false,
    is_default_billing  BOOLEAN NOT NULL DEFAULT false,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id, created_at);
-- At most one default of each kind per customer.
CREATE UNIQUE INDEX customer_addresses_default_shipping ON customer_addresses (customer_id)
    WHERE is_default_shipping;
CREATE UNIQUE INDEX customer_addresses_default_billing ON customer_addresses (customer_id)
    WHERE is_default_billing;

-- Password reset: only a SHA-256 of the token is kept (the token is 256 random bits);
-- used once, and not after expires_at.
CREATE TABLE password_reset_tokens (
    token_hash  TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES auth_identities (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_tokens_identity ON password_reset_tokens (identity_id);

ALTER TABLE orders ADD COLUMN customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL;
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC, id DESC)
    WHERE customer_id IS NOT NULL;
ALTER TABLE carts ADD CONSTRAINT carts_customer
    FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL;
