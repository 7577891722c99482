//! Choosing frames to label from the workstation: the Videos view's extract form (snapshot),
//! the extraction it starts (run by the headless runner as the live one runs it on a
//! background thread), `a` queueing the current frame, and the Labels view listing the queued
//! frames first with `N` / `P` between them (snapshots at 80x24 and 160x48).

use super::{SIZES, act, open, stable};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use posedeck::tui::action::Action;
use posedeck::tui::app::{App, Overlay};
use posedeck::tui::headless::{Headless, screen};
use posedeck::tui::msg::Msg;
use ratatui::layout::Rect;

fn key(app: &mut App, hl: &mut Headless, code: KeyCode, w: u16, h: u16) {
    app.handle(Msg::Input(Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
    hl.settle(app, Rect::new(0, 0, w, h));
}

fn queue_lines(root: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(root.join("CollectedData.unlabeled.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A demo project of `frames` frames in a new temporary folder (kept while the first is held).
fn demo(frames: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("demo");
    let (code, _, err) = crate::common::run_posedeck(&[
        "demo",
        "--no-tui",
        "--dir",
        proj.to_str().unwrap(),
        "--frames",
        frames,
    ]);
    assert_eq!(code, 0, "{err}");
    (tmp, proj)
}

#[test]
fn extract_form_queue_and_labels_view() {
    for (w, h) in SIZES {
        let (tmp, proj) = demo("40");
        let (mut app, mut hl) = open(&proj, w, h);
        assert!(app.data.error.is_none(), "{:?}", app.data.error);
        assert_eq!(app.data.n_queued, 0);
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::ViewVideos, Action::ExtractFrames],
        );
        assert!(
            matches!(app.overlay, Overlay::ExtractForm(_)),
            "{:?}",
            app.note
        );
        insta::assert_snapshot!(
            format!("extract_form_{w}x{h}"),
            stable(screen(&app, w, h), Some(tmp.path()))
        );
        // uniform, N = 3, Enter: the extraction runs and the project reloads.
        key(&mut app, &mut hl, KeyCode::Right, w, h);
        key(&mut app, &mut hl, KeyCode::Down, w, h);
        key(&mut app, &mut hl, KeyCode::Backspace, w, h);
        key(&mut app, &mut hl, KeyCode::Backspace, w, h);
        key(&mut app, &mut hl, KeyCode::Char('3'), w, h);
        key(&mut app, &mut hl, KeyCode::Enter, w, h);
        assert_eq!(app.overlay, Overlay::None);
        assert!(app.extraction.is_none());
        let note = app.note.clone().unwrap();
        assert!(
            note.1.starts_with("queued 3 frame(s) of walk_01"),
            "{note:?}"
        );
        assert_eq!(queue_lines(&proj).len(), 3);
        assert_eq!(app.data.n_queued, 3);
        // `a` on frame 1 (not labeled: the demo labels every third frame).
        act(&mut app, &mut hl, w, h, &[Action::Right, Action::AddFrame]);
        let q = queue_lines(&proj);
        assert_eq!(q.len(), 4, "{:?}", app.note);
        assert_eq!(
            q[3],
            r#"{"frame_path":"labeled-data/walk_01/img00000001.png","predictions":null}"#
        );
        assert!(proj.join("labeled-data/walk_01/img00000001.png").is_file());
        assert_eq!(app.data.n_queued, 4);
        // `A` without a model on the video: refused with a reason, nothing queued.
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::Right, Action::AddFrameWithPreds],
        );
        assert!(
            app.note
                .as_ref()
                .unwrap()
                .1
                .contains("no model predictions")
        );
        assert_eq!(queue_lines(&proj).len(), 4);
        // The Overview counts the queue.
        act(&mut app, &mut hl, w, h, &[Action::ViewOverview]);
        assert!(screen(&app, w, h).contains("labeling queue 4 frames to label"));
        // Labels: the queued frames first; N / P go between them.
        act(&mut app, &mut hl, w, h, &[Action::ViewLabels]);
        let queued: Vec<bool> = app.data.frames.iter().map(|f| f.queued).collect();
        assert_eq!(queued.iter().filter(|q| **q).count(), 4);
        assert!(queued[..4].iter().all(|q| *q) && !queued[4]);
        act(&mut app, &mut hl, w, h, &[Action::NextQueued]);
        assert_eq!(app.labels.selected, 1);
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::PrevQueued, Action::PrevQueued],
        );
        assert_eq!(app.labels.selected, 3);
        act(&mut app, &mut hl, w, h, &[Action::NextQueued]);
        assert_eq!(app.labels.selected, 0);
        insta::assert_snapshot!(
            format!("labels_queued_{w}x{h}"),
            stable(screen(&app, w, h), Some(tmp.path()))
        );
    }
}

#[test]
fn extract_form_refuses_outliers_without_a_model() {
    let (_tmp, proj) = demo("20");
    let (w, h) = (80, 24);
    let (mut app, mut hl) = open(&proj, w, h);
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::ViewVideos, Action::ExtractFrames],
    );
    key(&mut app, &mut hl, KeyCode::Left, w, h);
    key(&mut app, &mut hl, KeyCode::Enter, w, h);
    let Overlay::ExtractForm(form) = &app.overlay else {
        panic!("the form closed")
    };
    assert!(
        form.error
            .as_deref()
            .unwrap()
            .contains("outliers need a model")
    );
    assert!(queue_lines(&proj).is_empty());
}

/// Esc (and `c`) while an extraction runs cancels it: the extraction thread (held at its first
/// progress report until the key is pressed) stops at its next frame, the status bar says
/// so, no frame file and no queue entry are left, and the project reloads nothing new.
/// Every path under `dir`, sorted.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn an_extraction_canceled_from_the_videos_view_leaves_nothing() {
    use posedeck::tui::app::Effect;
    use posedeck::tui::state::extract_form::{ExtractMsg, run_blocking};
    for cancel_key in [KeyCode::Esc, KeyCode::Char('c')] {
        let (_tmp, proj) = demo("40");
        let before = files_under(&proj);
        let (w, h) = (120, 40);
        let (mut app, mut hl) = open(&proj, w, h);
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::ViewVideos, Action::ExtractFrames],
        );
        // uniform, N = 10: started, but carried out here on a thread of the test's own.
        key(&mut app, &mut hl, KeyCode::Right, w, h);
        app.handle(Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        ))));
        let (req, cancel) = app
            .take_effects()
            .into_iter()
            .find_map(|e| match e {
                Effect::Extract(r, c) => Some((r, c)),
                _ => None,
            })
            .expect("the extraction starts");
        assert!(app.extraction.is_some());
        let (tx, rx) = std::sync::mpsc::channel();
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(Some(gate_rx));
        let worker = std::thread::spawn(move || {
            run_blocking(&req, &cancel, move |m| {
                let first = matches!(m, ExtractMsg::Progress(_));
                let _ = tx.send(m);
                if first && let Some(g) = gate.lock().unwrap().take() {
                    let _ = g.recv();
                }
            })
        });
        let m = rx.recv().unwrap();
        assert!(matches!(m, ExtractMsg::Progress(_)), "{m:?}");
        app.handle(Msg::Extract(m));
        key(&mut app, &mut hl, cancel_key, w, h);
        assert!(
            screen(&app, w, h).contains("canceling"),
            "{}",
            screen(&app, w, h)
        );
        gate_tx.send(()).unwrap();
        worker.join().unwrap();
        let mut last = None;
        for m in rx.try_iter() {
            last = Some(m.clone());
            app.handle(Msg::Extract(m));
        }
        assert_eq!(last, Some(ExtractMsg::Canceled));
        hl.settle(&mut app, Rect::new(0, 0, w, h));
        assert!(app.extraction.is_none() && app.extract_cancel.is_none());
        let note = app.note.clone().unwrap().1;
        assert!(note.contains("extraction canceled"), "{note}");
        assert!(queue_lines(&proj).is_empty());
        assert_eq!(before, files_under(&proj), "no frame folder or file left");
        assert_eq!(app.data.n_queued, 0);
        // Nothing running: `c` says so.
        key(&mut app, &mut hl, KeyCode::Char('c'), w, h);
        assert!(
            app.note
                .clone()
                .unwrap()
                .1
                .contains("no extraction is running")
        );
    }
}

/// The live workstation in tmux: the extraction runs on a background thread, so while it
/// decodes test_vid.mp4 the keys still switch views at once; when it ends the Overview shows
/// the queue (the project reloads; the watcher sees the queue file).
#[test]
fn e2e_extraction_never_blocks_the_ui() {
    let data = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("mouse");
    std::fs::create_dir_all(p.join("videos")).unwrap();
    std::fs::copy(
        data.join("lp-mirror-mouse/CollectedData.csv"),
        p.join("CollectedData.csv"),
    )
    .unwrap();
    std::fs::copy(
        data.join("lp-mirror-mouse/videos/test_vid.mp4"),
        p.join("videos/test_vid.mp4"),
    )
    .unwrap();
    let cmd = format!("{} {}", env!("CARGO_BIN_EXE_posedeck"), p.display());
    let Some(t) = super::e2e::Tmux::start(&cmd, 120, 40) else {
        return;
    };
    t.wait_for("Labeled frames per video", 10.0)
        .expect("overview");
    t.keys(&["5"]);
    t.wait_for("video test_vid", 5.0).expect("videos view");
    t.keys(&["E"]);
    t.wait_for("extract frames to label", 3.0)
        .expect("the form");
    t.keys(&["Enter"]);
    t.wait_for("extracting:", 5.0)
        .expect("progress on the frame line");
    let queue = p.join("CollectedData.unlabeled.jsonl");
    let t0 = std::time::Instant::now();
    t.keys(&["1"]);
    let seen = t.wait_for("Labeled frames per video", 2.0);
    let running = !queue.exists();
    assert!(seen.is_ok(), "the UI did not switch views while extracting");
    eprintln!(
        "view switch during the extraction: {:?} (extraction still running: {running})",
        t0.elapsed()
    );
    t.wait_for("labeling queue 10 frames to label", 120.0)
        .expect("the Overview counts the queue");
    assert_eq!(std::fs::read_to_string(&queue).unwrap().lines().count(), 10);
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits");
}
