//! Reading whole events files, and everything under a model directory or project.

use super::decode::Decoder;
use super::discover::find_events_files;
use super::pipeline::{Chunk, decode_chunk};
use super::series::{BestValue, EventsFile};
use super::stream::{Plan, decode_file_range_with};
use crate::{Error, Result};
use std::path::Path;

/// Reads one events file. Fails only when the file cannot be read at all; damage (bad CRC,
/// malformed or truncated record) gives the records before it and `error` with the offset.
/// The file is streamed through one 512 KB buffer per thread (one record when it is larger),
/// never held whole, and decoded as it is read.
pub fn read_events_file(path: &Path) -> Result<EventsFile> {
    read_with(path, Decoder::new())
}

/// [`read_events_file`] keeping only the values of `tag` (every record is still checked):
/// the same error, and the same series for that tag.
pub fn read_events_file_tag(path: &Path, tag: &str) -> Result<EventsFile> {
    read_with(path, Decoder::only(tag))
}

/// [`read_events_file`] keeping each scalar tag's summary (count, first, last, minimum,
/// maximum) in `summaries` instead of its points: the same checks and the same error, and
/// nothing that grows with the file. Its parts are read on every core (they merge at no cost).
pub fn read_events_summaries(path: &Path) -> Result<EventsFile> {
    read_with(path, Decoder::summaries())
}

fn read_with(path: &Path, mut decoder: Decoder) -> Result<EventsFile> {
    let (file, len) = crate::util::open_regular(path)?;
    let mut plan = Plan::standard();
    plan.parts |= decoder.folds();
    let chunk = decode_file_range_with(path, &file, &mut decoder, 0, len, plan)?;
    let file_len = len.max(chunk.good_end + chunk.pending);
    Ok(finish_file(path, decoder, &chunk, file_len))
}

/// Decodes the bytes of a whole events file (`path` only names it in errors).
pub fn decode_events(path: &Path, buf: &[u8]) -> EventsFile {
    let mut decoder = Decoder::new();
    let chunk = decode_chunk(&mut decoder, buf, 0);
    finish_file(path, decoder, &chunk, buf.len() as u64)
}

fn finish_file(path: &Path, mut decoder: Decoder, chunk: &Chunk, file_len: u64) -> EventsFile {
    let drained = decoder.drain();
    let error = match &chunk.damage {
        Some((at, msg)) => Some(Error::at_offset(path, *at, msg.clone())),
        None if chunk.pending > 0 => Some(Error::at_offset(
            path,
            chunk.good_end,
            truncated_message(chunk.pending, chunk.pending_need),
        )),
        None => None,
    };
    EventsFile {
        path: path.to_path_buf(),
        file_version: decoder.file_version,
        records: decoder.records,
        bytes_read: chunk.good_end,
        file_len,
        scalars: drained.scalars,
        summaries: drained.summaries,
        texts: drained.texts,
        other_tags: drained.other_tags,
        truncated: chunk.damage.is_none() && chunk.pending > 0,
        error,
    }
}

/// The message for a record the file ends inside of (`need`: its whole size as its length
/// says, 0 when even the header is cut).
fn truncated_message(have: u64, need: u64) -> String {
    if need > 0 {
        format!(
            "truncated record: the file ends {have} bytes into it, its length says {need} bytes \
             (still being written, cut short, or a damaged length)"
        )
    } else {
        format!(
            "truncated record: the file ends {have} bytes into it (still being written, or cut short)"
        )
    }
}

/// Reads every events file under `path` (a file, a model directory or a project), in path order.
pub fn read_events_dir(path: &Path) -> Result<Vec<EventsFile>> {
    find_events_files(path)?
        .iter()
        .map(|p| read_events_file(p))
        .collect()
}

/// The lowest value of `tag` over the given files (NaNs ignored), e.g. the best
/// `val_supervised_loss` of a run. Damaged files count with the records before the damage.
pub fn best_value(files: &[EventsFile], tag: &str) -> Option<BestValue> {
    let mut best: Option<BestValue> = None;
    for f in files {
        let Some(p) = f.scalar(tag).and_then(|s| s.min_point()) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| p.value < b.value) {
            best = Some(BestValue {
                tag: tag.to_string(),
                value: p.value,
                step: p.step,
                wall_time: p.wall_time,
                file: f.path.clone(),
            });
        }
    }
    best
}

/// [`best_value`] over every events file under `path` (a model directory, a project or a file).
/// `Ok(None)` when no file holds the tag.
pub fn best_value_under(path: &Path, tag: &str) -> Result<Option<BestValue>> {
    Ok(best_value(&read_events_dir(path)?, tag))
}
