//! Logs as Lambda reads them, set up once per cold start by each function's `main`: the
//! level from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else
//! `RUST_LOG`, else info; JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`.
//!
//! The filter is `tracing_subscriber`'s `Targets` (a level, or directives such as
//! `info,store=debug`) rather than `EnvFilter`, whose regex engine weighs some 300 KiB in
//! every function and whose span-field filters nobody here uses.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter for a level or directives; blank or unreadable means info.
pub fn filter(directives: Option<&str>) -> Targets {
    let directives = directives.map(str::trim).filter(|d| !d.is_empty());
    directives
        .and_then(|d| Targets::from_str(d).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Installs the subscriber (once; a second call does nothing).
pub fn init() {
    let env = |name: &str| std::env::var(name).ok();
    let targets = filter(
        env("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| env("RUST_LOG"))
            .as_deref(),
    );
    let json = env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let _ = if json {
        fmt.json().finish().with(targets).try_init()
    } else {
        fmt.finish().with(targets).try_init()
    };
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn a_level_or_directives_set_what_is_logged_and_blank_means_info() {
        let info = filter(None);
        assert!(info.would_enable("store", &Level::INFO));
        assert!(!info.would_enable("store", &Level::DEBUG));
        assert!(filter(Some("  ")).would_enable("x", &Level::INFO));
        assert!(filter(Some("DEBUG")).would_enable("x", &Level::DEBUG));
        let mixed = filter(Some("warn,store=debug"));
        assert!(mixed.would_enable("store::cart", &Level::DEBUG));
        assert!(!mixed.would_enable("sqlx", &Level::INFO));
        assert!(filter(Some("store=nonsense")).would_enable("x", &Level::INFO));
    }
}
