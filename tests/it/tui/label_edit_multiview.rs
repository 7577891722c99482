//! Edit mode on a multiview Lightning Pose project (views top and bot, one
//! `CollectedData_<view>.csv` each): an edit of one keypoint in the bot view, written, changes
//! exactly that cell of `CollectedData_bot.csv` (pandas reads it: one value differs), leaves
//! `CollectedData_top.csv` byte for byte as it was, and keeps the bot file's backup.
//!
//! The project is made from lp-mirror-mouse (../shared/data has no multiview project): its
//! mouse is filmed from the top and, in a mirror, from below, with keypoints `<name>_top` and
//! `<name>_bot`; the seven names both views share become one view's keypoints each, the rows
//! point at `labeled-data/mouse_<view>/imgNN.png` (the frame copied per view), and
//! `project.yaml` names the views, as the Lightning Pose app lays a multiview project out.

use super::{act, open};
use crate::shared_or_skip;
use posedeck::tui::action::Action;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};

const SHARED: [&str; 7] = [
    "paw1LH", "paw2LF", "paw3RF", "paw4RH", "tailBase", "tailMid", "nose",
];

/// The view's CollectedData text: the index, then x, y of each shared keypoint's `_<view>`
/// columns, every cell's text as it was.
fn view_csv(src: &str, view: &str) -> String {
    let lines: Vec<Vec<&str>> = src.lines().map(|l| l.split(',').collect()).collect();
    let parts = &lines[1];
    let cols: Vec<usize> = SHARED
        .iter()
        .flat_map(|k| {
            let name = format!("{k}_{view}");
            (1..parts.len()).filter(move |&c| parts[c] == name)
        })
        .collect();
    assert_eq!(cols.len(), 2 * SHARED.len(), "{view}");
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let index = match i {
            0..=2 => l[0].to_string(),
            _ => l[0].replace("labeled-data/", &format!("labeled-data/mouse_{view}/")),
        };
        let mut row = vec![index];
        for &c in &cols {
            row.push(if i == 1 {
                l[c].trim_end_matches(&format!("_{view}")).to_string()
            } else {
                l[c].to_string()
            });
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn multiview_copy(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mouse-2view");
    let src = data.join("lp-mirror-mouse");
    let text = std::fs::read_to_string(src.join("CollectedData.csv")).unwrap();
    assert!(!text.contains('"'), "no quoted cells to split");
    for view in ["top", "bot"] {
        crate::common::write_file(
            &root.join(format!("CollectedData_{view}.csv")),
            &view_csv(&text, view),
        );
        super::copy_dir(
            &src.join("labeled-data"),
            &root.join(format!("labeled-data/mouse_{view}")),
        );
    }
    crate::common::write_file(
        &root.join("project.yaml"),
        &format!(
            "schema_version: 1\nview_names: [top, bot]\nkeypoint_names: [{}]\n",
            SHARED.join(", ")
        ),
    );
    (tmp, root)
}

#[test]
fn multiview_edit_writes_only_that_views_csv_and_only_that_cell() {
    let data = shared_or_skip!();
    let (_tmp, root) = multiview_copy(&data);
    let top = root.join("CollectedData_top.csv");
    let bot = root.join("CollectedData_bot.csv");
    let (top0, bot0) = (std::fs::read(&top).unwrap(), std::fs::read(&bot).unwrap());
    // The first bot row whose paw1LH is labeled.
    let bot_text = String::from_utf8(bot0.clone()).unwrap();
    let (line_no, row) = bot_text
        .lines()
        .enumerate()
        .skip(3)
        .find(|(_, l)| !l.split(',').nth(1).unwrap().is_empty())
        .unwrap();
    let image = row.split(',').next().unwrap().to_string();
    let x0: f64 = row.split(',').nth(1).unwrap().parse().unwrap();

    let (w, h) = (120, 40);
    let (mut app, mut hl) = open(&root, w, h);
    assert!(app.data.error.is_none(), "{:?}", app.data.error);
    act(&mut app, &mut hl, w, h, &[Action::ViewLabels]);
    posedeck::tui::input::set_filter(&mut app, &image);
    hl.settle(&mut app, Rect::new(0, 0, w, h));
    act(&mut app, &mut hl, w, h, &[Action::EditLabels]);
    let s = app
        .edit
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", app.note));
    assert_eq!(s.doc.path(), bot.as_path(), "the bot view's file");
    assert_eq!(s.cursor.0, x0);
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::CursorRight,
            Action::CursorRight,
            Action::PlaceKeypoint,
            Action::WriteLabels,
        ],
    );
    let note = app.note.clone().unwrap().1;
    assert!(note.starts_with("wrote CollectedData_bot.csv"), "{note}");
    assert!(!app.edit.as_ref().unwrap().doc.unwritten());

    // The other view: byte for byte.
    assert!(
        std::fs::read(&top).unwrap() == top0,
        "CollectedData_top.csv changed"
    );
    // This view: exactly one cell, paw1LH's x of that row, now x0 + 2.
    let bot1 = String::from_utf8(std::fs::read(&bot).unwrap()).unwrap();
    let (a, b): (Vec<&str>, Vec<&str>) = (bot_text.lines().collect(), bot1.lines().collect());
    assert_eq!(a.len(), b.len());
    let mut diff = Vec::new();
    for (i, (la, lb)) in a.iter().zip(&b).enumerate() {
        for (c, (fa, fb)) in la.split(',').zip(lb.split(',')).enumerate() {
            if fa != fb {
                diff.push((i, c, fa.to_string(), fb.to_string()));
            }
        }
        assert_eq!(la.split(',').count(), lb.split(',').count());
    }
    assert_eq!(
        diff,
        vec![(line_no, 1, format!("{x0}"), format!("{}", x0 + 2.0))],
        "exactly that cell"
    );
    assert!(bot1.ends_with('\n'));
    // Its backup is the file as it was.
    let backups: Vec<_> = std::fs::read_dir(root.join(".posedeck-backup"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("CollectedData_bot.csv."), "{name}");
    assert!(std::fs::read(&backups[0]).unwrap() == bot0);

    // pandas reads both files; only that value differs.
    if let Some(py) = crate::common::peer_python() {
        let orig = root.join("bot-original.csv.bak");
        std::fs::write(&orig, &bot0).unwrap();
        let out = crate::common::run_python(
            &py,
            super::e2e_label_edit::DIFF,
            &[orig.to_str().unwrap(), bot.to_str().unwrap()],
        );
        let d: Vec<serde_json::Value> = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(d.len(), 1, "{out}");
        assert_eq!(d[0][0], image.as_str(), "{out}");
        assert_eq!(
            (d[0][1].as_str(), d[0][2].as_str()),
            (Some("paw1LH"), Some("x"))
        );
        assert_eq!(d[0][4].as_f64(), Some(x0 + 2.0), "{out}");
    } else {
        eprintln!("SKIP (pandas part): no peer venv");
    }
}
