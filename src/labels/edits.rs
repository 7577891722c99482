//! Every change to a [`Labels`]: each keeps the lookup tables (frame index, track occupancy,
//! counts) right.

use super::model::{
    Instance, LabeledFrame, NegativeAnchor, NegativeFrame, Skeleton, Suggestion, Track, Video,
};
use super::store::{Labels, append_instances};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Names one instance: its frame's key and its position in that frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceRef {
    pub video: usize,
    pub frame_idx: u64,
    pub instance: usize,
}

impl Labels {
    /// Appends a video; returns its index.
    pub fn add_video(&mut self, video: Video) -> usize {
        self.data.videos.push(video);
        self.index
            .per_video
            .resize(self.data.videos.len(), Default::default());
        self.index
            .suggested
            .resize(self.data.videos.len(), Default::default());
        self.data.videos.len() - 1
    }

    /// Appends a skeleton; returns its index.
    pub fn add_skeleton(&mut self, skeleton: Skeleton) -> usize {
        self.data.skeletons.push(skeleton);
        self.data.skeletons.len() - 1
    }

    /// Appends a track (as SLEAP's `add_track`, even if an equal one exists); returns its index.
    pub fn add_track(&mut self, track: Track) -> usize {
        self.data.tracks.push(track);
        self.data.tracks.len() - 1
    }

    /// The index of an equal track (name and spawned_on), adding it when absent.
    pub fn find_or_add_track(&mut self, track: &Track) -> usize {
        match self.data.tracks.iter().position(|t| t == track) {
            Some(i) => i,
            None => self.add_track(track.clone()),
        }
    }

    /// Mutable access to a video's fields (frames refer to videos by index, so this cannot
    /// break the tables).
    pub fn video_mut(&mut self, video: usize) -> Option<&mut Video> {
        self.data.videos.get_mut(video)
    }

    /// Renames a track.
    pub fn rename_track(&mut self, track: usize, name: impl Into<String>) -> Result<()> {
        let t = self
            .data
            .tracks
            .get_mut(track)
            .ok_or_else(|| Error::usage(format!("no track {track}")))?;
        t.name = name.into();
        Ok(())
    }

    /// Replaces the provenance map.
    pub fn provenance_mut(&mut self) -> &mut super::model::JsonMap {
        &mut self.data.provenance
    }

    fn check_instance(&self, video: usize, inst: &Instance, n_in_frame: usize) -> Result<()> {
        if video >= self.data.videos.len() {
            return Err(Error::usage(format!(
                "no video {video} (there are {})",
                self.data.videos.len()
            )));
        }
        let sk = self.data.skeletons.get(inst.skeleton).ok_or_else(|| {
            Error::usage(format!(
                "no skeleton {} (there are {})",
                inst.skeleton,
                self.data.skeletons.len()
            ))
        })?;
        if inst.points.len() != sk.nodes.len() {
            return Err(Error::usage(format!(
                "instance has {} points but skeleton {:?} has {} nodes",
                inst.points.len(),
                sk.name,
                sk.nodes.len()
            )));
        }
        if let Some(t) = inst.track
            && t >= self.data.tracks.len()
        {
            return Err(Error::usage(format!("no track {t}")));
        }
        if let Some(p) = inst.from_predicted
            && p >= n_in_frame
        {
            return Err(Error::usage(format!(
                "from_predicted {p} is not an instance of the frame"
            )));
        }
        Ok(())
    }

    /// Position of the frame with this key, creating an empty frame when absent.
    fn frame_pos_or_insert(&mut self, video: usize, frame_idx: u64) -> usize {
        if let Some(&p) = self.index.frame_pos.get(&(video, frame_idx)) {
            return p;
        }
        let pos = self.data.labeled_frames.len();
        let f = LabeledFrame::new(video, frame_idx);
        self.index.add_frame_contents(&f);
        self.index.frame_pos.insert((video, frame_idx), pos);
        self.data.labeled_frames.push(f);
        pos
    }

    /// Adds an instance to the frame (video, frame_idx), creating the frame when needed.
    /// `from_predicted` in `inst` refers to positions in that frame.
    pub fn add_instance(
        &mut self,
        video: usize,
        frame_idx: u64,
        inst: Instance,
    ) -> Result<InstanceRef> {
        let n = self
            .index
            .frame_pos
            .get(&(video, frame_idx))
            .and_then(|&p| self.data.labeled_frames.get(p))
            .map_or(0, |f| f.instances.len());
        self.check_instance(video, &inst, n)?;
        let pos = self.frame_pos_or_insert(video, frame_idx);
        self.index
            .add_instance(video, frame_idx, inst.is_user(), inst.track);
        let frame = &mut self.data.labeled_frames[pos];
        frame.instances.push(inst);
        Ok(InstanceRef {
            video,
            frame_idx,
            instance: frame.instances.len() - 1,
        })
    }

    /// Adds a whole frame. When a frame with the same key exists its instances are appended
    /// to it (so each key stays unique). Returns the frame's position.
    pub fn add_frame(&mut self, frame: LabeledFrame) -> Result<usize> {
        for (i, inst) in frame.instances.iter().enumerate() {
            self.check_instance(frame.video, inst, frame.instances.len())?;
            if inst.from_predicted == Some(i) {
                return Err(Error::usage("an instance cannot come from itself"));
            }
        }
        let pos = self.frame_pos_or_insert(frame.video, frame.frame_idx);
        for inst in &frame.instances {
            self.index
                .add_instance(frame.video, frame.frame_idx, inst.is_user(), inst.track);
        }
        append_instances(&mut self.data.labeled_frames[pos], frame.instances);
        Ok(pos)
    }

    /// Removes one instance; links to it from user instances are cleared and later links in
    /// the frame shift. The (possibly now empty) frame stays, as in SLEAP.
    pub fn remove_instance(&mut self, r: InstanceRef) -> Result<Instance> {
        let pos = *self
            .index
            .frame_pos
            .get(&(r.video, r.frame_idx))
            .ok_or_else(|| {
                Error::usage(format!(
                    "no labeled frame {} in video {}",
                    r.frame_idx, r.video
                ))
            })?;
        let frame = &mut self.data.labeled_frames[pos];
        if r.instance >= frame.instances.len() {
            return Err(Error::usage(format!(
                "frame {} of video {} has no instance {}",
                r.frame_idx, r.video, r.instance
            )));
        }
        let inst = frame.instances.remove(r.instance);
        for other in &mut frame.instances {
            other.from_predicted = match other.from_predicted {
                Some(p) if p == r.instance => None,
                Some(p) if p > r.instance => Some(p - 1),
                x => x,
            };
        }
        self.index
            .remove_instance(r.video, r.frame_idx, inst.is_user(), inst.track);
        Ok(inst)
    }

    /// Removes a whole frame and returns it.
    pub fn remove_frame(&mut self, video: usize, frame_idx: u64) -> Option<LabeledFrame> {
        let pos = *self.index.frame_pos.get(&(video, frame_idx))?;
        let frame = self.data.labeled_frames.remove(pos);
        self.index.remove_frame_contents(&frame);
        self.index.forget_frame_key(video, frame_idx);
        for (p, f) in self.data.labeled_frames.iter().enumerate().skip(pos) {
            self.index.frame_pos.insert((f.video, f.frame_idx), p);
        }
        Some(frame)
    }

    /// Removes every frame without instances; returns how many.
    pub fn remove_empty_frames(&mut self) -> usize {
        let before = self.data.labeled_frames.len();
        self.data.labeled_frames.retain(|f| !f.instances.is_empty());
        let removed = before - self.data.labeled_frames.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    /// Runs `edit` on the frame (video, frame_idx) and brings the tables up to date with what
    /// it changed. The edit must keep instance indices valid; when it does not, the frame is
    /// restored and an error returned.
    pub fn edit_frame<R>(
        &mut self,
        video: usize,
        frame_idx: u64,
        edit: impl FnOnce(&mut LabeledFrame) -> R,
    ) -> Result<R> {
        let pos = *self
            .index
            .frame_pos
            .get(&(video, frame_idx))
            .ok_or_else(|| {
                Error::usage(format!("no labeled frame {frame_idx} in video {video}"))
            })?;
        let saved = self.data.labeled_frames[pos].clone();
        let out = edit(&mut self.data.labeled_frames[pos]);
        let frame = &self.data.labeled_frames[pos];
        let n = frame.instances.len();
        let mut bad = None;
        if frame.video != video || frame.frame_idx != frame_idx {
            bad = Some("an edit cannot move a frame to another key".to_string());
        }
        for inst in &frame.instances {
            if bad.is_none()
                && let Err(e) = self.check_instance(video, inst, n)
            {
                bad = Some(e.to_string());
            }
        }
        if let Some(msg) = bad {
            self.data.labeled_frames[pos] = saved;
            return Err(Error::usage(msg));
        }
        self.index.remove_frame_contents(&saved);
        let frame = &self.data.labeled_frames[pos];
        for inst in &frame.instances {
            self.index
                .add_instance(video, frame_idx, inst.is_user(), inst.track);
        }
        Ok(out)
    }

    /// Removes a video with all its frames, suggestions, negative frames and anchors; later
    /// videos shift down by one. Returns the removed video.
    pub fn remove_video(&mut self, video: usize) -> Result<Video> {
        if video >= self.data.videos.len() {
            return Err(Error::usage(format!("no video {video}")));
        }
        let v = self.data.videos.remove(video);
        let shift = |i: usize| if i > video { i - 1 } else { i };
        self.data.labeled_frames.retain(|f| f.video != video);
        for f in &mut self.data.labeled_frames {
            f.video = shift(f.video);
        }
        self.data.suggestions.retain(|s| s.video != video);
        for s in &mut self.data.suggestions {
            s.video = shift(s.video);
        }
        self.data.negative_frames.retain(|n| n.video != video);
        for n in &mut self.data.negative_frames {
            n.video = shift(n.video);
        }
        self.data.negative_anchors.retain(|n| n.video != video);
        for n in &mut self.data.negative_anchors {
            n.video = shift(n.video);
        }
        self.reindex();
        Ok(v)
    }

    /// Removes a track: instances on it become untracked, later tracks shift down.
    pub fn remove_track(&mut self, track: usize) -> Result<Track> {
        if track >= self.data.tracks.len() {
            return Err(Error::usage(format!("no track {track}")));
        }
        let t = self.data.tracks.remove(track);
        for f in &mut self.data.labeled_frames {
            for i in &mut f.instances {
                i.track = match i.track {
                    Some(x) if x == track => None,
                    Some(x) if x > track => Some(x - 1),
                    x => x,
                };
            }
        }
        self.reindex();
        Ok(t)
    }

    /// Adds a suggestion (a frame already suggested keeps its first entry); returns whether
    /// it was added.
    pub fn add_suggestion(&mut self, video: usize, frame_idx: u64, group: i64) -> Result<bool> {
        if video >= self.data.videos.len() {
            return Err(Error::usage(format!("no video {video}")));
        }
        if self
            .index
            .suggested
            .get(video)
            .is_some_and(|m| m.contains_key(&frame_idx))
        {
            return Ok(false);
        }
        self.data.suggestions.push(Suggestion {
            video,
            frame_idx,
            group,
        });
        let pos = self.data.suggestions.len() - 1;
        if let Some(m) = self.index.suggested.get_mut(video) {
            m.insert(frame_idx, pos);
        }
        Ok(true)
    }

    /// Removes the suggestion(s) for a frame; returns how many.
    pub fn remove_suggestion(&mut self, video: usize, frame_idx: u64) -> usize {
        let before = self.data.suggestions.len();
        self.data
            .suggestions
            .retain(|s| !(s.video == video && s.frame_idx == frame_idx));
        let removed = before - self.data.suggestions.len();
        if removed > 0 {
            let data = &self.data;
            self.index.rebuild_suggestions(data);
        }
        removed
    }

    /// Marks a frame as containing no animal; returns whether it was new.
    pub fn add_negative_frame(&mut self, video: usize, frame_idx: u64) -> Result<bool> {
        if video >= self.data.videos.len() {
            return Err(Error::usage(format!("no video {video}")));
        }
        let n = NegativeFrame { video, frame_idx };
        if self.data.negative_frames.contains(&n) {
            return Ok(false);
        }
        self.data.negative_frames.push(n);
        Ok(true)
    }

    /// Adds a negative anchor (background point); returns whether it was new.
    pub fn add_negative_anchor(&mut self, anchor: NegativeAnchor) -> Result<bool> {
        if anchor.video >= self.data.videos.len() {
            return Err(Error::usage(format!("no video {}", anchor.video)));
        }
        if self.data.negative_anchors.contains(&anchor) {
            return Ok(false);
        }
        self.data.negative_anchors.push(anchor);
        Ok(true)
    }

    /// Replaces the multiview session records.
    pub fn set_sessions(&mut self, sessions: Vec<serde_json::Value>) {
        self.data.sessions = sessions;
    }
}
