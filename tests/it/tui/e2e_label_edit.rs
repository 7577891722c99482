//! Labeling in a real terminal (tmux) on a copy of lp-mirror-mouse: one keypoint moved with
//! keys, one placed with a mouse click (an SGR mouse report typed into the pane), one marked
//! missing, written; pandas reads the new CollectedData.csv with exactly those cells changed;
//! the backup is the original byte for byte; undo restores the exact text and an edit-free
//! write is byte-identical; redo brings the edits back; a concurrent change on disk is
//! detected and keep-mine loses no one's labels.

use super::e2e::Tmux;
use crate::{peers_or_skip, shared_or_skip};
use posedeck::labels::LpDocument;
use posedeck::tui::image::Placement;
use ratatui::layout::Rect;
use std::path::Path;
use std::time::{Duration, Instant};

/// Compares two CollectedData files with pandas: every differing cell as
/// [row, bodypart, coord, old, new] (NaN as null).
pub const DIFF: &str = r#"
import json, sys, math, pandas as pd
a = pd.read_csv(sys.argv[1], header=[0, 1, 2], index_col=0)
b = pd.read_csv(sys.argv[2], header=[0, 1, 2], index_col=0)
assert list(a.index) == list(b.index) and list(a.columns) == list(b.columns)
out = []
f = lambda v: None if math.isnan(v) else float(v)
for r in a.index:
    for c in a.columns:
        x, y = a.at[r, c], b.at[r, c]
        if not ((math.isnan(x) and math.isnan(y)) or x == y):
            out.append([r, c[1], c[2], f(x), f(y)])
print(json.dumps(out))
"#;

fn backups(root: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root.join(".posedeck-backup"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn wait_until(what: &str, secs: f64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed().as_secs_f64() < secs,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn expect(t: &Tmux, want: &str) {
    if let Err(screen) = t.wait_for(want, 5.0) {
        panic!("no {want:?} on screen:\n{screen}");
    }
}

#[test]
fn e2e_label_edit_keys_mouse_missing_write_undo_conflict() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    let (_tmp, root) = super::label_edit::lp_copy(&data);
    let csv = root.join("CollectedData.csv");
    let original = std::fs::read(&csv).unwrap();
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!("{bin} {} --image-protocol halfblocks", root.display());
    let (w, h) = (120u16, 40u16);
    let Some(t) = Tmux::start(&cmd, w, h) else {
        return;
    };
    expect(&t, "Labeled frames per video");
    t.keys(&["2"]);
    expect(&t, "frames 90/90");
    t.keys(&["e"]);
    expect(&t, "EDIT paw1LH_top x 77.25 y 36.25");

    // Keys: paw2LF_top four pixels right, two down.
    t.keys(&["Tab"]);
    expect(&t, "EDIT paw2LF_top x 253.50 y 101.90");
    // The first step timed: key sent to the cursor's new pixel in the status bar.
    let t0 = Instant::now();
    let _ = std::process::Command::new("tmux")
        .args(["send-keys", "-t", &t.name, "l"])
        .status();
    while !t.capture().contains("x 254.50 y 101.90") {
        assert!(t0.elapsed() < Duration::from_secs(5), "{}", t.capture());
        std::thread::sleep(Duration::from_millis(2));
    }
    eprintln!(
        "MEASURED edit mode keypress to moved cursor on screen (tmux 120x40, status bar): {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    t.keys(&["l", "l", "Right", "j", "Down"]);
    expect(&t, "x 257.50 y 103.90");
    t.keys(&["Enter"]);
    expect(&t, "● unwritten");

    // Mouse: paw3RF_top placed where clicked (a left press and release, SGR encoded,
    // 1-based), mapped through the image's placement: halfblocks cells of 10x20 pixels.
    t.keys(&["Tab"]);
    expect(&t, "EDIT paw3RF_top");
    let body = posedeck::tui::views::body_rect(Rect::new(0, 0, w, h));
    let (_, area, _) = posedeck::tui::frames::labels_layout(body);
    let (sw, sh) = (396.0f64, 406.0f64);
    let scale = (area.width as f64 * 10.0 / sw).min(area.height as f64 * 20.0 / sh);
    let place = Placement {
        origin: (0.0, 0.0),
        scale,
        font: (10, 20),
        drawn: ((sw * scale).floor() as u32, (sh * scale).floor() as u32),
    };
    let (col, row) = (area.x + area.width / 3, area.y + area.height / 2);
    let (cx, cy) = place.cell_to_source(area, col, row).unwrap();
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    let (cx, cy) = (r2(cx), r2(cy));
    for end in ['M', 'm'] {
        let _ = std::process::Command::new("tmux")
            .args(["send-keys", "-t", &t.name, "-l"])
            .arg(format!("\x1b[<0;{};{}{end}", col + 1, row + 1))
            .status();
    }
    expect(&t, &format!("x {cx:.2} y {cy:.2}"));

    // paw4RH_top marked missing, then written.
    t.keys(&["Tab", "x", "w"]);
    expect(&t, "wrote CollectedData.csv");
    let first = std::fs::read(&csv).unwrap();
    let b = backups(&root);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(
        std::fs::read(&b[0]).unwrap(),
        original,
        "the backup is the original"
    );

    // pandas: exactly those three keypoints of img01 changed, to exactly those values.
    let orig_copy = root.join("original.csv.bak");
    std::fs::write(&orig_copy, &original).unwrap();
    let out = crate::common::run_python(
        &py,
        DIFF,
        &[orig_copy.to_str().unwrap(), csv.to_str().unwrap()],
    );
    let diff: Vec<serde_json::Value> = serde_json::from_str(out.trim()).unwrap();
    let moved = (253.5 + 1.0 + 1.0 + 1.0 + 1.0, 101.900392541708 + 1.0 + 1.0);
    let want = [
        ("paw2LF_top", "x", Some(moved.0)),
        ("paw2LF_top", "y", Some(moved.1)),
        ("paw3RF_top", "x", Some(cx)),
        ("paw3RF_top", "y", Some(cy)),
        ("paw4RH_top", "x", None),
        ("paw4RH_top", "y", None),
    ];
    assert_eq!(diff.len(), want.len(), "{out}");
    for (d, (kp, coord, v)) in diff.iter().zip(want) {
        assert_eq!(d[0], "labeled-data/img01.png", "{out}");
        assert_eq!(
            (d[1].as_str(), d[2].as_str()),
            (Some(kp), Some(coord)),
            "{out}"
        );
        match v {
            Some(v) => assert!((d[4].as_f64().unwrap() - v).abs() < 1e-9, "{out}"),
            None => assert!(d[4].is_null(), "{out}"),
        }
    }

    // Undo the three edits: written, the file is the original byte for byte; written again
    // with no edit, byte-identical again.
    t.keys(&["u", "u", "u"]);
    expect(&t, "EDIT paw2LF_top x 253.50 y 101.90 ● unwritten");
    t.keys(&["w"]);
    wait_until("the second write", 5.0, || backups(&root).len() == 2);
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        original,
        "undo restores exact text"
    );
    t.keys(&["w"]);
    wait_until("the edit-free write", 5.0, || backups(&root).len() == 3);
    assert_eq!(std::fs::read(&csv).unwrap(), original, "edit-free write");
    // Redo: the edits back, exactly.
    t.keys(&["C-r", "C-r", "C-r", "w"]);
    wait_until("the redo write", 5.0, || backups(&root).len() == 4);
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        first,
        "redo restores exact values"
    );

    // Someone else labels meanwhile: img02's nose and img01's obs_top.
    let mut d = LpDocument::read(&csv).unwrap();
    let k = |n: &str| d.keypoints().iter().position(|x| x == n).unwrap();
    let (nose, obs, paw4, paw2) = (
        k("nose_top"),
        k("obs_top"),
        k("paw4RH_top"),
        k("paw2LF_top"),
    );
    d.set_point(1, nose, Some((11.5, 12.5))).unwrap();
    d.set_point(0, obs, Some((13.25, 14.75))).unwrap();
    posedeck::util::write_atomic(&csv, &d.to_bytes()).unwrap();
    // I place paw4RH_top (selected after the redo) and write: refused, img01 listed.
    t.keys(&["h", "Enter", "w"]);
    expect(&t, "changed on disk since it was read");
    expect(&t, "labeled-data/img01.png");
    let mine = t
        .capture()
        .lines()
        .find_map(|l| {
            let i = l.find("EDIT paw4RH_top x ")?;
            let rest: Vec<&str> = l[i..].split_whitespace().collect();
            Some((rest[3].parse::<f64>().ok()?, rest[5].parse::<f64>().ok()?))
        })
        .expect("cursor in the status bar");
    t.keys(&["m"]);
    expect(&t, "wrote CollectedData.csv");
    let merged = LpDocument::read(&csv).unwrap();
    assert_eq!(
        merged.point(1, nose),
        Some((11.5, 12.5)),
        "their change kept"
    );
    assert_eq!(
        merged.point(0, obs),
        Some((13.25, 14.75)),
        "their change kept"
    );
    let p = merged.point(0, paw4).expect("my label written");
    assert!((p.0 - mine.0).abs() < 0.006 && (p.1 - mine.1).abs() < 0.006);
    assert_eq!(merged.point(0, paw2), Some(moved), "my earlier edit stays");

    t.keys(&["Escape"]);
    expect(&t, "frames 90/90");
    t.keys(&["q"]);
    expect(&t, "EXIT=0");
}
