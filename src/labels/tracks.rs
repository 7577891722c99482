//! Track occupancy (which frames each track appears in) and track reassignment, answered
//! from the cached per-(video, track) occupancy table.

use super::edits::InstanceRef;
use super::store::Labels;
use crate::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

impl Labels {
    /// For each track present in the video: the frame ranges (half-open, merged where
    /// contiguous) it occupies (SLEAP's `get_track_occupancy`, untracked instances left out).
    pub fn get_track_occupancy(&self, video: usize) -> BTreeMap<usize, Vec<Range<u64>>> {
        let mut out = BTreeMap::new();
        for t in 0..self.data.tracks.len() {
            if let Some(frames) = self.index.occupancy.get(&(video, t)) {
                out.insert(t, to_ranges(frames.keys().copied()));
            }
        }
        out
    }

    /// Number of tracks that occupy at least one frame of the video.
    pub fn get_track_count(&self, video: usize) -> usize {
        (0..self.data.tracks.len())
            .filter(|&t| self.index.occupancy.contains_key(&(video, t)))
            .count()
    }

    /// Frame indices the track occupies in a video, within `range` when given.
    pub fn track_frames(&self, video: usize, track: usize, range: Option<Range<u64>>) -> Vec<u64> {
        match self.index.occupancy.get(&(video, track)) {
            None => Vec::new(),
            Some(m) => match range {
                None => m.keys().copied().collect(),
                Some(r) => m.range(r).map(|(&f, _)| f).collect(),
            },
        }
    }

    /// The instances of a track in a video, within a frame range when given (SLEAP's
    /// `find_track_occupancy`).
    pub fn find_track_occupancy(
        &self,
        video: usize,
        track: usize,
        range: Option<Range<u64>>,
    ) -> Vec<InstanceRef> {
        let mut out = Vec::new();
        for f in self.track_frames(video, track, range) {
            if let Some(frame) = self.frame(video, f) {
                for (i, inst) in frame.instances.iter().enumerate() {
                    if inst.track == Some(track) {
                        out.push(InstanceRef {
                            video,
                            frame_idx: f,
                            instance: i,
                        });
                    }
                }
            }
        }
        out
    }

    /// Swaps two tracks over a frame range of a video: instances on `old_track` move to
    /// `new_track` and instances on `new_track` move to `old_track`. As in SLEAP, an
    /// `old_track` of `None` changes nothing (use [`Labels::track_set_instance`]).
    /// Returns how many instances changed track.
    pub fn track_swap(
        &mut self,
        video: usize,
        new_track: usize,
        old_track: Option<usize>,
        range: Range<u64>,
    ) -> Result<usize> {
        if new_track >= self.data.tracks.len() {
            return Err(Error::usage(format!("no track {new_track}")));
        }
        let Some(old) = old_track else {
            return Ok(0);
        };
        if old >= self.data.tracks.len() {
            return Err(Error::usage(format!("no track {old}")));
        }
        if old == new_track {
            return Ok(0);
        }
        let frames: BTreeSet<u64> = self
            .track_frames(video, new_track, Some(range.clone()))
            .into_iter()
            .chain(self.track_frames(video, old, Some(range)))
            .collect();
        let mut changed = 0;
        for f in frames {
            changed += self.edit_frame(video, f, |frame| {
                let mut n = 0;
                for inst in &mut frame.instances {
                    if inst.track == Some(old) {
                        inst.track = Some(new_track);
                        n += 1;
                    } else if inst.track == Some(new_track) {
                        inst.track = Some(old);
                        n += 1;
                    }
                }
                n
            })?;
        }
        Ok(changed)
    }

    /// Sets one instance's track (or clears it with `None`). Instances of the same frame that
    /// were on the new track take the instance's previous track, as SLEAP's
    /// `track_set_instance` does.
    pub fn track_set_instance(&mut self, r: InstanceRef, new_track: Option<usize>) -> Result<()> {
        if let Some(t) = new_track
            && t >= self.data.tracks.len()
        {
            return Err(Error::usage(format!("no track {t}")));
        }
        let old = self
            .frame(r.video, r.frame_idx)
            .and_then(|f| f.instances.get(r.instance))
            .ok_or_else(|| {
                Error::usage(format!(
                    "no instance {} in frame {} of video {}",
                    r.instance, r.frame_idx, r.video
                ))
            })?
            .track;
        self.edit_frame(r.video, r.frame_idx, |frame| {
            if let (Some(new), Some(old)) = (new_track, old) {
                for (i, inst) in frame.instances.iter_mut().enumerate() {
                    if i != r.instance && inst.track == Some(new) {
                        inst.track = Some(old);
                    }
                }
            }
            if let Some(inst) = frame.instances.get_mut(r.instance) {
                inst.track = new_track;
            }
        })
    }
}

/// Sorted frame indices -> merged half-open ranges.
fn to_ranges(frames: impl Iterator<Item = u64>) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for f in frames {
        match out.last_mut() {
            Some(r) if r.end == f => r.end = f + 1,
            _ => out.push(f..f + 1),
        }
    }
    out
}
