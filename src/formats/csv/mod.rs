//! Lightning Pose CSV files, read and written as pandas reads and writes them.
//!
//! - [`PoseTable`]: three header rows (scorer / bodyparts / coords): `CollectedData*.csv`
//!   (coords `x, y` and optionally `visible`), `predictions*.csv` (`x, y, likelihood` and a
//!   trailing `set` column) and `video_preds/<video>.csv` (index = frame number).
//! - [`MetricTable`]: one header row: `*_pixel_error.csv`, `*_pca_singleview_error.csv`,
//!   `*_pca_multiview_error.csv`, `*_temporal_norm.csv`.
//!
//! Reading is fast (parallel chunks, see `fast`) and exact: an empty cell is NaN, an all-empty
//! first data row is kept (pandas would take it for an index-name row), quoted fields, CRLF and
//! a missing final newline are handled, and every error names the file and the 1-based line
//! (and field). Writing gives the bytes pandas `to_csv` gives, atomically.

mod decimal;
mod fast;
mod grid;
mod metric;
mod nan_serde;
mod number;
mod pose;
mod write;

pub use metric::{MetricTable, MetricValues};
pub(crate) use number::push_float;
pub use pose::{PoseTable, VideoRows, video_of};
pub(crate) use write::push_text;

#[cfg(test)]
mod tests;
