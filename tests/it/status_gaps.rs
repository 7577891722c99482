//! `posedeck status` leaves nothing out: unreadable folders (checked as an unprivileged
//! user), non-UTF-8 folder names (shown with `\xNN`), damaged events files (reported on the
//! run with the byte offset, the records before still used), unreadable `train_status.json`
//! beside predictions (UNKNOWN, not COMPLETED); and events files are read in bounded memory
//! (a 2 GB sparse file gives its error at byte 0 at once).

use crate::shared_or_skip;
use posedeck::formats::tfevents::{
    EventsWriter, VAL_LOSS_TAG, best_value, decode_events, read_events_file,
};
use serde_json::Value;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn posedeck() -> std::process::Command {
    let mut c = crate::common::posedeck();
    c.env("POSEDECK_NO_CACHE", "1");
    c
}

fn status_json(dir: &Path) -> Value {
    let out = crate::common::output_ok(posedeck().arg("status").arg(dir).arg("--json"));
    serde_json::from_slice(&out.stdout).unwrap()
}

use crate::project::model;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

use crate::common::write_file as write;

use crate::common::copy_dir;

/// A project with a copy of the real completed run `app_style_model`; returns its events file.
fn real_run_project(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("models/app_style_model");
    copy_dir(&data.join("lp-real-model/app_style_model"), &run);
    let ev = std::fs::read_dir(run.join("tb_logs/app_style_model/version_0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("events.out")
        })
        .unwrap();
    (tmp, ev)
}

/// Damage of three kinds: each is on the run's `errors` with the file and the byte, and
/// best_val_loss is the one of the records before the damage.
#[test]
fn damaged_events_file_is_reported_with_its_offset() {
    let data = shared_or_skip!();
    let (tmp, ev) = real_run_project(&data);
    let original = std::fs::read(&ev).unwrap();
    let n = original.len();
    let whole_best = best_value(&[decode_events(&ev, &original)], VAL_LOSS_TAG).unwrap();
    // A bit flip in the last record's data, garbage appended, zero padding appended.
    let mut flipped = original.clone();
    flipped[n - 6] ^= 0x10;
    let mut garbage = original.clone();
    garbage.extend_from_slice(b"this is not a record, just bytes appended");
    let mut zeros = original.clone();
    zeros.extend_from_slice(&[0u8; 4096]);
    for (what, bytes) in [
        ("bit flip", flipped),
        ("garbage", garbage),
        ("zeros", zeros),
    ] {
        std::fs::write(&ev, &bytes).unwrap();
        let expected = read_events_file(&ev).unwrap();
        let err = expected.error.as_ref().expect("damage found").to_string();
        let at = format!("at byte {}", expected.bytes_read);
        assert!(err.contains(&at), "{what}: {err}");
        let j = status_json(tmp.path());
        let m = model(&j, "app_style_model");
        let errs = strings(&m["errors"]);
        assert!(
            errs.iter()
                .any(|e| e.contains(&*ev.to_string_lossy()) && e.contains(&at)),
            "{what}: {errs:?}"
        );
        let best = best_value(std::slice::from_ref(&expected), VAL_LOSS_TAG).unwrap();
        assert_eq!(m["best_val_loss"].as_f64(), Some(best.value), "{what}");
        assert_eq!(m["best_val_loss_step"].as_i64(), Some(best.step), "{what}");
        if what != "bit flip" {
            // Appended bytes: nothing before them is lost.
            assert_eq!(expected.bytes_read, n as u64, "{what}");
            assert_eq!(best.value, whole_best.value, "{what}");
        }
        assert_eq!(m["effective_status"], "COMPLETED", "{what}");
    }
    // Zeros: the first record header's length CRC fails at the first zero.
    std::fs::write(&ev, {
        let mut z = original.clone();
        z.extend_from_slice(&[0u8; 4096]);
        z
    })
    .unwrap();
    let e = read_events_file(&ev).unwrap().error.unwrap().to_string();
    assert!(e.contains("length fails its CRC"), "{e}");
}

/// An empty or garbage train_status.json beside predictions.csv: UNKNOWN with the error,
/// as the README says, not COMPLETED from predictions.csv.
#[test]
fn unreadable_train_status_beside_predictions_is_unknown() {
    for (what, text) in [("empty", ""), ("garbage", "\u{1}garbage{{")] {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("models/r");
        write(&run.join("config.yaml"), "model:\n  backbone: resnet18\n");
        write(&run.join("predictions.csv"), "scorer,a\n");
        write(&run.join("train_status.json"), text);
        let j = status_json(tmp.path());
        let m = model(&j, "r");
        assert!(m["status"].is_null(), "{what}: {}", m["status"]);
        assert_eq!(m["status_source"], "train_status.json", "{what}");
        assert_eq!(m["effective_status"], "UNKNOWN", "{what}");
        let reason = m["effective_reason"].as_str().unwrap();
        assert!(
            reason.starts_with("train_status.json could not be read: ")
                && reason.contains("train_status.json"),
            "{what}: {reason}"
        );
        let errs = strings(&m["errors"]);
        assert!(
            errs.iter().any(|e| e.contains("train_status.json")),
            "{what}: {errs:?}"
        );
        let out = posedeck().arg("status").arg(tmp.path()).output().unwrap();
        let human = String::from_utf8_lossy(&out.stdout);
        let row = human.lines().find(|l| l.contains("  r ")).unwrap_or("");
        assert!(row.contains("UNKNOWN"), "{what}: {human}");
    }
}

/// Folder names that are not UTF-8 are listed with `\xNN`, never dropped.
#[test]
fn non_utf8_run_and_log_folders_are_shown_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let run = models.join(std::ffi::OsStr::from_bytes(b"run-\xff\xfe"));
    write(&run.join("config.yaml"), "model:\n  backbone: resnet18\n");
    write(
        &run.join("train_status.json"),
        "{\"status\": \"COMPLETED\", \"pid\": null, \"progress\": null}",
    );
    // Its events file under a tb_logs model folder whose name is not UTF-8 either.
    let version = run
        .join("tb_logs")
        .join(std::ffi::OsStr::from_bytes(b"m\xe9"))
        .join("version_0");
    std::fs::create_dir_all(&version).unwrap();
    let mut w = EventsWriter::create_file(&version.join("events.out.tfevents.1.host.1.0")).unwrap();
    w.add_scalar_at(VAL_LOSS_TAG, 0.25, 10, 1.0).unwrap();
    w.flush().unwrap();
    drop(w);
    let lib = posedeck::project::Project::load_with(
        tmp.path(),
        posedeck::project::LoadOptions {
            use_cache: false,
            probe_videos: false,
            threads: 1,
        },
    )
    .unwrap();
    let m = lib
        .models
        .iter()
        .find(|m| m.name == "run-\\xFF\\xFE")
        .unwrap_or_else(|| panic!("{:?}", lib.models));
    assert_eq!(m.best_val_loss, Some(0.25));
    assert_eq!(m.events_files.len(), 1);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let out = posedeck().arg("status").arg(tmp.path()).output().unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("run-\\xFF\\xFE"), "{human}");
    // JSON carries such paths escaped too (serde alone refuses them).
    let out = posedeck()
        .arg("status")
        .arg(tmp.path())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<String> = j["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        paths.iter().any(|p| p.ends_with("run-\\xFF\\xFE")),
        "{paths:?}"
    );
}

/// Runs posedeck as user nobody (65534), or `None` when this process cannot switch users.
fn as_nobody(args: &[&std::ffi::OsStr], home: &Path) -> Option<std::process::Output> {
    let exe = env!("CARGO_BIN_EXE_posedeck");
    let probe = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return None;
    }
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", exe])
        .args(args)
        .env("POSEDECK_NO_CACHE", "1")
        .env("HOME", home)
        .output()
        .unwrap();
    Some(out)
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Unreadable folders (a run, a date folder, tb_logs, videos/, models/ itself) are each
/// reported, as an unprivileged user (root reads through chmod 000).
#[test]
fn unreadable_folders_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o755);
    let root = tmp.path().join("p");
    let models = root.join("models");
    let ok_run = |d: &Path| {
        write(&d.join("config.yaml"), "model:\n  backbone: resnet18\n");
        write(
            &d.join("train_status.json"),
            "{\"status\": \"COMPLETED\", \"pid\": null, \"progress\": null}",
        );
    };
    ok_run(&models.join("good"));
    ok_run(&models.join("locked"));
    ok_run(&models.join("2024-05-01/12-00-00"));
    ok_run(&models.join("logs_locked"));
    std::fs::create_dir_all(models.join("logs_locked/tb_logs/m/version_0")).unwrap();
    std::fs::create_dir_all(root.join("videos")).unwrap();
    write(&root.join("videos/a.mp4"), "x");
    // Readable by everyone, then locked.
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        chmod(&d, 0o755);
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                chmod(&p, 0o644);
            }
        }
    }
    for p in [
        models.join("locked"),
        models.join("2024-05-01"),
        models.join("logs_locked/tb_logs"),
        root.join("videos"),
    ] {
        chmod(&p, 0o000);
    }
    let args = [
        "status".as_ref(),
        root.as_os_str(),
        "--json".as_ref(),
        "--no-probe".as_ref(),
    ];
    let Some(out) = as_nobody(&args, tmp.path()) else {
        eprintln!("skipped: cannot run as user nobody (setpriv needs root)");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = strings(&j["problems"]);
    let denied =
        |s: &str, p: &Path| s.contains(&*p.to_string_lossy()) && s.contains("ermission denied");
    assert!(
        problems
            .iter()
            .any(|s| denied(s, &models.join("2024-05-01"))),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|s| denied(s, &root.join("videos"))),
        "{problems:?}"
    );
    let locked = model(&j, "locked");
    assert!(
        strings(&locked["errors"])
            .iter()
            .any(|s| denied(s, &models.join("locked"))),
        "{locked}"
    );
    assert_eq!(locked["effective_status"], "UNKNOWN");
    let logs = model(&j, "logs_locked");
    assert!(
        strings(&logs["errors"])
            .iter()
            .any(|s| denied(s, &models.join("logs_locked/tb_logs"))),
        "{logs}"
    );
    assert_eq!(model(&j, "good")["errors"].as_array().unwrap().len(), 0);

    // models/ itself unreadable.
    chmod(&models, 0o000);
    let out = as_nobody(&args, tmp.path()).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        strings(&j["problems"]).iter().any(|s| denied(s, &models)),
        "{}",
        j["problems"]
    );
    // Leave it removable.
    chmod(&models, 0o755);
    for p in [
        models.join("locked"),
        models.join("2024-05-01"),
        models.join("logs_locked/tb_logs"),
        root.join("videos"),
    ] {
        chmod(&p, 0o755);
    }
}

/// Exit code and stderr of `posedeck args`.
fn code_of(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = posedeck().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A 2 GB sparse (all-zero) events file: the error at byte 0, in `scalars` and in `status`
/// (read window by window: its memory and time are in the README, not asserted here).
#[test]
fn sparse_events_file_fails_at_byte_0() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("models/r");
    write(&run.join("config.yaml"), "model:\n  backbone: resnet18\n");
    write(
        &run.join("train_status.json"),
        "{\"status\": \"COMPLETED\", \"pid\": null, \"progress\": null}",
    );
    let version = run.join("tb_logs/r/version_0");
    std::fs::create_dir_all(&version).unwrap();
    let ev = version.join("events.out.tfevents.1.host.1.0");
    std::fs::File::create(&ev)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let f = read_events_file(&ev).unwrap();
    let e = f.error.unwrap().to_string();
    assert!(
        e.contains("at byte 0:") && e.contains("length fails its CRC"),
        "{e}"
    );
    let (code, err) = code_of(&["scalars".as_ref(), ev.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at byte 0:"), "{err}");
    let j = status_json(tmp.path());
    let errs = strings(&model(&j, "r")["errors"]);
    assert!(
        errs.iter()
            .any(|s| s.contains(&*ev.to_string_lossy()) && s.contains("at byte 0:")),
        "{errs:?}"
    );
}

/// A file larger than the read window, with a record larger than the window: read window by
/// window, it gives exactly what one whole-buffer decode gives; cut inside the big record, it
/// stops before it with the same error.
#[test]
fn windowed_read_equals_whole_buffer_decode() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("events.out.tfevents.1.h.1.0");
    let mut w = EventsWriter::create_file(&p).unwrap();
    for step in 0..400_000i64 {
        w.add_scalar_at(
            "train_supervised_loss",
            step as f32 * 0.5,
            step,
            step as f64,
        )
        .unwrap();
        w.add_scalar_at(
            "val_supervised_loss",
            1.0 / (step + 1) as f32,
            step,
            step as f64,
        )
        .unwrap();
        if step == 200_000 {
            w.add_text_at("big/text_summary", &"x".repeat(70 << 20), step, 0.0)
                .unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let bytes = std::fs::read(&p).unwrap();
    assert!(bytes.len() > 100 << 20, "{}", bytes.len());
    let whole = decode_events(&p, &bytes);
    let windowed = read_events_file(&p).unwrap();
    assert!(whole.error.is_none() && windowed.error.is_none());
    assert_eq!(
        serde_json::to_value(&whole).unwrap(),
        serde_json::to_value(&windowed).unwrap()
    );
    // Cut inside the big record.
    let big_at = bytes
        .windows(16)
        .position(|w| w == b"big/text_summary")
        .unwrap();
    let cut = &bytes[..big_at + (30 << 20)];
    std::fs::write(&p, cut).unwrap();
    let whole = decode_events(&p, cut);
    let windowed = read_events_file(&p).unwrap();
    assert_eq!(whole.bytes_read, windowed.bytes_read);
    assert_eq!(whole.records, windowed.records);
    let e = windowed.error.unwrap().to_string();
    assert!(e.contains("truncated record"), "{e}");
    assert_eq!(
        serde_json::to_value(&whole.scalars).unwrap(),
        serde_json::to_value(&windowed.scalars).unwrap()
    );
}
