//! The workstation on the 100-run benchmark project (`posedeck::demo::bench_project`, seed 0;
//! 300 labeled frames so that it is generated in a second): the Curves dashboard with 100
//! runs overlaid, the enlarged validation loss, and Compare on two of its completed runs,
//! drawn at 80x24 and 160x48 (insta snapshots). Compare's numbers are checked against the
//! runs' pixel-error CSVs read independently.

use super::{SIZES, act, open};
use posedeck::demo::{BenchSpec, bench_project};
use posedeck::tui::action::Action;
use posedeck::tui::headless::screen;

/// The generated project at `/tmp/pdXXXXXX/bench` (a path of fixed length, masked).
fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("pd")
        .rand_bytes(6)
        .tempdir_in("/tmp")
        .unwrap();
    let root = tmp.path().join("bench");
    let spec = BenchSpec {
        labeled_frames: 300,
        videos: 4,
        keypoints: 6,
        ..BenchSpec::default()
    };
    assert_eq!(spec.runs, 100);
    bench_project(&root, &spec).unwrap();
    (tmp, root)
}

#[test]
fn bench_project_curves_grid_enlarged_chart_and_compare() {
    let (tmp, root) = project();
    let m = |s: String| super::mask(s, tmp.path());
    for (w, h) in SIZES {
        let (mut app, mut hl) = open(&root, w, h);
        assert!(app.data.error.is_none(), "{:?}", app.data.error);
        assert_eq!(app.data.runs.len(), 100);
        act(&mut app, &mut hl, w, h, &[Action::ViewCurves]);
        assert!(app.curves.grid);
        let s = m(screen(&app, w, h));
        assert!(s.contains("loss"), "{s}");
        insta::assert_snapshot!(format!("bench_curves_grid_{w}x{h}"), s);
        posedeck::tui::input::set_filter(&mut app, "val_supervised_loss");
        act(&mut app, &mut hl, w, h, &[Action::Select]);
        assert!(!app.curves.grid, "Enter enlarges the chart");
        let s = m(screen(&app, w, h));
        insta::assert_snapshot!(format!("bench_curves_enlarged_{w}x{h}"), s);
        act(&mut app, &mut hl, w, h, &[Action::Back]);
        posedeck::tui::input::set_filter(&mut app, "");

        // Compare: mark the first two completed runs of the Models table.
        act(&mut app, &mut hl, w, h, &[Action::ViewModels]);
        let rows = posedeck::tui::state::models::rows(&app.models, &app.data.runs);
        let done: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.pixel_error.contains_key("validation"))
            .map(|(i, _)| i)
            .take(2)
            .collect();
        assert_eq!(done.len(), 2);
        let mut keys = vec![Action::Top];
        let mut at = 0;
        for &i in &done {
            keys.extend(std::iter::repeat_n(Action::Down, i - at));
            keys.push(Action::DiffMark);
            at = i;
        }
        keys.push(Action::CompareRuns);
        act(&mut app, &mut hl, w, h, &keys);
        let st = app.models.compare.as_ref().expect("compare open");
        let c = st.comparison().expect("compared");
        // The pooled validation median of each run equals the CSV's, computed here.
        for (k, (_, dir)) in st.runs.iter().enumerate() {
            let t =
                posedeck::formats::csv::MetricTable::read(&dir.join("predictions_pixel_error.csv"))
                    .unwrap();
            let mut v: Vec<f64> = (0..t.n_rows())
                .filter(|&r| t.set_of(r) == Some("validation"))
                .flat_map(|r| t.row(r).unwrap().to_vec())
                .filter(|x| !x.is_nan())
                .collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let med = if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            };
            let got = c.pooled["validation"].runs[k].median.unwrap();
            assert!((got - med).abs() < 1e-9, "run {k}: {got} vs {med}");
        }
        let s = m(screen(&app, w, h));
        assert!(s.contains("compare A "), "{s}");
        insta::assert_snapshot!(format!("bench_compare_{w}x{h}"), s);
    }
}
