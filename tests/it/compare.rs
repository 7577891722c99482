//! `posedeck compare` on a real Lightning Pose run (../shared/data/lp-real-model) and a copy
//! of it whose errors are shifted by a known amount per frame, so every expected number is
//! computed here independently (and with pandas when the peer venv is there).

use crate::common::run_posedeck;
use crate::shared_or_skip;
use std::path::{Path, PathBuf};

pub const CSV: &str = "predictions_pixel_error.csv";

/// The real file as (header, rows of (frame, values, set)).
pub type Table = (Vec<String>, Vec<(String, Vec<f64>, String)>);

pub fn read(p: &Path) -> Table {
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let vals = f[1..f.len() - 1]
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        f64::NAN
                    } else {
                        v.parse().unwrap()
                    }
                })
                .collect();
            (f[0].to_owned(), vals, f[f.len() - 1].to_owned())
        })
        .collect();
    (header, rows)
}

pub fn write(p: &Path, (header, rows): &Table) {
    let mut s = header.join(",");
    s.push('\n');
    for (frame, vals, set) in rows {
        s.push_str(frame);
        for v in vals {
            s.push(',');
            if !v.is_nan() {
                s.push_str(&format!("{v:?}"));
            }
        }
        s.push(',');
        s.push_str(set);
        s.push('\n');
    }
    std::fs::write(p, s).unwrap();
}

/// The shift of row `i` (distinct for the 90 rows: 37 is prime to 90).
pub fn shift(i: usize) -> f64 {
    ((i * 37) % 90) as f64 * 0.25
}

/// A temporary project with the real tiny_cpu_model and `shifted` (its errors + shift(row)).
pub fn project(data: &Path) -> (tempfile::TempDir, PathBuf, PathBuf, Table, Table) {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("models/tiny_cpu_model");
    let b = tmp.path().join("models/shifted");
    crate::tui::copy_dir(&data.join("lp-real-model/tiny_cpu_model"), &a);
    std::fs::create_dir_all(&b).unwrap();
    let ta = read(&a.join(CSV));
    let mut tb = ta.clone();
    for (i, r) in tb.1.iter_mut().enumerate() {
        for v in &mut r.1 {
            *v += shift(i);
        }
    }
    write(&b.join(CSV), &tb);
    (tmp, a, b, ta, tb)
}

/// pandas' median and quantile(q) (linear), from sorted values.
fn q(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = pos - lo as f64;
    let d = sorted[hi] - sorted[lo];
    if t >= 0.5 {
        sorted[hi] - d * (1.0 - t)
    } else {
        sorted[lo] + d * t
    }
}
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn column(t: &Table, k: usize, set: &str) -> Vec<f64> {
    let mut v: Vec<f64> =
        t.1.iter()
            .filter(|r| set == "all" || r.2 == set)
            .map(|r| r.1[k])
            .filter(|v| !v.is_nan())
            .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run_posedeck(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn compare_two_runs_numbers_and_frames() {
    let data = shared_or_skip!();
    let (_tmp, a, b, ta, tb) = project(&data);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let j = json(&["compare", a, b, "--json", "--top", "5"]);
    assert_eq!(j["runs"][0]["name"], "tiny_cpu_model");
    assert_eq!(j["runs"][1]["name"], "shifted");
    assert_eq!(j["runs"][0]["n_frames"]["validation"], 9);
    assert_eq!(
        j["sets"],
        serde_json::json!(["train", "validation", "test", "all"])
    );
    let kps = j["keypoints"].as_array().unwrap();
    assert_eq!(kps.len(), 17);
    assert_eq!(kps[0], "paw1LH_top");
    for (k, row) in j["per_keypoint"].as_array().unwrap().iter().enumerate() {
        assert_eq!(row["keypoint"], ta.0[k + 1]);
        for set in ["train", "validation", "test", "all"] {
            let st = &row["sets"][set];
            for (r, t) in [&ta, &tb].into_iter().enumerate() {
                let v = column(t, k, set);
                let got = &st["runs"][r];
                assert_eq!(got["n"], v.len(), "{k} {set}");
                assert_eq!(got["median"].as_f64(), Some(median(&v)), "{k} {set} {r}");
                assert_eq!(got["p90"].as_f64(), Some(q(&v, 0.9)), "{k} {set} {r}");
                assert_eq!(got["q1"].as_f64(), Some(q(&v, 0.25)), "{k} {set} {r}");
                assert_eq!(got["q3"].as_f64(), Some(q(&v, 0.75)), "{k} {set} {r}");
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                assert!((got["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
            }
            let (va, vb) = (column(&ta, k, set), column(&tb, k, set));
            assert_eq!(
                st["diff"][0]["median"].as_f64(),
                Some(median(&vb) - median(&va))
            );
            assert_eq!(
                st["diff"][0]["p90"].as_f64(),
                Some(q(&vb, 0.9) - q(&va, 0.9))
            );
        }
    }
    // Frame by frame: every frame matched, B - A is the row's shift, the top 5 are the rows
    // with the largest shifts.
    let p = &j["pairs"][0];
    assert_eq!(
        (p["a"].as_str(), p["b"].as_str()),
        (Some("tiny_cpu_model"), Some("shifted"))
    );
    assert_eq!(p["matched"], 90);
    assert_eq!(
        (p["only_a"].as_u64(), p["only_b"].as_u64()),
        (Some(0), Some(0))
    );
    for (i, f) in p["frames"].as_array().unwrap().iter().enumerate() {
        assert_eq!(f["frame"], ta.1[i].0);
        assert!((f["diff"].as_f64().unwrap() - shift(i)).abs() < 1e-9);
    }
    let mut by_shift: Vec<usize> = (0..90).collect();
    by_shift.sort_by(|&x, &y| shift(y).total_cmp(&shift(x)));
    let top: Vec<(&str, &str)> = p["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["frame"].as_str().unwrap(), f["set"].as_str().unwrap()))
        .collect();
    let want: Vec<(&str, &str)> = by_shift[..5]
        .iter()
        .map(|&i| (ta.1[i].0.as_str(), ta.1[i].2.as_str()))
        .collect();
    assert_eq!(top, want);

    // --set validation: only that set's stats and frames; top frames are validation ones.
    let j = json(&[
        "compare",
        a,
        b,
        "--json",
        "--set",
        "validation",
        "--top",
        "3",
    ]);
    assert_eq!(j["sets"], serde_json::json!(["validation"]));
    assert!(j["per_keypoint"][0]["sets"]["train"].is_null());
    let p = &j["pairs"][0];
    assert_eq!(p["frames"].as_array().unwrap().len(), 9);
    let val: Vec<usize> = by_shift
        .iter()
        .copied()
        .filter(|&i| ta.1[i].2 == "validation")
        .collect();
    let top: Vec<&str> = p["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["frame"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = val[..3].iter().map(|&i| ta.1[i].0.as_str()).collect();
    assert_eq!(top, want);

    // --sort diff: largest |median difference| on validation first.
    let j = json(&[
        "compare",
        a,
        b,
        "--json",
        "--set",
        "validation",
        "--sort",
        "diff",
    ]);
    let d: Vec<f64> = j["per_keypoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["sets"]["validation"]["diff"][0]["median"]
                .as_f64()
                .unwrap()
                .abs()
        })
        .collect();
    assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");

    // The table: one row per keypoint with both medians, the difference and the top frames.
    let (code, out, err) = run_posedeck(&["compare", a, b, "--set", "validation", "--top", "3"]);
    assert_eq!(code, 0, "{err}");
    let (va, vb) = (column(&ta, 0, "validation"), column(&tb, 0, "validation"));
    let line = out.lines().find(|l| l.starts_with("paw1LH_top ")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1], format!("{:.2}", median(&va)), "{line}");
    assert_eq!(cells[2], format!("{:.2}", median(&vb)), "{line}");
    assert_eq!(
        cells[3],
        format!("{:+.2}", median(&vb) - median(&va)),
        "{line}"
    );
    assert!(out.contains("all keypoints"), "{out}");
    assert!(
        out.contains("frames where A and B disagree most (validation"),
        "{out}"
    );
    for f in want {
        assert!(out.contains(f), "{f} in\n{out}");
    }
}

#[test]
fn compare_agrees_with_pandas() {
    let data = shared_or_skip!();
    let Some(py) = crate::common::peer_python() else {
        return;
    };
    let (_tmp, a, b, _, _) = project(&data);
    let j = json(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--json",
    ]);
    let script = r#"
import json, sys
import pandas as pd
a = pd.read_csv(sys.argv[1], index_col=0); b = pd.read_csv(sys.argv[2], index_col=0)
kps = [c for c in a.columns if c != "set"]
out = {}
for k in kps:
    for s in ["train", "validation", "test"]:
        for name, df in (("a", a), ("b", b)):
            x = df[df.set == s][k]
            out[f"{k}|{s}|{name}"] = [x.median(), x.quantile(0.25), x.quantile(0.75), x.quantile(0.9), x.mean()]
d = (b[kps].mean(axis=1) - a[kps].mean(axis=1))
out["top"] = list(d.abs().sort_values(ascending=False, kind="stable").index[:10])
print(json.dumps(out))
"#;
    let got = crate::common::run_python(
        &py,
        script,
        &[a.join(CSV).to_str().unwrap(), b.join(CSV).to_str().unwrap()],
    );
    let pd: serde_json::Value = serde_json::from_str(&got).unwrap();
    for row in j["per_keypoint"].as_array().unwrap() {
        let k = row["keypoint"].as_str().unwrap();
        for s in ["train", "validation", "test"] {
            for (r, name) in ["a", "b"].iter().enumerate() {
                let want = &pd[format!("{k}|{s}|{name}")];
                let st = &row["sets"][s]["runs"][r];
                for (i, f) in ["median", "q1", "q3", "p90", "mean"].iter().enumerate() {
                    let (x, y) = (st[f].as_f64().unwrap(), want[i].as_f64().unwrap());
                    assert!(
                        (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                        "{k} {s} {name} {f}: {x} vs {y}"
                    );
                }
            }
        }
    }
    let top: Vec<&str> = j["pairs"][0]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["frame"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = pd["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(top, want);
}

fn one_line_error(args: &[&str], names: &str) -> String {
    let (code, out, err) = run_posedeck(args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("posedeck: error: "), "{err}");
    assert!(err.contains(names), "{names} in {err}");
    err
}

#[test]
fn compare_errors_are_one_line_naming_the_file() {
    let data = shared_or_skip!();
    let (tmp, a, b, ta, _) = project(&data);
    let a_s = a.to_str().unwrap();
    // A run that never finished training: no pixel errors.
    let mid = tmp.path().join("models/app_style_model_midtraining");
    crate::tui::copy_dir(
        &data.join("lp-real-model/app_style_model_midtraining"),
        &mid,
    );
    let e = one_line_error(
        &["compare", a_s, mid.to_str().unwrap()],
        &mid.join(CSV).display().to_string(),
    );
    assert!(e.contains("missing"), "{e}");
    // Different keypoints: one renamed.
    let other = tmp.path().join("models/other");
    std::fs::create_dir_all(&other).unwrap();
    let mut t = ta.clone();
    t.0[1] = "ear".into();
    write(&other.join(CSV), &t);
    let e = one_line_error(
        &["compare", a_s, other.to_str().unwrap()],
        &other.join(CSV).display().to_string(),
    );
    assert!(
        e.contains("keypoints differ") && e.contains("only here: ear; missing here: paw1LH_top"),
        "{e}"
    );
    // A damaged CSV: a cell that is not a number, on line 4.
    let text = std::fs::read_to_string(b.join(CSV)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[3] = lines[3].replacen(",", ",x1\u{1b}[31m", 2);
    std::fs::write(b.join(CSV), lines.join("\n")).unwrap();
    let e = one_line_error(
        &["compare", a_s, b.to_str().unwrap()],
        &format!("{}:4", b.join(CSV).display()),
    );
    assert!(!e.contains('\u{1b}'), "control characters escaped: {e}");
    // Fewer than two runs, and a path that is not there: usage errors, exit 2.
    let (code, _, _) = run_posedeck(&["compare", a_s]);
    assert_eq!(code, 2);
    one_line_error(&["compare", a_s, "/no/such/run"], "/no/such/run");
}

/// A multiview run folder: `predictions_<view>_pixel_error.csv` per view, no
/// `predictions_pixel_error.csv` (as Lightning Pose writes a multiview model's errors).
/// Each view's frames are its own images (`labeled-data/<video>_<view>/...`, as in Lightning
/// Pose's multiview layout).
fn multiview(dir: &Path, views: &[(&str, &Table)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (v, t) in views {
        let mut t = (*t).clone();
        for r in &mut t.1 {
            let (video, img) = r.0.rsplit_once('/').unwrap();
            r.0 = format!("{video}_{v}/{img}");
        }
        write(&dir.join(format!("predictions_{v}_pixel_error.csv")), &t);
    }
}

#[test]
fn compare_multiview_runs_per_view_and_together() {
    let data = shared_or_skip!();
    let (tmp, _a, _b, ta, tb) = project(&data);
    // Run A: top = the real errors, bot = shifted; run B: the other way round.
    let ma = tmp.path().join("models/mv_a");
    let mb = tmp.path().join("models/mv_b");
    multiview(&ma, &[("top", &ta), ("bot", &tb)]);
    multiview(&mb, &[("top", &tb), ("bot", &ta)]);
    let (sa, sb) = (ma.to_str().unwrap(), mb.to_str().unwrap());

    // Every view together: keypoints as VIEW/KEYPOINT, bot's first (views sorted).
    let j = json(&["compare", sa, sb, "--json", "--top", "3"]);
    let kps: Vec<&str> = j["keypoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(kps.len(), 34);
    assert_eq!(kps[0], format!("bot/{}", ta.0[1]));
    assert_eq!(kps[17], format!("top/{}", ta.0[1]));
    assert_eq!(j["runs"][0]["n_frames"]["all"], 180);
    assert_eq!(j["runs"][0]["n_frames"]["validation"], 18);
    // top/<first keypoint>, validation: A's median is the real file's, B's the shifted one's.
    let row = &j["per_keypoint"][17]["sets"]["validation"];
    let med_a = median(&column(&ta, 0, "validation"));
    let med_b = median(&column(&tb, 0, "validation"));
    assert!((row["runs"][0]["median"].as_f64().unwrap() - med_a).abs() < 1e-9);
    assert!((row["runs"][1]["median"].as_f64().unwrap() - med_b).abs() < 1e-9);
    // Frames: each view's frames are matched with the same view's in B.
    assert_eq!(j["pairs"][0]["matched"], 180);
    assert_eq!(j["pairs"][0]["only_a"], 0);

    // One view: unqualified keypoints, the same numbers as the single-view comparison.
    let one = json(&["compare", sa, sb, "--json", "--view", "top"]);
    let single = json(&[
        "compare",
        tmp.path().join("models/tiny_cpu_model").to_str().unwrap(),
        tmp.path().join("models/shifted").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(one["keypoints"], single["keypoints"]);
    assert_eq!(one["per_keypoint"], single["per_keypoint"]);

    // A view the runs do not have: one line naming the run folder and the views it has.
    let (code, out, err) = run_posedeck(&["compare", sa, sb, "--view", "side"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("mv_a") && err.contains("predictions_side_pixel_error.csv"),
        "{err}"
    );
    assert!(err.contains("bot, top"), "{err}");
}
