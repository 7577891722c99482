//! `posedeck labels extract` on real files: every method on the demo project (PNG frame
//! folders) and on `test_vid.mp4` (decoded in-process; the images equal ffmpeg's decode and
//! the decoder's frames pixel for pixel), the queue in the Lightning Pose app's format and
//! counted by `status`, the outlier ranking against an independent computation on
//! lp-real-model's real video_preds CSVs, k-means determinism, and hostile inputs.

use crate::common::{copy_dir, posedeck, run_posedeck};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn extract(project: &Path, args: &[&str]) -> Value {
    let mut all = vec!["labels", "extract", project.to_str().unwrap()];
    all.extend_from_slice(args);
    all.push("--json");
    let (code, out, err) = run_posedeck(&all);
    assert_eq!(code, 0, "{all:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn frames_of(v: &Value) -> Vec<usize> {
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["frame"].as_u64().unwrap() as usize)
        .collect()
}

/// The queue's lines as (frame_path, predictions).
fn queue(project: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(project.join("CollectedData.unlabeled.jsonl")).unwrap();
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| {
            // The app's pydantic model_dump_json: compact, frame_path then predictions.
            assert!(l.starts_with("{\"frame_path\":\""), "{l}");
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["frame_path"].as_str().unwrap().to_string(),
                v["predictions"].clone(),
            )
        })
        .collect()
}

fn demo(dir: &Path) -> PathBuf {
    let p = dir.join("demo");
    let (code, _, err) = run_posedeck(&[
        "demo",
        "--no-tui",
        "--dir",
        p.to_str().unwrap(),
        "--frames",
        "40",
    ]);
    assert_eq!(code, 0, "{err}");
    p
}

fn labeled_frames(csv: &Path, stem: &str) -> BTreeSet<usize> {
    let prefix = format!("labeled-data/{stem}/img");
    std::fs::read_to_string(csv)
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.split(',')
                .next()?
                .strip_prefix(&prefix)?
                .strip_suffix(".png")?
                .parse()
                .ok()
        })
        .collect()
}

fn n_queued(project: &Path) -> u64 {
    let out =
        crate::common::output_ok(posedeck().args(["status", project.to_str().unwrap(), "--json"]));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    j["labeling_queue"]["n_queued_frames"].as_u64().unwrap()
}

#[test]
fn every_method_on_the_demo_frame_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let p = demo(tmp.path());
    let labeled = labeled_frames(&p.join("CollectedData.csv"), "walk_01");
    assert!(!labeled.is_empty());
    let mut queued_total = 0;
    let mut all_chosen = BTreeSet::new();
    for args in [
        vec!["--method", "manual", "--frames", "1,2,59"],
        vec!["--method", "uniform", "--n", "5"],
        vec!["--method", "kmeans", "--n", "6"],
    ] {
        let mut a = vec!["--video", "walk_01"];
        a.extend(args.iter().copied());
        let v = extract(&p, &a);
        let frames = frames_of(&v);
        if args[1] == "manual" {
            assert_eq!(frames, vec![1, 2, 59]);
        } else {
            assert_eq!(frames.len(), args[3].parse::<usize>().unwrap());
            // Never a labeled, already queued or last-two frame.
            for f in &frames {
                assert!(
                    !labeled.contains(f) && !all_chosen.contains(f) && *f < 58,
                    "{f}"
                );
            }
        }
        queued_total += frames.len();
        all_chosen.extend(frames.iter().copied());
        assert_eq!(v["queued"].as_u64().unwrap() as usize, frames.len());
        // Each chosen frame and its ±2 neighbours are the source frames (the images written
        // are the source PNGs byte for byte; the ones already there have the same pixels).
        for &f in &frames {
            for g in f.saturating_sub(2)..=(f + 2).min(59) {
                let name = format!("img{g:08}.png");
                let got = p.join("labeled-data/walk_01").join(&name);
                let src = p.join("videos/walk_01").join(&name);
                assert!(
                    png_rgb(&got) == png_rgb(&src),
                    "{name} differs from the source frame"
                );
            }
        }
        for w in v["written"].as_array().unwrap() {
            let got = PathBuf::from(w.as_str().unwrap());
            let src = p.join("videos/walk_01").join(got.file_name().unwrap());
            assert!(std::fs::read(&got).unwrap() == std::fs::read(&src).unwrap());
        }
    }
    let q = queue(&p);
    assert_eq!(q.len(), queued_total);
    let paths: BTreeSet<String> = q.iter().map(|e| e.0.clone()).collect();
    assert_eq!(paths.len(), q.len(), "a frame queued twice");
    for f in &all_chosen {
        assert!(paths.contains(&format!("labeled-data/walk_01/img{f:08}.png")));
    }
    assert!(q.iter().all(|e| e.1.is_null()));
    // status counts the queue (the demo's Label Studio counts stay the labeling progress).
    assert_eq!(n_queued(&p), queued_total as u64);
    // The labels CSV was not touched.
    let (code, out, _) = run_posedeck(&["status", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("labeling queue: {queued_total} frames to label")),
        "{out}"
    );
}

#[test]
fn kmeans_is_deterministic_and_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    let a = demo(&tmp.path().join("a"));
    let b = demo(&tmp.path().join("b"));
    let fa = frames_of(&extract(
        &a,
        &["--video", "walk_02", "--method", "kmeans", "--n", "12"],
    ));
    let fb = frames_of(&extract(
        &b,
        &["--video", "walk_02", "--method", "kmeans", "--n", "12"],
    ));
    assert_eq!(fa, fb);
    assert_eq!(fa.iter().collect::<BTreeSet<_>>().len(), 12);
    assert_eq!(
        std::fs::read(a.join("CollectedData.unlabeled.jsonl")).unwrap(),
        std::fs::read(b.join("CollectedData.unlabeled.jsonl")).unwrap()
    );
}

/// A project around lp-mirror-mouse's CSV and video, with lp-real-model's run as `tiny`.
fn mouse(data: &Path, dir: &Path) -> PathBuf {
    let p = dir.join("mouse");
    std::fs::create_dir_all(p.join("videos")).unwrap();
    std::fs::copy(
        data.join("lp-mirror-mouse/CollectedData.csv"),
        p.join("CollectedData.csv"),
    )
    .unwrap();
    std::fs::copy(
        data.join("lp-mirror-mouse/videos/test_vid.mp4"),
        p.join("videos/test_vid.mp4"),
    )
    .unwrap();
    copy_dir(
        &data.join("lp-real-model/tiny_cpu_model"),
        &p.join("models/tiny"),
    );
    p
}

fn png_rgb(p: &Path) -> (u32, u32, Vec<u8>) {
    let img = image::open(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .to_rgb8();
    (img.width(), img.height(), img.into_raw())
}

#[test]
fn test_vid_frames_equal_the_decoded_source() {
    let data = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = mouse(&data, tmp.path());
    let dir = p.join("labeled-data/test_vid");
    // ffmpeg's own rgb24 decode of frames 0, 498 and 993.
    let v = extract(
        &p,
        &[
            "--video",
            "test_vid",
            "--method",
            "manual",
            "--frames",
            "0,498,993",
        ],
    );
    assert_eq!(frames_of(&v), vec![0, 498, 993]);
    for f in [0usize, 498, 993] {
        let want = png_rgb(&data.join(format!("video-ref/test_vid.frame{f:05}.png")));
        assert!(
            png_rgb(&dir.join(format!("img{f:08}.png"))) == want,
            "frame {f} differs from ffmpeg's"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let want: Vec<String> = [0, 1, 2, 496, 497, 498, 499, 500, 991, 992, 993]
        .iter()
        .map(|f| format!("img{f:08}.png"))
        .collect();
    assert_eq!(names, want);
    // uniform, kmeans and outliers: every written image is the in-process decoder's frame
    // (itself checked against ffmpeg's framemd5 in the video tests).
    let video = p.join("videos/test_vid.mp4");
    for args in [
        vec!["--method", "uniform", "--n", "4"],
        vec!["--method", "kmeans", "--n", "4"],
        vec![
            "--method", "outliers", "--model", "tiny", "--metric", "temporal", "--n", "3",
        ],
    ] {
        let mut a = vec!["--video", "test_vid"];
        a.extend(args.iter().copied());
        let v = extract(&p, &a);
        assert_eq!(
            frames_of(&v).len(),
            args.last().unwrap().parse::<usize>().unwrap()
        );
        for w in v["written"].as_array().unwrap() {
            let path = PathBuf::from(w.as_str().unwrap());
            let f: usize = path.file_stem().unwrap().to_str().unwrap()[3..]
                .parse()
                .unwrap();
            let src = posedeck::video::frame_rgb(&video, f).unwrap();
            assert!(
                png_rgb(&path) == (src.width, src.height, src.pixels),
                "{}",
                path.display()
            );
        }
    }
    assert_eq!(n_queued(&p), 3 + 4 + 4 + 3);
}

/// Lightning Pose's metric CSVs read directly: (frame, worst value over keypoints, keypoint).
fn worst_per_frame(
    path: &Path,
    header_rows: usize,
    lowest: bool,
    likelihood_only: bool,
) -> Vec<(usize, f64, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Pose CSV: bodyparts and coords rows; metric CSV: one row of keypoints.
    let kps: Vec<&str> = lines[header_rows.saturating_sub(2)].split(',').collect();
    let coords: Vec<&str> = lines[header_rows - 1].split(',').collect();
    let mut out = Vec::new();
    for l in &lines[header_rows..] {
        let cells: Vec<&str> = l.split(',').collect();
        let frame: usize = cells[0].parse().unwrap();
        let mut best: Option<(f64, String)> = None;
        for (i, c) in cells.iter().enumerate().skip(1) {
            if likelihood_only && coords[i] != "likelihood" {
                continue;
            }
            let Ok(v) = c.parse::<f64>() else { continue };
            if v.is_nan() {
                continue;
            }
            let better = best
                .as_ref()
                .is_none_or(|b| if lowest { v < b.0 } else { v > b.0 });
            if better {
                best = Some((v, kps[i].to_string()));
            }
        }
        if let Some((v, k)) = best {
            out.push((frame, v, k));
        }
    }
    out
}

#[test]
fn outliers_rank_by_the_chosen_metric() {
    let data = crate::shared_or_skip!();
    let preds = data.join("lp-real-model/tiny_cpu_model/video_preds");
    let cases = [
        (
            "likelihood",
            preds.join("test_vid.csv"),
            3,
            true,
            "min likelihood",
        ),
        (
            "temporal",
            preds.join("test_vid_temporal_norm.csv"),
            1,
            false,
            "temporal norm",
        ),
        (
            "pca",
            preds.join("test_vid_pca_singleview_error.csv"),
            1,
            false,
            "PCA singleview error",
        ),
    ];
    for (metric, file, header_rows, lowest, what) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let p = mouse(&data, tmp.path());
        let v = extract(
            &p,
            &[
                "--video",
                "test_vid",
                "--method",
                "outliers",
                "--model",
                "tiny",
                "--metric",
                metric,
                "--n",
                "8",
                "--min-gap",
                "1",
            ],
        );
        // Independently: worst keypoint per frame, the 8 worst frames (not the last 2, which
        // have no room for context), ties to the earlier frame.
        let mut w = worst_per_frame(&file, header_rows, lowest, lowest);
        w.retain(|x| x.0 < 994 - 2);
        w.sort_by(|a, b| {
            let o = if lowest {
                a.1.total_cmp(&b.1)
            } else {
                b.1.total_cmp(&a.1)
            };
            o.then(a.0.cmp(&b.0))
        });
        let want: Vec<usize> = w.iter().take(8).map(|x| x.0).collect();
        assert_eq!(frames_of(&v), want, "{metric}");
        for (f, x) in v["frames"].as_array().unwrap().iter().zip(&w) {
            let r = f["reason"].as_str().unwrap();
            assert!(
                r.starts_with(what) && r.ends_with(&format!("({})", x.2)),
                "{r} vs {x:?}"
            );
        }
        // Printed as text, one reason per frame.
        let (code, out, err) = run_posedeck(&[
            "labels",
            "extract",
            p.to_str().unwrap(),
            "--video",
            "test_vid",
            "--method",
            "outliers",
            "--model",
            "tiny",
            "--metric",
            metric,
            "--n",
            "2",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.lines().next().unwrap().starts_with("frame "), "{out}");
        assert!(out.contains(what), "{out}");
    }
    // --min-gap keeps chosen frames apart.
    let tmp = tempfile::tempdir().unwrap();
    let p = mouse(&data, tmp.path());
    let f = frames_of(&extract(
        &p,
        &[
            "--video",
            "test_vid",
            "--method",
            "outliers",
            "--model",
            "tiny",
            "--metric",
            "temporal",
            "--n",
            "10",
            "--min-gap",
            "25",
        ],
    ));
    for a in &f {
        for b in &f {
            assert!(a == b || a.abs_diff(*b) >= 25, "{f:?}");
        }
    }
}

/// Every file under `dir` (relative paths), to prove nothing was written.
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.path().is_dir() {
                stack.push(e.path());
            }
            out.insert(e.path().strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out
}

fn refused(p: &Path, args: &[&str], needle: &str) {
    let before = tree(p);
    let mut all = vec!["labels", "extract", p.to_str().unwrap()];
    all.extend_from_slice(args);
    let (code, out, err) = run_posedeck(&all);
    assert_eq!(code, 2, "{args:?}: {out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert_eq!(tree(p), before, "{args:?} changed files");
}

#[test]
fn hostile_inputs_are_one_line_and_write_nothing() {
    let data = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = mouse(&data, tmp.path());
    // A truncated predictions CSV (cut inside a row).
    let csv = p.join("models/tiny/video_preds/test_vid.csv");
    let bytes = std::fs::read(&csv).unwrap();
    std::fs::write(&csv, &bytes[..bytes.len() / 2 + 17]).unwrap();
    refused(
        &p,
        &[
            "--video", "test_vid", "--method", "outliers", "--model", "tiny", "--n", "3",
        ],
        "test_vid.csv",
    );
    // More frames than the video has.
    refused(
        &p,
        &["--video", "test_vid", "--method", "uniform", "--n", "5000"],
        "5000 frames asked for",
    );
    let demo_p = demo(tmp.path());
    refused(
        &demo_p,
        &["--video", "walk_01", "--method", "kmeans", "--n", "61"],
        "61 frames asked for",
    );
    // A video that is not a video.
    std::fs::write(
        p.join("videos/fake.mp4"),
        b"this is not a video at all, just text\n".repeat(50),
    )
    .unwrap();
    refused(
        &p,
        &["--video", "fake", "--method", "uniform", "--n", "2"],
        "fake.mp4",
    );
    // A truncated video: the frames past the cut cannot be decoded.
    let cut = std::fs::read(p.join("videos/test_vid.mp4")).unwrap();
    std::fs::write(p.join("videos/cut.mp4"), &cut[..cut.len() / 2]).unwrap();
    refused(
        &p,
        &["--video", "cut", "--method", "manual", "--frames", "5,990"],
        "cut.mp4",
    );
    // A queue with a garbage line: named with its line, nothing rewritten.
    std::fs::write(
        p.join("CollectedData.unlabeled.jsonl"),
        "{\"frame_path\":\"labeled-data/test_vid/img00000001.png\",\"predictions\":null}\n<html>\n",
    )
    .unwrap();
    refused(
        &p,
        &["--video", "test_vid", "--method", "uniform", "--n", "2"],
        "CollectedData.unlabeled.jsonl:2:",
    );
    // An existing different image is never replaced.
    std::fs::remove_file(p.join("CollectedData.unlabeled.jsonl")).unwrap();
    std::fs::create_dir_all(p.join("labeled-data/test_vid")).unwrap();
    std::fs::copy(
        demo_p.join("videos/walk_01/img00000000.png"),
        p.join("labeled-data/test_vid/img00000011.png"),
    )
    .unwrap();
    refused(
        &p,
        &[
            "--video", "test_vid", "--method", "manual", "--frames", "10",
        ],
        "img00000011.png",
    );
}

/// A multiview project (views top and bot, one session `s1`): the same frames are chosen for
/// both views, written to each view's folder and queued in each view's queue in the same
/// order (the app pairs the i-th lines).
#[test]
fn multiview_sessions_extract_every_view() {
    let tmp = tempfile::tempdir().unwrap();
    let p = demo(tmp.path());
    std::fs::write(
        p.join("project.yaml"),
        "schema_version: 1\nview_names: [top, bot]\nkeypoint_names: [nose, left_ear, right_ear, tail_base, front_left_paw, front_right_paw, hind_left_paw, hind_right_paw, spine_mid, tail_tip]\n",
    )
    .unwrap();
    std::fs::rename(p.join("CollectedData.csv"), p.join("CollectedData_top.csv")).unwrap();
    std::fs::copy(
        p.join("CollectedData_top.csv"),
        p.join("CollectedData_bot.csv"),
    )
    .unwrap();
    std::fs::rename(p.join("videos/walk_01"), p.join("videos/s1_top")).unwrap();
    std::fs::rename(p.join("videos/walk_02"), p.join("videos/s1_bot")).unwrap();
    let v1 = frames_of(&extract(
        &p,
        &["--video", "s1_top", "--method", "kmeans", "--n", "4"],
    ));
    let v2 = frames_of(&extract(
        &p,
        &["--video", "s1_bot", "--method", "uniform", "--n", "3"],
    ));
    assert!(v2.iter().all(|f| !v1.contains(f)), "{v1:?} {v2:?}");
    let lines = |view: &str| -> Vec<String> {
        std::fs::read_to_string(p.join(format!("CollectedData_{view}.unlabeled.jsonl")))
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["frame_path"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let (top, bot) = (lines("top"), lines("bot"));
    assert_eq!(top.len(), 7);
    assert_eq!(
        top.iter()
            .map(|l| l.replace("s1_top", "s1_bot"))
            .collect::<Vec<_>>(),
        bot
    );
    for f in v1.iter().chain(&v2) {
        for view in ["top", "bot"] {
            for g in f.saturating_sub(2)..=(f + 2).min(59) {
                let name = format!("img{g:08}.png");
                let got = p.join(format!("labeled-data/s1_{view}")).join(&name);
                let src = p.join(format!("videos/s1_{view}")).join(&name);
                assert!(png_rgb(&got) == png_rgb(&src), "{view} {name}");
            }
        }
    }
    assert_eq!(n_queued(&p), 7);
    refused(
        &p,
        &["--video", "walk_03", "--method", "uniform", "--n", "2"],
        "names none of its views",
    );
}

/// `--with-predictions`: the queued frame carries the model's keypoints as the app stores
/// them (model_name, date_time, predictions [{keypoint_name, x, y}]), equal to the CSV's.
#[test]
fn queued_frames_carry_the_model_predictions() {
    let data = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = mouse(&data, tmp.path());
    extract(
        &p,
        &[
            "--video",
            "test_vid",
            "--method",
            "manual",
            "--frames",
            "5",
            "--model",
            "tiny",
            "--with-predictions",
        ],
    );
    let q = queue(&p);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, "labeled-data/test_vid/img00000005.png");
    let pr = &q[0].1;
    assert_eq!(pr["model_name"], "tiny");
    assert!(pr["date_time"].as_i64().unwrap() > 1_600_000_000_000);
    let text =
        std::fs::read_to_string(data.join("lp-real-model/tiny_cpu_model/video_preds/test_vid.csv"))
            .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kps: Vec<&str> = lines[1].split(',').collect();
    let row: Vec<&str> = lines[3 + 5].split(',').collect();
    assert_eq!(row[0], "5");
    let got = pr["predictions"].as_array().unwrap();
    assert_eq!(got.len(), 17);
    for (k, g) in got.iter().enumerate() {
        assert_eq!(g["keypoint_name"], kps[1 + 3 * k]);
        assert_eq!(
            g["x"].as_f64().unwrap(),
            row[1 + 3 * k].parse::<f64>().unwrap()
        );
        assert_eq!(
            g["y"].as_f64().unwrap(),
            row[2 + 3 * k].parse::<f64>().unwrap()
        );
    }
}

/// A canceled extraction (the flag set while the second view's frames are being written,
/// after the first view's were put in place) takes back every frame file it wrote and the
/// folders it made, and queues nothing, in either view.
#[test]
fn a_canceled_multiview_extraction_leaves_no_frame_and_no_queue_entry() {
    use posedeck::labels::extract::{Control, Method, Request, is_cancelled, run};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let p = demo(tmp.path());
    std::fs::rename(p.join("CollectedData.csv"), p.join("CollectedData_top.csv")).unwrap();
    std::fs::copy(
        p.join("CollectedData_top.csv"),
        p.join("CollectedData_bot.csv"),
    )
    .unwrap();
    std::fs::rename(p.join("videos/walk_01"), p.join("videos/s1_top")).unwrap();
    std::fs::rename(p.join("videos/walk_02"), p.join("videos/s1_bot")).unwrap();
    let req = Request {
        root: p.clone(),
        video: p.join("videos/s1_top"),
        csv: p.join("CollectedData_top.csv"),
        siblings: vec![(p.join("videos/s1_bot"), p.join("CollectedData_bot.csv"))],
        n: 3,
        method: Method::Uniform,
        context: 2,
        min_gap: 10,
        seed: 0,
        predictions_from: None,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let (c2, k2) = (Arc::clone(&calls), Arc::clone(&cancel));
    let ctl = Control {
        cancel: Arc::clone(&cancel),
        on_progress: Some(Arc::new(move |stage: &str, done, total| {
            if stage != "writing frames" {
                return;
            }
            // 15 frames a view (3 chosen, ±2 context), reported 0..=15: the first view done,
            // the second at its fourth frame.
            let n = c2.fetch_add(1, Ordering::SeqCst);
            if n == total + 1 + 3 {
                assert_eq!(done, 3);
                k2.store(true, Ordering::SeqCst);
            }
        })),
    };
    let e = run(&req, &ctl).expect_err("canceled");
    assert!(is_cancelled(&e), "{e}");
    assert!(
        calls.load(Ordering::SeqCst) > 16,
        "the first view was written first"
    );
    for view in ["top", "bot"] {
        let dir = p.join(format!("labeled-data/s1_{view}"));
        assert!(!dir.exists(), "{} left behind", dir.display());
        assert!(
            !p.join(format!("CollectedData_{view}.unlabeled.jsonl"))
                .exists()
        );
    }
    // No staged temporary anywhere in the project either.
    let mut stack = vec![p.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap().path();
            assert!(!e.to_string_lossy().ends_with(".tmp"), "{}", e.display());
            if e.is_dir() {
                stack.push(e);
            }
        }
    }
    // The same request without the cancel writes and queues everything.
    let r = run(&req, &Control::default()).unwrap();
    assert_eq!(r.queued, 3);
    assert_eq!(r.written.len(), 30);
}
