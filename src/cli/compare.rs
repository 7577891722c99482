//! `posedeck compare RUN_A RUN_B [RUN_C...]`: the runs' pixel errors side by side, per
//! keypoint and set (median and p90 of each run, and each run's difference from A), then the
//! frames where A and each other run disagree most. `--json` gives everything.

use crate::compare::{ALL, Comparison, FramePair, KeypointSort, SetStats};
use crate::sanitize::clean;
use crate::util::escape_path;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Two or more run folders (each with predictions_pixel_error.csv, or a multiview run's
    /// predictions_<view>_pixel_error.csv), or the CSVs.
    #[arg(required = true, num_args = 2.., value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Print everything as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only this set (default: each set in turn, then all frames together).
    #[arg(long, value_parser = ["train", "validation", "test", "all"])]
    pub set: Option<String>,
    /// Order of the keypoint rows (default: as in the CSV).
    #[arg(long, value_enum, default_value_t = KeypointSort::File)]
    pub sort: KeypointSort,
    /// Multiview runs: only this view (default: every view, keypoints as VIEW/KEYPOINT).
    #[arg(long, value_name = "VIEW")]
    pub view: Option<String>,
    /// How many of the most-disagreeing frames to list.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

/// `A`, `B`, ... `Z`, then `R27` ...
pub fn letter(i: usize) -> String {
    if i < 26 {
        ((b'A' + i as u8) as char).to_string()
    } else {
        format!("R{}", i + 1)
    }
}

/// A run's name: its folder's name, or the path as given when two runs share a name.
fn names(runs: &[PathBuf]) -> Vec<String> {
    let base = |p: &PathBuf| {
        let p = if p.is_file() {
            p.parent().unwrap_or(p)
        } else {
            p.as_path()
        };
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| escape_path(p).into_owned())
    };
    let b: Vec<String> = runs.iter().map(base).collect();
    runs.iter()
        .zip(&b)
        .map(|(p, n)| {
            if b.iter().filter(|x| *x == n).count() > 1 {
                escape_path(p).into_owned()
            } else {
                n.clone()
            }
        })
        .collect()
}

pub fn run(args: &CompareArgs) -> anyhow::Result<i32> {
    let named: Vec<(String, PathBuf)> = names(&args.runs)
        .into_iter()
        .zip(args.runs.iter().cloned())
        .collect();
    let c = Comparison::load_view(&named, args.view.as_deref())?;
    let sets: Vec<String> = match &args.set {
        Some(s) => vec![s.clone()],
        None => c.sets.clone(),
    };
    if args.json {
        crate::cli::out::print_json(&to_json(&c, args, &sets))?;
    } else {
        crate::cli::out::print(&text(&c, args, &sets))?;
    }
    Ok(0)
}

#[derive(Serialize)]
struct FrameJson<'a> {
    frame: &'a str,
    set: &'a str,
    a: f64,
    b: f64,
    diff: f64,
}

fn frame_json(f: &FramePair) -> FrameJson<'_> {
    FrameJson {
        frame: &f.frame,
        set: &f.set,
        a: f.a,
        b: f.b,
        diff: f.diff(),
    }
}

fn to_json(c: &Comparison, args: &CompareArgs, sets: &[String]) -> Value {
    let frame_set = args.set.as_deref().unwrap_or(ALL);
    let pick = |m: &BTreeMap<String, SetStats>| -> BTreeMap<String, SetStats> {
        m.iter()
            .filter(|(k, _)| sets.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let order = c.order(frame_set, args.sort);
    let per_keypoint: Vec<Value> = order
        .iter()
        .map(|&i| {
            let k = &c.per_keypoint[i];
            json!({ "keypoint": k.keypoint, "sets": pick(&k.sets) })
        })
        .collect();
    let pairs: Vec<Value> = c
        .pairs
        .iter()
        .map(|p| {
            json!({
                "a": c.runs[p.a].name,
                "b": c.runs[p.b].name,
                "matched": p.frames.len(),
                "only_a": p.only_a,
                "only_b": p.only_b,
                "no_error": p.no_error,
                "top": p.top(frame_set, args.top).into_iter().map(frame_json).collect::<Vec<_>>(),
                "frames": p.in_set(frame_set).map(frame_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "runs": c.runs,
        "keypoints": c.keypoints,
        "sets": sets,
        "sort": args.sort,
        "per_keypoint": per_keypoint,
        "pooled": pick(&c.pooled),
        "pairs": pairs,
    })
}

/// A number with two decimals, `-` for none; `signed` adds `+` to a positive one.
fn num(v: Option<f64>, signed: bool) -> String {
    match v {
        Some(x) if signed => format!("{x:+.2}"),
        Some(x) => format!("{x:.2}"),
        None => "-".into(),
    }
}

fn text(c: &Comparison, args: &CompareArgs, sets: &[String]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let nr = c.runs.len();
    let name_w = c
        .runs
        .iter()
        .map(|r| clean(&r.name).chars().count())
        .max()
        .unwrap_or(4);
    for (i, r) in c.runs.iter().enumerate() {
        let per: Vec<String> = ["train", "validation", "test"]
            .iter()
            .filter_map(|k| r.n_frames.get(*k).map(|n| format!("{k} {n}")))
            .collect();
        let _ = writeln!(
            s,
            "{}  {:<name_w$}  {}  {} frames ({})",
            letter(i),
            clean(&r.name),
            escape_path(&r.csv),
            r.n_frames.get(ALL).copied().unwrap_or(0),
            per.join(", ")
        );
    }
    let kp_w = c
        .keypoints
        .iter()
        .map(|k| clean(k).chars().count())
        .max()
        .unwrap_or(0)
        .max("all keypoints".len());
    const W: usize = 8;
    for set in sets {
        let n = c.runs[0].n_frames.get(set).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "\n{set} ({n} frames of A); pixel error, B-A > 0: B is worse"
        );
        // Two groups (median, p90): each run, then each later run minus A.
        let group = nr + (nr - 1);
        let gw = group * (W + 1);
        let groups = format!("{:<kp_w$}  {:<gw$} {}", "", "median", "p90");
        let _ = writeln!(s, "{}", groups.trim_end());
        let mut head = format!("{:<kp_w$} ", "keypoint");
        for _ in 0..2 {
            for i in 0..nr {
                let _ = write!(head, " {:>W$}", letter(i));
            }
            for i in 1..nr {
                let _ = write!(head, " {:>W$}", format!("{}-A", letter(i)));
            }
            head.push(' ');
        }
        let _ = writeln!(s, "{}", head.trim_end());
        let row = |s: &mut String, label: &str, st: Option<&SetStats>| {
            let mut line = format!("{:<kp_w$} ", label);
            for med in [true, false] {
                for i in 0..nr {
                    let v = st
                        .and_then(|x| x.runs.get(i))
                        .and_then(|b| if med { b.median } else { b.p90 });
                    let _ = write!(line, " {:>W$}", num(v, false));
                }
                for i in 0..nr - 1 {
                    let v = st
                        .and_then(|x| x.diff.get(i))
                        .and_then(|d| if med { d.median } else { d.p90 });
                    let _ = write!(line, " {:>W$}", num(v, true));
                }
                line.push(' ');
            }
            let _ = writeln!(s, "{}", line.trim_end());
        };
        for i in c.order(set, args.sort) {
            let k = &c.per_keypoint[i];
            row(&mut s, &clean(&k.keypoint), k.sets.get(set));
        }
        row(&mut s, "all keypoints", c.pooled.get(set));
    }
    let frame_set = args.set.as_deref().unwrap_or(ALL);
    for p in &c.pairs {
        let (a, b) = (letter(p.a), letter(p.b));
        let top = p.top(frame_set, args.top);
        let _ = writeln!(
            s,
            "\nframes where {a} and {b} disagree most ({frame_set}: {} of the {} matched frames{}; mean pixel error over keypoints)",
            p.in_set(frame_set).count(),
            p.frames.len(),
            unmatched(p.only_a, p.only_b, p.no_error, &a, &b)
        );
        if top.is_empty() {
            let _ = writeln!(s, "  none");
            continue;
        }
        let fw = top
            .iter()
            .map(|f| clean(&f.frame).chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            s,
            "{:<fw$}  {:<10} {:>W$} {:>W$} {:>W$}",
            "frame",
            "set",
            a,
            b,
            format!("{b}-{a}")
        );
        for f in top {
            let _ = writeln!(
                s,
                "{:<fw$}  {:<10} {:>W$} {:>W$} {:>W$}",
                clean(&f.frame),
                clean(&f.set),
                num(Some(f.a), false),
                num(Some(f.b), false),
                num(Some(f.diff()), true)
            );
        }
    }
    s
}

fn unmatched(only_a: usize, only_b: usize, none: usize, a: &str, b: &str) -> String {
    let mut parts = Vec::new();
    if only_a > 0 {
        parts.push(format!("{only_a} only in {a}"));
    }
    if only_b > 0 {
        parts.push(format!("{only_b} only in {b}"));
    }
    if none > 0 {
        parts.push(format!("{none} without any error"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(", "))
    }
}
