//! Scalar curves, the domain the Curves view and `posedeck plot` share: the point type, the
//! x axes, TensorBoard's debiased smoothing, the 5th-95th percentile y range, the step-reset
//! split, the dashboard's tag order and reading runs' scalars from their events files.

pub mod load;
pub mod order;
pub mod range;
pub mod series;
pub mod smooth;

use serde::{Deserialize, Serialize};

/// One scalar sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub step: i64,
    pub wall: f64,
    pub value: f64,
}

/// The x axis of the scalar dashboard (TensorBoard's STEP / RELATIVE / WALL_TIME).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum XAxis {
    #[default]
    Step,
    Relative,
    Wall,
}

impl XAxis {
    pub fn next(self) -> XAxis {
        match self {
            XAxis::Step => XAxis::Relative,
            XAxis::Relative => XAxis::Wall,
            XAxis::Wall => XAxis::Step,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::Relative => "relative (s)",
            XAxis::Wall => "wall time",
        }
    }
}

/// A stable palette slot for a run name (FNV-1a of the name), so a run keeps its colour as
/// others come and go, in the workstation and in exported figures alike.
pub fn run_slot(name: &str, slots: usize) -> usize {
    let mut h: u64 = 1469598103934665603;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(1099511628211);
    }
    (h % slots.max(1) as u64) as usize
}
