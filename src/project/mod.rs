//! Discovering a Lightning Pose project: layout, labels, videos, model runs and their status.
//!
//! Everything is an owned, serialisable model. Each part loads on its own so a viewer can
//! refresh one piece: [`Project::load`] for everything, [`LabelsSummary::load`],
//! [`videos::scan`], [`runs::discover`] and [`ModelRun::load`] for one run.

pub mod cache;
pub mod events;
pub mod judge;
pub mod labels;
pub mod layout;
pub mod metrics;
pub mod outputs;
pub mod procinfo;
pub mod run;
pub mod runs;
pub mod videos;

pub use judge::{EffectiveStatus, Judgement};
pub use labels::{LabelsSummary, ViewLabels};
pub use layout::{Layout, LayoutKind};
pub use metrics::{ErrorStats, MetricKind, MetricSummary};
pub use run::{ModelRun, StatusSource};
pub use runs::{RunDir, RunLayout};
pub use videos::{VideoInfo, VideoKind, VideoProbe};

use crate::Result;
use crate::formats::config::{
    ConfigSummary, KeypointStyle, LabelStudioConfig, LabelStudioMetadata, LpConfig, ProjectYaml,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Labeling progress: Label Studio's task counts (old app) or the new app's labeler queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelingProgress {
    pub n_labeled_tasks: u64,
    pub n_total_tasks: u64,
    pub fraction: f64,
    /// The file the counts come from.
    #[serde(serialize_with = "crate::util::ser_path")]
    pub source: PathBuf,
}

/// The new app's labeler queue (`CollectedData*.unlabeled.jsonl`): frames extracted for
/// labeling and not labeled yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelingQueue {
    /// Queued frames (multiview: the i-th line of each view's queue is one frame).
    pub n_queued_frames: usize,
    /// The queue files read.
    #[serde(serialize_with = "crate::util::ser_path")]
    pub files: Vec<PathBuf>,
    /// Queued frame paths (the first view's), in queue order.
    pub frame_paths: Vec<String>,
}

/// A whole project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    #[serde(serialize_with = "crate::util::ser_path")]
    pub root: PathBuf,
    pub name: String,
    pub layout: Layout,
    /// Views (`[]` for a single-view project).
    pub views: Vec<String>,
    /// The project config's summary (old app `model_config_<P>.yaml`, bare dir config).
    pub config: Option<ConfigSummary>,
    pub project_yaml: Option<ProjectYaml>,
    /// Label Studio project name/id/task counts (never the api_key).
    pub label_studio: Option<LabelStudioMetadata>,
    /// Keypoint colours and hotkeys (label_studio_config.xml), in its order.
    pub keypoint_styles: Vec<KeypointStyle>,
    #[serde(flatten)]
    pub labels: LabelsSummary,
    /// `null` when unknown.
    pub labeling_progress: Option<LabelingProgress>,
    /// `null` when the project has no queue file.
    #[serde(default)]
    pub labeling_queue: Option<LabelingQueue>,
    pub videos: Vec<VideoInfo>,
    pub models: Vec<ModelRun>,
    /// Problems with project-level files; each names the file (and line).
    pub problems: Vec<String>,
}

/// Options for [`Project::load_with`].
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Run ffprobe on the videos (when it is on PATH).
    pub probe_videos: bool,
    /// Threads for loading runs.
    pub threads: usize,
    /// Reuse metric summaries and best losses of unchanged files (see [`cache`]).
    pub use_cache: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            probe_videos: true,
            threads: 2,
            use_cache: true,
        }
    }
}

impl Project {
    /// Opens `arg`: a project folder, a run folder or a registry key.
    pub fn open(arg: &str) -> Result<Project> {
        Self::open_with(arg, LoadOptions::default())
    }

    /// [`Project::open`] with options.
    pub fn open_with(arg: &str, opts: LoadOptions) -> Result<Project> {
        let (root, entry) = layout::resolve(arg)?;
        let layout = layout::discover(&root, entry)?;
        Ok(Self::from_layout(layout, opts))
    }

    /// Loads the project in `root` (no registry lookup of keys; folders only).
    pub fn load(root: &Path) -> Result<Project> {
        Self::load_with(root, LoadOptions::default())
    }

    pub fn load_with(root: &Path, opts: LoadOptions) -> Result<Project> {
        let (root, entry) = layout::resolve(&root.to_string_lossy())?;
        let layout = layout::discover(&root, entry)?;
        Ok(Self::from_layout(layout, opts))
    }

    /// Loads every part of a discovered layout. Never fails: bad files become `problems`,
    /// `label_errors` or a run's `errors`.
    pub fn from_layout(layout: Layout, opts: LoadOptions) -> Project {
        let root = layout.root.clone();
        let name = root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string());
        let mut p = Project {
            name: layout.registry_key.clone().unwrap_or(name),
            root,
            views: Vec::new(),
            config: None,
            project_yaml: None,
            label_studio: None,
            keypoint_styles: Vec::new(),
            labels: LabelsSummary::default(),
            labeling_progress: None,
            labeling_queue: None,
            videos: Vec::new(),
            models: Vec::new(),
            problems: Vec::new(),
            layout,
        };
        // Runs load on other threads while this one reads labels and videos.
        let (run_dirs, run_problems) = p.discover_runs_checked();
        let cache = if opts.use_cache {
            cache::DerivedCache::for_project(&p.layout.root)
        } else {
            cache::DerivedCache::disabled()
        };
        // The workers take runs one at a time; this thread joins them once the rest is read,
        // so neither core idles while runs are left.
        let queue = RunQueue::new(&run_dirs, &cache);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..opts.threads.max(1))
                .map(|_| s.spawn(|| queue.work()))
                .collect();
            p.refresh_meta();
            p.refresh_labels();
            p.refresh_videos(opts.probe_videos);
            queue.work();
            // Joined here so that a worker's panic does not take the scope down with it.
            for w in workers {
                let _ = w.join();
            }
        });
        p.models = queue.into_runs();
        p.problems.extend(run_problems);
        p.problems.extend(videos::folder_problems(&p.layout.root));
        cache.save();
        p
    }

    /// Rereads project.yaml, the project config and the Label Studio files.
    pub fn refresh_meta(&mut self) {
        self.problems.clear();
        self.project_yaml = self
            .layout
            .project_yaml
            .as_deref()
            .and_then(|f| keep(ProjectYaml::load(f), &mut self.problems));
        self.config = self
            .layout
            .config_path
            .as_deref()
            .and_then(|f| keep(LpConfig::load(f), &mut self.problems))
            .map(|c| c.summary());
        self.label_studio = self
            .layout
            .ls_metadata
            .as_deref()
            .and_then(|f| keep(LabelStudioMetadata::load(f), &mut self.problems));
        self.keypoint_styles = self
            .layout
            .ls_config
            .as_deref()
            .and_then(|f| keep(LabelStudioConfig::load(f), &mut self.problems))
            .map(|c| c.keypoints)
            .unwrap_or_default();
        self.views = match (&self.project_yaml, &self.config) {
            (Some(p), _) if !p.view_names.is_empty() => p.view_names.clone(),
            (_, Some(c)) if !c.view_names.is_empty() => c.view_names.clone(),
            _ => self
                .layout
                .label_files
                .iter()
                .filter_map(|f| f.view.clone())
                .collect(),
        };
    }

    /// Rereads the labels CSVs and the labeling progress.
    pub fn refresh_labels(&mut self) {
        self.labels = LabelsSummary::load(&self.layout.root, &self.layout.label_files);
        // Keypoint names: project.yaml, else the CSV, else the config.
        if let Some(py) = self
            .project_yaml
            .as_ref()
            .filter(|p| !p.keypoint_names.is_empty())
        {
            self.labels.keypoints = py.keypoint_names.clone();
        } else if self.labels.keypoints.is_empty()
            && let Some(c) = &self.config
        {
            self.labels.keypoints = c.keypoint_names.clone();
        }
        self.labeling_queue = self.read_queue();
        self.labeling_progress = self.compute_progress();
    }

    /// The queue files: beside each label CSV (`.csv` -> `.unlabeled.jsonl`, as the app
    /// names them), and any other `CollectedData*.unlabeled.jsonl` in the data dir.
    pub fn queue_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .layout
            .label_files
            .iter()
            .map(|f| crate::labels::queue::path_for_csv(&f.path))
            .collect();
        if files.is_empty() {
            files.push(self.layout.root.join("CollectedData.unlabeled.jsonl"));
        }
        for q in &self.layout.unlabeled_queues {
            if !files.contains(q) {
                files.push(q.clone());
            }
        }
        files
    }

    fn read_queue(&mut self) -> Option<LabelingQueue> {
        let mut queues = Vec::new();
        let mut files = Vec::new();
        for f in self.queue_files() {
            if !f.exists() {
                continue;
            }
            match crate::labels::queue::Queue::read(&f) {
                Ok(q) => {
                    if let Some(l) = q.torn_line {
                        self.labels.label_errors.push(format!(
                            "{}:{l}: torn last line (an interrupted write) left out",
                            crate::util::escape_path(&f)
                        ));
                    }
                    queues.push(q);
                }
                Err(e) => self.labels.label_errors.push(e.to_string()),
            }
            files.push(f);
        }
        if files.is_empty() {
            return None;
        }
        Some(LabelingQueue {
            n_queued_frames: crate::labels::queue::count_frames(&queues),
            frame_paths: queues
                .first()
                .map(|q| q.entries.iter().map(|e| e.frame_path.clone()).collect())
                .unwrap_or_default(),
            files,
        })
    }

    fn compute_progress(&self) -> Option<LabelingProgress> {
        if let (Some(m), Some(src)) = (&self.label_studio, &self.layout.ls_metadata)
            && let (Some(l), Some(t), Some(f)) = (m.n_labeled_tasks, m.n_total_tasks, m.progress())
        {
            return Some(LabelingProgress {
                n_labeled_tasks: l,
                n_total_tasks: t,
                fraction: f,
                source: src.clone(),
            });
        }
        // New app: labeled frames vs labeled + queued in CollectedData*.unlabeled.jsonl.
        let q = self.labeling_queue.as_ref()?;
        let queue = q.files.first()?;
        let queued = q.n_queued_frames as u64;
        let labeled = self.labels.n_labeled_frames as u64;
        let total = labeled + queued;
        (total > 0).then(|| LabelingProgress {
            n_labeled_tasks: labeled,
            n_total_tasks: total,
            fraction: labeled as f64 / total as f64,
            source: queue.clone(),
        })
    }

    /// Relists (and probes) the videos.
    pub fn refresh_videos(&mut self, probe: bool) {
        self.videos = if probe {
            videos::scan(&self.layout.root)
        } else {
            videos::list(&self.layout.root)
        };
    }

    /// The run folders of this project, in display order.
    pub fn discover_runs(&self) -> Vec<RunDir> {
        self.discover_runs_checked().0
    }

    /// [`Project::discover_runs`], with the folders that could not be looked into (see
    /// [`runs::discover_checked`]).
    pub fn discover_runs_checked(&self) -> (Vec<RunDir>, Vec<String>) {
        if self.layout.kind == LayoutKind::SingleRun {
            let name = self.name.clone();
            return (
                vec![RunDir {
                    path: self.layout.root.clone(),
                    name,
                    layout: RunLayout::Single,
                }],
                Vec::new(),
            );
        }
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let many = self.layout.model_dirs.len() > 1;
        for d in &self.layout.model_dirs {
            let prefix = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (found, p) = runs::discover_checked(d);
            problems.extend(p);
            for mut r in found {
                if many {
                    r.name = format!("{prefix}/{}", r.name);
                }
                out.push(r);
            }
        }
        (out, problems)
    }

    /// Rediscovers and reloads every run.
    pub fn refresh_runs(&mut self, threads: usize) {
        let dirs = self.discover_runs();
        self.models = load_runs(&dirs, threads.max(1));
    }

    /// Reloads one run (by index into `models`); false when out of range.
    pub fn refresh_run(&mut self, i: usize) -> bool {
        match self.models.get_mut(i) {
            Some(m) => {
                *m = ModelRun::load_as(&m.path.clone(), m.name.clone(), m.layout.clone());
                true
            }
            None => false,
        }
    }
}

fn keep<T>(r: Result<T>, problems: &mut Vec<String>) -> Option<T> {
    r.map_err(|e| problems.push(e.to_string())).ok()
}

/// Loads runs on `threads` threads (interleaved, so slow and fast runs spread out), keeping
/// the order of `dirs`.
pub fn load_runs(dirs: &[RunDir], threads: usize) -> Vec<ModelRun> {
    load_runs_cached(dirs, threads, &cache::DerivedCache::disabled())
}

/// [`load_runs`] with a cache of derived values.
pub fn load_runs_cached(
    dirs: &[RunDir],
    threads: usize,
    cache: &cache::DerivedCache,
) -> Vec<ModelRun> {
    let queue = RunQueue::new(dirs, cache);
    if threads <= 1 || dirs.len() < 2 {
        queue.work();
    } else {
        std::thread::scope(|s| {
            let workers: Vec<_> = (1..threads).map(|_| s.spawn(|| queue.work())).collect();
            queue.work();
            for w in workers {
                let _ = w.join();
            }
        });
    }
    queue.into_runs()
}

/// Runs to load, taken one at a time by whichever thread is free (runs differ a lot in cost:
/// a finished run has metric CSVs to summarise, a pending one almost nothing).
struct RunQueue<'a> {
    dirs: &'a [RunDir],
    cache: &'a cache::DerivedCache,
    next: std::sync::atomic::AtomicUsize,
    done: std::sync::Mutex<Vec<Option<ModelRun>>>,
}

impl<'a> RunQueue<'a> {
    fn new(dirs: &'a [RunDir], cache: &'a cache::DerivedCache) -> Self {
        RunQueue {
            dirs,
            cache,
            next: std::sync::atomic::AtomicUsize::new(0),
            done: std::sync::Mutex::new(vec![None; dirs.len()]),
        }
    }

    fn load(&self, r: &RunDir) -> ModelRun {
        ModelRun::load_cached(&r.path, r.name.clone(), r.layout.clone(), self.cache)
    }

    /// Loads runs until none is left.
    fn work(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(r) = self.dirs.get(i) else { return };
            let m = self.load(r);
            if let Ok(mut done) = self.done.lock()
                && let Some(slot) = done.get_mut(i)
            {
                *slot = Some(m);
            }
        }
    }

    /// The runs in the order of `dirs`. A run whose thread panicked is loaded here (so a
    /// panic is reported honestly rather than hidden as a missing run).
    fn into_runs(self) -> Vec<ModelRun> {
        let slots = match self.done.into_inner() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        };
        slots
            .into_iter()
            .zip(self.dirs)
            .map(|(m, r)| {
                m.unwrap_or_else(|| {
                    ModelRun::load_cached(&r.path, r.name.clone(), r.layout.clone(), self.cache)
                })
            })
            .collect()
    }
}
