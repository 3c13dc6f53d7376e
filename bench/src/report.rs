//! Results: a markdown report for stdout and JSON for `--json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cpu;
use crate::load::{Stats, Target, Workload, STEPS};

/// One workload at one connection count against one target (all rounds merged).
pub struct RunResult {
    target: String,
    base_url: String,
    workload: Workload,
    connections: usize,
    stats: Stats,
    elapsed: Duration,
    /// Per CPU source: its label, milliseconds in total and by process name.
    cpu: Vec<(String, f64, BTreeMap<String, f64>)>,
}

#[derive(Serialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn latency(h: &Histogram<u64>) -> Latency {
    let ms = |micros: u64| micros as f64 / 1000.0;
    Latency {
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
        mean: h.mean() / 1000.0,
    }
}

impl RunResult {
    pub fn new(
        target: &Target,
        workload: Workload,
        connections: usize,
        stats: Stats,
        elapsed: Duration,
        cpu: &[(String, cpu::Sample, cpu::Sample)],
    ) -> Self {
        RunResult {
            target: target.label.clone(),
            base_url: target.base.clone(),
            workload,
            connections,
            stats,
            elapsed,
            cpu: cpu
                .iter()
                .map(|(label, before, after)| {
                    let (total, by_name) = after.ms_since(before);
                    (label.clone(), total, by_name)
                })
                .collect(),
        }
    }

    /// Adds a later round of the same run.
    pub fn merge(mut self, other: RunResult) -> Self {
        self.stats.merge(&other.stats);
        self.elapsed += other.elapsed;
        for (mine, theirs) in self.cpu.iter_mut().zip(other.cpu) {
            mine.1 += theirs.1;
            for (name, ms) in theirs.2 {
                *mine.2.entry(name).or_default() += ms;
            }
        }
        self
    }

    fn is_checkout(&self) -> bool {
        self.workload == Workload::Checkout
    }

    fn unit(&self) -> &'static str {
        if self.is_checkout() {
            "checkout"
        } else {
            "request"
        }
    }

    fn units(&self) -> u64 {
        self.stats.units_ok + self.stats.units_failed
    }

    fn per_second(&self, n: u64) -> f64 {
        n as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn errors(&self) -> u64 {
        self.stats.units_failed
    }

    fn bytes_per_response(&self) -> f64 {
        self.stats.bytes as f64 / self.stats.requests.max(1) as f64
    }

    /// CPU ms per unit (request, or checkout) for each source.
    fn cpu_per_unit(&self) -> Vec<(String, f64)> {
        let units = self.units().max(1) as f64;
        self.cpu
            .iter()
            .map(|(label, ms, _)| (label.clone(), ms / units))
            .collect()
    }

    /// CPU ms per unit of every source but the load generator.
    fn server_cpu_per_unit(&self) -> Option<f64> {
        let units = self.units().max(1) as f64;
        let server: Vec<f64> = self
            .cpu
            .iter()
            .filter(|(label, _, _)| *label != cpu::Source::Client.label())
            .map(|(_, ms, _)| ms / units)
            .collect();
        (!server.is_empty()).then(|| server.iter().sum())
    }

    fn throughput(&self) -> String {
        if self.is_checkout() {
            format!(
                "{:.1} checkouts/s ({:.0} req/s)",
                self.per_second(self.units()),
                self.per_second(self.stats.requests)
            )
        } else {
            format!("{:.0} req/s", self.per_second(self.units()))
        }
    }

    pub fn one_line(&self) -> String {
        let l = latency(&self.stats.total);
        format!(
            "{}: {} at {} connections: {}, p50 {:.2} ms, p99 {:.2} ms, {} errors{}",
            self.target,
            self.workload.title(),
            self.connections,
            self.throughput(),
            l.p50,
            l.p99,
            self.errors(),
            self.cpu_per_unit()
                .iter()
                .map(|(label, ms)| format!(", {label} {ms:.3} CPU ms/{}", self.unit()))
                .collect::<String>()
        )
    }

    fn json(&self) -> Value {
        let units = self.units().max(1) as f64;
        let requests = self.stats.requests.max(1) as f64;
        json!({
            "target": self.target,
            "base_url": self.base_url,
            "workload": self.workload,
            "title": self.workload.title(),
            "connections": self.connections,
            "unit": self.unit(),
            "seconds": self.elapsed.as_secs_f64(),
            "ok": self.stats.units_ok,
            "failed": self.stats.units_failed,
            "requests": self.stats.requests,
            "per_second": self.per_second(self.units()),
            "requests_per_second": self.per_second(self.stats.requests),
            "latency_ms": latency(&self.stats.total),
            "latency_without_listing_shipping_options_ms":
                self.is_checkout().then(|| latency(&self.stats.total_without_options)),
            "bytes_per_response": self.bytes_per_response(),
            "cpu": self.cpu.iter().map(|(label, ms, by_name)| json!({
                "source": label,
                "ms_total": ms,
                "ms_per_unit": ms / units,
                "ms_per_request": ms / requests,
                "by_process_ms_per_unit": by_name.iter().map(|(n, v)| (n.clone(), v / units)).collect::<BTreeMap<_, _>>(),
            })).collect::<Vec<_>>(),
            "steps": if self.is_checkout() {
                STEPS.iter().zip(&self.stats.steps).map(|(name, s)| {
                    let l = latency(&s.latency);
                    json!({ "step": name, "count": s.latency.len(), "errors": s.errors,
                            "p50_ms": l.p50, "p90_ms": l.p90, "p99_ms": l.p99 })
                }).collect::<Vec<_>>()
            } else { Vec::new() },
            "errors": self.stats.errors,
            "stopped_out_of_stock": self.stats.out_of_stock,
        })
    }
}

pub struct Report {
    targets: Vec<(String, String)>,
    in_process: bool,
    duration: Duration,
    rounds: u32,
    started: SystemTime,
    load_average: String,
    pub results: Vec<RunResult>,
}

impl Report {
    pub fn new(
        targets: Vec<(String, String)>,
        in_process: bool,
        duration: Duration,
        rounds: u32,
    ) -> Self {
        Report {
            targets,
            in_process,
            duration,
            rounds,
            started: SystemTime::now(),
            load_average: std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            results: Vec::new(),
        }
    }

    pub fn total_errors(&self) -> u64 {
        self.results.iter().map(RunResult::errors).sum()
    }

    fn machine(&self) -> String {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0);
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, m)| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_string())
            .unwrap_or_default();
        format!("{cpus} CPUs ({model}), Linux {kernel}")
    }

    fn build(&self) -> &'static str {
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "date_utc": utc(self.started),
            "machine": self.machine(),
            "load_average_at_start": self.load_average,
            "bench_build": self.build(),
            "in_process": self.in_process,
            "seconds_per_run": self.duration.as_secs_f64(),
            "rounds": self.rounds,
            "targets": self.targets.iter().map(|(l, u)| json!({ "label": l, "base_url": u })).collect::<Vec<_>>(),
            "results": self.results.iter().map(RunResult::json).collect::<Vec<_>>(),
        })
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        self.write_results_table(&mut out);
        self.write_checkout_steps(&mut out);
        self.write_cpu_by_process(&mut out);
        self.write_side_by_side(&mut out);
        self.write_errors(&mut out);
        out
    }

    /// The title, the machine and run settings, and the targets.
    fn write_header(&self, out: &mut String) {
        let _ = writeln!(out, "## Store API benchmark\n");
        let _ = writeln!(
            out,
            "{} · {} · load average {} at start · bench {} build",
            utc(self.started),
            self.machine(),
            self.load_average,
            self.build()
        );
        let _ = writeln!(
            out,
            "{:.1} s measured per run × {} round(s) per target; closed loop, keep-alive connections; latency from send to the last body byte.\n",
            self.duration.as_secs_f64(),
            self.rounds
        );
        for (i, (label, url)) in self.targets.iter().enumerate() {
            let what = if i == 0 && self.in_process {
                " (products, cart, checkout and orders routers served by axum in the bench process)"
            } else {
                ""
            };
            if label == url {
                let _ = writeln!(out, "- **{label}**{what}");
            } else {
                let _ = writeln!(out, "- **{label}**: {url}{what}");
            }
        }
        let _ = writeln!(out);
    }

    /// CPU source labels over all results, in order of first appearance.
    fn cpu_labels(&self) -> Vec<String> {
        let mut cpu_labels: Vec<String> = Vec::new();
        for r in &self.results {
            for (label, _, _) in &r.cpu {
                if !cpu_labels.contains(label) {
                    cpu_labels.push(label.clone());
                }
            }
        }
        cpu_labels
    }

    /// The main table: one row per result, one CPU column per source.
    fn write_results_table(&self, out: &mut String) {
        let cpu_labels = self.cpu_labels();
        let _ = write!(
            out,
            "| target | workload | conns | throughput | p50 ms | p90 ms | p99 ms | errors | bytes/resp |"
        );
        for label in &cpu_labels {
            let _ = write!(out, " CPU ms/req: {label} |");
        }
        let _ = write!(out, "\n|---|---|--:|--:|--:|--:|--:|--:|--:|");
        for _ in &cpu_labels {
            let _ = write!(out, "--:|");
        }
        let _ = writeln!(out);
        for r in &self.results {
            write_result_row(out, r, &cpu_labels);
        }
    }

    /// Per-step latencies of the checkout runs, one column per run (if any).
    fn write_checkout_steps(&self, out: &mut String) {
        let checkouts: Vec<&RunResult> = self.results.iter().filter(|r| r.is_checkout()).collect();
        if checkouts.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nCheckout steps, p50 / p90 / p99 ms (errors where any):\n"
        );
        let _ = write!(out, "| step |");
        for r in &checkouts {
            let _ = write!(out, " {}, {} conns |", r.target, r.connections);
        }
        let _ = write!(out, "\n|---|");
        for _ in &checkouts {
            let _ = write!(out, "--:|");
        }
        let _ = writeln!(out);
        for (i, name) in STEPS.iter().enumerate() {
            let _ = write!(out, "| {name} |");
            for r in &checkouts {
                let s = &r.stats.steps[i];
                let _ = write!(out, " {} |", step_cell(&s.latency, s.errors));
            }
            let _ = writeln!(out);
        }
        let _ = write!(out, "| **total** |");
        for r in &checkouts {
            let _ = write!(out, " **{}** |", step_cell(&r.stats.total, 0));
        }
        let _ = write!(out, "\n| total without listing shipping options |");
        for r in &checkouts {
            let _ = write!(out, " {} |", step_cell(&r.stats.total_without_options, 0));
        }
        let _ = write!(out, "\n| checkouts completed / failed |");
        for r in &checkouts {
            let _ = write!(out, " {} / {} |", r.stats.units_ok, r.stats.units_failed);
        }
        let _ = writeln!(out);
    }

    /// CPU per unit by process name, for sources that saw more than one process.
    fn write_cpu_by_process(&self, out: &mut String) {
        let breakdowns: Vec<String> = self
            .results
            .iter()
            .flat_map(|r| {
                let units = r.units().max(1) as f64;
                r.cpu
                    .iter()
                    .filter(|(_, _, by_name)| by_name.len() > 1)
                    .map(move |(label, _, by_name)| {
                        let parts: Vec<String> = by_name
                            .iter()
                            .map(|(name, ms)| format!("{name} {:.3}", ms / units))
                            .collect();
                        format!(
                            "- {}, {}, {} conns, {label}: {} (CPU ms per {})",
                            r.target,
                            r.workload.title(),
                            r.connections,
                            parts.join(", "),
                            r.unit()
                        )
                    })
            })
            .collect();
        if !breakdowns.is_empty() {
            let _ = writeln!(out, "\nCPU by process:\n");
            for line in breakdowns {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// With two targets: each run of the first next to the same run of the second.
    fn write_side_by_side(&self, out: &mut String) {
        if self.targets.len() != 2 {
            return;
        }
        let (a, b) = (&self.targets[0].0, &self.targets[1].0);
        let _ = writeln!(
            out,
            "\nSide by side (A = {a}, B = {b}; ×: how many times A is better):\n"
        );
        let _ = writeln!(out, "| workload | conns | A per s | B per s | × | A p50 ms | B p50 ms | × | A server CPU ms | B server CPU ms | × |");
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for ra in self.results.iter().filter(|r| &r.target == a) {
            let Some(rb) = self.results.iter().find(|r| {
                &r.target == b && r.workload == ra.workload && r.connections == ra.connections
            }) else {
                continue;
            };
            write_comparison_row(out, ra, rb);
        }
    }

    /// The error messages of every run that had errors.
    fn write_errors(&self, out: &mut String) {
        let failing: Vec<&RunResult> = self.results.iter().filter(|r| r.errors() > 0).collect();
        if failing.is_empty() {
            return;
        }
        let _ = writeln!(out, "\nErrors:\n");
        for r in failing {
            for (message, n) in &r.stats.errors {
                let _ = writeln!(
                    out,
                    "- {}, {}, {} conns: {n} × {message}",
                    r.target,
                    r.workload.title(),
                    r.connections
                );
            }
        }
    }
}

/// One row of the main table, with a CPU cell per label in `cpu_labels`.
fn write_result_row(out: &mut String, r: &RunResult, cpu_labels: &[String]) {
    let l = latency(&r.stats.total);
    let _ = write!(
        out,
        "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {:.0} |",
        r.target,
        r.workload.title(),
        r.connections,
        r.throughput(),
        l.p50,
        l.p90,
        l.p99,
        r.errors(),
        r.bytes_per_response()
    );
    let per_unit = r.cpu_per_unit();
    for label in cpu_labels {
        match per_unit.iter().find(|(l, _)| l == label) {
            Some((_, ms)) if r.is_checkout() => {
                let _ = write!(out, " {ms:.2} per checkout |");
            }
            Some((_, ms)) => {
                let _ = write!(out, " {ms:.3} |");
            }
            None => {
                let _ = write!(out, " – |");
            }
        }
    }
    let _ = writeln!(out);
}

/// `p50 / p90 / p99` in ms, with the error count when there are any.
fn step_cell(h: &Histogram<u64>, errors: u64) -> String {
    let l = latency(h);
    let e = if errors > 0 {
        format!(" ({errors} errors)")
    } else {
        String::new()
    };
    format!("{:.2} / {:.2} / {:.2}{e}", l.p50, l.p90, l.p99)
}

/// One row of the side-by-side table: run `ra` of target A against `rb` of B.
fn write_comparison_row(out: &mut String, ra: &RunResult, rb: &RunResult) {
    let (ta, tb) = (ra.per_second(ra.units()), rb.per_second(rb.units()));
    let (pa, pb) = (latency(&ra.stats.total).p50, latency(&rb.stats.total).p50);
    let ratio = |x: f64, y: f64| {
        if y > 0.0 && x > 0.0 {
            format!("{:.1}", x / y)
        } else {
            "–".to_string()
        }
    };
    let fmt_cpu = |c: Option<f64>| c.map_or("–".to_string(), |c| format!("{c:.2}"));
    let (ca, cb) = (ra.server_cpu_per_unit(), rb.server_cpu_per_unit());
    let _ = writeln!(
        out,
        "| {} | {} | {ta:.1} | {tb:.1} | {} | {pa:.2} | {pb:.2} | {} | {} | {} | {} |",
        ra.workload.title(),
        ra.connections,
        ratio(ta, tb),
        ratio(pb, pa),
        fmt_cpu(ca),
        fmt_cpu(cb),
        match (ca, cb) {
            (Some(ca), Some(cb)) => ratio(cb, ca),
            _ => "–".to_string(),
        }
    );
}

/// `YYYY-MM-DD HH:MM UTC`.
fn utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00 UTC");
        assert_eq!(
            utc(UNIX_EPOCH + Duration::from_secs(1_795_625_640)),
            "2026-11-25 16:54 UTC"
        );
    }
}
