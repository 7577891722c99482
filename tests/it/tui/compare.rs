//! The Compare view on the mirror-mouse project with the real runs and `shifted`, a copy of
//! tiny_cpu_model whose pixel errors are shifted by a known amount per frame
//! (`crate::compare::shift`): box plots per keypoint, the braille scatter of A against B and
//! the most-disagreeing frames, drawn at 80x24 and 160x48 (insta snapshots).

use super::{SIZES, act, copy_dir, mask, mirror_project, open};
use crate::compare::{CSV, read, shift, write};
use crate::shared_or_skip;
use posedeck::tui::action::Action;
use posedeck::tui::headless::screen;

/// The mirror-mouse project with `models/shifted`: tiny_cpu_model's copy whose pixel errors
/// are shifted by `shift(frame)`; (its folder, the root, tiny_cpu_model's error table).
fn with_shifted(
    data: &std::path::Path,
) -> (tempfile::TempDir, std::path::PathBuf, crate::compare::Table) {
    let (tmp, root) = mirror_project(data);
    let a = root.join("models/tiny_cpu_model");
    let b = root.join("models/shifted");
    copy_dir(&a, &b);
    let ta = read(&a.join(CSV));
    let mut tb = ta.clone();
    for (i, r) in tb.1.iter_mut().enumerate() {
        for v in &mut r.1 {
            *v += shift(i);
        }
    }
    write(&b.join(CSV), &tb);
    (tmp, root, ta)
}

#[test]
fn compare_view_box_plots_scatter_and_frames() {
    let data = shared_or_skip!();
    let (tmp, root, ta) = with_shifted(&data);
    let a = root.join("models/tiny_cpu_model");
    // The validation frame with the largest shift: the first of the list.
    let top_val = (0..ta.1.len())
        .filter(|&i| ta.1[i].2 == "validation")
        .max_by(|&x, &y| shift(x).total_cmp(&shift(y)))
        .unwrap();
    let top_name = ta.1[top_val].0.rsplit('/').next().unwrap().to_owned();

    for (w, h) in SIZES {
        let (mut app, mut hl) = open(&root, w, h);
        act(&mut app, &mut hl, w, h, &[Action::ViewModels]);
        // Nothing marked: a message says how to mark.
        act(&mut app, &mut hl, w, h, &[Action::CompareRuns]);
        assert!(app.models.compare.is_none());
        assert!(app.note.as_ref().is_some_and(|n| n.1.contains("mark")));
        // Runs by name: app_style_model, app_style_model_midtraining, shifted, tiny_cpu_model.
        // Mark tiny_cpu_model, select shifted, compare.
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[
                Action::Bottom,
                Action::DiffMark,
                Action::Up,
                Action::CompareRuns,
            ],
        );
        let st = app.models.compare.as_ref().expect("compare open");
        let names: Vec<&str> = st.runs.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["tiny_cpu_model", "shifted"]);
        let c = st.comparison().expect("compared");
        assert_eq!(c.pairs[0].frames.len(), 90);
        assert_eq!(st.set, "validation");
        let s = mask(screen(&app, w, h), tmp.path());
        assert!(s.contains("compare A tiny_cpu_model vs B shifted"), "{s}");
        assert!(s.contains("all keypoints") && s.contains('┃'), "{s}");
        assert!(
            s.chars().any(|ch| ('\u{2801}'..='\u{28ff}').contains(&ch)),
            "braille scatter:\n{s}"
        );
        assert!(s.contains(&top_name), "{top_name} listed first:\n{s}");
        insta::assert_snapshot!(format!("lp_compare_{w}x{h}"), s);

        // s: the next set; d: by difference (the keypoint with the largest |B-A| first).
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::CycleSet, Action::SortDiff],
        );
        let st = app.models.compare.as_ref().unwrap();
        assert_eq!(st.set, "test");
        let c = st.comparison().unwrap();
        let order = c.order("test", st.sort());
        let d = |i: usize| c.per_keypoint[i].sets["test"].diff[0].median.unwrap().abs();
        assert!(order.windows(2).all(|w| d(w[0]) >= d(w[1])));
        let s = mask(screen(&app, w, h), tmp.path());
        assert!(s.contains("set: test  sort: |B-A| median"), "{s}");
        let first = &c.per_keypoint[order[0]].keypoint;
        let pooled = s.lines().position(|l| l.contains("all keypoints")).unwrap();
        let next = s
            .lines()
            .skip(pooled + 1)
            .find(|l| l.contains(first.as_str()));
        assert!(next.is_some(), "{first} under the pooled row:\n{s}");
        insta::assert_snapshot!(format!("lp_compare_test_by_diff_{w}x{h}"), s);

        // Esc: back to the table, the marks kept.
        act(&mut app, &mut hl, w, h, &[Action::Back]);
        assert!(app.models.compare.is_none());
        assert_eq!(app.models.marked.len(), 1);
        assert_eq!(app.models.marked[0], a);
        assert!(screen(&app, w, h).contains("● tiny_cpu_model"));
    }
}

#[test]
fn compare_view_shows_a_missing_file_in_place() {
    let data = shared_or_skip!();
    let (tmp, root) = mirror_project(&data);
    let (w, h) = (80, 24);
    let (mut app, mut hl) = open(&root, w, h);
    // Mark the mid-training run (no pixel errors) and app_style_model: two marks.
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::ViewModels,
            Action::DiffMark,
            Action::Down,
            Action::DiffMark,
            Action::CompareRuns,
        ],
    );
    let st = app.models.compare.as_ref().expect("open");
    assert_eq!(st.runs.len(), 2);
    assert!(matches!(&st.result, Some(Err(e)) if e.contains("predictions_pixel_error.csv")));
    let s = mask(screen(&app, w, h), tmp.path());
    assert!(s.contains("missing"), "{s}");
    // Unmarking one leaves one mark: compare then needs another selected run.
    act(&mut app, &mut hl, w, h, &[Action::Back, Action::DiffMark]);
    assert_eq!(app.models.marked.len(), 1);
}

/// `f` moves the keys to the frames list, Enter opens the selected frame in Labels with run
/// A's predictions drawn and run B's beside them; with three runs `b` makes C the scatter's B.
#[test]
fn compare_opens_a_disagreeing_frame_in_labels_with_both_runs() {
    let data = shared_or_skip!();
    let (tmp, root, _) = with_shifted(&data);
    let a = root.join("models/tiny_cpu_model");
    let (w, h) = (160, 48);
    let (mut app, mut hl) = open(&root, w, h);
    // Runs by name: app_style_model, app_style_model_midtraining, shifted, tiny_cpu_model.
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::ViewModels,
            Action::Bottom,
            Action::DiffMark,
            Action::Up,
            Action::CompareRuns,
            Action::FocusFrames,
            Action::Down,
        ],
    );
    let st = app.models.compare.as_ref().expect("compare open");
    let listed: Vec<String> = st
        .shown_pair()
        .unwrap()
        .top(&st.set, 10)
        .iter()
        .map(|f| f.frame.clone())
        .collect();
    let s = mask(screen(&app, w, h), tmp.path());
    assert!(s.contains("most disagreeing frames (Enter: open)"), "{s}");
    // Only two runs: b says so and changes nothing.
    act(&mut app, &mut hl, w, h, &[Action::NextPair]);
    assert!(app.note.as_ref().is_some_and(|n| n.1.contains("mark more")));
    assert_eq!(app.models.compare.as_ref().unwrap().pair, 0);

    act(&mut app, &mut hl, w, h, &[Action::Select]);
    assert_eq!(app.view, posedeck::tui::app::View::Labels);
    let cur = posedeck::tui::state::labels::current(&app).expect("a frame");
    assert_eq!(
        app.data.frames[cur].image, listed[1],
        "the second listed frame"
    );
    let (csv, preds) = app.labels.preds.as_ref().expect("run A's predictions");
    assert!(csv.starts_with(&a), "{}", csv.display());
    assert!(preds.is_ok());
    let second = app.labels.second.as_ref().expect("run B beside");
    assert_eq!(second.name, "shifted");
    assert!(second.csv.starts_with(root.join("models/shifted")));
    assert!(matches!(second.preds, Some(Ok(_))));
    let s = mask(screen(&app, w, h), tmp.path());
    assert!(
        s.contains("○ tiny_cpu_model red lines ◌ shifted blue lines"),
        "{s}"
    );
    assert!(s.contains("err A  err B"), "{s}");
    // The next model (m) drops the comparison's second model.
    act(&mut app, &mut hl, w, h, &[Action::NextModel]);
    assert!(app.labels.second.is_none());

    // Three runs: A = app_style_model, B = shifted, C = tiny_cpu_model; b shows A vs C.
    act(
        &mut app,
        &mut hl,
        w,
        h,
        &[
            Action::ViewModels,
            Action::Back,
            Action::Top,
            Action::DiffMark,
            Action::Down,
            Action::Down,
            Action::DiffMark,
            Action::CompareRuns,
        ],
    );
    let st = app.models.compare.as_ref().expect("compare open");
    assert_eq!(st.runs.len(), 3, "{:?}", st.runs);
    let s = screen(&app, w, h);
    assert!(s.contains("scatter: A vs B") && s.contains("y B,"), "{s}");
    act(&mut app, &mut hl, w, h, &[Action::NextPair]);
    assert_eq!(app.models.compare.as_ref().unwrap().pair, 1);
    let s = screen(&app, w, h);
    assert!(s.contains("scatter: A vs C") && s.contains("y C,"), "{s}");
    act(&mut app, &mut hl, w, h, &[Action::NextPair]);
    assert_eq!(app.models.compare.as_ref().unwrap().pair, 0);
}
