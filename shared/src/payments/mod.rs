//! Payment providers (being written).
