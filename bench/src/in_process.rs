//! `--in-process`: the four function routers behind one plain HTTP server
//! (`axum::serve` on 127.0.0.1:0), dispatched by path by
//! `[workspace.metadata.lambda.watch.router]` in Cargo.toml (the `route-table` crate). It runs on a
//! runtime of its own whose threads are named [`cpu::SERVER_THREAD_NAME`], so its CPU
//! time is told apart from the load generator's.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use tower::ServiceExt;

use crate::cpu;

/// Each function gets its own state (its own database pool and Redis client), as each
/// Lambda function would.
#[derive(Clone)]
struct Functions {
    products: Router,
    cart: Router,
    checkout: Router,
    orders: Router,
    accounts: Router,
}

impl Functions {
    fn from_env() -> anyhow::Result<Self> {
        let built =
            |function: &str, router: Result<Router, Box<dyn std::error::Error + Send + Sync>>| {
                router.map_err(|e| anyhow::anyhow!("{function}::from_env(): {e}"))
            };
        Ok(Functions {
            products: built("products", products::from_env())?,
            cart: built("cart", cart::from_env())?,
            checkout: built("checkout", checkout::from_env())?,
            orders: built("orders", orders::from_env())?,
            accounts: built("accounts", accounts::from_env())?,
        })
    }

    /// The router of the function the route table (the watch router in Cargo.toml)
    /// sends `path` to; the content function is not served here.
    fn for_path(&self, path: &str) -> &Router {
        match route_table::RouteTable::workspace().function_for(path) {
            Some("checkout") => &self.checkout,
            Some("cart") => &self.cart,
            Some("orders") => &self.orders,
            Some("accounts") => &self.accounts,
            _ => &self.products,
        }
    }
}

/// The running server; dropping it stops it (drop it outside of any async context).
pub struct Server {
    pub addr: SocketAddr,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(self) {
        self.runtime.shutdown_background();
    }
}

/// Starts the server with `threads` worker threads.
pub fn start(threads: usize) -> anyhow::Result<Server> {
    load_dev_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(cpu::SERVER_THREAD_NAME)
        // Blocking threads keep their name and their CPU time for the whole run.
        .thread_keep_alive(std::time::Duration::from_secs(3600))
        .enable_all()
        .build()?;
    // The database pool and Redis client are made inside the server's runtime.
    let functions = {
        let _inside = runtime.enter();
        Functions::from_env()?
    };
    let app = Router::new().fallback(move |request: Request| {
        let router = functions.for_path(request.uri().path()).clone();
        async move {
            let response: Response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            response
        }
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    runtime.spawn(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => return eprintln!("in-process server: {e}"),
        };
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("in-process server: {e}");
        }
    });
    Ok(Server { addr, runtime })
}

/// Without DATABASE_URL in the environment, takes the dev store's function
/// environment (`.data/dev/functions.env`, written by `scripts/up`).
fn load_dev_env() -> anyhow::Result<()> {
    if std::env::var_os("DATABASE_URL").is_some() {
        return Ok(());
    }
    let file = Path::new(".data/dev/functions.env");
    let file = if file.exists() {
        file.to_path_buf()
    } else {
        crate::workspace_root().join(file)
    };
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "--in-process needs DATABASE_URL (and REDIS_URL) of a seeded store, or {} from scripts/up",
            file.display()
        )
    })?;
    eprintln!("in-process: DATABASE_URL/REDIS_URL from {}", file.display());
    for (name, value) in crate::parse_env_file(&text) {
        if matches!(name.as_str(), "DATABASE_URL" | "REDIS_URL" | "STORE_CORS")
            && std::env::var_os(&name).is_none()
        {
            // Single-threaded here: the runtimes start after this.
            std::env::set_var(name, value);
        }
    }
    Ok(())
}
