//! Outputs of `labels convert` and `labels merge -o`: an existing output is refused without
//! `--force` and kept as a backup (byte for byte) with it; SIGTERM, SIGINT and SIGHUP during
//! a write remove the temporaries and exit 143 / 130 / 129, SIGKILL leaves nothing under the
//! final name and the rerun clears its leftovers; a full disk leaves no output and no
//! temporary. The inputs are never changed.

use super::*;
use crate::common::{posedeck, run_posedeck};
use crate::shared_or_skip;
use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// One frame with two animals, one embedded PNG: needs `--instance` for Lightning Pose.
const PKG: &str = "slp/cropped_format_2_3.pkg.slp";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The posedeck temporaries in `dir`: `.NAME.posedeck-tmp.PID` folders and `.NAME.PID.tmp`
/// files.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && (n.contains(".posedeck-tmp.") || n.ends_with(".tmp")))
        .collect();
    v.sort();
    v
}

/// The backups of `name` in `dir`.
fn backups(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!("{name}.posedeck-backup.");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// Every file under `root` (relative path -> bytes); a plain file maps "" to its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, p: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap() {
                walk(root, &e.unwrap().path(), out);
            }
        } else {
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(p).unwrap());
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Starts `posedeck labels convert ...` (or any args) pausing at each file it writes.
fn spawn_paused(args: &[&str]) -> Child {
    posedeck()
        .args(args)
        .env("POSEDECK_TEST_PAUSE_MS", "20000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn posedeck")
}

/// Polls (up to 30 s) until `found` holds, panicking otherwise.
fn wait_for(what: &str, mut found: impl FnMut() -> bool) {
    let t = Instant::now();
    while !found() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether a `.tmp` file exists anywhere under `dir` (a write paused before its rename).
fn has_tmp_file(dir: &Path) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return false;
    };
    rd.filter_map(|e| e.ok()).any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_tmp_file(&p)
        } else {
            e.file_name().to_string_lossy().ends_with(".tmp")
        }
    })
}

/// Waits until the child is paused inside the write of a folder output `out`: its temporary
/// folder `.out.posedeck-tmp.PID` exists and holds a file being written.
fn wait_mid_folder(child: &Child, out: &Path) -> PathBuf {
    let tmp = out.parent().unwrap().join(format!(
        ".{}.posedeck-tmp.{}",
        out.file_name().unwrap().to_string_lossy(),
        child.id()
    ));
    wait_for(&format!("{} with a file in it", tmp.display()), || {
        has_tmp_file(&tmp)
    });
    tmp
}

/// Waits until the child is paused inside the write of a file output `out`.
fn wait_mid_file(child: &Child, out: &Path) -> PathBuf {
    let tmp = out.parent().unwrap().join(format!(
        ".{}.{}.tmp",
        out.file_name().unwrap().to_string_lossy(),
        child.id()
    ));
    wait_for(&tmp.display().to_string(), || tmp.exists());
    tmp
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

fn exit_code(child: Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn existing_outputs_are_refused_without_force_and_kept_as_backups_with_it() {
    let dir = shared_or_skip!();
    let src = dir.join(PKG);
    let before = fingerprint(&src);
    let tmp = tempfile::tempdir().unwrap();
    for name in ["lp", "out.slp", "out.pkg.slp", "out.json", "out.csv"] {
        let out = tmp.path().join(name);
        // The old output: a folder with a note, or a file of arbitrary bytes.
        if name == "lp" {
            std::fs::create_dir(&out).unwrap();
            std::fs::write(out.join("notes.txt"), b"old notes\n").unwrap();
        } else {
            std::fs::write(&out, b"old bytes \x00\x01\xff of ".repeat(7)).unwrap();
        }
        let old = tree(&out);
        let args = |force: bool| {
            let mut a = vec!["labels", "convert", s(&src), s(&out), "--instance", "0"];
            if force {
                a.push("--force");
            }
            a
        };
        let (code, stdout, err) = run_posedeck(&args(false));
        assert_eq!(code, 2, "{name}: {stdout}{err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains(s(&out)) && err.contains("already exists") && err.contains("--force"),
            "{name}: {err}"
        );
        assert_eq!(tree(&out), old, "{name}: untouched");
        assert!(backups(tmp.path(), name).is_empty(), "{name}");
        let (code, stdout, err) = run_posedeck(&args(true));
        assert_eq!(code, 0, "{name}: {err}");
        let kept = backups(tmp.path(), name);
        assert_eq!(kept.len(), 1, "{name}: {kept:?}");
        assert!(
            stdout.contains(&format!("the old one is kept as {}", kept[0].display())),
            "{name}: {stdout}"
        );
        assert_eq!(tree(&kept[0]), old, "{name}: the backup is the old output");
        if name == "lp" {
            assert!(out.join("CollectedData.csv").is_file());
            assert!(!out.join("notes.txt").exists(), "a new folder, not a mix");
        } else {
            let back = if name.ends_with(".csv") {
                posedeck::labels::Labels::load_file(&out).map(|l| l.labels)
            } else {
                Ok(load(&out))
            };
            assert!(back.is_ok(), "{name}: the new output reads");
        }
        assert!(temporaries(tmp.path()).is_empty(), "{name}");
    }
    assert_eq!(fingerprint(&src), before, "input untouched");
}

#[test]
fn merge_refuses_an_existing_output_without_force_and_backs_it_up_with_it() {
    let dir = shared_or_skip!();
    let base = dir.join("slp/small_robot_minimal.slp");
    let new = dir.join(PKG);
    let (bf, nf) = (fingerprint(&base), fingerprint(&new));
    let tmp = tempfile::tempdir().unwrap();
    for name in ["m.slp", "m.json"] {
        let out = tmp.path().join(name);
        std::fs::write(&out, b"an older merge\n").unwrap();
        let args = |force: bool| {
            let mut a = vec!["labels", "merge", s(&base), s(&new), "-o", s(&out)];
            if force {
                a.push("--force");
            }
            a
        };
        let (code, _, err) = run_posedeck(&args(false));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.lines().count() == 1 && err.contains(s(&out)) && err.contains("--force"),
            "{err}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"an older merge\n");
        let (code, stdout, err) = run_posedeck(&args(true));
        assert_eq!(code, 0, "{err}");
        let kept = backups(tmp.path(), name);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(stdout.contains("the old one is kept as"), "{stdout}");
        assert_eq!(std::fs::read(&kept[0]).unwrap(), b"an older merge\n");
        assert!(load(&out).labeled_frames.len() >= 2);
        assert!(temporaries(tmp.path()).is_empty());
    }
    assert_eq!(fingerprint(&base), bf, "base untouched");
    assert_eq!(fingerprint(&new), nf, "new untouched");
}

#[test]
fn sigterm_sigint_sighup_mid_convert_to_a_folder_leave_nothing_and_a_rerun_works() {
    let dir = shared_or_skip!();
    let src = dir.join(PKG);
    let before = fingerprint(&src);
    for (sig, want) in [
        (libc::SIGTERM, 143),
        (libc::SIGINT, 130),
        (libc::SIGHUP, 129),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("lp");
        let args = ["labels", "convert", s(&src), s(&out), "--instance", "0"];
        let child = spawn_paused(&args);
        let staged = wait_mid_folder(&child, &out);
        assert!(!out.exists(), "nothing under the final name while writing");
        signal(&child, sig);
        let (code, err) = exit_code(child);
        assert_eq!(code, Some(want), "signal {sig}: {err}");
        assert!(!out.exists(), "signal {sig}: nothing under the final name");
        assert!(!staged.exists(), "signal {sig}: temporary folder removed");
        assert!(
            temporaries(tmp.path()).is_empty(),
            "signal {sig}: {:?}",
            temporaries(tmp.path())
        );
        let (code, stdout, err) = run_posedeck(&args);
        assert_eq!(code, 0, "signal {sig}: rerun: {err}");
        assert!(stdout.contains("1 images"), "{stdout}");
        assert!(out.join("CollectedData.csv").is_file());
    }
    assert_eq!(fingerprint(&src), before, "input untouched");
}

#[test]
fn signals_mid_write_of_a_file_leave_no_temporary() {
    let dir = shared_or_skip!();
    let src = dir.join(PKG);
    let base = dir.join("slp/small_robot_minimal.slp");
    let (sf, bf) = (fingerprint(&src), fingerprint(&base));
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, i32, i32); 4] = [
        ("convert.slp", libc::SIGTERM, 143),
        ("convert.csv", libc::SIGINT, 130),
        ("merge.json", libc::SIGHUP, 129),
        ("merge.slp", libc::SIGTERM, 143),
    ];
    for (name, sig, want) in cases {
        let out = tmp.path().join(name);
        let args: Vec<&str> = if name.starts_with("convert") {
            vec!["labels", "convert", s(&src), s(&out), "--instance", "0"]
        } else {
            vec!["labels", "merge", s(&base), s(&src), "-o", s(&out)]
        };
        let child = spawn_paused(&args);
        let t = wait_mid_file(&child, &out);
        signal(&child, sig);
        let (code, err) = exit_code(child);
        assert_eq!(code, Some(want), "{name}: {err}");
        assert!(!out.exists() && !t.exists(), "{name}");
        assert!(temporaries(tmp.path()).is_empty(), "{name}");
    }
    // With --force the old file stays as it was and no backup is left over.
    let out = tmp.path().join("old.json");
    std::fs::write(&out, b"old\n").unwrap();
    let child = spawn_paused(&["labels", "convert", s(&src), s(&out), "--force"]);
    wait_mid_file(&child, &out);
    assert_eq!(
        backups(tmp.path(), "old.json").len(),
        1,
        "made before the write"
    );
    signal(&child, libc::SIGTERM);
    let (code, err) = exit_code(child);
    assert_eq!(code, Some(143), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"old\n");
    assert!(
        backups(tmp.path(), "old.json").is_empty(),
        "not needed: removed"
    );
    assert!(temporaries(tmp.path()).is_empty());
    // A forced folder: the old one stays, no backup, no temporary.
    let lp = tmp.path().join("lp");
    std::fs::create_dir(&lp).unwrap();
    std::fs::write(lp.join("notes.txt"), b"notes").unwrap();
    let child = spawn_paused(&[
        "labels",
        "convert",
        s(&src),
        s(&lp),
        "--instance",
        "0",
        "--force",
    ]);
    wait_mid_folder(&child, &lp);
    signal(&child, libc::SIGINT);
    let (code, err) = exit_code(child);
    assert_eq!(code, Some(130), "{err}");
    assert_eq!(std::fs::read(lp.join("notes.txt")).unwrap(), b"notes");
    assert!(backups(tmp.path(), "lp").is_empty());
    assert!(temporaries(tmp.path()).is_empty());
    assert_eq!((fingerprint(&src), fingerprint(&base)), (sf, bf), "inputs");
}

#[test]
fn sigkill_mid_convert_leaves_nothing_under_the_final_name_and_the_rerun_clears_it() {
    let dir = shared_or_skip!();
    let src = dir.join(PKG);
    let before = fingerprint(&src);
    let tmp = tempfile::tempdir().unwrap();
    // A folder output.
    let out = tmp.path().join("lp");
    let args = ["labels", "convert", s(&src), s(&out), "--instance", "0"];
    let child = spawn_paused(&args);
    let staged = wait_mid_folder(&child, &out);
    signal(&child, libc::SIGKILL);
    let (code, _) = exit_code(child);
    assert_eq!(code, None, "killed");
    assert!(!out.exists(), "nothing under the final name");
    assert!(
        staged.exists(),
        "a SIGKILL leaves the temporary (the rerun clears it)"
    );
    let (code, _, err) = run_posedeck(&args);
    assert_eq!(code, 0, "rerun: {err}");
    assert!(out.join("CollectedData.csv").is_file());
    assert!(
        temporaries(tmp.path()).is_empty(),
        "stale temporary of the dead process removed: {:?}",
        temporaries(tmp.path())
    );
    // A file output.
    let out = tmp.path().join("out.slp");
    let args = ["labels", "convert", s(&src), s(&out)];
    let child = spawn_paused(&args);
    let t = wait_mid_file(&child, &out);
    signal(&child, libc::SIGKILL);
    exit_code(child);
    assert!(!out.exists() && t.exists());
    let (code, _, err) = run_posedeck(&args);
    assert_eq!(code, 0, "rerun: {err}");
    assert!(load(&out).labeled_frames.len() == 1);
    assert!(temporaries(tmp.path()).is_empty());
    assert_eq!(fingerprint(&src), before, "input untouched");
}

/// A small tmpfs mounted for a test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `dir`, or says why not (not root, no mount permission).
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root: cannot mount a small tmpfs".into());
        }
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_leaves_no_output_and_no_temporary() {
    let dir = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    let _fs = match Tmpfs::mount(&mnt, "200k") {
        Ok(m) => m,
        Err(why) => {
            eprintln!("SKIP: {why}");
            return;
        }
    };
    let entries = || -> Vec<String> {
        std::fs::read_dir(&mnt)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let robot = dir.join("slp/small_robot_minimal.slp");
    let clip = dir.join("slp/clip.slp");
    let (rf, cf) = (fingerprint(&robot), fingerprint(&clip));
    // A project folder: two decoded frames are more PNG than 200 KiB.
    let out = mnt.join("lp");
    let (code, _, err) =
        run_posedeck(&["labels", "convert", s(&robot), s(&out), "--instance", "0"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(s(&out)) && err.contains("No space left on device"),
        "{err}"
    );
    assert!(entries().is_empty(), "{:?}", entries());
    // Files: 1500 frames of two animals are far more than 200 KiB as JSON, .slp or CSV.
    for name in ["clip.json", "clip.slp", "clip.csv"] {
        let out = mnt.join(name);
        let (code, _, err) =
            run_posedeck(&["labels", "convert", s(&clip), s(&out), "--instance", "0"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains("No space left on device"), "{name}: {err}");
        assert!(entries().is_empty(), "{name}: {:?}", entries());
    }
    // Forced over an old file: the old file stays, no backup, no temporary.
    let out = mnt.join("clip.json");
    std::fs::write(&out, b"old\n").unwrap();
    let (code, _, err) = run_posedeck(&["labels", "convert", s(&clip), s(&out), "--force"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"old\n");
    assert_eq!(entries(), vec!["clip.json".to_string()]);
    assert_eq!(
        (fingerprint(&robot), fingerprint(&clip)),
        (rf, cf),
        "inputs"
    );
}
