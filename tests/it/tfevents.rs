//! TensorBoard events: the real Lightning Pose files against TensorBoard's own reading
//! (EXPECTED_scalars.json), round trips through TensorBoard's EventAccumulator, damaged and
//! odd inputs, incremental tailing, and the `posedeck scalars` CLI.

use crate::common::{run_posedeck, run_python};
use crate::{peers_or_skip, shared_or_skip};
use posedeck::Error;
use posedeck::formats::tfevents::{
    self, EventsFile, EventsTailer, EventsWriter, best_value, find_events_files, read_events_dir,
    read_events_file, record,
};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

fn expected(shared: &Path) -> Value {
    let p = shared.join("lp-real-model/EXPECTED_scalars.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Asserts that `f` holds exactly the scalars TensorBoard read (EXPECTED_scalars.json entry).
fn assert_matches_expected(f: &EventsFile, exp: &Value, name: &str) {
    assert!(f.error.is_none(), "{name}: {:?}", f.error);
    assert_eq!(f.file_len, exp["bytes"].as_u64().unwrap(), "{name}: size");
    assert_eq!(f.bytes_read, f.file_len, "{name}: whole file read");
    assert_eq!(f.file_version.as_deref(), Some("brain.Event:2"));
    let tags = exp["scalar_tags"].as_object().unwrap();
    let mut ours: Vec<&str> = f.scalars.iter().map(|s| s.tag.as_str()).collect();
    ours.sort();
    let mut theirs: Vec<&str> = tags.keys().map(|k| k.as_str()).collect();
    theirs.sort();
    assert_eq!(ours, theirs, "{name}: scalar tags");
    for (tag, e) in tags {
        let s = f.scalar(tag).unwrap();
        let pts = e["values"].as_array().unwrap();
        assert_eq!(
            s.len() as u64,
            e["count"].as_u64().unwrap(),
            "{name} {tag}: count"
        );
        assert_eq!(s.len(), pts.len());
        for (i, p) in pts.iter().enumerate() {
            assert_eq!(
                s.steps[i],
                p[0].as_i64().unwrap(),
                "{name} {tag}[{i}]: step"
            );
            let v = p[1].as_f64().unwrap();
            assert_eq!(s.values[i] as f32, v as f32, "{name} {tag}[{i}]: value");
        }
        let w = e["first_wall_time"].as_f64().unwrap();
        assert!(
            (s.wall_times[0] - w).abs() <= 0.0005 + 1e-9,
            "{name} {tag}: first wall time {} vs {w}",
            s.wall_times[0]
        );
    }
    // Text summaries: TensorBoard lists them as tensor tags.
    let mut texts: Vec<&str> = f.texts.iter().map(|t| t.tag.as_str()).collect();
    texts.sort();
    let mut tensor_tags: Vec<&str> = exp["tensor_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tensor_tags.sort();
    assert_eq!(texts, tensor_tags, "{name}: text tags");
}

/// (a) Every real events file (finished runs and the mid-training copy) reads exactly as
/// TensorBoard 2.21's EventAccumulator read it.
#[test]
fn real_files_equal_tensorboard_oracle() {
    let shared = shared_or_skip!();
    let exp = expected(&shared);
    let files = exp["files"].as_object().unwrap();
    assert_eq!(files.len(), 3);
    for (rel, e) in files {
        let f = read_events_file(&shared.join("lp-real-model").join(rel)).unwrap();
        assert_matches_expected(&f, e, rel);
    }
    // Discovery from the folder finds exactly these three files.
    let found = find_events_files(&shared.join("lp-real-model")).unwrap();
    assert_eq!(found.len(), 3);
    let all = read_events_dir(&shared.join("lp-real-model")).unwrap();
    assert_eq!(
        all.iter().map(|f| f.scalar_count()).sum::<usize>(),
        125 + 113 + 125
    );
}

/// The text summaries hold Lightning Pose's hydra config sections.
#[test]
fn real_text_summaries_hold_the_config() {
    let shared = shared_or_skip!();
    let dir = shared.join("lp-real-model/tiny_cpu_model");
    let f = &read_events_dir(&dir).unwrap()[0];
    let model = f
        .texts
        .iter()
        .find(|t| t.tag == "hydra_config_model/text_summary")
        .unwrap();
    assert_eq!(model.texts.len(), 1);
    assert!(
        model.texts[0].contains("backbone: resnet18"),
        "{}",
        model.texts[0]
    );
    let hp: Vec<&str> = f.other_tags.iter().map(|t| t.tag.as_str()).collect();
    assert!(hp.contains(&"_hparams_/experiment"), "{hp:?}");
}

/// The best validation loss of a real run: the smaller of its two validation points.
#[test]
fn best_val_loss_of_real_runs() {
    let shared = shared_or_skip!();
    let done = tfevents::best_value_under(
        &shared.join("lp-real-model/tiny_cpu_model"),
        tfevents::VAL_LOSS_TAG,
    )
    .unwrap()
    .unwrap();
    assert_eq!(done.step, 17);
    assert_eq!(done.value as f32, 0.0258155f32);
    let mid = tfevents::best_value_under(
        &shared.join("lp-real-model/app_style_model_midtraining"),
        "val_supervised_loss",
    )
    .unwrap()
    .unwrap();
    assert_eq!(mid.step, 8);
    assert_eq!(mid.value as f32, 0.025942927f32);
    assert!(
        best_value(
            &read_events_dir(&shared.join("lp-real-model/tiny_cpu_model")).unwrap(),
            "nope"
        )
        .is_none()
    );
}

const EA_SCRIPT: &str = r#"
import sys, json
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})
ea.Reload()
tags = ea.Tags()
out = {'scalars': {}, 'tensors': {}}
for t in tags['scalars']:
    out['scalars'][t] = [[e.step, e.wall_time, e.value] for e in ea.Scalars(t)]
for t in tags['tensors']:
    out['tensors'][t] = [[e.step, e.wall_time, [s.decode() for s in e.tensor_proto.string_val]]
                         for e in ea.Tensors(t)]
print(json.dumps(out))
"#;

/// (b) A file written by posedeck is read back by TensorBoard's EventAccumulator with the
/// same scalars (steps, wall times, float32 values) and text summaries.
#[test]
fn written_file_reads_back_in_tensorboard() {
    let py = peers_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("tb_logs/test/version_0");
    let mut w = EventsWriter::create(&run).unwrap();
    let path = w.path().to_path_buf();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("events.out.tfevents."), "{name}");
    assert!(
        name.ends_with(&format!(".{}.0", std::process::id())),
        "{name}"
    );
    let mut want: Vec<(String, i64, f64, f32)> = Vec::new();
    for step in 0..200i64 {
        let wall = 1_795_000_000.25 + step as f64 * 0.125;
        for (k, tag) in ["train_supervised_loss", "lr-Adam/head", "epoch"]
            .iter()
            .enumerate()
        {
            let v = (step as f32 * 0.37 + k as f32).sin() / (1.0 + step as f32);
            w.add_scalar_at(tag, v, step, wall).unwrap();
            want.push((tag.to_string(), step, wall, v));
        }
        if step % 50 == 49 {
            w.add_scalar_at("val_supervised_loss", 1.0 / step as f32, step, wall + 0.5)
                .unwrap();
            want.push((
                "val_supervised_loss".into(),
                step,
                wall + 0.5,
                1.0 / step as f32,
            ));
        }
    }
    w.add_text_at(
        "hydra_config_model/text_summary",
        "backbone: resnet18\nµ: ünïcode",
        0,
        1_795_000_100.0,
    )
    .unwrap();
    w.flush().unwrap();
    drop(w);

    let out = run_python(&py, EA_SCRIPT, &[path.to_str().unwrap()]);
    let tb: Value = serde_json::from_str(&out).unwrap();
    let scalars = tb["scalars"].as_object().unwrap();
    assert_eq!(scalars.len(), 4);
    let mut n = 0;
    for (tag, pts) in scalars {
        let ours: Vec<_> = want.iter().filter(|w| &w.0 == tag).collect();
        let pts = pts.as_array().unwrap();
        assert_eq!(pts.len(), ours.len(), "{tag}");
        for (p, o) in pts.iter().zip(ours) {
            assert_eq!(p[0].as_i64().unwrap(), o.1);
            assert_eq!(p[1].as_f64().unwrap(), o.2);
            assert_eq!(p[2].as_f64().unwrap() as f32, o.3);
            n += 1;
        }
    }
    assert_eq!(n, want.len());
    let text = &tb["tensors"]["hydra_config_model/text_summary"];
    assert_eq!(
        text[0][2][0].as_str().unwrap(),
        "backbone: resnet18\nµ: ünïcode"
    );
    assert_eq!(text[0][1].as_f64().unwrap(), 1_795_000_100.0);

    // And posedeck reads its own file identically.
    let f = read_events_file(&path).unwrap();
    assert!(f.error.is_none());
    assert_eq!(f.scalar_count(), want.len());
    assert_eq!(f.texts[0].texts[0], "backbone: resnet18\nµ: ünïcode");
}

/// A writer reopened with `append` continues the run; TensorBoard reads both parts.
#[test]
fn append_continues_a_run() {
    let py = peers_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.1.host.1.0");
    let mut w = EventsWriter::create_file(&path).unwrap();
    w.add_scalar_at("loss", 1.0, 1, 10.0).unwrap();
    drop(w.into_inner().unwrap());
    let mut w = EventsWriter::append(&path).unwrap();
    w.add_scalar_at("loss", 0.5, 2, 11.0).unwrap();
    w.flush().unwrap();
    drop(w);
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.scalar("loss").unwrap().values, vec![1.0, 0.5]);
    assert_eq!(f.records, 3, "one file_version record, then two events");
    let tb: Value =
        serde_json::from_str(&run_python(&py, EA_SCRIPT, &[path.to_str().unwrap()])).unwrap();
    assert_eq!(
        tb["scalars"]["loss"],
        serde_json::json!([[1, 10.0, 1.0], [2, 11.0, 0.5]])
    );
    // create_file never overwrites.
    assert!(EventsWriter::create_file(&path).is_err());
}

/// A copy of a real events file to damage, and its record spans.
fn real_copy(shared: &Path, dir: &Path) -> (PathBuf, Vec<u8>, Vec<record::Span>) {
    let src = shared.join(
        "lp-real-model/tiny_cpu_model/tb_logs/tiny_cpu_model/version_0/events.out.tfevents.1795261401.vm.17401.0",
    );
    let bytes = std::fs::read(src).unwrap();
    let (spans, stop) = record::scan(&bytes);
    assert_eq!(stop, record::Stop::Clean);
    assert_eq!(spans.len(), 137);
    (
        dir.join("events.out.tfevents.1795261401.vm.17401.0"),
        bytes,
        spans,
    )
}

/// The error is an `AtOffset` naming the file at `offset`.
fn assert_at(e: &Error, path: &Path, offset: u64) {
    match e {
        Error::AtOffset {
            path: p, offset: o, ..
        } => {
            assert_eq!(p, path);
            assert_eq!(*o, offset, "{e}");
        }
        other => panic!("expected AtOffset, got {other:?}"),
    }
}

/// The CLI exits 2 and names the file and the byte offset (and still prints what it read).
fn assert_cli_damage(path: &Path, offset: u64) -> String {
    let (code, out, err) = run_posedeck(&["scalars", path.to_str().unwrap()]);
    assert_eq!(code, 2, "stdout {out}\nstderr {err}");
    assert!(err.starts_with("posedeck: error: "), "{err}");
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert!(err.contains(&format!("at byte {offset}")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    out
}

/// (c) A file cut short inside its last record: every record before it, and an error at
/// the last record's offset.
#[test]
fn truncated_file_gives_records_before_and_offset() {
    let shared = shared_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes, spans) = real_copy(&shared, dir.path());
    let last = spans[136];
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 136);
    assert_eq!(f.bytes_read, last.start as u64);
    assert_eq!(
        f.scalar("epoch").unwrap().len(),
        19,
        "the last record is the 20th epoch point"
    );
    let e = f.error.as_ref().unwrap();
    assert_at(e, &path, last.start as u64);
    assert!(e.to_string().contains("truncated"), "{e}");
    let out = assert_cli_damage(&path, last.start as u64);
    assert!(out.contains("train_supervised_loss"), "{out}");
}

/// (c) A bit flipped in a record's length: its length CRC fails; the records before it come back.
#[test]
fn flipped_length_bit_is_caught_by_length_crc() {
    let shared = shared_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes, spans) = real_copy(&shared, dir.path());
    let s = spans[50];
    bytes[s.start + 1] ^= 0x04;
    std::fs::write(&path, &bytes).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 50);
    let e = f.error.as_ref().unwrap();
    assert_at(e, &path, s.start as u64);
    assert!(e.to_string().contains("length fails its CRC"), "{e}");
    assert_cli_damage(&path, s.start as u64);
    // The length CRC itself damaged gives the same.
    let (_, mut bytes, _) = real_copy(&shared, dir.path());
    bytes[s.start + 9] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 50);
    assert_at(f.error.as_ref().unwrap(), &path, s.start as u64);
}

/// (c) A bit flipped in a record's data: its data CRC fails; the records before it come back.
#[test]
fn flipped_data_bit_is_caught_by_data_crc() {
    let shared = shared_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes, spans) = real_copy(&shared, dir.path());
    let s = spans[100];
    bytes[s.data_start() + s.len / 2] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 100);
    assert_eq!(f.bytes_read, s.start as u64);
    let e = f.error.as_ref().unwrap();
    assert_at(e, &path, s.start as u64);
    assert!(e.to_string().contains("data fails its CRC"), "{e}");
    assert_cli_damage(&path, s.start as u64);
}

/// (c) A 0-byte events file (a writer that has not flushed yet) is empty, not an error.
#[test]
fn zero_byte_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.0.h.1.0");
    std::fs::write(&path, b"").unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!((f.records, f.scalars.len(), f.file_len), (0, 0, 0));
    assert!(f.error.is_none());
    let (code, out, err) = run_posedeck(&["scalars", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 records"), "{out}");
}

/// (c) A file of garbage: damage at byte 0, nothing read, exit 2.
#[test]
fn garbage_file_is_damaged_at_byte_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.garbage");
    let mut x: u32 = 12345;
    let junk: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    std::fs::write(&path, &junk).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 0);
    assert_at(f.error.as_ref().unwrap(), &path, 0);
    assert_cli_damage(&path, 0);
    // A short text file too (shorter than a record header).
    std::fs::write(&path, b"hello").unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records, 0);
    assert_at(f.error.as_ref().unwrap(), &path, 0);
}

/// (c) A directory without events files: an empty list; the CLI says so and exits 2.
#[test]
fn directory_without_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tb_logs/x/version_0")).unwrap();
    std::fs::write(
        dir.path().join("tb_logs/x/version_0/hparams.yaml"),
        b"a: 1\n",
    )
    .unwrap();
    assert!(find_events_files(dir.path()).unwrap().is_empty());
    let (code, _, err) = run_posedeck(&["scalars", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(dir.path().to_str().unwrap()) && err.contains("no TensorBoard events"),
        "{err}"
    );
}

/// (c) Unreadable paths: a dangling symlink, a missing path, a directory where a file is expected.
#[test]
fn unreadable_paths_error_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("events.out.tfevents.dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    for p in [link.clone(), dir.path().join("missing")] {
        let e = read_events_file(&p).unwrap_err();
        assert!(matches!(&e, Error::Io { path, .. } if path == &p), "{e:?}");
        let e = find_events_files(&p).unwrap_err();
        assert!(e.to_string().contains(p.to_str().unwrap()), "{e}");
        let (code, _, err) = run_posedeck(&["scalars", p.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains(p.to_str().unwrap()), "{err}");
        // The OS reason is said exactly once, on the one line that names the file.
        let os = std::io::Error::from_raw_os_error(2).to_string();
        assert_eq!(err.matches(&os).count(), 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A directory named like an events file, read as a file.
    let d = dir.path().join("events.out.tfevents.isadir");
    std::fs::create_dir(&d).unwrap();
    let e = read_events_file(&d).unwrap_err();
    assert!(matches!(&e, Error::Io { path, .. } if path == &d), "{e:?}");
    // A dangling link inside a directory is skipped by discovery.
    assert!(find_events_files(dir.path()).unwrap().is_empty());
}

/// The bytes of one event record holding `scalar` (framed), made with the writer.
fn one_record(tag: &str, v: f32, step: i64) -> Vec<u8> {
    let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
    w.add_scalar_at(tag, v, step, 1.0).unwrap();
    let buf = w.into_inner().unwrap();
    let (spans, _) = record::scan(&buf);
    buf[spans[1].start..].to_vec()
}

/// (d) Incremental reading: only appended records, a half-written record waits, then is read.
#[test]
fn tailer_reads_only_appended_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.1.h.1.0");
    let mut w = EventsWriter::create_file(&path).unwrap();
    for s in 0..100 {
        w.add_scalar_at("loss", s as f32, s, 100.0 + s as f64)
            .unwrap();
    }
    w.flush().unwrap();
    let mut t = EventsTailer::new(&path);
    let u = t.poll().unwrap();
    assert_eq!(u.new_records, 101);
    assert_eq!(u.scalars.len(), 1);
    assert_eq!(u.scalars[0].steps, (0..100).collect::<Vec<_>>());
    assert_eq!((u.pending_bytes, u.reset), (0, false));
    assert!(u.error.is_none());
    let size1 = std::fs::metadata(&path).unwrap().len();
    assert_eq!(t.offset(), size1);
    assert_eq!(t.file_version(), Some("brain.Event:2"));

    // Nothing new: nothing read.
    let u = t.poll().unwrap();
    assert_eq!((u.new_records, u.scalars.len()), (0, 0));

    // 50 more records, a new tag, and half of one more record.
    for s in 100..150 {
        w.add_scalar_at("loss", s as f32, s, 100.0 + s as f64)
            .unwrap();
    }
    w.add_scalar_at("val_loss", 0.5, 149, 300.0).unwrap();
    w.flush().unwrap();
    drop(w);
    let rec = one_record("loss", 150.0, 150);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&rec[..rec.len() / 2]).unwrap();
    f.flush().unwrap();
    let u = t.poll().unwrap();
    assert_eq!(u.new_records, 51);
    assert!(
        u.error.is_none(),
        "a partial record is not damage: {:?}",
        u.error
    );
    assert_eq!(u.pending_bytes, (rec.len() / 2) as u64);
    let loss = u.scalars.iter().find(|s| s.tag == "loss").unwrap();
    assert_eq!(loss.steps, (100..150).collect::<Vec<_>>());
    assert_eq!(
        u.scalars
            .iter()
            .find(|s| s.tag == "val_loss")
            .unwrap()
            .values,
        vec![0.5]
    );
    let resume = t.offset();
    assert_eq!(u.offset, resume);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        resume + (rec.len() / 2) as u64
    );

    // Still half: nothing new, stays put.
    let u = t.poll().unwrap();
    assert_eq!((u.new_records, t.offset()), (0, resume));

    // Complete the record.
    f.write_all(&rec[rec.len() / 2..]).unwrap();
    f.flush().unwrap();
    let u = t.poll().unwrap();
    assert_eq!(u.new_records, 1);
    assert_eq!(u.scalars[0].steps, vec![150]);
    assert_eq!(u.scalars[0].values, vec![150.0]);
    assert_eq!(u.pending_bytes, 0);
    assert_eq!(t.offset(), std::fs::metadata(&path).unwrap().len());

    // Damage appended after good records: reported with its offset, and the tailer stays.
    let at = t.offset();
    let mut bad = one_record("loss", 1.0, 151);
    let n = bad.len();
    bad[n - 6] ^= 1;
    f.write_all(&bad).unwrap();
    f.flush().unwrap();
    for _ in 0..2 {
        let u = t.poll().unwrap();
        assert_eq!(u.new_records, 0);
        assert_at(u.error.as_ref().unwrap(), &path, at);
        assert_eq!(t.offset(), at);
    }

    // The file replaced by a shorter one: read again from the start, flagged as a reset.
    drop(f);
    std::fs::remove_file(&path).unwrap();
    let mut w = EventsWriter::create_file(&path).unwrap();
    w.add_scalar_at("loss", 7.0, 1, 1.0).unwrap();
    w.flush().unwrap();
    let u = t.poll().unwrap();
    assert!(u.reset);
    assert_eq!(u.scalars[0].values, vec![7.0]);
    assert!(u.error.is_none());
}

/// Large files are decoded on several threads: the result equals the generated ground
/// truth, and damage in the second half still gives every record before it.
#[test]
fn large_file_parallel_decode_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.big");
    let tags = ["a", "bb", "train_supervised_loss", "lr-Adam/head"];
    let mut w = EventsWriter::create_file(&path).unwrap();
    let steps = 20_000i64;
    for s in 0..steps {
        for (k, t) in tags.iter().enumerate() {
            if k == 3 && s % 7 != 0 {
                continue;
            }
            w.add_scalar_at(t, s as f32 * (k as f32 + 1.0), s, s as f64 / 8.0)
                .unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let f = read_events_file(&path).unwrap();
    assert!(f.error.is_none());
    for (k, t) in tags.iter().enumerate() {
        let s = f.scalar(t).unwrap();
        let want: Vec<i64> = (0..steps).filter(|x| k != 3 || x % 7 == 0).collect();
        assert_eq!(s.steps, want, "{t}");
        for (i, &st) in want.iter().enumerate() {
            assert_eq!(s.values[i], (st as f32 * (k as f32 + 1.0)) as f64);
            assert_eq!(s.wall_times[i], st as f64 / 8.0);
        }
    }
    // Damage three quarters of the way in.
    let mut bytes = std::fs::read(&path).unwrap();
    let (spans, _) = record::scan(&bytes);
    let k = spans.len() * 3 / 4;
    bytes[spans[k].data_start() + 2] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let f = read_events_file(&path).unwrap();
    assert_eq!(f.records as usize, k);
    assert_eq!(
        f.scalar_count(),
        k - 1,
        "every record but the file_version one is a scalar"
    );
    assert_at(f.error.as_ref().unwrap(), &path, spans[k].start as u64);
}

/// (e) `posedeck scalars --json` on a real file gives every [step, wall_time, value] that
/// TensorBoard read; `--tag` filters; the table lists every tag.
#[test]
fn scalars_cli_json_on_real_file() {
    let shared = shared_or_skip!();
    let exp = expected(&shared);
    let rel = "app_style_model_midtraining/tb_logs/app_style_model/version_0/events.out.tfevents.1795261589.vm.23686.0";
    let path = shared.join("lp-real-model").join(rel);
    let (code, out, err) = run_posedeck(&["scalars", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["records"], 125);
    assert!(file["error"].is_null());
    let want = exp["files"][rel]["scalar_tags"].as_object().unwrap();
    let got = file["scalars"].as_object().unwrap();
    assert_eq!(got.len(), want.len());
    for (tag, e) in want {
        let pts = got[tag]["points"].as_array().unwrap();
        assert_eq!(got[tag]["count"], e["count"]);
        for (p, q) in pts.iter().zip(e["values"].as_array().unwrap()) {
            assert_eq!(p[0], q[0], "{tag}");
            assert_eq!(
                p[2].as_f64().unwrap() as f32,
                q[1].as_f64().unwrap() as f32,
                "{tag}"
            );
            assert!(p[1].as_f64().unwrap() > 1.79e9);
        }
    }
    assert_eq!(file["texts"].as_object().unwrap().len(), 8);

    // --tag filters by regex, over a whole model directory.
    let model = shared.join("lp-real-model/tiny_cpu_model");
    let (code, out, _) = run_posedeck(&[
        "scalars",
        model.to_str().unwrap(),
        "--json",
        "--tag",
        "^val_.*loss",
    ]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let tags: Vec<&String> = doc["files"][0]["scalars"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        tags,
        [
            "val_heatmap_mse_loss",
            "val_heatmap_mse_loss_weighted",
            "val_supervised_loss"
        ]
    );
    assert_eq!(doc["files"][0]["run"], "tb_logs/tiny_cpu_model/version_0");

    // The table: one block per file, every tag with its count.
    let (code, out, _) = run_posedeck(&["scalars", shared.join("lp-real-model").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("events.out.tfevents.").count(), 3);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("val_supervised_loss"))
        .unwrap();
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[1], "2", "{line}");
    assert_eq!(cols[2], "8..17", "{line}");
    assert_eq!(cols[5], "0.0258155", "{line}");

    // A bad regex is a usage error.
    let (code, _, err) = run_posedeck(&["scalars", model.to_str().unwrap(), "--tag", "("]);
    assert_eq!(code, 2);
    assert!(err.contains("--tag"), "{err}");
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, key: u8, body: &[u8]) {
    out.push(key);
    varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// A large file whose one big text record holds copies of valid-looking records: the cut
/// between threads lands on a fake record boundary, is found wrong, and the reader falls back
/// to a serial walk; the result is the one real text entry, no fake scalars.
#[test]
fn fake_record_boundaries_inside_a_record_do_not_fool_the_parallel_reader() {
    let fake = one_record("fake", 1.0, 1);
    let payload: Vec<u8> = fake.iter().copied().cycle().take(3 << 20).collect();
    let mut tensor = vec![0x08, 0x07];
    field(&mut tensor, 0x42, &payload);
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
    w.add_scalar_at("real", 2.0, 3, 4.0).unwrap();
    let mut bytes = w.into_inner().unwrap();
    record::frame(&mut bytes, &event);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.fake");
    std::fs::write(&path, &bytes).unwrap();
    let f = read_events_file(&path).unwrap();
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(f.records, 3);
    assert_eq!(f.scalars.len(), 1);
    assert_eq!(f.scalar("real").unwrap().values, vec![2.0]);
    assert_eq!(f.texts.len(), 1);
    assert_eq!(f.texts[0].tag, "blob/text_summary");
}
