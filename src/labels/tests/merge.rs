use super::*;

/// Base and new sets sharing the video and skeleton (new stores the video under another
/// root but with the same last three path components).
fn pair() -> (Labels, Labels) {
    let base = fixture();
    let mut new = Labels::new();
    new.add_video(Video::from_path("D:\\moved\\mice\\day1\\cam0.mp4"));
    new.add_skeleton(
        Skeleton::new("renamed", &["nose", "ear_l", "ear_r"], &[(0, 2), (0, 1)])
            .with_symmetries(&[(2, 1)]),
    );
    new.add_track(Track::new("b"));
    (base, new)
}

#[test]
fn no_base_frame_is_added_cleanly() {
    let (mut base, mut new) = pair();
    new.add_instance(0, 4, user(1.0).with_track(Some(0)))
        .unwrap();
    let out = base.complex_merge_between(&new, true);
    assert!(out.conflicts.is_empty());
    assert_eq!(out.merged.len(), 1);
    assert!(out.merged[0].new_frame);
    assert_eq!(
        out.unification.videos,
        vec![0],
        "matched by last 3 components"
    );
    assert_eq!(out.unification.skeletons, vec![0], "matched by node names");
    assert_eq!(out.unification.tracks, vec![1], "matched by name");
    assert!(out.unification.videos_added.is_empty());
    let f = base.frame(0, 4).unwrap();
    assert_eq!(f.instances[0].track, Some(1));
    assert_eq!(base.videos.len(), 2);
    assert_eq!(base.skeletons.len(), 1);
}

#[test]
fn redundant_instances_are_not_added_twice() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 1, user(1.0)).unwrap();
    base.add_instance(0, 1, pred(1.0, 0.5)).unwrap();
    new.add_instance(0, 1, user(1.0)).unwrap();
    new.add_instance(0, 1, pred(1.0, 0.7)).unwrap(); // instance score does not count
    let out = base.complex_merge_between(&new, true);
    assert!(out.conflicts.is_empty());
    assert!(out.merged.is_empty(), "nothing new");
    assert_eq!(out.redundant, 2);
    assert_eq!(base.frame(0, 1).unwrap().instances.len(), 2);
}

#[test]
fn extras_of_different_kinds_merge_cleanly() {
    // base has an extra user instance, new an extra prediction: no conflict
    let (mut base, mut new) = pair();
    base.add_instance(0, 2, user(1.0)).unwrap();
    new.add_instance(0, 2, pred(9.0, 0.5)).unwrap();
    let out = base.complex_merge_between(&new, true);
    assert!(out.conflicts.is_empty());
    assert_eq!(out.merged.len(), 1);
    assert_eq!(out.merged[0].instances_added, 1);
    let f = base.frame(0, 2).unwrap();
    assert_eq!(f.instances.len(), 2);
    assert!(f.instances[0].is_user() && f.instances[1].is_predicted());
}

#[test]
fn both_user_extras_conflict_and_nothing_is_dropped() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 3, user(1.0)).unwrap(); // shared
    base.add_instance(0, 3, user(2.0)).unwrap(); // base only
    new.add_instance(0, 3, user(1.0)).unwrap();
    new.add_instance(0, 3, user(7.0)).unwrap(); // new only
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!((c.video, c.frame_idx), (0, 3));
    assert_eq!(c.extra_base, vec![user(2.0)]);
    assert_eq!(c.extra_new, vec![user(7.0)]);
    // the base frame keeps only the redundant instance until resolved
    assert_eq!(base.frame(0, 3).unwrap().instances, vec![user(1.0)]);
    assert_eq!(base.n_user_instances(), 1);
    let mut keep_base = base.clone();
    keep_base
        .finish_complex_merge(out.resolve(Prefer::Base))
        .unwrap();
    assert_eq!(
        keep_base.frame(0, 3).unwrap().instances,
        vec![user(1.0), user(2.0)]
    );
    let mut keep_new = base.clone();
    keep_new
        .finish_complex_merge(out.resolve(Prefer::New))
        .unwrap();
    assert_eq!(
        keep_new.frame(0, 3).unwrap().instances,
        vec![user(1.0), user(7.0)]
    );
    base.finish_complex_merge(out.resolve(Prefer::Both))
        .unwrap();
    assert_eq!(base.frame(0, 3).unwrap().instances.len(), 3);
    assert_eq!(base.n_user_instances(), 3);
}

#[test]
fn both_predicted_extras_conflict() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 5, pred(1.0, 0.5)).unwrap();
    base.add_instance(0, 5, user(4.0)).unwrap();
    new.add_instance(0, 5, pred(2.0, 0.5)).unwrap();
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!(
        c.extra_base.len(),
        2,
        "all base extras come back, user included"
    );
    assert_eq!(c.extra_new, vec![pred(2.0, 0.5)]);
    assert!(base.frame(0, 5).unwrap().instances.is_empty());
    base.finish_complex_merge(out.resolve(Prefer::New)).unwrap();
    assert_eq!(base.frame(0, 5).unwrap().instances, vec![pred(2.0, 0.5)]);
}

#[test]
fn finish_removes_frames_left_empty() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 5, pred(1.0, 0.5)).unwrap();
    new.add_instance(0, 5, pred(2.0, 0.5)).unwrap();
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.conflicts.len(), 1);
    base.finish_complex_merge(Vec::new()).unwrap();
    // nothing resolved for video 0 means nothing touched: the frame waits (empty)
    assert!(base.has_frame(0, 5));
    let mut b2 = base.clone();
    b2.finish_complex_merge(out.resolve(Prefer::Base)).unwrap();
    assert_eq!(b2.frame(0, 5).unwrap().instances, vec![pred(1.0, 0.5)]);
}

#[test]
fn unmatched_video_skeleton_and_track_are_added() {
    let (mut base, _) = pair();
    let mut new = Labels::new();
    new.add_video(Video::from_path("/elsewhere/cam0.mp4"));
    new.add_skeleton(Skeleton::new("fly", &["head", "thorax"], &[(0, 1)]));
    new.add_track(Track::new("zeta"));
    new.add_instance(
        0,
        1,
        Instance::user_from_xy(0, &[(1.0, 1.0), (2.0, 2.0)]).with_track(Some(0)),
    )
    .unwrap();
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.unification.videos_added, vec![2]);
    assert_eq!(out.unification.skeletons_added, vec![1]);
    assert_eq!(out.unification.tracks_added, vec![2]);
    let f = base.frame(2, 1).unwrap();
    assert_eq!(f.instances[0].skeleton, 1);
    assert_eq!(f.instances[0].track, Some(2));
}

#[test]
fn suggestions_concatenate_negatives_merge_without_duplicates() {
    let (mut base, mut new) = pair();
    base.add_suggestion(0, 1, 0).unwrap();
    new.add_suggestion(0, 1, 0).unwrap();
    new.add_suggestion(0, 2, 1).unwrap();
    base.add_negative_frame(0, 3).unwrap();
    new.add_negative_frame(0, 3).unwrap();
    new.add_negative_frame(0, 4).unwrap();
    let a = NegativeAnchor {
        video: 0,
        frame_idx: 1,
        x: 1.0,
        y: 2.0,
    };
    base.add_negative_anchor(a).unwrap();
    new.add_negative_anchor(a).unwrap();
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.suggestions_added, 2);
    assert_eq!(base.suggestions.len(), 3, "SLEAP concatenates suggestions");
    assert_eq!(base.negative_frames.len(), 2);
    assert_eq!(out.negative_anchors_added, 0);
}

#[test]
fn from_predicted_links_follow_merged_instances() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 1, pred(1.0, 0.5)).unwrap();
    new.add_instance(0, 1, pred(1.0, 0.5)).unwrap(); // redundant with base 0
    new.add_instance(0, 1, user(1.0).with_from_predicted(Some(0)))
        .unwrap();
    let out = base.complex_merge_between(&new, true);
    assert!(out.conflicts.is_empty());
    let f = base.frame(0, 1).unwrap();
    assert_eq!(f.instances.len(), 2);
    assert_eq!(
        f.instances[1].from_predicted,
        Some(0),
        "points at the base copy"
    );
}

#[test]
fn merge_matching_frames_drops_exact_duplicates_and_empty_frames() {
    let mut l = fixture();
    l.add_instance(0, 1, user(1.0)).unwrap();
    l.add_instance(0, 1, user(1.0)).unwrap();
    l.add_instance(0, 1, user(2.0)).unwrap();
    l.add_frame(LabeledFrame::new(0, 9)).unwrap();
    l.add_frame(LabeledFrame::new(1, 9)).unwrap();
    assert_eq!(l.merge_matching_frames(Some(0)), 1);
    assert_eq!(l.frame(0, 1).unwrap().instances.len(), 2);
    assert!(!l.has_frame(0, 9));
    assert!(l.has_frame(1, 9), "other video untouched");
    assert_eq!(l.n_user_instances(), 2);
}

#[test]
fn extend_from_with_and_without_unify() {
    let (mut base, mut new) = pair();
    base.add_instance(0, 1, user(1.0)).unwrap();
    new.add_instance(0, 1, user(1.0)).unwrap();
    new.add_instance(0, 2, user(2.0)).unwrap();
    let mut plain = base.clone();
    assert!(base.extend_from(&new, true).unwrap());
    assert_eq!(base.videos.len(), 2);
    assert_eq!(
        base.frame(0, 1).unwrap().instances.len(),
        1,
        "duplicate not added"
    );
    assert!(base.has_frame(0, 2));
    assert!(plain.extend_from(&new, false).unwrap());
    assert_eq!(
        plain.videos.len(),
        3,
        "without unify the moved video is a new one"
    );
    assert_eq!(plain.skeletons.len(), 2);
    assert!(plain.has_frame(2, 1));
    assert!(!plain.extend_from(&Labels::new(), true).unwrap());
}
