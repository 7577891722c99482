//! Axis ticks at round values with their labels: 1-2-5 steps for values, steps and log
//! decades; whole seconds, minutes, hours and days for relative and wall-clock time (UTC).

use crate::curves::XAxis;

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// The round step (1, 2 or 5 times a power of ten) giving at most about `count` ticks.
pub fn nice_step(span: f64, count: usize) -> f64 {
    let raw = span.abs() / count.max(1) as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Multiples of `step` within [lo, hi].
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let first = (lo / step - 1e-9).ceil();
    let mut k = first;
    while k * step <= hi + step * 1e-9 && out.len() < 1000 {
        let v = k * step;
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    out
}

/// A value label at the precision the step needs ("0.025", "1.5e-05", "12000").
pub fn value_label(v: f64, step: f64, largest: f64) -> String {
    let step_exp = step.abs().log10().floor() as i32;
    let big = largest.abs().max(v.abs());
    if v == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e6).contains(&big) {
        let e = big.log10().floor() as i32;
        let digits = (e - step_exp).clamp(0, 6) as usize;
        let s = format!("{v:.digits$e}");
        return tidy_exp(&s);
    }
    let decimals = (-step_exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".into()
    } else {
        s
    }
}

/// "1.50e-5" as Rust writes it stays; "1e0" becomes "1".
fn tidy_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, "0")) => m.to_owned(),
        _ => s.to_owned(),
    }
}

/// Ticks of a linear value axis.
pub fn linear(lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    let step = nice_step(hi - lo, count);
    let largest = lo.abs().max(hi.abs());
    multiples(lo, hi, step)
        .into_iter()
        .map(|at| Tick {
            at,
            label: value_label(at, step, largest),
        })
        .collect()
}

/// Ticks of a log10 axis (`lo`, `hi` are log10 values): whole decades when the range spans
/// a few, else round values inside it.
pub fn log10(lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    if hi - lo >= 1.0 {
        let every = nice_step(hi - lo, count).max(1.0).round();
        return multiples(lo, hi, every)
            .into_iter()
            .map(|e| Tick {
                at: e,
                label: decade_label(e as i32),
            })
            .collect();
    }
    let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
    let step = nice_step(b - a, count);
    multiples(a, b, step)
        .into_iter()
        .filter(|v| *v > 0.0)
        .map(|v| Tick {
            at: v.log10(),
            label: value_label(v, step, b),
        })
        .collect()
}

fn decade_label(e: i32) -> String {
    if (-3..0).contains(&e) {
        format!("0.{}1", "0".repeat((-e - 1) as usize))
    } else if (0..=4).contains(&e) {
        format!("1{}", "0".repeat(e as usize))
    } else {
        format!("1e{e}")
    }
}

/// Ticks of the step axis: whole steps, "20k" and "1.5M" for large ones.
pub fn steps(lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    let step = nice_step(hi - lo, count).max(1.0);
    let largest = lo.abs().max(hi.abs());
    multiples(lo, hi, step)
        .into_iter()
        .map(|at| {
            let (div, unit) = if largest >= 1e6 {
                (1e6, "M")
            } else if largest >= 1e4 {
                (1e3, "k")
            } else {
                (1.0, "")
            };
            let label = if at == 0.0 {
                "0".into()
            } else {
                let d = (-((step / div).log10().floor() as i32)).max(0) as usize;
                format!("{:.d$}{unit}", at / div)
            };
            Tick { at, label }
        })
        .collect()
}

/// Round durations in seconds for time axes.
const DURATIONS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    10800.0, 21600.0, 43200.0, 86400.0, 172800.0, 604800.0, 2592000.0,
];

fn time_step(span: f64, count: usize) -> f64 {
    let raw = span / count.max(1) as f64;
    if raw < 1.0 {
        return nice_step(span, count);
    }
    DURATIONS
        .iter()
        .copied()
        .find(|d| *d >= raw)
        .unwrap_or_else(|| (raw / 2592000.0).ceil() * 2592000.0)
}

/// "1h30m", "45s", "2d": a duration down to the step's unit.
pub fn duration_label(v: f64, step: f64) -> String {
    if step < 1.0 {
        return format!("{}s", value_label(v, step, v));
    }
    let neg = v < 0.0;
    let mut s = v.abs().round() as u64;
    let mut out = String::new();
    for (unit, secs) in [("d", 86400u64), ("h", 3600), ("m", 60), ("s", 1)] {
        let n = s / secs;
        s %= secs;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
        if (secs as f64) <= step {
            break;
        }
    }
    if out.is_empty() {
        out.push('0');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Ticks of the relative-time axis (seconds since the run's first point).
pub fn relative(lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    let step = time_step(hi - lo, count);
    multiples(lo, hi, step)
        .into_iter()
        .map(|at| Tick {
            at,
            label: duration_label(at, step),
        })
        .collect()
}

/// Ticks of the wall-clock axis (Unix seconds), at round UTC times: "14:30", "14:30:15",
/// or "05-21" (month-day) when a step is a day or more.
pub fn wall(lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    let step = time_step(hi - lo, count).max(1.0);
    multiples(lo, hi, step)
        .into_iter()
        .map(|at| {
            let secs = at.floor() as i64;
            let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
            let label = if step >= 86400.0 {
                let (_, m, d) = crate::util::civil(days);
                format!("{m:02}-{d:02}")
            } else if step >= 60.0 {
                format!("{:02}:{:02}", rem / 3600, rem % 3600 / 60)
            } else {
                format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
            };
            Tick { at, label }
        })
        .collect()
}

/// The x ticks of `axis`.
pub fn x_ticks(axis: XAxis, lo: f64, hi: f64, count: usize) -> Vec<Tick> {
    match axis {
        XAxis::Step => steps(lo, hi, count),
        XAxis::Relative => relative(lo, hi, count),
        XAxis::Wall => wall(lo, hi, count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[Tick]) -> Vec<&str> {
        t.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn round_values() {
        assert_eq!(nice_step(1.0, 5), 0.2);
        assert_eq!(nice_step(0.03, 6), 0.005);
        assert_eq!(
            labels(&linear(0.0, 1.0, 5)),
            ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            labels(&linear(0.0241, 0.0261, 4)),
            ["0.0245", "0.0250", "0.0255", "0.0260"]
        );
        assert_eq!(labels(&linear(-1.0, 1.0, 2)), ["-1", "0", "1"]);
        assert_eq!(labels(&linear(0.0, 3e-5, 3)), ["0", "1e-5", "2e-5", "3e-5"]);
    }

    #[test]
    fn steps_and_time() {
        assert_eq!(labels(&steps(0.0, 17.0, 4)), ["0", "5", "10", "15"]);
        assert_eq!(labels(&steps(0.0, 100_000.0, 4)), ["0", "50k", "100k"]);
        assert_eq!(labels(&steps(0.0, 3e6, 3)), ["0", "1M", "2M", "3M"]);
        assert_eq!(
            labels(&relative(0.0, 5400.0, 3)),
            ["0", "30m", "1h", "1h30m"]
        );
        assert_eq!(
            labels(&relative(0.0, 40.0, 4)),
            ["0", "10s", "20s", "30s", "40s"]
        );
        // 2024-02-29 12:00 UTC to 14:00.
        let t0 = 1_709_208_000.0;
        assert_eq!(
            labels(&wall(t0, t0 + 7200.0, 2)),
            ["12:00", "13:00", "14:00"]
        );
        assert_eq!(
            labels(&wall(t0, t0 + 3.0 * 86400.0, 3)),
            ["03-01", "03-02", "03-03"]
        );
    }

    #[test]
    fn log_decades() {
        assert_eq!(labels(&log10(-3.0, 0.0, 5)), ["0.001", "0.01", "0.1", "1"]);
        assert_eq!(labels(&log10(-8.0, -6.0, 5)), ["1e-8", "1e-7", "1e-6"]);
        let t = log10(0.0, 0.5, 3);
        assert_eq!(labels(&t), ["1", "2", "3"]);
        assert!((t[1].at - 2f64.log10()).abs() < 1e-12);
    }
}
