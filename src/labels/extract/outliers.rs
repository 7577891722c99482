//! The frames where a model is least trustworthy, from its predictions on the video
//! (`<run>/video_preds/<stem>.csv` and the metric CSVs Lightning Pose writes beside it):
//! the lowest keypoint likelihood, the largest temporal norm (the jump of a keypoint from the
//! previous frame, in pixels), or the largest PCA reprojection error (singleview, else
//! multiview), each frame scored by its worst keypoint; and the predictions themselves, which
//! queued frames can carry as a starting point for labeling.

use crate::formats::csv::MetricTable;
use crate::formats::csv::PoseTable;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What ranks the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Likelihood,
    Temporal,
    Pca,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Likelihood => "likelihood",
            Metric::Temporal => "temporal",
            Metric::Pca => "pca",
        }
    }
}

/// One frame's score: the worst keypoint and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub frame: usize,
    /// Larger is less trustworthy (the likelihood is negated).
    pub badness: f64,
    pub reason: String,
}

/// The file the metric is read from, for `stem` in `run`.
pub fn metric_file(run: &Path, stem: &str, metric: Metric) -> Result<PathBuf> {
    let dir = run.join("video_preds");
    let p = |suffix: &str| dir.join(format!("{stem}{suffix}.csv"));
    let found = match metric {
        Metric::Likelihood => Some(p("")),
        Metric::Temporal => Some(p("_temporal_norm")),
        Metric::Pca => [p("_pca_singleview_error"), p("_pca_multiview_error")]
            .into_iter()
            .find(|f| f.is_file()),
    };
    match found {
        Some(f) if f.is_file() => Ok(f),
        Some(f) => Err(Error::invalid(
            &f,
            format!(
                "not found: the model has no {} predictions for video '{stem}' (predict on the video first)",
                metric.name()
            ),
        )),
        None => Err(Error::invalid(
            &dir,
            format!(
                "no {stem}_pca_singleview_error.csv or {stem}_pca_multiview_error.csv: the model's config sets neither columns_for_singleview_pca nor mirrored_column_matches"
            ),
        )),
    }
}

/// Scores every frame with a finite value, in frame order.
pub fn score(file: &Path, metric: Metric) -> Result<Vec<Scored>> {
    let what = match metric {
        Metric::Likelihood => "min likelihood",
        Metric::Temporal => "temporal norm",
        Metric::Pca => {
            if file.to_string_lossy().ends_with("_pca_multiview_error.csv") {
                "PCA multiview error"
            } else {
                "PCA singleview error"
            }
        }
    };
    let frame_of = |s: &str, row: usize| -> Result<usize> {
        s.trim().parse::<usize>().map_err(|_| {
            Error::at_line(
                file,
                row as u64 + 1,
                format!(
                    "index '{}' is not a frame number",
                    crate::sanitize::clean(s)
                ),
            )
        })
    };
    let mut out = Vec::new();
    if metric == Metric::Likelihood {
        let t = PoseTable::read(file)?;
        let Some(lc) = t.coord_index("likelihood") else {
            return Err(Error::invalid(
                file,
                "no likelihood coordinate: not a predictions CSV",
            ));
        };
        for r in 0..t.n_rows() {
            let frame = frame_of(&t.index[r], r + 3)?;
            let worst = (0..t.n_keypoints())
                .filter_map(|k| t.value(r, k, lc).filter(|v| v.is_finite()).map(|v| (k, v)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((k, v)) = worst {
                out.push(Scored {
                    frame,
                    badness: -v,
                    reason: format!("{what} {v:.4} ({})", t.keypoints[k]),
                });
            }
        }
    } else {
        let t = MetricTable::read(file)?;
        for r in 0..t.n_rows() {
            let frame = frame_of(&t.index[r], r + 1)?;
            let worst = (0..t.columns.len())
                .filter_map(|c| t.value(r, c).filter(|v| v.is_finite()).map(|v| (c, v)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((c, v)) = worst {
                out.push(Scored {
                    frame,
                    badness: v,
                    reason: format!("{what} {v:.2} px ({})", t.columns[c]),
                });
            }
        }
    }
    Ok(out)
}

/// The `n` worst frames among those `allowed`, no two closer than `min_gap` frames, worst
/// first (ties: the earlier frame).
pub fn pick(
    scored: &[Scored],
    n: usize,
    min_gap: usize,
    allowed: impl Fn(usize) -> bool,
) -> Vec<Scored> {
    let mut order: Vec<&Scored> = scored.iter().filter(|s| allowed(s.frame)).collect();
    order.sort_by(|a, b| b.badness.total_cmp(&a.badness).then(a.frame.cmp(&b.frame)));
    let mut out: Vec<Scored> = Vec::new();
    for s in order {
        if out.len() == n {
            break;
        }
        if out
            .iter()
            .all(|o| o.frame.abs_diff(s.frame) >= min_gap.max(1))
        {
            out.push(s.clone());
        }
    }
    out
}

/// A model's predictions on `frames` of `stem`, as queue entries carry them (keypoints with
/// a finite x and y; frames the CSV lacks get none).
pub fn predictions_for(
    name: &str,
    run: &Path,
    stem: &str,
    frames: &[usize],
) -> Result<std::collections::HashMap<usize, crate::labels::queue::QueuePredictions>> {
    let file = metric_file(run, stem, Metric::Likelihood)?;
    let t = PoseTable::read(&file)?;
    let (Some(xc), Some(yc)) = (t.coord_index("x"), t.coord_index("y")) else {
        return Err(Error::invalid(
            &file,
            "no x and y coordinates: not a predictions CSV",
        ));
    };
    let date_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut out = std::collections::HashMap::new();
    for r in 0..t.n_rows() {
        let Ok(f) = t.index[r].trim().parse::<usize>() else {
            continue;
        };
        if !frames.contains(&f) {
            continue;
        }
        let predictions = (0..t.n_keypoints())
            .filter_map(|k| {
                let (x, y) = (t.value(r, k, xc)?, t.value(r, k, yc)?);
                (x.is_finite() && y.is_finite()).then(|| crate::labels::queue::QueueKeypoint {
                    keypoint_name: t.keypoints[k].clone(),
                    x,
                    y,
                })
            })
            .collect();
        out.insert(
            f,
            crate::labels::queue::QueuePredictions {
                model_name: name.to_string(),
                date_time,
                predictions,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_spaces_frames() {
        let s: Vec<Scored> = [5.0, 9.0, 8.0, 1.0, 7.0]
            .iter()
            .enumerate()
            .map(|(i, &b)| Scored {
                frame: i * 2,
                badness: b,
                reason: String::new(),
            })
            .collect();
        let p = pick(&s, 3, 3, |_| true);
        let frames: Vec<usize> = p.iter().map(|s| s.frame).collect();
        assert_eq!(frames, vec![2, 8]);
        let p = pick(&s, 2, 1, |f| f != 2);
        assert_eq!(p.iter().map(|s| s.frame).collect::<Vec<_>>(), vec![4, 8]);
    }
}
