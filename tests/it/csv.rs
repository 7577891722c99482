//! Lightning Pose CSVs: the real files read as pandas reads them, pandas reads what posedeck
//! writes (and writes the same bytes), round trips are exact, and bad input gives an error
//! naming the file and line, never a panic.

use crate::common::run_python;
use crate::{peers_or_skip, shared_or_skip};
use posedeck::formats::csv::{MetricTable, PoseTable, video_of};
use std::path::{Path, PathBuf};

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn assert_same_pose(a: &PoseTable, b: &PoseTable) {
    assert_eq!(a.scorer, b.scorer);
    assert_eq!(a.keypoints, b.keypoints);
    assert_eq!(a.coords, b.coords);
    assert_eq!(a.index, b.index);
    assert_eq!(a.set, b.set);
    assert!(same_bits(&a.values, &b.values), "values differ");
}

fn is_metric(p: &Path) -> bool {
    let n = p.file_name().unwrap().to_string_lossy();
    n.ends_with("_error.csv") || n.ends_with("_temporal_norm.csv")
}

/// Every `*.csv` file (not directory) under a folder, sorted.
fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "csv") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn collected_data_mirror_mouse() {
    let data = shared_or_skip!();
    let t = PoseTable::read(&data.join("lp-mirror-mouse/CollectedData.csv")).unwrap();
    assert_eq!(t.scorer, "rick");
    assert_eq!(t.n_rows(), 90);
    assert_eq!(t.n_keypoints(), 17);
    assert_eq!(t.coords, ["x", "y"]);
    assert_eq!(t.set, None);
    assert_eq!(t.nan_cells(), 268);
    assert_eq!(t.rows_with_missing(), 48);
    assert_eq!(t.keypoints[0], "paw1LH_top");
    assert_eq!(t.keypoints[16], "obsLow_bot");
    assert_eq!(t.index[0], "labeled-data/img01.png");
    assert_eq!(t.value(0, 0, 0), Some(77.25));
    assert_eq!(t.value(0, 1, 1), Some(101.900392541708));
    let videos = t.videos();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0].video, None);
    assert_eq!(videos[0].rows.len(), 90);
}

#[test]
fn video_grouping_of_index_paths() {
    assert_eq!(
        video_of("labeled-data/mouse1/img00000012.png"),
        Some("mouse1")
    );
    assert_eq!(video_of("labeled-data/img01.png"), None);
    assert_eq!(video_of("labeled-data\\m2\\img1.png"), Some("m2"));
    let t = PoseTable::new(
        "s",
        vec!["a".into()],
        vec!["x".into(), "y".into()],
        vec![
            "labeled-data/v1/img1.png".into(),
            "labeled-data/v2/img1.png".into(),
            "labeled-data/v1/img2.png".into(),
            "labeled-data/img3.png".into(),
        ],
        vec![1.0; 8],
        None,
    )
    .unwrap();
    let v = t.videos();
    assert_eq!(v.len(), 3);
    assert_eq!(
        (v[0].video.as_deref(), &v[0].rows[..]),
        (Some("v1"), &[0, 2][..])
    );
    assert_eq!(
        (v[1].video.as_deref(), &v[1].rows[..]),
        (Some("v2"), &[1][..])
    );
    assert_eq!((v[2].video.as_deref(), &v[2].rows[..]), (None, &[3][..]));
}

#[test]
fn real_predictions_and_metrics_shapes() {
    let data = shared_or_skip!();
    let m = data.join("lp-real-model/tiny_cpu_model");
    let p = PoseTable::read(&m.join("predictions.csv")).unwrap();
    assert_eq!(p.scorer, "heatmap_tracker");
    assert_eq!(p.coords, ["x", "y", "likelihood"]);
    assert_eq!(p.n_rows(), 90);
    assert_eq!(p.nan_cells(), 0);
    let set = p.set.as_ref().unwrap();
    assert!(
        set.iter()
            .all(|s| ["train", "validation", "test"].contains(&s.as_str()))
    );
    let v = PoseTable::read(&m.join("video_preds/test_vid.csv")).unwrap();
    assert_eq!(v.n_rows(), 994);
    assert_eq!(v.frame_numbers().unwrap(), (0..994).collect::<Vec<u64>>());
    assert_eq!(v.set, None);
    let e = MetricTable::read(&m.join("predictions_pixel_error.csv")).unwrap();
    assert_eq!(e.columns.len(), 17);
    assert_eq!(e.n_rows(), 90);
    assert!(e.set.is_some());
    let tn = MetricTable::read(&m.join("video_preds/test_vid_temporal_norm.csv")).unwrap();
    assert_eq!(tn.set, None);
    assert_eq!(tn.n_rows(), 994);
    assert!(tn.row(0).unwrap().iter().all(|v| v.is_nan()));
    assert!(tn.row(1).unwrap().iter().all(|v| !v.is_nan()));
}

/// Every CSV under lp-real-model (and lp-mirror-mouse) is rewritten byte for byte.
#[test]
fn real_files_rewrite_byte_identical() {
    let data = shared_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for f in csv_files(&data) {
        let orig = std::fs::read(&f).unwrap();
        let out = dir.path().join("out.csv");
        if is_metric(&f) {
            let t = MetricTable::read(&f).unwrap();
            t.write(&out).unwrap();
            let back = MetricTable::read(&out).unwrap();
            assert!(same_bits(&t.values, &back.values));
        } else {
            let t = PoseTable::read(&f).unwrap();
            t.write(&out).unwrap();
            assert_same_pose(&t, &PoseTable::read(&out).unwrap());
        }
        let new = std::fs::read(&out).unwrap();
        if new != orig {
            let (a, b) = (
                String::from_utf8_lossy(&orig),
                String::from_utf8_lossy(&new),
            );
            let (i, (la, lb)) = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .find(|(_, (x, y))| x != y)
                .unwrap_or((0, ("", "")));
            let (fa, fb) = la
                .split(',')
                .zip(lb.split(','))
                .find(|(x, y)| x != y)
                .unwrap_or((la, lb));
            panic!(
                "{} not rewritten byte for byte: line {}: {fa:?} became {fb:?}",
                f.display(),
                i + 1
            );
        }
        n += 1;
    }
    assert!(n >= 28, "found only {n} CSVs");
}

/// The pandas script: reads each (kind, path) and prints JSON with index, columns, value bits
/// and set, as `read_csv(header=[0,1,2], index_col=0)` (pose) or `read_csv(index_col=0)` sees it
/// with `float_precision="round_trip"` (pandas' default float parser is not correctly rounded:
/// it reads 0.0016914412844926119 as 0.0016914412844926). `max_rel_default` is the largest
/// relative difference between that and pandas' default parser.
const PANDAS_DUMP: &str = r#"
import sys, json, numpy as np, pandas as pd
out = []
def rel(a, b):
    a, b = a.ravel(), b.ravel()
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return 1.0
    ok = np.isfinite(a) & (a != 0)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(a[ok]))) if ok.any() else 0.0
for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    if kind == "pose":
        kw = dict(header=[0, 1, 2], index_col=0)
    else:
        kw = dict(index_col=0)
    df = pd.read_csv(path, float_precision="round_trip", **kw)
    default = pd.read_csv(path, **kw)
    if kind == "pose":
        is_set = [c[0] == "set" for c in df.columns]
        cols = [list(c) for c, s in zip(df.columns, is_set) if not s]
    else:
        is_set = [c == "set" for c in df.columns]
        cols = [c for c, s in zip(df.columns, is_set) if not s]
    num = df.loc[:, [not s for s in is_set]].to_numpy(dtype=np.float64)
    num_default = default.loc[:, [not s for s in is_set]].to_numpy(dtype=np.float64)
    bits = np.ascontiguousarray(num).view(np.uint64).ravel()
    bits = [0x7ff8000000000000 if np.isnan(v) else int(b) for v, b in zip(num.ravel(), bits)]
    st = None
    if any(is_set):
        st = ["" if (isinstance(v, float) and np.isnan(v)) else str(v) for v in df.loc[:, is_set].iloc[:, 0]]
    out.append({"index": [str(i) for i in df.index], "index_name": df.index.name,
                "columns": cols, "bits": bits, "set": st,
                "max_rel_default": rel(num, num_default)})
print(json.dumps(out))
"#;

#[derive(serde::Deserialize, Debug)]
struct PandasTable {
    index: Vec<String>,
    index_name: Option<String>,
    columns: Vec<serde_json::Value>,
    bits: Vec<u64>,
    set: Option<Vec<String>>,
    max_rel_default: f64,
}

fn pandas_dump(py: &Path, files: &[(&str, &Path)]) -> Vec<PandasTable> {
    let args: Vec<String> = files
        .iter()
        .flat_map(|(k, p)| [k.to_string(), p.display().to_string()])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_str(&run_python(py, PANDAS_DUMP, &args)).unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter()
        .map(|x| {
            if x.is_nan() {
                0x7ff8000000000000
            } else {
                x.to_bits()
            }
        })
        .collect()
}

fn assert_pose_matches_pandas(t: &PoseTable, p: &PandasTable, what: &str) {
    assert_eq!(t.index, p.index, "{what}: index");
    let cols: Vec<serde_json::Value> = t
        .keypoints
        .iter()
        .flat_map(|k| {
            t.coords
                .iter()
                .map(move |c| serde_json::json!([t.scorer, k, c]))
        })
        .collect();
    assert_eq!(cols, p.columns, "{what}: columns");
    assert!(
        bits(&t.values) == p.bits,
        "{what}: values differ from pandas"
    );
    assert!(p.max_rel_default < 1e-12, "{what}: {}", p.max_rel_default);
    assert_eq!(t.set, p.set, "{what}: set");
}

fn assert_metric_matches_pandas(t: &MetricTable, p: &PandasTable, what: &str) {
    assert_eq!(t.index, p.index, "{what}: index");
    let cols: Vec<serde_json::Value> = t.columns.iter().map(|c| serde_json::json!(c)).collect();
    assert_eq!(cols, p.columns, "{what}: columns");
    assert!(
        bits(&t.values) == p.bits,
        "{what}: values differ from pandas"
    );
    assert!(p.max_rel_default < 1e-12, "{what}: {}", p.max_rel_default);
    assert_eq!(t.set, p.set, "{what}: set");
}

/// Every CSV in the shared data reads exactly as pandas 2.3.3 reads it: same index, columns,
/// set and every value bit for bit (pandas with its correctly rounded `round_trip` float parser;
/// its default parser agrees to 1e-12 relative).
#[test]
fn real_files_match_pandas() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    let files = csv_files(&data);
    let kinds: Vec<(&str, &Path)> = files
        .iter()
        .map(|f| (if is_metric(f) { "metric" } else { "pose" }, f.as_path()))
        .collect();
    let pandas = pandas_dump(&py, &kinds);
    for ((kind, f), p) in kinds.iter().zip(&pandas) {
        let what = f.display().to_string();
        if *kind == "metric" {
            assert_metric_matches_pandas(&MetricTable::read(f).unwrap(), p, &what);
        } else {
            assert_pose_matches_pandas(&PoseTable::read(f).unwrap(), p, &what);
        }
    }
}

/// Rewrites a pandas-read frame with pandas' own `to_csv` (restoring the `("set", "", "")`
/// column name that read_csv turns into "Unnamed: ..."), so the bytes can be compared.
const PANDAS_REWRITE: &str = r#"
import sys, pandas as pd
kind, src, dst = sys.argv[1:4]
if kind == "pose":
    df = pd.read_csv(src, header=[0, 1, 2], index_col=0, float_precision="round_trip")
    df.columns = pd.MultiIndex.from_tuples(
        [tuple("" if str(x).startswith("Unnamed:") else x for x in c) for c in df.columns],
        names=df.columns.names)
else:
    df = pd.read_csv(src, index_col=0, float_precision="round_trip")
    df.index.name = None
df.to_csv(dst)
"#;

/// posedeck writes `t`; pandas reads it to the same table and writes the very same bytes.
fn check_pose_with_pandas(py: &Path, t: &PoseTable, dir: &Path, what: &str) {
    let ours = dir.join(format!("{what}.csv"));
    t.write(&ours).unwrap();
    assert_same_pose(t, &PoseTable::read(&ours).unwrap());
    let p = pandas_dump(py, &[("pose", &ours)]);
    assert_pose_matches_pandas(t, &p[0], what);
    let theirs = dir.join(format!("{what}.pandas.csv"));
    let args = ["pose", ours.to_str().unwrap(), theirs.to_str().unwrap()];
    run_python(py, PANDAS_REWRITE, &args);
    assert!(
        std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
        "{what}: pandas to_csv writes different bytes"
    );
}

fn check_metric_with_pandas(py: &Path, t: &MetricTable, dir: &Path, what: &str) {
    let ours = dir.join(format!("{what}.csv"));
    t.write(&ours).unwrap();
    let p = pandas_dump(py, &[("metric", &ours)]);
    assert_metric_matches_pandas(t, &p[0], what);
    let theirs = dir.join(format!("{what}.pandas.csv"));
    let args = ["metric", ours.to_str().unwrap(), theirs.to_str().unwrap()];
    run_python(py, PANDAS_REWRITE, &args);
    assert!(std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap());
}

/// Awkward floats (exponent forms, -0.0, float32 values, subnormals, huge) and awkward text
/// (commas, quotes in names and paths) survive posedeck -> pandas exactly.
fn awkward_values(n: usize) -> Vec<f64> {
    let specials = [
        1e-5,
        1.5e-7,
        1e16,
        1e15,
        -0.0,
        0.1 + 0.2,
        5e-324,
        f64::MAX,
        123.456f32 as f64,
        f64::NAN,
        0.0001,
        -2.5e-300,
        77.25,
        2.0,
    ];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 3 == 0 {
                specials[(x % specials.len() as u64) as usize]
            } else {
                ((x >> 11) as f64 / (1u64 << 53) as f64 * 400.0) as f32 as f64
            }
        })
        .collect()
}

#[test]
fn pandas_round_trips() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // real CollectedData, predictions with set, video preds
    let cd = PoseTable::read(&data.join("lp-mirror-mouse/CollectedData.csv")).unwrap();
    check_pose_with_pandas(&py, &cd, d, "collected");
    let m = data.join("lp-real-model/tiny_cpu_model");
    let preds = PoseTable::read(&m.join("predictions.csv")).unwrap();
    check_pose_with_pandas(&py, &preds, d, "preds");
    let vp = PoseTable::read(&m.join("video_preds/test_vid.csv")).unwrap();
    check_pose_with_pandas(&py, &vp, d, "video");
    // CollectedData with `visible` (LP >= 2.1.2): 0 not labeled, 1 occluded, 2 visible
    let mut vis = cd.clone();
    vis.coords.push("visible".into());
    vis.values = cd
        .values
        .chunks(2)
        .enumerate()
        .flat_map(|(i, xy)| {
            let v = if xy[0].is_nan() {
                0.0
            } else {
                1.0 + (i % 2) as f64
            };
            [xy[0], xy[1], v]
        })
        .collect();
    check_pose_with_pandas(&py, &vis, d, "visible");
    // awkward values and names
    let n_rows = 40;
    let awk = PoseTable::new(
        "heatmap_tracker",
        vec!["nose".into(), "ear, left".into(), "tail \"tip\"".into()],
        vec!["x".into(), "y".into(), "likelihood".into()],
        (0..n_rows)
            .map(|i| format!("labeled-data/vid,{}/img{i:08}.png", i % 3))
            .collect(),
        awkward_values(n_rows * 9),
        Some(
            (0..n_rows)
                .map(|i| ["train", "validation", "test", "unused"][i % 4].to_string())
                .collect(),
        ),
    )
    .unwrap();
    check_pose_with_pandas(&py, &awk, d, "awkward");
    // metric CSVs: real ones and an awkward one
    for name in [
        "predictions_pixel_error.csv",
        "predictions_pca_singleview_error.csv",
        "predictions_pca_multiview_error.csv",
        "video_preds/test_vid_temporal_norm.csv",
    ] {
        let t = MetricTable::read(&m.join(name)).unwrap();
        check_metric_with_pandas(&py, &t, d, &name.replace('/', "_"));
    }
    let mut am = MetricTable::new(
        vec!["a".into(), "b,c".into()],
        (0..20).map(|i| i.to_string()).collect(),
        awkward_values(40),
        Some((0..20).map(|_| "train".to_string()).collect()),
    )
    .unwrap();
    check_metric_with_pandas(&py, &am, d, "awkward_metric");
    am.set = None;
    check_metric_with_pandas(&py, &am, d, "awkward_metric_noset");
}

/// pandas drops an all-empty first data row (it takes it for the index-name row); posedeck
/// keeps it, as Lightning Pose does.
#[test]
fn all_empty_first_row_is_kept() {
    let data = shared_or_skip!();
    let cd = PoseTable::read(&data.join("lp-mirror-mouse/CollectedData.csv")).unwrap();
    let mut t = cd.clone();
    t.index.insert(0, "labeled-data/img00.png".into());
    let mut values = vec![f64::NAN; t.row_width()];
    values.extend(&cd.values);
    t.values = values;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("CollectedData.csv");
    t.write(&f).unwrap();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.lines().nth(3).unwrap() == format!("labeled-data/img00.png{}", ",".repeat(34)));
    let back = PoseTable::read(&f).unwrap();
    assert_eq!(back.n_rows(), 91);
    assert_eq!(back.index[0], "labeled-data/img00.png");
    assert!(back.row(0).unwrap().iter().all(|v| v.is_nan()));
    assert_same_pose(&t, &back);
    // ... and pandas indeed drops it, which is why the quirk matters.
    let py = peers_or_skip!();
    let p = pandas_dump(&py, &[("pose", &f)]);
    assert_eq!(p[0].index.len(), 90);
    assert_eq!(p[0].index_name.as_deref(), Some("labeled-data/img00.png"));
}

// ---------- bad input: each its own test; an error naming the file and line, no panic ----------

fn write_tmp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

const HEAD: &str = "scorer,rick,rick,rick,rick\nbodyparts,nose,nose,ear,ear\ncoords,x,y,x,y\n";

#[test]
fn bad_ragged_row_names_line() {
    let (_d, p) = write_tmp(
        "CollectedData.csv",
        format!("{HEAD}labeled-data/img1.png,1,2,3,4\nlabeled-data/img2.png,1,2,3\n").as_bytes(),
    );
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:5: ", p.display())), "{e}");
    assert!(
        e.contains("ragged row: 4 fields where the header has 5"),
        "{e}"
    );
    // too many fields, too
    let (_d, p) = write_tmp("x.csv", format!("{HEAD}a,1,2,3,4,5\n").as_bytes());
    assert!(
        PoseTable::read(&p)
            .unwrap_err()
            .to_string()
            .contains(":4: ragged row: 6 fields")
    );
    // metric table
    let (_d, p) = write_tmp("e.csv", b",a,b,set\ni,1,2,train\nj,1,train\n");
    let e = MetricTable::read(&p).unwrap_err().to_string();
    assert!(
        e.contains(":3: ragged row: 3 fields where the header has 4"),
        "{e}"
    );
}

#[test]
fn bad_non_numeric_cell_names_line_and_field() {
    let (_d, p) = write_tmp(
        "predictions.csv",
        format!("{HEAD}labeled-data/img1.png,1,2,3,4\nlabeled-data/img2.png,1,2,oops,4\n")
            .as_bytes(),
    );
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{}:5: field 4 (ear x): not a number: \"oops\"", p.display())
    );
    let (_d, p) = write_tmp("e.csv", b",a,b\ni,1,2\nj,1,\x1b[31mzz\n");
    let e = MetricTable::read(&p).unwrap_err().to_string();
    assert!(
        e.ends_with(":3: field 3 (b): not a number: \"\\u{1b}[31mzz\""),
        "{e}"
    );
}

#[test]
fn bad_header_only_is_valid_and_empty() {
    let (_d, p) = write_tmp("CollectedData.csv", HEAD.as_bytes());
    let t = PoseTable::read(&p).unwrap();
    assert_eq!(t.n_rows(), 0);
    assert_eq!(t.keypoints, ["nose", "ear"]);
    let (_d, p) = write_tmp("e.csv", b",a,b,set");
    let t = MetricTable::read(&p).unwrap();
    assert_eq!((t.n_rows(), t.columns.len(), t.set.is_some()), (0, 2, true));
    // fewer than 3 header rows is an error naming the line
    let (_d, p) = write_tmp("short.csv", b"scorer,rick\nbodyparts,nose\n");
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert!(e.contains("file ends after 2 header row(s)"), "{e}");
}

#[test]
fn bad_zero_byte_file() {
    let (_d, p) = write_tmp("CollectedData.csv", b"");
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&p.display().to_string()) && e.contains("empty file"),
        "{e}"
    );
    let e = MetricTable::read(&p).unwrap_err().to_string();
    assert!(e.contains("empty file"), "{e}");
}

#[test]
fn bad_invalid_utf8() {
    let mut b = HEAD.as_bytes().to_vec();
    b.extend_from_slice(b"labeled-data/img\xff.png,1,2,3,4\n");
    let (_d, p) = write_tmp("CollectedData.csv", &b);
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:4: field 1: not valid UTF-8", p.display())),
        "{e}"
    );
    let (_d, p) = write_tmp("h.csv", b"scorer,r\xc3\nbodyparts,a\ncoords,x\n");
    let e = PoseTable::read(&p).unwrap_err().to_string();
    assert!(e.contains(":1: field 2: not valid UTF-8"), "{e}");
}

#[test]
fn bad_directory_instead_of_file() {
    let data = shared_or_skip!();
    // Lightning Pose names a folder `image_preds/CollectedData.csv/`.
    let d = data.join("lp-real-model/tiny_cpu_model/image_preds/CollectedData.csv");
    assert!(d.is_dir());
    let e = PoseTable::read(&d).unwrap_err().to_string();
    assert!(e.starts_with(&d.display().to_string()), "{e}");
    let e = MetricTable::read(&d).unwrap_err().to_string();
    assert!(e.starts_with(&d.display().to_string()), "{e}");
}

#[test]
fn bad_wrong_kind_of_table() {
    let data = shared_or_skip!();
    let m = data.join("lp-real-model/tiny_cpu_model");
    let e = PoseTable::read(&m.join("predictions_pixel_error.csv")).unwrap_err();
    assert!(e.to_string().contains(":1: first cell is empty"), "{e}");
    let e = MetricTable::read(&m.join("predictions.csv")).unwrap_err();
    assert!(
        e.to_string().contains(":1: first cell is \"scorer\""),
        "{e}"
    );
}

/// Truncating a real file anywhere, or flipping a byte, gives a table or an error, no panic;
/// and the fast reader agrees with the careful one on every variant.
#[test]
fn no_panic_on_damaged_real_files() {
    let data = shared_or_skip!();
    let m = data.join("lp-real-model/tiny_cpu_model");
    for name in ["predictions.csv", "predictions_pixel_error.csv"] {
        let orig = std::fs::read(m.join(name)).unwrap();
        let path = Path::new(name);
        let check = |b: &[u8]| {
            let (fast, careful) = if name.contains("error") {
                let f = MetricTable::parse(path, b).map(|t| (t.index, bits(&t.values), t.set));
                let c =
                    MetricTable::parse_careful(path, b).map(|t| (t.index, bits(&t.values), t.set));
                (f.map_err(|e| e.to_string()), c.map_err(|e| e.to_string()))
            } else {
                let f = PoseTable::parse(path, b).map(|t| (t.index, bits(&t.values), t.set));
                let c =
                    PoseTable::parse_careful(path, b).map(|t| (t.index, bits(&t.values), t.set));
                (f.map_err(|e| e.to_string()), c.map_err(|e| e.to_string()))
            };
            assert_eq!(fast, careful);
        };
        for cut in (0..orig.len()).step_by(97) {
            check(&orig[..cut]);
        }
        for (i, pos) in (0..orig.len()).step_by(131).enumerate() {
            let mut b = orig.clone();
            b[pos] = [b'"', b',', b'\n', b'\r', b'x', 0xff, b'-', b'.'][i % 8];
            check(&b);
        }
    }
}

/// `bench csv` prints only what it measured here: the peers are run in the same bench (pandas
/// from the cached peer venv), and a peer that cannot run is "not measured" with why.
#[test]
fn bench_csv_measures_its_peers_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "--dir",
        dir.path().to_str().unwrap(),
        "--runs",
        "1",
        "--json",
        "csv",
        "--rows",
        "500",
        "--keypoints",
        "3",
        "--quick",
    ];
    let out = crate::common::output_ok(
        crate::common::posedeck()
            .args(args)
            .env("POSEDECK_PEER_PYTHON", "/nonexistent/python3"),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peers = v["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 3, "{v}");
    for p in peers {
        assert!(p["read"].is_null(), "{p}");
        assert!(
            p["not_measured"]
                .as_str()
                .unwrap()
                .contains("/nonexistent/python3"),
            "{p}"
        );
    }
    let text = crate::common::posedeck()
        .args(args.iter().filter(|a| **a != "--json"))
        .env("POSEDECK_PEER_PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("peer pandas: not measured"), "{text}");
    assert!(!text.contains("0.36 s"), "{text}");
    if let Some(py) = crate::common::peer_python() {
        let out = crate::common::posedeck()
            .args(args)
            .env("POSEDECK_PEER_PYTHON", &py)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let pandas = &v["peers"][0];
        assert_eq!(pandas["name"], "pandas");
        assert!(
            pandas["read"]["median_s"].as_f64().unwrap() > 0.0,
            "{pandas}"
        );
        assert_eq!(pandas["version"], "2.3.3");
    }
}
