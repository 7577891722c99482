//! Fuzzes the Lightning Pose CSV readers: any bytes give a table or an error, never a panic;
//! the fast (parallel) reader and the careful reader agree exactly (same table or same error);
//! and a table that was read writes back to bytes that read to the very same table.

#![no_main]

use libfuzzer_sys::fuzz_target;
use posedeck::formats::csv::{MetricTable, PoseTable};
use std::path::Path;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn pose_key(t: &PoseTable) -> impl PartialEq + std::fmt::Debug {
    (
        t.scorer.clone(),
        t.keypoints.clone(),
        t.coords.clone(),
        t.index.clone(),
        bits(&t.values),
        t.set.clone(),
    )
}

fn metric_key(t: &MetricTable) -> impl PartialEq + std::fmt::Debug {
    (
        t.index_name.clone(),
        t.columns.clone(),
        t.index.clone(),
        bits(&t.values),
        t.set.clone(),
    )
}

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.csv");

    let fast = PoseTable::parse(p, data);
    let careful = PoseTable::parse_careful(p, data);
    match (&fast, &careful) {
        (Ok(a), Ok(b)) => assert_eq!(pose_key(a), pose_key(b)),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("fast {fast:?} vs careful {careful:?}"),
    }
    if let Ok(t) = &fast {
        let bytes = t.to_csv_bytes().expect("a table that was read writes");
        let back = PoseTable::parse(p, &bytes).expect("a written table reads back");
        assert_eq!(pose_key(t), pose_key(&back));
    }

    let fast = MetricTable::parse(p, data);
    let careful = MetricTable::parse_careful(p, data);
    match (&fast, &careful) {
        (Ok(a), Ok(b)) => assert_eq!(metric_key(a), metric_key(b)),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("fast {fast:?} vs careful {careful:?}"),
    }
    if let Ok(t) = &fast
        && !t.index_name.starts_with('\u{feff}')
    {
        let bytes = t.to_csv_bytes().expect("a table that was read writes");
        let back = MetricTable::parse(p, &bytes).expect("a written table reads back");
        assert_eq!(metric_key(t), metric_key(&back));
    }
});
