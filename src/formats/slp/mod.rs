//! SLEAP `.slp` label files (HDF5): reading every format id from 1.0 to 2.8 into the
//! [`crate::labels`] model, and writing format 1.4 as sleap-io writes it.
//!
//! - [`table`]: the row tables (`frames`, `instances`, `points`, `pred_points`) decoded by
//!   field name from compound datasets or h5wasm plain arrays.
//! - [`skeleton`]: skeleton node-link JSON.
//! - [`videos`]: `videos_json` rows, embedded frames, missing-media warnings.
//! - [`read`] / [`write`]: whole files.

pub mod read;
pub mod skeleton;
pub mod table;
pub mod videos;
pub mod write;

pub use write::write_slp;

use crate::Result;
use crate::formats::hdf5::H5File;
use crate::labels::LabelsData;
use std::path::Path;

/// A .slp file as read: the labels, the file's format id, and what the reader noticed but
/// could carry on past (missing media, ignored extension groups, dropped links).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SlpFile {
    pub format_id: f64,
    pub labels: LabelsData,
    pub warnings: Vec<String>,
}

/// Reads a .slp file.
pub fn read_slp(path: &Path) -> Result<SlpFile> {
    let file = H5File::open(path)?;
    read::read_file(&file)
}

/// Reads a .slp file, handing its labeled frames to `sink` as they are decoded instead of
/// collecting them (`labels.labeled_frames` is empty): the same checks, errors and warnings.
pub fn read_slp_with(path: &Path, sink: &mut impl read::FrameSink) -> Result<SlpFile> {
    let file = H5File::open(path)?;
    read::read_file_with(&file, sink)
}

/// Reads a .slp image already in memory (`path` names it in errors and is where media are
/// looked for).
pub fn read_slp_bytes(path: &Path, bytes: Vec<u8>) -> Result<SlpFile> {
    let file = H5File::from_bytes(path, bytes)?;
    read::read_file(&file)
}
