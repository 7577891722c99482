//! Chart math for the Curves view: the shared curve math of [`crate::curves`] (TensorBoard's
//! debiased EMA, the 5th-95th percentile y range, log y, x axes, the step-reset split and
//! per-column downsampling) and the view's plot cache.

pub mod plot;

pub use crate::curves::{Point, XAxis, range, series, smooth};
