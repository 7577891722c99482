//! The streaming reader against the in-memory one (a single walk of the whole buffer), with
//! pieces and parts so small that every seam is crossed: every truncation of a file, damage,
//! records larger than a piece, wrong cuts inside a record, starts in the middle.

use super::decode::Decoder;
use super::pipeline::{Chunk, decode_chunk};
use super::record;
use super::stream::{Plan, decode_file_range_with};
use super::writer::EventsWriter;
use std::io::Write;
use std::path::Path;

/// A small log: scalars under a few tags, a text summary, one record of ~700 bytes.
fn sample() -> Vec<u8> {
    let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
    for s in 0..12i64 {
        w.add_scalar_at("loss", s as f32 * 0.5, s, 100.0 + s as f64)
            .unwrap();
        w.add_scalar_at("lr-Adam/head", 1e-3, s, 100.5 + s as f64)
            .unwrap();
        if s == 4 {
            w.add_text_at("config", &"x: 1\n".repeat(140), s, 101.0)
                .unwrap();
        }
        if s % 5 == 0 {
            w.add_scalar_at("val_supervised_loss", 2.0 / (s + 1) as f32, s, 102.0)
                .unwrap();
        }
    }
    w.into_inner().unwrap()
}

fn plans() -> Vec<Plan> {
    let mut out = Vec::new();
    for chunk in [1, 13, 64, 700, 1 << 20] {
        for threads in [1, 2, 3, 7] {
            for probe in [20, 300] {
                for parts in [false, true] {
                    out.push(Plan {
                        chunk,
                        parallel_min: 0,
                        probe,
                        threads,
                        parts,
                    });
                }
            }
        }
    }
    out
}

fn key(c: &Chunk) -> (u64, u64, u64, u64, Option<(u64, String)>) {
    (
        c.new_records,
        c.good_end,
        c.pending,
        c.pending_need,
        c.damage.clone(),
    )
}

/// The file's bytes from `start` read by the streaming reader and by the in-memory one:
/// the same records, the same stop, the same series.
fn assert_same(path: &Path, bytes: &[u8], start: usize, plan: Plan, what: &str) {
    let mut want_d = Decoder::new();
    let want = decode_chunk(&mut want_d, &bytes[start..], start as u64);
    let file = std::fs::File::open(path).unwrap();
    let mut got_d = Decoder::new();
    let got = decode_file_range_with(
        path,
        &file,
        &mut got_d,
        start as u64,
        bytes.len() as u64,
        plan,
    )
    .unwrap();
    assert_eq!(key(&got), key(&want), "{what} {plan:?}");
    assert_eq!(got_d.records, want_d.records, "{what} {plan:?}");
    assert_eq!(got_d.file_version, want_d.file_version, "{what} {plan:?}");
    assert_eq!(got_d.drain(), want_d.drain(), "{what} {plan:?}");
}

#[test]
fn every_truncation_reads_as_in_memory() {
    let full = sample();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.t");
    std::fs::write(&path, &full).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let plans = plans();
    // Longest first: each step cuts the file shorter.
    for n in (0..=full.len()).rev() {
        file.set_len(n as u64).unwrap();
        // Every plan on a few lengths, a cheap serial and a parallel plan on all of them.
        let some: Vec<Plan> = if n % 97 == 0 || n == full.len() {
            plans.clone()
        } else {
            vec![plans[16], plans[16 * 2 + 4], plans[16 * 2 + 8 + 1]]
        };
        for plan in some {
            assert_same(&path, &full[..n], 0, plan, &format!("cut at {n}"));
        }
    }
}

#[test]
fn damage_reads_as_in_memory() {
    let full = sample();
    let (spans, _) = record::scan(&full);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.d");
    // A flipped bit in the length, its CRC, the data and the data CRC of several records.
    for &k in &[0, 1, 7, spans.len() / 2, spans.len() - 1] {
        let s = spans[k];
        for at in [s.start + 1, s.start + 9, s.data_start() + 3, s.end() - 2] {
            let mut bad = full.clone();
            bad[at] ^= 0x10;
            std::fs::write(&path, &bad).unwrap();
            for plan in plans() {
                assert_same(&path, &bad, 0, plan, &format!("record {k} byte {at}"));
            }
        }
    }
    // Garbage from the start, and a length passing its CRC that runs far past the end.
    let mut huge = Vec::new();
    let len = (1u64 << 50).to_le_bytes();
    huge.extend_from_slice(&len);
    huge.extend_from_slice(&record::masked_crc32c(&len).to_le_bytes());
    huge.extend_from_slice(&[7; 40]);
    for bytes in [vec![0xab; 300], [full.clone(), huge].concat()] {
        std::fs::write(&path, &bytes).unwrap();
        for plan in plans() {
            assert_same(&path, &bytes, 0, plan, "garbage");
        }
    }
}

#[test]
fn starts_at_a_record_in_the_middle() {
    let full = sample();
    let (spans, _) = record::scan(&full);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.m");
    std::fs::write(&path, &full).unwrap();
    for s in spans.iter().step_by(5) {
        for plan in plans() {
            assert_same(&path, &full, s.start, plan, &format!("from {}", s.start));
        }
    }
}

fn field(out: &mut Vec<u8>, key: u8, body: &[u8]) {
    out.push(key);
    let mut v = body.len() as u64;
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out.extend_from_slice(body);
}

/// A text record holding copies of valid records: cuts land on fake boundaries inside it,
/// are found wrong, and the walk goes on serially from the last good record.
#[test]
fn fake_boundaries_inside_a_record() {
    let mut fake = Vec::new();
    record::frame(&mut fake, b"\x09\x00\x00\x00\x00\x00\x00\xf0\x3f");
    let mut tensor = vec![0x08, 0x07];
    field(&mut tensor, 0x42, &fake.repeat(60));
    let mut value = Vec::new();
    field(&mut value, 0x0a, b"blob/text_summary");
    field(&mut value, 0x42, &tensor);
    field(&mut value, 0x4a, b"\x0a\x06\x0a\x04text");
    let mut summary = Vec::new();
    field(&mut summary, 0x0a, &value);
    let mut event = vec![0x09];
    event.extend_from_slice(&5.0f64.to_le_bytes());
    field(&mut event, 0x2a, &summary);
    let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
    w.add_scalar_at("a", 1.0, 1, 1.0).unwrap();
    let mut bytes = w.into_inner().unwrap();
    record::frame(&mut bytes, &event);
    let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
    w.add_scalar_at("a", 2.0, 3, 3.0).unwrap();
    let tail = w.into_inner().unwrap();
    // Past the writer's file_version record.
    let (first, _) = record::scan(&tail);
    bytes.extend_from_slice(&tail[first[0].end()..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.f");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&bytes).unwrap();
    drop(f);
    for plan in plans() {
        assert_same(&path, &bytes, 0, plan, "fake boundaries");
    }
    let mut d = Decoder::new();
    let c = decode_chunk(&mut d, &bytes, 0);
    assert!(c.damage.is_none() && c.pending == 0);
    assert_eq!(d.records, 4);
}

/// Summaries folded as the file is read (every plan, truncations, damage) are what the
/// series read in memory summarise to: count, first, last, the first of equal minima and
/// maxima, NaNs skipped; the same stop and error.
#[test]
fn summaries_fold_as_the_series_summarise() {
    use super::series::ScalarSummary;
    let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
    for s in 0..40i64 {
        let v = match s % 7 {
            0 => f32::NAN,
            1 | 4 => 0.25,
            _ => (s % 5) as f32,
        };
        w.add_scalar_at("tied", v, s, 100.0 + s as f64).unwrap();
        w.add_scalar_at("loss", 1.0 / (s + 1) as f32, s, 100.5 + s as f64)
            .unwrap();
        if s == 9 {
            w.add_text_at("config", &"x: 1\n".repeat(140), s, 101.0)
                .unwrap();
        }
    }
    let full = w.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.s");
    let mut cases: Vec<Vec<u8>> = (0..=full.len())
        .step_by(37)
        .map(|n| full[..n].to_vec())
        .collect();
    cases.push(full.clone());
    let (spans, _) = record::scan(&full);
    let mut bad = full.clone();
    bad[spans[spans.len() / 2].data_start() + 3] ^= 0x10;
    cases.push(bad);
    for bytes in cases {
        std::fs::write(&path, &bytes).unwrap();
        let mut want_d = Decoder::new();
        let want = decode_chunk(&mut want_d, &bytes, 0);
        let want_drained = want_d.drain();
        let want_sums: Vec<ScalarSummary> =
            want_drained.scalars.iter().map(ScalarSummary::of).collect();
        let file = std::fs::File::open(&path).unwrap();
        for plan in plans() {
            let mut d = Decoder::summaries();
            let got =
                decode_file_range_with(&path, &file, &mut d, 0, bytes.len() as u64, plan).unwrap();
            let what = format!("{} bytes {plan:?}", bytes.len());
            assert_eq!(key(&got), key(&want), "{what}");
            assert_eq!(d.records, want_d.records, "{what}");
            let drained = d.drain();
            assert!(drained.scalars.is_empty(), "{what}");
            // Debug: a NaN first or last point compares equal to itself.
            assert_eq!(
                format!("{:?}", drained.summaries),
                format!("{want_sums:?}"),
                "{what}"
            );
            assert_eq!(drained.texts, want_drained.texts, "{what}");
            assert_eq!(drained.other_tags, want_drained.other_tags, "{what}");
        }
    }
}
