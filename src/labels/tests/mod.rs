//! Unit tests of the Labels model, one file per area.

mod edits;
mod lp;
mod lp_doc;
mod merge;
mod queries;
mod tracks;

use super::*;

/// Two videos, one 3-node skeleton, two tracks, no frames.
pub(super) fn fixture() -> Labels {
    let mut l = Labels::new();
    l.add_video(Video::from_path("/data/mice/day1/cam0.mp4"));
    l.add_video(Video::from_path("/data/mice/day1/cam1.mp4"));
    l.add_skeleton(
        Skeleton::new("mouse", &["nose", "ear_l", "ear_r"], &[(0, 1), (0, 2)])
            .with_symmetries(&[(1, 2)]),
    );
    l.add_track(Track::new("a"));
    l.add_track(Track::new("b"));
    l
}

/// A user instance whose points are offset by `k`.
pub(super) fn user(k: f64) -> Instance {
    Instance::user_from_xy(0, &[(k, k + 1.0), (k + 2.0, k + 3.0), (k + 4.0, k + 5.0)])
}

/// A predicted instance whose points are offset by `k`.
pub(super) fn pred(k: f64, score: f64) -> Instance {
    Instance::predicted(
        0,
        vec![
            Point::predicted(k, k, 0.9),
            Point::predicted(k + 1.0, k, 0.8),
            Point::predicted(k + 2.0, k, 0.7),
        ],
        score,
    )
}
