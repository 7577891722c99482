//! Hostile inputs for the command line: each finding of issue #10 that concerns files.

use super::{assert_no_raw_controls, copy_into, mkfifo, run, run_cmd, scratch};
use crate::shared_or_skip;
use std::path::{Path, PathBuf};

/// Seconds each fuzz target runs in the test suite (the README gives 10-minute figures).
fn fuzz_seconds() -> String {
    std::env::var("POSEDECK_FUZZ_SECONDS").unwrap_or_else(|_| "15".into())
}

fn fuzz(target: &str, files: &[PathBuf]) {
    let work = scratch(&format!("fuzz-{target}"));
    let secs = fuzz_seconds();
    let mut args = vec![
        "fuzz".to_string(),
        target.into(),
        "--seconds".into(),
        secs.clone(),
        "--work".into(),
        work.display().to_string(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let limit = secs.parse::<f64>().unwrap_or(15.0) as u64 + 120;
    let o = run(&args, limit);
    let kept: Vec<String> = std::fs::read_dir(&work)
        .map(|d| {
            d.flatten()
                .map(|e| e.path().display().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !o.timed_out && o.signal.is_none() && o.code == Some(0),
        "fuzz {target} failed ({o:?}); inputs left in {}: {kept:?}",
        work.display()
    );
    let line = String::from_utf8_lossy(&o.stdout);
    assert!(line.contains(" 0 panics"), "{line}");
    eprintln!("{}", line.trim());
    let _ = std::fs::remove_dir_all(&work);
}

fn files_under(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p.file_name().unwrap().to_string_lossy()) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fuzz_slp_reader_under_a_2gib_limit() {
    let data = shared_or_skip!();
    fuzz(
        "slp",
        &files_under(&data.join("slp"), &|n| n.ends_with(".slp")),
    );
}

#[test]
fn fuzz_events_csv_and_config_readers_under_a_2gib_limit() {
    let data = shared_or_skip!();
    let real = data.join("lp-real-model");
    fuzz(
        "events",
        &files_under(&real, &|n| n.starts_with("events.out.tfevents")),
    );
    let mut csvs = files_under(&real.join("tiny_cpu_model"), &|n| n.ends_with(".csv"));
    csvs.retain(|p| p.is_file());
    csvs.push(data.join("lp-mirror-mouse/CollectedData.csv"));
    fuzz("csv", &csvs);
    fuzz("config", &files_under(&real, &|n| n == "config.yaml"));
}

/// Finding 1: bytes changed in HDF5 object headers. The two named ones made the HDF5 layer
/// allocate petabytes (a fill-value buffer sized from a damaged dataspace; a chunk span sized
/// from a damaged chunk index) and abort; the sweep sets every 11th byte of the metadata to
/// 0xff. Each is refused with one line naming the file, or read; never an abort or a hang.
#[test]
fn slp_with_hostile_sizes_is_refused_not_aborted() {
    let data = shared_or_skip!();
    let src = std::fs::read(data.join("slp/typical.slp")).unwrap();
    let dir = scratch("slp-sizes");
    let mut cases: Vec<(usize, u8)> = vec![(14805, 143), (10110, 223)];
    cases.extend((0..src.len().min(16384)).step_by(11).map(|at| (at, 0xff)));
    let mut bad = Vec::new();
    for (at, v) in cases {
        let mut d = src.clone();
        d[at] = v;
        let p = dir.join("m.slp");
        std::fs::write(&p, &d).unwrap();
        let o = run(&["labels", "info", p.to_str().unwrap()], 60);
        if o.signal.is_some() || o.timed_out || !matches!(o.code, Some(0 | 2)) {
            bad.push((
                at,
                v,
                o.code,
                o.signal,
                o.stderr.lines().last().map(str::to_owned),
            ));
        } else if o.code == Some(2) {
            assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
            assert!(o.stderr.contains("m.slp"), "{}", o.stderr);
        }
    }
    assert!(bad.is_empty(), "aborts/hangs: {bad:?}");
}

/// Finding 2: a .slp truncated while it is read (read, never memory-mapped: no SIGBUS).
#[test]
fn slp_truncated_while_read_never_kills_the_process() {
    let data = shared_or_skip!();
    let dir = scratch("slp-shrink");
    let src = std::fs::read(data.join("slp/centered_pair_predictions.slp")).unwrap();
    for round in 0..6 {
        let p = dir.join("big.slp");
        // The real file followed by 120 MB of padding: reading it takes long enough for the
        // truncation to land mid-read.
        let mut d = src.clone();
        d.resize(src.len() + (120 << 20), 0);
        std::fs::write(&p, &d).unwrap();
        let child = super::posedeck_limited()
            .args(["labels", "info", p.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5 + round * 10));
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(4096 * (round + 1)).unwrap();
        let o = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(o.status.signal(), None, "killed: {o:?}");
        assert!(matches!(o.status.code(), Some(0 | 2)), "{o:?}");
    }
}

/// Finding 3: FIFOs and devices in place of every file a command reads.
#[test]
fn fifos_and_devices_are_refused_at_once() {
    let data = shared_or_skip!();
    let dir = scratch("fifo");
    let fifo = dir.join("f.slp");
    mkfifo(&fifo);
    run(&["labels", "info", fifo.to_str().unwrap()], 30).assert_refused("not a regular file");
    let zero = dir.join("z.slp");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    run(&["labels", "info", zero.to_str().unwrap()], 30).assert_refused("character device");
    let zcsv = dir.join("CollectedData.csv");
    std::os::unix::fs::symlink("/dev/zero", &zcsv).unwrap();
    run(&["labels", "info", zcsv.to_str().unwrap()], 30).assert_refused("character device");
    let ev = dir.join("events.out.tfevents.1.x");
    mkfifo(&ev);
    run(&["scalars", ev.to_str().unwrap()], 30).assert_refused("not a file");

    // A project whose config, labels and a run's train_status.json are FIFOs: status ends,
    // naming each in its problems.
    let proj = dir.join("proj");
    std::fs::create_dir_all(proj.join("models/2024-01-01/00-00-00")).unwrap();
    mkfifo(&proj.join("config.yaml"));
    mkfifo(&proj.join("CollectedData.csv"));
    let run_dir = proj.join("models/2024-01-01/00-00-00");
    std::fs::copy(
        data.join("lp-real-model/tiny_cpu_model/config.yaml"),
        run_dir.join("config.yaml"),
    )
    .unwrap();
    mkfifo(&run_dir.join("train_status.json"));
    let o = run(&["status", proj.to_str().unwrap(), "--json"], 30);
    assert!(!o.timed_out && o.signal.is_none(), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    for name in ["config.yaml", "CollectedData.csv", "train_status.json"] {
        assert!(
            text.contains(&format!("{name}: not a regular file")),
            "{name} not reported:\n{text}"
        );
    }
    // The registry, as a FIFO.
    let home = scratch("fifo-home");
    std::fs::create_dir_all(home.join(".lightning-pose")).unwrap();
    mkfifo(&home.join(".lightning-pose/projects.toml"));
    let o = run_cmd(
        super::posedeck_limited()
            .env("HOME", &home)
            .args(["status", "no-such-key"]),
        30,
    );
    o.assert_refused("projects.toml");
}

/// Finding 4: a closed or full stdout.
#[test]
fn closed_and_full_stdout() {
    let data = shared_or_skip!();
    let slp = data.join("slp/typical.slp");
    let sh = |script: &str| {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("B", env!("CARGO_BIN_EXE_posedeck"))
            .env("F", &slp)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (out, err) = sh(r#""$B" labels info "$F" >/dev/full; echo "rc=$?""#);
    assert_eq!(out.trim(), "rc=2", "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("<stdout>") && err.contains("No space left"),
        "{err}"
    );
    for cmd in [
        "labels info \"$F\" --json",
        "labels info \"$F\"",
        "status \"$(dirname $F)/../lp-mirror-mouse\" --json",
    ] {
        let (out, err) = sh(&format!(
            r#""$B" {cmd} | head -c 10 >/dev/null; echo "rc=${{PIPESTATUS[0]}}"; "$B" {cmd} | true; echo "rc=${{PIPESTATUS[0]}}""#
        ));
        assert_eq!(out, "rc=0\nrc=0\n", "{cmd}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("failed printing"),
            "{cmd}: {err}"
        );
        assert!(err.trim().is_empty(), "{cmd}: {err}");
    }
}

/// Finding 11: control characters escaped in text, errors and JSON; never dropped.
#[test]
fn control_characters_are_shown_escaped() {
    let data = shared_or_skip!();
    // A path with an OSC title sequence.
    let o = run(&["status", "x\x1b]0;pwn\x07"], 30);
    o.assert_refused("x\\u{1b}]0;pwn\\u{7}");
    // A CSV whose keypoint names hold CSI (one-byte C1), DEL, a right-to-left override and
    // NULs.
    let dir = scratch("controls");
    let csv = dir.join("CollectedData.csv");
    let names = ["a\u{9b}31m", "b\u{7f}", "c\u{202e}d", "e\0f"];
    let mut s = String::from("scorer");
    for _ in 0..names.len() * 2 {
        s.push_str(",rick");
    }
    s.push_str("\nbodyparts");
    for n in names {
        s.push_str(&format!(",{n},{n}"));
    }
    s.push_str("\ncoords");
    for _ in names {
        s.push_str(",x,y");
    }
    s.push_str("\nlabeled-data/v/img0.png");
    for _ in names {
        s.push_str(",1.5,2.5");
    }
    s.push('\n');
    std::fs::write(&csv, &s).unwrap();
    let before = std::fs::read(&csv).unwrap();
    let text = run(&["labels", "info", csv.to_str().unwrap()], 30);
    text.assert_clean();
    assert_no_raw_controls(&text.stdout);
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("c\\u{202e}d") && shown.contains("e\\0f"),
        "{shown}"
    );
    let json = run(&["labels", "info", csv.to_str().unwrap(), "--json"], 30);
    json.assert_clean();
    assert_no_raw_controls(&json.stdout);
    let j = String::from_utf8_lossy(&json.stdout);
    assert!(
        j.contains(r"a\u009b31m") && j.contains(r"b\u007f") && j.contains(r"c\u202ed"),
        "{j}"
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v.to_string().contains('\u{9b}'),
        "JSON escapes decode to the same text"
    );
    assert_eq!(std::fs::read(&csv).unwrap(), before, "input unchanged");
    // A cell that differs only by NULs is shown with them escaped, not "rick" vs "rick".
    let bad = s
        .replacen(",rick", ",rick\0", 2)
        .replacen(",rick\0", ",rick", 1);
    std::fs::write(&csv, bad).unwrap();
    let o = run(&["labels", "info", csv.to_str().unwrap()], 30);
    o.assert_refused("rick\\0");
    // A regular expression error is one line.
    let ev = files_under(&data.join("lp-real-model/tiny_cpu_model"), &|n| {
        n.starts_with("events.out")
    });
    run(&["scalars", ev[0].to_str().unwrap(), "--tag", "("], 30)
        .assert_refused("not a valid regular expression");
}

/// Finding 8: work linear in the input: deep YAML, 100,000 keypoints, a huge cell.
#[test]
fn pathological_sizes_stay_linear_and_errors_short() {
    let data = shared_or_skip!();
    let dir = scratch("sizes");
    // 200 KB of nested flow mappings (47 s of CPU before).
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    copy_into(
        &data.join("lp-mirror-mouse/CollectedData.csv"),
        &proj,
        "CollectedData.csv",
    );
    std::fs::write(
        proj.join("config.yaml"),
        format!("data:\n  x: {}\n", "{a: ".repeat(50_000)),
    )
    .unwrap();
    let o = run(&["status", proj.to_str().unwrap(), "--json"], 30);
    o.assert_clean();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("nested more than 64 deep"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // 100,000 keypoints (58 s before: a quadratic duplicate check).
    let n = 100_000;
    let mut s = String::from("scorer");
    s.push_str(&",s".repeat(2 * n));
    s.push_str("\nbodyparts");
    for i in 0..n {
        s.push_str(&format!(",k{i},k{i}"));
    }
    s.push_str("\ncoords");
    s.push_str(&",x,y".repeat(n));
    s.push_str("\nlabeled-data/v/img0.png");
    s.push_str(&",1.5".repeat(2 * n));
    s.push('\n');
    let wide = dir.join("wide.csv");
    std::fs::write(&wide, s).unwrap();
    let o = run(&["labels", "info", wide.to_str().unwrap()], 60);
    o.assert_clean();
    assert_eq!(o.code, Some(0), "{o:?}");
    // A 20 MB scorer cell that differs from the first: the error stays short.
    let mut s = format!(
        "scorer,a,{}\nbodyparts,k,k\ncoords,x,y\n",
        "b".repeat(20 << 20)
    );
    s.push_str("labeled-data/v/img0.png,1,2\n");
    let huge = dir.join("huge.csv");
    std::fs::write(&huge, s).unwrap();
    let o = run(&["labels", "info", huge.to_str().unwrap()], 60);
    o.assert_refused("huge.csv");
    assert!(o.stderr.len() < 2200, "{} bytes of error", o.stderr.len());
}

/// (arguments before the input, arguments after it, the real file, the input's name, the
/// output a refusal must not leave)
type Case<'a> = (
    Vec<&'a str>,
    Vec<&'a str>,
    PathBuf,
    &'a str,
    Option<&'a str>,
);

/// Every reading command against every kind of damaged input made from its real file:
/// truncated (to half, to 100 bytes, to 0), a byte flipped at a third, a FIFO, `/dev/zero`,
/// a folder. Each ends by itself with 0 or 2 and at most one line on stderr; the input is
/// unchanged; a refused conversion leaves no output.
#[test]
fn every_command_against_every_damaged_input() {
    let data = shared_or_skip!();
    let events = files_under(&data.join("lp-real-model/tiny_cpu_model"), &|n| {
        n.starts_with("events.out")
    })
    .remove(0);
    let typical = data.join("slp/typical.slp");
    let typical = typical.to_str().unwrap();
    let tiny = data.join("lp-real-model/tiny_cpu_model");
    let tiny = tiny.to_str().unwrap();
    let cases: Vec<Case> = vec![
        (
            vec!["labels", "info"],
            vec![],
            data.join("slp/typical.slp"),
            "in.slp",
            None,
        ),
        (
            vec!["labels", "info", "--json"],
            vec![],
            data.join("slp/clip.predictions.slp"),
            "in.slp",
            None,
        ),
        (
            vec!["labels", "info"],
            vec![],
            data.join("lp-mirror-mouse/CollectedData.csv"),
            "CollectedData.csv",
            None,
        ),
        (
            vec!["labels", "convert"],
            vec!["OUT/out.json"],
            data.join("slp/minimal_instance.pkg.slp"),
            "in.pkg.slp",
            Some("out.json"),
        ),
        (
            vec!["labels", "convert"],
            vec!["OUT/proj"],
            data.join("slp/typical.slp"),
            "in.slp",
            Some("proj"),
        ),
        (
            vec!["labels", "merge"],
            vec![typical, "-o", "OUT/m.slp"],
            data.join("slp/typical.slp"),
            "in.slp",
            Some("m.slp"),
        ),
        (
            vec!["scalars"],
            vec![],
            events.clone(),
            "events.out.tfevents.1.h.1.0",
            None,
        ),
        (
            vec!["scalars", "--json"],
            vec![],
            events,
            "events.out.tfevents.1.h.1.0",
            None,
        ),
        (
            vec!["compare", tiny],
            vec!["--json"],
            data.join("lp-real-model/tiny_cpu_model/predictions_pixel_error.csv"),
            "predictions_pixel_error.csv",
            None,
        ),
        (
            vec!["frames"],
            vec![],
            data.join("slp/clip.mp4"),
            "in.mp4",
            None,
        ),
        (
            vec!["frames", "--at", "3"],
            vec!["-o", "OUT/frames"],
            data.join("slp/clip.mp4"),
            "in.mp4",
            Some("frames"),
        ),
    ];
    let kinds = ["half", "100", "empty", "flip", "fifo", "zero", "dir"];
    let mut failures = Vec::new();
    for (before, after, real, name, output) in &cases {
        let src = std::fs::read(real).unwrap();
        for kind in kinds {
            let dir = scratch("every");
            let out_dir = dir.join("OUT");
            std::fs::create_dir_all(&out_dir).unwrap();
            let input = dir.join(name);
            match kind {
                "half" => std::fs::write(&input, &src[..src.len() / 2]).unwrap(),
                "100" => std::fs::write(&input, &src[..100.min(src.len())]).unwrap(),
                "empty" => std::fs::write(&input, b"").unwrap(),
                "flip" => {
                    let mut d = src.clone();
                    d[src.len() / 3] ^= 0x10;
                    std::fs::write(&input, d).unwrap();
                }
                "fifo" => mkfifo(&input),
                "zero" => std::os::unix::fs::symlink("/dev/zero", &input).unwrap(),
                _ => std::fs::create_dir_all(&input).unwrap(),
            }
            // (Reading a FIFO or /dev/zero here would hang the test itself.)
            let before_bytes = match kind {
                "fifo" | "zero" | "dir" => None,
                _ => std::fs::read(&input).ok(),
            };
            let mut args: Vec<String> = before.iter().map(|s| s.to_string()).collect();
            args.push(input.display().to_string());
            for a in after {
                args.push(a.replace("OUT", &out_dir.display().to_string()));
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(&argv, 60);
            let label = format!("{} [{kind}]", argv.join(" "));
            if o.timed_out || o.signal.is_some() || !matches!(o.code, Some(0 | 2)) {
                failures.push(format!("{label}: {o:?}"));
                continue;
            }
            if o.stderr.lines().count() > 1 || o.stderr.contains("panicked") {
                failures.push(format!("{label}: stderr {:?}", o.stderr));
            }
            if let Some(b) = &before_bytes
                && std::fs::read(&input).ok().as_ref() != Some(b)
            {
                failures.push(format!("{label}: input changed"));
            }
            if o.code == Some(2)
                && let Some(out) = output
                && out_dir.join(out).exists()
            {
                failures.push(format!("{label}: refused but {out} exists"));
            }
            let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect();
            if !leftovers.is_empty() {
                failures.push(format!("{label}: temporaries left: {leftovers:?}"));
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
