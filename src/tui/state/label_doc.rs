//! The label file an edit session works on, CSV or SLEAP, behind one interface: the points
//! shown, the edits (with undo/redo), writing with its conflict check.

use crate::labels::lp_doc::PointEdit;
use crate::labels::lp_write::{LpWriteDone, LpWriteJob, WriteResult};
use crate::labels::slp_doc::{FrameKey, SlpEdit, SlpWriteResult};
use crate::labels::slp_write::{SlpWriteDone, SlpWriteJob};
use crate::labels::{LpDocument, SlpDocument};
use crate::tui::data::FrameOrigin;
use std::path::{Path, PathBuf};

/// One instance's points (`None`: missing / not visible).
pub type Points = Vec<Option<(f64, f64)>>;

/// The open label file and the frame being edited in it.
pub enum Doc {
    Csv {
        doc: Box<LpDocument>,
        image: String,
        row: usize,
    },
    Slp {
        doc: SlpDocument,
        key: FrameKey,
        /// The user instance being edited (its position in the frame).
        instance: Option<usize>,
    },
}

/// One undoable edit.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Csv(PointEdit),
    Slp(SlpEdit),
}

/// What a write did.
pub enum Outcome {
    Written {
        backup: Option<PathBuf>,
        warnings: Vec<String>,
    },
    Conflict {
        frames: Vec<String>,
        gone: bool,
    },
}

/// A snapshot of the document being written on the label worker (see [`Doc::begin_write`]).
pub enum WriteJob {
    Csv(LpWriteJob),
    Slp(SlpWriteJob),
}

/// What a [`WriteJob`] did, for [`Doc::finish_write`].
pub enum WriteDone {
    Csv {
        done: LpWriteDone,
        /// The labeling queue could not be updated.
        warnings: Vec<String>,
    },
    Slp(SlpWriteDone),
}

impl WriteJob {
    pub fn path(&self) -> &Path {
        match self {
            WriteJob::Csv(j) => j.path(),
            WriteJob::Slp(j) => j.path(),
        }
    }

    /// Checks the disk, keeps the backup, writes (and, for a CollectedData CSV, takes the
    /// frames now labeled out of its queue). Runs on the label worker.
    pub fn run(self) -> Result<WriteDone, String> {
        match self {
            WriteJob::Csv(j) => {
                let (path, images) = (j.path().to_path_buf(), j.images());
                let done = j.run().map_err(msg)?;
                let warnings = match &done {
                    LpWriteDone::Written { .. } => dequeue_images(&path, &images),
                    LpWriteDone::Conflict(_) => Vec::new(),
                };
                Ok(WriteDone::Csv { done, warnings })
            }
            WriteJob::Slp(j) => Ok(WriteDone::Slp(j.run().map_err(msg)?)),
        }
    }
}

fn msg(e: crate::Error) -> String {
    crate::sanitize::clean(&e.to_string()).into_owned()
}

impl Doc {
    /// Opens the label file behind a frame.
    pub fn open(origin: &FrameOrigin) -> Result<Doc, String> {
        match origin {
            FrameOrigin::None => Err("this frame's labels are not stored in a label file".into()),
            FrameOrigin::Csv { file, image } => {
                let mut doc = Box::new(LpDocument::read(file).map_err(msg)?);
                let row = doc.ensure_row(image);
                Ok(Doc::Csv {
                    doc,
                    image: image.clone(),
                    row,
                })
            }
            FrameOrigin::Slp {
                file,
                video,
                frame_idx,
            } => {
                let doc = SlpDocument::read(file).map_err(msg)?;
                let key = (*video, *frame_idx);
                let instance = doc.user_instances(key).first().copied();
                Ok(Doc::Slp { doc, key, instance })
            }
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Doc::Csv { doc, .. } => doc.path(),
            Doc::Slp { doc, .. } => doc.path(),
        }
    }

    pub fn file_name(&self) -> String {
        let p = self.path();
        crate::sanitize::clean(
            &p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into()),
        )
        .into_owned()
    }

    /// The points of the instance being edited (one per keypoint; `None`: missing).
    pub fn points(&self, n_keypoints: usize) -> Vec<Option<(f64, f64)>> {
        match self {
            Doc::Csv { doc, row, .. } => doc.points(*row),
            Doc::Slp {
                doc,
                key,
                instance: Some(i),
            } => doc.points(*key, *i),
            Doc::Slp { .. } => vec![None; n_keypoints],
        }
    }

    /// The frame's other instances: (user instances, predicted instances). SLEAP only.
    pub fn others(&self) -> (Vec<Points>, Vec<Points>) {
        let Doc::Slp { doc, key, instance } = self else {
            return (Vec::new(), Vec::new());
        };
        let Some(f) = doc.labels.frame(key.0, key.1) else {
            return (Vec::new(), Vec::new());
        };
        let (mut users, mut preds) = (Vec::new(), Vec::new());
        for (i, inst) in f.instances.iter().enumerate() {
            if Some(i) == *instance {
                continue;
            }
            let pts = doc.points(*key, i);
            if inst.is_user() {
                users.push(pts);
            } else {
                preds.push(pts);
            }
        }
        (users, preds)
    }

    /// Places keypoint `k` (or marks it missing / not visible); the edit when one was made.
    pub fn set_point(&mut self, k: usize, at: Option<(f64, f64)>) -> Result<Option<Op>, String> {
        match self {
            Doc::Csv { doc, row, .. } => Ok(doc.set_point(*row, k, at).map_err(msg)?.map(Op::Csv)),
            Doc::Slp {
                doc,
                key,
                instance: Some(i),
            } => Ok(doc.set_point(*key, *i, k, at).map_err(msg)?.map(Op::Slp)),
            Doc::Slp { .. } => Err("no instance in this frame: add one first".into()),
        }
    }

    /// Applies an edit forwards (redo) or backwards (undo); the keypoint it touched.
    pub fn apply(&mut self, op: &Op, forward: bool) -> Result<Option<usize>, String> {
        match (self, op) {
            (Doc::Csv { doc, .. }, Op::Csv(e)) => {
                doc.apply(e, forward).map_err(msg)?;
                Ok(Some(e.keypoint))
            }
            (Doc::Slp { doc, key, instance }, Op::Slp(e)) => {
                doc.apply(e, forward).map_err(msg)?;
                let users = doc.user_instances(*key);
                let touched = match e {
                    SlpEdit::Point { node, .. } => Some(*node),
                    _ => None,
                };
                let want = match e {
                    SlpEdit::Point { instance, .. } => Some(*instance),
                    SlpEdit::Add { at, .. } if forward => Some(*at),
                    SlpEdit::Remove { at, .. } if !forward => Some(*at),
                    _ => None,
                };
                *instance = want
                    .filter(|w| users.contains(w))
                    .or_else(|| instance.filter(|i| users.contains(i)))
                    .or_else(|| users.first().copied());
                Ok(touched)
            }
            _ => Err("the edit belongs to another file".into()),
        }
    }

    /// Whether anything differs from the file as read (or last written).
    pub fn unwritten(&self) -> bool {
        match self {
            Doc::Csv { doc, .. } => doc.is_edited(),
            Doc::Slp { doc, .. } => !doc.edited_frames().is_empty(),
        }
    }

    /// Writes on this thread; refused (with the conflicting frames) when the file changed on
    /// disk. The workstation writes on its label worker instead ([`Doc::begin_write`]).
    pub fn write(&mut self) -> Result<Outcome, String> {
        let done = self.begin_write().run()?;
        self.finish_write(done)
    }

    /// A snapshot to write elsewhere; editing goes on meanwhile.
    pub fn begin_write(&self) -> WriteJob {
        match self {
            Doc::Csv { doc, .. } => WriteJob::Csv(doc.begin_write()),
            Doc::Slp { doc, .. } => WriteJob::Slp(doc.begin_write()),
        }
    }

    /// A finished write taken in: the snapshot becomes what the file holds; edits made since
    /// it was taken stay unwritten.
    pub fn finish_write(&mut self, done: WriteDone) -> Result<Outcome, String> {
        match (self, done) {
            (Doc::Csv { doc, .. }, WriteDone::Csv { done, warnings }) => {
                Ok(match doc.finish_write(done) {
                    WriteResult::Written(w) => Outcome::Written {
                        warnings,
                        backup: w.backup,
                    },
                    WriteResult::Conflict(c) => Outcome::Conflict {
                        frames: c.frames,
                        gone: c.gone,
                    },
                })
            }
            (Doc::Slp { doc, .. }, WriteDone::Slp(done)) => Ok(match doc.finish_write(done) {
                SlpWriteResult::Written(w) => Outcome::Written {
                    backup: w.backup,
                    warnings: w.warnings,
                },
                SlpWriteResult::Conflict { frames, gone } => Outcome::Conflict {
                    frames: frames
                        .iter()
                        .map(|(v, f)| format!("video {v} frame {f}"))
                        .collect(),
                    gone,
                },
            }),
            _ => Err("the write belongs to another file".into()),
        }
    }

    /// After a conflict: writes these edits into the file as it is on disk now.
    pub fn keep_mine(&mut self) -> Result<Outcome, String> {
        let (backup, warnings) = match self {
            Doc::Csv { doc, image, row } => {
                let w = doc.write_keep_mine().map_err(msg)?;
                *row = doc.ensure_row(image);
                let warnings = dequeue(&w);
                (w.backup, warnings)
            }
            Doc::Slp { doc, .. } => {
                let w = doc.write_keep_mine().map_err(msg)?;
                (w.backup, w.warnings)
            }
        };
        self.fix_selection();
        Ok(Outcome::Written { backup, warnings })
    }

    /// Drops the edits and reads the file again.
    pub fn reload(&mut self) -> Result<(), String> {
        match self {
            Doc::Csv { doc, image, row } => {
                doc.reload().map_err(msg)?;
                *row = doc.ensure_row(image);
            }
            Doc::Slp { doc, .. } => doc.reload().map_err(msg)?,
        }
        self.fix_selection();
        Ok(())
    }

    fn fix_selection(&mut self) {
        if let Doc::Slp { doc, key, instance } = self {
            let users = doc.user_instances(*key);
            if !instance.is_some_and(|i| users.contains(&i)) {
                *instance = users.first().copied();
            }
        }
    }
}

/// Frames whose rows a write put into a CollectedData CSV leave its labeling queue
/// (`CollectedData*.unlabeled.jsonl`, as the Lightning Pose app moves them); a queue that
/// cannot be rewritten is a warning beside the written file, not a failed write.
fn dequeue(w: &crate::labels::lp_write::Written) -> Vec<String> {
    dequeue_images(&w.path, &w.rows)
}

fn dequeue_images(csv: &Path, images: &[String]) -> Vec<String> {
    let q = crate::labels::queue::path_for_csv(csv);
    let rows: Vec<&str> = images.iter().map(String::as_str).collect();
    match crate::labels::queue::remove(&q, &rows) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("queue not updated: {e}")],
    }
}
