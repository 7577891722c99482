//! Fuzzes the .slp decoding that sees file content: the metadata JSON (skeletons, nodes,
//! negative anchors), `videos_json` rows, and the row tables (frames -> instances -> points,
//! compound layouts and h5wasm float layouts) turned into labeled frames.
//!
//! Input: byte 0 picks the decoder; the rest is its data. For tables, bytes 1..5 set table
//! sizes and the format id, the rest is split into the frames / instances / points /
//! pred_points row bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posedeck::formats::slp::table::{Column, Num, Table};
use posedeck::formats::slp::{read, videos};
use std::path::Path;

fn col(name: &str, offset: usize, num: Num) -> (String, Column) {
    (name.to_string(), Column { offset, num })
}

fn tables(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let (head, rest) = data.split_at(5);
    let h5wasm = head[0] & 1 == 1;
    let format_id = [1.0, 1.1, 1.2, 1.4][(head[0] as usize >> 1) % 4];
    let n_videos = (head[1] % 4) as usize;
    let n_nodes = (head[2] % 6) as usize;
    let n_tracks = (head[3] % 4) as usize;
    let cut = |i: usize| rest.len() * i / 4;
    let parts = [
        &rest[..cut(1)],
        &rest[cut(1)..cut(2)],
        &rest[cut(2)..cut(3)],
        &rest[cut(3)..],
    ];
    let (frames, instances, points, pred) = if h5wasm {
        // Every column a float32, as h5wasm writes them.
        let f = |names: &[&str]| -> (usize, Vec<(String, Column)>) {
            (
                names.len() * 4,
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| col(n, i * 4, Num::F32))
                    .collect(),
            )
        };
        (
            f(&["frame_id", "video", "frame_idx", "instance_id_start", "instance_id_end"]),
            f(&[
                "instance_id", "instance_type", "frame_id", "skeleton", "track",
                "from_predicted", "score", "point_id_start", "point_id_end", "tracking_score",
            ]),
            f(&["x", "y", "visible", "complete"]),
            f(&["x", "y", "visible", "complete", "score"]),
        )
    } else {
        (
            (36, vec![
                col("frame_id", 0, Num::U64), col("video", 8, Num::U32),
                col("frame_idx", 12, Num::U64), col("instance_id_start", 20, Num::U64),
                col("instance_id_end", 28, Num::U64),
            ]),
            (57, vec![
                col("instance_id", 0, Num::I64), col("instance_type", 8, Num::U8),
                col("frame_id", 9, Num::U64), col("skeleton", 17, Num::U32),
                col("track", 21, Num::I32), col("from_predicted", 25, Num::I64),
                col("score", 33, Num::F32), col("point_id_start", 37, Num::U64),
                col("point_id_end", 45, Num::U64), col("tracking_score", 53, Num::F32),
            ]),
            (18, vec![
                col("x", 0, Num::F64), col("y", 8, Num::F64),
                col("visible", 16, Num::U8), col("complete", 17, Num::U8),
            ]),
            (26, vec![
                col("x", 0, Num::F64), col("y", 8, Num::F64), col("visible", 16, Num::U8),
                col("complete", 17, Num::U8), col("score", 18, Num::F64),
            ]),
        )
    };
    let mk = |name: &str, bytes: &[u8], (size, cols): (usize, Vec<(String, Column)>)| {
        let whole = bytes.len() / size * size;
        Table::from_parts(name, bytes[..whole].to_vec(), size, cols)
    };
    let ft = mk("frames", parts[0], frames);
    let it = mk("instances", parts[1], instances);
    let pt = mk("points", parts[2], points);
    let qt = mk("pred_points", parts[3], pred);
    let video_ids: Vec<Option<u64>> = (0..n_videos)
        .map(|i| (head[4] & (1 << i) != 0).then_some(i as u64 * 7))
        .collect();
    let sizes = vec![n_nodes, n_nodes + 1];
    if let Ok((frames, _)) = read::frames_from_tables(
        Path::new("fuzz.slp"),
        format_id,
        &ft,
        &it,
        Some(&pt),
        Some(&qt),
        &video_ids,
        &sizes,
        n_tracks,
    ) {
        // What the reader returns must be internally consistent.
        for f in &frames {
            assert!(f.video < n_videos);
            for i in &f.instances {
                assert!(i.skeleton < sizes.len());
                assert_eq!(i.points.len(), sizes[i.skeleton]);
                assert!(i.track.is_none_or(|t| t < n_tracks));
                assert!(i.from_predicted.is_none_or(|p| p < f.instances.len()));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest)
                && let Ok((skeletons, _, _)) = read::decode_metadata(&v)
            {
                // Decoded skeletons re-encode and decode to the same thing.
                let (enc, nodes) = posedeck::formats::slp::skeleton::encode_all(&skeletons);
                let names: Vec<String> = nodes
                    .iter()
                    .map(|n| n["name"].as_str().unwrap_or_default().to_string())
                    .collect();
                for (s, e) in skeletons.iter().zip(&enc) {
                    let back = posedeck::formats::slp::skeleton::decode(e, &names)
                        .expect("re-encoded skeleton decodes");
                    assert_eq!(back.nodes, s.nodes);
                    assert_eq!(back.edges, s.edges);
                    assert_eq!(back.symmetries, s.symmetries);
                }
            }
        }
        1 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
                let _ = videos::video_from_json(&v);
            }
        }
        _ => tables(rest),
    }
});
