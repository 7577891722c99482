//! `E` in Curves writes what the view shows to `<project>/.posedeck/exports/` (PNG + CSV)
//! and the status bar names the file: the whole dashboard, or the enlarged chart alone, with
//! hidden runs left out.

use super::{act, mirror_project, open};
use crate::shared_or_skip;
use posedeck::tui::action::Action;
use std::path::{Path, PathBuf};

fn exports(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(".posedeck/exports"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn csv_tags_and_runs(p: &Path) -> (Vec<String>, Vec<String>) {
    let mut tags = Vec::new();
    let mut runs = Vec::new();
    for r in csv::Reader::from_path(p).unwrap().records() {
        let r = r.unwrap();
        if !runs.contains(&r[0].to_string()) {
            runs.push(r[0].to_string());
        }
        if !tags.contains(&r[1].to_string()) {
            tags.push(r[1].to_string());
        }
    }
    (tags, runs)
}

#[test]
fn e_exports_what_curves_shows() {
    let data = shared_or_skip!();
    let (_tmp, root) = mirror_project(&data);
    let (w, h) = (120, 40);
    let (mut app, mut hl) = open(&root, w, h);
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::ViewCurves, Action::ExportCurves],
    );
    let files = exports(&root);
    assert_eq!(files.len(), 2, "{files:?}");
    let (csv, png) = (&files[0], &files[1]);
    let name = png.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("curves-") && name.ends_with("Z.png"),
        "{name}"
    );
    assert_eq!(csv.with_extension("png"), *png);
    let note = app.note.as_ref().map(|n| n.1.clone()).unwrap_or_default();
    assert!(
        note.contains(&format!(".posedeck/exports/{name}")),
        "{note}"
    );
    let img = image::open(png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000));
    // The run colours of the view's theme are on the image.
    let (_, _, palette) = app.theme.figure_colors();
    for run in ["tiny_cpu_model", "app_style_model_midtraining"] {
        let c = palette[posedeck::curves::run_slot(run, palette.len())];
        assert!(img.pixels().any(|p| p.0 == c), "{run}'s colour {c:?}");
    }
    let (tags, runs) = csv_tags_and_runs(csv);
    assert_eq!(tags.len(), 13, "{tags:?}");
    assert_eq!(runs.len(), 3, "{runs:?}");

    // The enlarged chart alone, a hidden run left out.
    posedeck::tui::input::set_filter(&mut app, "val_supervised_loss");
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::Select,
            Action::RunNext,
            Action::ToggleRun,
            Action::ExportCurves,
        ],
    );
    let files = exports(&root);
    assert_eq!(files.len(), 4, "{files:?}");
    let first_csv = csv.clone();
    let newest = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "csv") && **p != first_csv)
        .unwrap();
    let (tags, runs) = csv_tags_and_runs(newest);
    assert_eq!(tags, ["val_supervised_loss"]);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        !runs.contains(&"app_style_model_midtraining".to_string()),
        "{runs:?}"
    );
}
