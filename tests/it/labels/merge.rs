use super::*;
use crate::common::run_posedeck;
use crate::shared_or_skip;
use posedeck::labels::{LabelsData, Prefer};

/// The frames of a real label set whose frame index is in `range`.
fn slice(l: &Labels, range: std::ops::Range<u64>) -> Labels {
    let mut d: LabelsData = l.clone().into_data();
    d.labeled_frames.retain(|f| range.contains(&f.frame_idx));
    d.suggestions.clear();
    Labels::from_data(d).unwrap()
}

#[test]
fn overlapping_halves_of_a_real_file_merge_back_to_the_whole() {
    let dir = shared_or_skip!();
    let whole = load(&dir.join("slp/centered_pair_predictions.slp"));
    let mut base = slice(&whole, 0..700);
    let new = slice(&whole, 500..1100);
    let out = base.complex_merge_between(&new, true);
    assert!(out.conflicts.is_empty());
    assert_eq!(base.labeled_frames.len(), whole.labeled_frames.len());
    assert_eq!(base.n_predicted_instances(), whole.n_predicted_instances());
    let overlap: usize = whole
        .labeled_frames
        .iter()
        .filter(|f| (500..700).contains(&f.frame_idx))
        .map(|f| f.instances.len())
        .sum();
    assert_eq!(
        out.redundant, overlap,
        "every overlapping instance is redundant"
    );
    assert_eq!(base.get_track_occupancy(0), whole.get_track_occupancy(0));
}

#[test]
fn changed_predictions_in_the_overlap_conflict_and_resolve() {
    let dir = shared_or_skip!();
    let whole = load(&dir.join("slp/centered_pair_predictions.slp"));
    let mut base = slice(&whole, 0..700);
    let mut new_data = slice(&whole, 600..800).into_data();
    let mut changed = 0;
    for f in &mut new_data.labeled_frames {
        if f.frame_idx < 610 {
            f.instances[0].points[0].x += 1.0;
            changed += 1;
        }
    }
    let new = Labels::from_data(new_data).unwrap();
    let out = base.complex_merge_between(&new, true);
    assert_eq!(
        out.conflicts.len(),
        changed,
        "both-predicted extras conflict"
    );
    for c in &out.conflicts {
        assert!(c.extra_base.iter().all(|i| i.is_predicted()));
        assert_eq!(c.extra_new.len(), 1);
    }
    let mut prefer_new = base.clone();
    prefer_new
        .finish_complex_merge(out.resolve(Prefer::New))
        .unwrap();
    let f = prefer_new.frame(0, 600).unwrap();
    let moved = new.frame(0, 600).unwrap();
    assert!(
        f.instances
            .iter()
            .any(|i| i.xy() == moved.instances[0].xy())
    );
    assert_eq!(
        f.instances.len(),
        whole.frame(0, 600).unwrap().instances.len()
    );
    base.finish_complex_merge(out.resolve(Prefer::Base))
        .unwrap();
    assert_eq!(
        base.frame(0, 600).unwrap().instances.len(),
        whole.frame(0, 600).unwrap().instances.len()
    );
    assert_eq!(base.labeled_frames.len(), 800);
}

#[test]
fn user_labels_and_predictions_of_the_same_frames_merge_cleanly() {
    // dance.mp4.labels.slp: user and predicted instances share frames. Split by kind and
    // merge predictions into user labels: different kinds never conflict.
    let dir = shared_or_skip!();
    let whole = load(&dir.join("slp/dance.mp4.labels.slp"));
    let mut users = whole.clone().into_data();
    let mut preds = whole.clone().into_data();
    for f in &mut users.labeled_frames {
        f.instances.retain(|i| i.is_user());
        for i in &mut f.instances {
            i.from_predicted = None;
        }
    }
    for f in &mut preds.labeled_frames {
        f.instances.retain(|i| i.is_predicted());
    }
    users.labeled_frames.retain(|f| !f.instances.is_empty());
    let mut base = Labels::from_data(users).unwrap();
    let out = base.complex_merge_between(&Labels::from_data(preds).unwrap(), true);
    assert!(out.conflicts.is_empty());
    assert_eq!(base.n_user_instances(), whole.n_user_instances());
    assert_eq!(base.n_predicted_instances(), whole.n_predicted_instances());
    assert_eq!(base.labeled_frames.len(), whole.labeled_frames.len());
}

#[test]
fn videos_match_by_last_three_components_across_real_files() {
    // typical.slp stores C:/sleap/sleap/tests/data/json_format_v1/centered_pair_low_quality.mp4,
    // minimal_instance.slp tests/data/json_format_v1/centered_pair_low_quality.mp4: same
    // last 3 components, so one video; both have the same skeleton (nodes A, B).
    let dir = shared_or_skip!();
    let mut base = load(&dir.join("slp/typical.slp"));
    let new = load(&dir.join("slp/minimal_instance.slp"));
    let out = base.complex_merge_between(&new, true);
    assert_eq!(out.unification.videos, vec![0]);
    assert!(out.unification.videos_added.is_empty());
    assert_eq!(out.unification.skeletons, vec![0]);
    // typical.slp's two user instances carry tracks, minimal_instance.slp's the same points
    // without: not equal instances, both sides have user extras -> a conflict, nothing lost
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!(c.extra_new.len(), 2);
    assert_eq!(c.extra_base.iter().filter(|i| i.is_user()).count(), 2);
    assert_eq!(base.videos.len(), 1);
    let n_pred = c.extra_base.len() - 2;
    base.finish_complex_merge(out.resolve(Prefer::New)).unwrap();
    assert_eq!(base.n_user_instances(), 2);
    assert_eq!(
        base.frame(0, 0).unwrap().instances.len(),
        2,
        "base extras ({n_pred} predicted too) gave way"
    );
    // a video that shares only the file name is another video
    let mut other = load(&dir.join("slp/centered_pair_predictions.slp"));
    let out = other.complex_merge_between(&new, true);
    assert_eq!(out.unification.videos_added.len(), 1);
}

#[test]
fn merge_cli_lists_conflicts_writes_nothing_then_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let mk = |xs: &[f64]| {
        let mut l = Labels::new();
        l.add_video(posedeck::labels::Video::from_path("/data/a/b/v.mp4"));
        l.add_skeleton(posedeck::labels::Skeleton::new("s", &["h", "t"], &[(0, 1)]));
        for (k, &x) in xs.iter().enumerate() {
            l.add_instance(
                0,
                k as u64,
                posedeck::labels::Instance::user_from_xy(0, &[(x, 1.0), (x, 2.0)]),
            )
            .unwrap();
        }
        l
    };
    let base_p = tmp.path().join("base.json");
    let new_p = tmp.path().join("new.slp");
    mk(&[1.0, 2.0]).save_file(&base_p).unwrap();
    mk(&[1.0, 5.0, 7.0]).save_file(&new_p).unwrap();
    let (bf, nf) = (fingerprint(&base_p), fingerprint(&new_p));
    let out_p = tmp.path().join("out.slp");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "labels",
            "merge",
            base_p.to_str().unwrap(),
            new_p.to_str().unwrap(),
            "-o",
            out_p.to_str().unwrap(),
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| run_posedeck(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, stdout, err) = run(args(&[]));
    assert_eq!(code, 2);
    assert!(stdout.contains("conflicts: 1"), "{stdout}");
    assert!(stdout.contains("conflict: video 0 (/data/a/b/v.mp4) frame 1: base has 1 user + 0 predicted not in new; new has 1 user + 0 predicted not in base"), "{stdout}");
    assert!(stdout.contains("1 new frames"), "{stdout}");
    assert!(
        err.contains("--prefer") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!out_p.exists(), "nothing written");
    let (code, _, err) = run(args(&["--prefer", "new"]));
    assert_eq!(code, 0, "{err}");
    let merged = load(&out_p);
    assert_eq!(merged.frame(0, 1).unwrap().instances[0].xy()[0], [5.0, 1.0]);
    assert_eq!(merged.labeled_frames.len(), 3);
    assert_eq!(merged.n_user_instances(), 3);
    std::fs::remove_file(&out_p).unwrap();
    let (code, _, _) = run(args(&["--prefer", "both"]));
    assert_eq!(code, 0);
    assert_eq!(load(&out_p).n_user_instances(), 4);
    assert_eq!(fingerprint(&base_p), bf, "base untouched");
    assert_eq!(fingerprint(&new_p), nf, "new untouched");
    // the output may not be an input
    let (code, _, err) = run_posedeck(&[
        "labels",
        "merge",
        base_p.to_str().unwrap(),
        new_p.to_str().unwrap(),
        "-o",
        new_p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("output is an input"), "{err}");
}
