//! Writing an edited [`LpDocument`]: refused when the file changed on disk since it was read
//! (someone else labeled); then the conflicting frames are listed and the caller either
//! reloads (dropping its edits) or keeps its edits with [`LpDocument::write_keep_mine`],
//! which writes them into the file as it now is, so the other person's changes to every
//! other cell stay. Every write keeps the previous file in `.posedeck-backup/` and replaces
//! the file atomically (temporary + rename).
//!
//! A write can run off the thread that edits: [`LpDocument::begin_write`] takes a snapshot
//! (the bytes to write, the edited rows), [`LpWriteJob::run`] checks the disk, keeps the
//! backup and writes, anywhere; [`LpDocument::finish_write`] makes the snapshot the document's
//! base, so edits made meanwhile stay unwritten edits.

use super::backup;
use super::lp_doc::{LpDocument, RawRow};
use crate::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A finished write.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    pub path: PathBuf,
    /// The previous version (`None` when there was no file).
    pub backup: Option<PathBuf>,
    /// The images whose rows this write changed (labeled frames now in the file).
    pub rows: Vec<String>,
}

/// The file changed on disk since it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// Edited frames whose cells differ on disk from what was read (or that were removed or
    /// added there).
    pub frames: Vec<String>,
    /// Whether the file is gone.
    pub gone: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WriteResult {
    Written(Written),
    Conflict(Conflict),
}

/// The images that have a row in a CollectedData CSV: labeled frames (a labeling queue drops
/// these after a write).
pub fn labeled_images(csv: &Path) -> Result<BTreeSet<String>> {
    Ok(LpDocument::read(csv)?.images().iter().cloned().collect())
}

fn disk_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// A row the snapshot changed: its index, image, the base it had and what is written.
#[derive(Clone, Debug)]
pub struct ChangedRow {
    row: usize,
    image: String,
    base: Option<RawRow>,
    now: RawRow,
}

/// A write of a snapshot of an [`LpDocument`], to run on any thread.
#[derive(Clone, Debug)]
pub struct LpWriteJob {
    path: PathBuf,
    /// What the disk must still hold (the document's bytes as read or last written).
    expected: Vec<u8>,
    bytes: Vec<u8>,
    changed: Vec<ChangedRow>,
    keypoints: Vec<String>,
    coords: Vec<String>,
}

/// What an [`LpWriteJob`] did.
#[derive(Clone, Debug)]
pub enum LpWriteDone {
    Written {
        bytes: Vec<u8>,
        backup: Option<PathBuf>,
        changed: Vec<ChangedRow>,
    },
    Conflict(Conflict),
}

impl LpWriteJob {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The images of the rows this write changes.
    pub fn images(&self) -> Vec<String> {
        self.changed.iter().map(|c| c.image.clone()).collect()
    }

    /// Checks the disk, keeps the backup, writes atomically.
    pub fn run(self) -> Result<LpWriteDone> {
        match disk_bytes(&self.path)? {
            Some(d) if d == self.expected => {}
            Some(d) => {
                let theirs = LpDocument::parse(&self.path, d)?;
                return Ok(LpWriteDone::Conflict(Conflict {
                    frames: self.conflicts_with(&theirs),
                    gone: false,
                }));
            }
            None => {
                return Ok(LpWriteDone::Conflict(Conflict {
                    frames: self.images(),
                    gone: true,
                }));
            }
        }
        let backup = Some(backup::keep(&self.path, &self.expected)?);
        crate::util::write_atomic(&self.path, &self.bytes)?;
        Ok(LpWriteDone::Written {
            bytes: self.bytes,
            backup,
            changed: self.changed,
        })
    }

    /// Edited frames that `disk` changed too.
    fn conflicts_with(&self, disk: &LpDocument) -> Vec<String> {
        let nc = self.coords.len().max(1);
        let mine = |row: &RawRow| -> Vec<((String, String), Vec<u8>)> {
            (1..row.fields.len())
                .map(|c| {
                    let names = (
                        self.keypoints[(c - 1) / nc].clone(),
                        self.coords[(c - 1) % nc].clone(),
                    );
                    (names, row.fields[c].clone())
                })
                .collect()
        };
        let theirs = |row: &RawRow| -> Vec<((String, String), Vec<u8>)> {
            disk.cells_by_name(row)
                .into_iter()
                .map(|((k, c), v)| ((k.to_owned(), c.to_owned()), v.to_vec()))
                .collect()
        };
        let mut out = Vec::new();
        for c in &self.changed {
            let t = disk.row_of(&c.image).map(|d| &disk.rows[d]);
            let differs = match (&c.base, t) {
                (Some(b), Some(t)) => mine(b) != theirs(t),
                (None, None) => false,
                _ => true,
            };
            if differs {
                out.push(c.image.clone());
            }
        }
        out
    }
}

impl LpDocument {
    /// The column of (keypoint, coord) names.
    fn col_named(&self, keypoint: &str, coord: &str) -> Option<usize> {
        let k = self.keypoints.iter().position(|n| n == keypoint)?;
        let c = self.coords.iter().position(|n| n == coord)?;
        Some(1 + k * self.coords.len() + c)
    }

    /// (keypoint, coord) of a field column.
    fn names_of(&self, col: usize) -> (&str, &str) {
        let nc = self.coords.len();
        (
            &self.keypoints[(col - 1) / nc],
            &self.coords[(col - 1) % nc],
        )
    }

    /// Rows that differ from the base, with the base row (None: a new row).
    fn changed_rows(&self) -> Vec<(usize, Option<&RawRow>)> {
        self.touched
            .iter()
            .copied()
            .filter(|&r| self.row_edited(r))
            .map(|r| (r, self.base.get(r)))
            .collect()
    }

    /// A row's cells by (keypoint, coord) name, for comparing across files whose columns differ.
    fn cells_by_name<'a>(&'a self, row: &'a RawRow) -> Vec<((&'a str, &'a str), &'a [u8])> {
        (1..row.fields.len())
            .map(|c| (self.names_of(c), row.fields[c].as_slice()))
            .collect()
    }

    /// Writes the document: refused with the conflicting frames when the file changed on
    /// disk since it was read. With no edits the bytes written are the bytes read.
    pub fn write(&mut self) -> Result<WriteResult> {
        let done = self.begin_write().run()?;
        Ok(self.finish_write(done))
    }

    /// A snapshot of the document for a write that runs elsewhere (see the module docs).
    pub fn begin_write(&self) -> LpWriteJob {
        let changed = self
            .changed_rows()
            .into_iter()
            .map(|(r, base)| ChangedRow {
                row: r,
                image: self.index[r].clone(),
                base: base.cloned(),
                now: self.rows[r].clone(),
            })
            .collect();
        LpWriteJob {
            path: self.path.clone(),
            expected: self.original.clone(),
            bytes: self.to_bytes(),
            changed,
            keypoints: self.keypoints.clone(),
            coords: self.coords.clone(),
        }
    }

    /// Takes a finished job's outcome in: after a write, the snapshot is the base (edits made
    /// since it was taken stay edits).
    pub fn finish_write(&mut self, done: LpWriteDone) -> WriteResult {
        match done {
            LpWriteDone::Conflict(c) => WriteResult::Conflict(c),
            LpWriteDone::Written {
                bytes,
                backup,
                changed,
            } => {
                let rows = changed.iter().map(|c| c.image.clone()).collect();
                self.original = bytes;
                for c in changed {
                    if c.row < self.base.len() {
                        self.base[c.row] = c.now;
                    } else if c.row == self.base.len() {
                        self.base.push(c.now);
                    }
                }
                let still: BTreeSet<usize> = self
                    .touched
                    .iter()
                    .copied()
                    .filter(|&r| self.row_edited(r))
                    .collect();
                self.touched = still;
                WriteResult::Written(Written {
                    path: self.path.clone(),
                    backup,
                    rows,
                })
            }
        }
    }

    /// After a conflict: writes this document's edited cells into the file as it is on disk
    /// now (their cells win over the other person's in those cells only; every other change
    /// on disk stays), keeping the disk version as the backup. The document becomes what was
    /// written.
    pub fn write_keep_mine(&mut self) -> Result<Written> {
        let Some(disk) = disk_bytes(&self.path)? else {
            let rows = self.edited_images();
            let bytes = self.to_bytes();
            crate::util::write_atomic(&self.path, &bytes)?;
            self.rebase(bytes);
            return Ok(Written {
                path: self.path.clone(),
                backup: None,
                rows,
            });
        };
        let mut merged = LpDocument::parse(&self.path, disk.clone())?;
        let mut rows = Vec::new();
        for (r, base) in self.changed_rows() {
            let image = self.index[r].clone();
            let mine = &self.rows[r];
            let dr = merged.ensure_row(&image);
            for c in 1..mine.fields.len() {
                if base.is_some_and(|b| b.fields[c] == mine.fields[c]) {
                    continue;
                }
                let (k, co) = self.names_of(c);
                let dc = merged.col_named(k, co).ok_or_else(|| {
                    Error::invalid(
                        &self.path,
                        format!(
                            "cannot keep your edits: the file on disk no longer has keypoint {k:?} coord {co:?}"
                        ),
                    )
                })?;
                merged.rows[dr].fields[dc] = mine.fields[c].clone();
            }
            rows.push(image);
        }
        let bytes = merged.to_bytes();
        let backup = Some(backup::keep(&self.path, &disk)?);
        crate::util::write_atomic(&self.path, &bytes)?;
        merged.rebase(bytes);
        *self = merged;
        Ok(Written {
            path: self.path.clone(),
            backup,
            rows,
        })
    }

    /// Drops every edit and reads the file again.
    pub fn reload(&mut self) -> Result<()> {
        *self = LpDocument::read(&self.path)?;
        Ok(())
    }

    /// Makes the current rows the base (after they were written as `bytes`).
    fn rebase(&mut self, bytes: Vec<u8>) {
        self.original = bytes;
        self.base = self.rows.clone();
        self.touched.clear();
    }

    /// Whether the file on disk still holds what this document was read from.
    pub fn unchanged_on_disk(&self) -> bool {
        disk_bytes(&self.path).ok().flatten().as_deref() == Some(self.original.as_slice())
    }
}
