//! `posedeck plot RUN... [--tag REGEX] [-o curves.png] [--csv points.csv]`: the runs'
//! curves as a PNG for slides (TensorBoard's dashboard: a grid of one chart per tag, runs
//! overlaid in their stable colours, smoothed with TensorBoard's debiased EMA), and every
//! point as CSV.

use crate::curves::{XAxis, load, order};
use crate::plot::{Figure, Options};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Run folders (their tb_logs/ events files), events files, or folders of runs (every
    /// events file below, grouped by run).
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Only tags matching this regular expression (case-insensitive, like Curves' `/`).
    #[arg(long, value_name = "REGEX")]
    pub tag: Option<String>,
    /// TensorBoard's smoothing weight, 0 (none) to below 1.
    #[arg(long, default_value_t = 0.6)]
    pub smoothing: f64,
    /// The PNG to write [default: curves.png, unless only --csv is given].
    #[arg(short = 'o', long = "output", value_name = "PNG")]
    pub output: Option<PathBuf>,
    /// Also write every point as CSV: run,tag,step,wall_time,value,smoothed.
    #[arg(long, value_name = "CSV")]
    pub csv: Option<PathBuf>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1600)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
    /// The x axis: training step, time since the run's first point, or wall-clock time (UTC).
    #[arg(long, value_enum, default_value = "step")]
    pub x: XArg,
    /// Logarithmic y axis (values at or below zero are left out).
    #[arg(long)]
    pub log_y: bool,
    /// Fit the y range to every value (default: the 5th-95th percentile, as TensorBoard).
    #[arg(long)]
    pub outliers: bool,
    /// Colours: a theme name or file (light: white background; dark, colorblind: dark grey;
    /// high-contrast: black).
    #[arg(long, default_value = "light", value_name = "THEME")]
    pub theme: String,
    /// Replace existing outputs (the old ones are kept as backups).
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum XArg {
    Step,
    Relative,
    Wall,
}

impl From<XArg> for XAxis {
    fn from(x: XArg) -> XAxis {
        match x {
            XArg::Step => XAxis::Step,
            XArg::Relative => XAxis::Relative,
            XArg::Wall => XAxis::Wall,
        }
    }
}

pub fn run(args: &PlotArgs) -> Result<()> {
    let theme = crate::tui::theme::Theme::load(&args.theme)?;
    let (background, foreground, palette) = theme.figure_colors();
    let opts = Options {
        width: args.width,
        height: args.height,
        smoothing: args.smoothing,
        x_axis: args.x.into(),
        log_y: args.log_y,
        ignore_outliers: !args.outliers,
        background,
        foreground,
    };
    crate::plot::check(&opts)?;
    let filter = match &args.tag {
        Some(re) => Some(
            regex::Regex::new(&format!("(?i){re}"))
                .map_err(|e| Error::usage(crate::cli::scalars::regex_error(re, &e)))?,
        ),
        None => None,
    };
    let png = match (&args.output, &args.csv) {
        (Some(p), _) => Some(p.clone()),
        (None, None) => Some(PathBuf::from("curves.png")),
        (None, Some(_)) => None,
    };
    if let Some(p) = &png {
        check_png_name(p)?;
    }
    if let (Some(a), Some(b)) = (&png, &args.csv)
        && a == b
    {
        return Err(Error::usage(format!(
            "{}: given as both the PNG and the CSV; choose two names",
            a.display()
        )));
    }
    for p in png.iter().chain(&args.csv) {
        crate::tempfiles::check_output(p, args.force)?;
    }
    crate::tempfiles::install_signal_cleanup()?;

    let loaded = load::load(&args.runs)?;
    let mut loaded = loaded;
    let fig = figure(&loaded, filter.as_ref(), &palette);
    if fig.charts.is_empty() {
        // Damage that left nothing to plot says why first.
        if !loaded.damage.is_empty() {
            return Err(loaded.damage.swap_remove(0).error);
        }
        return Err(no_tags(&args.runs, &loaded, args.tag.as_deref()));
    }
    let mut damage = Vec::new();
    for d in loaded.damage {
        if d.truncated {
            warn(&format!("{}; plotted what comes before it", d.error));
        } else {
            damage.push(d.error);
        }
    }
    let runs_drawn = fig.runs.len();
    if let Some(p) = &png {
        let backup = crate::tempfiles::prepare_file(p, args.force)?;
        crate::plot::write_png(p, &fig, &opts)?;
        println!(
            "wrote {} ({}x{}, {} chart{}, {} run{}, {} points)",
            p.display(),
            opts.width,
            opts.height,
            fig.charts.len(),
            plural(fig.charts.len()),
            runs_drawn,
            plural(runs_drawn),
            fig.points()
        );
        kept(p, backup);
    }
    if let Some(p) = &args.csv {
        let backup = crate::tempfiles::prepare_file(p, args.force)?;
        let rows = crate::plot::write_csv(p, &fig, opts.smoothing)?;
        println!("wrote {} ({rows} rows)", p.display());
        kept(p, backup);
    }
    // Damage inside a file (not a record still being written): what came before it is
    // plotted, and the exit code says the input was bad.
    let last = damage.pop();
    for e in damage {
        crate::cli::error_line(&e.to_string());
    }
    match last {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn warn(msg: &str) {
    use std::io::Write;
    let line = format!("posedeck: warning: {}\n", crate::sanitize::one_line(msg));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn kept(path: &Path, backup: Option<(crate::tempfiles::Temp, PathBuf)>) {
    if let Some((guard, b)) = backup {
        guard.keep();
        println!("{}", crate::cli::labels::convert::backup_line(path, &b));
    }
}

/// The PNG's name: `.png`, or no extension at all.
fn check_png_name(p: &Path) -> Result<()> {
    match p.extension().and_then(|e| e.to_str()) {
        Some(e) if !e.eq_ignore_ascii_case("png") => Err(Error::usage(format!(
            "{}: the figure is written as PNG; name it .png (points go to --csv)",
            p.display()
        ))),
        _ => Ok(()),
    }
}

/// The charts of every tag that passes the filter (the dashboard's order), every run with
/// its palette colour.
pub fn figure(loaded: &load::Loaded, filter: Option<&regex::Regex>, palette: &[[u8; 3]]) -> Figure {
    let mut tags: Vec<String> = loaded
        .runs
        .iter()
        .flat_map(|r| r.tags.keys())
        .filter(|t| filter.is_none_or(|re| re.is_match(t)))
        .cloned()
        .collect();
    tags.sort();
    tags.dedup();
    order::dashboard_order(&mut tags);
    let color = |name: &str| palette[crate::curves::run_slot(name, palette.len())];
    Figure::new(
        loaded
            .runs
            .iter()
            .filter(|r| tags.iter().any(|t| r.tags.contains_key(t)))
            .map(|r| (r.name.as_str(), color(&r.name), &r.tags)),
        &tags,
    )
}

/// "RUN: no scalar tag matches --tag "x" (its tags: a, b, ...)".
fn no_tags(paths: &[PathBuf], loaded: &load::Loaded, re: Option<&str>) -> Error {
    let mut all: Vec<&str> = loaded
        .runs
        .iter()
        .flat_map(|r| r.tags.keys().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    let named = match paths {
        [one] => one.display().to_string(),
        [first, rest @ ..] => format!("{} (and {} more)", first.display(), rest.len()),
        [] => String::new(),
    };
    let shown: Vec<&str> = all.iter().take(12).copied().collect();
    let more = if all.len() > shown.len() { ", ..." } else { "" };
    match re {
        Some(re) if !all.is_empty() => Error::usage(format!(
            "{named}: no scalar tag matches --tag {re:?} (tags: {}{more})",
            shown.join(", ")
        )),
        _ => Error::usage(format!("{named}: no scalars in the events files")),
    }
}
