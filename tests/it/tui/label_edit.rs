//! Edit mode of the Labels view, headless: snapshots (cursor, selected keypoint, unwritten
//! edits, the conflict prompt) at 80x24 and 160x48 on a copy of the mirror-mouse project, and
//! the same edits on SLEAP files through real key events, checked with sleap-io.

use super::{SIZES, act, open};
use crate::{peers_or_skip, shared_or_skip};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use posedeck::tui::action::Action;
use posedeck::tui::app::App;
use posedeck::tui::headless::{Headless, screen};
use posedeck::tui::msg::Msg;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};

/// A copy of lp-mirror-mouse at `/tmp/pdXXXXXX/mirror-mouse`.
pub fn lp_copy(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("pd")
        .rand_bytes(6)
        .tempdir_in("/tmp")
        .unwrap();
    let root = tmp.path().join("mirror-mouse");
    super::copy_dir(&data.join("lp-mirror-mouse"), &root);
    (tmp, root)
}

fn snap(app: &App, tmp: &Path, name: &str, w: u16, h: u16) {
    let s = super::mask(screen(app, w, h), tmp);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), s);
}

#[test]
fn label_edit_snapshots() {
    let data = shared_or_skip!();
    for (w, h) in SIZES {
        let (tmp, root) = lp_copy(&data);
        let (mut app, mut hl) = open(&root, w, h);
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::ViewLabels, Action::EditLabels],
        );
        assert!(app.edit.is_some(), "{:?}", app.note);
        assert!(app.image.as_ref().is_some_and(|i| i.result.is_ok()));
        snap(&app, tmp.path(), "label_edit_start", w, h);
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[
                Action::KeypointNext,
                Action::CursorRight,
                Action::CursorRight,
                Action::CursorDownFar,
            ],
        );
        snap(&app, tmp.path(), "label_edit_cursor", w, h);
        act(&mut app, &mut hl, w, h, &[Action::PlaceKeypoint]);
        let s = screen(&app, w, h);
        assert!(s.contains("unwritten"), "{s}");
        snap(&app, tmp.path(), "label_edit_unwritten", w, h);
        // Someone else labels img01 meanwhile: the write is refused, the frame listed.
        let csv = root.join("CollectedData.csv");
        let theirs = std::fs::read_to_string(&csv)
            .unwrap()
            .replacen("77.25,36.25", "70.0,30.0", 1);
        std::fs::write(&csv, &theirs).unwrap();
        act(&mut app, &mut hl, w, h, &[Action::WriteLabels]);
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), theirs);
        snap(&app, tmp.path(), "label_edit_conflict", w, h);
        assert_eq!(app.context().0, "label-conflict");
    }
}

#[test]
fn context_frames_brightness_and_contrast_are_display_only() {
    let data = shared_or_skip!();
    let (_tmp, root) = lp_copy(&data);
    let (w, h) = (120, 40);
    let (mut app, mut hl) = open(&root, w, h);
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::ViewLabels, Action::EditLabels],
    );
    let body = posedeck::tui::views::body_rect(Rect::new(0, 0, w, h));
    let source = |app: &App| match posedeck::tui::frames::request(
        app,
        body,
        ratatui_image::picker::ProtocolType::Halfblocks,
    )
    .unwrap()
    .source
    {
        posedeck::tui::data::FrameSource::File(p) => {
            p.file_name().unwrap().to_string_lossy().into_owned()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(source(&app), "img01.png");
    act(&mut app, &mut hl, w, h, &[Action::ContextNext]);
    assert_eq!(source(&app), "img02.png");
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::ContextPrev, Action::ContextPrev],
    );
    assert_eq!(source(&app), "img00.png", "the context frame before img01");
    // img-1 does not exist: the view stays at -1 and says so.
    act(&mut app, &mut hl, w, h, &[Action::ContextPrev]);
    assert_eq!(app.edit.as_ref().unwrap().context, -1);
    assert!(format!("{:?}", app.note).contains("no context frame -2"));
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::BrightnessUp, Action::ContrastUp, Action::ContrastUp],
    );
    let req =
        posedeck::tui::frames::request(&app, body, ratatui_image::picker::ProtocolType::Halfblocks)
            .unwrap();
    assert!((req.look.brightness - 0.1).abs() < 1e-6 && (req.look.contrast - 0.4).abs() < 1e-6);
    assert!(app.image.as_ref().is_some_and(|i| i.result.is_ok()));
    assert!(!app.edit.as_ref().unwrap().doc.unwritten(), "display only");
    // Esc leaves at once (nothing to write).
    act(&mut app, &mut hl, w, h, &[Action::Back]);
    assert!(app.edit.is_none());
}

fn key(app: &mut App, hl: &mut Headless, code: KeyCode, mods: KeyModifiers) {
    app.handle(Msg::Input(Event::Key(KeyEvent::new(code, mods))));
    hl.settle(app, Rect::new(0, 0, 120, 40));
}

fn keys(app: &mut App, hl: &mut Headless, s: &str) {
    for c in s.chars() {
        key(app, hl, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// Runs a sleap-io script on the written file; prints JSON.
const SLEAP_CHECK: &str = r#"
import json, sys, sleap_io as sio, h5py, numpy as np
labels = sio.load_slp(sys.argv[1])
lf = labels.labeled_frames[0]
users = [i.numpy().tolist() for i in lf.user_instances]
same = None
if len(sys.argv) > 2:
    with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b:
        rows = lambda d: [np.asarray(x).tobytes() for x in d[:]]
        same = all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and rows(a[k]) == rows(b[k])
                   for k in ["video0/video", "video0/frame_numbers"])
print(json.dumps({"users": users, "embedded_same": same}).replace("NaN", "null"))
"#;

#[test]
fn slp_edits_move_hide_delete_add_then_write() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    for name in ["minimal_instance.pkg.slp", "minimal_instance.slp"] {
        let dir = tempfile::tempdir().unwrap();
        let orig = data.join("slp").join(name);
        let slp = dir.path().join(name);
        std::fs::copy(&orig, &slp).unwrap();
        let (mut app, mut hl) = open(&slp, 120, 40);
        act(&mut app, &mut hl, 120, 40, &[Action::ViewLabels]);
        keys(&mut app, &mut hl, "e");
        assert!(app.edit.is_some(), "{:?}", app.note);
        let start = app.edit.as_ref().unwrap().cursor;
        assert!((start.0 - 92.652208).abs() < 1e-6 && (start.1 - 202.725978).abs() < 1e-6);
        // Node A five pixels right; node B not visible; the second instance deleted; a new
        // instance with B placed at the cursor.
        keys(&mut app, &mut hl, "lllll");
        key(&mut app, &mut hl, KeyCode::Enter, KeyModifiers::NONE);
        key(&mut app, &mut hl, KeyCode::Tab, KeyModifiers::NONE);
        keys(&mut app, &mut hl, "x");
        keys(&mut app, &mut hl, "oD");
        keys(&mut app, &mut hl, "a");
        keys(&mut app, &mut hl, "jjj");
        key(&mut app, &mut hl, KeyCode::Enter, KeyModifiers::NONE);
        let cursor = app.edit.as_ref().unwrap().cursor;
        let moved_x = start.0 + 1.0 + 1.0 + 1.0 + 1.0 + 1.0;
        assert!(screen(&app, 120, 40).contains("unwritten"));
        keys(&mut app, &mut hl, "w");
        let note = format!("{:?}", app.note);
        assert!(note.contains("wrote"), "{note}");
        // The backup is the original, byte for byte.
        let backups: Vec<_> = std::fs::read_dir(dir.path().join(".posedeck-backup"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(backups.len(), 1);
        assert_eq!(
            std::fs::read(&backups[0]).unwrap(),
            std::fs::read(&orig).unwrap()
        );
        let pkg = name.ends_with(".pkg.slp");
        let mut args = vec![slp.to_str().unwrap()];
        if pkg {
            args.push(orig.to_str().unwrap());
        }
        let out = crate::common::run_python(&py, SLEAP_CHECK, &args);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let users = v["users"].as_array().unwrap();
        assert_eq!(users.len(), 2, "{out}");
        assert_eq!(users[0][0][0].as_f64(), Some(moved_x), "{out}");
        assert_eq!(users[0][0][1].as_f64(), Some(start.1), "{out}");
        assert!(users[0][1][0].is_null(), "B not visible: {out}");
        assert!(users[1][0][0].is_null(), "{out}");
        assert_eq!(users[1][1][0].as_f64(), Some(cursor.0), "{out}");
        assert_eq!(users[1][1][1].as_f64(), Some(cursor.1), "{out}");
        if pkg {
            assert_eq!(v["embedded_same"], true, "embedded frames survive: {out}");
            // And as posedeck reads them: the stored image bytes, unchanged.
            let a = posedeck::formats::slp::read_slp(&orig).unwrap();
            let b = posedeck::formats::slp::read_slp(&slp).unwrap();
            let emb = |f: &posedeck::formats::slp::SlpFile| {
                f.labels.videos[0].embedded.as_ref().unwrap().frames.clone()
            };
            assert_eq!(emb(&a), emb(&b));
        }
        // Undo everything: the labels are the file's as read again, exactly.
        keys(&mut app, &mut hl, "uuuuu");
        let a = posedeck::labels::Labels::load_file(&orig).unwrap().labels;
        let edit = app.edit.as_ref().unwrap();
        assert!(edit.doc.unwritten(), "differs from the file just written");
        match &edit.doc {
            posedeck::tui::state::label_doc::Doc::Slp { doc, .. } => assert!(
                doc.labels.labeled_frames == a.labeled_frames,
                "undo restores every point exactly"
            ),
            _ => panic!("an .slp document"),
        }
        // Redo all: the file as written; Esc leaves without asking.
        for _ in 0..5 {
            key(&mut app, &mut hl, KeyCode::Char('r'), KeyModifiers::CONTROL);
        }
        assert!(!app.edit.as_ref().unwrap().doc.unwritten());
        key(&mut app, &mut hl, KeyCode::Esc, KeyModifiers::NONE);
        assert!(app.edit.is_none());
    }
}

/// This thread's CPU time in ms.
fn thread_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

/// The bytes a protocol puts into the terminal when drawn at `area`.
fn drawn_bytes(p: &ratatui_image::protocol::Protocol, area: Rect) -> usize {
    use ratatui::widgets::Widget;
    let mut buf = ratatui::buffer::Buffer::empty(area);
    ratatui_image::Image::new(p).render(area, &mut buf);
    buf.content().iter().map(|c| c.symbol().len()).sum()
}

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
}

/// The cost of one cursor step on screen with sixel and kitty at 160x48 (what the image
/// worker does off the UI thread after each key), the way the live worker does it: the base
/// frame stays on screen and a step encodes only the crosshair's patch. Against the same
/// step encoded whole (the frame re-marked and re-encoded), in the same run; wall and CPU
/// time, and the bytes sent to the terminal. (That base and patches show exactly what the
/// whole image would: `tui::image::patch`'s unit test.)
#[test]
fn edit_cursor_step_encode_time_sixel_kitty_160x48() {
    use posedeck::tui::image::{Encoded, encode, encode_step};
    use posedeck::tui::msg::Msg;
    use ratatui_image::picker::ProtocolType;
    let data = shared_or_skip!();
    let (_tmp, root) = lp_copy(&data);
    let (w, h) = (160, 48);
    let (mut app, mut hl) = open(&root, w, h);
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[Action::ViewLabels, Action::EditLabels],
    );
    let body = posedeck::tui::views::body_rect(Rect::new(0, 0, w, h));
    let (_, area, _) = posedeck::tui::frames::labels_layout(body);
    for proto in [ProtocolType::Sixel, ProtocolType::Kitty] {
        let mut picker = posedeck::tui::image::halfblocks_picker();
        picker.set_protocol_type(proto);
        let mut cache = posedeck::tui::image::Cache::default();
        let (mut full_ms, mut full_cpu, mut step_ms, mut step_cpu) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut full_bytes, mut step_bytes) = (0, Vec::new());
        let mut g = 0;
        for i in 0..41 {
            app.run(Action::CursorRight);
            if i % 10 == 9 {
                // Now and then a far step (H J K L: ten pixels).
                app.run(Action::CursorDownFar);
            }
            let req = posedeck::tui::frames::request(&app, body, proto).unwrap();
            assert_eq!(req.look.cursor, Some(app.edit.as_ref().unwrap().cursor));
            // Encoded whole, as a fresh cache would.
            let mut fresh = posedeck::tui::image::Cache::default();
            let _ = encode(&picker, &mut fresh, 0, &req); // decode and scale once
            let (t0, c0) = (std::time::Instant::now(), thread_cpu_ms());
            let r = encode(&picker, &mut fresh, 0, &req);
            full_ms.push(t0.elapsed().as_secs_f64() * 1e3);
            full_cpu.push(thread_cpu_ms() - c0);
            full_bytes = drawn_bytes(r.result.as_ref().unwrap(), area)
                + r.patch.as_ref().map_or(0, |p| {
                    let a = p.area;
                    drawn_bytes(&p.protocol, Rect::new(area.x + a.x, area.y + a.y, a.w, a.h))
                });
            // The live worker's step.
            g += 1;
            app.image_gen = g;
            let (t0, c0) = (std::time::Instant::now(), thread_cpu_ms());
            let e = encode_step(&picker, &mut cache, g, &req);
            let (ms, cpu) = (t0.elapsed().as_secs_f64() * 1e3, thread_cpu_ms() - c0);
            match e {
                Encoded::Full(r) => {
                    assert!(r.result.is_ok() && r.patch.is_some());
                    assert!(i == 0, "step {i} was encoded whole");
                    app.handle(Msg::Image(Box::new(r)));
                }
                Encoded::Patch(p) => {
                    step_ms.push(ms);
                    step_cpu.push(cpu);
                    let a = p.patch.area;
                    step_bytes.push(drawn_bytes(
                        &p.patch.protocol,
                        Rect::new(area.x + a.x, area.y + a.y, a.w, a.h),
                    ));
                    assert!(app.handle(Msg::ImagePatch(Box::new(p))), "patch applied");
                }
            }
        }
        let (fm, fp) = stats(&mut full_ms);
        let (fcm, fcp) = stats(&mut full_cpu);
        let (sm, sp) = stats(&mut step_ms);
        let (scm, scp) = stats(&mut step_cpu);
        step_bytes.sort_unstable();
        eprintln!(
            "MEASURED edit cursor step, {proto:?} 160x48 (10x20 px cells), {} steps: whole re-encode median {fm:.1} ms p90 {fp:.1} ms (CPU {fcm:.1} / {fcp:.1} ms), {full_bytes} bytes; patch median {sm:.2} ms p90 {sp:.2} ms (CPU {scm:.2} / {scp:.2} ms), median {} bytes",
            step_ms.len(),
            step_bytes[step_bytes.len() / 2]
        );
        assert!(step_ms.len() == 40);
        assert!(
            step_bytes[step_bytes.len() / 2] * 20 < full_bytes,
            "a patch is small"
        );
    }
}

/// A queued frame (from `labels extract`) is listed first, edit mode gives it a row in
/// CollectedData.csv, and writing moves it out of the labeling queue.
#[test]
fn labeling_a_queued_frame_moves_it_from_the_queue_into_the_csv() {
    let data = shared_or_skip!();
    let (w, h) = SIZES[0];
    let (_tmp, root) = lp_copy(&data);
    let (code, _, err) = crate::common::run_posedeck(&[
        "labels",
        "extract",
        root.to_str().unwrap(),
        "--video",
        "test_vid",
        "--method",
        "manual",
        "--frames",
        "10,20",
    ]);
    assert_eq!(code, 0, "{err}");
    let queue = root.join("CollectedData.unlabeled.jsonl");
    let lines = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&queue).len(), 2);
    let (mut app, mut hl) = open(&root, w, h);
    act(&mut app, &mut hl, w, h, &[Action::ViewLabels]);
    let first = app.data.frames.first().expect("frames");
    assert!(first.queued, "queued frames first: {}", first.image);
    assert_eq!(first.image, "labeled-data/test_vid/img00000010.png");
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::EditLabels,
            Action::PlaceKeypoint,
            Action::WriteLabels,
        ],
    );
    assert!(app.edit.is_some(), "{:?}", app.note);
    let csv = std::fs::read_to_string(root.join("CollectedData.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("labeled-data/test_vid/img00000010.png,"))
        .unwrap_or_else(|| panic!("no row for the queued frame:\n{csv}"));
    assert!(
        row.split(',').skip(1).any(|c| !c.is_empty()),
        "placed keypoint written: {row}"
    );
    let left = lines(&queue);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("img00000020.png"), "{left:?}");
}
