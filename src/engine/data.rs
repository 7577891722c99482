//! Labeled frames for training: keypoints from CollectedData.csv, image paths, and the
//! train / validation / test split with Lightning Pose's sizes.

use crate::engine::config::TrainConfig;
use crate::engine::rng::Rng;
use crate::formats::csv::PoseTable;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The labeled frames of a project.
#[derive(Debug, Clone)]
pub struct Labels {
    pub csv_path: PathBuf,
    pub keypoint_names: Vec<String>,
    /// Index column as written (`labeled-data/...png`).
    pub index: Vec<String>,
    /// Absolute image paths, one per row.
    pub images: Vec<PathBuf>,
    /// Row-major (row, keypoint, x/y), original image pixels; NaN when missing.
    pub keypoints: Vec<f32>,
}

impl Labels {
    pub fn n(&self) -> usize {
        self.index.len()
    }
    pub fn k(&self) -> usize {
        self.keypoint_names.len()
    }
    pub fn xy(&self, row: usize, kp: usize) -> [f32; 2] {
        let i = (row * self.k() + kp) * 2;
        [
            self.keypoints.get(i).copied().unwrap_or(f32::NAN),
            self.keypoints.get(i + 1).copied().unwrap_or(f32::NAN),
        ]
    }

    /// Reads `data_dir/csv_file`; checks that the config's keypoint names, when given, match.
    pub fn load(cfg: &TrainConfig) -> Result<Labels> {
        let csv_path = cfg.data_dir.join(&cfg.csv_file);
        let table = PoseTable::read(&csv_path)?;
        let (Some(cx), Some(cy)) = (table.coord_index("x"), table.coord_index("y")) else {
            return Err(Error::invalid(&csv_path, "no x/y coords in the header"));
        };
        if let Some(names) = &cfg.keypoint_names
            && names != &table.keypoints
        {
            return Err(Error::invalid(
                &csv_path,
                format!(
                    "keypoints {:?} differ from the config's data.keypoint_names {:?}",
                    table.keypoints, names
                ),
            ));
        }
        let k = table.n_keypoints();
        let mut keypoints = Vec::with_capacity(table.n_rows() * k * 2);
        for r in 0..table.n_rows() {
            for j in 0..k {
                let x = table.value(r, j, cx).unwrap_or(f64::NAN);
                let y = table.value(r, j, cy).unwrap_or(f64::NAN);
                let (x, y) = if x.is_finite() && y.is_finite() {
                    (x as f32, y as f32)
                } else {
                    (f32::NAN, f32::NAN)
                };
                keypoints.push(x);
                keypoints.push(y);
            }
        }
        let images = table
            .index
            .iter()
            .map(|p| cfg.data_dir.join(p.replace('\\', "/")))
            .collect();
        if table.n_rows() == 0 {
            return Err(Error::invalid(&csv_path, "no labeled frames"));
        }
        Ok(Labels {
            csv_path,
            keypoint_names: table.keypoints.clone(),
            index: table.index.clone(),
            images,
            keypoints,
        })
    }
}

/// Which set a labeled frame belongs to (the `set` column of predictions.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Set {
    Train,
    Validation,
    Test,
    Unused,
}

impl Set {
    pub fn as_str(self) -> &'static str {
        match self {
            Set::Train => "train",
            Set::Validation => "validation",
            Set::Test => "test",
            Set::Unused => "unused",
        }
    }
}

/// Lightning Pose's `split_sizes_from_probabilities`: floors, at least one validation frame.
pub fn split_sizes(total: usize, train_prob: f64, val_prob: f64) -> (usize, usize, usize) {
    let mut n_train = (train_prob * total as f64 + 1e-9).floor() as usize;
    let mut n_val = (val_prob * total as f64 + 1e-9).floor() as usize;
    n_train = n_train.min(total);
    n_val = n_val.min(total - n_train);
    if n_val == 0 && n_train > 1 {
        n_train -= 1;
        n_val += 1;
    }
    let n_test = total - n_train - n_val;
    (n_train, n_val, n_test)
}

/// The split of rows into sets, from the data seed; `train_frames` (a fraction <= 1 or a
/// count) keeps the first part of the training set and marks the rest unused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
    pub unused: Vec<usize>,
}

impl Split {
    pub fn new(n: usize, cfg: &TrainConfig) -> Split {
        let (n_train, n_val, _) = split_sizes(n, cfg.train_prob, cfg.val_prob);
        let mut order: Vec<usize> = (0..n).collect();
        Rng::new(cfg.rng_seed_data_pt).shuffle(&mut order);
        let mut train: Vec<usize> = order[..n_train].to_vec();
        let val = order[n_train..n_train + n_val].to_vec();
        let test = order[n_train + n_val..].to_vec();
        let keep = if cfg.train_frames <= 1.0 {
            ((cfg.train_frames.max(0.0) * n_train as f64).round() as usize).max(1.min(n_train))
        } else {
            cfg.train_frames as usize
        };
        let unused = if keep < train.len() {
            train.split_off(keep)
        } else {
            Vec::new()
        };
        Split {
            train,
            val,
            test,
            unused,
        }
    }

    /// The set of each row.
    pub fn sets(&self, n: usize) -> Vec<Set> {
        let mut s = vec![Set::Unused; n];
        for (rows, set) in [
            (&self.train, Set::Train),
            (&self.val, Set::Validation),
            (&self.test, Set::Test),
        ] {
            for &r in rows {
                if let Some(x) = s.get_mut(r) {
                    *x = set;
                }
            }
        }
        s
    }
}

/// Decodes an image file to 8-bit RGB; the error names the file.
pub fn decode_rgb(path: &Path) -> Result<image::RgbImage> {
    let bytes = crate::util::read(path)?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| Error::invalid(path, format!("cannot decode image: {e}")))?;
    Ok(img.to_rgb8())
}

/// Pairs of keypoints that swap under a horizontal flip, found by name (`left`/`right`,
/// `Left`/`Right`, `_l`/`_r`, `L`/`R` as a whole word part).
pub fn flip_pairs(names: &[String]) -> Vec<(usize, usize)> {
    fn mirror(n: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (a, b) in [
            ("left", "right"),
            ("Left", "Right"),
            ("LEFT", "RIGHT"),
            ("_l", "_r"),
            ("_L", "_R"),
            ("l_", "r_"),
            ("L_", "R_"),
        ] {
            if n.contains(a) {
                out.push(n.replacen(a, b, 1));
            }
            if n.contains(b) {
                out.push(n.replacen(b, a, 1));
            }
        }
        out
    }
    let mut pairs = Vec::new();
    for (i, n) in names.iter().enumerate() {
        for m in mirror(n) {
            if let Some(j) = names.iter().position(|x| *x == m)
                && j > i
                && !pairs
                    .iter()
                    .any(|&(a, b)| a == i || b == i || a == j || b == j)
            {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lp_split_sizes() {
        assert_eq!(split_sizes(90, 0.8, 0.1), (72, 9, 9));
        assert_eq!(split_sizes(90, 0.95, 0.05), (85, 4, 1));
        assert_eq!(split_sizes(10, 1.0, 0.0), (9, 1, 0));
    }

    #[test]
    fn flip_pairs_by_name() {
        let names: Vec<String> = ["nose", "left_ear", "right_ear", "pawL_x", "tail"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(flip_pairs(&names), vec![(1, 2)]);
    }
}
