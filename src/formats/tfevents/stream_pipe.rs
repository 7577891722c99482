//! A two-thread pipeline for one walk of a file: a reading thread fills pieces, walks their
//! record chain and checks every length and data CRC; the calling thread decodes the checked
//! records into the series. Nothing is merged afterwards (each point is written once, where
//! it stays), so it costs no more CPU than one thread while taking about half its time.
//! The pieces and their record lists go round a small pool of kept buffers.

use super::decode::{DATA_CRC_MSG, Decoder};
use super::record::{self, Span};
use super::stream::{PartEnd, Sink, damaged, walk};
use std::fs::File;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Buffers in flight besides the one being filled.
const POOL: usize = 3;

type Bufs = (Vec<u8>, Vec<Span>);

enum Msg {
    Piece {
        buf: Vec<u8>,
        filled: usize,
        spans: Vec<Span>,
        pos: u64,
    },
    End(std::io::Result<PartEnd>),
}

/// Checks the pieces' data CRCs and hands them over.
struct HandOver {
    free: Receiver<Bufs>,
    full: SyncSender<Msg>,
}

impl Sink for HandOver {
    fn piece(
        &mut self,
        buf: &mut Vec<u8>,
        filled: usize,
        spans: &mut Vec<Span>,
        pos: u64,
        keep: usize,
    ) -> Result<(), PartEnd> {
        // Ends the walk when the decoding side has stopped (it has its own end).
        let gone = PartEnd::Overshoot { at: pos };
        let piece = &buf[..filled];
        let ok = record::first_bad_data(piece, spans).unwrap_or(spans.len());
        let bad = spans.get(ok).map(|s| pos + s.start as u64);
        let (mut next_buf, mut next_spans) = self.free.recv().map_err(|_| gone)?;
        let tail = filled - keep;
        if next_buf.len() < tail {
            next_buf.resize(tail, 0);
        }
        next_buf[..tail].copy_from_slice(&buf[keep..filled]);
        next_spans.clear();
        let full_buf = std::mem::replace(buf, next_buf);
        let mut full_spans = std::mem::replace(spans, next_spans);
        full_spans.truncate(ok);
        self.full
            .send(Msg::Piece {
                buf: full_buf,
                filled,
                spans: full_spans,
                pos,
            })
            .map_err(|_| PartEnd::Overshoot { at: pos })?;
        match bad {
            Some(at) => Err(PartEnd::Damaged {
                good_end: at,
                at,
                msg: DATA_CRC_MSG.into(),
            }),
            None => Ok(()),
        }
    }
}

/// Walks `file` from `from` to `end` like a serial walk, reading on a second thread.
/// `pool` holds kept buffers (taken and given back).
pub(super) fn pipelined(
    file: &File,
    d: &mut Decoder,
    from: u64,
    end: u64,
    chunk: usize,
    pool: &mut Vec<Bufs>,
) -> std::io::Result<PartEnd> {
    let (free_tx, free_rx) = sync_channel::<Bufs>(POOL + 1);
    let (full_tx, full_rx) = sync_channel::<Msg>(POOL);
    let mut current = pool.pop().unwrap_or_default();
    for _ in 0..POOL {
        let _ = free_tx.send(pool.pop().unwrap_or_default());
    }
    std::thread::scope(|sc| {
        let reader = sc.spawn(move || {
            let mut sink = HandOver {
                free: free_rx,
                full: full_tx,
            };
            let (buf, spans) = &mut current;
            let r = walk(file, &mut sink, buf, spans, from, end, end, chunk);
            let _ = sink.full.send(Msg::End(r));
            // The buffers still in the pool, to keep.
            let mut left: Vec<Bufs> = sink.free.try_iter().collect();
            left.push(current);
            left
        });
        let mut result = None;
        {
            // Owned here: dropped when decoding stops, which ends the reader's walk.
            let (full_rx, free_tx) = (full_rx, free_tx);
            for msg in full_rx.iter() {
                match msg {
                    Msg::Piece {
                        buf,
                        filled,
                        spans,
                        pos,
                    } => {
                        let r = d
                            .decode_checked(&buf[..filled], &spans)
                            .map_err(|e| damaged(pos, &spans, e));
                        let _ = free_tx.send((buf, spans));
                        if let Err(end) = r {
                            result = Some(Ok(end));
                            break;
                        }
                    }
                    Msg::End(r) => {
                        result = Some(r);
                        break;
                    }
                }
            }
        }
        let left = reader.join().unwrap_or_default();
        pool.extend(left.into_iter().filter(|(b, _)| b.capacity() <= 4 << 20));
        // None: the reader stopped without a word (it panicked).
        result.unwrap_or_else(|| Err(std::io::Error::other("the reading thread failed")))
    })
}
