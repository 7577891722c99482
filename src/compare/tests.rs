use super::*;
use crate::formats::csv::MetricTable;

fn run(name: &str, cols: &[&str], rows: &[(&str, &[f64], &str)]) -> RunErrors {
    let t = MetricTable::new(
        cols.iter().map(|c| c.to_string()).collect(),
        rows.iter().map(|r| r.0.to_string()).collect(),
        rows.iter().flat_map(|r| r.1.iter().copied()).collect(),
        Some(rows.iter().map(|r| r.2.to_string()).collect()),
    )
    .unwrap();
    RunErrors {
        name: name.into(),
        dir: name.into(),
        csv: format!("{name}/predictions_pixel_error.csv").into(),
        table: t,
    }
}

#[test]
fn quantiles_agree_with_the_status_p90() {
    for n in 1..30usize {
        let v: Vec<f64> = (0..n).map(|i| ((i * 37) % 17) as f64 * 1.3).collect();
        let b = BoxStats::of(&v);
        let e = crate::project::metrics::ErrorStats::of(&v);
        assert_eq!(
            (b.median, b.p90, b.mean),
            (e.median, e.p90, e.mean),
            "n={n}"
        );
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        assert_eq!(b.p90, Some(quantile(&s, 0.9)));
        assert!(b.q1 <= b.median && b.median <= b.q3);
    }
    // pandas: pd.Series([1, 2, 3, 10]).quantile([.25, .75]) == [1.75, 4.75]
    let b = BoxStats::of(&[1.0, f64::NAN, 3.0, 2.0, 10.0]);
    assert_eq!((b.n, b.q1, b.q3), (4, Some(1.75), Some(4.75)));
    assert_eq!(BoxStats::of(&[f64::NAN]), BoxStats::default());
}

#[test]
fn differences_frames_and_order() {
    let a = run(
        "a",
        &["nose", "tail"],
        &[
            ("f1", &[1.0, 3.0], "train"),
            ("f2", &[2.0, f64::NAN], "train"),
            ("f3", &[5.0, 5.0], "test"),
            ("f4", &[1.0, 1.0], "test"),
        ],
    );
    // Columns in another order; f4 missing; f5 only in b.
    let b = run(
        "b",
        &["tail", "nose"],
        &[
            ("f1", &[3.0, 1.0], "train"),
            ("f2", &[f64::NAN, 12.0], "train"),
            ("f3", &[1.0, 1.0], "test"),
            ("f5", &[1.0, 1.0], "test"),
        ],
    );
    let c = Comparison::of(&[a.clone(), b]).unwrap();
    assert_eq!(c.sets, ["train", "test", "all"]);
    assert_eq!(c.keypoints, ["nose", "tail"]);
    let nose = &c.per_keypoint[0].sets["train"];
    assert_eq!(nose.runs[0].median, Some(1.5));
    assert_eq!(nose.runs[1].median, Some(6.5));
    assert_eq!(nose.diff[0].median, Some(5.0));
    let p = &c.pairs[0];
    assert_eq!((p.only_a, p.only_b, p.no_error), (1, 1, 0));
    let top: Vec<(&str, f64)> = p
        .top(ALL, 10)
        .iter()
        .map(|f| (f.frame.as_str(), f.diff()))
        .collect();
    assert_eq!(top, [("f2", 10.0), ("f3", -4.0), ("f1", 0.0)]);
    assert_eq!(p.top("test", 10).len(), 1);
    // nose |diff| train 5, tail 0.
    assert_eq!(c.order("train", KeypointSort::Diff), [0, 1]);
    assert_eq!(c.order("test", KeypointSort::Error), [0, 1]);

    let other = run("c", &["nose", "ear"], &[("f1", &[1.0, 1.0], "train")]);
    let e = Comparison::of(&[a, other]).unwrap_err().to_string();
    assert!(
        e.starts_with("c/predictions_pixel_error.csv: keypoints differ"),
        "{e}"
    );
    assert!(e.contains("only here: ear; missing here: tail"), "{e}");
}
