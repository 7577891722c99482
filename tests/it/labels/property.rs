//! Property: merging A into B (complex merge, conflicts kept) never loses a user instance of
//! either and never makes more copies of one than an input had.

use posedeck::labels::{
    Instance, LabeledFrame, Labels, LabelsData, Point, Prefer, Skeleton, Track, Video,
};
use proptest::prelude::*;
use std::collections::HashMap;

/// (kind: user?, x, track)
type Spec = (bool, u8, Option<u8>);

#[allow(clippy::field_reassign_with_default)] // reads as the model it builds
fn build(frames: &[((u8, u8), Vec<Spec>)]) -> Labels {
    let mut d = LabelsData::default();
    d.videos = vec![
        Video::from_path("/a/b/v0.mp4"),
        Video::from_path("/a/b/v1.mp4"),
    ];
    d.skeletons = vec![Skeleton::new("s", &["p", "q"], &[(0, 1)])];
    d.tracks = vec![Track::new("t0"), Track::new("t1")];
    for ((v, f), insts) in frames {
        let instances = insts
            .iter()
            .map(|&(user, x, t)| {
                let pts = vec![Point::new(x as f64, 1.0), Point::new(2.0, x as f64)];
                let i = if user {
                    Instance::user(0, pts)
                } else {
                    Instance::predicted(0, pts, 0.5)
                };
                i.with_track(t.map(|t| t as usize))
            })
            .collect();
        d.labeled_frames.push(LabeledFrame::with_instances(
            *v as usize,
            *f as u64,
            instances,
        ));
    }
    Labels::from_data(d).unwrap()
}

/// User instances per frame key, as comparable values.
fn user_counts<'a>(
    frames: impl Iterator<Item = (usize, u64, &'a Instance)>,
) -> HashMap<(usize, u64, String), usize> {
    let mut m = HashMap::new();
    for (v, f, i) in frames {
        if i.is_user() {
            *m.entry((v, f, format!("{:?}{:?}", i.xy(), i.track)))
                .or_insert(0) += 1;
        }
    }
    m
}

fn all(l: &Labels) -> Vec<(usize, u64, &Instance)> {
    l.labeled_frames
        .iter()
        .flat_map(|f| f.instances.iter().map(move |i| (f.video, f.frame_idx, i)))
        .collect()
}

fn spec() -> impl Strategy<Value = Vec<((u8, u8), Vec<Spec>)>> {
    prop::collection::vec(
        (
            (0u8..2, 0u8..4),
            prop::collection::vec((any::<bool>(), 0u8..4, prop::option::of(0u8..2)), 0..4),
        ),
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn merge_never_loses_or_duplicates_user_instances(a in spec(), b in spec()) {
        let base0 = build(&a);
        let new = build(&b);
        let cb = user_counts(all(&base0).into_iter());
        let cn = user_counts(all(&new).into_iter());
        let mut base = base0.clone();
        let out = base.complex_merge_between(&new, true);
        // merged base + both sides' conflict extras
        let mut seen: Vec<(usize, u64, &Instance)> = all(&base);
        for c in &out.conflicts {
            seen.extend(c.extra_base.iter().map(|i| (c.video, c.frame_idx, i)));
            seen.extend(c.extra_new.iter().map(|i| (c.video, c.frame_idx, i)));
        }
        let co = user_counts(seen.into_iter());
        for (k, &n) in cb.iter().chain(cn.iter()) {
            let got = co.get(k).copied().unwrap_or(0);
            prop_assert!(got >= 1, "lost user instance {:?} (input had {})", k, n);
        }
        for (k, &got) in &co {
            let most = cb.get(k).copied().unwrap_or(0).max(cn.get(k).copied().unwrap_or(0));
            prop_assert!(got <= most, "{:?} appears {} times, inputs had at most {}", k, got, most);
        }
        // resolving with both sides keeps them all in the labels themselves
        base.finish_complex_merge(out.resolve(Prefer::Both)).unwrap();
        let fin = user_counts(all(&base).into_iter());
        for k in cb.keys().chain(cn.keys()) {
            prop_assert!(fin.get(k).copied().unwrap_or(0) >= 1, "lost {:?} after finish", k);
        }
        // the tables agree with a rebuild
        let rebuilt = Labels::from_data(base.clone().into_data()).unwrap();
        prop_assert_eq!(base.n_user_instances(), rebuilt.n_user_instances());
        prop_assert_eq!(base.n_predicted_instances(), rebuilt.n_predicted_instances());
        for v in 0..2 {
            prop_assert_eq!(base.get_track_occupancy(v), rebuilt.get_track_occupancy(v));
        }
    }
}
