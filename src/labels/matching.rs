//! When two label sets talk about the same thing: videos (exact path or the last three path
//! components), skeletons (node names in order, edges and symmetries), tracks (name) and
//! instances (SLEAP's `Instance.matches`).

use super::model::{Instance, Point, Skeleton, Video, same_f64};
use std::collections::BTreeSet;

/// The last three components of a path, with `\` read as `/` (SLEAP's `weak_match`).
fn last3(p: &str) -> Vec<&str> {
    let parts: Vec<&str> = p.split(['/', '\\']).collect();
    let n = parts.len();
    parts[n.saturating_sub(3)..].to_vec()
}

/// Paths that identify a video: its filename (unless it is `"."`, SLEAP's marker for
/// frames embedded in the file itself) and its source video's filename.
fn video_paths(v: &Video) -> Vec<&str> {
    let mut out = Vec::new();
    if !(v.filename.is_empty() || v.is_embedded() && v.filename == ".") {
        out.push(v.filename.as_str());
    }
    if let Some(src) = &v.source_video {
        out.extend(video_paths(src));
    }
    out
}

/// SLEAP's video matching when merging: any identifying path of one equals one of the other
/// exactly, or their last three path components agree.
pub fn videos_match(a: &Video, b: &Video) -> bool {
    let pa = video_paths(a);
    let pb = video_paths(b);
    pa.iter()
        .any(|x| pb.iter().any(|y| x == y || last3(x) == last3(y)))
}

fn name_pairs(
    s: &Skeleton,
    pairs: &[(usize, usize)],
    undirected: bool,
) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .filter_map(|&(a, b)| {
            let (x, y) = (s.nodes.get(a)?.clone(), s.nodes.get(b)?.clone());
            Some(if undirected && y < x { (y, x) } else { (x, y) })
        })
        .collect()
}

/// Same node names in the same order, the same body edges and the same symmetries.
pub fn skeletons_match(a: &Skeleton, b: &Skeleton) -> bool {
    a.nodes == b.nodes
        && name_pairs(a, &a.edges, false) == name_pairs(b, &b.edges, false)
        && name_pairs(a, &a.symmetries, true) == name_pairs(b, &b.symmetries, true)
}

fn points_equal(a: &Point, b: &Point, predicted: bool) -> bool {
    a.x == b.x
        && a.y == b.y
        && a.visible == b.visible
        && a.complete == b.complete
        && (!predicted || same_f64(a.score, b.score))
}

/// SLEAP's `Instance.matches` for two instances already expressed in the same label set's
/// skeleton and track indices: same kind, same skeleton, same track (or both none), and the
/// same sequence of placed points (points with a NaN coordinate left out) with equal x, y,
/// visible, complete (and score for predictions).
pub fn instances_match(a: &Instance, b: &Instance) -> bool {
    if a.kind != b.kind || a.skeleton != b.skeleton || a.track != b.track {
        return false;
    }
    let pred = a.is_predicted();
    let pa = a.points.iter().filter(|p| !(p.x.is_nan() || p.y.is_nan()));
    let mut pb = b.points.iter().filter(|p| !(p.x.is_nan() || p.y.is_nan()));
    for p in pa {
        match pb.next() {
            Some(q) if points_equal(p, q, pred) => {}
            _ => return false,
        }
    }
    pb.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_match_by_last_three_components() {
        let a = Video::from_path("/home/a/data/mice/day1/cam.mp4");
        let b = Video::from_path("D:\\lab\\mice\\day1\\cam.mp4");
        let c = Video::from_path("/x/other/day1/cam.mp4");
        assert!(videos_match(&a, &b));
        assert!(!videos_match(&a, &c));
        assert!(videos_match(&a, &a.clone()));
        let short = Video::from_path("cam.mp4");
        assert!(!videos_match(&a, &short));
        assert!(videos_match(&short, &Video::from_path("cam.mp4")));
    }

    #[test]
    fn embedded_videos_match_through_source() {
        let mut a = Video::from_path(".");
        a.embedded = Some(Default::default());
        let mut b = a.clone();
        assert!(
            !videos_match(&a, &b),
            "two '.' embedded videos are not the same video"
        );
        a.source_video = Some(Box::new(Video::from_path("/data/x/y/v.mp4")));
        b.source_video = Some(Box::new(Video::from_path("/other/x/y/v.mp4")));
        assert!(videos_match(&a, &b));
    }

    #[test]
    fn skeleton_match_needs_names_edges_symmetries() {
        let a = Skeleton::new("a", &["h", "t", "l", "r"], &[(0, 1), (1, 2), (1, 3)])
            .with_symmetries(&[(2, 3)]);
        let mut b = Skeleton::new(
            "other name",
            &["h", "t", "l", "r"],
            &[(1, 3), (0, 1), (1, 2)],
        )
        .with_symmetries(&[(3, 2)]);
        assert!(skeletons_match(&a, &b));
        b.edges.pop();
        assert!(!skeletons_match(&a, &b));
        let c = Skeleton::new("a", &["t", "h", "l", "r"], &[(1, 0), (0, 2), (0, 3)])
            .with_symmetries(&[(2, 3)]);
        assert!(!skeletons_match(&a, &c), "node order matters");
    }

    #[test]
    fn instance_match_rules() {
        let a = Instance::user_from_xy(0, &[(1.0, 2.0), (f64::NAN, f64::NAN), (3.0, 4.0)]);
        let mut b = a.clone();
        assert!(instances_match(&a, &b));
        b.points[1] = Point {
            x: f64::NAN,
            y: 7.0,
            visible: true,
            complete: true,
            score: 0.0,
        };
        assert!(instances_match(&a, &b), "NaN nodes are excluded");
        b.points[2].visible = false;
        assert!(!instances_match(&a, &b));
        let t = a.clone().with_track(Some(0));
        assert!(!instances_match(&a, &t));
        let mut p = Instance::predicted(0, a.points.clone(), 0.5);
        assert!(!instances_match(&a, &p), "kinds differ");
        let q = p.clone();
        p.points[0].score = 0.9;
        assert!(
            !instances_match(&p, &q),
            "point scores count for predictions"
        );
        let mut u = a.clone();
        u.points[0].score = 0.9;
        assert!(instances_match(&a, &u), "user point scores do not count");
    }
}
