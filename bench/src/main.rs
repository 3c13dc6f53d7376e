//! `cargo run --release -p bench -- [options]`: the Store API workload against this
//! backend (through `cargo lambda watch`, or its routers served in this process) or
//! any Medusa v2 server, side by side. `--help` lists the options.

mod cpu;
mod in_process;
mod load;
mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;

use load::{Target, Workload};
use report::{Report, RunResult};

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Store API benchmark: rps, p50/p90/p99, errors, bytes and server CPU per request, for this backend or any Medusa v2 server",
    after_help = "Defaults come from .env.storefront (written by scripts/up): MEDUSA_BACKEND_URL and MEDUSA_PUBLISHABLE_KEY; \
the environment variables of the same names override it.\n\n\
Examples:\n  \
cargo run --release -p bench -- --pid $(cat .data/dev/watch.pid)          # through cargo lambda watch\n  \
cargo run --release -p bench -- --in-process                              # the routers in this process\n  \
cargo run --release -p bench -- --workloads checkout --connections 64\n  \
cargo run --release -p bench -- --compare http://127.0.0.1:9100 pk_medusa... --compare-pid 1234"
)]
struct Args {
    /// Base URL of the store [default: MEDUSA_BACKEND_URL, or http://127.0.0.1:9000]
    #[arg(long)]
    url: Option<String>,
    /// Publishable API key [default: MEDUSA_PUBLISHABLE_KEY]
    #[arg(long)]
    key: Option<String>,
    /// File with MEDUSA_BACKEND_URL / MEDUSA_PUBLISHABLE_KEY
    #[arg(long, default_value = ".env.storefront")]
    env_file: PathBuf,
    /// Serve the products, cart, checkout and orders routers from this process (plain
    /// HTTP on 127.0.0.1:0) instead of --url. Needs DATABASE_URL and REDIS_URL of a
    /// seeded store; without them, .data/dev/functions.env (scripts/up) is read
    #[arg(long)]
    in_process: bool,
    /// Worker threads of the --in-process server
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Name of the first target in the tables [default: in-process, or the URL]
    #[arg(long)]
    label: Option<String>,
    /// Also run every workload against a second backend, interleaved (A, B, A, B),
    /// and print both with their ratios
    #[arg(long, num_args = 2, value_names = ["URL", "KEY"])]
    compare: Option<Vec<String>>,
    /// Name of the --compare target in the tables [default: its URL]
    #[arg(long)]
    compare_label: Option<String>,
    /// Server process whose CPU time (its own and its descendants') is divided by the
    /// requests; repeat for several (e.g. the PostgreSQL postmaster too)
    #[arg(long = "pid", value_name = "PID")]
    pids: Vec<u32>,
    /// Like --pid, for the --compare target
    #[arg(long = "compare-pid", value_name = "PID")]
    compare_pids: Vec<u32>,
    /// Workloads to run, comma-separated [default: list,by-id,list-region,checkout,
    /// and content when --content-path is given]
    #[arg(long, value_enum, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Path of a content proxy route that the target caches, e.g. /content/pages/home
    #[arg(long)]
    content_path: Option<String>,
    /// Concurrent connections (closed loop), comma-separated for several runs [default: 1,32]
    #[arg(long, value_delimiter = ',')]
    connections: Vec<usize>,
    /// Measured time per workload, connection count and round (e.g. 10s, 500ms) [default: 10s]
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Unmeasured warm-up before the first round of each run [default: 2s]
    #[arg(long, value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// Rounds per target [default: 2 with --compare, else 1]
    #[arg(long)]
    rounds: Option<u32>,
    /// Units of each variant's stock the checkout leaves alone (it takes at most half
    /// of the rest)
    #[arg(long, default_value_t = 5)]
    keep_stock: i64,
    /// The checkout buys only the N variants with the most stock, so concurrent
    /// checkouts compete for the same stock rows (raise their stock first)
    #[arg(long, value_name = "N")]
    hot: Option<usize>,
    /// Write the results as JSON to this file
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// A few seconds in all, for CI: 0.5 s per workload at 2 connections, 1 round;
    /// exits 1 if any request failed
    #[arg(long)]
    smoke: bool,
    /// Exit 1 if any request failed
    #[arg(long)]
    fail_on_errors: bool,
}

/// Accepts `10`, `10s`, `500ms`, `1.5s`, `2m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 10s or 500ms)"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("not a duration: {text:?}"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// The workspace this binary was built in (for `.env.storefront` and `.data/dev`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `NAME=value` lines; `#` comments, blank lines and `export ` are allowed, and one
/// pair of surrounding quotes is removed.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (name, value) = l.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((name.trim().to_string(), value.to_string()))
        })
        .collect()
}

/// What a run is configured to do, after defaults and the --smoke preset.
struct Plan {
    workloads: Vec<Workload>,
    connections: Vec<usize>,
    duration: Duration,
    warmup: Duration,
    rounds: u32,
    fail_on_errors: bool,
}

impl Plan {
    fn from_args(args: &Args) -> Self {
        let mut workloads = if args.workloads.is_empty() {
            let mut w = vec![
                Workload::List,
                Workload::ListGzip,
                Workload::ById,
                Workload::ListRegion,
                Workload::Checkout,
            ];
            if args.content_path.is_some() {
                w.push(Workload::Content);
            }
            w
        } else {
            args.workloads.clone()
        };
        workloads.dedup();
        let (duration, warmup, connections, rounds) = if args.smoke {
            (
                Duration::from_millis(500),
                Duration::from_millis(200),
                vec![2],
                1,
            )
        } else {
            let rounds = if args.compare.is_some() { 2 } else { 1 };
            (
                Duration::from_secs(10),
                Duration::from_secs(2),
                vec![1, 32],
                rounds,
            )
        };
        Plan {
            workloads,
            connections: if args.connections.is_empty() {
                connections
            } else {
                args.connections.clone()
            },
            duration: args.duration.unwrap_or(duration),
            warmup: args.warmup.unwrap_or(warmup),
            rounds: args.rounds.unwrap_or(rounds).max(1),
            fail_on_errors: args.smoke || args.fail_on_errors,
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match main_inner(args) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Returns whether the run passed (no errors, or errors allowed).
fn main_inner(args: Args) -> anyhow::Result<bool> {
    let plan = Plan::from_args(&args);
    if plan.workloads.contains(&Workload::Content) && args.content_path.is_none() {
        bail!("the content workload needs --content-path");
    }
    // Before any runtime: the server's runtime is its own, and it may set env vars.
    let server = if args.in_process {
        Some(in_process::start(args.server_threads)?)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(&args, &plan, server.as_ref().map(|s| s.url())));
    drop(runtime);
    if let Some(server) = server {
        server.stop();
    }
    let report = result?;
    print!("{}", report.markdown());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }
    let errors = report.total_errors();
    if errors > 0 && plan.fail_on_errors {
        eprintln!("bench: {errors} failed requests or checkouts");
        return Ok(false);
    }
    Ok(true)
}

fn defaults(args: &Args) -> (Option<String>, Option<String>) {
    let file = if args.env_file.exists() || args.env_file.is_absolute() {
        args.env_file.clone()
    } else {
        workspace_root().join(&args.env_file)
    };
    let from_file = std::fs::read_to_string(&file)
        .map(|t| parse_env_file(&t))
        .unwrap_or_default();
    let get = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                from_file
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            })
    };
    (get("MEDUSA_BACKEND_URL"), get("MEDUSA_PUBLISHABLE_KEY"))
}

/// A target before discovery: its label, URL, key and CPU sources.
type SideSpec = (String, String, String, Vec<cpu::Source>);

struct Side {
    target: Arc<Target>,
    cpu: Vec<cpu::Source>,
}

async fn run(args: &Args, plan: &Plan, in_process_url: Option<String>) -> anyhow::Result<Report> {
    let (default_url, default_key) = defaults(args);
    let key = args.key.clone().or(default_key).context(
        "no publishable key: pass --key, set MEDUSA_PUBLISHABLE_KEY, or run scripts/up (it writes .env.storefront)",
    )?;
    let url = match &in_process_url {
        Some(url) => url.clone(),
        None => args
            .url
            .clone()
            .or(default_url)
            .unwrap_or_else(|| "http://127.0.0.1:9000".to_string()),
    };
    let max_connections = plan.connections.iter().copied().max().unwrap_or(1);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(max_connections)
        .timeout(Duration::from_secs(120))
        .build()?;

    let sides = side_specs(args, url, key, in_process_url.is_some());
    let ready = prepare_sides(&client, sides, args, plan).await?;

    let mut report = Report::new(
        ready
            .iter()
            .map(|s| (s.target.label.clone(), s.target.base.clone()))
            .collect(),
        in_process_url.is_some(),
        plan.duration,
        plan.rounds,
    );
    for &workload in &plan.workloads {
        for &connections in &plan.connections {
            let mut merged: Vec<Option<RunResult>> = ready.iter().map(|_| None).collect();
            for round in 0..plan.rounds {
                for (i, side) in ready.iter().enumerate() {
                    let result = measure(&client, side, workload, connections, plan, round).await;
                    merged[i] = Some(match merged[i].take() {
                        None => result,
                        Some(earlier) => earlier.merge(result),
                    });
                }
            }
            report.results.extend(merged.into_iter().flatten());
        }
    }
    Ok(report)
}

/// Label, URL, key and CPU sources of each target: the first, and the --compare one.
fn side_specs(args: &Args, url: String, key: String, in_process: bool) -> Vec<SideSpec> {
    let mut sides = Vec::new();
    let label = args.label.clone().unwrap_or_else(|| {
        if in_process {
            "in-process".to_string()
        } else {
            url.clone()
        }
    });
    let mut cpu_a: Vec<cpu::Source> = Vec::new();
    if in_process {
        cpu_a.push(cpu::Source::ServerThreads);
    }
    cpu_a.extend(args.pids.iter().map(|&p| cpu::Source::tree(p)));
    cpu_a.push(cpu::Source::Client);
    sides.push((label, url, key, cpu_a));
    if let Some(compare) = &args.compare {
        let mut cpu_b: Vec<cpu::Source> = args
            .compare_pids
            .iter()
            .map(|&p| cpu::Source::tree(p))
            .collect();
        cpu_b.push(cpu::Source::Client);
        let label = args
            .compare_label
            .clone()
            .unwrap_or_else(|| compare[0].clone());
        sides.push((label, compare[0].clone(), compare[1].clone(), cpu_b));
    }
    sides
}

/// Checks that each side's CPU sources can be read and discovers its catalog.
async fn prepare_sides(
    client: &reqwest::Client,
    sides: Vec<SideSpec>,
    args: &Args,
    plan: &Plan,
) -> anyhow::Result<Vec<Side>> {
    let mut ready = Vec::new();
    for (label, url, key, cpu) in sides {
        for source in &cpu {
            if !source.available() {
                bail!("cannot read CPU time of {}", source.label());
            }
        }
        eprintln!("bench: {label}: reading regions, products and stock from {url}");
        let target = discover_with_retry(client, label, &url, &key, args, plan).await?;
        eprintln!(
            "bench: {}: region {} ({}), {} products, {} variants with stock to buy ({} units budget)",
            target.label,
            target.region_id,
            target.country_code,
            target.product_ids.len(),
            target.stock.variants(),
            target.stock.units
        );
        ready.push(Side {
            target: Arc::new(target),
            cpu,
        });
    }
    Ok(ready)
}

/// One round of `workload` at `connections` against one side (after a warm-up in the
/// first round), with the CPU time its sources used meanwhile.
async fn measure(
    client: &reqwest::Client,
    side: &Side,
    workload: Workload,
    connections: usize,
    plan: &Plan,
    round: u32,
) -> RunResult {
    if round == 0 && !plan.warmup.is_zero() {
        eprintln!(
            "bench: {}: {} at {connections} connections: warm-up {:?}",
            side.target.label,
            workload.title(),
            plan.warmup
        );
        load::run(client, &side.target, workload, connections, plan.warmup).await;
    }
    let before: Vec<cpu::Sample> = side.cpu.iter().map(|c| c.sample()).collect();
    let (stats, elapsed) =
        load::run(client, &side.target, workload, connections, plan.duration).await;
    let cpu: Vec<(String, cpu::Sample, cpu::Sample)> = side
        .cpu
        .iter()
        .zip(before)
        .map(|(c, b)| (c.label(), b, c.sample()))
        .collect();
    let result = RunResult::new(&side.target, workload, connections, stats, elapsed, &cpu);
    eprintln!("bench: {}", result.one_line());
    result
}

/// The first request to a function under `cargo lambda watch` may compile it, and an
/// in-process server may still be starting: retry discovery for a while.
async fn discover_with_retry(
    client: &reqwest::Client,
    label: String,
    url: &str,
    key: &str,
    args: &Args,
    plan: &Plan,
) -> anyhow::Result<Target> {
    let needs_stock = plan.workloads.contains(&Workload::Checkout);
    let deadline =
        std::time::Instant::now() + Duration::from_secs(if args.smoke { 120 } else { 600 });
    loop {
        match load::discover(
            client,
            label.clone(),
            url,
            key,
            args.content_path.clone(),
            args.keep_stock,
        )
        .await
        .map(|mut target| {
            if let Some(n) = args.hot {
                target.stock.keep_hottest(n);
            }
            target
        }) {
            Ok(target) if needs_stock && target.stock.units == 0 => {
                eprintln!(
                    "bench: {label}: no variant has stock left to buy; the checkout will report it"
                );
                return Ok(target);
            }
            Ok(target) => return Ok(target),
            Err(e) if std::time::Instant::now() < deadline && is_transient(&e) => {
                eprintln!("bench: {label}: {e:#}; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn is_transient(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("transport")
        || text.contains("HTTP 502")
        || text.contains("HTTP 503")
        || text.contains("HTTP 504")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn env_files() {
        let pairs = parse_env_file("# c\nMEDUSA_BACKEND_URL=http://x:1\nexport K=\"pk_1\"\n\n");
        assert_eq!(
            pairs,
            [
                ("MEDUSA_BACKEND_URL".to_string(), "http://x:1".to_string()),
                ("K".to_string(), "pk_1".to_string())
            ]
        );
    }

    #[test]
    fn smoke_is_short_and_strict() {
        let args = Args::parse_from(["bench", "--smoke"]);
        let plan = Plan::from_args(&args);
        assert!(plan.fail_on_errors);
        assert_eq!(plan.connections, [2]);
        assert_eq!(plan.workloads.len(), 5);
        assert!(plan.duration + plan.warmup <= Duration::from_secs(1));
    }

    #[test]
    fn compare_takes_url_and_key() {
        let args = Args::parse_from([
            "bench",
            "--compare",
            "http://m:9000",
            "pk_m",
            "--workloads",
            "list,checkout",
        ]);
        assert_eq!(args.compare.unwrap(), ["http://m:9000", "pk_m"]);
        assert_eq!(args.workloads, [Workload::List, Workload::Checkout]);
    }
}
