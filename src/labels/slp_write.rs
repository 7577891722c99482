//! Writing a [`SlpDocument`] off the thread that edits it: [`SlpDocument::begin_write`] takes
//! a snapshot (the labels are shared, not copied: an edit made while the write runs copies
//! them first), [`SlpWriteJob::run`] checks the disk for changes since the file was read,
//! serialises, keeps the backup and replaces the file atomically, on any thread;
//! [`SlpDocument::finish_write`] makes the snapshot the document's base, so edits made
//! meanwhile stay unwritten edits.

use super::backup;
use super::model::Instance;
use super::slp_doc::{FrameKey, SlpDocument, SlpWriteResult, SlpWritten};
use super::store::Labels;
use crate::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A write of a snapshot of an [`SlpDocument`].
pub struct SlpWriteJob {
    path: PathBuf,
    labels: Arc<Labels>,
    stamp: (u64, usize),
    /// The edited frames' instances as read (for the conflict check).
    base: BTreeMap<FrameKey, Vec<Instance>>,
    /// The same frames' instances in the snapshot (the base once written).
    written: BTreeMap<FrameKey, Vec<Instance>>,
    edited: Vec<FrameKey>,
}

/// What an [`SlpWriteJob`] did.
pub enum SlpWriteDone {
    Written {
        stamp: (u64, usize),
        backup: Option<PathBuf>,
        warnings: Vec<String>,
        written: BTreeMap<FrameKey, Vec<Instance>>,
    },
    Conflict {
        frames: Vec<FrameKey>,
        gone: bool,
    },
}

impl SlpWriteJob {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the disk, serialises the snapshot, keeps the backup, writes atomically.
    pub fn run(self) -> Result<SlpWriteDone> {
        let disk = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SlpWriteDone::Conflict {
                    frames: self.edited,
                    gone: true,
                });
            }
            Err(e) => return Err(crate::Error::io(&self.path, e)),
        };
        if (backup::hash(&disk), disk.len()) != self.stamp {
            let theirs = crate::formats::slp::read_slp_bytes(&self.path, disk)?;
            let frames = self
                .edited
                .iter()
                .copied()
                .filter(|k| {
                    let on_disk = theirs
                        .labels
                        .labeled_frames
                        .iter()
                        .find(|f| (f.video, f.frame_idx) == *k)
                        .map(|f| &f.instances);
                    on_disk != self.base.get(k)
                })
                .collect();
            return Ok(SlpWriteDone::Conflict {
                frames,
                gone: false,
            });
        }
        let (bytes, warnings) = crate::formats::slp::write::to_bytes(&self.path, &self.labels)?;
        // The snapshot is let go before the slow part: an edit from now on copies nothing.
        drop(self.labels);
        let backup = Some(backup::keep(&self.path, &disk)?);
        drop(disk);
        crate::util::write_atomic(&self.path, &bytes)?;
        Ok(SlpWriteDone::Written {
            stamp: (backup::hash(&bytes), bytes.len()),
            backup,
            warnings,
            written: self.written,
        })
    }
}

impl SlpDocument {
    /// A snapshot for a write that runs elsewhere (see the module docs).
    pub fn begin_write(&self) -> SlpWriteJob {
        let written = self
            .base
            .keys()
            .map(|k| {
                let now = self
                    .labels
                    .frame(k.0, k.1)
                    .map_or(Vec::new(), |f| f.instances.clone());
                (*k, now)
            })
            .collect();
        SlpWriteJob {
            path: self.path.clone(),
            labels: Arc::clone(&self.labels),
            stamp: self.stamp,
            base: self.base.clone(),
            written,
            edited: self.edited_frames(),
        }
    }

    /// Takes a finished job's outcome in: after a write, the snapshot is the base (edits made
    /// since it was taken stay edits).
    pub fn finish_write(&mut self, done: SlpWriteDone) -> SlpWriteResult {
        match done {
            SlpWriteDone::Conflict { frames, gone } => SlpWriteResult::Conflict { frames, gone },
            SlpWriteDone::Written {
                stamp,
                backup,
                warnings,
                written,
            } => {
                self.stamp = stamp;
                self.base.extend(written);
                let labels = Arc::clone(&self.labels);
                self.base.retain(|k, insts| {
                    labels.frame(k.0, k.1).is_none_or(|f| &f.instances != insts)
                });
                SlpWriteResult::Written(SlpWritten {
                    path: self.path.clone(),
                    backup,
                    warnings,
                })
            }
        }
    }
}
