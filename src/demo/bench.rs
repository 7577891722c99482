//! The benchmark project: what `posedeck status` (and the TUI) read on a large, realistic
//! project, without the images (status never opens them):
//!
//! ```text
//! D/project.yaml  model_config_bench.yaml  label_studio_config.xml  label_studio_metadata.yaml
//! D/CollectedData.csv                      5,000 labeled frames x 17 keypoints, 20 videos
//! D/models/YYYY-MM-DD/HH-MM-SS/            60 runs, and 40 as models/<name>/, each with
//!     config.yaml  train_status.json       mixed statuses (completed, training, stale, ...)
//!     predictions.csv  predictions_pixel_error.csv   (runs that got to evaluation)
//!     tb_logs/<name>/version_0/events.out.tfevents.*  (Lightning Pose's tags and cadence)
//!     tb_logs/<name>/version_0/checkpoints/epoch=E-step=S-best.ckpt  (0-byte placeholder)
//!     train_stderr.log                     (failed runs)
//! ```
//!
//! Keypoints come from the same walking body as the demo (geometry only, nothing rendered);
//! predictions are the labels plus per-run noise, so pixel errors are real distances.
//! With `big_log`, the first run's events file holds 900,000 scalars (12 tags) instead.
//! Events files carry the wall time of generation in their first record, so unlike the demo
//! the benchmark project is not byte-identical between generations (it is cached instead).

use super::FRAME_STRIDE;
use super::body::{Body, catalogue};
use super::motion::Walker;
use super::project::{CONFIG_TEMPLATE, SCORER, set_key, video_name};
use super::rng::Rng;
use super::scene::Scene;
use crate::formats::csv::{MetricTable, PoseTable};
use crate::formats::tfevents::EventsWriter;
use crate::util::write_atomic;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchSpec {
    pub runs: usize,
    pub labeled_frames: usize,
    pub videos: usize,
    pub keypoints: usize,
    pub seed: u64,
    /// Give the first run a 900,000-scalar events file (12 tags).
    pub big_log: bool,
}

impl Default for BenchSpec {
    fn default() -> Self {
        BenchSpec {
            runs: 100,
            labeled_frames: 5000,
            videos: 20,
            keypoints: 17,
            seed: 0,
            big_log: false,
        }
    }
}

/// Scalars in the big log: 9 training tags for 99,000 steps + 3 validation tags every 33.
pub const BIG_LOG_SCALARS: usize = 900_000;

/// What was generated, for reports and tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchSummary {
    pub spec: Option<BenchSpec>,
    /// Run folders relative to the project, in generation order, with their written status.
    pub runs: Vec<(String, String)>,
    pub labeled_frames: usize,
    pub missing_cells: usize,
    pub frames_with_missing: usize,
    pub scalars: usize,
    pub big_log: Option<PathBuf>,
}

/// Written statuses, in proportion (sums to 100; cycled for other run counts).
const STATUSES: [(&str, usize); 9] = [
    ("COMPLETED", 70),
    ("TRAINING", 8),
    ("TRAINING_DEAD_PID", 4),
    ("EVALUATING", 3),
    ("FAILED", 4),
    ("CANCELED", 4),
    ("PENDING", 3),
    ("STARTED", 2),
    ("PAUSED", 2),
];

fn status_of(i: usize) -> &'static str {
    // Interleave: deterministic, spread over the run list.
    let slot = (i * 37) % 100;
    let mut acc = 0;
    for (s, n) in STATUSES {
        acc += n;
        if slot < acc {
            return s;
        }
    }
    "COMPLETED"
}

/// Generates the benchmark project into `dir` (absent or empty).
pub fn bench_project(dir: &Path, spec: &BenchSpec) -> Result<BenchSummary> {
    if spec.runs == 0 || spec.labeled_frames == 0 || spec.videos == 0 || spec.keypoints == 0 {
        return Err(Error::usage(
            "bench project: every count must be at least 1",
        ));
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .next()
            .is_some()
    {
        return Err(Error::usage(format!(
            "{}: not empty; the bench project is only generated into a new or empty folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let labels = bench_labels(spec);
    let names: Vec<String> = catalogue(spec.keypoints)
        .into_iter()
        .map(|d| d.name)
        .collect();
    let k = names.len();
    let table = PoseTable::new(
        SCORER,
        names.clone(),
        vec!["x".into(), "y".into()],
        labels.index.clone(),
        labels.values.clone(),
        None,
    )?;
    table.write(&dir.join("CollectedData.csv"))?;
    write_project_files(dir, &names, labels.index.len())?;

    let mut summary = BenchSummary {
        spec: Some(spec.clone()),
        labeled_frames: labels.index.len(),
        missing_cells: labels.values.chunks(2).filter(|c| c[0].is_nan()).count(),
        frames_with_missing: labels
            .values
            .chunks(2 * k)
            .filter(|r| r.iter().any(|v| v.is_nan()))
            .count(),
        ..Default::default()
    };
    for i in 0..spec.runs {
        let (rel, model_name) = run_path(i);
        let status = status_of(i);
        let run = dir.join(&rel);
        let big = spec.big_log && i == 0;
        let n = write_run(
            dir,
            &run,
            &model_name,
            i,
            status,
            big,
            spec,
            &names,
            &labels,
        )?;
        summary.scalars += n.0;
        if big {
            summary.big_log = n.1;
        }
        summary.runs.push((rel, status.to_string()));
    }
    Ok(summary)
}

/// Labels of the benchmark project: index paths and x, y per keypoint (NaN = missing).
struct Labels {
    index: Vec<String>,
    values: Vec<f64>,
}

fn bench_labels(spec: &BenchSpec) -> Labels {
    let defs = catalogue(spec.keypoints);
    let (w, h) = (1280u32, 1024u32);
    let mut index = Vec::with_capacity(spec.labeled_frames);
    let mut values = Vec::with_capacity(spec.labeled_frames * defs.len() * 2);
    let videos = spec.videos.min(spec.labeled_frames);
    for v in 0..videos {
        let n = spec.labeled_frames / videos + usize::from(v < spec.labeled_frames % videos);
        let scene = Scene::outline(spec.seed, v as u64, w, h, v % 2 == 1);
        let mut walker = Walker::new(spec.seed, v as u64, w, h);
        let mut skip = Rng::stream(spec.seed, "labeler", v as u64);
        // Labeled frames are spread over a long video, as frame pickers spread them.
        let gap = FRAME_STRIDE * 8;
        for i in 0..n as u64 {
            if i > 0 {
                for _ in 0..gap {
                    walker.step();
                }
            }
            let body = Body::from_pose(&walker.pose());
            let (kps, missing) = super::project::label(&scene, &body, &defs, &mut skip);
            index.push(format!(
                "labeled-data/{}/img{:08}.png",
                video_name(v),
                i * gap
            ));
            for (p, m) in kps.iter().zip(&missing) {
                match m {
                    None => values.extend(p),
                    Some(_) => values.extend([f64::NAN; 2]),
                }
            }
        }
    }
    Labels { index, values }
}

fn write_project_files(dir: &Path, names: &[String], frames: usize) -> Result<()> {
    let project = serde_json::json!({
        "view_names": [],
        "keypoint_names": names,
        "schema_version": 1,
    });
    let y = |path: &Path, v: &serde_json::Value| -> Result<()> {
        let text =
            serde_norway::to_string(v).map_err(|e| Error::invalid(path, format!("YAML: {e}")))?;
        write_atomic(path, text.as_bytes())
    };
    y(&dir.join("project.yaml"), &project)?;
    y(
        &dir.join("label_studio_metadata.yaml"),
        &serde_json::json!({
            "project_name": "bench",
            "id": 7,
            "created_at": "2026-01-01 00:00:00.000000",
            "api_key": "FAKE-bench-0000000000000000000000000000",
            "n_labeled_tasks": frames,
            "n_total_tasks": frames + frames / 4,
        }),
    )?;
    let mut xml = String::from(
        "<View>\n  <KeyPointLabels name=\"kp-1\" toName=\"img-1\" strokeWidth=\"3\">\n",
    );
    for (i, n) in names.iter().enumerate() {
        xml.push_str(&format!(
            "    <Label value=\"{}\" background=\"{}\" maxUsages=\"1\"/>\n",
            quick_xml::escape::escape(n.as_str()),
            ["red", "blue", "green", "orange", "purple"][i % 5]
        ));
    }
    xml.push_str("  </KeyPointLabels>\n  <Image name=\"img-1\" value=\"$img\"/>\n</View>\n");
    write_atomic(&dir.join("label_studio_config.xml"), xml.as_bytes())?;
    let cfg = run_config(dir, names, "bench", 0, 300, 256, "resnet50", "heatmap")?;
    write_atomic(&dir.join("model_config_bench.yaml"), cfg.as_bytes())
}

/// Relative run folder and model name of run `i`: 60% dated, 40% named.
fn run_path(i: usize) -> (String, String) {
    if i % 5 < 3 {
        let day = 1 + (i / 4) % 28;
        let month = 3 + (i / 112) % 9;
        let (hh, mm, ss) = (8 + (i % 4) * 3, (i * 7) % 60, (i * 13) % 60);
        (
            format!("models/2026-{month:02}-{day:02}/{hh:02}-{mm:02}-{ss:02}"),
            format!("run{i:03}"),
        )
    } else {
        let bb = ["rn18", "rn50", "rn34"][i % 3];
        let name = format!("{bb}-{}px-s{i}", [128, 256, 384][(i / 3) % 3]);
        (format!("models/{name}"), name)
    }
}

#[allow(clippy::too_many_arguments)]
fn run_config(
    dir: &Path,
    names: &[String],
    model_name: &str,
    seed: u64,
    epochs: u64,
    size: u64,
    backbone: &str,
    model_type: &str,
) -> Result<String> {
    use serde_norway::Value;
    let tpl = Path::new("demo/config.yaml");
    let mut cfg: Value = serde_norway::from_str(CONFIG_TEMPLATE)
        .map_err(|e| Error::invalid(tpl, format!("YAML: {e}")))?;
    let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    let mut set = |section: &str, key: &str, v: Value| set_key(&mut cfg, tpl, section, key, v);
    let dims: Value = serde_norway::from_str(&format!("{{height: {size}, width: {size}}}"))
        .map_err(|e| Error::invalid(tpl, format!("YAML: {e}")))?;
    set("data", "image_resize_dims", dims)?;
    set(
        "data",
        "data_dir",
        Value::from(abs.to_string_lossy().as_ref()),
    )?;
    set(
        "data",
        "video_dir",
        Value::from(abs.join("videos").to_string_lossy().as_ref()),
    )?;
    set("data", "num_keypoints", Value::from(names.len() as u64))?;
    set(
        "data",
        "keypoint_names",
        Value::Sequence(names.iter().map(|n| Value::from(n.as_str())).collect()),
    )?;
    set("training", "min_epochs", Value::from(epochs))?;
    set("training", "max_epochs", Value::from(epochs))?;
    set("training", "log_every_n_steps", Value::from(10u64))?;
    set("training", "check_val_every_n_epoch", Value::from(5u64))?;
    set("training", "rng_seed_data_pt", Value::from(seed))?;
    set("model", "backbone", Value::from(backbone))?;
    set("model", "model_type", Value::from(model_type))?;
    set("model", "model_name", Value::from(model_name))?;
    serde_norway::to_string(&cfg).map_err(|e| Error::invalid(tpl, format!("YAML: {e}")))
}

/// Steps per epoch of every bench run (4,000 training frames / batch 32).
const STEPS_PER_EPOCH: u64 = 125;
const T0: f64 = 1_780_000_000.0;

/// Writes one run; returns (scalars written, events file path).
#[allow(clippy::too_many_arguments)]
fn write_run(
    project: &Path,
    run: &Path,
    model_name: &str,
    i: usize,
    status: &str,
    big: bool,
    spec: &BenchSpec,
    names: &[String],
    labels: &Labels,
) -> Result<(usize, Option<PathBuf>)> {
    std::fs::create_dir_all(run).map_err(|e| Error::io(run, e))?;
    let mut rng = Rng::stream(spec.seed, "bench-run", i as u64);
    let epochs = [50u64, 100, 150, 200, 300][i % 5];
    let size = [128u64, 256, 384][(i / 3) % 3];
    let backbone = ["resnet18", "resnet50", "resnet34"][i % 3];
    let model_type = if i % 7 == 3 {
        "heatmap_mhcrnn"
    } else {
        "heatmap"
    };
    let cfg = run_config(
        project, names, model_name, i as u64, epochs, size, backbone, model_type,
    )?;
    write_atomic(&run.join("config.yaml"), cfg.as_bytes())?;

    // How far the run got (epochs completed) for its status.
    let done_epochs = match status {
        "COMPLETED" | "EVALUATING" => epochs,
        "PENDING" | "STARTED" => 0,
        _ => ((epochs as f64 * rng.range(0.1, 0.9)) as u64).max(5),
    };
    let (written, pid) = match status {
        "TRAINING_DEAD_PID" => ("TRAINING", Some(999_999_000 + i as i64)),
        "STARTED" => ("STARTED", Some(999_999_000 + i as i64)),
        s => (s, None),
    };
    let progress = match written {
        "PENDING" | "STARTED" => serde_json::Value::Null,
        _ => serde_json::json!({
            "completed": done_epochs,
            "total": epochs,
            "timestamp": T0 + i as f64 * 3600.0 + done_epochs as f64 * 20.0,
        }),
    };
    let st = serde_json::json!({"status": written, "pid": pid, "progress": progress});
    write_atomic(&run.join("train_status.json"), st.to_string().as_bytes())?;
    if written == "FAILED" {
        write_atomic(
            &run.join("train_stderr.log"),
            b"Traceback (most recent call last):\n  File \"train.py\", line 1, in <module>\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n",
        )?;
    }
    let version = run.join("tb_logs").join(model_name).join("version_0");
    let mut scalars = 0;
    let mut events_path = None;
    if done_epochs > 0 || big {
        std::fs::create_dir_all(&version).map_err(|e| Error::io(&version, e))?;
        let path = version.join(format!(
            "events.out.tfevents.{}.bench.{}.0",
            (T0 as u64) + i as u64 * 3600,
            10_000 + i
        ));
        scalars = if big {
            write_big_log(&path)?
        } else {
            write_curves(&path, done_epochs, &mut rng)?
        };
        events_path = Some(path);
        let best = (done_epochs.max(1) - 1) / 5 * 5 + 4;
        let ckpt = version.join("checkpoints");
        std::fs::create_dir_all(&ckpt).map_err(|e| Error::io(&ckpt, e))?;
        write_atomic(
            &ckpt.join(format!(
                "epoch={}-step={}-best.ckpt",
                best.min(done_epochs.max(1) - 1),
                (best + 1) * STEPS_PER_EPOCH - 1
            )),
            b"",
        )?;
    }
    if matches!(status, "COMPLETED") {
        write_predictions(run, i, spec, names, labels, &mut rng)?;
    }
    Ok((scalars, events_path))
}

/// Lightning Pose's curves at its cadence: training tags every 10 steps, validation tags
/// every 5 epochs. Returns the scalar count.
fn write_curves(path: &Path, epochs: u64, rng: &mut Rng) -> Result<usize> {
    let mut w = EventsWriter::create_file(path)?;
    let mut n = 0;
    let floor = rng.range(0.0005, 0.003);
    let rate = rng.range(0.002, 0.01);
    let total = epochs * STEPS_PER_EPOCH;
    let loss = |s: u64, r: &mut Rng| -> f32 {
        (floor + 0.02 * (-rate * s as f64 / 10.0).exp() * (1.0 + 0.1 * r.normal()).abs()) as f32
    };
    // Training tags every 10 steps, validation at the end of every 5th epoch, in step order.
    for step in 0..total {
        let t = T0 + step as f64 * 0.2;
        if step % 10 == 9 {
            let l = loss(step, rng);
            let epoch = (step / STEPS_PER_EPOCH) as f32;
            let lr = if epoch < 150.0 { 1e-3 } else { 5e-4 };
            for (tag, v) in [
                ("train_supervised_loss", l),
                ("train_supervised_rmse", l.sqrt() * 200.0),
                ("train_heatmap_mse_loss", l),
                ("epoch", epoch),
                ("lr-Adam/backbone", lr),
                ("lr-Adam/head", lr),
            ] {
                w.add_scalar_at(tag, v, step as i64, t)?;
                n += 1;
            }
        }
        if (step + 1) % (STEPS_PER_EPOCH * 5) == 0 {
            let vl = loss(step, rng) * 1.2;
            for (tag, v) in [
                ("val_supervised_loss", vl),
                ("val_supervised_rmse", vl.sqrt() * 200.0),
                ("val_heatmap_mse_loss", vl),
            ] {
                w.add_scalar_at(tag, v, step as i64, t + 0.1)?;
                n += 1;
            }
        }
    }
    w.flush()?;
    Ok(n)
}

/// Scalar tags Lightning Pose logs every training step (a supervised heatmap run plus
/// `total_loss`): the per-step load of the benchmark logs.
pub const LP_STEP_TAGS: [&str; 9] = [
    "train_supervised_loss",
    "train_supervised_rmse",
    "train_heatmap_mse_loss",
    "train_heatmap_mse_loss_weighted",
    "heatmap_mse_weight",
    "epoch",
    "lr-Adam/backbone",
    "lr-Adam/head",
    "total_loss",
];
/// Scalar tags Lightning Pose logs at each validation.
pub const LP_VAL_TAGS: [&str; 3] = [
    "val_supervised_loss",
    "val_supervised_rmse",
    "val_heatmap_mse_loss",
];

/// 900,000 scalars: 9 training tags for 99,000 steps and 3 validation tags every 33 steps.
fn write_big_log(path: &Path) -> Result<usize> {
    let mut w = EventsWriter::create_file(path)?;
    let mut n = 0;
    for step in 0..99_000i64 {
        let t = T0 + step as f64 * 0.05;
        let l = (0.001 + 0.02 * (-(step as f64) / 20_000.0).exp()) as f32;
        for tag in LP_STEP_TAGS {
            w.add_scalar_at(tag, l, step, t)?;
            n += 1;
        }
        if step % 33 == 32 {
            for tag in LP_VAL_TAGS {
                w.add_scalar_at(tag, l * 1.1, step, t + 0.01)?;
                n += 1;
            }
        }
    }
    w.flush()?;
    debug_assert_eq!(n, BIG_LOG_SCALARS);
    Ok(n)
}

/// predictions.csv (labels + per-run noise, likelihood, set) and predictions_pixel_error.csv
/// (the distances; NaN where the label is missing).
fn write_predictions(
    run: &Path,
    i: usize,
    spec: &BenchSpec,
    names: &[String],
    labels: &Labels,
    rng: &mut Rng,
) -> Result<()> {
    let k = names.len();
    let rows = labels.index.len();
    let sigma = rng.range(1.5, 12.0);
    let mut pred = Vec::with_capacity(rows * k * 3);
    let mut err = Vec::with_capacity(rows * k);
    let mut set = Vec::with_capacity(rows);
    let mut split = Rng::stream(spec.seed, "split", i as u64);
    for r in 0..rows {
        let u = split.f64();
        set.push(
            if u < 0.8 {
                "train"
            } else if u < 0.9 {
                "validation"
            } else {
                "test"
            }
            .to_string(),
        );
        for j in 0..k {
            let (x, y) = (
                labels
                    .values
                    .get((r * k + j) * 2)
                    .copied()
                    .unwrap_or(f64::NAN),
                labels
                    .values
                    .get((r * k + j) * 2 + 1)
                    .copied()
                    .unwrap_or(f64::NAN),
            );
            let (dx, dy) = (sigma * rng.normal(), sigma * rng.normal());
            let (px, py) = if x.is_nan() {
                (640.0 + 50.0 * rng.normal(), 512.0 + 50.0 * rng.normal())
            } else {
                (x + dx, y + dy)
            };
            let e = ((px - x).powi(2) + (py - y).powi(2)).sqrt();
            let lik = if x.is_nan() {
                rng.range(0.0, 0.3)
            } else {
                (-e / (3.0 * sigma)).exp()
            };
            pred.extend([px, py, lik]);
            err.push(e);
        }
    }
    let scorer = format!("{}_tracker", "heatmap");
    PoseTable::new(
        scorer,
        names.to_vec(),
        vec!["x".into(), "y".into(), "likelihood".into()],
        labels.index.clone(),
        pred,
        Some(set.clone()),
    )?
    .write(&run.join("predictions.csv"))?;
    MetricTable::new(names.to_vec(), labels.index.clone(), err, Some(set))?
        .write(&run.join("predictions_pixel_error.csv"))
}
