//! Unit tests: the fast and careful readers agree, the fast one really runs on pandas-style
//! files, and written tables read back bit for bit.

use super::grid::Layout;
use super::*;
use std::path::Path;

const P: &str = "t.csv";

fn pose(s: &str) -> crate::Result<PoseTable> {
    let fast = PoseTable::parse(Path::new(P), s.as_bytes());
    let careful = PoseTable::parse_careful(Path::new(P), s.as_bytes());
    match (&fast, &careful) {
        (Ok(a), Ok(b)) => assert!(same_pose(a, b), "fast/careful differ on {s:?}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("fast {fast:?} careful {careful:?} on {s:?}"),
    }
    fast
}

pub(super) fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn same_pose(a: &PoseTable, b: &PoseTable) -> bool {
    a.scorer == b.scorer
        && a.keypoints == b.keypoints
        && a.coords == b.coords
        && a.index == b.index
        && a.set == b.set
        && same_bits(&a.values, &b.values)
}

const HEAD: &str = "scorer,s,s,s,s\nbodyparts,a,a,b,b\ncoords,x,y,x,y\n";

#[test]
fn basic_and_quirks() {
    let t = pose(&format!(
        "{HEAD}img0.png,,,,\nlabeled-data/v/img1.png,1,2,3.5,\n"
    ))
    .unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.index[0], "img0.png");
    assert!(t.row(0).unwrap().iter().all(|v| v.is_nan()));
    assert_eq!(t.value(1, 1, 0), Some(3.5));
    assert!(t.is_missing(1, 1));
    assert!(!t.is_missing(1, 0));
    assert_eq!(t.rows_with_missing(), 2);
    assert_eq!(t.nan_cells(), 5);
    assert_eq!(video_of("labeled-data/v/img1.png"), Some("v"));
    assert_eq!(video_of("labeled-data/img1.png"), None);
    assert_eq!(video_of("img1.png"), None);
    // CRLF, no final newline, quoted index, blank lines, NA tokens
    let t2 =
        pose("scorer,s,s\r\nbodyparts,a,a\r\ncoords,x,y\r\n\"x,1\",1,NaN\r\n\r\nz,2,3").unwrap();
    assert_eq!(t2.index, vec!["x,1", "z"]);
    assert!(t2.value(0, 0, 1).unwrap().is_nan());
    // header only
    assert_eq!(pose(HEAD).unwrap().n_rows(), 0);
    assert_eq!(pose(HEAD.trim_end()).unwrap().n_rows(), 0);
}

#[test]
fn set_column() {
    let t = pose("scorer,s,s,set\nbodyparts,a,a,\ncoords,x,y,\ni,1,2,train\nj,,,\n").unwrap();
    assert_eq!(t.set.as_deref().unwrap(), ["train", ""]);
    assert_eq!(t.set_of(0), Some("train"));
}

#[test]
fn errors_agree() {
    for bad in [
        format!("{HEAD}i,1,2,3\n"),
        format!("{HEAD}i,1,2,3,4,5\n"),
        format!("{HEAD}i,1,x,3,4\n"),
        format!("{HEAD}i,1,2,3,4\nj,1,2,3,4 5\n"),
        "scorer,s\n".to_string(),
        ",a,b\ni,1,2\n".to_string(),
        "scorer,s,t\nbodyparts,a,a\ncoords,x,y\n".to_string(),
        "scorer,s,s,s\nbodyparts,a,b,a\ncoords,x,x,y\n".to_string(),
        "scorer,s,s,s,s\nbodyparts,a,a,b,b\ncoords,x,y,x,z\n".to_string(),
        "scorer,s,s\nbodyparts,a,a\ncoords,x\n".to_string(),
    ] {
        assert!(pose(&bad).is_err(), "{bad:?}");
    }
    let e = pose(&format!("{HEAD}i,1,2,3,4\nj,1,2,3,4 5\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:5: field 5 (b y): not a number: \"4 5\""
    );
    let e = pose(&format!("{HEAD}i,1,2,3\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:4: ragged row: 4 fields where the header has 5"
    );
    assert!(PoseTable::parse(Path::new(P), b"").is_err());
}

#[test]
fn fast_path_runs_on_pandas_style_files() {
    let mut s = String::new();
    for i in 0..1000 {
        s.push_str(&format!("{i},1.5,,{},-2e-5,train\n", i as f64 * 0.1));
    }
    let layout = Layout {
        n_fields: 6,
        n_values: 4,
        has_set: true,
        value_names: vec![],
        keep_index: true,
    };
    let b = fast::parse(s.as_bytes(), &layout).expect("fast path");
    assert_eq!(b.index.len(), 1000);
    assert_eq!(b.values.len(), 4000);
    assert_eq!(b.set.len(), 1000);
    assert_eq!(b.values[4 * 999 + 2], 99.9);
    // the same in chunks: force several chunks by a large body
    let big = s.repeat(200);
    let b = fast::parse(big.as_bytes(), &layout).expect("fast path");
    assert_eq!(b.index.len(), 200_000);
    assert!(fast::parse(b"1,2,3,4,train\n\n", &layout).is_none());
    assert!(fast::parse(b"\"1\",2,3,4,5,train\n", &layout).is_none());
}

/// A body of many 2 MB chunks (taken by the threads in any order) reads as the careful reader
/// reads it: rows in file order, set names numbered in order of first appearance even when a
/// name first appears in a late chunk, and damage in the last chunk found with its line.
#[test]
fn many_chunks_read_in_file_order() {
    let head =
        "scorer,s,s,s,s,s,s,set\nbodyparts,a,a,a,b,b,b,\ncoords,x,y,likelihood,x,y,likelihood,\n";
    let mut s = String::from(head);
    let rows = 140_000;
    for i in 0..rows {
        let set = match i {
            _ if i > rows - 10 => "late",
            _ if i % 3 == 0 => "validation",
            _ => "train",
        };
        let v = (i as f32 * 0.37) as f64;
        s.push_str(&format!(
            "{i},{v},{},0.{i:07},{},,{},{set}\n",
            v + 0.5,
            v * 3.0,
            -v
        ));
    }
    assert!(s.len() > 4 * (2 << 20), "{} bytes: several chunks", s.len());
    let t = pose(&s).unwrap();
    assert_eq!(t.index.len(), rows);
    assert_eq!(t.index[rows - 1], (rows - 1).to_string());
    let set = t.set.as_ref().unwrap();
    assert_eq!(set[0], "validation");
    assert_eq!(set[1], "train");
    assert_eq!(set[rows - 1], "late");
    assert!(t.values[6 * (rows - 1) + 4].is_nan());
    let mut bad = s.clone();
    bad.truncate(bad.len() - 30);
    bad.push_str("x,1\n");
    assert!(pose(&bad).is_err());
}

#[test]
fn round_trip_through_writer() {
    let t = PoseTable::new(
        "rick",
        vec!["a,b".into(), "c\"d".into()],
        vec!["x".into(), "y".into(), "likelihood".into()],
        vec!["labeled-data/v/img1.png".into(), "".into()],
        vec![
            1.0,
            f64::NAN,
            1e-5,
            -0.0,
            1e16,
            f64::INFINITY,
            0.1 + 0.2,
            f64::MIN_POSITIVE,
            2.5,
            f64::NAN,
            f64::NAN,
            f64::NAN,
        ],
        Some(vec!["train".into(), "test".into()]),
    )
    .unwrap();
    let bytes = t.to_csv_bytes().unwrap();
    let back = pose(std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert!(same_pose(&t, &back));
    let m = MetricTable::new(
        vec!["a".into(), "b".into()],
        vec!["0".into(), "1".into()],
        vec![f64::NAN, f64::NAN, 0.5, 3.0],
        None,
    )
    .unwrap();
    let bytes = m.to_csv_bytes().unwrap();
    assert_eq!(bytes, b",a,b\n0,,\n1,0.5,3.0\n");
    let back = MetricTable::parse(Path::new(P), &bytes).unwrap();
    assert_eq!(back.index, m.index);
    assert!(same_bits(&back.values, &m.values));
}

#[test]
fn json_keeps_nan_as_null() {
    let t = PoseTable::new(
        "s",
        vec!["a".into()],
        vec!["x".into(), "y".into()],
        vec!["i".into()],
        vec![1.0, f64::NAN],
        None,
    )
    .unwrap();
    let j = serde_json::to_string(&t).unwrap();
    assert!(j.contains("[1.0,null]"));
    let back: PoseTable = serde_json::from_str(&j).unwrap();
    assert!(same_pose(&t, &back));
}

/// Bodies big enough to be split across threads: the fast reader agrees with the careful one
/// when the file is clean and when damage sits in a later chunk.
#[test]
fn multi_chunk_bodies_agree() {
    let mut s = String::from("scorer,s,s,s,set\nbodyparts,a,a,a,\ncoords,x,y,likelihood,\n");
    for i in 0..120_000 {
        s.push_str(&format!(
            "labeled-data/v{}/img{i:08}.png,{},{},0.{i},train\n",
            i % 7,
            i as f64 * 0.25,
            -(i as f64) / 3.0
        ));
    }
    assert!(s.len() > 4 << 20);
    let t = pose(&s).unwrap();
    assert_eq!(t.n_rows(), 120_000);
    assert_eq!(t.value(119_999, 0, 0), Some(119_999.0 * 0.25));
    let late = s.len() * 3 / 4;
    let line_start = late + s[late..].find('\n').unwrap() + 1;
    for (what, insert) in [
        ("ragged", "x,1,2\n"),
        ("not a number", "x,1,2,zz,train\n"),
        ("blank line", "\n"),
        ("quoted", "\"x,y\",1,2,3,train\n"),
        ("lone CR", "x,1,2,3,train\r"),
        ("CRLF", "x,1,2,3,train\r\n"),
        ("NA token", "x,1,NA,3,train\n"),
    ] {
        let mut v = s.clone();
        v.insert_str(line_start, insert);
        let r = pose(&v);
        match what {
            "ragged" | "not a number" => assert!(r.is_err(), "{what}"),
            _ => assert!(r.is_ok(), "{what}: {r:?}"),
        }
    }
}

/// `MetricValues` (no index texts, set ids) reads what `MetricTable` reads, on the fast path
/// (several chunks, so set names are renumbered across chunks) and on the careful one.
#[test]
fn metric_values_agree_with_metric_table() {
    let mut s = String::from(",a,b,set\n");
    let sets = ["train", "validation", "test"];
    for i in 0..150_000 {
        // The first chunk sees only "train" at first; later chunks meet the sets in another order.
        let set = match i {
            0..1000 => "train",
            75_000..76_000 => "test",
            _ => sets[(i * 7) % 3],
        };
        let b = if i % 11 == 0 {
            String::new()
        } else {
            format!("{}", i as f64 / 7.0)
        };
        s.push_str(&format!(
            "labeled-data/v/img{i:08}.png,{},{b},{set}\n",
            i as f64 * 0.5
        ));
    }
    assert!(s.len() > 4 << 20);
    let quoted = s.replacen(
        "labeled-data/v/img00000005.png",
        "\"labeled-data/v/img00000005.png\"",
        1,
    );
    let no_set = ",a,b\nx,1,\ny,,2.5\n".to_string();
    for text in [&s, &quoted, &no_set] {
        let p = Path::new("m.csv");
        let t = MetricTable::parse(p, text.as_bytes()).unwrap();
        let v = MetricValues::parse(p, text.as_bytes()).unwrap();
        assert_eq!(v.columns, t.columns);
        assert_eq!(v.n_rows, t.n_rows());
        assert_eq!(v.values.len(), t.values.len());
        assert!(
            v.values
                .iter()
                .zip(&t.values)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        match (&v.set, &t.set) {
            (Some(ids), Some(names)) => {
                let texts: Vec<&str> = ids
                    .iter()
                    .map(|&i| v.set_names[i as usize].as_str())
                    .collect();
                assert_eq!(texts, names.iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(v.set_names, t.set_names());
            }
            (None, None) => assert!(v.set_names.is_empty()),
            other => panic!("set column disagrees: {other:?}"),
        }
    }
    // Errors agree too.
    let bad = ",a,set\nx,zz,train\n";
    let p = Path::new("m.csv");
    assert_eq!(
        MetricValues::parse(p, bad.as_bytes())
            .unwrap_err()
            .to_string(),
        MetricTable::parse(p, bad.as_bytes())
            .unwrap_err()
            .to_string()
    );
}
