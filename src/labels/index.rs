//! Lookup tables kept beside the label data so that no query scans every frame: frame by
//! (video, frame index) in O(1), frames of a video in order, track occupancy per (video,
//! track), instance counts, and suggested frames per video.

use super::model::{LabeledFrame, LabelsData};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    /// (video, frame_idx) -> position in `labeled_frames`.
    pub frame_pos: HashMap<(usize, u64), usize>,
    /// Per video: labeled frame indices in order.
    pub per_video: Vec<BTreeSet<u64>>,
    /// (video, track) -> frame_idx -> number of instances of that track in that frame.
    pub occupancy: HashMap<(usize, usize), BTreeMap<u64, u32>>,
    pub n_user: usize,
    pub n_predicted: usize,
    /// Per video: suggested frame index -> position of its (first) entry in `suggestions`.
    pub suggested: Vec<BTreeMap<u64, usize>>,
}

impl Index {
    /// Builds every table from scratch (O(total instances)).
    pub fn build(data: &LabelsData) -> Index {
        let mut ix = Index {
            frame_pos: HashMap::with_capacity(data.labeled_frames.len()),
            per_video: vec![BTreeSet::new(); data.videos.len()],
            ..Default::default()
        };
        for (pos, f) in data.labeled_frames.iter().enumerate() {
            ix.frame_pos.insert((f.video, f.frame_idx), pos);
            ix.add_frame_contents(f);
        }
        ix.rebuild_suggestions(data);
        ix
    }

    /// Registers a frame's key in the ordered per-video set and its contents.
    pub fn add_frame_contents(&mut self, f: &LabeledFrame) {
        if self.per_video.len() <= f.video {
            self.per_video.resize(f.video + 1, BTreeSet::new());
        }
        if let Some(set) = self.per_video.get_mut(f.video) {
            set.insert(f.frame_idx);
        }
        for inst in &f.instances {
            self.add_instance(f.video, f.frame_idx, inst.is_user(), inst.track);
        }
    }

    /// Removes a frame's contents (its key stays in `per_video`; see `forget_frame`).
    pub fn remove_frame_contents(&mut self, f: &LabeledFrame) {
        for inst in &f.instances {
            self.remove_instance(f.video, f.frame_idx, inst.is_user(), inst.track);
        }
    }

    pub fn forget_frame_key(&mut self, video: usize, frame_idx: u64) {
        self.frame_pos.remove(&(video, frame_idx));
        if let Some(set) = self.per_video.get_mut(video) {
            set.remove(&frame_idx);
        }
    }

    pub fn add_instance(&mut self, video: usize, frame_idx: u64, user: bool, track: Option<usize>) {
        if user {
            self.n_user += 1;
        } else {
            self.n_predicted += 1;
        }
        if let Some(t) = track {
            *self
                .occupancy
                .entry((video, t))
                .or_default()
                .entry(frame_idx)
                .or_insert(0) += 1;
        }
    }

    pub fn remove_instance(
        &mut self,
        video: usize,
        frame_idx: u64,
        user: bool,
        track: Option<usize>,
    ) {
        if user {
            self.n_user = self.n_user.saturating_sub(1);
        } else {
            self.n_predicted = self.n_predicted.saturating_sub(1);
        }
        if let Some(t) = track
            && let Some(map) = self.occupancy.get_mut(&(video, t))
        {
            if let Some(c) = map.get_mut(&frame_idx) {
                *c = c.saturating_sub(1);
                if *c == 0 {
                    map.remove(&frame_idx);
                }
            }
            if map.is_empty() {
                self.occupancy.remove(&(video, t));
            }
        }
    }

    pub fn rebuild_suggestions(&mut self, data: &LabelsData) {
        self.suggested = vec![BTreeMap::new(); data.videos.len()];
        for (pos, s) in data.suggestions.iter().enumerate() {
            if let Some(m) = self.suggested.get_mut(s.video) {
                m.entry(s.frame_idx).or_insert(pos);
            }
        }
    }
}
