//! Regions, categories, collections, the publishable key, and bad input.

use axum::http::Method;
use serde_json::{json, Value};
use store_tests::flow::each;
use store_tests::TestStore;

#[tokio::test]
async fn regions_are_listed_and_retrieved_with_their_countries() {
    let store = TestStore::new().await;
    let reply = store.get("/store/regions").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["count"], 2);
    let regions = reply.body["regions"].as_array().unwrap();
    let europe = regions
        .iter()
        .find(|r| r["currency_code"] == "eur")
        .unwrap();
    assert_eq!(europe["name"], "Europe");
    assert!(europe["countries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["iso_2"] == "de" && c["region_id"] == europe["id"]));

    let id = europe["id"].as_str().unwrap();
    let one = store.get(&format!("/store/regions/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["region"], *europe);

    let usd = store.get("/store/regions?currency_code=usd").await;
    assert_eq!(usd.body["count"], 1);
    assert_eq!(usd.body["regions"][0]["name"], "United States");

    assert_eq!(store.get("/store/regions/reg_01JUNKNOWN").await.status, 404);
    assert_eq!(store.get("/store/regions/not-a-region").await.status, 400);
}

#[tokio::test]
async fn categories_form_a_tree_and_can_carry_their_products() {
    let store = TestStore::new().await;
    let top = store
        .get("/store/product-categories?parent_category_id=null")
        .await;
    assert_eq!(top.status, 200);
    let handles: Vec<&str> = top.body["product_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, vec!["clothing", "footwear", "accessories"]);

    let all = store.get("/store/product-categories?limit=100").await;
    let total: i64 = store
        .scalar("SELECT count(*) FROM product_categories")
        .await;
    assert_eq!(all.body["count"], total);

    let tops = store.get("/store/product-categories?handle=tops").await;
    let tops = &tops.body["product_categories"][0];
    assert_eq!(tops["parent_category"]["handle"], "clothing");
    let children: Vec<&str> = tops["category_children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["handle"].as_str().unwrap())
        .collect();
    assert_eq!(children, vec!["t-shirts", "shirts", "sweatshirts"]);

    let clothing_id = top.body["product_categories"][0]["id"].as_str().unwrap();
    let tree = store
        .get(&format!(
            "/store/product-categories/{clothing_id}?include_descendants_tree=true"
        ))
        .await;
    assert_eq!(tree.status, 200);
    let grandchildren = &tree.body["product_category"]["category_children"][0]["category_children"];
    assert_eq!(grandchildren.as_array().unwrap().len(), 3);

    let tees: String = store
        .scalar("SELECT id FROM product_categories WHERE handle = 't-shirts'")
        .await;
    let with_products = store
        .get(&format!(
            "/store/product-categories/{tees}?fields=*products"
        ))
        .await;
    let listed = with_products.body["product_category"]["products"]
        .as_array()
        .unwrap()
        .len() as i64;
    let expected: i64 = store
        .scalar_for(
            "SELECT count(*) FROM product_category_links l JOIN products p ON p.id = l.product_id
          WHERE l.category_id = $1 AND p.status = 'published'",
            &tees,
        )
        .await;
    assert!(expected > 0);
    assert_eq!(listed, expected);

    store
        .execute("UPDATE product_categories SET is_internal = TRUE WHERE handle = 'tops'")
        .await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let hidden = store.get("/store/product-categories?handle=t-shirts").await;
    assert_eq!(
        hidden.body["count"], 0,
        "a child of an internal category is hidden too"
    );
    assert_eq!(
        store
            .get("/store/product-categories/pcat_01JUNKNOWN")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn collections_are_listed_filtered_and_retrieved() {
    let store = TestStore::new().await;
    let reply = store.get("/store/collections?limit=3").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["count"], 4);
    assert_eq!(reply.body["collections"].as_array().unwrap().len(), 3);

    let essentials = store.get("/store/collections?handle=essentials").await;
    assert_eq!(essentials.body["count"], 1);
    let id = essentials.body["collections"][0]["id"].as_str().unwrap();
    let one = store
        .get(&format!("/store/collections/{id}?fields=*products"))
        .await;
    assert_eq!(one.body["collection"]["title"], "Essentials");
    let products = one.body["collection"]["products"].as_array().unwrap();
    assert!(!products.is_empty());
    assert_eq!(
        store.get("/store/collections/pcol_01JUNKNOWN").await.status,
        404
    );
}

#[tokio::test]
async fn every_store_route_needs_a_live_publishable_key() {
    let store = TestStore::new().await;
    for path in [
        "/store/regions",
        "/store/products",
        "/store/product-categories",
        "/store/collections",
    ] {
        let missing = store.request(Method::GET, path, &[]).await;
        assert_eq!(missing.status, 400, "{path}");
        assert_eq!(missing.body["type"], "not_allowed");
        assert!(missing.body["message"]
            .as_str()
            .unwrap()
            .contains("x-publishable-api-key"));

        let wrong = store
            .request(Method::GET, path, &[("x-publishable-api-key", "pk_nope")])
            .await;
        assert_eq!(wrong.status, 400, "{path}");
        assert_eq!(
            wrong.body["message"],
            "A valid publishable key is required to proceed with the request"
        );
    }
    store
        .execute("UPDATE publishable_api_keys SET revoked_at = now()")
        .await;
    store
        .state
        .cache
        .purge(&[store::cache::Namespace::PublishableKeys])
        .await;
    assert_eq!(
        store.get("/store/products").await.status,
        400,
        "a revoked key is refused"
    );
}

/// Every one of these must be answered with a 4xx JSON error that says what was wrong.
#[tokio::test]
async fn malformed_requests_get_a_4xx_that_names_the_problem_never_a_500() {
    let store = TestStore::new().await;
    let cases: &[(&str, u16, &str)] = &[
        ("/store/products?colour=red", 400, "colour"),
        ("/store/products?limit=-5", 400, "limit"),
        ("/store/products?limit=100000", 400, "limit"),
        ("/store/products?limit=abc", 400, "limit"),
        ("/store/products?offset=-1", 400, "offset"),
        ("/store/products?offset=1e3", 400, "offset"),
        ("/store/products?limit=1&limit=2", 400, "limit"),
        ("/store/products?order=price", 400, "order"),
        (
            "/store/products?order=title;drop%20table%20products",
            400,
            "order",
        ),
        ("/store/products?id=not-an-id", 400, "id"),
        ("/store/products?id[0]=prod_ok&id[1]=%00", 400, "id"),
        ("/store/products?category_id=prod_x", 400, "category_id"),
        ("/store/products?region_id=nope", 400, "region_id"),
        (
            "/store/products?region_id=reg_01JUNKNOWN",
            404,
            "reg_01JUNKNOWN",
        ),
        ("/store/products?country_code=zz", 400, "zz"),
        ("/store/products?country_code=germany", 400, "country_code"),
        ("/store/products?currency_code=euros", 400, "currency_code"),
        ("/store/products?fields=%2Bcolour", 400, "colour"),
        ("/store/products?created_at[$gte]=2020", 400, "created_at"),
        ("/store/products/not_a_product", 400, "prod_"),
        ("/store/products/prod_%27%3B--", 400, "prod_"),
        ("/store/products/prod_01JUNKNOWN?colour=red", 400, "colour"),
        ("/store/regions?limit=-1", 400, "limit"),
        ("/store/regions?order=-population", 400, "order"),
        (
            "/store/product-categories?include_descendants_tree=maybe",
            400,
            "include_descendants_tree",
        ),
        (
            "/store/product-categories?parent_category_id=x",
            400,
            "parent_category_id",
        ),
        ("/store/collections?id=pcat_1", 400, "id"),
        ("/store/collections/%20", 400, "collection"),
        ("/store/nothing-here", 404, "/store/nothing-here"),
    ];
    for (path, status, needle) in cases {
        let reply = store.get(path).await;
        assert_eq!(reply.status.as_u16(), *status, "{path}: {}", reply.body);
        let message = reply.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no message"));
        assert!(
            message.contains(needle),
            "{path}: {message:?} should mention {needle:?}"
        );
        assert!(reply.body["type"].is_string(), "{path}");
    }
    let post = store
        .request(
            Method::POST,
            "/store/products",
            &[("x-publishable-api-key", &store.publishable_key)],
        )
        .await;
    assert_eq!(post.status, 405);
    assert!(post.body["message"].as_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn browsers_on_configured_origins_pass_the_cors_preflight() {
    let store = TestStore::new().await;
    let preflight = store
        .request(
            Method::OPTIONS,
            "/store/products",
            &[
                ("origin", "http://localhost:8000"),
                ("access-control-request-method", "GET"),
                (
                    "access-control-request-headers",
                    "x-publishable-api-key,x-medusa-locale",
                ),
            ],
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:8000")
    );
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("x-publishable-api-key"));

    let stranger = store
        .request(
            Method::OPTIONS,
            "/store/products",
            &[
                ("origin", "http://evil.test"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
    assert_eq!(stranger.header("access-control-allow-origin"), None);

    let actual = store
        .request(
            Method::GET,
            "/store/regions",
            &[
                ("origin", "http://localhost:8000"),
                ("x-publishable-api-key", &store.publishable_key),
            ],
        )
        .await;
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("http://localhost:8000")
    );
    assert_eq!(actual.status, 200);
    // A page's script may read the cache and validator headers.
    let exposed = actual
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["x-cache", "etag", "x-content-locale-fallback"] {
        assert!(exposed.contains(name), "{name} not in {exposed:?}");
    }
}

#[tokio::test]
async fn storefront_admin_and_auth_origins_are_kept_apart() {
    // The harness: STORE_CORS localhost:8000, ADMIN_CORS localhost:7001, AUTH_CORS both.
    let store = TestStore::new().await;
    let preflight = |path: &'static str, origin: &'static str| {
        let store = &store;
        async move {
            let reply = store
                .request(
                    Method::OPTIONS,
                    path,
                    &[
                        ("origin", origin),
                        ("access-control-request-method", "POST"),
                        ("access-control-request-headers", "content-type"),
                    ],
                )
                .await;
            (
                reply
                    .header("access-control-allow-origin")
                    .map(str::to_string),
                reply
                    .header("access-control-allow-credentials")
                    .map(str::to_string),
            )
        }
    };
    let shop = "http://localhost:8000";
    let dashboard = "http://localhost:7001";
    // A storefront's origin may not call the admin API from a browser.
    assert_eq!(preflight("/admin/products", shop).await.0, None);
    assert_eq!(
        preflight("/admin/products", dashboard).await,
        (Some(dashboard.into()), Some("true".into()))
    );
    // Nor may the dashboard's origin call the Store API.
    assert_eq!(preflight("/store/carts", dashboard).await.0, None);
    assert_eq!(preflight("/store/carts", shop).await.0, Some(shop.into()));
    // Both log in.
    assert_eq!(
        preflight("/auth/customer/emailpass", shop).await.0,
        Some(shop.into())
    );
    assert_eq!(
        preflight("/auth/user/emailpass", dashboard).await.0,
        Some(dashboard.into())
    );
    assert_eq!(
        preflight("/auth/user/emailpass", "http://evil.test")
            .await
            .0,
        None
    );
}

#[tokio::test]
async fn private_answers_are_not_stored_and_no_answer_is_sniffed() {
    let store = TestStore::new().await;
    let region = store.get("/store/regions").await.body["regions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = store
        .post("/store/carts", json!({ "region_id": region }))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let cart = store
        .get(&format!(
            "/store/carts/{}",
            created.body["cart"]["id"].as_str().unwrap()
        ))
        .await;
    let unknown_order = store.get("/store/orders/order_unknown").await;
    let admin = store.get("/admin/products").await;
    for (what, reply) in [
        ("new cart", &created),
        ("cart", &cart),
        ("order 404", &unknown_order),
        ("admin 401", &admin),
    ] {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
    }
    let products = store.get("/store/products?limit=1").await;
    assert_eq!(products.status, 200);
    assert_eq!(products.header("x-content-type-options"), Some("nosniff"));
    assert_ne!(products.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn store_reads_are_cached_in_redis_and_a_purge_shows_the_change() {
    let store = TestStore::new().await;
    let first = store.get("/store/products?limit=3&order=handle").await;
    assert_eq!(first.header("x-cache"), Some("miss"));
    let second = store.get("/store/products?order=handle&limit=3").await;
    assert_eq!(
        second.header("x-cache"),
        Some("hit"),
        "parameter order does not matter"
    );
    assert_eq!(first.body, second.body);

    let id = first.body["products"][0]["id"].as_str().unwrap();
    store
        .execute_for(
            "UPDATE products SET title = 'Renamed by a test' WHERE id = $1",
            id,
        )
        .await;
    let stale = store.get("/store/products?limit=3&order=handle").await;
    assert_eq!(
        each(&stale.body, "products", "title"),
        each(&first.body, "products", "title"),
        "served from the cache until purged"
    );

    store::catalog::purge_store_cache(&store.state.cache).await;
    let fresh = store.get("/store/products?limit=3&order=handle").await;
    assert_eq!(fresh.header("x-cache"), Some("miss"));
    assert_eq!(fresh.body["products"][0]["title"], "Renamed by a test");
}

/// Two function instances on one Redis: each keeps the bodies it has seen and asks Redis
/// only for their tags, so a write or a purge by the other still shows at once.
#[tokio::test]
async fn instances_serve_their_own_copy_only_while_redis_holds_its_tag() {
    use store::cache::{Cache, Namespace, RedisLink};
    let store = TestStore::new().await;
    let config = &store.state.config;
    let instance = || {
        Cache::new(
            RedisLink::new(config.redis_url.as_deref()),
            &config.cache_prefix,
            config.cache_ttl,
        )
    };
    let (a, b) = (instance(), instance());
    let key = "list|test";
    let page = |text: &str| axum::body::Bytes::from(text.to_string());
    // What an instance serves for `key`: the body of its hit.
    async fn body(cache: &Cache, key: &str) -> Option<axum::body::Bytes> {
        cache
            .get(Namespace::Products, key)
            .await
            .map(|hit| hit.body)
    }

    assert_eq!(body(&a, key).await, None);
    a.put(Namespace::Products, key, page("one")).await;
    assert_eq!(body(&b, key).await, Some(page("one")));

    // The body in Redis changes behind the tag's back: both instances still serve their
    // copy, which shows that a known tag does not fetch the body again.
    let mut redis = redis::Client::open(config.redis_url.clone().unwrap())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let hash = format!("{}:products", config.cache_prefix);
    let () = redis::cmd("HSET")
        .arg(&hash)
        .arg(format!("b:{key}"))
        .arg("changed behind the tag")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(body(&a, key).await, Some(page("one")));
    assert_eq!(body(&b, key).await, Some(page("one")));

    // A write by one instance is what the other serves next.
    b.put(Namespace::Products, key, page("two")).await;
    assert_eq!(body(&a, key).await, Some(page("two")));
    assert_eq!(body(&b, key).await, Some(page("two")));

    // A purge by one instance empties the other's copies too.
    a.purge(&[Namespace::Products]).await;
    assert_eq!(body(&b, key).await, None);
    assert_eq!(body(&a, key).await, None);

    // A tag older than the TTL is a miss, even with a copy in the process.
    b.put(Namespace::Products, key, page("three")).await;
    let old = [0u8; 16];
    let () = redis::cmd("HSET")
        .arg(&hash)
        .arg(format!("t:{key}"))
        .arg(&old[..])
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(body(&b, key).await, None);
}

#[tokio::test]
async fn with_redis_down_or_unset_the_store_still_answers_from_postgres() {
    // Nothing listens on port 1: every Redis call fails fast.
    for redis in [Some("redis://127.0.0.1:1".to_string()), None] {
        let store = TestStore::with_redis(redis.clone()).await;
        for _ in 0..3 {
            let reply = store.get("/store/products?limit=2").await;
            assert_eq!(reply.status, 200, "{redis:?}: {}", reply.body);
            assert_eq!(reply.body["products"].as_array().unwrap().len(), 2);
        }
        assert_eq!(
            store.get("/store/regions").await.header("x-cache"),
            Some("miss")
        );
        let regions = store.get("/store/regions").await;
        assert_eq!(regions.status, 200);
        assert_eq!(
            regions.header("x-cache"),
            Some("hit"),
            "the in-process cache stands in"
        );
        store::catalog::purge_store_cache(&store.state.cache).await;
        assert_eq!(
            store.get("/store/regions").await.header("x-cache"),
            Some("miss")
        );
    }
}

#[tokio::test]
async fn loading_the_demo_catalog_twice_changes_nothing() {
    let store = TestStore::new().await;
    let fingerprint = || async {
        let tables = [
            "sales_channels",
            "publishable_api_keys",
            "publishable_api_key_sales_channels",
            "regions",
            "region_countries",
            "product_types",
            "product_tags",
            "product_collections",
            "product_categories",
            "products",
            "product_images",
            "product_tag_links",
            "product_category_links",
            "product_sales_channels",
            "product_options",
            "product_option_values",
            "product_variants",
            "product_variant_option_values",
            "prices",
            "stock_locations",
            "sales_channel_stock_locations",
            "inventory_items",
            "product_variant_inventory_items",
            "inventory_levels",
        ];
        let mut out = Vec::new();
        for table in tables {
            let sql = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t");
            let row: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&store.pool)
                .await
                .unwrap();
            out.push(format!("{table}={row}"));
        }
        out
    };
    let before = fingerprint().await;
    assert!(
        before.iter().any(|t| t.starts_with("products=240:")),
        "{before:?}"
    );
    let catalog = store_seed::parse(store_tests::DEMO_CATALOG).unwrap();
    let report = store_seed::load(&store.pool, &catalog).await.unwrap();
    assert_eq!(report.products_created, 0);
    assert_eq!(report.publishable_keys[0].1, store.publishable_key);
    assert_eq!(fingerprint().await, before);
}

#[tokio::test]
async fn catalog_answers_carry_an_etag_and_a_matching_if_none_match_gets_a_304() {
    let store = TestStore::new().await;
    let key = store.publishable_key.clone();
    let uri = "/store/products?limit=2&order=handle";
    let first = store.get(uri).await;
    assert_eq!(first.status, 200);
    let tag = first.header("etag").expect("an ETag").to_string();
    assert!(tag.starts_with("W/\""), "{tag}");
    let again = store.get(uri).await;
    assert_eq!(again.header("x-cache"), Some("hit"));
    assert_eq!(
        again.header("etag"),
        Some(tag.as_str()),
        "a hit keeps its miss's tag"
    );
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=30, stale-while-revalidate=300")
    );
    let vary: Vec<&str> = first
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(',').map(str::trim))
        .collect();
    assert!(vary.contains(&"x-publishable-api-key"), "{vary:?}");

    let conditional = |tag: String| {
        axum::http::Request::get(uri)
            .header("x-publishable-api-key", &key)
            .header("if-none-match", tag)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (status, headers, body) = store.send_raw(conditional(tag.clone())).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(headers.get("etag").unwrap(), tag.as_str());
    let (status, _, _) = store
        .send_raw(conditional("W/\"0000000000000000\"".into()))
        .await;
    assert_eq!(status, 200, "another tag gets the answer");

    // A change to what the answer shows gives it another tag.
    let id = first.body["products"][0]["id"].as_str().unwrap();
    store
        .execute_for(
            "UPDATE products SET title = 'Retitled for the ETag' WHERE id = $1",
            id,
        )
        .await;
    store::catalog::purge_store_cache(&store.state.cache).await;
    let (status, headers, _) = store.send_raw(conditional(tag.clone())).await;
    assert_eq!(status, 200, "the old tag no longer matches");
    assert_ne!(headers.get("etag").unwrap(), tag.as_str());

    for uri in [
        "/store/regions",
        "/store/product-categories",
        "/store/collections",
    ] {
        let reply = store.get(uri).await;
        assert!(reply.header("etag").is_some(), "{uri}");
    }
    // What depends on one shopper is never tagged nor public.
    let cart = store.post("/store/carts", json!({})).await;
    assert_eq!(cart.status, 200);
    let cart_id = cart.body["cart"]["id"].as_str().unwrap();
    let cart = store.get(&format!("/store/carts/{cart_id}")).await;
    assert_eq!(cart.header("etag"), None);
    assert_eq!(cart.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn the_default_routes_function_answers_any_paths_preflight_as_its_owner_does() {
    // In AWS neither the HTTP API nor the function URLs answer preflights (template.yaml):
    // a preflight of a path with only GET or POST routes goes to the $default route's
    // function, so its answer must be the owner's: the same origin lists per path.
    use tower::ServiceExt;
    let store = TestStore::new().await;
    let preflight = |router: axum::Router, path: &'static str, origin: &'static str| async move {
        let request = axum::http::Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let reply = router.oneshot(request).await.unwrap();
        let header = |name: &str| {
            reply
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        (
            header("access-control-allow-origin"),
            header("access-control-allow-credentials"),
            header("access-control-allow-headers"),
        )
    };
    let mut allowed = 0;
    for path in [
        "/store/carts",
        "/store/carts/cart_1/complete",
        "/store/customers/me",
        "/admin/orders",
        "/admin/customers",
        "/auth/user/emailpass",
        "/auth/customer/emailpass",
        "/content/pages",
    ] {
        for origin in [
            "http://localhost:8000",
            "http://localhost:7001",
            "http://evil.test",
        ] {
            let owner = store.functions.for_path(path).clone();
            let default = store.functions.default_route().clone();
            let expected = preflight(owner, path, origin).await;
            assert_eq!(
                preflight(default, path, origin).await,
                expected,
                "{path} from {origin}"
            );
            allowed += usize::from(expected.0.is_some());
        }
    }
    // Not vacuous: the storefront's and the dashboard's origins pass where they belong.
    assert!(allowed >= 8, "{allowed}");
}

#[tokio::test]
async fn large_catalog_answers_are_gzipped_when_the_client_accepts_it_and_decode_to_the_same_json()
{
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let store = TestStore::new().await;
    let uri = "/store/products?limit=20";
    let request = |encoding: &str| {
        Request::get(uri)
            .header("x-publishable-api-key", &store.publishable_key)
            .header("accept-encoding", encoding)
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, plain) = store.get_raw(uri).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-encoding"), None, "not asked for");
    let plain_json: Value = serde_json::from_slice(&plain).unwrap();
    assert!(plain.len() > 20_000, "{} bytes", plain.len());
    for encoding in ["gzip", "br;q=0.5, gzip"] {
        let (status, headers, bytes) = store.send_raw(request(encoding)).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-encoding"], "gzip");
        // One line (the Lambda envelope keeps only the first of repeated headers), naming
        // what the answer varies on: the key (catalog), the encoding, the origin (CORS).
        let vary: Vec<&str> = headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(vary.len(), 1, "{vary:?}");
        for name in ["accept-encoding", "x-publishable-api-key", "origin"] {
            assert!(vary[0].contains(name), "{name} not in {vary:?}");
        }
        assert!(
            bytes.len() * 5 < plain.len(),
            "{encoding}: {} of {} bytes",
            bytes.len(),
            plain.len()
        );
        println!(
            "{uri}: {} bytes, {encoding} {} bytes",
            plain.len(),
            bytes.len()
        );
        // Decoded by a client that accepts it, the same document.
        let decoding = tower_http::decompression::Decompression::new(
            store.functions.for_path("/store/products").clone(),
        );
        let response = decoding.oneshot(request(encoding)).await.unwrap();
        let decoded = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).unwrap(),
            plain_json
        );
    }
    // A client that takes only brotli gets the JSON as it is (gzip is all the store sends).
    let (status, headers, bytes) = store.send_raw(request("br")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-encoding"), None);
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), plain_json);
    // Small answers stay as they are.
    let small = "/store/products?limit=1&fields=id";
    let request = Request::get(small)
        .header("x-publishable-api-key", &store.publishable_key)
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, bytes) = store.send_raw(request).await;
    assert_eq!(status, 200);
    assert!(bytes.len() < 1024, "{} bytes", bytes.len());
    assert_eq!(headers.get("content-encoding"), None);
}
