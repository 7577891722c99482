//! Read-only questions about a [`Labels`], each answered from the lookup tables: no call
//! scans every frame unless it returns every frame.

use super::model::{Instance, LabeledFrame};
use super::store::Labels;
use std::borrow::Cow;
use std::ops::Range;

/// Which frames of a video [`Labels::find`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameQuery {
    /// Every labeled frame of the video (in frame order).
    All,
    One(u64),
    /// A half-open range of frame indices (in frame order).
    Range(Range<u64>),
    /// These frame indices (in the given order; absent ones skipped).
    List(Vec<u64>),
}

impl From<u64> for FrameQuery {
    fn from(f: u64) -> Self {
        FrameQuery::One(f)
    }
}
impl From<Range<u64>> for FrameQuery {
    fn from(r: Range<u64>) -> Self {
        FrameQuery::Range(r)
    }
}
impl From<Vec<u64>> for FrameQuery {
    fn from(v: Vec<u64>) -> Self {
        FrameQuery::List(v)
    }
}
impl From<Option<u64>> for FrameQuery {
    fn from(f: Option<u64>) -> Self {
        f.map_or(FrameQuery::All, FrameQuery::One)
    }
}

impl Labels {
    /// The labeled frame (video, frame_idx), in O(1).
    pub fn frame(&self, video: usize, frame_idx: u64) -> Option<&LabeledFrame> {
        self.index
            .frame_pos
            .get(&(video, frame_idx))
            .and_then(|&p| self.data.labeled_frames.get(p))
    }

    /// Position of the frame in `labeled_frames`.
    pub fn frame_position(&self, video: usize, frame_idx: u64) -> Option<usize> {
        self.index.frame_pos.get(&(video, frame_idx)).copied()
    }

    /// Whether the frame (video, frame_idx) is labeled.
    pub fn has_frame(&self, video: usize, frame_idx: u64) -> bool {
        self.index.frame_pos.contains_key(&(video, frame_idx))
    }

    /// Labeled frames of a video matching the query (SLEAP's `Labels.find`).
    pub fn find(&self, video: usize, query: impl Into<FrameQuery>) -> Vec<&LabeledFrame> {
        let Some(set) = self.index.per_video.get(video) else {
            return Vec::new();
        };
        match query.into() {
            FrameQuery::All => set.iter().filter_map(|&f| self.frame(video, f)).collect(),
            FrameQuery::One(f) => self.frame(video, f).into_iter().collect(),
            FrameQuery::Range(r) => set.range(r).filter_map(|&f| self.frame(video, f)).collect(),
            FrameQuery::List(v) => v.iter().filter_map(|&f| self.frame(video, f)).collect(),
        }
    }

    /// The frame (video, frame_idx), or a new empty frame (not added) when it is not labeled
    /// (SLEAP's `find(..., return_new=True)`).
    pub fn find_or_new(&self, video: usize, frame_idx: u64) -> Cow<'_, LabeledFrame> {
        match self.frame(video, frame_idx) {
            Some(f) => Cow::Borrowed(f),
            None => Cow::Owned(LabeledFrame::new(video, frame_idx)),
        }
    }

    /// With a frame index: that frame. Without: the labeled frame of the video with the
    /// lowest frame index.
    pub fn find_first(&self, video: usize, frame_idx: Option<u64>) -> Option<&LabeledFrame> {
        match frame_idx {
            Some(f) => self.frame(video, f),
            None => {
                let f = *self.index.per_video.get(video)?.first()?;
                self.frame(video, f)
            }
        }
    }

    /// With a frame index: that frame. Without: the labeled frame of the video with the
    /// highest frame index.
    pub fn find_last(&self, video: usize, frame_idx: Option<u64>) -> Option<&LabeledFrame> {
        match frame_idx {
            Some(f) => self.frame(video, f),
            None => {
                let f = *self.index.per_video.get(video)?.last()?;
                self.frame(video, f)
            }
        }
    }

    /// Every labeled frame of a video, starting with the first one after `from` (before it
    /// when `reverse`) and wrapping around, as SLEAP's `Labels.frames` does for seeking.
    /// Forward order is ascending frame index, reverse order descending.
    pub fn frames(
        &self,
        video: usize,
        from: Option<u64>,
        reverse: bool,
    ) -> impl Iterator<Item = &LabeledFrame> + '_ {
        let set = self.index.per_video.get(video);
        let keys: Vec<u64> = match (set, reverse) {
            (None, _) => Vec::new(),
            (Some(s), false) => match from {
                None => s.iter().copied().collect(),
                Some(f) => s
                    .range(f.saturating_add(1)..)
                    .chain(s.range(..=f))
                    .copied()
                    .collect(),
            },
            (Some(s), true) => match from {
                None => s.iter().rev().copied().collect(),
                Some(f) => s
                    .range(..f)
                    .rev()
                    .chain(s.range(f..).rev())
                    .copied()
                    .collect(),
            },
        };
        keys.into_iter().filter_map(move |f| self.frame(video, f))
    }

    /// Instances, optionally only of one video and/or one skeleton. With a video only that
    /// video's frames are visited.
    pub fn instances(
        &self,
        video: Option<usize>,
        skeleton: Option<usize>,
    ) -> Box<dyn Iterator<Item = &Instance> + '_> {
        let keep = move |i: &&Instance| skeleton.is_none_or(|s| i.skeleton == s);
        match video {
            None => Box::new(
                self.data
                    .labeled_frames
                    .iter()
                    .flat_map(|f| f.instances.iter())
                    .filter(keep),
            ),
            Some(v) => Box::new(
                self.find(v, FrameQuery::All)
                    .into_iter()
                    .flat_map(|f| f.instances.iter())
                    .filter(keep),
            ),
        }
    }

    /// Every instance, user and predicted.
    pub fn all_instances(&self) -> impl Iterator<Item = &Instance> + '_ {
        self.data
            .labeled_frames
            .iter()
            .flat_map(|f| f.instances.iter())
    }

    pub fn user_instances(&self) -> impl Iterator<Item = &Instance> + '_ {
        self.all_instances().filter(|i| i.is_user())
    }

    pub fn predicted_instances(&self) -> impl Iterator<Item = &Instance> + '_ {
        self.all_instances().filter(|i| i.is_predicted())
    }

    /// Frames with at least one user instance.
    pub fn user_labeled_frames(&self) -> impl Iterator<Item = &LabeledFrame> + '_ {
        self.data
            .labeled_frames
            .iter()
            .filter(|f| f.has_user_instances())
    }

    /// Number of instances (user and predicted) in the frame; 0 when it is not labeled.
    pub fn instance_count(&self, video: usize, frame_idx: u64) -> usize {
        self.frame(video, frame_idx)
            .map_or(0, |f| f.instances.len())
    }

    /// Number of user instances, in O(1).
    pub fn n_user_instances(&self) -> usize {
        self.index.n_user
    }

    /// Number of predicted instances, in O(1).
    pub fn n_predicted_instances(&self) -> usize {
        self.index.n_predicted
    }

    /// Number of labeled frames of a video, in O(1).
    pub fn n_frames_in_video(&self, video: usize) -> usize {
        self.index.per_video.get(video).map_or(0, |s| s.len())
    }

    /// The one skeleton, when there is exactly one.
    pub fn skeleton(&self) -> Option<&super::Skeleton> {
        match self.data.skeletons.as_slice() {
            [s] => Some(s),
            _ => None,
        }
    }

    /// The largest number of user instances in any frame.
    pub fn max_user_instances(&self) -> usize {
        self.data
            .labeled_frames
            .iter()
            .map(|f| f.user_instances().count())
            .max()
            .unwrap_or(0)
    }
}
