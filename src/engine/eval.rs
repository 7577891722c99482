//! After training: predictions on every labeled frame (`predictions.csv` with the `set`
//! column), `predictions_pixel_error.csv`, the PCA error files when the config names PCA
//! columns, and copies under `image_preds/<csv name>/` as Lightning Pose writes them.

use crate::Result;
use crate::engine::config::TrainConfig;
use crate::engine::data::{Labels, Set};
use crate::engine::infer;
use crate::engine::loader::{Pipeline, build_batch};
use crate::engine::model::PoseNet;
use crate::engine::pca;
use crate::formats::csv::{MetricTable, PoseTable};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Predictions for rows of a table: row-major (row, keypoint) [x, y, likelihood] in original
/// image pixels.
#[derive(Debug, Clone)]
pub struct Predictions {
    pub k: usize,
    pub values: Vec<[f64; 3]>,
}

impl Predictions {
    pub fn xy(&self, row: usize, kp: usize) -> [f64; 2] {
        self.values
            .get(row * self.k + kp)
            .map_or([f64::NAN; 2], |v| [v[0], v[1]])
    }
    pub fn n_rows(&self) -> usize {
        self.values.len() / self.k.max(1)
    }
}

/// Mean / median pixel error per set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SetError {
    pub mean: f64,
    pub median: f64,
    pub n: usize,
}

/// Runs the model over the labeled frames (no augmentation).
pub fn predict_labels(
    model: &PoseNet,
    device: &Device,
    labels: &Labels,
    pipeline: &Pipeline,
    batch: usize,
    cancel: &dyn Fn() -> bool,
) -> Result<Option<Predictions>> {
    let k = labels.k();
    let rows: Vec<usize> = (0..labels.n()).collect();
    let mut values = Vec::with_capacity(labels.n() * k);
    for chunk in rows.chunks(batch.max(1)) {
        if cancel() {
            return Ok(None);
        }
        let b = build_batch(labels, pipeline, chunk, false, 0)?;
        let peaks = infer::predict(
            model,
            device,
            b.images,
            chunk.len(),
            pipeline.height,
            pipeline.width,
            pipeline.stride,
        )?;
        for (i, p) in peaks.iter().enumerate() {
            let [sx, sy] = b.scale.get(i / k).copied().unwrap_or([1.0, 1.0]);
            values.push([(p.x * sx) as f64, (p.y * sy) as f64, p.confidence as f64]);
        }
    }
    Ok(Some(Predictions { k, values }))
}

fn pose_table(
    names: &[String],
    index: Vec<String>,
    preds: &Predictions,
    set: Option<Vec<String>>,
) -> Result<PoseTable> {
    let values = preds
        .values
        .iter()
        .flat_map(|v| v.iter().copied())
        .collect();
    PoseTable::new(
        "heatmap_tracker",
        names.to_vec(),
        vec!["x".into(), "y".into(), "likelihood".into()],
        index,
        values,
        set,
    )
}

/// Writes the video-style prediction CSV (index = frame number) and its temporal norm.
pub fn write_video_outputs(
    dir: &Path,
    stem: &str,
    names: &[String],
    preds: &Predictions,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let n = preds.n_rows();
    let index: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    pose_table(names, index.clone(), preds, None)?.write(&dir.join(format!("{stem}.csv")))?;
    let k = preds.k;
    let mut tn = vec![f64::NAN; n * k];
    for r in 1..n {
        for j in 0..k {
            let [x0, y0] = preds.xy(r - 1, j);
            let [x1, y1] = preds.xy(r, j);
            tn[r * k + j] = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        }
    }
    MetricTable::new(names.to_vec(), index, tn, None)?
        .write(&dir.join(format!("{stem}_temporal_norm.csv")))
}

/// PCA reprojection errors of `preds` (fit on the training labels), as (suffix, values).
pub fn pca_errors(
    cfg: &TrainConfig,
    labels: &Labels,
    train_rows: &[usize],
    preds: &Predictions,
) -> Vec<(&'static str, Vec<f64>)> {
    let k = labels.k();
    let lab = |r: usize, j: usize| -> [f64; 2] {
        let [x, y] = labels.xy(r, j);
        [x as f64, y as f64]
    };
    let pr = |r: usize, j: usize| preds.xy(r, j);
    let mut out = Vec::new();
    if let Some(cols) = &cfg.columns_for_singleview_pca
        && let Some((_, e)) = pca::singleview_errors(
            &lab,
            train_rows,
            &pr,
            preds.n_rows(),
            k,
            cols,
            cfg.pca_singleview_keep,
        )
    {
        out.push(("pca_singleview_error", e));
    }
    if let Some(views) = &cfg.mirrored_column_matches
        && views.len() >= 2
        && let Some((_, e)) = pca::multiview_errors(
            &lab,
            train_rows,
            &pr,
            preds.n_rows(),
            k,
            views,
            cfg.pca_multiview_keep,
        )
    {
        out.push(("pca_multiview_error", e));
    }
    out
}

/// Writes predictions.csv and the metric files into `run` (and `image_preds/<csv>/`);
/// returns the pixel error per set.
pub fn write_label_outputs(
    run: &Path,
    cfg: &TrainConfig,
    labels: &Labels,
    sets: &[Set],
    train_rows: &[usize],
    preds: &Predictions,
) -> Result<BTreeMap<String, SetError>> {
    let k = labels.k();
    let n = labels.n();
    let set_col: Vec<String> = sets.iter().map(|s| s.as_str().to_string()).collect();
    let table = pose_table(
        &labels.keypoint_names,
        labels.index.clone(),
        preds,
        Some(set_col.clone()),
    )?;
    let mut errors = vec![f64::NAN; n * k];
    for r in 0..n {
        for j in 0..k {
            let [lx, ly] = labels.xy(r, j);
            let [px, py] = preds.xy(r, j);
            if lx.is_finite() && ly.is_finite() {
                errors[r * k + j] = ((px - lx as f64).powi(2) + (py - ly as f64).powi(2)).sqrt();
            }
        }
    }
    let csv_name = labels
        .csv_path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "CollectedData.csv".into());
    let image_preds = run.join("image_preds").join(&csv_name);
    std::fs::create_dir_all(&image_preds).map_err(|e| crate::Error::io(&image_preds, e))?;
    let mut metrics = vec![("pixel_error", errors.clone())];
    metrics.extend(pca_errors(cfg, labels, train_rows, preds));
    for dir in [run, image_preds.as_path()] {
        table.write(&dir.join("predictions.csv"))?;
        for (suffix, vals) in &metrics {
            MetricTable::new(
                labels.keypoint_names.clone(),
                labels.index.clone(),
                vals.clone(),
                Some(set_col.clone()),
            )?
            .write(&dir.join(format!("predictions_{suffix}.csv")))?;
        }
    }
    let mut per_set: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in 0..n {
        for j in 0..k {
            let e = errors[r * k + j];
            if e.is_finite() {
                per_set.entry(set_col[r].clone()).or_default().push(e);
            }
        }
    }
    Ok(per_set
        .into_iter()
        .map(|(s, mut v)| {
            v.sort_by(f64::total_cmp);
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let median = if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
            };
            (
                s,
                SetError {
                    mean,
                    median,
                    n: v.len(),
                },
            )
        })
        .collect())
}
