//! File formats: Lightning Pose CSVs, TensorBoard events files, SLEAP .slp, YAML/XML/JSON configs.
//! Knows nothing of the UI.

pub mod csv;
pub mod hdf5;
pub mod slp;
pub mod tfevents;
