-- The outbox grows the fields the relay and the sweep need, and the consumer gets its
-- idempotency records.

ALTER TABLE outbox_events RENAME COLUMN created_at TO occurred_at;
ALTER TABLE outbox_events
    ADD COLUMN attempts   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_error TEXT;
DROP INDEX outbox_events_unpublished;
CREATE INDEX outbox_events_unpublished ON outbox_events (occurred_at) WHERE published_at IS NULL;
CREATE INDEX outbox_events_by_name ON outbox_events (name, occurred_at);

-- One row per (event, handler) the consumer has acted on: a redelivered message finds
-- its row and has no second effect.
CREATE TABLE event_handlings (
    event_id   TEXT NOT NULL,
    handler    TEXT NOT NULL,
    handled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, handler)
);

-- Scheduled automations (abandoned-cart reminders, review requests) mark what they have
-- announced, so each cart or order gets at most one.
CREATE TABLE automation_marks (
    kind         TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, aggregate_id)
);
