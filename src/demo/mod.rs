//! The demo project generator: a deterministic Lightning Pose project with exact ground truth.
//!
//! An articulated animal (seen from above: head with ears and eyes, a bending spine, a tail,
//! four two-segment legs with paws) walks around a textured arena in a few "videos"; every
//! labeled frame is rendered to a PNG and its exact keypoints go to `CollectedData.csv`, with
//! some cells missing (out of frame, hidden by an occluder, or simply not labeled). The same
//! seed and arguments give byte-identical files. Tests and benchmarks use the returned
//! [`GroundTruth`]; [`bench_project`] builds the large project the `status` benchmark reads.
//!
//! Files: `rng` (SplitMix64, value noise), `body` (skeleton, keypoint catalogue, geometry),
//! `motion` (the walk), `raster` (anti-aliased shapes), `scene` (floor, lighting, occluder,
//! drawing), `project` (the files of a project), `bench` (the benchmark project).

pub mod bench;
pub mod body;
pub mod motion;
pub mod project;
pub mod raster;
pub mod rng;
pub mod scene;

pub use bench::{BenchSpec, BenchSummary, bench_project};
pub use project::generate;

use serde::{Deserialize, Serialize};

/// Simulation steps between two labeled frames (labeled frames are every 3rd video frame).
pub const FRAME_STRIDE: u64 = 3;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSpec {
    /// Labeled frames in total, spread over the videos.
    pub frames: usize,
    /// Keypoints per frame (1 ..= [`body::MAX_KEYPOINTS`]).
    pub keypoints: usize,
    pub seed: u64,
    pub width: u32,
    pub height: u32,
    /// Number of videos (labeled-data subfolders); at most `frames`.
    pub videos: usize,
    /// Frames of each video also written as a PNG frame folder under `videos/<video>/`
    /// (every frame, not only the labeled ones); 0 for none.
    pub clip_frames: usize,
}

impl Default for DemoSpec {
    fn default() -> Self {
        DemoSpec {
            frames: 240,
            keypoints: 10,
            seed: 0,
            width: 256,
            height: 256,
            videos: 3,
            clip_frames: 60,
        }
    }
}

impl DemoSpec {
    /// Checks the numbers; the error says which one is out of range.
    pub fn validate(&self) -> crate::Result<()> {
        use crate::Error;
        if self.frames == 0 || self.frames > 1_000_000 {
            return Err(Error::usage(format!(
                "--frames must be 1..=1000000, got {}",
                self.frames
            )));
        }
        if self.keypoints == 0 || self.keypoints > body::MAX_KEYPOINTS {
            return Err(Error::usage(format!(
                "--keypoints must be 1..={}, got {}",
                body::MAX_KEYPOINTS,
                self.keypoints
            )));
        }
        for (what, v) in [("width", self.width), ("height", self.height)] {
            if !(32..=4096).contains(&v) {
                return Err(Error::usage(format!(
                    "image {what} must be 32..=4096 pixels, got {v}"
                )));
            }
        }
        if self.videos == 0 || self.videos > 1000 {
            return Err(Error::usage(format!(
                "videos must be 1..=1000, got {}",
                self.videos
            )));
        }
        if self.clip_frames > 100_000 {
            return Err(Error::usage(format!(
                "clip frames must be at most 100000, got {}",
                self.clip_frames
            )));
        }
        Ok(())
    }

    /// Labeled frames per video (the first videos take the remainder).
    pub fn frames_per_video(&self) -> Vec<usize> {
        let v = self.videos.min(self.frames).max(1);
        (0..v)
            .map(|i| self.frames / v + usize::from(i < self.frames % v))
            .collect()
    }
}

/// Why a keypoint has no label in a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The point lies outside the image.
    OutOfFrame,
    /// The occluder covers it.
    Occluded,
    /// Visible, but the (simulated) labeler skipped it.
    Unlabeled,
}

/// One labeled frame's truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameTruth {
    /// Index path as written in CollectedData.csv: `labeled-data/<video>/img%08d.png`.
    pub image: String,
    pub video: String,
    /// Frame number within its video.
    pub frame_index: u64,
    /// Exact keypoint positions (pixels, centre-of-pixel convention, rounded to 1/100 px),
    /// before missing cells are blanked; may lie outside the image.
    pub keypoints: Vec<[f64; 2]>,
    /// Per keypoint: why it is missing from the CSV, or `None` when it is labeled.
    pub missing: Vec<Option<Missing>>,
}

impl FrameTruth {
    /// The label as written: `None` where the cell is empty.
    pub fn label(&self, k: usize) -> Option<[f64; 2]> {
        match self.missing.get(k) {
            Some(None) => self.keypoints.get(k).copied(),
            _ => None,
        }
    }
}

/// Everything a test or benchmark needs to know about a generated project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub spec: DemoSpec,
    pub keypoint_names: Vec<String>,
    /// Skeleton edges as index pairs into `keypoint_names` (a tree; for drawing).
    pub skeleton: Vec<[usize; 2]>,
    /// Video names in order (labeled-data subfolders).
    pub videos: Vec<String>,
    /// Labeled frames in CSV row order.
    pub frames: Vec<FrameTruth>,
}

impl GroundTruth {
    /// Empty (NaN) keypoints over all frames.
    pub fn missing_cells(&self) -> usize {
        self.frames
            .iter()
            .map(|f| f.missing.iter().filter(|m| m.is_some()).count())
            .sum()
    }

    /// Frames with at least one missing keypoint.
    pub fn frames_with_missing(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| f.missing.iter().any(|m| m.is_some()))
            .count()
    }

    /// Missing cells for one reason.
    pub fn missing_because(&self, why: Missing) -> usize {
        self.frames
            .iter()
            .map(|f| f.missing.iter().filter(|m| **m == Some(why)).count())
            .sum()
    }

    /// Labeled frames per video, in video order.
    pub fn frames_per_video(&self) -> Vec<(String, usize)> {
        self.videos
            .iter()
            .map(|v| {
                (
                    v.clone(),
                    self.frames.iter().filter(|f| &f.video == v).count(),
                )
            })
            .collect()
    }
}
