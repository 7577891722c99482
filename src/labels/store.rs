//! [`Labels`]: the label data plus its lookup tables. Reading goes through `Deref` to
//! [`LabelsData`] (`labels.videos`, `labels.labeled_frames`, ...); every change goes through a
//! method so the tables stay right.

use super::index::Index;
use super::model::{LabeledFrame, LabelsData};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::ops::Deref;

/// A SLEAP-style label set with indexed lookups.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub(crate) data: LabelsData,
    pub(crate) index: Index,
}

impl Deref for Labels {
    type Target = LabelsData;
    fn deref(&self) -> &LabelsData {
        &self.data
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = LabelsData::deserialize(d)?;
        Labels::from_data(data).map_err(serde::de::Error::custom)
    }
}

impl Labels {
    /// An empty label set.
    pub fn new() -> Self {
        Labels::default()
    }

    /// Checks every cross reference (video, skeleton, track and from_predicted indices, one
    /// point per skeleton node) and builds the lookup tables. Frames that share a (video,
    /// frame index) are merged into the first one (their instances appended), so no instance
    /// is lost and each frame key is unique. The error message says what is wrong where.
    pub fn from_data(mut data: LabelsData) -> Result<Labels, String> {
        validate(&data)?;
        merge_duplicate_keys(&mut data);
        let index = Index::build(&data);
        Ok(Labels { data, index })
    }

    /// Gives the plain data back.
    pub fn into_data(self) -> LabelsData {
        self.data
    }

    /// Rebuilds every lookup table (after a bulk change).
    pub(crate) fn reindex(&mut self) {
        self.index = Index::build(&self.data);
    }
}

fn validate(d: &LabelsData) -> Result<(), String> {
    let nv = d.videos.len();
    for (fi, f) in d.labeled_frames.iter().enumerate() {
        if f.video >= nv {
            return Err(format!(
                "labeled frame {fi} (frame index {}) refers to video {} but there are {nv} videos",
                f.frame_idx, f.video
            ));
        }
        for (ii, inst) in f.instances.iter().enumerate() {
            let at = || {
                format!(
                    "instance {ii} of labeled frame {fi} (video {}, frame index {})",
                    f.video, f.frame_idx
                )
            };
            let sk = d.skeletons.get(inst.skeleton).ok_or_else(|| {
                format!(
                    "{} refers to skeleton {} but there are {} skeletons",
                    at(),
                    inst.skeleton,
                    d.skeletons.len()
                )
            })?;
            if inst.points.len() != sk.nodes.len() {
                return Err(format!(
                    "{} has {} points but skeleton {:?} has {} nodes",
                    at(),
                    inst.points.len(),
                    sk.name,
                    sk.nodes.len()
                ));
            }
            if let Some(t) = inst.track
                && t >= d.tracks.len()
            {
                return Err(format!(
                    "{} refers to track {t} but there are {} tracks",
                    at(),
                    d.tracks.len()
                ));
            }
            if let Some(p) = inst.from_predicted
                && (p >= f.instances.len() || p == ii)
            {
                return Err(format!(
                    "{} links from_predicted to instance {p} of a frame with {} instances",
                    at(),
                    f.instances.len()
                ));
            }
        }
    }
    for (si, s) in d.suggestions.iter().enumerate() {
        if s.video >= nv {
            return Err(format!(
                "suggestion {si} refers to video {} but there are {nv} videos",
                s.video
            ));
        }
    }
    for n in &d.negative_frames {
        if n.video >= nv {
            return Err(format!(
                "negative frame {} refers to video {} but there are {nv} videos",
                n.frame_idx, n.video
            ));
        }
    }
    for (k, s) in d.skeletons.iter().enumerate() {
        let n = s.nodes.len();
        for &(a, b) in s.edges.iter().chain(&s.legacy_edges).chain(&s.symmetries) {
            if a >= n || b >= n {
                return Err(format!(
                    "skeleton {k} ({:?}) has an edge ({a}, {b}) but only {n} nodes",
                    s.name
                ));
            }
        }
    }
    Ok(())
}

/// Moves instances of repeated (video, frame_idx) frames into the first frame with that key.
fn merge_duplicate_keys(d: &mut LabelsData) {
    let mut first: HashMap<(usize, u64), usize> = HashMap::with_capacity(d.labeled_frames.len());
    let mut dup = false;
    for (i, f) in d.labeled_frames.iter().enumerate() {
        if first.insert((f.video, f.frame_idx), i).is_some() {
            dup = true;
        }
    }
    if !dup {
        return;
    }
    first.clear();
    let frames = std::mem::take(&mut d.labeled_frames);
    let mut out: Vec<LabeledFrame> = Vec::with_capacity(frames.len());
    for f in frames {
        match first.get(&(f.video, f.frame_idx)) {
            Some(&pos) => {
                if let Some(target) = out.get_mut(pos) {
                    append_instances(target, f.instances);
                }
            }
            None => {
                first.insert((f.video, f.frame_idx), out.len());
                out.push(f);
            }
        }
    }
    d.labeled_frames = out;
}

/// Appends instances to a frame, shifting their in-frame `from_predicted` links.
pub(crate) fn append_instances(target: &mut LabeledFrame, instances: Vec<super::Instance>) {
    let offset = target.instances.len();
    for mut inst in instances {
        inst.from_predicted = inst.from_predicted.map(|p| p + offset);
        target.instances.push(inst);
    }
}
