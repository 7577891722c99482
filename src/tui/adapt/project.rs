//! A Lightning Pose project (the `project` model) as the views' data: labels with their
//! keypoints (from the label CSVs), videos, and one row per model run with its effective
//! status, metrics, effective config and files.

use crate::formats::config::LpConfig;
use crate::formats::csv::PoseTable;
use crate::project::{LoadOptions, MetricKind, ModelRun, Project, RunLayout};
use crate::sanitize::clean;
use crate::tui::data::{Data, ErrorStats, RunRow, VideoRow};
use std::path::Path;

fn c(s: &str) -> String {
    clean(s).into_owned()
}

/// Opens a project; `probe_videos`: run ffprobe on its videos (when installed).
pub fn load(target: &str, probe_videos: bool) -> Result<Data, String> {
    let opts = LoadOptions {
        probe_videos,
        ..LoadOptions::default()
    };
    // A folder given relative (`.` by default) is made absolute, so the paths the watcher
    // reports and the runs' paths compare, and the title says where the project is.
    let abs = Path::new(target)
        .exists()
        .then(|| std::path::absolute(target).ok())
        .flatten();
    let target = abs.as_deref().and_then(|p| p.to_str()).unwrap_or(target);
    let p = Project::open_with(target, opts).map_err(|e| e.to_string())?;
    Ok(from_project(&p))
}

pub fn from_project(p: &Project) -> Data {
    let mut d = Data {
        root: p.root.clone(),
        model_dirs: p.layout.model_dirs.clone(),
        kind: c(p.layout.kind.describe()),
        keypoints: p.labels.keypoints.iter().map(|k| c(k)).collect(),
        n_labeled: p.labels.n_labeled_frames,
        n_missing_frames: p.labels.n_frames_with_missing_keypoints,
        labeling_progress: p
            .labeling_progress
            .as_ref()
            .map(|l| (l.n_labeled_tasks, l.n_total_tasks)),
        warnings: p
            .problems
            .iter()
            .chain(p.labels.label_errors.iter())
            .map(|s| c(s))
            .collect(),
        ..Default::default()
    };
    d.keypoint_rgb = d
        .keypoints
        .iter()
        .map(|k| {
            p.keypoint_styles
                .iter()
                .find(|s| &s.name == k)
                .and_then(|s| s.colour.as_deref())
                .and_then(css_rgb)
        })
        .collect();
    d.keypoint_hotkeys = d
        .keypoints
        .iter()
        .map(|k| {
            p.keypoint_styles
                .iter()
                .find(|s| &s.name == k)
                .and_then(|s| s.hotkey.clone())
        })
        .collect();
    d.label_views = crate::labels::extract::target::label_views(&p.layout);
    // Labeled frames with coordinates, from every label file (one per view).
    let many = p.layout.label_files.len() > 1;
    for lf in &p.layout.label_files {
        match PoseTable::read(&lf.path) {
            Ok(t) => {
                let (mut frames, mut per) = super::tables::labeled_frames(&t, &p.root, &lf.path);
                if many && let Some(v) = &lf.view {
                    for f in &mut frames {
                        f.video = format!("{}/{}", c(v), f.video);
                    }
                    for x in &mut per {
                        x.video = format!("{}/{}", c(v), x.video);
                    }
                }
                d.frames.extend(frames);
                d.per_video.extend(per);
            }
            Err(e) => {
                let msg = c(&e.to_string());
                if !d.warnings.contains(&msg) {
                    d.warnings.push(msg);
                }
            }
        }
    }
    // Queued frames first (not labeled yet: every keypoint missing), as the labeler lists them.
    if let Some(q) = &p.labeling_queue {
        d.n_queued = q.n_queued_frames;
        let labeled: std::collections::HashSet<&str> =
            d.frames.iter().map(|f| f.image.as_str()).collect();
        // The first view's queue belongs beside its CollectedData CSV.
        let queue_csv = q.files.first().and_then(|f| {
            let name = f.file_name()?.to_str()?.strip_suffix(".unlabeled.jsonl")?;
            Some(f.with_file_name(format!("{name}.csv")))
        });
        let queued: Vec<crate::tui::data::Frame> = q
            .frame_paths
            .iter()
            .filter(|fp| !labeled.contains(c(fp).as_str()))
            .map(|fp| crate::tui::data::Frame {
                image: c(fp),
                source: crate::tui::data::FrameSource::File(p.root.join(fp.replace('\\', "/"))),
                video: c(crate::formats::csv::video_of(fp).unwrap_or("labeled-data")),
                points: vec![None; d.keypoints.len()],
                queued: true,
                // Edit mode adds the frame's row to the view's CollectedData CSV.
                origin: queue_csv
                    .clone()
                    .map_or(crate::tui::data::FrameOrigin::None, |file| {
                        crate::tui::data::FrameOrigin::Csv {
                            file,
                            image: fp.clone(),
                        }
                    }),
                ..Default::default()
            })
            .collect();
        d.frames.splice(0..0, queued);
    }
    for v in &p.videos {
        let probe = v.probe.as_ref();
        d.videos.push(VideoRow {
            folder: c(&v.folder),
            file: c(&v.file),
            path: v.path.clone(),
            size_bytes: v.size_bytes,
            frames: probe.and_then(|x| x.frames),
            fps: probe.and_then(|x| x.fps),
            codec: probe.and_then(|x| x.codec.as_deref()).map(c),
            width: probe.and_then(|x| x.width),
            height: probe.and_then(|x| x.height),
            note: match (&v.probe, &v.probe_error) {
                (_, Some(e)) => Some(c(e)),
                (None, None) => Some("frames/fps not probed".into()),
                _ => None,
            },
            warnings: probe
                .map(|p| p.warnings.iter().map(|w| c(w)).collect())
                .unwrap_or_default(),
            frame_files: if v.kind == crate::project::VideoKind::FrameFolder {
                crate::project::videos::frame_files(&v.path)
            } else {
                Vec::new()
            },
        });
    }
    d.runs = p.models.iter().map(run_row).collect();
    d
}

/// Rereads one run folder (after its status file or CSVs changed).
pub fn reload_run(path: &Path, name: String, layout: RunLayout) -> RunRow {
    run_row(&ModelRun::load_as(path, name, layout))
}

pub fn run_row(m: &ModelRun) -> RunRow {
    let cfg = m.config.as_ref();
    let mut r = RunRow {
        name: c(&m.name),
        path: m.path.clone(),
        layout: Some(m.layout.clone()),
        date: run_date(m),
        status: m
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "UNKNOWN".into()),
        effective: m.judgement.effective_status.as_str().to_owned(),
        reason: m.judgement.effective_reason.as_deref().map(c),
        progress: m
            .progress
            .as_ref()
            .and_then(|p| Some((p.completed?, p.total?))),
        model_type: m.model_type.as_deref().map(c),
        backbone: m.backbone.as_deref().map(c),
        image_size: cfg.and_then(|x| x.image_size).map(|[h, w]| (h, w)),
        train_frames: m.n_train_frames.map(|n| n.to_string()).or_else(|| {
            cfg.and_then(|x| x.train_frames).map(|f| {
                if f <= 1.0 {
                    format!("{:.0}%", f * 100.0)
                } else {
                    format!("{f:.0}")
                }
            })
        }),
        best_val_loss: m.best_val_loss,
        events_files: m.events_files.clone(),
        predictions: m.predictions.first().cloned(),
        video_preds: m.video_preds.iter().map(|v| v.path.clone()).collect(),
        errors: m.errors.iter().map(|e| c(e)).collect(),
        ..Default::default()
    };
    for (set, e) in &m.pixel_error {
        if let (Some(mean), Some(median)) = (e.mean, e.median) {
            r.pixel_error.insert(
                c(set),
                ErrorStats {
                    mean,
                    median,
                    p90: e.p90,
                },
            );
        }
    }
    if let Some(px) = m.metrics.iter().find(|s| s.kind == MetricKind::PixelError) {
        for (kp, sets) in &px.per_keypoint {
            for (set, e) in sets {
                if let Some(mean) = e.mean {
                    r.per_keypoint
                        .entry(c(set))
                        .or_default()
                        .push((c(kp), mean));
                }
            }
        }
        // Keep the project's keypoint order when the file lists them so.
        if let Some(order) = cfg.map(|x| &x.keypoint_names).filter(|k| !k.is_empty()) {
            for v in r.per_keypoint.values_mut() {
                v.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
            }
        }
    }
    if let Some(cp) = &m.config_path {
        match LpConfig::load(cp) {
            Ok(cfg) => {
                // Cleaned line by line: the line breaks are the text's own.
                let yaml = cfg.effective_yaml();
                r.config_yaml = Some(yaml.lines().map(c).collect::<Vec<_>>().join("\n"));
                r.config_flat = cfg
                    .flatten()
                    .into_iter()
                    .map(|(k, v)| (c(&k), c(&v)))
                    .collect();
            }
            Err(e) => r.errors.push(c(&e.to_string())),
        }
    }
    if let Some(tail) = &m.stderr_tail {
        r.reason = Some(match r.reason.take() {
            Some(x) => format!("{x}; {}", c(tail)),
            None => c(tail),
        });
    }
    r.files = list_files(&m.path);
    let log = ["train_stdout.log", "train_stderr.log"]
        .iter()
        .find_map(|n| m.logs.iter().find(|l| l.name == *n));
    if let Some(l) = log {
        r.log_tail = log_tail(&l.path, 40);
    }
    r
}

/// Drops terminal control sequences (`ESC [ ... letter`, as tqdm writes them) from a line;
/// what is left of other controls is removed by `clean`.
fn strip_csi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(ch) = it.next() {
        if ch == '\x1b' && it.peek() == Some(&'[') {
            it.next();
            for x in it.by_ref() {
                if x.is_ascii_alphabetic() || x == '~' {
                    break;
                }
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// The last `n` lines of a log (its last 64 KiB at most), cleaned; progress bars drawn with
/// carriage returns keep their last state.
fn log_tail(path: &Path, n: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok((mut f, _)) = crate::util::open_regular(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut buf).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text
        .lines()
        .skip(usize::from(start > 0))
        .map(|l| {
            let last = l.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or("");
            c(&strip_csi(last))
        })
        .filter(|l| !l.trim().is_empty())
        .collect();
    let cut = lines.len().saturating_sub(n);
    lines.drain(..cut);
    lines
}

/// Files in the run folder (depth 4, at most 200), relative paths with sizes.
fn list_files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if out.len() >= 200 {
                return out;
            }
            let p = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if depth < 4 {
                    stack.push((p, depth + 1));
                }
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                out.push((c(&rel), meta.len()));
            }
        }
    }
    out.sort();
    out
}

/// The run's date: from a dated folder name, the config's creation time, else the folder's
/// modification time (UTC).
fn run_date(m: &ModelRun) -> Option<String> {
    if matches!(m.layout, RunLayout::Dated | RunLayout::OldApp { .. }) {
        let d: String = m.name.chars().take(10).collect();
        if d.len() == 10 && d.as_bytes().get(4) == Some(&b'-') {
            return Some(d);
        }
    }
    if let Some(s) = m
        .config
        .as_ref()
        .and_then(|x| x.creation_datetime.as_deref())
    {
        return Some(c(&s.chars().take(10).collect::<String>()));
    }
    let t = std::fs::metadata(&m.path).ok()?.modified().ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    let (y, mo, d) = crate::util::civil(secs.div_euclid(86_400));
    Some(format!("{y:04}-{mo:02}-{d:02}"))
}

/// A Label Studio `background` colour: `#rrggbb`, `#rgb` or a CSS colour name.
pub fn css_rgb(s: &str) -> Option<[u8; 3]> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(h) = s.strip_prefix('#') {
        let v = |i: usize, n: usize| u8::from_str_radix(h.get(i..i + n)?, 16).ok();
        return match h.len() {
            6 => Some([v(0, 2)?, v(2, 2)?, v(4, 2)?]),
            3 => Some([v(0, 1)? * 17, v(1, 1)? * 17, v(2, 1)? * 17]),
            _ => None,
        };
    }
    Some(match s.as_str() {
        "red" => [255, 0, 0],
        "green" => [0, 128, 0],
        "lime" => [0, 255, 0],
        "blue" => [0, 0, 255],
        "yellow" => [255, 255, 0],
        "orange" => [255, 165, 0],
        "purple" => [128, 0, 128],
        "pink" => [255, 192, 203],
        "cyan" | "aqua" => [0, 255, 255],
        "magenta" | "fuchsia" => [255, 0, 255],
        "white" => [255, 255, 255],
        "black" => [0, 0, 0],
        "brown" => [165, 42, 42],
        "gray" | "grey" => [128, 128, 128],
        "silver" => [192, 192, 192],
        "navy" => [0, 0, 128],
        "teal" => [0, 128, 128],
        "olive" => [128, 128, 0],
        "maroon" => [128, 0, 0],
        "gold" => [255, 215, 0],
        "violet" => [238, 130, 238],
        "indigo" => [75, 0, 130],
        "turquoise" => [64, 224, 208],
        "salmon" => [250, 128, 114],
        "coral" => [255, 127, 80],
        "khaki" => [240, 230, 140],
        "crimson" => [220, 20, 60],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_dates() {
        assert_eq!(css_rgb("red"), Some([255, 0, 0]));
        assert_eq!(css_rgb("#0a0B0c"), Some([10, 11, 12]));
        assert_eq!(css_rgb("#fff"), Some([255, 255, 255]));
        assert_eq!(css_rgb("nope"), None);
        assert_eq!(crate::util::civil(0), (1970, 1, 1));
        assert_eq!(crate::util::civil(20_778), (2026, 11, 21));
        assert_eq!(strip_csi("a\x1b[Ab\x1b[31;1mc\x1b"), "abc\x1b");
    }
}
