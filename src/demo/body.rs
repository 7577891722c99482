//! The articulated animal seen from above: a midline chain (nose, neck, shoulders, mid-spine,
//! hips, tail base and four tail segments), ears, eyes and four two-segment legs with paws.
//! [`Pose`] holds the joint angles; [`Body::from_pose`] turns it into pixel geometry; the
//! keypoint catalogue names points on that geometry (any K from 1 to [`MAX_KEYPOINTS`]).
//!
//! Conventions: image coordinates, x right, y down, pixel centres at integer coordinates.
//! "Left" is the animal's own left seen from above.

use serde::{Deserialize, Serialize};

pub type P = [f64; 2];

/// Most keypoints a demo can have: 26 named anatomical points plus points along the midline.
pub const MAX_KEYPOINTS: usize = 64;

/// Number of midline joints: 0 nose tip .. 9 tail tip.
pub const JOINTS: usize = 10;
/// Segment lengths between consecutive midline joints, in body units.
const LEN: [f64; JOINTS - 1] = [0.22, 0.12, 0.20, 0.20, 0.10, 0.17, 0.16, 0.15, 0.14];
/// Half-widths of the body at each midline joint, in body units.
const RADIUS: [f64; JOINTS] = [
    0.04, 0.105, 0.125, 0.14, 0.125, 0.07, 0.052, 0.04, 0.03, 0.02,
];
/// Leg geometry (body units): upper and lower segment lengths, radii, paw radius.
const UPPER: f64 = 0.19;
const LOWER: f64 = 0.16;
pub const UPPER_R: (f64, f64) = (0.042, 0.034);
pub const LOWER_R: (f64, f64) = (0.032, 0.026);
pub const PAW_R: f64 = 0.045;
pub const EAR_AXES: (f64, f64) = (0.058, 0.036);
pub const EYE_R: f64 = 0.024;
pub const NOSE_R: f64 = 0.035;
/// Nothing drawn is thinner than this (pixels), so a keypoint always covers its pixel.
pub const MIN_RADIUS_PX: f64 = 1.7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    fn sign(self) -> f64 {
        match self {
            Side::Left => 1.0,
            Side::Right => -1.0,
        }
    }
}

/// The four legs, in the order the geometry stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Leg {
    FrontLeft,
    FrontRight,
    HindLeft,
    HindRight,
}

impl Leg {
    pub const ALL: [Leg; 4] = [
        Leg::FrontLeft,
        Leg::FrontRight,
        Leg::HindLeft,
        Leg::HindRight,
    ];
    fn index(self) -> usize {
        self as usize
    }
    fn side(self) -> Side {
        match self {
            Leg::FrontLeft | Leg::HindLeft => Side::Left,
            Leg::FrontRight | Leg::HindRight => Side::Right,
        }
    }
    fn front(self) -> bool {
        matches!(self, Leg::FrontLeft | Leg::FrontRight)
    }
    /// Midline joint the leg hangs from.
    fn joint(self) -> usize {
        if self.front() { 2 } else { 4 }
    }
    /// Trot: diagonal pairs move together.
    fn phase_offset(self) -> f64 {
        match self {
            Leg::FrontLeft | Leg::HindRight => 0.0,
            Leg::FrontRight | Leg::HindLeft => std::f64::consts::PI,
        }
    }
}

/// Where a keypoint sits on the body.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Anchor {
    /// On the midline at a chain coordinate: 0 = nose tip, 9 = tail tip; fractions lie
    /// between joints (by arc length of that segment).
    Midline(f64),
    Ear(Side),
    Eye(Side),
    /// Level 0 = where the leg joins the body, 1 = elbow/knee, 2 = paw.
    Leg(Leg, u8),
}

impl Anchor {
    /// Midline coordinate a point hangs from, for building skeleton edges.
    fn attach(self) -> f64 {
        match self {
            Anchor::Midline(c) => c,
            Anchor::Ear(_) => 0.6,
            Anchor::Eye(_) => 0.0,
            Anchor::Leg(l, _) => l.joint() as f64,
        }
    }
}

/// One keypoint of the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeypointDef {
    pub name: String,
    pub anchor: Anchor,
}

const NAMED: [(&str, Anchor); 26] = [
    ("nose", Anchor::Midline(0.0)),
    ("left_ear", Anchor::Ear(Side::Left)),
    ("right_ear", Anchor::Ear(Side::Right)),
    ("tail_base", Anchor::Midline(5.0)),
    ("front_left_paw", Anchor::Leg(Leg::FrontLeft, 2)),
    ("front_right_paw", Anchor::Leg(Leg::FrontRight, 2)),
    ("hind_left_paw", Anchor::Leg(Leg::HindLeft, 2)),
    ("hind_right_paw", Anchor::Leg(Leg::HindRight, 2)),
    ("spine_mid", Anchor::Midline(3.0)),
    ("tail_tip", Anchor::Midline(9.0)),
    ("neck", Anchor::Midline(1.0)),
    ("tail_mid", Anchor::Midline(7.0)),
    ("front_left_elbow", Anchor::Leg(Leg::FrontLeft, 1)),
    ("front_right_elbow", Anchor::Leg(Leg::FrontRight, 1)),
    ("hind_left_knee", Anchor::Leg(Leg::HindLeft, 1)),
    ("hind_right_knee", Anchor::Leg(Leg::HindRight, 1)),
    ("left_eye", Anchor::Eye(Side::Left)),
    ("right_eye", Anchor::Eye(Side::Right)),
    ("spine_shoulder", Anchor::Midline(2.0)),
    ("spine_hip", Anchor::Midline(4.0)),
    ("front_left_shoulder", Anchor::Leg(Leg::FrontLeft, 0)),
    ("front_right_shoulder", Anchor::Leg(Leg::FrontRight, 0)),
    ("hind_left_hip", Anchor::Leg(Leg::HindLeft, 0)),
    ("hind_right_hip", Anchor::Leg(Leg::HindRight, 0)),
    ("tail_1", Anchor::Midline(6.0)),
    ("tail_3", Anchor::Midline(8.0)),
];

/// The first `k` keypoints of the catalogue (most recognisable first: nose, ears, tail base,
/// paws, ...; beyond the 26 named points, evenly refined points along the midline).
pub fn catalogue(k: usize) -> Vec<KeypointDef> {
    let mut out: Vec<KeypointDef> = NAMED
        .iter()
        .map(|(n, a)| KeypointDef {
            name: n.to_string(),
            anchor: *a,
        })
        .collect();
    // Midline refinements: halves, then quarters, then eighths between the joints.
    let mut denom = 2u32;
    while out.len() < k.min(MAX_KEYPOINTS) {
        for i in 0..(JOINTS as u32 - 1) * denom {
            if i % 2 == 0 {
                continue; // coarser level already listed (or a joint)
            }
            let c = i as f64 / denom as f64;
            out.push(KeypointDef {
                name: format!("midline_{:04}", (c * 1000.0).round() as u32),
                anchor: Anchor::Midline(c),
            });
        }
        denom *= 2;
    }
    out.truncate(k.min(MAX_KEYPOINTS));
    out
}

/// Skeleton edges among a chosen set of keypoints (indices into `defs`): midline points in
/// chain order, then every other point to its nearest chosen ancestor (paw -> elbow ->
/// shoulder -> nearest midline point).
pub fn skeleton(defs: &[KeypointDef]) -> Vec<[usize; 2]> {
    let mut mids: Vec<(f64, usize)> = defs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match d.anchor {
            Anchor::Midline(c) => Some((c, i)),
            _ => None,
        })
        .collect();
    mids.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut edges: Vec<[usize; 2]> = mids.windows(2).map(|w| [w[0].1, w[1].1]).collect();
    let nearest_mid = |c: f64| -> Option<usize> {
        mids.iter()
            .min_by(|a, b| (a.0 - c).abs().total_cmp(&(b.0 - c).abs()))
            .map(|m| m.1)
    };
    let find = |a: Anchor| defs.iter().position(|d| d.anchor == a);
    for (i, d) in defs.iter().enumerate() {
        let parent = match d.anchor {
            Anchor::Midline(_) => continue,
            Anchor::Leg(leg, level) => (0..level)
                .rev()
                .find_map(|l| find(Anchor::Leg(leg, l)))
                .or_else(|| nearest_mid(d.anchor.attach())),
            _ => nearest_mid(d.anchor.attach()),
        };
        if let Some(p) = parent {
            edges.push([p, i]);
        }
    }
    edges
}

/// Joint angles and placement of the body in one frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    /// Position of the mid-spine joint (pixels).
    pub centre: P,
    /// Direction the animal faces (radians, image coordinates).
    pub heading: f64,
    /// Pixels per body unit (nose to tail tip is ~1.46 units).
    pub scale: f64,
    /// Bend at each midline joint (radians); index 0 and 9 are unused.
    pub bends: [f64; JOINTS],
    /// Gait phase (radians).
    pub phase: f64,
    /// Leg swing amplitude (radians).
    pub swing: f64,
}

/// A tapered capsule between two points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capsule {
    pub a: P,
    pub b: P,
    pub ra: f64,
    pub rb: f64,
}

/// A rotated ellipse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ellipse {
    pub c: P,
    /// Semi-axis along `angle`, semi-axis across.
    pub a: f64,
    pub b: f64,
    pub angle: f64,
}

/// Pixel geometry of the body in one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub joints: [P; JOINTS],
    pub radii: [f64; JOINTS],
    /// Per leg: attachment, elbow/knee, paw.
    pub legs: [[P; 3]; 4],
    pub ears: [Ellipse; 2],
    pub eyes: [P; 2],
    pub scale: f64,
}

fn unit(a: f64) -> P {
    [a.cos(), a.sin()]
}
fn add(p: P, q: P, k: f64) -> P {
    [p[0] + q[0] * k, p[1] + q[1] * k]
}
/// The animal's left of a forward direction (image y points down).
fn left_of(f: P) -> P {
    [f[1], -f[0]]
}

impl Body {
    pub fn from_pose(pose: &Pose) -> Body {
        let s = pose.scale;
        // d[j]: direction of segment j (from joint j towards the tail).
        let mut d = [0.0f64; JOINTS - 1];
        d[2] = pose.heading + std::f64::consts::PI;
        for j in 3..JOINTS - 1 {
            d[j] = d[j - 1] + pose.bends[j];
        }
        d[1] = d[2] - pose.bends[2];
        d[0] = d[1] - pose.bends[1];
        let mut joints = [[0.0; 2]; JOINTS];
        joints[3] = pose.centre;
        for j in 3..JOINTS - 1 {
            joints[j + 1] = add(joints[j], unit(d[j]), LEN[j] * s);
        }
        for j in (0..3).rev() {
            joints[j] = add(joints[j + 1], unit(d[j]), -LEN[j] * s);
        }
        let mut radii = [0.0; JOINTS];
        for j in 0..JOINTS {
            radii[j] = (RADIUS[j] * s).max(MIN_RADIUS_PX);
        }
        // Forward direction at joint j: opposite of the mean of the adjacent segments.
        let forward = |j: usize| -> P {
            let a = d[j.saturating_sub(1)];
            let b = d[j.min(JOINTS - 2)];
            let m = a + wrap(b - a) / 2.0;
            unit(m + std::f64::consts::PI)
        };
        let mut legs = [[[0.0; 2]; 3]; 4];
        for leg in Leg::ALL {
            let j = leg.joint();
            let f = forward(j);
            let l = left_of(f);
            let side = leg.side().sign();
            let out = [l[0] * side, l[1] * side];
            let attach = add(joints[j], out, 0.75 * RADIUS[j] * s);
            let ph = pose.phase + leg.phase_offset();
            let (base, knee) = if leg.front() {
                (0.45, 0.95 - 0.35 * ph.cos())
            } else {
                (-0.45, -0.95 + 0.35 * ph.cos())
            };
            let sgn = if leg.front() { 1.0 } else { -1.0 };
            let alpha = base + sgn * pose.swing * ph.sin();
            let dir = |a: f64| -> P {
                [
                    out[0] * a.cos() + f[0] * a.sin(),
                    out[1] * a.cos() + f[1] * a.sin(),
                ]
            };
            let elbow = add(attach, dir(alpha), UPPER * s);
            let paw = add(elbow, dir(alpha + knee), LOWER * s);
            legs[leg.index()] = [attach, elbow, paw];
        }
        let f0 = unit(d[0] + std::f64::consts::PI);
        let l0 = left_of(f0);
        let nose = joints[0];
        let mut ears = [Ellipse {
            c: [0.0; 2],
            a: 0.0,
            b: 0.0,
            angle: 0.0,
        }; 2];
        let mut eyes = [[0.0; 2]; 2];
        for (i, side) in [Side::Left, Side::Right].into_iter().enumerate() {
            let sg = side.sign();
            let c = add(add(nose, f0, -0.17 * s), l0, sg * 0.085 * s);
            ears[i] = Ellipse {
                c,
                a: (EAR_AXES.0 * s).max(MIN_RADIUS_PX),
                b: (EAR_AXES.1 * s).max(MIN_RADIUS_PX),
                angle: (l0[1] * sg).atan2(l0[0] * sg) - sg * 0.35,
            };
            eyes[i] = add(add(nose, f0, -0.08 * s), l0, sg * 0.045 * s);
        }
        Body {
            joints,
            radii,
            legs,
            ears,
            eyes,
            scale: s,
        }
    }

    /// The midline point at chain coordinate `c` (0 nose .. 9 tail tip).
    pub fn midline(&self, c: f64) -> P {
        let c = c.clamp(0.0, (JOINTS - 1) as f64);
        let j = (c.floor() as usize).min(JOINTS - 2);
        let t = c - j as f64;
        let (a, b) = (self.joints[j], self.joints[j + 1]);
        [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
    }

    /// Half-width of the body at chain coordinate `c`.
    pub fn midline_radius(&self, c: f64) -> f64 {
        let c = c.clamp(0.0, (JOINTS - 1) as f64);
        let j = (c.floor() as usize).min(JOINTS - 2);
        let t = c - j as f64;
        self.radii[j] + (self.radii[j + 1] - self.radii[j]) * t
    }

    /// Where a keypoint is in this frame.
    pub fn keypoint(&self, anchor: Anchor) -> P {
        match anchor {
            Anchor::Midline(c) => self.midline(c),
            Anchor::Ear(s) => self.ears[side_index(s)].c,
            Anchor::Eye(s) => self.eyes[side_index(s)],
            Anchor::Leg(l, level) => self.legs[l.index()][(level as usize).min(2)],
        }
    }

    /// The midline as tapered capsules, from the tail tip forwards (drawing order).
    pub fn midline_capsules(&self) -> Vec<Capsule> {
        (0..JOINTS - 1)
            .rev()
            .map(|j| Capsule {
                a: self.joints[j],
                b: self.joints[j + 1],
                ra: self.radii[j],
                rb: self.radii[j + 1],
            })
            .collect()
    }

    /// Per leg: upper and lower capsules and the paw centre.
    pub fn leg_capsules(&self) -> Vec<Capsule> {
        let s = self.scale;
        let r = |v: f64| (v * s).max(MIN_RADIUS_PX);
        let mut out = Vec::with_capacity(8);
        for leg in &self.legs {
            out.push(Capsule {
                a: leg[0],
                b: leg[1],
                ra: r(UPPER_R.0),
                rb: r(UPPER_R.1),
            });
            out.push(Capsule {
                a: leg[1],
                b: leg[2],
                ra: r(LOWER_R.0),
                rb: r(LOWER_R.1),
            });
        }
        out
    }
}

fn side_index(s: Side) -> usize {
    match s {
        Side::Left => 0,
        Side::Right => 1,
    }
}

/// Wraps an angle to (-pi, pi].
pub fn wrap(a: f64) -> f64 {
    let t = std::f64::consts::TAU;
    let mut x = a % t;
    if x > std::f64::consts::PI {
        x -= t;
    } else if x <= -std::f64::consts::PI {
        x += t;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn straight(scale: f64) -> Pose {
        Pose {
            centre: [100.0, 100.0],
            heading: 0.0,
            scale,
            bends: [0.0; JOINTS],
            phase: 0.0,
            swing: 0.0,
        }
    }

    #[test]
    fn catalogue_names_are_unique_for_every_k() {
        for k in 1..=MAX_KEYPOINTS {
            let c = catalogue(k);
            assert_eq!(c.len(), k);
            let mut names: Vec<&str> = c.iter().map(|d| d.name.as_str()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), k, "duplicate names at k={k}");
        }
        assert_eq!(catalogue(1000).len(), MAX_KEYPOINTS);
        assert_eq!(catalogue(1)[0].name, "nose");
    }

    #[test]
    fn skeleton_is_a_tree_over_the_chosen_points() {
        for k in 1..=MAX_KEYPOINTS {
            let defs = catalogue(k);
            let e = skeleton(&defs);
            assert_eq!(e.len(), k - 1, "k={k}");
            // Connected: union-find.
            let mut p: Vec<usize> = (0..k).collect();
            fn root(p: &mut [usize], mut i: usize) -> usize {
                while p[i] != i {
                    i = p[i];
                }
                i
            }
            for [a, b] in e {
                let (ra, rb) = (root(&mut p, a), root(&mut p, b));
                assert_ne!(ra, rb, "cycle at k={k}");
                p[ra] = rb;
            }
        }
    }

    #[test]
    fn straight_body_faces_heading_with_left_on_its_left() {
        let b = Body::from_pose(&straight(100.0));
        // Facing +x: the nose is right of the centre, the tail tip left of it.
        assert!(b.joints[0][0] > 150.0 && (b.joints[0][1] - 100.0).abs() < 1e-9);
        assert!(b.joints[9][0] < 20.0);
        // Facing east, the animal's left is north (smaller y).
        assert!(b.keypoint(Anchor::Ear(Side::Left))[1] < 100.0);
        assert!(b.keypoint(Anchor::Leg(Leg::HindRight, 2))[1] > 100.0);
        let len: f64 = LEN.iter().sum();
        assert!((b.joints[0][0] - b.joints[9][0] - len * 100.0).abs() < 1e-9);
    }
}
