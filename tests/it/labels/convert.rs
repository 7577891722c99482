use super::*;
use crate::common::run_posedeck;
use crate::shared_or_skip;
use posedeck::formats::csv::PoseTable;

#[test]
fn pkg_slp_to_lightning_pose_and_back_keeps_points_and_image_bytes() {
    let dir = shared_or_skip!();
    let src = dir.join("slp/minimal_instance.pkg.slp");
    let tmp = tempfile::tempdir().unwrap();
    let lp = tmp.path().join("lp");
    let before = fingerprint(&src);
    // two animals in the frame: refused without --instance, naming the file
    let (code, _, err) = run_posedeck(&[
        "labels",
        "convert",
        src.to_str().unwrap(),
        lp.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("minimal_instance.pkg.slp") && err.contains("--instance"),
        "{err}"
    );
    assert!(!lp.exists(), "nothing written");
    let orig = load(&src);
    for k in 0..2usize {
        let out = tmp.path().join(format!("lp{k}"));
        let (code, stdout, err) = run_posedeck(&[
            "labels",
            "convert",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            "--instance",
            &k.to_string(),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(stdout.contains("1 images"), "{stdout}");
        let table = PoseTable::read(&out.join("CollectedData.csv")).unwrap();
        assert_eq!(table.keypoints, vec!["A", "B"]);
        let png = std::fs::read(out.join(&table.index[0])).unwrap();
        let emb = orig.videos[0].embedded.as_ref().unwrap();
        assert_eq!(png, emb.frames[0], "the embedded PNG, byte for byte");
        // back to .slp and .pkg.slp: the chosen instance's points survive exactly
        for name in ["back.slp", "back.pkg.slp"] {
            let back_path = out.join(name);
            let (code, _, err) = run_posedeck(&[
                "labels",
                "convert",
                out.to_str().unwrap(),
                back_path.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{err}");
            let back = load(&back_path);
            assert_eq!(back.n_user_instances(), 1);
            let want = &orig.labeled_frames[0].instances[k];
            let got = &back.labeled_frames[0].instances[0];
            assert_eq!(got.xy(), want.xy());
            if name == "back.pkg.slp" {
                let e = back.videos[0].embedded.as_ref().expect("embedded");
                assert_eq!(e.frames[0], png, "re-embedded byte for byte");
            }
        }
    }
    assert_eq!(fingerprint(&src), before, "input untouched");
}

#[test]
fn lightning_pose_csv_to_slp_to_csv_is_exact_and_sleap_io_reads_it() {
    let dir = shared_or_skip!();
    let csv = dir.join("lp-mirror-mouse/CollectedData.csv");
    let orig = PoseTable::read(&csv).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let slp = tmp.path().join("mouse.slp");
    let (code, out, err) = run_posedeck(&[
        "labels",
        "convert",
        csv.to_str().unwrap(),
        slp.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("90 labeled frames"), "{out}");
    let l = load(&slp);
    assert_eq!(l.labeled_frames.len(), 90);
    assert_eq!(l.skeletons[0].nodes.len(), 17);
    let csv2 = tmp.path().join("again.csv");
    let (code, _, err) = run_posedeck(&[
        "labels",
        "convert",
        slp.to_str().unwrap(),
        csv2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let back = PoseTable::read(&csv2).unwrap();
    assert_eq!(back.index, orig.index);
    assert_eq!(back.keypoints, orig.keypoints);
    assert_eq!(back.scorer, "rick");
    assert_eq!(back.coords, vec!["x", "y"]);
    assert_eq!(back.values.len(), orig.values.len());
    for (a, b) in back.values.iter().zip(&orig.values) {
        assert!(a == b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
    }
    // the whole project folder: images copied beside the CSV
    let proj = tmp.path().join("proj");
    let (code, out, err) = run_posedeck(&[
        "labels",
        "convert",
        slp.to_str().unwrap(),
        proj.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("90 images"), "{out}");
    let first = &orig.index[0];
    assert_eq!(
        std::fs::read(proj.join(first)).unwrap(),
        std::fs::read(dir.join("lp-mirror-mouse").join(first)).unwrap()
    );
    // sleap-io reads our .slp and .pkg.slp
    let Some(py) = crate::common::peer_python() else {
        return;
    };
    let pkg = tmp.path().join("mouse.pkg.slp");
    let (code, _, err) = run_posedeck(&[
        "labels",
        "convert",
        csv.to_str().unwrap(),
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let script = "import sleap_io as sio, sys, numpy as np\nfor p in sys.argv[1:]:\n    l = sio.load_slp(p, open_videos=False)\n    n = sum(len(lf.user_instances) for lf in l.labeled_frames)\n    s = sum(float(np.nansum(i.numpy())) for lf in l.labeled_frames for i in lf.user_instances)\n    print(len(l.labeled_frames), n, len(l.skeletons[0].nodes), round(s, 3))";
    let got =
        crate::common::run_python(&py, script, &[slp.to_str().unwrap(), pkg.to_str().unwrap()]);
    let sum: f64 = orig.values.iter().filter(|v| v.is_finite()).sum();
    let rows_with_any = (0..orig.n_rows())
        .filter(|&r| (0..17).any(|k| !orig.is_missing(r, k)))
        .count();
    let line = format!("90 {rows_with_any} 17 {}", (sum * 1000.0).round() / 1000.0);
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        vec![line.as_str(), line.as_str()],
        "{got}"
    );
}

#[test]
fn slp_to_slp_normalises_every_real_file_and_refuses_to_overwrite() {
    let dir = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    for p in slp_files(&dir) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(&name);
        let (code, _, err) = run_posedeck(&[
            "labels",
            "convert",
            p.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let (a, b) = (load(&p), load(&out));
        assert_eq!(a.labeled_frames.len(), b.labeled_frames.len(), "{name}");
        assert_eq!(a.n_user_instances(), b.n_user_instances(), "{name}");
        assert_eq!(
            a.n_predicted_instances(),
            b.n_predicted_instances(),
            "{name}"
        );
        let xy = |l: &Labels| -> f64 {
            l.all_instances()
                .flat_map(|i| i.xy())
                .flatten()
                .filter(|v| v.is_finite())
                .sum()
        };
        assert!(
            (xy(&a) - xy(&b)).abs() <= 1e-9 * xy(&a).abs().max(1.0),
            "{name}"
        );
    }
    let p = dir.join("slp/typical.slp");
    let (code, _, err) = run_posedeck(&[
        "labels",
        "convert",
        p.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("output is the input"), "{err}");
    let (code, _, err) = run_posedeck(&["labels", "convert", p.to_str().unwrap(), "/tmp/x.txt"]);
    assert_eq!(code, 2);
    assert!(
        err.lines().count() == 1 && err.contains("unknown output type"),
        "{err}"
    );
}
