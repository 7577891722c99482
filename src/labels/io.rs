//! `load_file` / `save_file`: the label format is chosen by the path's suffix — `.slp`
//! (SLEAP, via `formats::slp`), `.csv` (Lightning Pose, via `formats::csv`), `.json`
//! (posedeck's own `to_json`) — or, for a folder, its `CollectedData.csv`.

use super::lp::LpExportOptions;
use super::store::Labels;
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A label file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelsFormat {
    Slp,
    Csv,
    Json,
}

impl LabelsFormat {
    /// The format a path's suffix names.
    pub fn of(path: &Path) -> Option<LabelsFormat> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".slp") {
            Some(LabelsFormat::Slp)
        } else if name.ends_with(".csv") {
            Some(LabelsFormat::Csv)
        } else if name.ends_with(".json") {
            Some(LabelsFormat::Json)
        } else {
            None
        }
    }
}

/// Labels as read, with the file they came from and what the reader noticed.
#[derive(Clone, Debug, Serialize)]
pub struct LoadedLabels {
    /// The file read (for a Lightning Pose folder: its CollectedData.csv).
    pub path: PathBuf,
    pub format: LabelsFormat,
    /// The .slp format id, for .slp files.
    pub format_id: Option<f64>,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub labels: Labels,
}

fn unsupported(path: &Path) -> Error {
    Error::usage(format!(
        "{}: unknown label file type (expected .slp, .csv, .json, or a Lightning Pose project folder)",
        path.display()
    ))
}

impl Labels {
    /// Reads labels, choosing the reader by suffix (a folder means its CollectedData.csv).
    pub fn load_file(path: &Path) -> Result<LoadedLabels> {
        let path = if path.is_dir() {
            let csv = path.join("CollectedData.csv");
            if !csv.is_file() {
                return Err(Error::usage(format!(
                    "{}: folder has no CollectedData.csv",
                    path.display()
                )));
            }
            csv
        } else {
            path.to_path_buf()
        };
        let format = LabelsFormat::of(&path).ok_or_else(|| unsupported(&path))?;
        let (labels, format_id, warnings) = match format {
            LabelsFormat::Slp => {
                let slp = crate::formats::slp::read_slp(&path)?;
                let labels = Labels::from_data(slp.labels).map_err(|m| Error::invalid(&path, m))?;
                (labels, Some(slp.format_id), slp.warnings)
            }
            LabelsFormat::Csv => {
                let table = crate::formats::csv::PoseTable::read(&path)?;
                (
                    Labels::from_lightning_pose(&table, &path)?,
                    None,
                    Vec::new(),
                )
            }
            LabelsFormat::Json => {
                let text = crate::util::read_text(&path)?;
                let labels = Labels::from_json(&text).map_err(|m| Error::invalid(&path, m))?;
                (labels, None, Vec::new())
            }
        };
        Ok(LoadedLabels {
            path,
            format,
            format_id,
            warnings,
            labels,
        })
    }

    /// Writes labels atomically, choosing the writer by suffix: `.slp` (format 1.4; a
    /// `.pkg.slp` keeps embedded frames), `.json`, or `.csv` (a Lightning Pose CollectedData
    /// CSV only; see [`Labels::write_lightning_pose_project`] for the images). Returns the
    /// writer's warnings.
    pub fn save_file(&self, path: &Path) -> Result<Vec<String>> {
        match LabelsFormat::of(path).ok_or_else(|| unsupported(path))? {
            LabelsFormat::Slp => crate::formats::slp::write_slp(path, &self.data),
            LabelsFormat::Json => {
                crate::util::write_atomic(path, self.to_json().as_bytes())?;
                Ok(Vec::new())
            }
            LabelsFormat::Csv => {
                let plan = self.to_lightning_pose(path, &LpExportOptions::default())?;
                plan.table.write(path)?;
                Ok(Vec::new())
            }
        }
    }
}
