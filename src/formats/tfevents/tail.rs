//! Incremental reading: a tailer remembers where it stopped and, when called again, reads
//! only the bytes appended since, stopping cleanly before a partial trailing record.

use super::decode::Decoder;
use super::series::TailUpdate;
use super::stream::decode_file_range;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Follows one events file as it grows.
#[derive(Debug)]
pub struct EventsTailer {
    path: PathBuf,
    offset: u64,
    decoder: Decoder,
    /// Damage found earlier: the tailer stays there and reports it again.
    damaged: Option<(u64, String)>,
}

impl EventsTailer {
    /// A tailer that has read nothing yet: the first [`poll`](Self::poll) reads the whole file.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        EventsTailer {
            path: path.into(),
            offset: 0,
            decoder: Decoder::new(),
            damaged: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset just past the last good record read: the next poll starts here.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// `Event.file_version` of the file, once read.
    pub fn file_version(&self) -> Option<&str> {
        self.decoder.file_version.as_deref()
    }

    /// Reads what was appended since the last call. A partial trailing record is left for a
    /// later call; damage is returned in `error` (with the byte offset) and the tailer stays
    /// before it. Fails only when the file cannot be read at all.
    pub fn poll(&mut self) -> Result<TailUpdate> {
        let (file, len) = crate::util::open_regular(&self.path)?;
        let mut update = TailUpdate::default();
        if len < self.offset {
            // Shrunk or replaced: start over.
            update.reset = true;
            self.offset = 0;
            self.decoder = Decoder::new();
            self.damaged = None;
        }
        if let Some((at, msg)) = &self.damaged {
            update.offset = self.offset;
            update.error = Some(Error::at_offset(&self.path, *at, msg.clone()));
            return Ok(update);
        }
        let start = self.offset;
        let chunk = decode_file_range(&self.path, &file, &mut self.decoder, start, len)?;
        let drained = self.decoder.drain();
        self.offset = chunk.good_end;
        update.scalars = drained.scalars;
        update.texts = drained.texts;
        update.other_tags = drained.other_tags;
        update.new_records = chunk.new_records;
        update.offset = chunk.good_end;
        update.pending_bytes = chunk.pending;
        if let Some((at, msg)) = chunk.damage {
            update.error = Some(Error::at_offset(&self.path, at, msg.clone()));
            self.damaged = Some((at, msg));
        }
        Ok(update)
    }
}
