use super::*;
use crate::formats::csv::PoseTable;
use std::path::Path;

fn table(coords: &[&str], index: &[&str], values: Vec<f64>) -> PoseTable {
    PoseTable::new(
        "rick",
        vec!["nose".into(), "tail".into()],
        coords.iter().map(|s| s.to_string()).collect(),
        index.iter().map(|s| s.to_string()).collect(),
        values,
        None,
    )
    .unwrap()
}

#[test]
fn csv_rows_become_image_sequence_videos_and_instances() {
    let nan = f64::NAN;
    let t = table(
        &["x", "y", "visible"],
        &[
            "labeled-data/vidA/img00000003.png",
            "labeled-data/vidB/img00000001.png",
            "labeled-data/vidA/img00000009.png",
            "labeled-data/vidA/img00000010.png",
        ],
        vec![
            1.0, 2.0, 2.0, 3.0, 4.0, 1.0, // visible, occluded
            5.0, 6.0, 2.0, nan, nan, 0.0, // one missing
            7.0, 8.0, 0.0, nan, nan, nan, // visible 0 = not placed -> empty row
            9.0, 9.5, nan, 1.5, 2.5, 2.0, // no visible value = visible
        ],
    );
    let l = Labels::from_lightning_pose(&t, Path::new("/proj/CollectedData.csv")).unwrap();
    assert_eq!(l.videos.len(), 2);
    assert_eq!(l.videos[0].image_filenames.len(), 3);
    assert_eq!(
        l.videos[0].image_filenames[1],
        "/proj/labeled-data/vidA/img00000009.png"
    );
    assert_eq!(l.skeletons[0].nodes, vec!["nose", "tail"]);
    assert_eq!(l.labeled_frames.len(), 4);
    let f = l.frame(0, 0).unwrap();
    assert!(f.instances[0].points[0].visible);
    assert!(!f.instances[0].points[1].visible && f.instances[0].points[1].x == 3.0);
    assert!(
        l.frame(0, 1).unwrap().instances.is_empty(),
        "nothing placed: empty frame"
    );
    assert!(l.frame(0, 2).unwrap().instances[0].points[1].visible);
    assert!(l.frame(1, 0).unwrap().instances[0].points[1].x.is_nan());
    assert_eq!(l.n_user_instances(), 3);
    assert_eq!(l.provenance[LP_PROVENANCE]["scorer"], "rick");

    // and back: same index, same numbers (visible written since one point is occluded)
    let plan = l
        .to_lightning_pose(Path::new("x.slp"), &LpExportOptions::default())
        .unwrap();
    assert_eq!(plan.table.scorer, "rick");
    assert_eq!(plan.table.coords, vec!["x", "y", "visible"]);
    let mut idx = plan.table.index.clone();
    idx.sort();
    let mut want = t.index.clone();
    want.sort();
    assert_eq!(idx, want);
    let row = plan
        .table
        .index
        .iter()
        .position(|s| s.ends_with("vidA/img00000003.png"))
        .unwrap();
    assert_eq!(
        plan.table.row(row).unwrap(),
        &[1.0, 2.0, 2.0, 3.0, 4.0, 1.0]
    );
}

#[test]
fn predictions_csv_gives_predicted_instances() {
    let t = table(
        &["x", "y", "likelihood"],
        &["labeled-data/img01.png"],
        vec![1.0, 2.0, 0.5, 3.0, 4.0, 0.25],
    );
    let l = Labels::from_lightning_pose(&t, Path::new("p/predictions.csv")).unwrap();
    let inst = &l.frame(0, 0).unwrap().instances[0];
    assert!(inst.is_predicted());
    assert_eq!(inst.points[1].score, 0.25);
    assert!((inst.score - 0.375).abs() < 1e-12);
    // predictions alone are not labels
    let plan = l
        .to_lightning_pose(Path::new("x"), &LpExportOptions::default())
        .unwrap();
    assert_eq!(plan.table.n_rows(), 0);
    assert_eq!(plan.skipped_predicted_only, 1);
}

#[test]
fn csv_without_xy_or_with_repeated_frames_is_refused() {
    let t = table(&["a", "b"], &["labeled-data/v/i.png"], vec![1.0; 4]);
    let e = Labels::from_lightning_pose(&t, Path::new("c.csv")).unwrap_err();
    assert!(e.to_string().contains("c.csv") && e.to_string().contains("x and y"));
    let t = table(&["x", "y"], &["3", "3"], vec![1.0; 8]);
    let e = Labels::from_lightning_pose(&t, Path::new("c.csv")).unwrap_err();
    assert!(e.to_string().contains("repeats frame 3"), "{e}");
}

#[test]
fn multi_instance_frames_need_an_instance_choice() {
    let mut l = fixture();
    l.add_instance(0, 1, user(1.0)).unwrap();
    l.add_instance(0, 1, user(2.0)).unwrap();
    l.add_instance(0, 2, user(3.0)).unwrap();
    let e = l
        .to_lightning_pose(Path::new("m.slp"), &LpExportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("1 frames have more than one user instance") && e.contains("--instance"),
        "{e}"
    );
    let plan = l
        .to_lightning_pose(Path::new("m.slp"), &LpExportOptions { instance: Some(1) })
        .unwrap();
    assert_eq!(plan.table.n_rows(), 1);
    assert_eq!(plan.skipped_no_such_instance, 1);
    assert_eq!(plan.table.xy(0, 0), Some((2.0, 3.0)));
    assert_eq!(plan.table.index[0], "labeled-data/cam0/img00000001.png");
    assert_eq!(plan.table.coords, vec!["x", "y"]);
}

#[test]
fn project_export_copies_embedded_png_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let img = FrameImageFixture::png(4, 3);
    let mut l = fixture();
    let v = l.video_mut(0).unwrap();
    v.filename = ".".into();
    v.embedded = Some(EmbeddedFrames {
        dataset: "video0/video".into(),
        format: "png".into(),
        frame_numbers: vec![7],
        frames: vec![img.clone()],
        ..Default::default()
    });
    v.source_video = Some(Box::new(Video::from_path("/data/mouse_day1.mp4")));
    l.add_instance(0, 7, user(1.0)).unwrap();
    l.add_instance(1, 2, user(2.0)).unwrap(); // a video file: needs ffmpeg
    let out = tmp.path().join("lp");
    let r = l
        .write_lightning_pose_project(&tmp.path().join("x.pkg.slp"), &out, &Default::default())
        .unwrap();
    assert_eq!(r.rows, 2);
    assert_eq!(r.images_written, 1);
    let png = std::fs::read(out.join("labeled-data/mouse_day1/img00000007.png")).unwrap();
    assert_eq!(png, img, "byte for byte");
    assert_eq!(r.images_missing.len(), 1);
    assert!(r.images_missing[0].0.contains("cam1"));
    let back = PoseTable::read(&out.join("CollectedData.csv")).unwrap();
    assert_eq!(back.n_rows(), 2);
    // a second export into the same folder is refused
    let e = l
        .write_lightning_pose_project(&tmp.path().join("x.pkg.slp"), &out, &Default::default())
        .unwrap_err();
    assert!(e.to_string().contains("not empty"));
}

struct FrameImageFixture;
impl FrameImageFixture {
    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = crate::labels::media::FrameImage {
            height: h,
            width: w,
            channels: 1,
            pixels: (0..w * h).map(|i| (i * 17) as u8).collect(),
        };
        img.to_png().unwrap()
    }
}

#[test]
fn training_data_from_embedded_frames() {
    let tmp = tempfile::tempdir().unwrap();
    let mut l = fixture();
    let v = l.video_mut(0).unwrap();
    v.filename = ".".into();
    v.embedded = Some(EmbeddedFrames {
        dataset: "video0/video".into(),
        format: "png".into(),
        frame_numbers: vec![3, 5],
        frames: vec![FrameImageFixture::png(4, 3), FrameImageFixture::png(5, 2)],
        ..Default::default()
    });
    l.add_instance(0, 3, user(1.0)).unwrap();
    l.add_instance(0, 3, user(2.0)).unwrap();
    let mut one_missing = user(4.0);
    one_missing.points[2] = Point::missing();
    l.add_instance(0, 5, one_missing).unwrap();
    l.add_instance(0, 5, pred(0.0, 0.2)).unwrap();
    let src = tmp.path().join("l.pkg.slp");
    let td = l.generate_training_data(&src, &Default::default()).unwrap();
    assert_eq!(td.max_instances, 2);
    assert_eq!(td.examples.len(), 2);
    let e = &td.examples[1];
    assert_eq!((e.image.width, e.image.height, e.image.channels), (5, 2, 1));
    assert_eq!(e.n_instances, 1);
    assert_eq!(e.points[0], [4.0, 5.0]);
    assert!(e.points[2][0].is_nan(), "missing node");
    assert!(e.points[3][0].is_nan(), "padding");
    assert_eq!(td.examples[0].points[3], [2.0, 3.0]);
    let out = tmp.path().join("train.h5");
    let s = l
        .export_training_data(&src, &out, &Default::default())
        .unwrap();
    assert_eq!((s.frames, s.max_instances, s.nodes), (2, 2, 3));
    let f = crate::formats::hdf5::H5File::open(&out).unwrap();
    let ds = f.dataset("images").unwrap().unwrap();
    assert_eq!(ds.shape().unwrap(), vec![2, 3, 5, 1]);
    let pts = f.dataset("points").unwrap().unwrap();
    assert_eq!(pts.shape().unwrap(), vec![2, 2, 3, 2]);
    // a frame of a video file cannot be read without ffmpeg: the error names the video
    l.add_instance(1, 0, user(0.0)).unwrap();
    let e = l
        .generate_training_data(&src, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cam1.mp4"), "{e}");
}
