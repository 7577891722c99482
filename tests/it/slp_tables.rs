//! The labels model built from `.slp` tables is the same whatever the points table's
//! layout: the plain layout SLEAP and posedeck write (float64 x, y, score; uint8 flags; read
//! on a fast path) and an all-float64 one (h5wasm's, read column by column) give equal
//! frames, instances and points, including short instances, NaN coordinates, user and
//! predicted points and the format < 1.1 half-pixel shift.

use posedeck::formats::slp::read::frames_from_tables;
use posedeck::formats::slp::table::{Column, Num, Table};
use std::path::Path;

fn f64_table(name: &str, cols: &[&str], rows: &[Vec<f64>]) -> Table<'static> {
    let mut bytes = Vec::new();
    for r in rows {
        assert_eq!(r.len(), cols.len());
        for v in r {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let columns = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.to_string(),
                Column {
                    offset: i * 8,
                    num: Num::F64,
                },
            )
        })
        .collect();
    Table::from_parts(name, bytes, cols.len() * 8, columns)
}

/// Points (x, y, visible, complete, score) in the plain compound layout: a 27-byte row,
/// flags between the floats, one padding byte.
fn plain_points(name: &str, pts: &[[f64; 5]]) -> Table<'static> {
    let mut bytes = Vec::new();
    for p in pts {
        bytes.extend_from_slice(&p[0].to_le_bytes());
        bytes.extend_from_slice(&p[1].to_le_bytes());
        bytes.push(p[2] as u8);
        bytes.push(p[3] as u8);
        bytes.push(0xee);
        bytes.extend_from_slice(&p[4].to_le_bytes());
    }
    let col = |offset, num| Column { offset, num };
    let columns = vec![
        ("x".to_string(), col(0, Num::F64)),
        ("y".to_string(), col(8, Num::F64)),
        ("visible".to_string(), col(16, Num::U8)),
        ("complete".to_string(), col(17, Num::U8)),
        ("score".to_string(), col(19, Num::F64)),
    ];
    Table::from_parts(name, bytes, 27, columns)
}

fn float_points(name: &str, pts: &[[f64; 5]]) -> Table<'static> {
    let rows: Vec<Vec<f64>> = pts.iter().map(|p| p.to_vec()).collect();
    f64_table(name, &["x", "y", "visible", "complete", "score"], &rows)
}

#[test]
fn plain_and_float_point_layouts_give_the_same_model() {
    let nan = f64::NAN;
    // 4 nodes. User points for 2 instances (the second one short: 3 points).
    let user: Vec<[f64; 5]> = vec![
        [1.0, 2.0, 1.0, 1.0, 0.0],
        [3.5, 4.25, 1.0, 0.0, 0.0],
        [nan, nan, 0.0, 0.0, 0.0],
        [7.0, 8.0, 1.0, 1.0, 0.0],
        [9.0, 10.0, 1.0, 1.0, 0.0],
        [11.0, 12.0, 0.0, 1.0, 0.0],
        [13.0, 14.0, 1.0, 1.0, 0.0],
    ];
    let pred: Vec<[f64; 5]> = (0..12)
        .map(|i| {
            let v = i as f64;
            [v * 1.5, v * 2.5, (i % 3 != 0) as u8 as f64, 0.0, 0.1 * v]
        })
        .collect();
    let frames = f64_table(
        "frames",
        &[
            "frame_id",
            "video",
            "frame_idx",
            "instance_id_start",
            "instance_id_end",
        ],
        &[vec![0.0, 0.0, 5.0, 0.0, 2.0], vec![1.0, 0.0, 9.0, 2.0, 5.0]],
    );
    let icols = [
        "instance_id",
        "instance_type",
        "frame_id",
        "skeleton",
        "track",
        "from_predicted",
        "score",
        "point_id_start",
        "point_id_end",
        "tracking_score",
    ];
    let instances = f64_table(
        "instances",
        &icols,
        &[
            vec![0.0, 0.0, 0.0, 0.0, -1.0, -1.0, nan, 0.0, 4.0, 0.0],
            vec![1.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.9, 0.0, 4.0, 0.7],
            vec![2.0, 1.0, 1.0, 0.0, 1.0, -1.0, 0.8, 4.0, 8.0, 0.6],
            vec![3.0, 0.0, 1.0, 0.0, 1.0, 2.0, nan, 4.0, 7.0, 0.0],
            vec![4.0, 1.0, 1.0, 0.0, -1.0, -1.0, 0.5, 8.0, 12.0, 0.0],
        ],
    );
    let path = Path::new("layouts.slp");
    for format_id in [1.0, 1.4] {
        let build = |points: &Table<'_>, pred_points: &Table<'_>| {
            frames_from_tables(
                path,
                format_id,
                &frames,
                &instances,
                Some(points),
                Some(pred_points),
                &[None],
                &[4],
                2,
            )
            .unwrap()
        };
        let (plain, w1) = build(
            &plain_points("points", &user),
            &plain_points("pred_points", &pred),
        );
        let (float, w2) = build(
            &float_points("points", &user),
            &float_points("pred_points", &pred),
        );
        assert_eq!(
            format!("{plain:?}"),
            format!("{float:?}"),
            "format {format_id}"
        );
        assert_eq!(w1, w2);
        assert_eq!(w1.len(), 1, "one short instance: {w1:?}");
        // The values themselves.
        let shift = if format_id < 1.1 { 0.5 } else { 0.0 };
        assert_eq!(plain.len(), 2);
        let u = &plain[0].instances[0];
        assert!(u.is_user());
        assert_eq!(u.points[1].x, 3.5 - shift);
        assert_eq!(u.points[1].y, 4.25 - shift);
        assert!(u.points[1].visible && !u.points[1].complete);
        assert_eq!(u.points[1].score, 0.0);
        assert!(u.points[2].x.is_nan() && !u.points[2].visible);
        let p = &plain[1].instances[0];
        assert!(p.is_predicted());
        assert_eq!(p.points[3].x, 7.0 * 1.5 - shift);
        assert_eq!(p.points[3].score, 0.1 * 7.0);
        assert!(p.points[3].visible);
        assert!(!p.points[2].visible && p.points[2].x == 6.0 * 1.5 - shift);
        // The short user instance: 3 points and one added missing node.
        let short = &plain[1].instances[1];
        assert_eq!(short.points.len(), 4);
        assert_eq!(short.points[2].x, 13.0 - shift);
        assert!(short.points[3].x.is_nan());
        assert_eq!(short.from_predicted, Some(0));
        assert_eq!(plain[1].instances[2].points[0].score, 0.1 * 8.0);
    }
}
