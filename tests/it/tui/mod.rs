//! The workstation's views, drawn on ratatui's TestBackend at 80x24 and 160x48 and compared
//! with insta snapshots, on the real data in ../shared/data: the mirror-mouse project with the
//! real lightning-pose runs placed in its models/ folder, and SLEAP .slp files.

use crate::shared_or_skip;
use posedeck::tui::action::Action;
use posedeck::tui::app::{App, View};
use posedeck::tui::headless::{Headless, screen};
use posedeck::tui::keymap::Keymap;
use posedeck::tui::theme::Theme;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};

mod bench_project;
mod compare;
mod curves_export;
mod curves_live;
pub mod e2e;
pub mod e2e_label_edit;
mod e2e_label_write;
mod extract;
mod label_edit;
mod label_edit_multiview;
mod lp;
mod terminal_colours;

pub const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

pub fn new_app() -> App {
    App::new("snapshot".into(), Keymap::defaults(), Theme::dark())
}

/// Opens `target` headlessly (every worker's result applied) at the given size. A path under
/// the crate root is opened relative to it, so snapshots do not depend on the checkout's path.
pub fn open(target: &Path, w: u16, h: u16) -> (App, Headless) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = target.strip_prefix(root).unwrap_or(target);
    let mut app = new_app();
    let mut hl = Headless::new(target.to_str().unwrap());
    // What ffprobe would say depends on the host: not asked.
    hl.probe_videos = false;
    hl.open(&mut app, Rect::new(0, 0, w, h));
    (app, hl)
}

pub fn act(app: &mut App, hl: &mut Headless, w: u16, h: u16, actions: &[Action]) {
    for a in actions {
        app.run(*a);
        hl.settle(app, Rect::new(0, 0, w, h));
    }
}

/// Replaces a temporary folder's path (which changes per run) with a fixed one.
fn stable(s: String, tmp: Option<&Path>) -> String {
    match tmp {
        Some(t) => s.replace(t.to_str().unwrap(), "/TMP"),
        None => s,
    }
}

#[test]
fn slp_views_snapshots() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    for (w, h) in SIZES {
        let (mut app, mut hl) = open(&slp, w, h);
        assert!(app.data.error.is_none(), "{:?}", app.data.error);
        insta::assert_snapshot!(format!("slp_overview_{w}x{h}"), screen(&app, w, h));
        act(&mut app, &mut hl, w, h, &[Action::ViewLabels]);
        assert!(app.image.as_ref().is_some_and(|i| i.result.is_ok()));
        insta::assert_snapshot!(format!("slp_labels_{w}x{h}"), screen(&app, w, h));
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::ToggleNames, Action::ZoomIn],
        );
        insta::assert_snapshot!(format!("slp_labels_zoom_names_{w}x{h}"), screen(&app, w, h));
    }
}

#[test]
fn slp_multi_animal_frames_and_skeleton() {
    let data = shared_or_skip!();
    let slp = data.join("slp/centered_pair_predictions.slp");
    let (app, _) = open(&slp, 80, 24);
    assert!(app.data.error.is_none(), "{:?}", app.data.error);
    assert!(!app.data.edges.is_empty(), "skeleton edges are read");
    assert!(app.data.frames.iter().any(|f| !f.predicted.is_empty()));
}

#[test]
fn help_and_palette_come_from_the_keymap() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let (mut app, mut hl) = open(&slp, 80, 24);
    act(
        &mut app,
        &mut hl,
        80,
        24,
        &[Action::ViewCurves, Action::Help],
    );
    let s = screen(&app, 80, 24);
    // Every curves binding of the keymap is listed.
    for (k, d) in app.keymap.help_lines("curves") {
        assert!(s.contains(&d) || s.contains(&k), "help lacks {k} {d}:\n{s}");
    }
    insta::assert_snapshot!("help_curves_80x24", s);
    act(&mut app, &mut hl, 80, 24, &[Action::Back, Action::Palette]);
    insta::assert_snapshot!("palette_80x24", screen(&app, 80, 24));
}

#[test]
fn a_bad_file_shows_its_error_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.slp");
    std::fs::write(&bad, b"\x89HDF\r\n\x1a\ntruncated").unwrap();
    let (mut app, mut hl) = open(&bad, 80, 24);
    let s = stable(screen(&app, 80, 24), Some(dir.path()));
    assert!(s.contains("broken.slp"), "{s}");
    // The other views still draw.
    for v in [
        Action::ViewLabels,
        Action::ViewModels,
        Action::ViewCurves,
        Action::ViewVideos,
    ] {
        act(&mut app, &mut hl, 80, 24, &[v]);
        let _ = screen(&app, 80, 24);
    }
    assert_eq!(app.view, View::Videos);
}

pub use crate::common::copy_dir;

/// The three real runs of ../shared/data/lp-real-model.
pub const REAL_RUNS: [&str; 3] = [
    "tiny_cpu_model",
    "app_style_model",
    "app_style_model_midtraining",
];

/// A copy of the mirror-mouse project with the three real runs in its models/ folder, at
/// `/tmp/pdXXXXXX/mirror-mouse`: a path of fixed length, so masking it (see [`mask`]) keeps
/// every column of the screen in place.
pub fn mirror_project(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("pd")
        .rand_bytes(6)
        .tempdir_in("/tmp")
        .unwrap();
    let root = tmp.path().join("mirror-mouse");
    copy_dir(&data.join("lp-mirror-mouse"), &root);
    for name in REAL_RUNS {
        copy_dir(
            &data.join("lp-real-model").join(name),
            &root.join("models").join(name),
        );
    }
    (tmp, root)
}

/// Replaces the temporary folder of [`mirror_project`] with a placeholder of the same width.
pub fn mask(s: String, tmp: &Path) -> String {
    let t = tmp.to_str().unwrap();
    assert_eq!(t.len(), "<temp-folder>".len(), "{t}");
    s.replace(t, "<temp-folder>")
}
