//! Incremental reading: a tailer remembers where it stopped and, when called again, reads
//! only the bytes appended since, stopping cleanly before a partial trailing record.

use super::decode::Decoder;
use super::record::{self, Stop};
use super::series::TailUpdate;
use crate::{Error, Result};
use std::io::{Read, Seek, SeekFrom};
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

/// One read of a byte range: the decoder has the new points; this says where it stopped.
pub(crate) struct Chunk {
    pub new_records: u64,
    /// Offset just past the last good record.
    pub good_end: u64,
    /// Bytes of a partial trailing record.
    pub pending: u64,
    /// Damage: offset and message.
    pub damage: Option<(u64, String)>,
}

/// Decodes `buf` (the file's bytes from `start`) into `decoder`.
pub(crate) fn decode_chunk(decoder: &mut Decoder, buf: &[u8], start: u64) -> Chunk {
    let before = decoder.records;
    let (spans, stop) = record::scan(buf);
    let (good_end, pending, damage) = match decoder.decode_parallel(buf, &spans) {
        Err(d) => {
            let end = spans.get(d.span).map_or(0, |s| s.start);
            (end, 0, Some((start + d.at as u64, d.msg)))
        }
        Ok(()) => match stop {
            Stop::Clean => (buf.len(), 0, None),
            Stop::Partial { at, have, .. } => (at, have as u64, None),
            Stop::Damaged { at, msg } => (at, 0, Some((start + at as u64, msg))),
        },
    };
    Chunk {
        new_records: decoder.records - before,
        good_end: start + good_end as u64,
        pending,
        damage,
    }
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
        let io = |e| Error::io(&self.path, e);
        let mut file = std::fs::File::open(&self.path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
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
        let want = len - start;
        let mut buf = Vec::new();
        buf.try_reserve_exact(want as usize)
            .map_err(|_| Error::invalid(&self.path, format!("cannot allocate {want} bytes")))?;
        if start > 0 {
            file.seek(SeekFrom::Start(start)).map_err(io)?;
        }
        file.take(want).read_to_end(&mut buf).map_err(io)?;
        let chunk = decode_chunk(&mut self.decoder, &buf, start);
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
