//! Chart math for the Curves view, pure and unit-tested: TensorBoard's debiased EMA, the
//! 5th-95th percentile y range, log y, x axes, the step-reset split and per-column downsampling.

pub mod plot;
pub mod range;
pub mod series;
pub mod smooth;

use serde::{Deserialize, Serialize};

/// One scalar sample as the Curves view keeps it.
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
