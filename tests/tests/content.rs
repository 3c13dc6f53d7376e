//! The content proxy in front of Strapi, against a stand-in that answers with captured
//! Strapi 5 responses and replays captured webhook bodies.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use store::content::{ContentConfig, ContentService};
use store_tests::strapi_fake::{StrapiFake, FAKE_TOKEN, WEBHOOK_HEADER, WEBHOOK_SECRET};
use store_tests::TestStore;

const PREVIEW_SECRET: &str = "preview-secret-for-tests";
const PRODUCT_1: &str = "m7cgf8vyeobpmlvg1rie2e4j";

struct Proxy {
    store: TestStore,
    fake: StrapiFake,
    router: Router,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn cache(&self) -> &str {
        self.header("x-cache")
    }

    /// A JSON error: `status`, of type `kind`, whose message contains `needle`.
    #[track_caller]
    fn assert_error(&self, status: u16, kind: &str, needle: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["type"], kind, "{}", self.text);
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "'{needle}' not in: {message}");
    }
}

fn config(fake: &StrapiFake, extra: &[(&str, &str)]) -> ContentConfig {
    let base = [
        ("STRAPI_URL", fake.base_url.as_str()),
        ("STRAPI_TOKEN", FAKE_TOKEN),
        (
            "CONTENT_TYPES",
            "product-content:product-contents,page:pages,banner:banners,homepage",
        ),
        ("CONTENT_MAX_POPULATE_DEPTH", "2"),
        ("CONTENT_MAX_PAGE_SIZE", "100"),
        ("CONTENT_MEDIA_BASE_URL", "https://media.example.com"),
        ("STRAPI_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("CONTENT_PREVIEW_SECRET", PREVIEW_SECRET),
    ];
    ContentConfig::from_lookup(|name| {
        extra
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("valid content config")
    .expect("Strapi configured")
}

impl Proxy {
    /// Each of `uris` is a 400 whose message contains `needle`, and Strapi is never asked.
    async fn refuses_before_strapi(&self, uris: &[&str], needle: &str) {
        for uri in uris {
            self.get(uri)
                .await
                .assert_error(400, "invalid_data", needle);
        }
        assert!(self.fake.requests().is_empty());
    }

    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    async fn with(adjust: impl FnOnce(&mut ContentConfig)) -> Self {
        Self::build(TestStore::new().await, adjust).await
    }

    async fn build(store: TestStore, adjust: impl FnOnce(&mut ContentConfig)) -> Self {
        let fake = StrapiFake::start().await;
        let mut config = config(&fake, &[]);
        adjust(&mut config);
        let service = ContentService::new(Ok(Some(config)), &store.state);
        let router = content::routes::router(store.state.clone(), service);
        Proxy {
            store,
            fake,
            router,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request =
            Request::get(uri).header("x-publishable-api-key", &self.store.publishable_key);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn get(&self, uri: &str) -> Answer {
        self.get_with(uri, &[]).await
    }

    async fn webhook(&self, body: &Value, secret: Option<&str>) -> Answer {
        let mut request = Request::post("/content/webhooks/strapi")
            .header("content-type", "application/json")
            .header("x-strapi-event", body["event"].as_str().unwrap_or(""));
        if let Some(secret) = secret {
            request = request.header(WEBHOOK_HEADER, secret);
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Lets every cached entry age by `by`.
    async fn expire_freshness(&self, by: Duration) {
        tokio::time::sleep(by).await;
    }
}

#[tokio::test]
async fn a_second_read_is_a_cache_hit_that_does_not_reach_strapi() {
    let proxy = Proxy::new().await;
    let uri = "/content/pages?pagination[page]=1&pagination[pageSize]=2";
    let first = proxy.get(uri).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.cache(), "miss");
    assert_eq!(
        first.json(),
        StrapiFake::captured("05-pages-page1-size2.json")
    );
    assert!(first
        .header("cache-control")
        .starts_with("public, max-age=60"));
    assert!(first.header("etag").starts_with('"'));

    // The same query with its keys in another order is the same entry.
    let second = proxy
        .get("/content/pages?pagination[pageSize]=2&pagination[page]=1")
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.cache(), "hit");
    assert_eq!(second.text, first.text);
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(proxy.fake.count("/api/pages"), 1);
    let sent = &proxy.fake.requests()[0];
    assert_eq!(sent.param("pagination[pageSize]"), Some("2"));
}

#[tokio::test]
async fn an_etag_the_client_already_has_gets_a_304() {
    let proxy = Proxy::new().await;
    let first = proxy.get("/content/banners").await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").to_string();
    let again = proxy
        .get_with("/content/banners", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert!(again.header("cache-control").contains("max-age"));
    let other = proxy
        .get_with(
            "/content/banners",
            &[("if-none-match", "\"something-else\"")],
        )
        .await;
    assert_eq!(other.status, 200);
}

#[tokio::test]
async fn a_stale_entry_is_served_while_one_refresh_runs() {
    let proxy = Proxy::with(|c| c.ttl = Duration::from_millis(1500)).await;
    let uri = "/content/banners";
    assert_eq!(proxy.get(uri).await.cache(), "miss");
    proxy.fake.set_delay(Some(Duration::from_millis(600)));
    proxy.expire_freshness(Duration::from_millis(1550)).await;

    // Each of these returns long before the refresh (600 ms) is done.
    for _ in 0..8 {
        let answer = proxy.get(uri).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.cache(), "stale", "{:?}", answer.headers);
        assert!(answer.header("cache-control").contains("max-age=0"));
    }
    // One refresh in the background, not one per request.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(proxy.fake.count("/api/banners"), 2);
    let after = proxy.get(uri).await;
    assert_eq!(after.cache(), "hit");
    assert_eq!(proxy.fake.count("/api/banners"), 2);
}

#[tokio::test]
async fn when_strapi_is_down_the_last_good_copy_is_served_and_said_so() {
    let proxy = Proxy::with(|c| {
        c.ttl = Duration::from_millis(200);
        c.stale_while_revalidate = Duration::ZERO;
    })
    .await;
    let uri = "/content/product-contents/m7cgf8vyeobpmlvg1rie2e4j";
    let good = proxy.get(uri).await;
    assert_eq!(good.status, 200);
    proxy.expire_freshness(Duration::from_millis(250)).await;
    proxy.fake.set_failing(Some(503));

    let stale = proxy.get(uri).await;
    assert_eq!(stale.status, 200, "{}", stale.text);
    assert_eq!(stale.cache(), "stale-if-error");
    assert!(stale.header("warning").contains("Revalidation Failed"));
    assert_eq!(stale.text, good.text);

    // Nothing cached for this one: a JSON 502.
    let nothing = proxy.get("/content/banners").await;
    nothing.assert_error(502, "unexpected_state", "unavailable");
    assert_eq!(nothing.header("cache-control"), "no-store");

    // Strapi not even listening.
    let gone = Proxy::with(|c| c.strapi_url = "http://127.0.0.1:9".into()).await;
    let answer = gone.get("/content/banners").await;
    answer.assert_error(502, "unexpected_state", "");
}

#[tokio::test]
async fn after_strapi_hung_once_requests_are_answered_at_once_until_the_breaker_closes() {
    let proxy = Proxy::with(|c| {
        c.ttl = Duration::from_millis(200);
        c.stale_while_revalidate = Duration::ZERO;
        c.timeout = Duration::from_millis(400);
        c.breaker = Duration::from_millis(1500);
    })
    .await;
    let cached = "/content/banners";
    let uncached = "/content/pages?pagination[page]=1&pagination[pageSize]=2";
    let good = proxy.get(cached).await;
    assert_eq!(good.status, 200);
    proxy.expire_freshness(Duration::from_millis(250)).await;
    proxy.fake.set_delay(Some(Duration::from_secs(30)));

    // The first request after Strapi hung waits the timeout, then serves the stale copy.
    let started = Instant::now();
    let first = proxy.get(cached).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(first.cache(), "stale-if-error");
    let asked = proxy.fake.count("/api/banners");

    // While the breaker is open, nobody waits: stale copies and 502s come at once, and
    // Strapi is not asked.
    for _ in 0..5 {
        let started = Instant::now();
        let stale = proxy.get(cached).await;
        let nothing = proxy.get(uncached).await;
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            (stale.status.as_u16(), stale.cache()),
            (200, "stale-if-error")
        );
        assert_eq!(stale.text, good.text);
        assert_eq!(nothing.status, 502, "{}", nothing.text);
    }
    assert_eq!(proxy.fake.count("/api/banners"), asked);
    assert_eq!(proxy.fake.count("/api/pages"), 0);

    // Strapi is back; once the breaker closes the next request asks it again.
    proxy.fake.set_delay(None);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let fresh = proxy.get(uncached).await;
    assert_eq!(
        (fresh.status.as_u16(), fresh.cache()),
        (200, "miss"),
        "{}",
        fresh.text
    );
}

#[tokio::test]
async fn strapi_404s_and_400s_are_passed_on_as_json_errors_and_not_cached() {
    let proxy = Proxy::new().await;
    for _ in 0..2 {
        let missing = proxy
            .get("/content/product-contents/doesnotexist000000000000")
            .await;
        missing.assert_error(404, "not_found", "Not Found");
    }
    assert_eq!(
        proxy
            .fake
            .count("/api/product-contents/doesnotexist000000000000"),
        2
    );
    let invalid = proxy
        .get("/content/product-contents?filters[nope][$eq]=x")
        .await;
    invalid.assert_error(400, "invalid_data", "Invalid key nope");
    // A draft-only document is not found without preview.
    let draft_only = proxy
        .get("/content/product-contents/ipbtajqa4k5y0orz1q60h092")
        .await;
    assert_eq!(draft_only.status, 404);
}

#[tokio::test]
async fn the_api_token_reaches_strapi_and_never_a_client() {
    let proxy = Proxy::with(|c| c.ttl = Duration::from_millis(100)).await;
    let mut answers = vec![
        proxy.get("/content/homepage?populate=*").await,
        proxy.get("/content/homepage?populate=*").await,
        proxy
            .get("/content/product-contents/doesnotexist000000000000")
            .await,
        proxy
            .get("/content/product-contents?filters[nope][$eq]=x")
            .await,
        proxy.get("/content/pages?status=draft").await,
        proxy
            .get_with(
                "/content/product-contents?filters[handle][$eq]=product-3",
                &[("x-preview-secret", PREVIEW_SECRET)],
            )
            .await,
        proxy
            .webhook(
                &StrapiFake::webhook("entry.publish").body,
                Some(WEBHOOK_SECRET),
            )
            .await,
        proxy.webhook(&json!({}), Some("wrong")).await,
    ];
    proxy.fake.set_failing(Some(500));
    answers.push(proxy.get("/content/banners").await);
    // A Strapi that refuses the token is a 502 that does not echo it either.
    let refused = Proxy::with(|c| {
        c.strapi_token = Some(store::content::Secret::new(format!("{FAKE_TOKEN}-revoked")))
    })
    .await;
    answers.push(refused.get("/content/banners").await);
    for answer in &answers {
        assert!(!answer.text.contains(FAKE_TOKEN), "{}", answer.text);
        for (name, value) in &answer.headers {
            assert!(
                !value.to_str().unwrap_or("").contains(FAKE_TOKEN),
                "header {name}"
            );
        }
    }
    assert_eq!(answers[0].status, 200);
    assert_eq!(answers.last().unwrap().status, 502);
    let sent = proxy.fake.requests();
    assert!(!sent.is_empty());
    for request in sent {
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {FAKE_TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn unknown_content_types_and_query_keys_are_refused_before_strapi() {
    let proxy = Proxy::new().await;
    proxy
        .refuses_before_strapi(
            &[
                "/content/users",
                "/content/users/1",
                "/content/pages?status=draft",
                "/content/pages?publicationState=preview",
                "/content/pages?foo=1",
                "/content/pages?filters[slug=about",
                "/content/pages?pagination[pageSize]=1000",
                "/content/pages?pagination[limit]=-1",
                "/content/pages?pagination[bogus]=1",
                "/content/pages?locale=../../x",
                "/content/homepage?sort=title",
                "/content/pages/ab%2F..%2Fc",
                "/content/products/product-1?filters[handle][$eq]=other",
            ],
            "",
        )
        .await;
    // And without a publishable key, nothing at all.
    let request = Request::get("/content/pages").body(Body::empty()).unwrap();
    assert_eq!(proxy.send(request).await.status, 400);
}

#[tokio::test]
async fn populate_deeper_than_configured_is_refused() {
    let proxy = Proxy::new().await;
    proxy
        .refuses_before_strapi(
            &[
                "/content/homepage?populate[featured_products][populate][banner][populate]=*",
                "/content/homepage?populate[0]=featured_products.banner.image",
                "/content/pages?populate=seo.a.b",
            ],
            "at most 2",
        )
        .await;
    let allowed = proxy.get("/content/homepage?populate=*").await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(
        allowed.json(),
        StrapiFake::captured("08-homepage-single-type-populate-all.json")
    );
    let shallower = Proxy::with(|c| c.max_populate_depth = 0).await;
    let deep = shallower.get("/content/homepage?populate=*").await;
    deep.assert_error(400, "invalid_data", "at most 0");
}

#[tokio::test]
async fn a_webhook_with_a_wrong_or_missing_secret_is_refused_and_purges_nothing() {
    let proxy = Proxy::new().await;
    assert_eq!(proxy.get("/content/banners").await.cache(), "miss");
    let body = StrapiFake::webhook("first-banner--entry.publish").body;
    for secret in [None, Some("wrong"), Some("dev-webhook-secre"), Some("")] {
        let answer = proxy.webhook(&body, secret).await;
        answer.assert_error(401, "unauthorized", "");
    }
    assert_eq!(proxy.get("/content/banners").await.cache(), "hit");
    let right = proxy.webhook(&body, Some(WEBHOOK_SECRET)).await;
    assert_eq!(right.status, 200, "{}", right.text);
    assert_eq!(proxy.get("/content/banners").await.cache(), "miss");
    // `Authorization: Bearer <secret>` style works too.
    let bearer = Proxy::with(|c| c.webhook_header = "authorization".into()).await;
    let answer = bearer
        .send(
            Request::post("/content/webhooks/strapi")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {WEBHOOK_SECRET}"))
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, 200);
}

/// The demo catalog's first product, renamed to the captured Strapi handle.
async fn with_product_handles(store: &TestStore) {
    store
        .execute("UPDATE products SET handle = 'product-1' WHERE handle = 'organic-pocket-tee'")
        .await;
    store
        .execute("UPDATE products SET handle = 'product-3' WHERE handle = 'relaxed-zip-hoodie'")
        .await;
}

#[tokio::test]
async fn the_captured_publish_of_a_product_entry_purges_exactly_what_shows_it() {
    let store = TestStore::new().await;
    with_product_handles(&store).await;
    let proxy = Proxy::build(store, |_| {}).await;
    let affected = [
        "/content/product-contents?filters[handle][$eq]=product-1&populate=*",
        "/content/product-contents?sort=id&fields[0]=handle",
        "/content/product-contents/m7cgf8vyeobpmlvg1rie2e4j",
        "/content/products/product-1",
        // The homepage features product 1, so it shows the entry too.
        "/content/homepage?populate=*",
    ];
    let unaffected = [
        "/content/pages?pagination[page]=1&pagination[pageSize]=2",
        "/content/banners",
        "/content/products/product-3",
    ];
    for uri in affected.iter().chain(unaffected.iter()) {
        let answer = proxy.get(uri).await;
        assert_eq!(answer.status, 200, "{uri}: {}", answer.text);
        assert_eq!(proxy.get(uri).await.cache(), "hit", "{uri}");
    }
    // Create, then publish, as Strapi fired them; the publish delivered twice.
    for name in [
        "first-product-content--entry.create",
        "first-product-content--entry.publish",
        "first-product-content--entry.publish",
    ] {
        let delivery = StrapiFake::webhook(name);
        let answer = proxy.webhook(&delivery.body, Some(WEBHOOK_SECRET)).await;
        assert_eq!(answer.status, 200, "{name}: {}", answer.text);
    }
    for uri in affected {
        assert_eq!(proxy.get(uri).await.cache(), "miss", "{uri}");
    }
    for uri in unaffected {
        assert_eq!(proxy.get(uri).await.cache(), "hit", "{uri}");
    }
}

#[tokio::test]
async fn the_whole_captured_editing_session_is_accepted_in_any_order_and_with_entry_null() {
    let proxy = Proxy::new().await;
    let demo = "/content/product-contents?filters[handle][$eq]=webhook-demo";
    proxy.fake.set_response(
        "/api/product-contents?filters[handle][$eq]=webhook-demo",
        200,
        StrapiFake::captured("14-product-46-draft-only-default.json"),
    );
    let sequence = StrapiFake::publish_sequence();
    assert_eq!(sequence.len(), 14);
    let mut reversed = sequence.clone();
    reversed.reverse();
    for deliveries in [sequence, reversed] {
        assert_eq!(proxy.get(demo).await.status, 200);
        assert_eq!(proxy.get("/content/banners").await.status, 200);
        assert_eq!(proxy.get(demo).await.cache(), "hit");
        for delivery in &deliveries {
            let answer = proxy.webhook(&delivery.body, Some(WEBHOOK_SECRET)).await;
            assert_eq!(answer.status, 200, "{}: {}", delivery.step, answer.text);
            assert_eq!(answer.json()["event"], delivery.event.as_str());
        }
        assert_eq!(proxy.get(demo).await.cache(), "miss");
        assert_eq!(proxy.get("/content/banners").await.cache(), "hit");
    }
    // `entry: null` (it happens): everything read from that type goes.
    let mut null_entry = StrapiFake::webhook("first-product-content--entry.delete").body;
    null_entry["entry"] = Value::Null;
    let answer = proxy.webhook(&null_entry, Some(WEBHOOK_SECRET)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(proxy.get(demo).await.cache(), "miss");
    assert_eq!(proxy.get("/content/banners").await.cache(), "hit");
    // Said to be JSON but not: a 400; not said to be JSON: a 415; an event the proxy
    // does not know: accepted and ignored.
    let request = Request::post("/content/webhooks/strapi")
        .header(WEBHOOK_HEADER, WEBHOOK_SECRET)
        .header("content-type", "application/json")
        .body(Body::from("not json"))
        .unwrap();
    assert_eq!(proxy.send(request).await.status, 400);
    let request = Request::post("/content/webhooks/strapi")
        .header(WEBHOOK_HEADER, WEBHOOK_SECRET)
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(proxy.send(request).await.status, 415);
    let other = proxy
        .webhook(&json!({"event": "releases.publish"}), Some(WEBHOOK_SECRET))
        .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.json()["ignored"], true);
}

#[tokio::test]
async fn preview_reads_drafts_and_never_touches_the_cache() {
    let proxy = Proxy::new().await;
    let uri = "/content/product-contents?filters[handle][$eq]=product-3";
    for _ in 0..2 {
        let draft = proxy
            .get_with(uri, &[("x-preview-secret", PREVIEW_SECRET)])
            .await;
        assert_eq!(draft.status, 200, "{}", draft.text);
        assert_eq!(draft.cache(), "bypass");
        assert_eq!(draft.header("cache-control"), "private, no-store");
        assert_eq!(
            draft.json()["data"][0]["editorial_title"],
            "Editorial title for product 3 (UNPUBLISHED DRAFT EDIT)"
        );
    }
    let published = proxy.get(uri).await;
    assert_eq!(published.cache(), "miss");
    assert_eq!(
        published.json()["data"][0]["editorial_title"],
        "Editorial title for product 3"
    );
    // A cached published copy does not answer a preview either.
    let draft = proxy
        .get_with(uri, &[("x-preview-secret", PREVIEW_SECRET)])
        .await;
    assert_eq!(draft.cache(), "bypass");
    assert!(draft.text.contains("UNPUBLISHED DRAFT EDIT"));
    let drafts: Vec<_> = proxy
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.param("status") == Some("draft"))
        .collect();
    assert_eq!(drafts.len(), 3);
    // A draft-only document by documentId.
    let only_draft = proxy
        .get_with(
            "/content/product-contents/ipbtajqa4k5y0orz1q60h092",
            &[("x-preview-secret", PREVIEW_SECRET)],
        )
        .await;
    assert_eq!(only_draft.status, 200);
    let wrong = proxy.get_with(uri, &[("x-preview-secret", "guess")]).await;
    assert_eq!(wrong.status, 401);
}

fn without_document_ids(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("documentId");
            map.values_mut().for_each(without_document_ids);
        }
        Value::Array(items) => items.iter_mut().for_each(without_document_ids),
        _ => {}
    }
}

#[tokio::test]
async fn strapi_4_shaped_answers_come_out_flat() {
    let proxy = Proxy::new().await;
    proxy.fake.set_v4(true);
    let answer = proxy
        .get("/content/product-contents/m7cgf8vyeobpmlvg1rie2e4j?populate=*")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let mut expected = StrapiFake::captured("04-product-by-documentId-populate-all.json");
    without_document_ids(&mut expected);
    assert_eq!(answer.json(), expected);
    assert_eq!(answer.json()["data"]["banner"]["title"], "Banner 1");
    let list = proxy.get("/content/homepage?populate=*").await;
    assert_eq!(
        list.json()["data"]["featured_pages"][0]["title"],
        "About us"
    );
    assert!(list.json()["data"].get("attributes").is_none());
}

#[tokio::test]
async fn relative_media_urls_become_absolute() {
    let proxy = Proxy::new().await;
    let media = json!({
        "id": 7, "documentId": "k1mediadoc", "name": "hero.jpg", "hash": "hero_ab12",
        "ext": ".jpg", "mime": "image/jpeg", "url": "/uploads/hero_ab12.jpg",
        "formats": { "thumbnail": { "name": "thumbnail_hero.jpg", "hash": "thumbnail_hero_ab12",
            "ext": ".jpg", "mime": "image/jpeg", "url": "/uploads/thumbnail_hero_ab12.jpg" } },
        "provider": "local"
    });
    proxy.fake.set_response(
        "/api/banners?populate=*",
        200,
        json!({ "data": [{ "id": 2, "documentId": "riymp4wmf84nctkreyh5eerc", "title": "Banner 1",
            "image": media, "external": { "url": "/not-media" } }],
            "meta": { "pagination": { "page": 1, "pageSize": 25, "pageCount": 1, "total": 1 } } }),
    );
    let answer = proxy.get("/content/banners?populate=*").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let image = &answer.json()["data"][0]["image"];
    assert_eq!(
        image["url"],
        "https://media.example.com/uploads/hero_ab12.jpg"
    );
    assert_eq!(
        image["formats"]["thumbnail"]["url"],
        "https://media.example.com/uploads/thumbnail_hero_ab12.jpg"
    );
    assert_eq!(answer.json()["data"][0]["external"]["url"], "/not-media");
    // A media webhook purges what shows the file.
    let purge = proxy
        .webhook(
            &json!({ "event": "media.update", "media": { "id": 7, "url": "/uploads/hero_ab12.jpg" } }),
            Some(WEBHOOK_SECRET),
        )
        .await;
    assert_eq!(purge.status, 200);
    assert_eq!(
        proxy.get("/content/banners?populate=*").await.cache(),
        "miss"
    );
}

#[tokio::test]
async fn a_missing_translation_falls_back_to_the_default_locale() {
    let proxy = Proxy::with(|c| c.default_locale = Some("en".into())).await;
    let none = json!({ "data": [], "meta": { "pagination": { "page": 1, "pageSize": 2, "pageCount": 0, "total": 0 } } });
    for (locale, status, body) in [
        ("fr", 200, none),
        ("en", 200, StrapiFake::captured("05-pages-page1-size2.json")),
    ] {
        let path = format!("/api/pages?locale={locale}&pagination[page]=1&pagination[pageSize]=2");
        proxy.fake.set_response(&path, status, body);
    }
    let answer = proxy
        .get("/content/pages?locale=fr&pagination[page]=1&pagination[pageSize]=2")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("x-content-locale-fallback"), "en");
    assert_eq!(answer.json()["data"][0]["title"], "About us");
    let cached = proxy
        .get("/content/pages?locale=fr&pagination[page]=1&pagination[pageSize]=2")
        .await;
    assert_eq!(cached.cache(), "hit");
    assert_eq!(cached.header("x-content-locale-fallback"), "en");
    // A single document missing in that locale: Strapi's 404, then the default locale.
    for (locale, status, body) in [
        ("fr", 404, "19-404-unknown-documentId.json"),
        ("en", 200, "03-product-by-documentId.json"),
    ] {
        let path = format!("/api/product-contents/m7cgf8vyeobpmlvg1rie2e4j?locale={locale}");
        proxy
            .fake
            .set_response(&path, status, StrapiFake::captured(body));
    }
    let doc = proxy
        .get("/content/product-contents/m7cgf8vyeobpmlvg1rie2e4j?locale=fr")
        .await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    assert_eq!(doc.json()["data"]["documentId"], PRODUCT_1);
}

#[tokio::test]
async fn a_product_by_handle_comes_with_its_prices_and_its_content() {
    let store = TestStore::new().await;
    with_product_handles(&store).await;
    let region = store.region_id("eur").await;
    let proxy = Proxy::build(store, |_| {}).await;
    let answer = proxy
        .get(&format!(
            "/content/products/product-1?region_id={region}&populate=*"
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["product"]["handle"], "product-1");
    assert!(body["product"]["id"].as_str().unwrap().starts_with("prod_"));
    let price = &body["product"]["variants"][0]["calculated_price"];
    assert_eq!(price["currency_code"], "eur");
    assert_eq!(body["content"]["documentId"], PRODUCT_1);
    assert_eq!(body["content"]["banner"]["title"], "Banner 1");
    assert_eq!(body["content"]["highlights"].as_array().unwrap().len(), 3);
    assert!(answer.header("etag").starts_with('"'));
    assert_eq!(
        proxy
            .get(&format!(
                "/content/products/product-1?region_id={region}&populate=*"
            ))
            .await
            .cache(),
        "hit"
    );
    // No Strapi entry for a product: content is null. No product: 404.
    proxy.fake.set_response(
        "/api/product-contents?filters[handle][$eq]=washed-linen-shirt",
        200,
        StrapiFake::captured("14-product-46-draft-only-default.json"),
    );
    let bare = proxy.get("/content/products/washed-linen-shirt").await;
    assert_eq!(bare.status, 200, "{}", bare.text);
    assert_eq!(bare.json()["content"], Value::Null);
    let missing = proxy.get("/content/products/no-such-product").await;
    missing.assert_error(404, "not_found", "");
}

#[tokio::test]
async fn without_redis_an_in_process_cache_serves() {
    let store = TestStore::with_redis(None).await;
    let proxy = Proxy::build(store, |_| {}).await;
    assert_eq!(proxy.get("/content/banners").await.cache(), "miss");
    assert_eq!(proxy.get("/content/banners").await.cache(), "hit");
    assert_eq!(proxy.fake.count("/api/banners"), 1);
    let body = StrapiFake::webhook("first-banner--entry.publish").body;
    assert_eq!(proxy.webhook(&body, Some(WEBHOOK_SECRET)).await.status, 200);
    assert_eq!(proxy.get("/content/banners").await.cache(), "miss");
}

#[tokio::test]
async fn without_strapi_configured_every_content_route_says_so() {
    let store = TestStore::new().await;
    let service = ContentService::new(Ok(None), &store.state);
    let router = content::routes::router(store.state.clone(), service);
    for request in [
        Request::get("/content/pages")
            .header("x-publishable-api-key", &store.publishable_key)
            .body(Body::empty())
            .unwrap(),
        Request::post("/content/webhooks/strapi")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    ] {
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 503);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(body["message"].as_str().unwrap().contains("STRAPI_URL"));
    }
}
