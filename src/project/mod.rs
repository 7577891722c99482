//! Discovering a Lightning Pose project: layout, labels, videos, model runs and their status.
