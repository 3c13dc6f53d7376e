//! Faults of the backends: with PostgreSQL unreachable, requests that need it are
//! answered `503` with `Retry-After` in the JSON error shape at once (the breaker in
//! `store::db_breaker`): the first of a cold instance (its pool holds no connection, so a
//! refused TCP connect answers it), the rest while the breaker is open, and the probes
//! it lets through once a second. A pooled connection the database dropped while idle is
//! replaced before it is used again.

use std::time::{Duration, Instant};

use store::AppState;
use store_tests::TestStore;

#[tokio::test]
async fn with_postgresql_unreachable_every_request_gets_a_503_at_once() {
    let store = TestStore::new().await;
    let mut config = (*store.state.config).clone();
    // A closed port: the connection is refused, as when PostgreSQL is stopped.
    config.database_url = "postgres://postgres@127.0.0.1:1/store".into();
    let store = store.with_state(AppState::new(config).expect("state"));
    let cart = "/store/carts/cart_01JUNREACHABLE0000000000000";

    let started = Instant::now();
    let first = store.get(cart).await;
    let first_took = started.elapsed();
    assert_eq!(first.status, 503, "{:?}", first.body);
    assert!(
        first_took < Duration::from_millis(50),
        "the first took {first_took:?}"
    );
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.body["type"], "unknown_error");
    assert!(first.body["message"].as_str().unwrap().contains("database"));

    let mut slowest = Duration::ZERO;
    let mut tried = 0;
    // Two rounds, the second past the breaker's open time, so it holds a probe.
    for round in 0..2 {
        if round == 1 {
            tokio::time::sleep(store::db_breaker::OPEN_FOR + Duration::from_millis(50)).await;
        }
        for _ in 0..20 {
            let started = Instant::now();
            let reply = store.get(cart).await;
            slowest = slowest.max(started.elapsed());
            tried += 1;
            assert_eq!(reply.status, 503, "{:?}", reply.body);
            assert_eq!(reply.header("retry-after"), Some("1"));
        }
    }
    println!(
        "{tried} requests with PostgreSQL unreachable after the first ({first_took:?}): all 503, slowest {slowest:?}"
    );
    assert!(slowest < Duration::from_millis(50), "slowest {slowest:?}");
}

#[tokio::test]
async fn with_redis_unreachable_reads_and_checkouts_are_answered_from_postgresql() {
    // Nothing listens on port 1: every Redis call fails at once.
    let store = TestStore::with_redis(Some("redis://127.0.0.1:1".into())).await;
    let variants = store_tests::flow::stocked_variants(&store, 1).await;
    let started = Instant::now();
    let mut tried = 0;
    let mut slowest = Duration::ZERO;
    for uri in [
        "/store/products?limit=5",
        "/store/regions",
        "/store/product-categories",
        "/store/collections",
    ]
    .iter()
    .cycle()
    .take(40)
    {
        let begun = Instant::now();
        let reply = store.get(uri).await;
        slowest = slowest.max(begun.elapsed());
        tried += 1;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
    }
    let mut orders = Vec::new();
    for n in 0..3 {
        let email = format!("redis-down-{n}@example.com");
        let order = store_tests::flow::place_order(&store, &variants[0], 1, &email).await;
        orders.push(order["id"].as_str().unwrap().to_string());
    }
    let placed: i64 = store.scalar("SELECT count(*) FROM orders").await;
    assert_eq!(placed, 3, "every checkout made exactly one order");
    println!(
        "Redis unreachable: {tried} catalog reads all 200 (slowest {slowest:?}), 3 guest \
         checkouts each one order ({placed} in PostgreSQL), in {:?}",
        started.elapsed()
    );
}

/// A connection the database dropped while it sat idle (a failover, a proxy's idle
/// timeout, a Lambda instance frozen between requests) is pinged before reuse and
/// replaced, so the next request does not see it. Connections used within
/// `PING_AFTER_IDLE` are not pinged: that round trip is saved on every busy acquire.
#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_reuse() {
    let store = TestStore::new().await;
    let mut config = (*store.state.config).clone();
    config.database_max_connections = 1;
    let store = store.with_state(AppState::new(config).expect("state"));
    let cart = "/store/carts/cart_01JDROPPEDWHILEIDLE00000000";
    assert_eq!(store.get(cart).await.status, 404);
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&store.state.pool)
        .await
        .unwrap();
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert!(killed);
    tokio::time::sleep(store::web::PING_AFTER_IDLE + Duration::from_millis(300)).await;
    let reply = store.get(cart).await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
    let replaced: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&store.state.pool)
        .await
        .unwrap();
    assert_ne!(replaced, pid);
}

/// A cold start opens its PostgreSQL connection in the background (`web::warm_up`), so
/// the first request finds one ready instead of connecting itself.
#[tokio::test]
async fn warm_up_opens_a_connection_before_the_first_request() {
    let store = TestStore::new().await;
    let state = AppState::new((*store.state.config).clone()).expect("state");
    assert_eq!(state.pool.size(), 0, "the pool connects lazily");
    store::web::warm_up(&state.pool, &state.cache)
        .connected()
        .await;
    // Opened, then handed back to the pool for the first request.
    assert_eq!((state.pool.size(), state.pool.num_idle()), (1, 1));
}

/// A request's first query that comes while the cold start's connect is under way waits
/// for it and takes its connection, and gives it back before the handler's query asks
/// for one: one backend per cold start, not one for the warm-up and one for the request.
#[tokio::test]
async fn the_first_query_takes_the_warm_up_connection() {
    let store = TestStore::new().await;
    let mut state = AppState::new((*store.state.config).clone()).expect("state");
    state.warm_up = store::web::warm_up(&state.pool, &state.cache);
    let key_checked: i32 = state
        .on_pool(async |conn| sqlx::query_scalar("SELECT 1").fetch_one(conn).await)
        .await
        .expect("first query");
    assert_eq!(key_checked, 1);
    let mut handler = state
        .pool
        .acquire()
        .await
        .expect("the handler's connection");
    let answer: i32 = sqlx::query_scalar("SELECT 2")
        .fetch_one(&mut *handler)
        .await
        .unwrap();
    assert_eq!(answer, 2);
    assert_eq!(state.pool.size(), 1, "connections opened");
}

/// Through a cart route: with the publishable key already cached, the cart's own query is
/// the request's first, and it waits for the warm-up's connection too.
#[tokio::test]
async fn a_cart_request_at_a_cold_start_opens_one_connection() {
    let store = TestStore::new().await;
    let cart = "/store/carts/cart_01JWARMUPCARTROUTE000000000";
    // Caches the publishable key in Redis, which the new state shares.
    assert_eq!(store.get(cart).await.status, 404);
    let mut state = AppState::new((*store.state.config).clone()).expect("state");
    state.warm_up = store::web::warm_up(&state.pool, &state.cache);
    let store = store.with_state(state);
    let reply = store.get(cart).await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
    assert_eq!(store.state.pool.size(), 1, "connections opened");
}
