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

#[test]
fn extract_form_queue_and_labels_view() {
    for (w, h) in SIZES {
        let tmp = tempfile::tempdir().unwrap();
        let proj = tmp.path().join("demo");
        let (code, _, err) = crate::common::run_posedeck(&[
            "demo",
            "--no-tui",
            "--dir",
            proj.to_str().unwrap(),
            "--frames",
            "40",
        ]);
        assert_eq!(code, 0, "{err}");
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
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("demo");
    let (code, _, err) = crate::common::run_posedeck(&[
        "demo",
        "--no-tui",
        "--dir",
        proj.to_str().unwrap(),
        "--frames",
        "20",
    ]);
    assert_eq!(code, 0, "{err}");
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
