//! Merging label sets with SLEAP's semantics: `complex_merge_between` (clean merges applied,
//! conflicts returned, nothing dropped), `finish_complex_merge`, `merge_matching_frames` and
//! `extend_from`.

use super::matching::{instances_match, skeletons_match, videos_match};
use super::model::{Instance, LabeledFrame};
use super::store::Labels;
use crate::Result;
use serde::Serialize;

/// Where the other label set's videos, skeletons and tracks went in this one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unification {
    /// other video index -> index here.
    pub videos: Vec<usize>,
    pub skeletons: Vec<usize>,
    pub tracks: Vec<usize>,
    /// Indices here of the videos / skeletons / tracks that had no match and were added.
    pub videos_added: Vec<usize>,
    pub skeletons_added: Vec<usize>,
    pub tracks_added: Vec<usize>,
}

/// A frame both sides labeled differently: each has instances the other lacks, of the same
/// kind (both user or both predicted). The base frame kept only the instances both agree on;
/// these extras wait for a decision ([`Labels::finish_complex_merge`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MergeConflict {
    pub video: usize,
    pub frame_idx: u64,
    /// Base instances not in the new frame (taken out of the base frame).
    pub extra_base: Vec<Instance>,
    /// New instances not in the base frame.
    pub extra_new: Vec<Instance>,
}

impl MergeConflict {
    pub fn base_frame(&self) -> LabeledFrame {
        LabeledFrame::with_instances(self.video, self.frame_idx, self.extra_base.clone())
    }
    pub fn new_frame(&self) -> LabeledFrame {
        LabeledFrame::with_instances(self.video, self.frame_idx, self.extra_new.clone())
    }
}

/// A frame that merged cleanly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MergedFrame {
    pub video: usize,
    pub frame_idx: u64,
    /// Instances added to this label set.
    pub instances_added: usize,
    /// The base had no such frame.
    pub new_frame: bool,
}

/// What `complex_merge_between` did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MergeOutcome {
    pub unification: Unification,
    pub merged: Vec<MergedFrame>,
    pub conflicts: Vec<MergeConflict>,
    /// Incoming instances equal to one already in the base frame (not added again).
    pub redundant: usize,
    pub suggestions_added: usize,
    pub negative_frames_added: usize,
    pub negative_anchors_added: usize,
}

/// Which side wins in a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Prefer {
    Base,
    New,
    /// Keep the extras of both sides.
    Both,
}

impl MergeOutcome {
    /// The frames to hand to [`Labels::finish_complex_merge`] for a blanket preference.
    pub fn resolve(&self, prefer: Prefer) -> Vec<LabeledFrame> {
        let mut out = Vec::new();
        for c in &self.conflicts {
            if matches!(prefer, Prefer::Base | Prefer::Both) {
                out.push(c.base_frame());
            }
            if matches!(prefer, Prefer::New | Prefer::Both) {
                out.push(c.new_frame());
            }
        }
        out
    }
}

impl Labels {
    /// Maps the other set's videos, skeletons and tracks onto this one's, adding those
    /// without a match. With `unify`, videos match as in SLEAP's merge (exact path or last
    /// three components), skeletons by node names / edges / symmetries and tracks by name;
    /// without, only fully equal entries are shared.
    pub fn unify_with(&mut self, other: &Labels, unify: bool) -> Unification {
        let mut u = Unification::default();
        for v in &other.data.videos {
            let hit = self
                .data
                .videos
                .iter()
                .position(|b| if unify { videos_match(b, v) } else { b == v });
            u.videos.push(match hit {
                Some(i) => i,
                None => {
                    let i = self.add_video(v.clone());
                    u.videos_added.push(i);
                    i
                }
            });
        }
        for s in &other.data.skeletons {
            let hit = self
                .data
                .skeletons
                .iter()
                .position(|b| if unify { skeletons_match(b, s) } else { b == s });
            u.skeletons.push(match hit {
                Some(i) => i,
                None => {
                    let i = self.add_skeleton(s.clone());
                    u.skeletons_added.push(i);
                    i
                }
            });
        }
        for t in &other.data.tracks {
            let hit = self
                .data
                .tracks
                .iter()
                .position(|b| if unify { b.name == t.name } else { b == t });
            u.tracks.push(match hit {
                Some(i) => i,
                None => {
                    let i = self.add_track(t.clone());
                    u.tracks_added.push(i);
                    i
                }
            });
        }
        u
    }

    /// SLEAP's `Labels.complex_merge_between(base=self, new=other)`. For each incoming frame:
    /// without a base frame it is added; otherwise incoming instances equal to a base one are
    /// redundant and the rest are extras. Only when both sides have extras of the same kind
    /// (both user or both predicted) is the frame a conflict: the base frame keeps the
    /// redundant instances and both sides' extras are returned. Otherwise the incoming extras
    /// join the base frame. Suggestions are appended; negative frames and anchors are merged
    /// per video without duplicates. `other` is not changed.
    pub fn complex_merge_between(&mut self, other: &Labels, unify: bool) -> MergeOutcome {
        let unification = self.unify_with(other, unify);
        let mut out = MergeOutcome::default();
        for nf in &other.data.labeled_frames {
            let frame = translate_frame(nf, &unification);
            let key = (frame.video, frame.frame_idx);
            let Some(&pos) = self.index.frame_pos.get(&key) else {
                let n = frame.instances.len();
                let (video, frame_idx) = key;
                // Indices were validated when `other` was built and mapped consistently.
                if self.add_frame(frame).is_ok() && n > 0 {
                    out.merged.push(MergedFrame {
                        video,
                        frame_idx,
                        instances_added: n,
                        new_frame: true,
                    });
                }
                continue;
            };
            let base = self.data.labeled_frames[pos].clone();
            let fm = complex_frame_merge(&base, &frame);
            out.redundant += fm.redundant_new;
            self.index.remove_frame_contents(&base);
            let target = &mut self.data.labeled_frames[pos];
            target.instances = fm.base_instances;
            let added = fm.added;
            for inst in &self.data.labeled_frames[pos].instances {
                self.index
                    .add_instance(key.0, key.1, inst.is_user(), inst.track);
            }
            if let Some((extra_base, extra_new)) = fm.conflict {
                out.conflicts.push(MergeConflict {
                    video: key.0,
                    frame_idx: key.1,
                    extra_base,
                    extra_new,
                });
            } else if added > 0 {
                out.merged.push(MergedFrame {
                    video: key.0,
                    frame_idx: key.1,
                    instances_added: added,
                    new_frame: false,
                });
            }
        }
        for s in &other.data.suggestions {
            if let Some(&v) = unification.videos.get(s.video) {
                self.data.suggestions.push(super::Suggestion {
                    video: v,
                    frame_idx: s.frame_idx,
                    group: s.group,
                });
                out.suggestions_added += 1;
            }
        }
        {
            let data = &self.data;
            self.index.rebuild_suggestions(data);
        }
        for n in &other.data.negative_frames {
            if let Some(&v) = unification.videos.get(n.video)
                && self.add_negative_frame(v, n.frame_idx).unwrap_or(false)
            {
                out.negative_frames_added += 1;
            }
        }
        for a in &other.data.negative_anchors {
            if let Some(&v) = unification.videos.get(a.video) {
                let mut a = *a;
                a.video = v;
                if self.add_negative_anchor(a).unwrap_or(false) {
                    out.negative_anchors_added += 1;
                }
            }
        }
        out.unification = unification;
        out
    }

    /// SLEAP's `finish_complex_merge`: adds the resolved frames (for example
    /// [`MergeOutcome::resolve`]) into this set; instances equal to one already in the frame
    /// are dropped, and frames of the touched videos left without instances are removed.
    /// Returns how many instances were added.
    pub fn finish_complex_merge(&mut self, resolved: Vec<LabeledFrame>) -> Result<usize> {
        let mut added = 0;
        let mut videos = std::collections::BTreeSet::new();
        for f in resolved {
            videos.insert(f.video);
            added += self.add_frame_without_redundant(f)?;
        }
        for v in videos {
            self.remove_empty_frames_of(Some(v));
        }
        Ok(added)
    }

    /// Adds a frame; instances equal to one already in the frame (or earlier in this one) are
    /// skipped. Returns how many were added.
    pub(crate) fn add_frame_without_redundant(&mut self, frame: LabeledFrame) -> Result<usize> {
        let existing: Vec<Instance> = self
            .frame(frame.video, frame.frame_idx)
            .map(|f| f.instances.clone())
            .unwrap_or_default();
        let mut kept_pos: Vec<Option<usize>> = Vec::with_capacity(frame.instances.len());
        let mut keep: Vec<Instance> = Vec::new();
        let mut seen = existing.clone();
        for inst in &frame.instances {
            match seen.iter().position(|e| instances_match(e, inst)) {
                Some(_) => kept_pos.push(None),
                None => {
                    kept_pos.push(Some(keep.len()));
                    seen.push(inst.clone());
                    keep.push(inst.clone());
                }
            }
        }
        for inst in &mut keep {
            inst.from_predicted = inst
                .from_predicted
                .and_then(|p| kept_pos.get(p).copied().flatten());
        }
        let n = keep.len();
        if n == 0 && !existing.is_empty() {
            return Ok(0);
        }
        self.add_frame(LabeledFrame::with_instances(
            frame.video,
            frame.frame_idx,
            keep,
        ))?;
        Ok(n)
    }

    /// SLEAP's `merge_matching_frames`: within each frame (of one video, or all), instances
    /// equal to an earlier one are dropped, then frames without instances are removed.
    /// Returns how many instances were dropped.
    pub fn merge_matching_frames(&mut self, video: Option<usize>) -> usize {
        let mut dropped = 0;
        for f in &mut self.data.labeled_frames {
            if video.is_some_and(|v| v != f.video) {
                continue;
            }
            let mut new_pos: Vec<Option<usize>> = Vec::with_capacity(f.instances.len());
            let mut kept: Vec<Instance> = Vec::with_capacity(f.instances.len());
            for inst in f.instances.drain(..) {
                if kept.iter().any(|k| instances_match(k, &inst)) {
                    new_pos.push(None);
                    dropped += 1;
                } else {
                    new_pos.push(Some(kept.len()));
                    kept.push(inst);
                }
            }
            for inst in &mut kept {
                inst.from_predicted = inst
                    .from_predicted
                    .and_then(|p| new_pos.get(p).copied().flatten());
            }
            f.instances = kept;
        }
        self.remove_empty_frames_of(video);
        self.reindex();
        dropped
    }

    fn remove_empty_frames_of(&mut self, video: Option<usize>) -> usize {
        let before = self.data.labeled_frames.len();
        self.data
            .labeled_frames
            .retain(|f| !f.instances.is_empty() || video.is_some_and(|v| v != f.video));
        let removed = before - self.data.labeled_frames.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// SLEAP's `extend_from`: adds the other set's frames (with `unify`, its videos, skeletons
    /// and tracks are matched to this set's first), merges frames with the same key without
    /// adding instances equal to existing ones, and removes frames left empty. Returns whether
    /// any frame was added.
    pub fn extend_from(&mut self, other: &Labels, unify: bool) -> Result<bool> {
        if other.data.labeled_frames.is_empty() {
            return Ok(false);
        }
        let u = self.unify_with(other, unify);
        for f in &other.data.labeled_frames {
            self.add_frame_without_redundant(translate_frame(f, &u))?;
        }
        self.remove_empty_frames_of(None);
        Ok(true)
    }
}

/// An incoming frame rewritten in this set's video / skeleton / track indices.
fn translate_frame(f: &LabeledFrame, u: &Unification) -> LabeledFrame {
    let map = |m: &[usize], i: usize| m.get(i).copied().unwrap_or(i);
    LabeledFrame {
        video: map(&u.videos, f.video),
        frame_idx: f.frame_idx,
        instances: f
            .instances
            .iter()
            .map(|i| {
                let mut i = i.clone();
                i.skeleton = map(&u.skeletons, i.skeleton);
                i.track = i.track.map(|t| map(&u.tracks, t));
                i
            })
            .collect(),
    }
}

struct FrameMerge {
    /// What the base frame holds afterwards.
    base_instances: Vec<Instance>,
    /// Instances added to the base frame.
    added: usize,
    redundant_new: usize,
    /// (extra_base, extra_new) on conflict.
    conflict: Option<(Vec<Instance>, Vec<Instance>)>,
}

/// Keeps the instances at `keep` (in order), re-pointing in-group `from_predicted` links and
/// clearing links to instances outside the group.
fn subset(instances: &[Instance], keep: &[usize]) -> Vec<Instance> {
    let pos = |old: usize| keep.iter().position(|&k| k == old);
    keep.iter()
        .filter_map(|&k| instances.get(k))
        .map(|i| {
            let mut i = i.clone();
            i.from_predicted = i.from_predicted.and_then(pos);
            i
        })
        .collect()
}

/// SLEAP's `LabeledFrame.complex_frame_merge`.
fn complex_frame_merge(base: &LabeledFrame, new: &LabeledFrame) -> FrameMerge {
    let nb = base.instances.len();
    let mut base_redundant = vec![false; nb];
    // For each new instance: the base instance it matches.
    let mut target: Vec<Option<usize>> = Vec::with_capacity(new.instances.len());
    for ni in &new.instances {
        let mut first = None;
        for (bi, b) in base.instances.iter().enumerate() {
            if instances_match(ni, b) {
                base_redundant[bi] = true;
                first.get_or_insert(bi);
            }
        }
        target.push(first);
    }
    let extra_base: Vec<usize> = (0..nb).filter(|&i| !base_redundant[i]).collect();
    let redundant: Vec<usize> = (0..nb).filter(|&i| base_redundant[i]).collect();
    let extra_new: Vec<usize> = (0..new.instances.len())
        .filter(|&j| target[j].is_none())
        .collect();
    let redundant_new = new.instances.len() - extra_new.len();
    let kinds = |insts: &[Instance], idx: &[usize]| {
        let user = idx
            .iter()
            .any(|&i| insts.get(i).is_some_and(|x| x.is_user()));
        let pred = idx
            .iter()
            .any(|&i| insts.get(i).is_some_and(|x| x.is_predicted()));
        (user, pred)
    };
    let conflict = !extra_base.is_empty() && !extra_new.is_empty() && {
        let (bu, bp) = kinds(&base.instances, &extra_base);
        let (nu, np) = kinds(&new.instances, &extra_new);
        (bp && np) || (bu && nu)
    };
    if conflict {
        return FrameMerge {
            base_instances: subset(&base.instances, &redundant),
            added: 0,
            redundant_new,
            conflict: Some((
                subset(&base.instances, &extra_base),
                subset(&new.instances, &extra_new),
            )),
        };
    }
    // Clean: the incoming extras join the base frame; their links point at the appended
    // copy or, for a redundant prediction, at the base instance it matched.
    let mut insts = base.instances.clone();
    for &j in &extra_new {
        let mut i = new.instances[j].clone();
        i.from_predicted =
            i.from_predicted
                .and_then(|p| match extra_new.iter().position(|&e| e == p) {
                    Some(k) => Some(nb + k),
                    None => target.get(p).copied().flatten(),
                });
        insts.push(i);
    }
    FrameMerge {
        base_instances: insts,
        added: extra_new.len(),
        redundant_new,
        conflict: None,
    }
}
