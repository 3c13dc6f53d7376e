//! Test harness: a fresh database per test, the demo catalog, requests through the router.
