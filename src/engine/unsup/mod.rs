//! Lightning Pose's semi-supervised training: unlabeled video frames in sequences
//! ([`frames`]), keypoints from their heatmaps ([`keypoints`]), and the `temporal`,
//! `pca_singleview` and `pca_multiview` losses ([`loss`], PCA in [`nanpca`]) with the
//! config's weights and the annealing of their total ([`config`]).

pub mod config;
pub mod frames;
pub mod keypoints;
pub mod loss;
pub mod nanpca;
pub mod step;

pub use config::{Anneal, Epsilon, Kind, LossSettings, UnsupConfig};
pub use loss::Ready;
