//! HTTP plumbing every function shares: state built once per cold start, the
//! publishable-key check, CORS, JSON fallbacks and cached JSON responses.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::cache::{Cache, Namespace, RedisLink};
use crate::catalog::channels;
use crate::config::Config;
use crate::error::{ApiError, Context, ErrorType};
use crate::events::Relay;
use crate::http_cache::BodyHash;

pub const PUBLISHABLE_KEY_HEADER: &str = "x-publishable-api-key";
pub const CACHE_STATUS_HEADER: &str = "x-cache";

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub cache: Cache,
    pub config: Arc<Config>,
    /// Sends outbox events to SQS after commit (disabled without `EVENTS_QUEUE_URL`).
    pub events: Relay,
    /// Answers 503 at once while the database is unreachable.
    pub db: crate::db_breaker::DbBreaker,
    /// The cold start's background connect, which [`AppState::on_pool`] waits for.
    pub warm_up: WarmUp,
}

impl AppState {
    /// Builds the state without touching the network: the pool and Redis connect on
    /// first use, so a cold start never fails because a backend is briefly away.
    pub fn new(config: Config) -> Result<Self, sqlx::Error> {
        let pool = lazy_pool(&config)?;
        Ok(AppState {
            db: crate::db_breaker::DbBreaker::of(&pool),
            pool,
            cache: cache_of(&config),
            config: Arc::new(config),
            events: Relay::disabled(),
            warm_up: WarmUp::default(),
        })
    }

    /// The state a function builds at cold start, from the environment.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let mut state = Self::new(Config::from_env()?)?.with_events(Relay::from_env());
        state.warm_up = warm_up(&state.pool, &state.cache);
        tracing::info!(
            redis = if state.config.redis_url.is_some() { "on" } else { "off (REDIS_URL unset): in-process cache" },
            events = if state.events.is_enabled() { "on" } else { "off (EVENTS_QUEUE_URL unset): events stay in the outbox" },
            cors = %state.config.store_cors.join(","),
            admin_cors = %state.config.admin_cors.join(","),
            "store configured"
        );
        Ok(state)
    }

    /// Runs a request's first query on one of the pool's connections (after the cold
    /// start's connect, [`WarmUp`]) and gives the connection back before it returns.
    /// Dropped, the connection would go back from a task that drop spawns, and the
    /// request's next query, finding none idle, would open another: at a cold start, a
    /// second backend. The checks before a handler (publishable key, customer, admin) use
    /// this.
    pub async fn on_pool<T>(
        &self,
        query: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        self.warmed().await;
        let mut conn = self.pool.acquire().await?;
        let answer = query(&mut conn).await;
        conn.return_to_pool().await;
        answer
    }

    /// Waits for the cold start's connect ([`WarmUp`]), for at most a few milliseconds,
    /// so that the query that follows takes its connection instead of opening another.
    pub async fn warmed(&self) {
        if !self.warm_up.is_done() {
            let _ = tokio::time::timeout(WARM_UP_PATIENCE, self.warm_up.connected()).await;
        }
    }

    pub fn with_events(mut self, events: Relay) -> Self {
        self.events = events;
        self
    }
}

/// What a committed write leaves in the response cache that must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    Nothing,
    /// Store answers about the catalog (products, prices, stock, regions, categories...).
    Catalog,
    /// Those, and the sales channels cached per publishable key.
    CatalogAndKeys,
}

impl AppState {
    /// Commits a write and does what follows every write, in this order: relays the
    /// events it recorded (what is not sent stays in the outbox for the sweep) and drops
    /// the cached answers it made stale.
    pub async fn commit(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        events: &[String],
        stale: Stale,
    ) -> Result<(), ApiError> {
        tx.commit().await.context("committing a write")?;
        self.events.publish(&self.pool, events).await;
        if stale == Stale::CatalogAndKeys {
            self.cache.purge(&[Namespace::PublishableKeys]).await;
        }
        if stale != Stale::Nothing {
            crate::catalog::purge_store_cache(&self.cache).await;
        }
        Ok(())
    }
}

/// At a cold start, opens the PostgreSQL and Redis connections in the background while
/// the runtime fetches the first request, instead of one after the other inside it. Best
/// effort: what fails is met again, and answered, by the request. Outside a Tokio
/// runtime it does nothing.
pub fn warm_up(pool: &PgPool, cache: &Cache) -> WarmUp {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return WarmUp::default();
    };
    let (done, warming) = tokio::sync::watch::channel(false);
    let pool = pool.clone();
    runtime.spawn(async move {
        if let Ok(Ok(mut conn)) = tokio::time::timeout(WARM_UP_FOR, pool.acquire()).await {
            // Idle before the waiters are told, not later from a task that drop spawns.
            conn.return_to_pool().await;
        }
        let _ = done.send(true);
    });
    let redis = cache.redis();
    runtime.spawn(async move { redis.warm_up().await });
    WarmUp(Some(warming))
}

/// A cold start's background connect to PostgreSQL ([`warm_up`]). A query that came while
/// it was under way opened a second connection beside it (sqlx opens one whenever none
/// is idle): two backends forked at once, the query's the later. The first query of a
/// request that needs the database ([`AppState::on_pool`]) waits for it instead and takes
/// its connection; a request answered from the caches does not wait.
#[derive(Debug, Clone, Default)]
pub struct WarmUp(Option<tokio::sync::watch::Receiver<bool>>);

impl WarmUp {
    /// Whether there is no background connect under way.
    pub fn is_done(&self) -> bool {
        self.0.as_ref().is_none_or(|warming| *warming.borrow())
    }

    /// Returns once the background connect has ended, connected or not (at most
    /// [`WARM_UP_FOR`]); at once when there is none.
    pub async fn connected(&self) {
        if let Some(warming) = &self.0 {
            let _ = warming.clone().wait_for(|done| *done).await;
        }
    }
}

/// How long a request's first query waits for the cold start's connect: a connect takes
/// a few milliseconds; one that takes longer (PostgreSQL away) is the pool's to meet.
const WARM_UP_PATIENCE: std::time::Duration = std::time::Duration::from_millis(50);

/// How long a cold start's background connect to PostgreSQL may take.
const WARM_UP_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// A connection idle for longer than this is pinged before it is handed out.
pub const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

/// A pool that connects on first use, so a cold start never fails because the database
/// is briefly away.
///
/// sqlx pings every idle connection before handing it out, a round trip per acquire.
/// Here only a connection idle for more than [`PING_AFTER_IDLE`] is pinged (a Lambda
/// instance frozen between requests, or a proxy that may have dropped it): one used a
/// moment ago goes straight to its query. A failed ping drops the connection and the
/// pool opens another, as before.
pub fn lazy_pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy(&config.database_url)
}

/// The response cache: Redis when `REDIS_URL` is set (connected on first use), else the
/// in-process cache alone.
pub fn cache_of(config: &Config) -> Cache {
    Cache::new(
        RedisLink::new(config.redis_url.as_deref()),
        &config.cache_prefix,
        config.cache_ttl,
    )
}

/// The sales channels a storefront may see, from its `x-publishable-api-key`.
#[derive(Debug, Clone)]
pub struct StoreContext {
    pub sales_channel_ids: Vec<String>,
}

impl StoreContext {
    /// Narrows to `requested` channels, which must all belong to the key.
    pub fn narrow(&self, requested: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
        match requested {
            None => Ok(self.sales_channel_ids.clone()),
            Some(requested) => {
                if let Some(foreign) = requested
                    .iter()
                    .find(|id| !self.sales_channel_ids.contains(id))
                {
                    return Err(ApiError::invalid_data(format!(
                        "Requested sales channel {foreign} is not part of the publishable key"
                    )));
                }
                Ok(requested)
            }
        }
    }
}

/// The cache tag of a request's publishable key, as Redis answered
/// [`crate::cache::Cache::tag_command`] earlier in the same request (a cart write's rate
/// limits send it with their counters: one round trip for both). [`StoreContext`] then
/// asks Redis only for a body it does not have.
#[derive(Clone)]
pub struct PublishableKeyTag {
    pub key: String,
    pub tag: Option<Vec<u8>>,
}

impl<S> FromRequestParts<S> for StoreContext
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(PUBLISHABLE_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::not_allowed(
                    "Publishable API key required in the request header: x-publishable-api-key. You can manage your keys in settings in the dashboard.",
                )
            })?;
        let invalid = || {
            ApiError::not_allowed("A valid publishable key is required to proceed with the request")
        };
        if !token.starts_with("pk_") || token.len() > 128 {
            return Err(invalid());
        }
        let cached = match parts.extensions.remove::<PublishableKeyTag>() {
            Some(read) if read.key == token => {
                let namespace = Namespace::PublishableKeys;
                state.cache.get_with_tag(namespace, token, read.tag).await
            }
            _ => state.cache.get(Namespace::PublishableKeys, token).await,
        };
        if let Some(cached) = cached {
            if let Ok(sales_channel_ids) = serde_json::from_slice::<Vec<String>>(&cached.body) {
                return Ok(StoreContext { sales_channel_ids });
            }
        }
        let sales_channel_ids = state
            .on_pool(async |conn| channels::sales_channels_for_key(conn, token).await)
            .await?
            .ok_or_else(invalid)?;
        if let Ok(bytes) = serde_json::to_vec(&sales_channel_ids) {
            state
                .cache
                .put(Namespace::PublishableKeys, token, bytes.into())
                .await;
        }
        Ok(StoreContext { sales_channel_ids })
    }
}

/// A JSON request body; anything malformed or unknown is a 400 that says what.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::invalid_data(format!("Invalid request body: {e}")))?;
        // No body at all reads as `{}`, so a missing field is named in the error.
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        serde_path_to_error::deserialize(&mut deserializer)
            .map(JsonBody)
            .map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    ApiError::invalid_data(format!("Invalid request: {}", e.inner()))
                } else {
                    ApiError::invalid_data(format!("Invalid request: '{path}': {}", e.inner()))
                }
            })
    }
}

/// A JSON body already serialized, as stored in the cache.
pub fn json_bytes(body: Bytes, cache_status: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    // Room for what the layers add (cache and CORS headers), so the map grows once.
    response.headers_mut().reserve(12);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        HeaderName::from_static(CACHE_STATUS_HEADER),
        HeaderValue::from_static(cache_status),
    );
    response
}

/// A JSON answer that follows one shopper's cart (a catalog read priced by `cart_id`):
/// built for this request, not cached here (`x-cache: bypass`), and kept out of shared
/// caches (`Cache-Control: private, no-store`).
pub fn private_json(value: &serde_json::Value) -> Result<Response, ApiError> {
    let bytes = Bytes::from(serde_json::to_vec(value).context("serializing a response")?);
    let mut response = json_bytes(bytes, "bypass");
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// Serves a cached response for `key`, or builds, caches and serves it.
pub async fn cached_json<F, Fut>(
    state: &AppState,
    namespace: Namespace,
    key: String,
    build: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<serde_json::Value, ApiError>>,
{
    if let Some(hit) = state.cache.get(namespace, &key).await {
        let mut response = json_bytes(hit.body, "hit");
        response.extensions_mut().insert(BodyHash(hit.hash));
        return Ok(response);
    }
    let value = build().await?;
    let bytes = Bytes::from(serde_json::to_vec(&value).context("serializing a cached response")?);
    state.cache.put(namespace, &key, bytes.clone()).await;
    Ok(json_bytes(bytes, "miss"))
}

/// Which origin list applies to a path, as Medusa keeps `STORE_CORS`, `ADMIN_CORS` and
/// `AUTH_CORS` apart: a storefront's origin may not call `/admin` with credentials.
fn origins_for<'a>(config: &'a Config, path: &str) -> &'a [String] {
    if is_admin_path(path) {
        &config.admin_cors
    } else if path == "/auth" || path.starts_with("/auth/") {
        &config.auth_cors
    } else {
        &config.store_cors
    }
}

/// CORS for browser storefronts and dashboards on other origins, with the origin list of
/// the path ([`origins_for`]). A listed origin is allowed with credentials; `*` in a list
/// allows any origin, without credentials (as browsers require).
pub fn cors_layer(config: &Config) -> CorsLayer {
    let config = Arc::new(config.clone());
    let listed = {
        let config = config.clone();
        move |origin: &HeaderValue, parts: &Parts| {
            origins_for(&config, parts.uri.path())
                .iter()
                .any(|o| o.as_bytes() == origin.as_bytes())
        }
    };
    let allowed = {
        let config = config.clone();
        let listed = listed.clone();
        move |origin: &HeaderValue, parts: &Parts| {
            listed(origin, parts)
                || origins_for(&config, parts.uri.path())
                    .iter()
                    .any(|o| o == "*")
        }
    };
    CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
            HeaderName::from_static(PUBLISHABLE_KEY_HEADER),
            // @medusajs/js-sdk sends it on every request, so browsers ask for it.
            HeaderName::from_static("x-medusa-locale"),
            // A page revalidating a content or catalog answer by its ETag itself.
            axum::http::header::IF_NONE_MATCH,
        ])
        // Without this a page's script cannot read them, however the request went.
        .expose_headers([
            HeaderName::from_static("x-cache"),
            axum::http::header::ETAG,
            HeaderName::from_static("x-content-locale-fallback"),
            axum::http::header::WARNING,
        ])
        .max_age(std::time::Duration::from_secs(600))
        .allow_origin(AllowOrigin::predicate(allowed))
        .allow_credentials(AllowCredentials::predicate(listed))
}

/// Answers above this many bytes are compressed when the client accepts it.
pub const COMPRESS_ABOVE_BYTES: u64 = 1024;

/// gzip (when `Accept-Encoding` allows it; `Vary: Accept-Encoding` says so) for answers
/// above [`COMPRESS_ABOVE_BYTES`], at level 2: a catalog page of 20 products (108,706
/// bytes of JSON) becomes 9,933 bytes, for about 0.6 ms of CPU per answer (the README's
/// figures; the bench's `(a-gz)` measures it). Not brotli: its encoder put the products
/// function over the 8 MB budget. Through a function URL or the HTTP API the compressed
/// body travels base64-encoded (lambda_http does that for any answer with a
/// `Content-Encoding`). For the functions whose answers are large and cacheable (the
/// catalog, the content proxy); the others leave it out, which keeps the compressor out
/// of their binaries.
pub fn compressed(router: Router) -> Router {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    let when = SizeAbove::new(COMPRESS_ABOVE_BYTES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    router
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(2))
                .compress_when(when),
        )
        .layer(axum::middleware::map_response(one_line_per_header))
}

/// A function's routes: its axum router and the paths it declares. The paths are what
/// `tests/tests/route_table.rs` checks against the one route table (the watch router in
/// Cargo.toml, which the HTTP API in template.yaml, the test harness and the bench follow),
/// so a route a function serves but the table sends elsewhere fails CI.
pub struct Routes<S = ()> {
    router: Router<S>,
    paths: Vec<&'static str>,
}

impl<S> Default for Routes<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Routes {
            router: Router::new(),
            paths: Vec::new(),
        }
    }
}

impl<S> Routes<S>
where
    S: Clone + Send + Sync + 'static,
{
    pub fn new() -> Self {
        Self::default()
    }

    /// [`Router::route`], remembering the path.
    pub fn route(mut self, path: &'static str, methods: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// Applies a layer (or anything else) to the routes declared so far.
    pub fn map_router(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The declared paths, in axum's syntax (`/store/carts/{id}`).
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }
}

/// Wraps a function's routes with what every function needs: JSON 404/405, a JSON 500
/// for panics, the input gate ([`crate::gate`]), security headers and CORS. A path no route serves gets [`not_found`].
pub fn finish_router<S>(routes: Routes<S>, state: S) -> Router
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    finish_router_with(routes, state, |request: Request| async move {
        let (parts, _) = request.into_parts();
        not_found(&parts)
    })
}

/// [`finish_router`] with another answer for paths no route serves (the admin crate's
/// checks credentials on `/admin` paths first).
pub fn finish_router_with<S, H, T>(routes: Routes<S>, state: S, fallback: H) -> Router
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    H: axum::handler::Handler<T, S>,
    T: 'static,
{
    let app = AppState::from_ref(&state);
    let cors = cors_layer(&app.config);
    let breaker = axum::middleware::from_fn_with_state(app.db.clone(), crate::db_breaker::guard);
    routes
        .router
        .route_layer(axum::middleware::from_fn(in_route_span))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(breaker)
        .layer(axum::middleware::from_fn_with_state(
            app.config.catalog_caching,
            crate::http_cache::catalog,
        ))
        // The gate reads bodies with its own limit per route, answered as JSON.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(crate::gate::input_gate))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(cors)
        .layer(axum::middleware::map_response(one_line_per_header))
}

/// Repeated headers (CORS's `Vary: origin, …` beside the catalog's `Vary:
/// x-publishable-api-key`, compression's `Vary: accept-encoding`) folded into one
/// comma-separated line, as HTTP allows for list headers. The Lambda envelope of function
/// URLs and the HTTP API (lambda_http's payload 2.0) keeps only the first line of a
/// header, which would let a CDN serve one origin's or one encoding's answer to another.
/// `Set-Cookie` is left alone: lambda_http moves each to the envelope's `cookies`.
pub async fn one_line_per_header(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let repeated: Vec<HeaderName> = headers
        .keys()
        .filter(|name| *name != axum::http::header::SET_COOKIE)
        .filter(|name| headers.get_all(*name).iter().nth(1).is_some())
        .cloned()
        .collect();
    for name in repeated {
        let values: Vec<&[u8]> = headers
            .get_all(&name)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let folded = HeaderValue::from_bytes(&values.join(&b", "[..]));
        if let Ok(folded) = folded {
            headers.insert(name, folded);
        }
    }
    response
}

/// Paths whose answers belong to one shopper, customer or merchant: never kept by a
/// browser or a CDN (`Cache-Control: no-store`, unless the handler said otherwise).
fn is_private_path(path: &str) -> bool {
    const PRIVATE: [&str; 7] = [
        "/store/carts",
        "/store/orders",
        "/store/customers",
        "/store/payment-collections",
        "/admin",
        "/auth",
        "/hooks",
    ];
    PRIVATE.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// `X-Content-Type-Options: nosniff` on every answer, and `no-store` on private ones.
async fn security_headers(request: Request, next: Next) -> Response {
    let private = is_private_path(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if private && !headers.contains_key(axum::http::header::CACHE_CONTROL) {
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    response
}

/// Runs a handler in a `route` span naming the method and the route (`/store/carts/{id}`),
/// so every log line of the request says where it came from; in Lambda the runtime's
/// span around it carries the request id (`requestId`).
async fn in_route_span(route: MatchedPath, request: Request, next: Next) -> Response {
    let span = tracing::info_span!("route", method = %request.method(), route = %route.as_str());
    next.run(request).instrument(span).await
}

/// The answer for a path no route serves, in the API's error shape. What Medusa
/// answers a caller without credentials comes first: a 401 for any `/admin` path (so a
/// stranger does not learn which admin routes exist) and for the customer routes
/// (`/store/customers…`, `GET /store/orders`), which need a logged-in customer; a
/// customer login is refused as Medusa refuses an unknown email.
pub fn not_found(parts: &Parts) -> Response {
    let path = parts.uri.path();
    if is_admin_path(path)
        || path == "/store/customers"
        || path.starts_with("/store/customers/")
        || (path == "/store/orders" && parts.method == Method::GET)
    {
        return ApiError::unauthorized().into_response();
    }
    if path == "/auth/customer/emailpass" && parts.method == Method::POST {
        // No customer accounts are served yet, so every email is unknown: Medusa's answer.
        return ApiError::public(ErrorType::Unauthorized, "Invalid email or password")
            .into_response();
    }
    no_such_route(parts)
}

/// The 404 for a path no route serves, naming it.
pub fn no_such_route(parts: &Parts) -> Response {
    let message = format!("Route {} {} does not exist", parts.method, parts.uri.path());
    ApiError::not_found(message).into_response()
}

/// Whether `path` is under `/admin`.
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Response {
    let body = serde_json::json!({
        "type": ErrorType::NotAllowed,
        "message": format!("Method {method} is not allowed on {}", uri.path()),
    });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::Internal("handler panicked".into()).into_response()
}

/// Handlers made of one domain function, for the routes whose handler would only pass
/// the request on: `.post(call::id_body(taxonomy::update_tag))`. Each extracts, in this
/// order, the state, the actor (an extractor such as an admin's credentials, checked
/// before anything else is read), the path's ids and the JSON body, then answers what the
/// function returns as JSON. The name says what the function takes after the state and
/// the actor: `f(&state, &actor, &id, &input)` for `id_body`.
pub mod call {
    use std::future::Future;
    use std::pin::Pin;

    use axum::extract::{Path, State};
    use axum::Json;

    use super::JsonBody;
    use crate::{ApiResult, AppState};

    /// What a JSON body is read into.
    pub trait Input: serde::de::DeserializeOwned + Send + 'static {}

    impl<I: serde::de::DeserializeOwned + Send + 'static> Input for I {}

    /// A path's two ids: an item's and one of its own (a variant's, a fulfillment's...).
    type TwoIds = Path<(String, String)>;

    /// What a handler made here answers.
    pub type Reply<T> = Pin<Box<dyn Future<Output = ApiResult<Json<T>>> + Send>>;

    /// An async function of the state, the actor and the request's `Args`, whose future
    /// is `Send` (as an async fn's is when its body is): what a bound on `AsyncFn` cannot
    /// say yet. One impl for each shape of `Args` below.
    pub trait Action<'a, A: 'a, Args: 'a, T>: Copy + Send + Sync + 'static {
        type Future: Future<Output = ApiResult<T>> + Send + 'a;
        fn run(self, state: &'a AppState, actor: &'a A, args: &'a Args) -> Self::Future;
    }

    /// The JSON body: `f(&state, &actor, &input)`.
    pub struct Body<I>(I);

    /// The path's id: `f(&state, &actor, &id)`.
    pub struct Id(String);

    /// The path's id and the JSON body: `f(&state, &actor, &id, &input)`.
    pub struct IdBody<I>(String, I);

    /// The path's two ids: `f(&state, &actor, &id, &nested_id)`.
    pub struct Ids(String, String);

    /// The path's two ids and the JSON body: `f(&state, &actor, &id, &nested_id, &input)`.
    pub struct IdsBody<I>(String, String, I);

    impl<'a, A: 'a, I: 'a, T, F, Fut> Action<'a, A, Body<I>, T> for F
    where
        F: Fn(&'a AppState, &'a A, &'a I) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'a,
    {
        type Future = Fut;
        fn run(self, state: &'a AppState, actor: &'a A, Body(input): &'a Body<I>) -> Fut {
            self(state, actor, input)
        }
    }

    impl<'a, A: 'a, T, F, Fut> Action<'a, A, Id, T> for F
    where
        F: Fn(&'a AppState, &'a A, &'a str) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'a,
    {
        type Future = Fut;
        fn run(self, state: &'a AppState, actor: &'a A, Id(id): &'a Id) -> Fut {
            self(state, actor, id)
        }
    }

    impl<'a, A: 'a, I: 'a, T, F, Fut> Action<'a, A, IdBody<I>, T> for F
    where
        F: Fn(&'a AppState, &'a A, &'a str, &'a I) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'a,
    {
        type Future = Fut;
        fn run(self, state: &'a AppState, actor: &'a A, args: &'a IdBody<I>) -> Fut {
            self(state, actor, &args.0, &args.1)
        }
    }

    impl<'a, A: 'a, T, F, Fut> Action<'a, A, Ids, T> for F
    where
        F: Fn(&'a AppState, &'a A, &'a str, &'a str) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'a,
    {
        type Future = Fut;
        fn run(self, state: &'a AppState, actor: &'a A, Ids(id, nested): &'a Ids) -> Fut {
            self(state, actor, id, nested)
        }
    }

    impl<'a, A: 'a, I: 'a, T, F, Fut> Action<'a, A, IdsBody<I>, T> for F
    where
        F: Fn(&'a AppState, &'a A, &'a str, &'a str, &'a I) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'a,
    {
        type Future = Fut;
        fn run(self, state: &'a AppState, actor: &'a A, args: &'a IdsBody<I>) -> Fut {
            self(state, actor, &args.0, &args.1, &args.2)
        }
    }

    /// Runs `f` on what the handler extracted, answering its result as JSON.
    fn reply<A, Args, T, F>(f: F, state: AppState, actor: A, args: Args) -> Reply<T>
    where
        F: for<'a> Action<'a, A, Args, T>,
        A: Send + 'static,
        Args: Send + 'static,
    {
        Box::pin(async move { f.run(&state, &actor, &args).await.map(Json) })
    }

    pub fn body<A, I, T, F>(f: F) -> impl Fn(State<AppState>, A, JsonBody<I>) -> Reply<T> + Clone
    where
        F: for<'a> Action<'a, A, Body<I>, T>,
        A: Send + 'static,
        I: Send + 'static,
    {
        move |State(state), actor, JsonBody(input)| reply(f, state, actor, Body(input))
    }

    pub fn id<A, T, F>(f: F) -> impl Fn(State<AppState>, A, Path<String>) -> Reply<T> + Clone
    where
        F: for<'a> Action<'a, A, Id, T>,
        A: Send + 'static,
    {
        move |State(state), actor, Path(id)| reply(f, state, actor, Id(id))
    }

    pub fn id_body<A, I, T, F>(
        f: F,
    ) -> impl Fn(State<AppState>, A, Path<String>, JsonBody<I>) -> Reply<T> + Clone
    where
        F: for<'a> Action<'a, A, IdBody<I>, T>,
        A: Send + 'static,
        I: Send + 'static,
    {
        move |State(state), actor, Path(id), JsonBody(input)| {
            reply(f, state, actor, IdBody(id, input))
        }
    }

    pub fn ids<A, T, F>(f: F) -> impl Fn(State<AppState>, A, TwoIds) -> Reply<T> + Clone
    where
        F: for<'a> Action<'a, A, Ids, T>,
        A: Send + 'static,
    {
        move |State(state), actor, Path((id, nested))| reply(f, state, actor, Ids(id, nested))
    }

    pub fn ids_body<A, I, T, F>(
        f: F,
    ) -> impl Fn(State<AppState>, A, TwoIds, JsonBody<I>) -> Reply<T> + Clone
    where
        F: for<'a> Action<'a, A, IdsBody<I>, T>,
        A: Send + 'static,
        I: Send + 'static,
    {
        move |State(state), actor, Path((id, nested)), JsonBody(input)| {
            reply(f, state, actor, IdsBody(id, nested, input))
        }
    }
}

/// An admin list's `q`, `limit` (50 by default) and `offset`, the query read as Medusa's
/// admin reads it (`fields` and `order` are accepted and ignored). A malformed value is a
/// 400 before the handler runs.
pub struct SearchPage {
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for SearchPage {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = crate::query::StoreQuery::parse(
            parts.uri.query(),
            &["q", "limit", "offset", "fields", "order"],
        )?;
        Ok(SearchPage {
            q: query.single("q")?.map(str::to_string),
            limit: query.limit(50)?,
            offset: query.offset()?,
        })
    }
}

/// What a storefront handler takes first: the state, the storefront (its publishable
/// key checked before anything else is read) and the raw query. A handler extracts
/// what else it needs after it: a logged-in customer, then the path, then the body.
pub struct StoreCall {
    pub state: AppState,
    pub store: StoreContext,
    pub raw: Option<String>,
}

impl StoreCall {
    /// The raw query, for [`crate::query::StoreQuery::parse`].
    pub fn query(&self) -> Option<&str> {
        self.raw.as_deref()
    }
}

impl<S> FromRequestParts<S> for StoreCall
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let store = StoreContext::from_request_parts(parts, state).await?;
        Ok(StoreCall {
            state: AppState::from_ref(state),
            store,
            raw: parts.uri.query().map(str::to_string),
        })
    }
}

#[cfg(test)]
mod private_path_tests {
    use super::is_private_path;

    #[test]
    fn carts_orders_customers_payments_admin_and_auth_are_private_and_the_catalog_is_not() {
        for path in [
            "/store/carts",
            "/store/carts/cart_1/line-items",
            "/store/orders/order_1",
            "/store/customers/me",
            "/store/payment-collections/pay_1/payment-sessions",
            "/admin/products",
            "/auth/customer/emailpass",
        ] {
            assert!(is_private_path(path), "{path}");
        }
        for path in [
            "/store/products",
            "/store/regions",
            "/store/cartsx",
            "/content/pages",
        ] {
            assert!(!is_private_path(path), "{path}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// Log lines, written by a subscriber the test installs.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn failing_query() -> Result<Response, ApiError> {
        Err(sqlx::Error::Protocol("unexpected message".into()))?
    }

    #[tokio::test]
    async fn an_internal_error_is_logged_in_its_route_span_with_the_failed_call() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Something listening, so the breaker's connect check lets the request through
        // (the handler never asks the database).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = AppState::new(Config {
            database_url: format!("postgres://nobody@127.0.0.1:{port}/none"),
            redis_url: None,
            store_cors: vec![],
            admin_cors: vec![],
            auth_cors: vec![],
            cache_prefix: "test".into(),
            cache_ttl: std::time::Duration::from_secs(1),
            database_max_connections: 1,
            catalog_caching: crate::http_cache::CatalogCaching {
                max_age: std::time::Duration::from_secs(30),
                stale_while_revalidate: std::time::Duration::from_secs(300),
            },
        })
        .unwrap();
        let router = finish_router(
            Routes::new().route("/store/things/{id}", get(failing_query)),
            state,
        );
        let request = Request::get("/store/things/thing_1")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("route{method=GET route=/store/things/{id}}"),
            "{logged}"
        );
        assert!(
            logged.contains("database call at shared/src/web.rs:"),
            "{logged}"
        );
        assert!(logged.contains("unexpected message"), "{logged}");
    }
}
