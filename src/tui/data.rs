//! What the views show, as owned plain data: built from the project model (`crate::project`),
//! the CSV readers and the events reader by `load`, refreshed piecewise (one run at a time).
//! Strings from files are cleaned before they get here.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Data {
    pub root: PathBuf,
    /// Folders holding model runs (watched with the root).
    pub model_dirs: Vec<PathBuf>,
    /// Layout description ("new app project", "old app project", ".slp file" ...).
    pub kind: String,
    /// The whole project failed to load: shown in place of the views.
    pub error: Option<String>,
    pub keypoints: Vec<String>,
    /// Per keypoint colour from label_studio_config.xml, when given.
    pub keypoint_rgb: Vec<Option<[u8; 3]>>,
    /// Per keypoint hotkey from label_studio_config.xml, when given (edit mode selects the
    /// keypoint with it).
    pub keypoint_hotkeys: Vec<Option<String>>,
    /// Skeleton edges (keypoint index pairs) when known (SLEAP).
    pub edges: Vec<(usize, usize)>,
    pub n_labeled: usize,
    pub n_missing_frames: usize,
    pub per_video: Vec<VideoLabels>,
    /// (labeled tasks, total tasks) from label_studio_metadata.yaml.
    pub labeling_progress: Option<(u64, u64)>,
    pub videos: Vec<VideoRow>,
    pub runs: Vec<RunRow>,
    /// The frames queued for labeling (the labeler queue, in queue order), then the labeled
    /// frames, in file order.
    pub frames: Vec<Frame>,
    /// Frames in the labeler queue (`CollectedData*.unlabeled.jsonl`).
    pub n_queued: usize,
    /// The label CSVs (and their views) that extracted frames are queued beside.
    pub label_views: Vec<(Option<String>, PathBuf)>,
    /// Non-fatal problems (a bad CSV, a damaged config), each naming its file.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VideoLabels {
    pub video: String,
    pub labeled: usize,
    pub with_missing: usize,
    pub missing_keypoints: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VideoRow {
    pub folder: String,
    pub file: String,
    pub path: PathBuf,
    pub size_bytes: u64,
    pub frames: Option<u64>,
    pub fps: Option<f64>,
    pub codec: Option<String>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    /// Why frames/fps/codec are unknown (no ffprobe, probe error).
    pub note: Option<String>,
    /// What breaks Lightning Pose's DALI readers (codec, pixel format, variable frame rate).
    pub warnings: Vec<String>,
    /// A frame folder's images in frame order (the Videos view shows them).
    pub frame_files: Vec<PathBuf>,
}

/// Where a labeled frame's pixels are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FrameSource {
    /// An image file (may turn out unreadable: the error is shown in place).
    File(PathBuf),
    /// Encoded image bytes embedded in a labels file (.pkg.slp).
    Bytes {
        name: String,
        #[serde(skip)]
        bytes: std::sync::Arc<Vec<u8>>,
    },
    /// A frame of a video file: H.264 MP4 decoded in-process, other codecs by ffmpeg when it
    /// is installed; a frame that cannot be decoded shows its error in place.
    Video {
        path: PathBuf,
        frame: u64,
        width: u32,
        height: u32,
    },
    /// No pixels can be had (a video frame without ffmpeg, a missing file): keypoints are
    /// drawn on a blank canvas of this size and `why` says so.
    Blank {
        width: u32,
        height: u32,
        why: String,
    },
}

impl Default for FrameSource {
    fn default() -> Self {
        FrameSource::Blank {
            width: 640,
            height: 480,
            why: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Frame {
    /// The frame's name (the CSV row's image path, or video:frame for SLEAP).
    pub image: String,
    pub source: FrameSource,
    pub video: String,
    /// One entry per keypoint; `None` when missing.
    pub points: Vec<Option<(f64, f64)>>,
    /// Further labeled instances in the frame (multi-animal SLEAP files).
    pub others: Vec<Vec<Option<(f64, f64)>>>,
    /// Predicted instances stored with the labels (SLEAP), drawn hollow.
    pub predicted: Vec<Vec<Option<(f64, f64)>>>,
    /// In the labeler queue, not labeled yet.
    pub queued: bool,
    /// Where the frame's labels are stored (what edit mode opens).
    pub origin: FrameOrigin,
}

/// The label file a frame's labels live in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub enum FrameOrigin {
    /// Not editable (no label file behind it).
    #[default]
    None,
    /// A row of a Lightning Pose CollectedData CSV, by its index text (image path); a frame
    /// without a row yet (from the labeling queue) gets one when its labels are written.
    Csv { file: PathBuf, image: String },
    /// A labeled frame of a SLEAP file.
    Slp {
        file: PathBuf,
        video: usize,
        frame_idx: u64,
    },
}

impl Frame {
    pub fn n_missing(&self) -> usize {
        self.points.iter().filter(|p| p.is_none()).count()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorStats {
    pub mean: f64,
    pub median: f64,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunRow {
    pub name: String,
    pub path: PathBuf,
    /// How the run folder is laid out (to reload it alone).
    pub layout: Option<crate::project::RunLayout>,
    pub date: Option<String>,
    /// As written in train_status.json (or "DONE"/"UNKNOWN" for old-app runs).
    pub status: String,
    /// Judged: FAILED / STALE when the written status cannot be true.
    pub effective: String,
    pub reason: Option<String>,
    pub progress: Option<(u64, u64)>,
    pub model_type: Option<String>,
    pub backbone: Option<String>,
    pub image_size: Option<(u64, u64)>,
    pub train_frames: Option<String>,
    pub best_val_loss: Option<f64>,
    /// Per set ("train", "validation", "test").
    pub pixel_error: BTreeMap<String, ErrorStats>,
    /// Per keypoint mean pixel error per set.
    pub per_keypoint: BTreeMap<String, Vec<(String, f64)>>,
    /// Effective config as YAML text and flattened (for the diff).
    pub config_yaml: Option<String>,
    pub config_flat: BTreeMap<String, String>,
    pub files: Vec<(String, u64)>,
    pub events_files: Vec<PathBuf>,
    pub predictions: Option<PathBuf>,
    pub video_preds: Vec<PathBuf>,
    /// The last lines of the run's training log (train_stdout.log, else train_stderr.log).
    pub log_tail: Vec<String>,
    /// The run could not be read (bad config, bad status file): shown in its row.
    pub errors: Vec<String>,
}

impl RunRow {
    pub fn is_active(&self) -> bool {
        matches!(
            self.effective.as_str(),
            "PENDING" | "STARTING" | "STARTED" | "TRAINING" | "EVALUATING"
        )
    }
}
