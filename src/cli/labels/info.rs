//! `posedeck labels info FILE [--json]`: what a label file holds, with the field names of the
//! sleap-io oracle (`EXPECTED.json`).

use crate::labels::{LabelsData, Skeleton};
use crate::sanitize::clean;
use serde::Serialize;
use std::path::Path;

/// One skeleton as `labels info` reports it (node names; edges in sleap-io order).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkeletonInfo {
    /// `null` for skeletons stored without a name.
    pub name: Option<String>,
    pub nodes: Vec<String>,
    pub edges: Vec<[String; 2]>,
    pub symmetries: Vec<[String; 2]>,
}

/// The summary of a label set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelsInfo {
    pub path: String,
    pub format: String,
    /// SLEAP format id (.slp only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_id: Option<f64>,
    pub n_labeled_frames: usize,
    pub n_user_instances: usize,
    pub n_predicted_instances: usize,
    pub n_videos: usize,
    pub video_filenames: Vec<String>,
    pub n_skeletons: usize,
    pub skeletons: Vec<SkeletonInfo>,
    pub n_tracks: usize,
    pub track_names: Vec<String>,
    pub n_suggestions: usize,
    pub n_negative_frames: usize,
    pub frames_per_video: Vec<usize>,
    /// Sum of every labeled (finite, visible) user x and y.
    pub user_xy_nansum: f64,
    pub user_points_nonnan: usize,
    pub pred_xy_nansum: f64,
    pub pred_points_nonnan: usize,
    pub warnings: Vec<String>,
}

fn pairs(s: &Skeleton, e: &[(usize, usize)]) -> Vec<[String; 2]> {
    e.iter()
        .filter_map(|&(a, b)| Some([s.nodes.get(a)?.clone(), s.nodes.get(b)?.clone()]))
        .collect()
}

/// Summarises label data. `unnamed` tells which skeletons had no stored name.
pub fn summarize(path: &Path, format: &str, labels: &LabelsData) -> LabelsInfo {
    let mut tally = Tally::new(labels.videos.len());
    for f in &labels.labeled_frames {
        tally.frame(f.video, f.frame_idx, f.instances.len());
        for inst in &f.instances {
            tally.add(inst.is_user(), &inst.points);
        }
    }
    tally.into_info(header(path, format, labels))
}

/// The frame counts and point sums of `labels info`, folded frame by frame: from the labels
/// model ([`summarize`]) or straight from a `.slp` file's tables as they are decoded
/// ([`crate::formats::slp::read_slp_with`]), so that no point is kept.
#[derive(Debug, Clone)]
pub struct Tally {
    n_labeled_frames: usize,
    frames_per_video: Vec<usize>,
    n_user_instances: usize,
    n_predicted_instances: usize,
    user_xy_nansum: f64,
    user_points_nonnan: usize,
    pred_xy_nansum: f64,
    pred_points_nonnan: usize,
}

impl Tally {
    pub fn new(n_videos: usize) -> Tally {
        Tally {
            n_labeled_frames: 0,
            frames_per_video: vec![0; n_videos],
            n_user_instances: 0,
            n_predicted_instances: 0,
            user_xy_nansum: 0.0,
            user_points_nonnan: 0,
            pred_xy_nansum: 0.0,
            pred_points_nonnan: 0,
        }
    }

    fn frame(&mut self, video: usize, _frame_idx: u64, _instances: usize) {
        self.n_labeled_frames += 1;
        // The videos' count is known at the end ([`Tally::into_info`] keeps that many).
        if video >= self.frames_per_video.len() {
            self.frames_per_video.resize(video + 1, 0);
        }
        self.frames_per_video[video] += 1;
    }

    /// One instance's points, summed in order (the same sums whichever way they come).
    fn add(&mut self, user: bool, points: &[crate::labels::Point]) {
        let (sum, n) = if user {
            self.n_user_instances += 1;
            (&mut self.user_xy_nansum, &mut self.user_points_nonnan)
        } else {
            self.n_predicted_instances += 1;
            (&mut self.pred_xy_nansum, &mut self.pred_points_nonnan)
        };
        for p in points {
            if p.is_labeled() {
                *sum += p.x + p.y;
                *n += 1;
            }
        }
    }

    /// `info` (its header from the file) with these counts and sums.
    pub fn into_info(self, mut info: LabelsInfo) -> LabelsInfo {
        info.n_labeled_frames = self.n_labeled_frames;
        let mut per_video = self.frames_per_video;
        per_video.resize(info.n_videos, 0);
        info.frames_per_video = per_video;
        info.n_user_instances = self.n_user_instances;
        info.n_predicted_instances = self.n_predicted_instances;
        info.user_xy_nansum = self.user_xy_nansum;
        info.user_points_nonnan = self.user_points_nonnan;
        info.pred_xy_nansum = self.pred_xy_nansum;
        info.pred_points_nonnan = self.pred_points_nonnan;
        info
    }
}

impl crate::formats::slp::read::FrameSink for Tally {
    fn frame(&mut self, video: usize, frame_idx: u64, instances: usize) {
        Tally::frame(self, video, frame_idx, instances);
    }
    fn instance(
        &mut self,
        head: crate::formats::slp::read::InstanceHead,
        points: &mut Vec<crate::labels::Point>,
    ) {
        self.add(head.kind == crate::labels::InstanceKind::User, points);
    }
}

/// What `labels info` says of `labels` besides its frames (videos, skeletons, tracks,
/// suggestions, negative frames); the frame counts and sums are zero.
pub fn header(path: &Path, format: &str, labels: &LabelsData) -> LabelsInfo {
    LabelsInfo {
        path: path.display().to_string(),
        format: format.to_string(),
        format_id: None,
        n_labeled_frames: labels.labeled_frames.len(),
        n_user_instances: 0,
        n_predicted_instances: 0,
        n_videos: labels.videos.len(),
        video_filenames: labels
            .videos
            .iter()
            .map(|v| v.identity_path().to_string())
            .collect(),
        n_skeletons: labels.skeletons.len(),
        skeletons: labels
            .skeletons
            .iter()
            .map(|s| SkeletonInfo {
                name: if s.name.is_empty()
                    && s.extra.get(crate::formats::slp::skeleton::NAME_IS_NULL)
                        == Some(&serde_json::Value::Bool(true))
                {
                    None
                } else {
                    Some(s.name.clone())
                },
                nodes: s.nodes.clone(),
                edges: pairs(s, &s.edges),
                symmetries: pairs(s, &s.symmetries),
            })
            .collect(),
        n_tracks: labels.tracks.len(),
        track_names: labels.tracks.iter().map(|t| t.name.clone()).collect(),
        n_suggestions: labels.suggestions.len(),
        n_negative_frames: labels.negative_frames.len(),
        frames_per_video: vec![0; labels.videos.len()],
        user_xy_nansum: 0.0,
        user_points_nonnan: 0,
        pred_xy_nansum: 0.0,
        pred_points_nonnan: 0,
        warnings: Vec::new(),
    }
}

/// Human-readable form (every string from the file sanitised).
pub fn render_text(info: &LabelsInfo) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{}", clean(&info.path));
    match info.format_id {
        Some(id) => {
            let _ = writeln!(s, "  format:      {} (format id {id})", info.format);
        }
        None => {
            let _ = writeln!(s, "  format:      {}", info.format);
        }
    }
    let _ = writeln!(
        s,
        "  frames:      {} labeled ({} user instances, {} predicted)",
        info.n_labeled_frames, info.n_user_instances, info.n_predicted_instances
    );
    let _ = writeln!(s, "  videos:      {}", info.n_videos);
    for (i, (v, n)) in info
        .video_filenames
        .iter()
        .zip(&info.frames_per_video)
        .enumerate()
    {
        let _ = writeln!(s, "    [{i}] {} ({n} frames)", clean(v));
    }
    let _ = writeln!(s, "  skeletons:   {}", info.n_skeletons);
    for sk in &info.skeletons {
        let _ = writeln!(
            s,
            "    {}: {} nodes, {} edges, {} symmetries",
            clean(sk.name.as_deref().unwrap_or("(unnamed)")),
            sk.nodes.len(),
            sk.edges.len(),
            sk.symmetries.len()
        );
        let _ = writeln!(
            s,
            "      nodes: {}",
            sk.nodes
                .iter()
                .map(|n| clean(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(s, "  tracks:      {}", info.n_tracks);
    if !info.track_names.is_empty() {
        let shown: Vec<_> = info.track_names.iter().take(20).map(|t| clean(t)).collect();
        let more = info.track_names.len().saturating_sub(20);
        let _ = write!(s, "    {}", shown.join(", "));
        if more > 0 {
            let _ = write!(s, " ... (+{more})");
        }
        s.push('\n');
    }
    let _ = writeln!(s, "  suggestions: {}", info.n_suggestions);
    if info.n_negative_frames > 0 {
        let _ = writeln!(s, "  negative frames: {}", info.n_negative_frames);
    }
    let _ = writeln!(
        s,
        "  points:      {} user ({} xy sum), {} predicted ({} xy sum)",
        info.user_points_nonnan, info.user_xy_nansum, info.pred_points_nonnan, info.pred_xy_nansum
    );
    for w in &info.warnings {
        let _ = writeln!(s, "  warning: {}", clean(w));
    }
    s
}
