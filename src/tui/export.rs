//! `E` in Curves: what the view shows (the visible runs, the tags that pass the filter, or
//! the enlarged chart alone; the current smoothing, x axis, log y and outlier setting) as
//! `<project>/.posedeck/exports/curves-<UTC time>.png` and `.csv`, written by a worker thread;
//! the status bar names the file when it is done.

use crate::plot::{Figure, Options, Rgb};
use crate::tui::app::{App, Effect};
use crate::tui::scalars::Series;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of the exports, inside the project.
pub const EXPORTS: &str = ".posedeck/exports";

/// What to draw and where it goes, ready for the worker. The runs' series are the view's
/// shared chunks (cloning one clones its chunks' handles): the worker copies the points out
/// and builds the figure, so a keypress copies no point on the UI thread.
#[derive(Debug, Clone)]
pub struct ExportJob {
    /// Each shown run that has one of `tags`: name, colour, its series of those tags.
    pub runs: Vec<(String, Rgb, BTreeMap<String, Series>)>,
    pub tags: Vec<String>,
    pub options: Options,
    pub png: PathBuf,
    pub csv: PathBuf,
    /// The project folder (names are shown relative to it).
    pub root: PathBuf,
}

/// Builds the export of what Curves shows and asks a worker to write it.
pub fn start(app: &mut App) {
    let tags = crate::tui::state::curves::visible_tags(app);
    let c = &app.curves;
    let tags: Vec<String> = if c.grid {
        tags
    } else {
        tags.get(c.selected.min(tags.len().saturating_sub(1)))
            .cloned()
            .into_iter()
            .collect()
    };
    if tags.is_empty() {
        app.error(if app.scalars.runs.is_empty() {
            "nothing to export: no scalars read yet"
        } else {
            "nothing to export: no tag passes the filter"
        });
        return;
    }
    let hidden = crate::tui::state::curves::hidden_runs(app);
    let (background, foreground, palette) = app.theme.figure_colors();
    let color = |name: &str| palette[crate::curves::run_slot(name, palette.len())];
    // The shown tags' series: handles of the shared chunks, no point copied here.
    let runs: Vec<(String, Rgb, BTreeMap<String, Series>)> = app
        .scalars
        .runs
        .values()
        .filter(|r| hidden.binary_search(&r.name).is_err())
        .filter(|r| tags.iter().any(|t| r.tags.contains_key(t)))
        .map(|r| {
            let series = tags
                .iter()
                .filter_map(|t| Some((t.clone(), r.tags.get(t)?.clone())))
                .collect();
            (r.name.clone(), color(&r.name), series)
        })
        .collect();
    if runs.is_empty() {
        app.error("nothing to export: every run with these tags is hidden");
        return;
    }
    let options = Options {
        smoothing: c.smoothing,
        x_axis: c.x_axis,
        log_y: c.log_y,
        ignore_outliers: c.ignore_outliers,
        background,
        foreground,
        ..Options::default()
    };
    let root = if app.data.root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        app.data.root.clone()
    };
    let (png, csv) = free_names(&root.join(EXPORTS), now_secs());
    app.info(format!("exporting {} …", shown(&root, &png)));
    app.push(Effect::ExportCurves(Box::new(ExportJob {
        runs,
        tags,
        options,
        png,
        csv,
        root,
    })));
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `curves-<UTC time>.png` and `.csv` in `dir`, with `-2`, `-3` ... when taken.
pub fn free_names(dir: &Path, secs: i64) -> (PathBuf, PathBuf) {
    let base = format!("curves-{}", crate::tempfiles::utc_stamp(secs));
    let mut n = 1;
    loop {
        let stem = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let (png, csv) = (
            dir.join(format!("{stem}.png")),
            dir.join(format!("{stem}.csv")),
        );
        if png.symlink_metadata().is_err() && csv.symlink_metadata().is_err() {
            return (png, csv);
        }
        n += 1;
    }
}

fn shown(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    crate::sanitize::clean(&rel.to_string_lossy()).into_owned()
}

/// Two exports are the same when they write the same files.
impl PartialEq for ExportJob {
    fn eq(&self, other: &Self) -> bool {
        self.png == other.png && self.csv == other.csv
    }
}

impl ExportJob {
    /// The figure of the job's runs and tags (the points copied out of the chunks).
    pub fn figure(&self) -> Figure {
        let points: Vec<BTreeMap<String, Vec<crate::curves::Point>>> = self
            .runs
            .iter()
            .map(|(_, _, series)| {
                series
                    .iter()
                    .map(|(t, s)| (t.clone(), s.to_vec()))
                    .collect()
            })
            .collect();
        let runs = self.runs.iter().zip(&points);
        Figure::new(runs.map(|((n, c, _), t)| (n.as_str(), *c, t)), &self.tags)
    }

    /// Builds the figure, writes the PNG and the CSV (each atomically); the status bar's
    /// message. Runs on the export worker.
    pub fn run(&self) -> Result<String, String> {
        let figure = self.figure();
        let dir = self.png.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e).to_string())?;
        crate::plot::write_png(&self.png, &figure, &self.options)
            .map_err(|e| format!("export: {e}"))?;
        let rows = crate::plot::write_csv(&self.csv, &figure, self.options.smoothing)
            .map_err(|e| format!("export: {e}"))?;
        let charts = figure.charts.len();
        Ok(format!(
            "exported {} (+ .csv, {rows} points): {charts} chart{}, {} run{}",
            shown(&self.root, &self.png),
            if charts == 1 { "" } else { "s" },
            figure.runs.len(),
            if figure.runs.len() == 1 { "" } else { "s" },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stamped_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (png, csv) = free_names(dir.path(), 1_709_210_096);
        assert_eq!(png, dir.path().join("curves-20240229T123456Z.png"));
        assert_eq!(csv, dir.path().join("curves-20240229T123456Z.csv"));
        std::fs::write(&csv, "x").unwrap();
        let (png, _) = free_names(dir.path(), 1_709_210_096);
        assert_eq!(png, dir.path().join("curves-20240229T123456Z-2.png"));
    }
}
