use super::*;

fn populated() -> Labels {
    let mut l = fixture();
    for f in [10u64, 2, 7, 4] {
        l.add_instance(0, f, user(f as f64)).unwrap();
    }
    l.add_instance(0, 7, pred(1.0, 0.9)).unwrap();
    l.add_instance(1, 3, pred(2.0, 0.8)).unwrap();
    l
}

#[test]
fn find_by_index_range_list_and_new() {
    let l = populated();
    assert_eq!(l.find(0, 7u64).len(), 1);
    assert!(l.find(0, 8u64).is_empty());
    let idx: Vec<u64> = l.find(0, 3..10).iter().map(|f| f.frame_idx).collect();
    assert_eq!(idx, vec![4, 7]);
    let idx: Vec<u64> = l
        .find(0, FrameQuery::All)
        .iter()
        .map(|f| f.frame_idx)
        .collect();
    assert_eq!(idx, vec![2, 4, 7, 10]);
    assert_eq!(l.find(0, vec![10, 11, 2]).len(), 2);
    assert!(l.find(5, FrameQuery::All).is_empty());
    let new = l.find_or_new(0, 99);
    assert!(new.instances.is_empty() && new.frame_idx == 99);
    assert!(!l.has_frame(0, 99), "find_or_new does not add");
}

#[test]
fn find_first_last_and_frames_iteration() {
    let l = populated();
    assert_eq!(l.find_first(0, None).unwrap().frame_idx, 2);
    assert_eq!(l.find_last(0, None).unwrap().frame_idx, 10);
    assert_eq!(l.find_first(0, Some(4)).unwrap().frame_idx, 4);
    assert!(l.find_last(0, Some(5)).is_none());
    let order = |it: Vec<&LabeledFrame>| it.iter().map(|f| f.frame_idx).collect::<Vec<_>>();
    assert_eq!(order(l.frames(0, None, false).collect()), vec![2, 4, 7, 10]);
    assert_eq!(
        order(l.frames(0, Some(4), false).collect()),
        vec![7, 10, 2, 4]
    );
    assert_eq!(
        order(l.frames(0, Some(5), true).collect()),
        vec![4, 2, 10, 7]
    );
    assert_eq!(order(l.frames(0, None, true).collect()), vec![10, 7, 4, 2]);
    assert_eq!(l.frames(3, None, false).count(), 0);
}

#[test]
fn instance_filters_and_counts() {
    let mut l = populated();
    l.add_skeleton(Skeleton::new("two", &["a", "b"], &[(0, 1)]));
    l.add_instance(1, 3, Instance::user_from_xy(1, &[(1.0, 1.0), (2.0, 2.0)]))
        .unwrap();
    assert_eq!(l.all_instances().count(), 7);
    assert_eq!(l.user_instances().count(), 5);
    assert_eq!(l.predicted_instances().count(), 2);
    assert_eq!(l.instances(Some(1), None).count(), 2);
    assert_eq!(l.instances(Some(1), Some(1)).count(), 1);
    assert_eq!(l.instances(None, Some(0)).count(), 6);
    assert_eq!(l.user_labeled_frames().count(), 5);
    assert_eq!(l.instance_count(0, 7), 2);
    assert_eq!(l.instance_count(0, 8), 0);
    assert_eq!(l.n_user_instances(), 5);
    assert_eq!(l.n_frames_in_video(0), 4);
    assert_eq!(l.max_user_instances(), 1);
    assert!(l.skeleton().is_none(), "two skeletons");
}

#[test]
fn suggestions_per_video_and_seeking() {
    let mut l = populated();
    for (v, f) in [(0, 20u64), (0, 4), (1, 8), (0, 9)] {
        assert!(l.add_suggestion(v, f, 0).unwrap());
    }
    assert!(!l.add_suggestion(0, 4, 1).unwrap(), "already suggested");
    assert_eq!(l.video_suggestions(0, true), vec![4, 9, 20]);
    assert_eq!(
        l.video_suggestions(0, false),
        vec![9, 20],
        "frame 4 has a user instance"
    );
    assert_eq!(l.unlabeled_suggestions().len(), 3);
    let at = |s: Option<&Suggestion>| s.map(|s| (s.video, s.frame_idx));
    // on a suggestion: list order, wrapping
    assert_eq!(
        at(l.get_next_suggestion(0, 20, Seek::Forward)),
        Some((0, 4))
    );
    assert_eq!(
        at(l.get_next_suggestion(0, 20, Seek::Backward)),
        Some((0, 9))
    );
    assert_eq!(
        at(l.get_next_suggestion(0, 9, Seek::Forward)),
        Some((0, 20))
    );
    // between suggestions: frame order in the same video
    assert_eq!(at(l.get_next_suggestion(0, 5, Seek::Forward)), Some((0, 9)));
    assert_eq!(
        at(l.get_next_suggestion(0, 5, Seek::Backward)),
        Some((0, 4))
    );
    // past the end: next video
    assert_eq!(
        at(l.get_next_suggestion(0, 25, Seek::Forward)),
        Some((1, 8))
    );
    assert_eq!(
        at(l.get_next_suggestion(1, 2, Seek::Backward)),
        Some((0, 20))
    );
    assert_eq!(l.remove_suggestion(0, 9), 1);
    assert_eq!(
        at(l.get_next_suggestion(0, 5, Seek::Forward)),
        Some((0, 20))
    );
    assert!(l.find_suggestion(0, 9).is_none());
    assert_eq!(l.find_suggestion(1, 8).unwrap().frame_idx, 8);
}
