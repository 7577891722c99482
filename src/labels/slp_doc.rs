//! A SLEAP `.slp` file held for editing its user instances: move a node, mark it not visible,
//! add an instance (from the frame's unused prediction when it has one, as SLEAP does), delete
//! one. Written through the `.slp` writer (embedded frames of a `.pkg.slp` are written back as
//! they were stored), with the same backup, atomic rename and conflict check as the CSV
//! labels: a file changed on disk is not overwritten; keep-mine writes the edited frames into
//! the file as it now is.

use super::backup;
use super::model::{Instance, InstanceKind, LabeledFrame, Point};
use super::store::Labels;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A frame's key: (video index, frame index).
pub type FrameKey = (usize, u64);

/// One edit, with what undo needs to restore it exactly.
#[derive(Clone, Debug, PartialEq)]
pub enum SlpEdit {
    Point {
        key: FrameKey,
        instance: usize,
        node: usize,
        before: Point,
        after: Point,
    },
    /// An instance added at position `at` of the frame.
    Add {
        key: FrameKey,
        at: usize,
        instance: Instance,
    },
    /// An instance removed from position `at`.
    Remove {
        key: FrameKey,
        at: usize,
        instance: Instance,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct SlpWritten {
    pub path: PathBuf,
    pub backup: Option<PathBuf>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SlpWriteResult {
    Written(SlpWritten),
    /// Changed on disk: the edited frames whose instances differ there from what was read.
    Conflict {
        frames: Vec<FrameKey>,
        gone: bool,
    },
}

pub struct SlpDocument {
    pub(crate) path: PathBuf,
    /// Shared with a write in flight (its snapshot); an edit meanwhile copies it first.
    pub labels: Arc<Labels>,
    /// Hash and length of the bytes read (or last written).
    pub(crate) stamp: (u64, usize),
    /// The instances of each edited frame as read (or last written).
    pub(crate) base: BTreeMap<FrameKey, Vec<Instance>>,
}

/// Inserts `inst` at `at`, shifting the frame's in-frame links past it.
fn insert_at(f: &mut LabeledFrame, at: usize, inst: Instance) {
    for other in &mut f.instances {
        if let Some(p) = other.from_predicted
            && p >= at
        {
            other.from_predicted = Some(p + 1);
        }
    }
    let at = at.min(f.instances.len());
    f.instances.insert(at, inst);
}

impl SlpDocument {
    pub fn read(path: &Path) -> Result<SlpDocument> {
        let bytes = crate::util::read(path)?;
        let stamp = (backup::hash(&bytes), bytes.len());
        let slp = crate::formats::slp::read_slp_bytes(path, bytes)?;
        let labels = Labels::from_data(slp.labels).map_err(|m| Error::invalid(path, m))?;
        Ok(SlpDocument {
            path: path.to_path_buf(),
            labels: Arc::new(labels),
            stamp,
            base: BTreeMap::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn frame(&self, key: FrameKey) -> Result<&LabeledFrame> {
        self.labels.frame(key.0, key.1).ok_or_else(|| {
            Error::usage(format!(
                "{}: no labeled frame {} in video {}",
                self.path.display(),
                key.1,
                key.0
            ))
        })
    }

    /// Positions of the frame's user instances.
    pub fn user_instances(&self, key: FrameKey) -> Vec<usize> {
        self.labels.frame(key.0, key.1).map_or(Vec::new(), |f| {
            (0..f.instances.len())
                .filter(|&i| f.instances[i].is_user())
                .collect()
        })
    }

    /// The points of one instance: `None` where a node is not visible or has no position.
    pub fn points(&self, key: FrameKey, instance: usize) -> Vec<Option<(f64, f64)>> {
        self.labels
            .frame(key.0, key.1)
            .and_then(|f| f.instances.get(instance))
            .map_or(Vec::new(), |i| {
                i.points
                    .iter()
                    .map(|p| p.is_labeled().then_some((p.x, p.y)))
                    .collect()
            })
    }

    fn remember(&mut self, key: FrameKey) -> Result<()> {
        if !self.base.contains_key(&key) {
            let insts = self.frame(key)?.instances.clone();
            self.base.insert(key, insts);
        }
        Ok(())
    }

    /// Places node `node` of user instance `instance` at (x, y), visible (`None`: marks it
    /// not visible, keeping its position as SLEAP does). `None` when nothing changed.
    pub fn set_point(
        &mut self,
        key: FrameKey,
        instance: usize,
        node: usize,
        at: Option<(f64, f64)>,
    ) -> Result<Option<SlpEdit>> {
        let f = self.frame(key)?;
        let inst = f
            .instances
            .get(instance)
            .filter(|i| i.is_user())
            .ok_or_else(|| Error::usage(format!("no user instance {instance} in the frame")))?;
        let before = *inst
            .points
            .get(node)
            .ok_or_else(|| Error::usage(format!("no node {node}")))?;
        let mut after = before;
        match at {
            Some((x, y)) if x.is_finite() && y.is_finite() => {
                after.x = x;
                after.y = y;
                after.visible = true;
                after.complete = true;
            }
            Some(_) => return Err(Error::usage("a node needs finite coordinates")),
            None => after.visible = false,
        }
        if after == before {
            return Ok(None);
        }
        let e = SlpEdit::Point {
            key,
            instance,
            node,
            before,
            after,
        };
        self.apply(&e, true)?;
        Ok(Some(e))
    }

    /// Adds a user instance: from the frame's first prediction no user instance came from
    /// (linked to it), else with every node not visible. Returns the edit.
    pub fn add_instance(&mut self, key: FrameKey, skeleton: usize) -> Result<SlpEdit> {
        let f = self.frame(key)?;
        let used: Vec<usize> = f
            .instances
            .iter()
            .filter_map(|i| i.from_predicted)
            .collect();
        let pred = (0..f.instances.len())
            .find(|&i| f.instances[i].kind == InstanceKind::Predicted && !used.contains(&i));
        let instance = match pred {
            Some(p) => {
                let src = &f.instances[p];
                let mut i = Instance::user(
                    src.skeleton,
                    src.points
                        .iter()
                        .map(|q| Point { score: 0.0, ..*q })
                        .collect(),
                );
                i.track = src.track;
                i.from_predicted = Some(p);
                i
            }
            None => {
                let n = self
                    .labels
                    .skeletons
                    .get(skeleton)
                    .map_or(0, |s| s.nodes.len());
                let mut p = Point::new(f64::NAN, f64::NAN);
                p.visible = false;
                Instance::user(skeleton, vec![p; n])
            }
        };
        let e = SlpEdit::Add {
            key,
            at: f.instances.len(),
            instance,
        };
        self.apply(&e, true)?;
        Ok(e)
    }

    /// Deletes a user instance. Returns the edit.
    pub fn remove_instance(&mut self, key: FrameKey, instance: usize) -> Result<SlpEdit> {
        let inst = self
            .frame(key)?
            .instances
            .get(instance)
            .filter(|i| i.is_user())
            .cloned()
            .ok_or_else(|| Error::usage(format!("no user instance {instance} in the frame")))?;
        let e = SlpEdit::Remove {
            key,
            at: instance,
            instance: inst,
        };
        self.apply(&e, true)?;
        Ok(e)
    }

    /// Applies an edit forwards (redo) or backwards (undo).
    pub fn apply(&mut self, e: &SlpEdit, forward: bool) -> Result<()> {
        let key = match e {
            SlpEdit::Point { key, .. } | SlpEdit::Add { key, .. } | SlpEdit::Remove { key, .. } => {
                *key
            }
        };
        self.remember(key)?;
        let (video, frame_idx) = key;
        match (e, forward) {
            (
                SlpEdit::Point {
                    instance,
                    node,
                    before,
                    after,
                    ..
                },
                _,
            ) => {
                let p = if forward { *after } else { *before };
                let (i, n) = (*instance, *node);
                Arc::make_mut(&mut self.labels).edit_frame(video, frame_idx, |f| {
                    if let Some(pt) = f.instances.get_mut(i).and_then(|x| x.points.get_mut(n)) {
                        *pt = p;
                    }
                })?;
            }
            (SlpEdit::Add { at, instance, .. }, true)
            | (SlpEdit::Remove { at, instance, .. }, false) => {
                let (at, inst) = (*at, instance.clone());
                Arc::make_mut(&mut self.labels)
                    .edit_frame(video, frame_idx, |f| insert_at(f, at, inst))?;
            }
            (SlpEdit::Add { at, .. }, false) | (SlpEdit::Remove { at, .. }, true) => {
                Arc::make_mut(&mut self.labels).remove_instance(super::InstanceRef {
                    video,
                    frame_idx,
                    instance: *at,
                })?;
            }
        }
        Ok(())
    }

    /// Edited frames whose instances differ from what was read.
    pub fn edited_frames(&self) -> Vec<FrameKey> {
        self.base
            .iter()
            .filter(|(k, insts)| {
                self.labels
                    .frame(k.0, k.1)
                    .is_none_or(|f| &f.instances != *insts)
            })
            .map(|(k, _)| *k)
            .collect()
    }

    pub(crate) fn disk(&self) -> Result<Option<Vec<u8>>> {
        match std::fs::read(&self.path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    fn finish(&mut self, labels: Labels, old: Option<&[u8]>) -> Result<SlpWritten> {
        let (bytes, warnings) = crate::formats::slp::write::to_bytes(&self.path, &labels)?;
        let backup = old.map(|b| backup::keep(&self.path, b)).transpose()?;
        crate::util::write_atomic(&self.path, &bytes)?;
        self.stamp = (backup::hash(&bytes), bytes.len());
        self.labels = Arc::new(labels);
        self.base.clear();
        Ok(SlpWritten {
            path: self.path.clone(),
            backup,
            warnings,
        })
    }

    /// Writes the labels; refused when the file changed on disk since it was read.
    pub fn write(&mut self) -> Result<SlpWriteResult> {
        let done = self.begin_write().run()?;
        Ok(self.finish_write(done))
    }

    /// After a conflict: the file as it is on disk with this document's edits put in: the
    /// points changed here replace theirs (their other points stay) where both sides kept the
    /// same instances, else the frame's instances as edited here (said in a warning). Every
    /// frame not edited here keeps the other person's changes.
    pub fn write_keep_mine(&mut self) -> Result<SlpWritten> {
        let Some(disk) = self.disk()? else {
            let labels = Labels::clone(&self.labels);
            return self.finish(labels, None);
        };
        let theirs = crate::formats::slp::read_slp_bytes(&self.path, disk.clone())?;
        let mut merged =
            Labels::from_data(theirs.labels).map_err(|m| Error::invalid(&self.path, m))?;
        if merged.videos.len() != self.labels.videos.len()
            || merged.skeletons.len() != self.labels.skeletons.len()
        {
            return Err(Error::invalid(
                &self.path,
                "cannot keep your edits: the file on disk has other videos or skeletons",
            ));
        }
        let mut notes = Vec::new();
        for key in self.edited_frames() {
            let base = self.base.get(&key).cloned().unwrap_or_default();
            let mut mine: Vec<Instance> = self
                .labels
                .frame(key.0, key.1)
                .map_or(Vec::new(), |f| f.instances.clone());
            for inst in &mut mine {
                inst.track = inst
                    .track
                    .and_then(|t| self.labels.tracks.get(t))
                    .map(|t| merged.find_or_add_track(t));
            }
            let theirs = merged.frame(key.0, key.1).map(|f| f.instances.clone());
            let instances = match theirs {
                None => {
                    let mut f = LabeledFrame::new(key.0, key.1);
                    f.instances = mine;
                    merged.add_frame(f)?;
                    continue;
                }
                Some(t) if t == base => mine,
                // Both moved points of the same instances: my changed points go into theirs.
                Some(mut t) if mine.len() == base.len() && t.len() == base.len() => {
                    for (i, b) in base.iter().enumerate() {
                        for (n, bp) in b.points.iter().enumerate() {
                            let mp = mine[i].points.get(n);
                            if mp != Some(bp)
                                && let (Some(tp), Some(mp)) = (t[i].points.get_mut(n), mp)
                            {
                                *tp = *mp;
                            }
                        }
                    }
                    t
                }
                Some(_) => {
                    notes.push(format!(
                        "video {} frame {}: instances were added or deleted here and changed on disk; yours were kept",
                        key.0, key.1
                    ));
                    mine
                }
            };
            merged.edit_frame(key.0, key.1, |f| f.instances = instances)?;
        }
        let mut w = self.finish(merged, Some(&disk))?;
        w.warnings.extend(notes);
        Ok(w)
    }

    /// Drops every edit and reads the file again.
    pub fn reload(&mut self) -> Result<()> {
        *self = SlpDocument::read(&self.path)?;
        Ok(())
    }
}
