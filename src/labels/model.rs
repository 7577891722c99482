//! The plain data of a SLEAP-style label set: videos, skeletons, tracks, labeled frames with
//! user and predicted instances, suggestions, negative frames / anchors and provenance.
//!
//! Everything refers to everything else by index (an instance's skeleton is an index into
//! `LabelsData::skeletons`, a frame's video an index into `LabelsData::videos`, ...), so the
//! data is owned, cheap to clone and serialises to plain JSON. [`crate::labels::Labels`] wraps
//! this data with indexes that are kept right on every edit.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object kept verbatim (backend fields, provenance, unknown keys).
pub type JsonMap = Map<String, Value>;

/// One keypoint. Coordinates are in pixels with SLEAP's >= 1.1 convention (pixel centre at
/// integer coordinates). A node that was never placed has NaN `x`/`y`; a node marked not
/// visible keeps its finite coordinates with `visible == false`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Point {
    #[serde(with = "nan_as_null")]
    pub x: f64,
    #[serde(with = "nan_as_null")]
    pub y: f64,
    pub visible: bool,
    pub complete: bool,
    /// Point confidence: meaningful for predicted instances only (user points carry 0).
    #[serde(with = "nan_as_null", default)]
    pub score: f64,
}

impl Point {
    /// A visible user point.
    pub fn new(x: f64, y: f64) -> Self {
        Point {
            x,
            y,
            visible: true,
            complete: false,
            score: 0.0,
        }
    }
    /// A visible predicted point with its confidence.
    pub fn predicted(x: f64, y: f64, score: f64) -> Self {
        Point {
            x,
            y,
            visible: true,
            complete: false,
            score,
        }
    }
    /// A node that was not placed (NaN coordinates, not visible).
    pub fn missing() -> Self {
        Point {
            x: f64::NAN,
            y: f64::NAN,
            visible: false,
            complete: false,
            score: 0.0,
        }
    }
    /// True when the point has coordinates and is visible (what sleap-io reports as non-NaN).
    pub fn is_labeled(&self) -> bool {
        self.visible && self.x.is_finite() && self.y.is_finite()
    }
}

/// Float equality for data comparison: NaN equals NaN (a missing value is the same missing
/// value), everything else as `==`.
pub fn same_f64(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

impl PartialEq for Point {
    fn eq(&self, o: &Self) -> bool {
        same_f64(self.x, o.x)
            && same_f64(self.y, o.y)
            && self.visible == o.visible
            && self.complete == o.complete
            && same_f64(self.score, o.score)
    }
}

impl PartialEq for Instance {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.skeleton == o.skeleton
            && self.points == o.points
            && self.track == o.track
            && same_f64(self.score, o.score)
            && same_f64(self.tracking_score, o.tracking_score)
            && self.from_predicted == o.from_predicted
    }
}

/// User-labeled or predicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceKind {
    User,
    Predicted,
}

/// One animal in one frame.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Instance {
    pub kind: InstanceKind,
    /// Index into `LabelsData::skeletons`; `points` has one entry per node of that skeleton.
    pub skeleton: usize,
    pub points: Vec<Point>,
    /// Index into `LabelsData::tracks`.
    pub track: Option<usize>,
    /// Instance score (predicted instances; user instances keep what the file stored).
    #[serde(with = "nan_as_null", default)]
    pub score: f64,
    #[serde(with = "nan_as_null", default)]
    pub tracking_score: f64,
    /// For a user instance made by correcting a prediction: the position of that predicted
    /// instance in the same frame's `instances`.
    pub from_predicted: Option<usize>,
}

impl Instance {
    /// A user instance.
    pub fn user(skeleton: usize, points: Vec<Point>) -> Self {
        Instance {
            kind: InstanceKind::User,
            skeleton,
            points,
            track: None,
            score: 0.0,
            tracking_score: 0.0,
            from_predicted: None,
        }
    }
    /// A predicted instance with its instance score.
    pub fn predicted(skeleton: usize, points: Vec<Point>, score: f64) -> Self {
        Instance {
            kind: InstanceKind::Predicted,
            skeleton,
            points,
            track: None,
            score,
            tracking_score: 0.0,
            from_predicted: None,
        }
    }
    /// A user instance from (x, y) pairs; NaN pairs become missing points.
    pub fn user_from_xy(skeleton: usize, xy: &[(f64, f64)]) -> Self {
        let points = xy
            .iter()
            .map(|&(x, y)| {
                if x.is_finite() && y.is_finite() {
                    Point::new(x, y)
                } else {
                    Point::missing()
                }
            })
            .collect();
        Instance::user(skeleton, points)
    }
    pub fn with_track(mut self, track: Option<usize>) -> Self {
        self.track = track;
        self
    }
    pub fn with_tracking_score(mut self, s: f64) -> Self {
        self.tracking_score = s;
        self
    }
    pub fn with_from_predicted(mut self, idx: Option<usize>) -> Self {
        self.from_predicted = idx;
        self
    }
    pub fn is_user(&self) -> bool {
        self.kind == InstanceKind::User
    }
    pub fn is_predicted(&self) -> bool {
        self.kind == InstanceKind::Predicted
    }
    /// (x, y) per node as sleap-io's `Instance.numpy()` reports it: NaN for missing or
    /// not-visible nodes.
    pub fn xy(&self) -> Vec<[f64; 2]> {
        self.points
            .iter()
            .map(|p| {
                if p.is_labeled() {
                    [p.x, p.y]
                } else {
                    [f64::NAN, f64::NAN]
                }
            })
            .collect()
    }
    /// Number of labeled (visible, finite) nodes.
    pub fn n_labeled(&self) -> usize {
        self.points.iter().filter(|p| p.is_labeled()).count()
    }
}

/// All instances of one video frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabeledFrame {
    /// Index into `LabelsData::videos`.
    pub video: usize,
    pub frame_idx: u64,
    pub instances: Vec<Instance>,
}

impl LabeledFrame {
    pub fn new(video: usize, frame_idx: u64) -> Self {
        LabeledFrame {
            video,
            frame_idx,
            instances: Vec::new(),
        }
    }
    pub fn with_instances(video: usize, frame_idx: u64, instances: Vec<Instance>) -> Self {
        LabeledFrame {
            video,
            frame_idx,
            instances,
        }
    }
    pub fn user_instances(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter().filter(|i| i.is_user())
    }
    pub fn predicted_instances(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter().filter(|i| i.is_predicted())
    }
    pub fn has_user_instances(&self) -> bool {
        self.instances.iter().any(|i| i.is_user())
    }
    pub fn has_predicted_instances(&self) -> bool {
        self.instances.iter().any(|i| i.is_predicted())
    }
}

/// A skeleton: node names, body edges and symmetry pairs (indices into `nodes`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skeleton {
    pub name: String,
    pub nodes: Vec<String>,
    /// Body edges in the order of the JSON `links` (sleap-io's order).
    pub edges: Vec<(usize, usize)>,
    /// Body edges sorted by `edge_insert_idx` (legacy SLEAP's `Skeleton.edges` order).
    pub legacy_edges: Vec<(usize, usize)>,
    /// Symmetric node pairs, each once.
    pub symmetries: Vec<(usize, usize)>,
    /// Other fields of the skeleton JSON kept verbatim (`description`, `preview_image`, ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: JsonMap,
}

impl Skeleton {
    /// A skeleton with nodes and edges (legacy order = given order) and no symmetries.
    pub fn new(name: impl Into<String>, nodes: &[&str], edges: &[(usize, usize)]) -> Self {
        Skeleton {
            name: name.into(),
            nodes: nodes.iter().map(|s| s.to_string()).collect(),
            edges: edges.to_vec(),
            legacy_edges: edges.to_vec(),
            symmetries: Vec::new(),
            extra: Map::new(),
        }
    }
    pub fn with_symmetries(mut self, sym: &[(usize, usize)]) -> Self {
        self.symmetries = sym.to_vec();
        self
    }
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n == name)
    }
    /// Edges as node-name pairs (sleap-io order).
    pub fn edge_names(&self) -> Vec<(String, String)> {
        self.edges
            .iter()
            .filter_map(|&(a, b)| Some((self.nodes.get(a)?.clone(), self.nodes.get(b)?.clone())))
            .collect()
    }
    /// Symmetries as node-name pairs.
    pub fn symmetry_names(&self) -> Vec<(String, String)> {
        self.symmetries
            .iter()
            .filter_map(|&(a, b)| Some((self.nodes.get(a)?.clone(), self.nodes.get(b)?.clone())))
            .collect()
    }
}

/// A track (identity over time).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Track {
    pub name: String,
    pub spawned_on: i64,
}

impl Track {
    pub fn new(name: impl Into<String>) -> Self {
        Track {
            name: name.into(),
            spawned_on: 0,
        }
    }
}

/// Frames stored inside the labels file itself (a `.pkg.slp`): kept opaque so that saving
/// writes the same bytes back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedFrames {
    /// HDF5 dataset path of the frames, e.g. `video0/video`.
    pub dataset: String,
    /// `png`, `jpg` (one encoded image per row) or `hdf5` (raw pixels, HxWxC u8 per row).
    pub format: String,
    /// Stored row -> frame index in the source video.
    pub frame_numbers: Vec<u64>,
    /// One entry per stored row: the encoded image bytes exactly as stored (trailing zero
    /// padding trimmed), or raw pixels for `format == "hdf5"`.
    pub frames: Vec<Vec<u8>>,
    /// Attributes of the dataset (channels, height, width, frames, fps, channel_order, ...).
    #[serde(default)]
    pub attrs: JsonMap,
    /// Anything else the reader needs to write the frames back unchanged (storage layout).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: JsonMap,
}

impl EmbeddedFrames {
    /// The stored row of a frame index.
    pub fn row_of(&self, frame_idx: u64) -> Option<usize> {
        self.frame_numbers.iter().position(|&f| f == frame_idx)
    }
}

/// A video (file, image sequence, or frames embedded in a labels file).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Video {
    /// The path as stored (for frames embedded in the labels file SLEAP stores `"."`).
    pub filename: String,
    /// Image sequence: the image paths (`backend.filenames`); empty for a single file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_filenames: Vec<String>,
    /// The `backend` dict of `videos_json`, verbatim.
    #[serde(default)]
    pub backend: JsonMap,
    /// (frames, height, width, channels) when known.
    pub shape: Option<[u64; 4]>,
    pub fps: Option<f64>,
    /// Frames embedded in the labels file (`.pkg.slp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<EmbeddedFrames>,
    /// The original video of embedded frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_video: Option<Box<Video>>,
    /// Other top-level keys of the `videos_json` row, verbatim.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: JsonMap,
}

impl Video {
    /// A video file at `path`.
    pub fn from_path(path: impl Into<String>) -> Self {
        Video {
            filename: path.into(),
            ..Default::default()
        }
    }
    /// An image-sequence video.
    pub fn from_images(images: Vec<String>) -> Self {
        Video {
            filename: images.first().cloned().unwrap_or_default(),
            image_filenames: images,
            ..Default::default()
        }
    }
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
    pub fn is_image_sequence(&self) -> bool {
        !self.image_filenames.is_empty()
    }
    /// The path that identifies this video for matching and display: the source video's
    /// path for embedded frames when known, else `filename`.
    pub fn identity_path(&self) -> &str {
        match (&self.embedded, &self.source_video) {
            (Some(_), Some(src)) => src.identity_path(),
            _ => &self.filename,
        }
    }
}

/// A frame suggested for labeling.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Suggestion {
    pub video: usize,
    pub frame_idx: u64,
    pub group: i64,
}

/// A frame explicitly marked as containing no animal (sleap-io `negative_frames`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NegativeFrame {
    pub video: usize,
    pub frame_idx: u64,
}

/// A point marked as background for training (SLEAP `negative_anchors`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NegativeAnchor {
    pub video: usize,
    pub frame_idx: u64,
    pub x: f64,
    pub y: f64,
}

/// Everything a label set holds. [`crate::labels::Labels`] derefs to this for reading.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelsData {
    pub videos: Vec<Video>,
    pub skeletons: Vec<Skeleton>,
    pub tracks: Vec<Track>,
    pub labeled_frames: Vec<LabeledFrame>,
    #[serde(default)]
    pub suggestions: Vec<Suggestion>,
    #[serde(default)]
    pub negative_frames: Vec<NegativeFrame>,
    #[serde(default)]
    pub negative_anchors: Vec<NegativeAnchor>,
    /// Free-form provenance (SLEAP's `provenance` dict).
    #[serde(default)]
    pub provenance: JsonMap,
    /// Multiview sessions (`sessions_json` rows), kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<Value>,
}

/// Serialises NaN as JSON `null` (JSON has no NaN) and reads `null` back as NaN.
pub(crate) mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
