//! The benchmark examples' figures: durations in milliseconds and their percentiles.

use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50, p90 and p99 of `samples` (sorted here), in milliseconds.
pub fn percentiles(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let at = |p: f64| ms(samples[((samples.len() as f64 - 1.0) * p).round() as usize]);
    (at(0.5), at(0.9), at(0.99))
}

/// One line of a report: `label` padded to `width`, then p50, p90 and p99 in ms.
pub fn print_row(label: &str, width: usize, samples: &mut [Duration]) {
    let (p50, p90, p99) = percentiles(samples);
    println!("{label:<width$} {p50:>9.2} {p90:>9.2} {p99:>9.2}");
}
