use super::*;
use crate::shared_or_skip;
use serde_json::Value;

#[test]
fn every_real_slp_loads_into_the_indexed_model() {
    let dir = shared_or_skip!();
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("slp/EXPECTED.json")).unwrap())
            .unwrap();
    let files = slp_files(&dir);
    assert_eq!(files.len(), 25);
    for p in files {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let l = load(&p);
        let e = &exp["files"][&name];
        assert_eq!(
            l.labeled_frames.len() as u64,
            e["n_labeled_frames"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            l.n_user_instances() as u64,
            e["n_user_instances"].as_u64().unwrap(),
            "{name}"
        );
        if let Some(n) = e["n_predicted_instances"].as_u64() {
            assert_eq!(l.n_predicted_instances() as u64, n, "{name}");
        }
        // the O(1) counts agree with a full count, and every frame is found by its key
        assert_eq!(l.user_instances().count(), l.n_user_instances(), "{name}");
        for f in &l.labeled_frames {
            assert!(
                std::ptr::eq(l.frame(f.video, f.frame_idx).unwrap(), f),
                "{name}"
            );
        }
        if let Some(fpv) = e["frames_per_video"].as_array() {
            for (v, n) in fpv.iter().enumerate() {
                assert_eq!(
                    l.n_frames_in_video(v) as u64,
                    n.as_u64().unwrap(),
                    "{name} video {v}"
                );
            }
        }
        // tracked instances are all in the occupancy table
        if let Some(n) = e["n_tracked_instances"].as_u64() {
            let mut total = 0;
            for v in 0..l.videos.len() {
                for t in 0..l.tracks.len() {
                    total += l.find_track_occupancy(v, t, None).len();
                }
            }
            assert_eq!(total as u64, n, "{name}");
        }
        // JSON round trip keeps everything (embedded images included)
        let back = Labels::from_json(&l.to_json()).unwrap();
        assert!(back == l, "{name}: JSON round trip differs");
    }
}

#[test]
fn resolver_finds_media_beside_a_moved_labels_file() {
    let dir = shared_or_skip!();
    let p = dir.join("slp/centered_pair_predictions.slp");
    let mut l = load(&p);
    assert_eq!(
        l.videos[0].filename,
        "tests/data/videos/centered_pair_low_quality.mp4"
    );
    let r = l.resolve_video_paths(&p, &[]);
    assert_eq!(r.fixed.len(), 1);
    assert_eq!(r.fixed[0].found_by, posedeck::labels::FoundBy::BesideLabels);
    assert!(Path::new(&l.videos[0].filename).is_file());
    assert_eq!(
        l.videos[0].backend["filename"],
        l.videos[0].filename.as_str()
    );
    // embedded frames need no resolving; a path that exists nowhere is reported missing
    let mut pkg = load(&dir.join("slp/minimal_instance.pkg.slp"));
    let r = pkg.resolve_video_paths(&dir.join("slp/minimal_instance.pkg.slp"), &[]);
    assert_eq!(r.embedded, vec![0]);
    let mut multi = load(&dir.join("slp/multiview.slp"));
    let r = multi.resolve_video_paths(&dir.join("slp/multiview.slp"), &[]);
    assert_eq!(r.missing.len(), 8);
    assert!(r.fixed.is_empty());
}

#[test]
fn training_data_export_from_a_real_package() {
    let dir = shared_or_skip!();
    let p = dir.join("slp/minimal_instance.pkg.slp");
    let l = load(&p);
    let td = l.generate_training_data(&p, &Default::default()).unwrap();
    assert_eq!(td.examples.len(), 1);
    assert_eq!(td.max_instances, 2);
    let e = &td.examples[0];
    assert_eq!(
        (e.image.height, e.image.width, e.image.channels),
        (384, 384, 1)
    );
    let xy_sum: f64 = e
        .points
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .map(|&v| v as f64)
        .sum();
    assert!((xy_sum - 1481.964485).abs() < 1e-3, "{xy_sum}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("train.h5");
    l.export_training_data(&p, &out, &Default::default())
        .unwrap();
    let f = posedeck::formats::hdf5::H5File::open(&out).unwrap();
    assert_eq!(
        f.dataset("images").unwrap().unwrap().shape().unwrap(),
        vec![1, 384, 384, 1]
    );
    assert_eq!(
        f.dataset("points").unwrap().unwrap().shape().unwrap(),
        vec![1, 2, 2, 2]
    );
    // h5py reads it too
    let Some(py) = crate::common::peer_python() else {
        return;
    };
    let got = crate::common::run_python(
        &py,
        "import h5py,sys,numpy as np\nf=h5py.File(sys.argv[1],'r')\nprint(f['images'].shape, round(float(np.nansum(f['points'][:])),3), [n.decode() if isinstance(n,bytes) else n for n in f['node_names'][:]])",
        &[out.to_str().unwrap()],
    );
    assert_eq!(got.trim(), "(1, 384, 384, 1) 1481.964 ['A', 'B']");
    // frames of a video file are decoded in-process (no ffmpeg needed)
    let clip = dir.join("slp/clip.slp");
    let data = load(&clip)
        .generate_training_data(&clip, &Default::default())
        .unwrap();
    drop(data);
}
