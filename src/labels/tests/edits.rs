use super::*;

#[test]
fn add_and_remove_instances_keep_counts_and_occupancy() {
    let mut l = fixture();
    let r0 = l.add_instance(0, 5, user(1.0).with_track(Some(0))).unwrap();
    let r1 = l
        .add_instance(0, 5, pred(2.0, 0.5).with_track(Some(1)))
        .unwrap();
    l.add_instance(0, 6, user(3.0).with_track(Some(0))).unwrap();
    assert_eq!((r0.instance, r1.instance), (0, 1));
    assert_eq!(l.labeled_frames.len(), 2);
    assert_eq!(l.n_user_instances(), 2);
    assert_eq!(l.n_predicted_instances(), 1);
    assert_eq!(l.get_track_occupancy(0)[&0], vec![5..7]);
    assert_eq!(l.get_track_occupancy(0)[&1], vec![5..6]);
    let removed = l.remove_instance(r1).unwrap();
    assert!(removed.is_predicted());
    assert_eq!(l.n_predicted_instances(), 0);
    assert!(!l.get_track_occupancy(0).contains_key(&1));
    assert_eq!(l.get_track_count(0), 1);
    // the frame stays, as in SLEAP
    assert!(l.has_frame(0, 5));
    assert!(l.remove_instance(r1).is_err(), "already gone");
}

#[test]
fn add_instance_rejects_bad_references() {
    let mut l = fixture();
    assert!(l.add_instance(9, 0, user(0.0)).is_err());
    let mut bad = user(0.0);
    bad.skeleton = 3;
    assert!(l.add_instance(0, 0, bad).is_err());
    let mut short = user(0.0);
    short.points.pop();
    assert!(l.add_instance(0, 0, short).is_err());
    assert!(l.add_instance(0, 0, user(0.0).with_track(Some(7))).is_err());
    assert!(
        l.add_instance(0, 0, user(0.0).with_from_predicted(Some(0)))
            .is_err()
    );
    assert!(l.labeled_frames.is_empty(), "nothing half-added");
}

#[test]
fn remove_instance_fixes_from_predicted_links() {
    let mut l = fixture();
    l.add_instance(0, 1, pred(0.0, 0.3)).unwrap();
    l.add_instance(0, 1, pred(5.0, 0.4)).unwrap();
    l.add_instance(0, 1, user(5.0).with_from_predicted(Some(1)))
        .unwrap();
    l.add_instance(0, 1, user(0.0).with_from_predicted(Some(0)))
        .unwrap();
    l.remove_instance(InstanceRef {
        video: 0,
        frame_idx: 1,
        instance: 0,
    })
    .unwrap();
    let f = l.frame(0, 1).unwrap();
    assert_eq!(f.instances[1].from_predicted, Some(0));
    assert_eq!(f.instances[2].from_predicted, None);
}

#[test]
fn add_frame_merges_into_existing_key() {
    let mut l = fixture();
    l.add_instance(0, 3, pred(0.0, 0.1)).unwrap();
    let f = LabeledFrame::with_instances(
        0,
        3,
        vec![pred(1.0, 0.2), user(1.0).with_from_predicted(Some(0))],
    );
    l.add_frame(f).unwrap();
    let f = l.frame(0, 3).unwrap();
    assert_eq!(f.instances.len(), 3);
    assert_eq!(f.instances[2].from_predicted, Some(1), "link shifted");
    assert_eq!(l.labeled_frames.len(), 1);
}

#[test]
fn remove_video_drops_frames_suggestions_and_shifts_indices() {
    let mut l = fixture();
    l.add_video(Video::from_path("/v2.mp4"));
    l.add_instance(0, 1, user(0.0)).unwrap();
    l.add_instance(1, 1, user(1.0).with_track(Some(1))).unwrap();
    l.add_instance(2, 7, user(2.0).with_track(Some(0))).unwrap();
    l.add_suggestion(1, 4, 0).unwrap();
    l.add_suggestion(2, 9, 1).unwrap();
    l.add_negative_frame(1, 2).unwrap();
    let v = l.remove_video(1).unwrap();
    assert_eq!(v.filename, "/data/mice/day1/cam1.mp4");
    assert_eq!(l.videos.len(), 2);
    assert_eq!(l.labeled_frames.len(), 2);
    assert!(l.frame(1, 7).is_some(), "video 2 became video 1");
    assert_eq!(l.suggestions.len(), 1);
    assert_eq!(l.suggestions[0].video, 1);
    assert!(l.negative_frames.is_empty());
    assert_eq!(l.get_track_occupancy(1)[&0], vec![7..8]);
    assert_eq!(l.n_user_instances(), 2);
    assert!(l.remove_video(5).is_err());
}

#[test]
fn edit_frame_updates_tables_and_rejects_invalid_edits() {
    let mut l = fixture();
    l.add_instance(0, 2, user(0.0)).unwrap();
    l.edit_frame(0, 2, |f| f.instances[0].track = Some(1))
        .unwrap();
    assert_eq!(l.find_track_occupancy(0, 1, None).len(), 1);
    let err = l.edit_frame(0, 2, |f| f.instances[0].skeleton = 9);
    assert!(err.is_err());
    assert_eq!(l.frame(0, 2).unwrap().instances[0].skeleton, 0, "restored");
    assert!(l.edit_frame(0, 99, |_| ()).is_err());
}

#[test]
fn remove_track_and_frames_and_empty_frames() {
    let mut l = fixture();
    l.add_instance(0, 1, user(0.0).with_track(Some(0))).unwrap();
    l.add_instance(0, 2, user(0.0).with_track(Some(1))).unwrap();
    l.add_frame(LabeledFrame::new(1, 3)).unwrap();
    l.remove_track(0).unwrap();
    assert_eq!(l.frame(0, 1).unwrap().instances[0].track, None);
    assert_eq!(l.frame(0, 2).unwrap().instances[0].track, Some(0));
    assert_eq!(l.get_track_occupancy(0)[&0], vec![2..3]);
    assert_eq!(l.remove_empty_frames(), 1);
    let f = l.remove_frame(0, 1).unwrap();
    assert_eq!(f.frame_idx, 1);
    assert_eq!(l.frame(0, 2).unwrap().frame_idx, 2, "positions re-indexed");
    assert_eq!(l.n_user_instances(), 1);
}

#[test]
fn from_data_validates_and_merges_duplicate_keys() {
    let mut d = fixture().into_data();
    d.labeled_frames
        .push(LabeledFrame::with_instances(0, 1, vec![user(0.0)]));
    d.labeled_frames.push(LabeledFrame::with_instances(
        0,
        1,
        vec![pred(0.0, 0.2), user(1.0).with_from_predicted(Some(0))],
    ));
    let l = Labels::from_data(d.clone()).unwrap();
    assert_eq!(l.labeled_frames.len(), 1);
    let f = l.frame(0, 1).unwrap();
    assert_eq!(f.instances.len(), 3);
    assert_eq!(f.instances[2].from_predicted, Some(1));
    let mut bad = d.clone();
    bad.labeled_frames[0].video = 4;
    let e = Labels::from_data(bad).unwrap_err();
    assert!(e.contains("video 4"), "{e}");
    let mut bad = d.clone();
    bad.labeled_frames[0].instances[0]
        .points
        .push(Point::missing());
    assert!(Labels::from_data(bad).unwrap_err().contains("4 points"));
    let mut bad = d;
    bad.skeletons[0].edges.push((0, 9));
    assert!(Labels::from_data(bad).is_err());
}

#[test]
fn json_round_trip_keeps_everything() {
    let mut l = fixture();
    let mut missing = user(0.0);
    missing.points[1] = Point::missing();
    l.add_instance(0, 1, missing).unwrap();
    l.add_instance(1, 4, pred(2.0, f64::NAN).with_track(Some(1)))
        .unwrap();
    l.add_suggestion(0, 8, 2).unwrap();
    l.provenance_mut()
        .insert("source".into(), serde_json::json!("test"));
    let s = serde_json::to_string(&l).unwrap();
    let back: Labels = serde_json::from_str(&s).unwrap();
    assert_eq!(back.labeled_frames.len(), 2);
    let p = &back.frame(0, 1).unwrap().instances[0].points[1];
    assert!(p.x.is_nan() && !p.visible);
    assert!(back.frame(1, 4).unwrap().instances[0].score.is_nan());
    assert_eq!(back.get_track_occupancy(1)[&1], vec![4..5]);
    assert_eq!(back.provenance["source"], "test");
    assert_eq!(serde_json::to_string(&back).unwrap(), s);
}
