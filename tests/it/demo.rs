//! The demo generator: determinism, CSV = ground truth, images, keypoints on the body, the
//! CLI, and scaling with --frames / --keypoints.

use crate::common::{run_posedeck, run_python};
use posedeck::demo::project::{CONFIG_NAME, scene_for};
use posedeck::demo::{DemoSpec, GroundTruth, Missing, generate};
use posedeck::formats::csv::PoseTable;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn small(seed: u64) -> DemoSpec {
    DemoSpec {
        frames: 24,
        keypoints: 12,
        seed,
        width: 128,
        height: 96,
        videos: 3,
        clip_frames: 5,
    }
}

/// Every file under `dir` (relative path -> bytes).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_arguments_give_byte_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let t1 = generate(&small(5), &a).unwrap();
    let first = files(&a);
    std::fs::remove_dir_all(&a).unwrap();
    let t2 = generate(&small(5), &a).unwrap();
    assert_eq!(t1, t2);
    let second = files(&a);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (k, v) in &first {
        assert!(
            second[k] == *v,
            "{} differs between two generations",
            k.display()
        );
    }
    // 24 labeled + 3 x 5 clip frames, CSV, project.yaml, 2 label studio files, config.
    let pngs = first
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "png"));
    assert_eq!(pngs.count(), 24 + 15);

    // Another folder: identical except the config's absolute paths; another seed differs.
    let b = tmp.path().join("b");
    generate(&small(5), &b).unwrap();
    for (k, v) in files(&b) {
        if k == Path::new(CONFIG_NAME) {
            let text = String::from_utf8(v)
                .unwrap()
                .replace(b.to_str().unwrap(), "@");
            let orig = String::from_utf8(first[&k].clone())
                .unwrap()
                .replace(a.to_str().unwrap(), "@");
            assert_eq!(text, orig);
        } else {
            assert!(first[&k] == v, "{} differs between folders", k.display());
        }
    }
    let c = tmp.path().join("c");
    let t3 = generate(&small(6), &c).unwrap();
    assert_ne!(t1.frames[0].keypoints, t3.frames[0].keypoints);
}

#[test]
fn collected_data_equals_ground_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let spec = DemoSpec {
        frames: 90,
        clip_frames: 0,
        ..small(11)
    };
    let t = generate(&spec, &dir).unwrap();
    let csv = PoseTable::read(&dir.join("CollectedData.csv")).unwrap();
    assert_eq!(csv.scorer, "demo");
    assert_eq!(csv.keypoints, t.keypoint_names);
    assert_eq!(csv.coords, vec!["x", "y"]);
    assert_eq!(csv.n_rows(), 90);
    for (r, f) in t.frames.iter().enumerate() {
        assert_eq!(csv.index[r], f.image);
        for k in 0..t.keypoint_names.len() {
            match f.label(k) {
                Some([x, y]) => assert_eq!(csv.xy(r, k), Some((x, y)), "row {r} kp {k}"),
                None => assert!(csv.is_missing(r, k), "row {r} kp {k} should be empty"),
            }
        }
    }
    assert_eq!(csv.nan_cells(), 2 * t.missing_cells());
    assert_eq!(csv.rows_with_missing(), t.frames_with_missing());
    assert!(t.missing_cells() > 0);
}

#[test]
fn collected_data_reads_in_pandas() {
    let py = crate::peers_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let t = generate(&small(2), &dir).unwrap();
    let out = run_python(
        &py,
        "import sys, pandas as pd\n\
         df = pd.read_csv(sys.argv[1], header=[0,1,2], index_col=0)\n\
         print(df.shape[0], df.shape[1], int(df.isna().sum().sum()), df.columns.get_level_values(0)[0])\n\
         print(repr(float(df.iloc[0, 0])), df.index[0])",
        &[dir.join("CollectedData.csv").to_str().unwrap()],
    );
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("24 24 {} demo", 2 * t.missing_cells())
    );
    let first = t.frames[0]
        .label(0)
        .map_or("nan".to_string(), |p| format!("{:?}", p[0]));
    assert_eq!(
        lines.next().unwrap(),
        format!("{first} {}", t.frames[0].image)
    );
}

/// Every image decodes at the requested size; every labeled keypoint lies inside the image
/// and on the animal: its pixel differs clearly from the empty floor there.
#[test]
fn keypoints_lie_on_the_rendered_body() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let spec = DemoSpec {
        frames: 60,
        keypoints: 40,
        width: 160,
        height: 144,
        clip_frames: 2,
        ..small(3)
    };
    let t = generate(&spec, &dir).unwrap();
    let scenes: Vec<_> = (0..t.videos.len()).map(|v| scene_for(&spec, v)).collect();
    let mut checked = 0;
    let mut min_diff = u8::MAX;
    for f in &t.frames {
        let img = image::open(dir.join(&f.image)).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (160, 144), "{}", f.image);
        let v = t.videos.iter().position(|n| *n == f.video).unwrap();
        let floor = scenes[v].background().to_rgb8();
        for k in 0..t.keypoint_names.len() {
            let Some([x, y]) = f.label(k) else { continue };
            assert!((0.0..=159.0).contains(&x) && (0.0..=143.0).contains(&y));
            let (px, py) = (x.round() as u32, y.round() as u32);
            let got = img.get_pixel(px, py).0;
            let i = (py as usize * 160 + px as usize) * 3;
            let diff = (0..3).map(|c| got[c].abs_diff(floor[i + c])).max().unwrap();
            min_diff = min_diff.min(diff);
            assert!(
                diff >= 30,
                "{} {} at ({x}, {y}): pixel {got:?} vs floor {:?}",
                f.image,
                t.keypoint_names[k],
                &floor[i..i + 3]
            );
            checked += 1;
        }
    }
    assert!(checked > 60 * 30, "only {checked} keypoints checked");
    eprintln!("{checked} keypoints checked, smallest difference from the floor: {min_diff}");
    for v in &t.videos {
        for n in 0..2 {
            let p = dir.join(format!("videos/{v}/img{n:08}.png"));
            assert_eq!(image::open(&p).unwrap().to_rgb8().dimensions(), (160, 144));
        }
    }
}

#[test]
fn missing_keypoints_have_every_reason_and_a_sensible_share() {
    let tmp = tempfile::tempdir().unwrap();
    let t = generate(
        &DemoSpec {
            clip_frames: 0,
            ..DemoSpec::default()
        },
        &tmp.path().join("p"),
    )
    .unwrap();
    let cells = (t.frames.len() * t.keypoint_names.len()) as f64;
    let share = t.missing_cells() as f64 / cells;
    assert!((0.02..0.12).contains(&share), "missing share {share}");
    for why in [Missing::OutOfFrame, Missing::Occluded, Missing::Unlabeled] {
        assert!(t.missing_because(why) > 0, "no {why:?} cells");
    }
    // Out-of-frame cells really are outside the image.
    for f in &t.frames {
        for (p, m) in f.keypoints.iter().zip(&f.missing) {
            let inside = (0.0..=255.0).contains(&p[0]) && (0.0..=255.0).contains(&p[1]);
            assert_eq!(*m == Some(Missing::OutOfFrame), !inside);
        }
    }
    // The skeleton is a tree over the keypoints.
    assert_eq!(t.skeleton.len(), t.keypoint_names.len() - 1);
    assert!(
        t.skeleton
            .iter()
            .flatten()
            .all(|&i| i < t.keypoint_names.len())
    );
}

#[test]
fn cli_generates_and_scales_with_frames_and_keypoints() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("cli");
    let (code, out, err) = run_posedeck(&[
        "demo",
        "--dir",
        d.to_str().unwrap(),
        "--no-tui",
        "--frames",
        "7",
        "--keypoints",
        "33",
        "--size",
        "96x80",
        "--videos",
        "2",
        "--clip-frames",
        "0",
        "--seed",
        "4",
    ]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let csv = PoseTable::read(&d.join("CollectedData.csv")).unwrap();
    assert_eq!(csv.n_rows(), 7);
    assert_eq!(csv.n_keypoints(), 33);
    let videos = csv.videos();
    assert_eq!(videos.len(), 2);
    assert_eq!(videos[0].rows.len(), 4);
    for idx in &csv.index {
        let img = image::open(d.join(idx)).unwrap();
        assert_eq!((img.width(), img.height()), (96, 80));
    }
    // Same as the library with the same spec.
    let lib = tmp.path().join("lib");
    let t: GroundTruth = generate(
        &DemoSpec {
            frames: 7,
            keypoints: 33,
            seed: 4,
            width: 96,
            height: 80,
            videos: 2,
            clip_frames: 0,
        },
        &lib,
    )
    .unwrap();
    assert_eq!(
        std::fs::read(lib.join("CollectedData.csv")).unwrap(),
        std::fs::read(d.join("CollectedData.csv")).unwrap()
    );
    assert_eq!(t.keypoint_names, csv.keypoints);
    let meta = std::fs::read_to_string(d.join("label_studio_metadata.yaml")).unwrap();
    assert!(meta.contains("n_labeled_tasks: 7"));
    let ls = std::fs::read_to_string(d.join("label_studio_config.xml")).unwrap();
    assert_eq!(ls.matches("<Label value=").count(), 33);
    let project = std::fs::read_to_string(d.join("project.yaml")).unwrap();
    assert!(project.contains("schema_version"));
    assert!(project.contains("- tail_base"));
    let cfg = std::fs::read_to_string(d.join(CONFIG_NAME)).unwrap();
    assert!(cfg.contains("num_keypoints: 33"));
    assert!(cfg.contains("backbone: resnet18"));
}

#[test]
fn cli_rejects_bad_arguments_and_never_touches_a_full_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("full");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("mine.txt"), b"keep me").unwrap();
    let (code, _, err) = run_posedeck(&["demo", "--dir", d.to_str().unwrap(), "--no-tui"]);
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    assert_eq!(std::fs::read(d.join("mine.txt")).unwrap(), b"keep me");
    let e = tmp.path().join("e");
    for (args, msg) in [
        (vec!["--keypoints", "0"], "--keypoints"),
        (vec!["--keypoints", "65"], "--keypoints"),
        (vec!["--frames", "0"], "--frames"),
        (vec!["--size", "10x10"], "width"),
        (vec!["--size", "big"], "WIDTHxHEIGHT"),
    ] {
        let mut all = vec!["demo", "--no-tui", "--dir", e.to_str().unwrap()];
        all.extend(args);
        let (code, _, err) = run_posedeck(&all);
        assert_eq!(code, 2, "{all:?}");
        assert!(err.contains(msg), "{all:?}: {err}");
        assert!(!e.exists(), "{all:?} created the folder");
    }
}

/// A small benchmark project: the run layouts, statuses, CSVs and events files are what the
/// spec says, and they read back through posedeck's readers.
#[test]
fn bench_project_has_runs_csvs_and_events() {
    use posedeck::demo::{BenchSpec, bench_project};
    use posedeck::formats::csv::MetricTable;
    use posedeck::formats::tfevents::read_events_file;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bench");
    let spec = BenchSpec {
        runs: 20,
        labeled_frames: 300,
        videos: 4,
        keypoints: 6,
        ..BenchSpec::default()
    };
    let s = bench_project(&dir, &spec).unwrap();
    assert_eq!(s.runs.len(), 20);
    let labels = PoseTable::read(&dir.join("CollectedData.csv")).unwrap();
    assert_eq!(labels.n_rows(), 300);
    assert_eq!(labels.videos().len(), 4);
    assert_eq!(labels.nan_cells(), 2 * s.missing_cells);
    assert!(s.missing_cells > 0);
    let dated = s
        .runs
        .iter()
        .filter(|(p, _)| p.matches('/').count() == 2)
        .count();
    assert_eq!(dated, 12, "60% models/YYYY-MM-DD/HH-MM-SS");
    let mut statuses: Vec<&str> = s.runs.iter().map(|(_, st)| st.as_str()).collect();
    statuses.sort();
    statuses.dedup();
    assert!(statuses.len() >= 4, "{statuses:?}");
    let mut scalars = 0;
    for (rel, status) in &s.runs {
        let run = dir.join(rel);
        let st: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("train_status.json")).unwrap()).unwrap();
        let written = st["status"].as_str().unwrap();
        assert_eq!(written, status.replace("_DEAD_PID", ""), "{rel}");
        assert!(run.join("config.yaml").is_file());
        let completed = status == "COMPLETED";
        assert_eq!(run.join("predictions.csv").is_file(), completed, "{rel}");
        if completed {
            let p = PoseTable::read(&run.join("predictions.csv")).unwrap();
            assert_eq!(p.n_rows(), 300);
            assert_eq!(p.coords, vec!["x", "y", "likelihood"]);
            let e = MetricTable::read(&run.join("predictions_pixel_error.csv")).unwrap();
            assert_eq!(e.n_rows(), 300);
            assert!(
                e.set
                    .as_ref()
                    .unwrap()
                    .iter()
                    .all(|x| ["train", "validation", "test"].contains(&x.as_str()))
            );
            // Pixel error is the distance to the label, NaN exactly where the label is missing.
            for r in 0..300 {
                for k in 0..6 {
                    let err = e.value(r, k).unwrap();
                    match labels.xy(r, k) {
                        Some((x, y)) if !x.is_nan() => {
                            let (px, py) = p.xy(r, k).unwrap();
                            let d = ((px - x).powi(2) + (py - y).powi(2)).sqrt();
                            assert!((d - err).abs() < 1e-9 * d.max(1.0), "{rel} r{r} k{k}");
                        }
                        _ => assert!(err.is_nan()),
                    }
                }
            }
        }
        let tb = run.join("tb_logs");
        if tb.exists() {
            let files = posedeck::formats::tfevents::find_events_files(&run).unwrap();
            assert_eq!(files.len(), 1, "{rel}");
            let ev = read_events_file(&files[0]).unwrap();
            assert!(ev.error.is_none());
            let tags: Vec<&str> = ev.scalars.iter().map(|t| t.tag.as_str()).collect();
            assert!(tags.contains(&"val_supervised_loss"), "{rel}: {tags:?}");
            scalars += ev.scalars.iter().map(|t| t.len()).sum::<usize>();
        } else {
            assert!(["PENDING", "STARTED"].contains(&status.as_str()), "{rel}");
        }
    }
    assert_eq!(scalars, s.scalars);
}

/// `posedeck demo --no-tui` prints exactly what `posedeck status DIR` prints, and
/// `posedeck status DIR --json` reports the generator's own ground truth: the keypoint names,
/// the labeled frames (in total and per video), the frames with a missing keypoint, and the
/// videos/ frame folders (frame count and size from the images, fps unknown).
#[test]
fn status_of_a_generated_project_reports_its_ground_truth() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, spec) in [
        DemoSpec {
            frames: 37,
            keypoints: 13,
            seed: 9,
            width: 96,
            height: 80,
            videos: 4,
            clip_frames: 3,
        },
        DemoSpec {
            frames: 50,
            keypoints: 40,
            clip_frames: 0,
            ..small(21)
        },
    ]
    .into_iter()
    .enumerate()
    {
        let d = tmp.path().join(format!("cli{i}"));
        let size = format!("{}x{}", spec.width, spec.height);
        let (frames, keypoints, seed, videos, clip) = (
            spec.frames.to_string(),
            spec.keypoints.to_string(),
            spec.seed.to_string(),
            spec.videos.to_string(),
            spec.clip_frames.to_string(),
        );
        let (code, demo_out, err) = run_posedeck(&[
            "demo",
            "--no-tui",
            "--dir",
            d.to_str().unwrap(),
            "--frames",
            &frames,
            "--keypoints",
            &keypoints,
            "--seed",
            &seed,
            "--size",
            &size,
            "--videos",
            &videos,
            "--clip-frames",
            &clip,
        ]);
        assert_eq!(code, 0, "{err}");
        // The truth: the same spec through the library (byte-identical CSV, checked here too).
        let lib = tmp.path().join(format!("lib{i}"));
        let t = generate(&spec, &lib).unwrap();
        assert_eq!(
            std::fs::read(d.join("CollectedData.csv")).unwrap(),
            std::fs::read(lib.join("CollectedData.csv")).unwrap()
        );

        let (code, status_out, err) = run_posedeck(&["status", d.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(demo_out, status_out, "demo --no-tui prints the status");
        assert!(
            err.is_empty() && !demo_out.contains("demo project:"),
            "{err}{demo_out}"
        );

        let (code, json, err) = run_posedeck(&["status", d.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{err}");
        let j: serde_json::Value = serde_json::from_str(&json).unwrap();
        let names: Vec<&str> = j["keypoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(names, t.keypoint_names);
        assert_eq!(names.len(), spec.keypoints);
        assert_eq!(j["n_labeled_frames"], t.frames.len());
        assert_eq!(
            j["n_frames_with_missing_keypoints"],
            t.frames_with_missing()
        );
        assert!(
            t.frames_with_missing() > 0,
            "the generator blanks some cells"
        );
        let per_video: BTreeMap<String, u64> =
            serde_json::from_value(j["labeled_frames_per_video"].clone()).unwrap();
        let want: BTreeMap<String, u64> = t
            .frames_per_video()
            .into_iter()
            .map(|(v, n)| (v, n as u64))
            .collect();
        assert_eq!(per_video, want);
        assert_eq!(j["models"].as_array().unwrap().len(), 0);
        assert!(
            j["problems"].as_array().unwrap().is_empty(),
            "{}",
            j["problems"]
        );

        // videos/<video>/ frame folders: one per video when clips were written.
        let vids = j["videos"].as_array().unwrap();
        if spec.clip_frames == 0 {
            assert!(vids.is_empty(), "{vids:?}");
        } else {
            assert_eq!(vids.len(), t.videos.len());
            for (v, name) in vids.iter().zip(&t.videos) {
                assert_eq!(v["file"], name.as_str());
                assert_eq!(v["kind"], "frame_folder");
                assert_eq!(v["probe"]["frames"], spec.clip_frames);
                assert_eq!(v["probe"]["width"], spec.width);
                assert_eq!(v["probe"]["height"], spec.height);
                assert!(v["probe"]["fps"].is_null());
                let line = format!(
                    "videos/{name}/  {}  frame folder: {} png images, {}x{}, fps unknown",
                    posedeck::cli::status::human_size(v["size_bytes"].as_u64().unwrap()),
                    spec.clip_frames,
                    spec.width,
                    spec.height
                );
                assert!(status_out.contains(&line), "{line}\n{status_out}");
            }
        }
        // The human summary says the same numbers.
        assert!(status_out.contains(&format!(
            "labels: {} labeled frames, {} with a missing keypoint",
            t.frames.len(),
            t.frames_with_missing()
        )));
        assert!(status_out.contains(&format!("keypoints ({}): ", spec.keypoints)));
    }
}
