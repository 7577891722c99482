//! Writing in a real terminal (tmux) never blocks it: on a 100,000-frame SLEAP prediction
//! file (the generator of `posedeck bench slp`, ~83 MB), edit mode opens on the label worker,
//! `w` writes a snapshot on it while the keys go on moving the cursor and an edit made
//! meanwhile stays an unwritten edit; the written file holds exactly the snapshot; `q` during
//! a second write waits for it, and the file then holds that edit too.

use super::e2e::Tmux;
use posedeck::formats::slp::{read_slp, write_slp};
use std::path::Path;
use std::time::{Duration, Instant};

fn expect(t: &Tmux, want: &str, secs: f64) -> Duration {
    match t.wait_for(want, secs) {
        Ok(d) => d,
        Err(screen) => panic!("no {want:?} on screen:\n{screen}"),
    }
}

/// The cursor's x in the status bar (`EDIT head x 123.45 y 67.89`).
fn cursor_x(screen: &str) -> Option<f64> {
    screen.lines().find_map(|l| {
        let i = l.find("EDIT head x ")?;
        l[i + "EDIT head x ".len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// Frame 0's first user instance, node `head`, as written.
fn head_of_frame0(p: &Path) -> Option<(f64, f64)> {
    let f = read_slp(p).unwrap();
    let lf = f.labels.labeled_frames.iter().find(|f| f.frame_idx == 0)?;
    let u = lf.instances.iter().find(|i| i.is_user())?;
    Some((u.points[0].x, u.points[0].y))
}

#[test]
fn e2e_writing_a_100k_frame_slp_never_blocks_keys_or_redraws() {
    let tmp = tempfile::tempdir().unwrap();
    let slp = tmp.path().join("predictions.slp");
    let frames = 100_000;
    write_slp(&slp, &posedeck::cli::bench::slp::labels(frames)).unwrap();
    let original = std::fs::read(&slp).unwrap();
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!("{bin} {} --image-protocol halfblocks", slp.display());
    let Some(t) = Tmux::start(&cmd, 120, 40) else {
        return;
    };
    expect(&t, "Overview", 60.0);
    t.keys(&["2"]);
    expect(&t, &format!("frames {frames}/{frames}"), 60.0);
    // Opening reads the file on the label worker: the status bar says so, then edit mode.
    t.keys(&["e"]);
    let opened = expect(&t, "EDIT head x", 60.0);
    eprintln!(
        "MEASURED open {frames}-frame .slp for editing (on the label worker): {:.2} s",
        opened.as_secs_f64()
    );
    // A user instance from the frame's prediction; head three pixels right, placed.
    t.keys(&["a", "l", "l", "l", "Enter"]);
    expect(&t, "● unwritten", 5.0);
    let placed = cursor_x(&t.capture()).expect("cursor on screen");

    // `w`: the status bar says writing…; keys move the cursor meanwhile.
    t.keys(&["w"]);
    expect(&t, "writing…", 5.0);
    let mut steps = Vec::new();
    let mut during = 0;
    for i in 1..=5 {
        let want = format!("x {:.2}", placed + i as f64);
        let t0 = Instant::now();
        let _ = std::process::Command::new("tmux")
            .args(["send-keys", "-t", &t.name, "l"])
            .status();
        loop {
            let s = t.capture();
            if s.contains(&want) {
                if s.contains("writing…") {
                    during += 1;
                    steps.push(t0.elapsed().as_secs_f64() * 1e3);
                }
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "no {want}:\n{s}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    assert!(
        during >= 3,
        "the cursor moved while the write was in flight only {during} times: the write blocked the UI"
    );
    steps.sort_by(f64::total_cmp);
    eprintln!(
        "MEASURED keypress to moved cursor while a {frames}-frame .slp is written: median {:.1} ms, max {:.1} ms",
        steps[steps.len() / 2],
        steps[steps.len() - 1]
    );
    // An edit made while the write is in flight: still unwritten after it lands.
    t.keys(&["Enter"]);
    let landed = expect(&t, "wrote predictions.slp", 120.0);
    eprintln!(
        "write landed {:.2} s after the last edit",
        landed.as_secs_f64()
    );
    expect(&t, "● unwritten", 5.0);
    // The file holds the snapshot: head at the placed pixel, every frame still there.
    let backup_dir = tmp.path().join(".posedeck-backup");
    let backups: Vec<_> = std::fs::read_dir(&backup_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1);
    assert!(
        std::fs::read(&backups[0]).unwrap() == original,
        "backup is the original"
    );
    let written = read_slp(&slp).unwrap();
    assert_eq!(written.labels.labeled_frames.len(), frames as usize);
    let (x, _) = head_of_frame0(&slp).expect("the user instance written");
    assert!(
        (x - placed).abs() < 1e-9,
        "{x} vs {placed}: the snapshot, not later edits"
    );

    // `w` then `q` at once: quitting waits for the write; the file then has the later edit.
    let later = cursor_x(&t.capture()).unwrap();
    t.keys(&["w", "q"]);
    expect(&t, "EXIT=0", 120.0);
    let (x, _) = head_of_frame0(&slp).expect("the user instance written");
    assert!((x - later).abs() < 1e-9, "{x} vs {later}");
    let backups = std::fs::read_dir(&backup_dir).unwrap().count();
    assert_eq!(backups, 2);
}
