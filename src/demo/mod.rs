//! The demo project generator: a deterministic Lightning Pose project with exact ground truth.
