//! SLEAP .slp: the 25 real files against the sleap-io oracle (EXPECTED.json), round trips
//! through sleap-io, bad input, and the `labels info` command.

use posedeck::cli::labels::info::summarize;
use posedeck::formats::slp::{read_slp, write_slp};
use posedeck::labels::InstanceKind;
use serde_json::Value;
use std::path::Path;

fn expected(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("slp/EXPECTED.json")).expect("EXPECTED.json");
    serde_json::from_str(&text).expect("EXPECTED.json parses")
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn names(v: &Value) -> Vec<[String; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            [
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            ]
        })
        .collect()
}

/// Every field of EXPECTED.json that a reader can be held to, for one file.
fn check_file(path: &Path, want: &Value) {
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let slp = read_slp(path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let l = &slp.labels;
    let info = summarize(path, "sleap", l);
    let ctx = |what: &str| format!("{file}: {what}");
    let n = |k: &str| want[k].as_u64().unwrap_or_else(|| panic!("{file}: {k}")) as usize;

    assert!(
        close(slp.format_id, want["format_id"].as_f64().unwrap(), 1e-9),
        "{}",
        ctx("format_id")
    );
    assert_eq!(
        info.n_labeled_frames,
        n("n_labeled_frames"),
        "{}",
        ctx("n_labeled_frames")
    );
    assert_eq!(
        info.n_user_instances,
        n("n_user_instances"),
        "{}",
        ctx("n_user_instances")
    );
    assert_eq!(
        info.n_predicted_instances,
        n("n_predicted_instances"),
        "{}",
        ctx("n_predicted")
    );
    assert_eq!(info.n_videos, n("n_videos"), "{}", ctx("n_videos"));
    assert_eq!(info.n_skeletons, n("n_skeletons"), "{}", ctx("n_skeletons"));
    assert_eq!(info.n_tracks, n("n_tracks"), "{}", ctx("n_tracks"));
    assert_eq!(
        info.n_suggestions,
        n("n_suggestions"),
        "{}",
        ctx("n_suggestions")
    );
    let negative_labeled = l
        .labeled_frames
        .iter()
        .filter(|f| {
            l.negative_frames
                .iter()
                .any(|nf| nf.video == f.video && nf.frame_idx == f.frame_idx)
        })
        .count();
    assert_eq!(
        negative_labeled,
        n("n_negative_frames"),
        "{}",
        ctx("n_negative_frames")
    );

    // Skeletons: names, nodes, edges (sleap-io order and legacy order), symmetries.
    for (k, (got, exp)) in info
        .skeletons
        .iter()
        .zip(want["skeletons"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(
            got.name.as_deref(),
            exp["name"].as_str(),
            "{}",
            ctx(&format!("skeleton {k} name"))
        );
        let nodes: Vec<&str> = exp["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(got.nodes, nodes, "{}", ctx("nodes"));
        assert_eq!(got.edges, names(&exp["edges"]), "{}", ctx("edges"));
        assert_eq!(
            got.symmetries,
            names(&exp["symmetries"]),
            "{}",
            ctx("symmetries")
        );
        let sk = &l.skeletons[k];
        let legacy: Vec<[String; 2]> = sk
            .legacy_edges
            .iter()
            .map(|&(a, b)| [sk.nodes[a].clone(), sk.nodes[b].clone()])
            .collect();
        assert_eq!(
            legacy,
            names(&want["edges_legacy_sleap_order"][k]),
            "{}",
            ctx("legacy edges")
        );
    }
    let tracks: Vec<&str> = want["track_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(info.track_names, tracks, "{}", ctx("track names"));

    // Videos: the backend fields verbatim.
    for (i, (v, exp)) in l
        .videos
        .iter()
        .zip(want["raw_videos"].as_array().unwrap())
        .enumerate()
    {
        let b = &v.backend;
        let c = |what: &str| ctx(&format!("video {i} {what}"));
        assert_eq!(
            b.get("filename").and_then(Value::as_str),
            exp["backend_filename"].as_str(),
            "{}",
            c("filename")
        );
        assert_eq!(
            b.get("type").and_then(Value::as_str),
            exp["backend_type"].as_str(),
            "{}",
            c("type")
        );
        assert_eq!(
            b.get("dataset").and_then(Value::as_str),
            exp["dataset"].as_str(),
            "{}",
            c("dataset")
        );
        assert_eq!(
            b.get("filenames").cloned().unwrap_or(Value::Null),
            exp["filenames"],
            "{}",
            c("filenames")
        );
        assert_eq!(
            b.get("shape").cloned().unwrap_or(Value::Null),
            exp["shape"],
            "{}",
            c("shape")
        );
    }

    // Files that crash sleap-io carry only the counts above.
    if want.get("sleap_io_load_error").is_some() {
        return;
    }
    let fpv: Vec<usize> = want["frames_per_video"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(info.frames_per_video, fpv, "{}", ctx("frames_per_video"));
    let sugg: Vec<[u64; 2]> = l
        .suggestions
        .iter()
        .map(|s| [s.video as u64, s.frame_idx])
        .collect();
    let want_sugg: Vec<[u64; 2]> = want["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| [s[0].as_u64().unwrap(), s[1].as_u64().unwrap()])
        .collect();
    assert_eq!(sugg, want_sugg, "{}", ctx("suggestions"));

    assert!(
        close(
            info.user_xy_nansum,
            want["user_xy_nansum"].as_f64().unwrap(),
            1e-6
        ),
        "{}: {} vs {}",
        ctx("user_xy_nansum"),
        info.user_xy_nansum,
        want["user_xy_nansum"]
    );
    assert!(
        close(
            info.pred_xy_nansum,
            want["pred_xy_nansum"].as_f64().unwrap(),
            1e-6
        ),
        "{}: {} vs {}",
        ctx("pred_xy_nansum"),
        info.pred_xy_nansum,
        want["pred_xy_nansum"]
    );
    assert_eq!(
        info.user_points_nonnan,
        n("user_points_nonnan"),
        "{}",
        ctx("user_points_nonnan")
    );
    assert_eq!(
        info.pred_points_nonnan,
        n("pred_points_nonnan"),
        "{}",
        ctx("pred_points_nonnan")
    );

    let insts = || l.labeled_frames.iter().flat_map(|f| f.instances.iter());
    let score_sum: f64 = insts().filter(|i| i.is_predicted()).map(|i| i.score).sum();
    assert!(
        close(
            score_sum,
            want["pred_instance_score_sum"].as_f64().unwrap(),
            1e-6
        ),
        "{}",
        ctx("score sum")
    );
    assert_eq!(
        insts().filter(|i| i.from_predicted.is_some()).count(),
        n("n_from_predicted_links"),
        "{}",
        ctx("from_predicted links")
    );
    assert_eq!(
        insts().filter(|i| i.track.is_some()).count(),
        n("n_tracked_instances"),
        "{}",
        ctx("tracked")
    );
    let fr = |pred: fn(&posedeck::labels::LabeledFrame) -> bool| {
        l.labeled_frames.iter().filter(|f| pred(f)).count()
    };
    assert_eq!(
        fr(|f| f.has_user_instances()),
        n("n_frames_with_user_instances"),
        "{}",
        ctx("frames with user")
    );
    assert_eq!(
        fr(|f| f.has_predicted_instances()),
        n("n_frames_with_predicted_instances"),
        "{}",
        ctx("frames with pred")
    );
    assert_eq!(
        fr(|f| f.instances.is_empty()),
        n("n_empty_frames"),
        "{}",
        ctx("empty frames")
    );

    // The first frame in full.
    let Some(ff) = want.get("first_frame").filter(|v| !v.is_null()) else {
        assert!(
            l.labeled_frames.is_empty(),
            "{}",
            ctx("first frame expected none")
        );
        return;
    };
    let f0 = &l.labeled_frames[0];
    assert_eq!(
        f0.video as u64,
        ff["video_index"].as_u64().unwrap(),
        "{}",
        ctx("first frame video")
    );
    assert_eq!(
        f0.frame_idx,
        ff["frame_idx"].as_u64().unwrap(),
        "{}",
        ctx("first frame idx")
    );
    let wi = ff["instances"].as_array().unwrap();
    assert_eq!(
        f0.instances.len(),
        wi.len(),
        "{}",
        ctx("first frame instances")
    );
    for (k, (inst, w)) in f0.instances.iter().zip(wi).enumerate() {
        let c = |what: &str| ctx(&format!("first frame instance {k} {what}"));
        let kind = match inst.kind {
            InstanceKind::User => "user",
            InstanceKind::Predicted => "predicted",
        };
        assert_eq!(kind, w["type"].as_str().unwrap(), "{}", c("type"));
        assert_eq!(
            inst.skeleton as u64,
            w["skeleton_index"].as_u64().unwrap(),
            "{}",
            c("skeleton")
        );
        let track = inst.track.map(|t| l.tracks[t].name.as_str());
        assert_eq!(track, w["track"].as_str(), "{}", c("track"));
        assert_eq!(
            inst.from_predicted.is_some(),
            w["from_predicted"].as_bool().unwrap(),
            "{}",
            c("from_predicted")
        );
        let xy = inst.xy();
        let wxy = w["points_xy"].as_array().unwrap();
        assert_eq!(xy.len(), wxy.len(), "{}", c("n points"));
        for (j, (p, q)) in xy.iter().zip(wxy).enumerate() {
            match (q[0].as_f64(), q[1].as_f64()) {
                (Some(x), Some(y)) => assert!(
                    (p[0] - x).abs() < 2e-6 && (p[1] - y).abs() < 2e-6,
                    "{}: {p:?} vs {q}",
                    c(&format!("point {j}"))
                ),
                _ => assert!(
                    p[0].is_nan() && p[1].is_nan(),
                    "{}",
                    c(&format!("point {j} NaN"))
                ),
            }
        }
        let vis: Vec<bool> = w["visible"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        let got_vis: Vec<bool> = inst.points.iter().map(|p| p.visible).collect();
        assert_eq!(got_vis, vis, "{}", c("visible"));
        if inst.is_predicted() {
            assert!(
                (inst.score - w["score"].as_f64().unwrap()).abs() < 2e-6,
                "{}",
                c("score")
            );
            assert!(
                (inst.tracking_score - w["tracking_score"].as_f64().unwrap()).abs() < 2e-6,
                "{}",
                c("tracking_score")
            );
            for (p, s) in inst
                .points
                .iter()
                .zip(w["point_scores"].as_array().unwrap())
            {
                assert!(
                    (p.score - s.as_f64().unwrap()).abs() < 2e-6,
                    "{}",
                    c("point score")
                );
            }
        }
    }
}

#[test]
fn reads_all_25_files_like_the_oracle() {
    let dir = crate::shared_or_skip!();
    let want = expected(&dir);
    let files = want["files"].as_object().unwrap();
    assert_eq!(files.len(), 25);
    for (name, w) in files {
        check_file(&dir.join("slp").join(name), w);
    }
}

/// `labels info` folds a .slp file's frames as they are decoded (no labels model): the same
/// summary, bit for bit (the sums add the same points in the same order), as summarising the
/// whole model, on the 25 real files and the bench's 100,000-frame predictions; the same
/// error on damaged ones.
#[test]
fn labels_info_without_the_model_equals_the_models_summary() {
    let dir = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.slp");
    write_slp(&big, &posedeck::cli::bench::slp::labels(3000)).unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("slp"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "slp"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "{files:?}");
    files.push(big.clone());
    for f in &files {
        let slp = read_slp(f).unwrap();
        let mut want = summarize(f, "sleap", &slp.labels);
        want.format_id = Some(slp.format_id);
        want.warnings = slp.warnings.clone();
        let got = posedeck::cli::labels::load_info(f).unwrap();
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap(),
            "{}",
            f.display()
        );
    }
    // Damage: every 997th cut of the big file and a few flipped bytes fail alike.
    let bytes = std::fs::read(&big).unwrap();
    let bad = tmp.path().join("bad.slp");
    let mut cases: Vec<Vec<u8>> = (1..bytes.len())
        .step_by(bytes.len() / 40)
        .map(|n| bytes[..n].to_vec())
        .collect();
    for k in 1..12 {
        let mut b = bytes.clone();
        let at = bytes.len() / 12 * k;
        b[at] ^= 0x5a;
        cases.push(b);
    }
    for bytes in cases {
        std::fs::write(&bad, &bytes).unwrap();
        let model = read_slp(&bad).map(|slp| {
            let mut i = summarize(&bad, "sleap", &slp.labels);
            i.format_id = Some(slp.format_id);
            i.warnings = slp.warnings;
            serde_json::to_string(&i).unwrap()
        });
        let folded =
            posedeck::cli::labels::load_info(&bad).map(|i| serde_json::to_string(&i).unwrap());
        match (model, folded) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("{} bytes: model {a:?}, folded {b:?}", bytes.len()),
        }
    }
}

#[test]
fn files_that_crash_sleap_io_read_fully() {
    let dir = crate::shared_or_skip!();
    let s = read_slp(&dir.join("slp/spilled_source_video.pkg.slp")).unwrap();
    let v = &s.labels.videos[0];
    let emb = v.embedded.as_ref().expect("embedded frames");
    assert_eq!(emb.frames.len(), 1);
    assert!(emb.frames[0].starts_with(b"\x89PNG"), "a PNG");
    let src = v
        .source_video
        .as_ref()
        .expect("spilled source video read from the json dataset");
    assert_eq!(src.image_filenames.len(), 2200);
    assert_eq!(src.image_filenames[0], "raw_images_top/frame_00000.jpg");

    let s = read_slp(&dir.join("slp/demo-flies13-seg.h5wasm.slp")).unwrap();
    let l = &s.labels;
    assert_eq!(l.labeled_frames.len(), 1350);
    assert!(l.labeled_frames.iter().all(|f| f.instances.len() == 2));
    assert!(
        s.warnings.iter().any(|w| w.contains("masks")),
        "{:?}",
        s.warnings
    );
}

/// Reads each written file back with sleap-io (and h5py for the embedded image bytes).
const SLEAP_IO_READBACK: &str = r#"
import json, sys, warnings
import numpy as np, h5py
warnings.simplefilter("ignore")
import sleap_io as sio
out = {}
for orig, new in zip(sys.argv[1::2], sys.argv[2::2]):
    r = {}
    try:
        labels = sio.load_slp(new, open_videos=False)
        u = [i for lf in labels.labeled_frames for i in lf.instances if type(i) is sio.Instance]
        p = [i for lf in labels.labeled_frames for i in lf.instances if type(i) is sio.PredictedInstance]
        r["n_labeled_frames"] = len(labels.labeled_frames)
        r["n_user_instances"] = len(u)
        r["n_predicted_instances"] = len(p)
        r["n_videos"] = len(labels.videos)
        r["n_skeletons"] = len(labels.skeletons)
        r["n_tracks"] = len(labels.tracks)
        r["n_suggestions"] = len(labels.suggestions)
        r["user_xy_nansum"] = float(sum(np.nansum(i.numpy()) for i in u))
        r["pred_xy_nansum"] = float(sum(np.nansum(i.numpy()) for i in p))
        r["skeletons"] = [[s.name, s.node_names, [[e.source.name, e.destination.name] for e in s.edges]] for s in labels.skeletons]
        r["track_names"] = [t.name for t in labels.tracks]
    except Exception as e:
        r["error"] = repr(e)
    emb = []
    with h5py.File(orig, "r") as fo, h5py.File(new, "r") as fn:
        for g in sorted(k for k in fo.keys() if k.startswith("video") and isinstance(fo[k], h5py.Group) and "video" in fo[k]):
            a, b = fo[g]["video"], fn[g]["video"] if g in fn and "video" in fn[g] else None
            if b is None:
                emb.append([g, "missing"]); continue
            same = len(a) == len(b)
            for i in range(min(len(a), len(b))):
                x, y = np.asarray(a[i]).tobytes(), np.asarray(b[i]).tobytes()
                if a.dtype.kind != "O":
                    x, y = x.rstrip(b"\0"), y.rstrip(b"\0")
                same = same and x == y
            emb.append([g, "same" if same else "different", len(a), str(b.dtype)])
    r["embedded"] = emb
    out[orig.rsplit("/", 1)[-1]] = r
print(json.dumps(out))
"#;

#[test]
fn round_trip_through_sleap_io() {
    let dir = crate::shared_or_skip!();
    let py = crate::peers_or_skip!();
    let want = expected(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = Vec::new();
    let mut ours = std::collections::BTreeMap::new();
    for name in want["files"].as_object().unwrap().keys() {
        let src = dir.join("slp").join(name);
        let slp = read_slp(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = tmp.path().join(name);
        write_slp(&out, &slp.labels).unwrap_or_else(|e| panic!("{name}: write: {e}"));
        // posedeck reads its own file back to the same labels.
        let back = read_slp(&out).unwrap_or_else(|e| panic!("{name}: reread: {e}"));
        assert_eq!(back.format_id, 1.4);
        assert_labels_equal(name, &slp.labels, &back.labels);
        ours.insert(name.clone(), summarize(&src, "sleap", &slp.labels));
        args.push(src.display().to_string());
        args.push(out.display().to_string());
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = crate::common::run_python(&py, SLEAP_IO_READBACK, &arg_refs);
    let got: Value = serde_json::from_str(text.trim()).expect("python output is JSON");
    for (name, info) in &ours {
        let r = &got[name];
        assert!(
            r.get("error").is_none(),
            "{name}: sleap-io could not read posedeck's file: {}",
            r["error"]
        );
        let n = |k: &str| r[k].as_u64().unwrap() as usize;
        assert_eq!(n("n_labeled_frames"), info.n_labeled_frames, "{name}");
        assert_eq!(n("n_user_instances"), info.n_user_instances, "{name}");
        assert_eq!(
            n("n_predicted_instances"),
            info.n_predicted_instances,
            "{name}"
        );
        assert_eq!(n("n_videos"), info.n_videos, "{name}");
        assert_eq!(n("n_skeletons"), info.n_skeletons, "{name}");
        assert_eq!(n("n_tracks"), info.n_tracks, "{name}");
        assert_eq!(n("n_suggestions"), info.n_suggestions, "{name}");
        assert!(
            close(
                r["user_xy_nansum"].as_f64().unwrap(),
                info.user_xy_nansum,
                1e-9
            ),
            "{name} user xy"
        );
        assert!(
            close(
                r["pred_xy_nansum"].as_f64().unwrap(),
                info.pred_xy_nansum,
                1e-9
            ),
            "{name} pred xy"
        );
        for (k, sk) in info.skeletons.iter().enumerate() {
            let w = &r["skeletons"][k];
            assert_eq!(w[0].as_str(), sk.name.as_deref(), "{name} skeleton name");
            assert_eq!(names(&w[2]), sk.edges, "{name} edges");
        }
        // Embedded images: byte-for-byte.
        for e in r["embedded"].as_array().unwrap() {
            assert_eq!(e[1], "same", "{name}: embedded frames {e}");
        }
        if name.ends_with(".pkg.slp") {
            eprintln!("{name}: embedded {}", r["embedded"]);
            assert!(
                !r["embedded"].as_array().unwrap().is_empty(),
                "{name}: no embedded frames compared"
            );
        }
    }
}

fn assert_labels_equal(
    name: &str,
    a: &posedeck::labels::LabelsData,
    b: &posedeck::labels::LabelsData,
) {
    assert_eq!(a.labeled_frames.len(), b.labeled_frames.len(), "{name}");
    for (fa, fb) in a.labeled_frames.iter().zip(&b.labeled_frames) {
        assert_eq!((fa.video, fa.frame_idx), (fb.video, fb.frame_idx), "{name}");
        assert_eq!(fa.instances.len(), fb.instances.len(), "{name}");
        for (ia, ib) in fa.instances.iter().zip(&fb.instances) {
            assert_eq!(ia.kind, ib.kind, "{name}");
            assert_eq!(ia.track, ib.track, "{name}");
            assert_eq!(ia.skeleton, ib.skeleton, "{name}");
            assert_eq!(ia.from_predicted, ib.from_predicted, "{name}");
            assert_eq!(
                (ia.score as f32).to_bits(),
                (ib.score as f32).to_bits(),
                "{name}"
            );
            for (pa, pb) in ia.points.iter().zip(&ib.points) {
                assert!(pa.x.to_bits() == pb.x.to_bits() || pa.x == pb.x, "{name}");
                assert!(pa.y.to_bits() == pb.y.to_bits() || pa.y == pb.y, "{name}");
                assert_eq!(
                    (pa.visible, pa.complete),
                    (pb.visible, pb.complete),
                    "{name}"
                );
            }
        }
    }
    assert_eq!(a.skeletons, b.skeletons, "{name}");
    assert_eq!(a.tracks, b.tracks, "{name}");
    assert_eq!(a.suggestions, b.suggestions, "{name}");
    assert_eq!(a.negative_frames, b.negative_frames, "{name}");
    assert_eq!(a.provenance, b.provenance, "{name}");
    assert_eq!(a.videos.len(), b.videos.len(), "{name}");
    for (va, vb) in a.videos.iter().zip(&b.videos) {
        assert_eq!(va.image_filenames, vb.image_filenames, "{name}");
        assert_eq!(
            va.embedded.as_ref().map(|e| &e.frames),
            vb.embedded.as_ref().map(|e| &e.frames),
            "{name}"
        );
        assert_eq!(
            va.embedded.as_ref().map(|e| &e.frame_numbers),
            vb.embedded.as_ref().map(|e| &e.frame_numbers),
            "{name}"
        );
        assert_eq!(
            va.source_video.is_some(),
            vb.source_video.is_some(),
            "{name}"
        );
    }
}

// ---- Bad input: clear errors naming the file, never a panic. ----

use posedeck::formats::hdf5::{WAttr, WData, WGroup};
use posedeck::formats::slp::write::build;
use posedeck::labels::{Instance, LabeledFrame, LabelsData, Point, Skeleton, Track, Video};

fn small_labels() -> LabelsData {
    let sk = Skeleton::new("s", &["a", "b"], &[(0, 1)]);
    let inst = Instance::user(0, vec![Point::new(1.0, 2.0), Point::new(3.0, 4.0)]);
    LabelsData {
        videos: vec![Video::from_path("missing_dir/missing.mp4")],
        skeletons: vec![sk],
        tracks: vec![Track::new("t")],
        labeled_frames: vec![LabeledFrame::with_instances(0, 5, vec![inst])],
        ..Default::default()
    }
}

fn write_tree(path: &Path, root: &WGroup) {
    std::fs::write(path, root.to_bytes(path).unwrap()).unwrap();
}

fn dataset_mut<'a>(root: &'a mut WGroup, name: &str) -> &'a mut WData {
    &mut root
        .datasets
        .iter_mut()
        .find(|d| d.name == name)
        .unwrap()
        .data
}

fn set_metadata_json(root: &mut WGroup, json: &str) {
    let md = &mut root
        .groups
        .iter_mut()
        .find(|(n, _)| n == "metadata")
        .unwrap()
        .1;
    for (k, v) in md.attrs.iter_mut() {
        if k == "json" {
            *v = WAttr::Str(json.to_string());
        }
    }
}

fn read_err(path: &Path) -> String {
    let e = read_slp(path)
        .expect_err("a damaged file must be refused")
        .to_string();
    assert!(
        e.contains(&path.display().to_string()),
        "error names the file: {e}"
    );
    e
}

#[test]
fn truncated_slp_is_refused_at_every_cut() {
    let dir = crate::shared_or_skip!();
    let bytes = std::fs::read(dir.join("slp/minimal_instance.slp")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("truncated.slp");
    let mut cuts: Vec<usize> = (0..bytes.len()).step_by(bytes.len() / 97 + 1).collect();
    cuts.extend([0, 7, 8, 100, bytes.len() / 2, bytes.len() - 1]);
    for cut in cuts {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        // Either a clear error naming the file, or (cut in unused trailing space) a good read.
        if let Err(e) = read_slp(&path) {
            let e = e.to_string();
            assert!(e.contains("truncated.slp"), "cut {cut}: {e}");
        }
    }
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_err(&path);
    assert!(
        e.contains("truncated") || e.contains("past the end") || e.contains("byte"),
        "{e}"
    );
}

#[test]
fn frames_pointing_past_the_instances_table() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad_frames.slp");
    let (mut root, _) = build(&path, &small_labels()).unwrap();
    if let WData::Compound { bytes, .. } = dataset_mut(&mut root, "frames") {
        bytes[28..36].copy_from_slice(&9u64.to_le_bytes()); // instance_id_end of row 0
    }
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(
        e.contains("dataset /frames row 0") && e.contains("instances table (1 rows)"),
        "{e}"
    );
}

#[test]
fn instances_pointing_past_the_points_table() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad_points.slp");
    let (mut root, _) = build(&path, &small_labels()).unwrap();
    if let WData::Compound { bytes, .. } = dataset_mut(&mut root, "instances") {
        bytes[45..53].copy_from_slice(&40u64.to_le_bytes()); // point_id_end of row 0
    }
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(
        e.contains("dataset /instances row 0") && e.contains("points table (2 rows)"),
        "{e}"
    );
}

#[test]
fn json_that_is_not_a_skeleton() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad_skeleton.slp");
    let (mut root, _) = build(&path, &small_labels()).unwrap();
    set_metadata_json(
        &mut root,
        r#"{"version": "2.0.0", "nodes": [{"name": "a"}], "skeletons": [["not", "a", "skeleton"]]}"#,
    );
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(
        e.contains("/metadata json: skeleton 0: not a skeleton object"),
        "{e}"
    );

    set_metadata_json(&mut root, "{not json");
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(
        e.contains("/metadata json attribute: not valid JSON"),
        "{e}"
    );
}

#[test]
fn node_index_out_of_range() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad_node.slp");
    let (mut root, _) = build(&path, &small_labels()).unwrap();
    set_metadata_json(
        &mut root,
        r#"{"version": "2.0.0", "nodes": [{"name": "a"}, {"name": "b"}],
            "skeletons": [{"graph": {"name": "s"}, "nodes": [{"id": 0}, {"id": 7}], "links": []}]}"#,
    );
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(
        e.contains("skeleton 0: node 1 refers to node index 7 but the file lists 2 nodes"),
        "{e}"
    );

    // An edge naming a node that is not in the skeleton.
    set_metadata_json(
        &mut root,
        r#"{"version": "2.0.0", "nodes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "skeletons": [{"graph": {"name": "s"}, "nodes": [{"id": 0}, {"id": 1}],
              "links": [{"source": 0, "target": 2, "type": {"py/reduce": [{"py/type": "sleap.skeleton.EdgeType"}, {"py/tuple": [1]}]}}]}]}"#,
    );
    write_tree(&path, &root);
    let e = read_err(&path);
    assert!(e.contains("link 0 refers to node index 2"), "{e}");
}

#[test]
fn missing_video_is_a_warning_and_labels_stay_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("missing_video.slp");
    write_slp(&path, &small_labels()).unwrap();
    let s = read_slp(&path).unwrap();
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("video 0: missing_dir/missing.mp4 not found")),
        "{:?}",
        s.warnings
    );
    assert_eq!(s.labels.labeled_frames.len(), 1);
    assert_eq!(
        s.labels.labeled_frames[0].instances[0].xy(),
        vec![[1.0, 2.0], [3.0, 4.0]]
    );
    // The CLI reports it and still summarises.
    let (code, out, _) = crate::common::run_posedeck(&["labels", "info", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("warning: video 0: missing_dir/missing.mp4 not found"),
        "{out}"
    );
    assert!(
        out.contains("1 labeled (1 user instances, 0 predicted)"),
        "{out}"
    );
}

#[test]
fn not_hdf5_and_cli_errors_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("plain.slp");
    std::fs::write(&path, b"this is not an HDF5 file at all").unwrap();
    let e = read_err(&path);
    assert!(
        e.contains("at byte 0") && e.contains("not an HDF5 file"),
        "{e}"
    );
    let (code, out, err) = crate::common::run_posedeck(&["labels", "info", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("posedeck: error: ") && err.contains("plain.slp"),
        "{err}"
    );
}

#[test]
fn labels_info_json_uses_the_oracle_field_names() {
    let dir = crate::shared_or_skip!();
    let want = expected(&dir);
    let name = "synthetic_multi_skeleton.slp";
    let path = dir.join("slp").join(name);
    let (code, out, err) =
        crate::common::run_posedeck(&["labels", "info", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    let w = &want["files"][name];
    for k in [
        "n_labeled_frames",
        "n_user_instances",
        "n_predicted_instances",
        "n_videos",
        "n_skeletons",
        "n_tracks",
        "track_names",
        "n_suggestions",
        "frames_per_video",
    ] {
        assert_eq!(got[k], w[k], "{k}");
    }
    for k in ["user_xy_nansum", "pred_xy_nansum"] {
        assert!(
            close(got[k].as_f64().unwrap(), w[k].as_f64().unwrap(), 1e-6),
            "{k}"
        );
    }
    for (g, e) in got["skeletons"]
        .as_array()
        .unwrap()
        .iter()
        .zip(w["skeletons"].as_array().unwrap())
    {
        for k in ["name", "nodes", "edges", "symmetries"] {
            assert_eq!(g[k], e[k], "skeleton {k}");
        }
    }
    // Human output: readable, and control characters from files never reach the terminal.
    let (code, out, _) = crate::common::run_posedeck(&["labels", "info", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("skeletons:   2") && out.contains("fly3") && out.contains("mouse4"),
        "{out}"
    );
}

#[test]
fn control_characters_from_files_are_sanitized() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("escapes.slp");
    let mut l = small_labels();
    l.skeletons[0].name = "evil\x1b[31mname\x07".into();
    l.tracks[0].name = "t\x1b]0;title\x07".into();
    write_slp(&path, &l).unwrap();
    let (code, out, _) = crate::common::run_posedeck(&["labels", "info", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("evil\\u{1b}[31mname"), "{out}");
}

/// `labels info` reads Lightning Pose label CSVs too (and their project folder): the real
/// mirror-mouse CollectedData gives 90 frames, one user instance each, 17 nodes.
#[test]
fn labels_info_reads_lightning_pose_csv() {
    let data = crate::shared_or_skip!();
    let mm = data.join("lp-mirror-mouse");
    for target in [mm.join("CollectedData.csv"), mm.clone()] {
        let (code, out, err) =
            crate::common::run_posedeck(&["labels", "info", target.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{err}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j["n_labeled_frames"], 90, "{out}");
        assert_eq!(j["n_user_instances"], 90);
        assert_eq!(j["n_predicted_instances"], 0);
        assert_eq!(j["skeletons"][0]["nodes"].as_array().unwrap().len(), 17);
    }
}
