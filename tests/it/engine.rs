//! The training engine end to end through the CLI, on a temporary copy of the real
//! lp-mirror-mouse project: a tiny run writes every file Lightning Pose writes (checked with
//! TensorBoard's EventAccumulator and pandas), cancel + resume continues the same events file,
//! a corrupt image fails the run with its name, and `predict` writes video-style CSVs.

use crate::common::{posedeck, run_posedeck, run_python};
use crate::{peers_or_skip, shared_or_skip};
use posedeck::formats::tfevents::read_events_file;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::copy_dir;

/// The real tiny config (resnet18, 128x128, batch 8, 2 epochs, dlc augmentation, PCA columns)
/// with `edits` applied as `key: value` line replacements.
fn config(shared: &Path, edits: &[(&str, &str)]) -> String {
    let mut text =
        std::fs::read_to_string(shared.join("lp-real-model/tiny_cpu_model/config.yaml")).unwrap();
    for (k, v) in edits {
        let mut out = String::new();
        for line in text.lines() {
            if line.trim_start().starts_with(&format!("{k}:")) {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(&format!("{indent}{k}: {v}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        text = out;
    }
    text
}

fn project(shared: &Path, cfg: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("mouse");
    copy_dir(&shared.join("lp-mirror-mouse"), &proj);
    let cfg_path = tmp.path().join("cfg.yaml");
    std::fs::write(&cfg_path, cfg).unwrap();
    (tmp, proj, cfg_path)
}

fn status_of(run: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run.join("train_status.json")).unwrap()).unwrap()
}

fn events_file(run: &Path, model: &str) -> PathBuf {
    let v = run.join("tb_logs").join(model).join("version_0");
    std::fs::read_dir(&v)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .unwrap_or_else(|| panic!("no events file in {}", v.display()))
}

/// The run `models/<name>` as `posedeck status --json` lists it.
fn status_model(proj: &Path, name: &str) -> serde_json::Value {
    let (code, out, err) = run_posedeck(&["status", proj.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let suffix = format!("models/{name}");
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"].as_str().is_some_and(|p| p.ends_with(&suffix)))
        .cloned()
        .unwrap_or_else(|| panic!("run not listed: {out}"))
}

/// One completed tiny run shared by the tests that read it.
struct Trained {
    _tmp: tempfile::TempDir,
    proj: PathBuf,
    run: PathBuf,
    stderr: String,
    stdout: String,
}

fn trained(shared: &Path) -> &'static Trained {
    static T: OnceLock<Trained> = OnceLock::new();
    T.get_or_init(|| {
        let cfg = config(shared, &[("model_name", "tiny")]);
        let (tmp, proj, cfg_path) = project(shared, &cfg);
        let (code, stdout, stderr) = run_posedeck(&[
            "train",
            proj.to_str().unwrap(),
            "--config",
            cfg_path.to_str().unwrap(),
            "--name",
            "tiny",
            "--device",
            "cpu",
        ]);
        assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
        Trained {
            run: proj.join("models/tiny"),
            proj,
            _tmp: tmp,
            stderr,
            stdout,
        }
    })
}

#[test]
fn tiny_run_writes_every_lightning_pose_file() {
    let shared = shared_or_skip!();
    let t = trained(&shared);
    let run = &t.run;
    assert_eq!(status_of(run)["status"], "COMPLETED");
    assert_eq!(status_of(run)["progress"]["completed"], 2);
    assert_eq!(status_of(run)["progress"]["total"], 2);
    for f in [
        "config.yaml",
        "CollectedData.csv",
        "predictions.csv",
        "predictions_pixel_error.csv",
        "predictions_pca_singleview_error.csv",
        "predictions_pca_multiview_error.csv",
        "image_preds/CollectedData.csv/predictions.csv",
        "image_preds/CollectedData.csv/predictions_pixel_error.csv",
        "tb_logs/tiny/version_0/hparams.yaml",
        // 72 training frames, batch 8: 9 steps per epoch, best after epoch 1 at step 18
        // (unless epoch 0 was better: then the other name).
    ] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    let ckpts: Vec<String> = std::fs::read_dir(run.join("tb_logs/tiny/version_0/checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        ckpts
            .iter()
            .any(|c| c == "epoch=1-step=18-best.ckpt" || c == "epoch=0-step=9-best.ckpt"),
        "{ckpts:?}"
    );
    assert_eq!(
        ckpts.iter().filter(|c| c.ends_with("-best.ckpt")).count(),
        1
    );
    // The effective config names this project as data_dir.
    let cfg = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(cfg.contains(&*t.proj.to_string_lossy()), "{cfg}");
    // The project's video is predicted after training, decoded in-process (no ffmpeg):
    // Lightning Pose's video CSV (3 header rows, one row a frame) and the temporal norm.
    let csv = std::fs::read_to_string(run.join("video_preds/test_vid.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3 + 994, "994 frames of test_vid.mp4");
    assert!(run.join("video_preds/test_vid_temporal_norm.csv").is_file());
    assert!(!t.stderr.contains("skipped"), "{}", t.stderr);
    assert!(t.stdout.contains("pixel error"), "{}", t.stdout);
    // Our own reader sees LP's tags at LP's cadence (log_every_n_steps 1, val each epoch).
    let ev = read_events_file(&events_file(run, "tiny")).unwrap();
    assert!(ev.error.is_none());
    let series = |tag: &str| {
        ev.scalars
            .iter()
            .find(|s| s.tag == tag)
            .unwrap_or_else(|| panic!("{tag}"))
    };
    assert_eq!(
        series("train_supervised_loss").steps,
        (0..18).collect::<Vec<i64>>()
    );
    assert_eq!(series("val_supervised_loss").steps, vec![8, 17]);
    assert_eq!(series("lr-Adam/head").steps, vec![0, 9]);
    assert_eq!(
        series("lr-Adam/head").values,
        vec![0.001f32 as f64, 0.0005f32 as f64]
    );
    assert_eq!(series("lr-Adam/backbone").values[0], 0.0);
    let l = &series("train_heatmap_mse_loss").values;
    assert!(l.iter().all(|v| v.is_finite() && *v > 0.0));
    assert_eq!(
        series("train_supervised_loss").values[0],
        (l[0] as f32 * 0.5) as f64
    );
}

/// Mean of every non-empty cell of a set's rows in a pixel-error CSV (pandas'
/// `df[df.set == s][keypoints].stack().mean()`), computed here from the text.
fn set_mean(csv: &Path, set: &str) -> f64 {
    let text = std::fs::read_to_string(csv).unwrap();
    let (mut sum, mut n) = (0.0, 0usize);
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.last() != Some(&set) {
            continue;
        }
        for c in &cells[1..cells.len() - 1] {
            if let Ok(v) = c.parse::<f64>() {
                sum += v;
                n += 1;
            }
        }
    }
    assert!(n > 0, "no {set} rows in {}", csv.display());
    sum / n as f64
}

#[test]
fn status_reads_the_trained_run_as_completed_with_its_pixel_errors() {
    let shared = shared_or_skip!();
    let t = trained(&shared);
    let m = status_model(&t.proj, "tiny");
    assert_eq!(m["status"], "COMPLETED");
    assert_eq!(m["effective_status"], "COMPLETED");
    assert_eq!(m["backbone"], "resnet18");
    assert!(m["best_val_loss"].as_f64().is_some_and(|l| l.is_finite()));
    let csv = t.run.join("predictions_pixel_error.csv");
    for set in ["train", "validation", "test"] {
        let got = m["pixel_error"][set]["mean"].as_f64().unwrap();
        let want = set_mean(&csv, set);
        assert!(
            (got - want).abs() <= 1e-9 * want.max(1.0),
            "{set}: {got} vs {want}"
        );
    }
}

#[test]
fn tensorboard_and_pandas_read_the_run() {
    let shared = shared_or_skip!();
    let py = peers_or_skip!();
    let t = trained(&shared);
    let ev = events_file(&t.run, "tiny");
    let out = run_python(
        &py,
        r#"
import sys, json
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})
ea.Reload()
tags = ea.Tags()
print(json.dumps({'scalars': sorted(tags['scalars']), 'tensors': sorted(tags['tensors']),
                  'n': len(ea.Scalars('train_supervised_loss'))}))
"#,
        &[ev.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for tag in [
        "train_supervised_loss",
        "train_supervised_rmse",
        "train_heatmap_mse_loss",
        "val_supervised_loss",
        "val_supervised_rmse",
        "val_heatmap_mse_loss",
        "epoch",
        "lr-Adam/backbone",
        "lr-Adam/head",
    ] {
        assert!(
            v["scalars"].as_array().unwrap().iter().any(|t| t == tag),
            "{tag}: {v}"
        );
    }
    assert!(
        v["tensors"]
            .to_string()
            .contains("hydra_config_training/text_summary"),
        "{v}"
    );
    assert_eq!(v["n"], 18);
    let out = run_python(
        &py,
        r#"
import sys, json
import pandas as pd
d = sys.argv[1]
p = pd.read_csv(d + '/predictions.csv', header=[0, 1, 2], index_col=0)
e = pd.read_csv(d + '/predictions_pixel_error.csv', index_col=0)
s = pd.read_csv(d + '/predictions_pca_singleview_error.csv', index_col=0)
m = pd.read_csv(d + '/predictions_pca_multiview_error.csv', index_col=0)
sets = p.iloc[:, -1].value_counts().to_dict()
print(json.dumps({'pshape': list(p.shape), 'eshape': list(e.shape), 'sets': sets,
  'scorer': p.columns[0][0], 'lik_max': float(p.xs('likelihood', axis=1, level=2).max().max()),
  'nan_err': int(e.drop(columns='set').isna().sum().sum()),
  'pca_nan_cols': [c for c in s.columns if c != 'set' and s[c].isna().all()],
  'mv_nan_cols': [c for c in m.columns if c != 'set' and m[c].isna().all()]}))
"#,
        &[t.run.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["pshape"], serde_json::json!([90, 52]), "{v}");
    assert_eq!(v["eshape"], serde_json::json!([90, 18]), "{v}");
    assert_eq!(
        v["sets"],
        serde_json::json!({"train": 72, "validation": 9, "test": 9}),
        "{v}"
    );
    assert_eq!(v["scorer"], "heatmap_tracker");
    assert!(v["lik_max"].as_f64().unwrap() <= 1.0);
    // pixel error is NaN exactly where the label is missing (268 empty cells / 2)
    assert_eq!(v["nan_err"], 134, "{v}");
    assert_eq!(
        v["pca_nan_cols"],
        serde_json::json!(["obs_top", "obsHigh_bot", "obsLow_bot"]),
        "{v}"
    );
    assert_eq!(
        v["mv_nan_cols"],
        serde_json::json!(["obs_top", "obsHigh_bot", "obsLow_bot"]),
        "{v}"
    );
}

#[test]
fn predict_writes_video_style_csvs_for_a_frame_folder() {
    let shared = shared_or_skip!();
    let t = trained(&shared);
    let out = t.proj.join("preds_out");
    let (code, stdout, stderr) = run_posedeck(&[
        "predict",
        t.run.to_str().unwrap(),
        t.proj.join("labeled-data").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let csv = posedeck::formats::csv::PoseTable::read(&out.join("labeled-data.csv")).unwrap();
    assert_eq!(csv.n_rows(), 93);
    assert_eq!(csv.index[0], "0");
    assert_eq!(csv.coords, vec!["x", "y", "likelihood"]);
    let tn = posedeck::formats::csv::MetricTable::read(&out.join("labeled-data_temporal_norm.csv"))
        .unwrap();
    assert!(tn.row(0).unwrap().iter().all(|v| v.is_nan()));
    assert!(tn.row(1).unwrap().iter().all(|v| v.is_finite()));
    // Missing source: a clear error naming it.
    let (code, _, stderr) = run_posedeck(&[
        "predict",
        t.run.to_str().unwrap(),
        "/nonexistent/frames",
        "--device",
        "cpu",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/frames"), "{stderr}");
}

#[test]
fn cancel_then_resume_continues_the_same_events_file() {
    let shared = shared_or_skip!();
    let cfg = config(
        &shared,
        &[
            ("model_name", "cr"),
            ("height", "64"),
            ("width", "64"),
            ("max_epochs", "6"),
            ("min_epochs", "6"),
            ("predict_vids_after_training", "false"),
        ],
    );
    let (_tmp, proj, cfg_path) = project(&shared, &cfg);
    let mut child = posedeck()
        .args([
            "train",
            proj.to_str().unwrap(),
            "--config",
            cfg_path.to_str().unwrap(),
        ])
        .args(["--name", "cr", "--device", "cpu"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let run = proj.join("models/cr");
    // Wait until the first epoch is done, then ctrl-c.
    let t0 = Instant::now();
    loop {
        let done = std::fs::read(run.join("train_status.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["progress"]["completed"].as_u64())
            .unwrap_or(0);
        if done >= 1 {
            break;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("train exited early: {st:?}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "no training progress"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(status_of(&run)["status"], "CANCELED");
    let ck = run.join("tb_logs/cr/version_0/checkpoints");
    assert!(ck.join("last.ckpt").is_file());
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ck.join("last.state.json")).unwrap()).unwrap();
    let stopped_at = state["global_step"].as_u64().unwrap();
    assert!((9..54).contains(&stopped_at), "{state}");
    assert!(!run.join("predictions.csv").exists());

    let (code, stdout, stderr) = run_posedeck(&[
        "train",
        "--resume",
        run.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(status_of(&run)["status"], "COMPLETED");
    assert!(run.join("predictions.csv").is_file());
    // One events file: steps 0..54 of train_supervised_loss, each once, in order.
    let files: Vec<_> = std::fs::read_dir(run.join("tb_logs/cr/version_0"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("events.out"))
        .collect();
    assert_eq!(files.len(), 1);
    let ev = read_events_file(&events_file(&run, "cr")).unwrap();
    let s = ev
        .scalars
        .iter()
        .find(|s| s.tag == "train_supervised_loss")
        .unwrap();
    assert_eq!(s.steps, (0..54).collect::<Vec<i64>>());
    let v = ev
        .scalars
        .iter()
        .find(|s| s.tag == "val_supervised_loss")
        .unwrap();
    assert_eq!(v.steps, vec![8, 17, 26, 35, 44, 53]);
}

#[test]
fn a_corrupt_image_fails_the_run_with_its_name() {
    let shared = shared_or_skip!();
    let cfg = config(
        &shared,
        &[
            ("model_name", "bad"),
            ("height", "64"),
            ("width", "64"),
            ("max_epochs", "1"),
            ("min_epochs", "1"),
        ],
    );
    let (_tmp, proj, cfg_path) = project(&shared, &cfg);
    let bad = proj.join("labeled-data/img05.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let before: Vec<_> = std::fs::read_dir(&proj)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let (code, _, stderr) = run_posedeck(&[
        "train",
        proj.to_str().unwrap(),
        "--config",
        cfg_path.to_str().unwrap(),
        "--name",
        "bad",
        "--device",
        "cpu",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("img05.png"), "{stderr}");
    let run = proj.join("models/bad");
    assert_eq!(status_of(&run)["status"], "FAILED");
    let log = std::fs::read_to_string(run.join("train_stderr.log")).unwrap();
    assert!(log.contains("img05.png") && log.contains("FAILED"), "{log}");
    // Nothing else in the project changed (only models/ was added).
    let mut after: Vec<_> = std::fs::read_dir(&proj)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    after.retain(|n| n != "models");
    assert_eq!(before.len(), after.len());
}

#[test]
fn bad_requests_are_clear_errors_and_leave_nothing() {
    let shared = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("p");
    copy_dir(&shared.join("lp-mirror-mouse"), &proj);
    // no config in the project
    let (code, _, stderr) = run_posedeck(&["train", proj.to_str().unwrap(), "--device", "cpu"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--config"), "{stderr}");
    // a backbone posedeck does not build
    let cfg = tmp.path().join("c.yaml");
    std::fs::write(&cfg, "model:\n  backbone: vit_b_sam\n").unwrap();
    let (code, _, stderr) = run_posedeck(&[
        "train",
        proj.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("vit_b_sam") && stderr.contains("c.yaml"),
        "{stderr}"
    );
    assert!(!proj.join("models").exists());
    // resume of a folder that is no run
    let (code, _, stderr) = run_posedeck(&["train", "--resume", proj.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("config.yaml"), "{stderr}");
}

/// A CPU training on lp-mirror-mouse with the three unsupervised losses, unlabeled sequences
/// from its test_vid.mp4 (decoded in-process): it completes, logs Lightning Pose's tag names
/// (read by TensorBoard's EventAccumulator when the peers are there, and by posedeck's own
/// reader always), says which losses it uses in train_stderr.log, and `status` reads it
/// COMPLETED with the losses listed.
#[test]
fn semi_supervised_run_on_the_mirror_mouse_video() {
    let shared = shared_or_skip!();
    let cfg = config(&shared, &[("model_name", "semi")]);
    let (_tmp, proj, cfg_path) = project(&shared, &cfg);
    let (code, stdout, stderr) = run_posedeck(&[
        "train",
        proj.to_str().unwrap(),
        "--config",
        cfg_path.to_str().unwrap(),
        "--name",
        "semi",
        "--device",
        "cpu",
        "--losses",
        "pca_multiview,pca_singleview,temporal",
        "--set",
        "dali.base.train.sequence_length=8",
        "--set",
        "callbacks.anneal_weight.init_val=0.5",
        "--set",
        "eval.predict_vids_after_training=false",
    ]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let run = proj.join("models/semi");
    assert_eq!(status_of(&run)["status"], "COMPLETED");
    let log = std::fs::read_to_string(run.join("train_stderr.log")).unwrap();
    assert!(
        log.contains("semi-supervised: losses pca_multiview + pca_singleview + temporal"),
        "{log}"
    );
    assert!(log.contains("sequences of 8 from 1 video(s)"), "{log}");
    // training.imgaug: dlc, so the unlabeled sequences are augmented as Lightning Pose does.
    assert!(
        log.contains("unlabeled frames augmented per sequence"),
        "{log}"
    );
    let saved = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(saved.contains("pca_multiview"), "{saved}");

    let ev = events_file(&run, "semi");
    let events = read_events_file(&ev).unwrap();
    assert!(events.error.is_none());
    let tags = [
        "train_pca_multiview_loss",
        "train_pca_singleview_loss",
        "train_temporal_loss",
        "pca_multiview_weight",
        "pca_singleview_weight",
        "temporal_weight",
        "total_loss",
        "total_unsupervised_importance",
        "train_supervised_loss",
        "val_supervised_loss",
    ];
    let series = |tag: &str| -> Vec<f64> {
        events
            .scalars
            .iter()
            .find(|s| s.tag == tag)
            .map(|s| s.values.clone())
            .unwrap_or_default()
    };
    for tag in tags {
        let v = series(tag);
        assert!(!v.is_empty(), "{tag} not logged");
        assert!(v.iter().all(|x| x.is_finite()), "{tag}: {v:?}");
    }
    // The weights are 1 / (2 exp(log_weight)) with the config's log_weight 5.0 (float32).
    assert!((series("temporal_weight")[0] - 1.0 / (2.0 * 5f64.exp())).abs() < 1e-8);
    // Epoch 0 anneals from init_val 0.5, epoch 1 adds increase_factor 0.01.
    let imp = series("total_unsupervised_importance");
    assert!((imp[0] - 0.5).abs() < 1e-6, "{imp:?}");
    assert!((imp.last().unwrap() - 0.51).abs() < 1e-6, "{imp:?}");
    // total = supervised + importance * sum of weighted unsupervised losses
    let tot = series("total_loss");
    let sup = series("train_supervised_loss");
    assert!(
        tot.iter().zip(&sup).all(|(t, s)| t >= &(s - 1e-6)),
        "{tot:?} {sup:?}"
    );

    if let Some(py) = crate::common::peer_python() {
        let out = run_python(
            &py,
            r#"
import sys, json
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0})
ea.Reload()
print(json.dumps(sorted(ea.Tags()['scalars'])))
"#,
            &[ev.to_str().unwrap()],
        );
        let got: Vec<String> = serde_json::from_str(out.trim()).unwrap();
        for tag in tags {
            assert!(
                got.iter().any(|t| t == tag),
                "TensorBoard lacks {tag}: {got:?}"
            );
        }
    }

    let m = status_model(&proj, "semi");
    assert_eq!(m["effective_status"], "COMPLETED");
    assert_eq!(
        m["config"]["losses"],
        serde_json::json!(["pca_multiview", "pca_singleview", "temporal"]),
        "{m}"
    );
    let (_, text, _) = run_posedeck(&["status", proj.to_str().unwrap()]);
    assert!(
        text.contains("losses pca_multiview + pca_singleview + temporal"),
        "{text}"
    );
}

#[test]
fn bad_loss_options_are_usage_errors() {
    let shared = shared_or_skip!();
    let cfg = config(&shared, &[("model_name", "x")]);
    let (_tmp, proj, cfg_path) = project(&shared, &cfg);
    for (args, want) in [
        (&["--losses", "temporal,unimodal"][..], "unimodal"),
        (&["--set", "losses.temporal.log_weight"][..], "KEY=VALUE"),
        (&["--set", "a..b=1"][..], "dotted"),
        (
            &["--set", "losses.temporal.log_weight=lots"][..],
            "log_weight",
        ),
    ] {
        let mut a = vec![
            "train",
            proj.to_str().unwrap(),
            "--config",
            cfg_path.to_str().unwrap(),
            "--device",
            "cpu",
        ];
        a.extend_from_slice(args);
        if want == "log_weight" {
            a.extend_from_slice(&["--losses", "temporal"]);
        }
        let (code, _out, err) = run_posedeck(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            !proj.join("models").exists()
                || std::fs::read_dir(proj.join("models")).unwrap().count() == 0,
            "{args:?} left a run"
        );
    }
}
