//! Figures of scalar curves for slides (`posedeck plot`, `E` in Curves): TensorBoard's
//! dashboard as a PNG. One chart per tag in a grid (the dashboard's order), every run
//! overlaid in its stable colour, the raw curve faint behind the smoothed one (TensorBoard's
//! debiased EMA), a legend of runs; and the points behind it as CSV.
//!
//! - [`raster`]: the RGB canvas and anti-aliased lines; [`font`]: the embedded bitmap font.
//! - [`axes`]: round ticks and their labels; [`chart`]: one chart; [`layout`]: the figure.
//! - [`points`]: the CSV of every point with its smoothed value.

pub mod axes;
pub mod chart;
pub mod font;
pub mod layout;
pub mod points;
pub mod raster;

use crate::curves::{Point, XAxis};
use crate::{Error, Result};
pub use raster::Rgb;
use std::collections::BTreeMap;
use std::path::Path;

/// One run's points of one tag, in file order (split where the step goes back).
#[derive(Debug, Clone)]
pub struct Series {
    pub run: String,
    pub color: Rgb,
    pub points: Vec<Point>,
}

/// One tag's chart: every run that has the tag.
#[derive(Debug, Clone)]
pub struct Chart {
    pub tag: String,
    pub series: Vec<Series>,
}

/// What is drawn: the charts in order and the runs of the legend.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    pub charts: Vec<Chart>,
    pub runs: Vec<(String, Rgb)>,
}

impl Figure {
    /// The charts of `tags` (in that order) over `runs` (name, colour, points per tag).
    pub fn new<'a>(
        runs: impl IntoIterator<Item = (&'a str, Rgb, &'a BTreeMap<String, Vec<Point>>)>,
        tags: &[String],
    ) -> Figure {
        let runs: Vec<_> = runs.into_iter().collect();
        let charts = tags
            .iter()
            .map(|tag| Chart {
                tag: tag.clone(),
                series: runs
                    .iter()
                    .filter_map(|(name, color, t)| {
                        Some(Series {
                            run: (*name).to_owned(),
                            color: *color,
                            points: t.get(tag)?.clone(),
                        })
                    })
                    .collect(),
            })
            .collect();
        Figure {
            charts,
            runs: runs.iter().map(|(n, c, _)| ((*n).to_owned(), *c)).collect(),
        }
    }

    pub fn points(&self) -> usize {
        self.charts
            .iter()
            .flat_map(|c| &c.series)
            .map(|s| s.points.len())
            .sum()
    }
}

/// How the figure is drawn.
#[derive(Debug, Clone)]
pub struct Options {
    pub width: u32,
    pub height: u32,
    /// EMA weight in [0, 1) (TensorBoard's default 0.6; 0: the raw curve only).
    pub smoothing: f64,
    pub x_axis: XAxis,
    pub log_y: bool,
    /// The y range covers the 5th..95th percentile (TensorBoard's default).
    pub ignore_outliers: bool,
    pub background: Rgb,
    pub foreground: Rgb,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 1600,
            height: 1000,
            smoothing: 0.6,
            x_axis: XAxis::Step,
            log_y: false,
            ignore_outliers: true,
            background: [255, 255, 255],
            foreground: [0, 0, 0],
        }
    }
}

/// The smallest and largest image side accepted.
pub const MIN_SIDE: u32 = 200;
pub const MAX_SIDE: u32 = 10_000;

/// Checks the options a user gave (one line naming the bad one).
pub fn check(o: &Options) -> Result<()> {
    for (name, v) in [("--width", o.width), ("--height", o.height)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&v) {
            return Err(Error::usage(format!(
                "{name} {v}: the image side must be {MIN_SIDE} to {MAX_SIDE} pixels"
            )));
        }
    }
    if !(0.0..1.0).contains(&o.smoothing) {
        return Err(Error::usage(format!(
            "--smoothing {}: must be at least 0 and below 1 (TensorBoard's default is 0.6)",
            o.smoothing
        )));
    }
    Ok(())
}

/// The figure as PNG bytes.
pub fn png(fig: &Figure, o: &Options) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let c = layout::render(fig, o);
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(&c.data, c.width, c.height, image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::usage(format!("PNG encoding failed: {e}")))?;
    Ok(out)
}

/// Writes the figure as a PNG at `path` (atomically: a temporary renamed into place).
pub fn write_png(path: &Path, fig: &Figure, o: &Options) -> Result<()> {
    let bytes = png(fig, o)?;
    crate::util::write_atomic(path, &bytes)
}

/// Writes every point as CSV at `path` (atomically); returns the rows written.
pub fn write_csv(path: &Path, fig: &Figure, smoothing: f64) -> Result<u64> {
    let mut rows = 0;
    crate::util::write_atomic_with(path, |w| {
        rows = points::write(w, fig, smoothing)?;
        Ok(())
    })?;
    Ok(rows)
}
