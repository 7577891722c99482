//! The "train a new model" form: pre-filled from the project's model config (through the
//! engine's own config reader), edited field by field, Enter submits a training job.

use crate::tui::app::{App, Overlay};
use crate::tui::state::job_list::{self, JobSpec, TrainSpec};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

pub const BACKBONES: [&str; 3] = ["resnet18", "resnet34", "resnet50"];
pub const DEVICES: [&str; 3] = ["auto", "cpu", "gpu"];
pub const TARGETS: [&str; 2] = ["local", "slurm"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Backbone,
    Height,
    Width,
    Epochs,
    Batch,
    Losses,
    Device,
    /// Where it runs: here (the project's scheduler) or SLURM.
    Target,
    Partition,
    Gres,
    Time,
    Cpus,
    Mem,
    Account,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::Name,
        Field::Backbone,
        Field::Height,
        Field::Width,
        Field::Epochs,
        Field::Batch,
        Field::Losses,
        Field::Device,
        Field::Target,
        Field::Partition,
        Field::Gres,
        Field::Time,
        Field::Cpus,
        Field::Mem,
        Field::Account,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Backbone => "backbone",
            Field::Height => "image height",
            Field::Width => "image width",
            Field::Epochs => "epochs",
            Field::Batch => "batch size",
            Field::Losses => "unsup. losses",
            Field::Device => "device",
            Field::Target => "run on",
            Field::Partition => "partition",
            Field::Gres => "gres",
            Field::Time => "time limit",
            Field::Cpus => "cpus per task",
            Field::Mem => "memory",
            Field::Account => "account",
        }
    }
    /// Chosen with left/right instead of typed.
    pub fn choices(self) -> Option<&'static [&'static str]> {
        match self {
            Field::Backbone => Some(&BACKBONES),
            Field::Device => Some(&DEVICES),
            Field::Target => Some(&TARGETS),
            _ => None,
        }
    }
    /// A SLURM resource, shown when the target is SLURM.
    pub fn is_slurm(self) -> bool {
        matches!(
            self,
            Field::Partition
                | Field::Gres
                | Field::Time
                | Field::Cpus
                | Field::Mem
                | Field::Account
        )
    }
    /// What the field takes, shown while it has the focus.
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Field::Losses => "temporal, pca_singleview, pca_multiview [:log_weight] or none",
            Field::Partition => "SLURM partition (empty: the cluster's default)",
            Field::Gres => "generic resources, e.g. gpu:1 or gpu:a100:2; none for no GPU",
            Field::Time => "minutes, HH:MM:SS or D-HH:MM:SS (empty: the partition's limit)",
            Field::Cpus => "CPUs per task (empty: SLURM's default)",
            Field::Mem => "memory per node, e.g. 16G (empty: SLURM's default)",
            Field::Account => "SLURM account (empty: your default)",
            _ => return None,
        })
    }
}

/// Whether SLURM can be the target, and its defaults (slurm.toml over config.toml's
/// `[slurm]`), or why not: one line.
pub fn slurm_defaults() -> Result<crate::jobs::slurm::Resources, String> {
    if !crate::jobs::slurm::client::on_path("sbatch") {
        return Err("SLURM: no sbatch on PATH".into());
    }
    crate::jobs::slurm::config::load_user().map_err(|e| format!("SLURM: {e}"))
}

/// The form's text of each SLURM resource.
fn slurm_values(r: &crate::jobs::slurm::Resources) -> [String; 6] {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        s(&r.partition),
        r.gres.clone().unwrap_or_else(|| "none".into()),
        s(&r.time),
        r.cpus_per_task.map(|c| c.to_string()).unwrap_or_default(),
        s(&r.mem),
        s(&r.account),
    ]
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainForm {
    pub project: PathBuf,
    pub config: PathBuf,
    /// One value per [`Field::ALL`] entry.
    pub values: Vec<String>,
    /// Index into [`TrainForm::fields`].
    pub focus: usize,
    /// Why Enter did not start the job.
    pub error: Option<String>,
    /// SLURM's defaults when SLURM can be the target, else why it cannot.
    pub slurm: Result<crate::jobs::slurm::Resources, String>,
}

impl TrainForm {
    pub fn value(&self, f: Field) -> &str {
        let i = Field::ALL.iter().position(|x| *x == f).unwrap_or(0);
        self.values.get(i).map(String::as_str).unwrap_or("")
    }
    /// The fields shown: the SLURM resources only when SLURM is the target.
    pub fn fields(&self) -> Vec<Field> {
        let slurm = self.is_slurm();
        Field::ALL
            .into_iter()
            .filter(|f| slurm || !f.is_slurm())
            .collect()
    }
    pub fn is_slurm(&self) -> bool {
        self.value(Field::Target) == "slurm"
    }
    pub fn field(&self) -> Field {
        let f = self.fields();
        f[self.focus.min(f.len() - 1)]
    }
    /// The choices of a field here: SLURM is offered only when it can be used.
    pub fn choices(&self, f: Field) -> Option<&'static [&'static str]> {
        match f {
            Field::Target if self.slurm.is_err() => Some(&TARGETS[..1]),
            _ => f.choices(),
        }
    }
    fn value_mut(&mut self) -> &mut String {
        let f = self.field();
        let i = Field::ALL.iter().position(|x| *x == f).unwrap_or(0);
        &mut self.values[i]
    }

    /// Sets SLURM's defaults (or why SLURM cannot be the target) and the resource fields
    /// from them; the target goes back to local when SLURM cannot be it.
    pub fn set_slurm(&mut self, slurm: Result<crate::jobs::slurm::Resources, String>) {
        let vals = slurm_values(slurm.as_ref().unwrap_or(&Default::default()));
        for (f, v) in Field::ALL.iter().filter(|f| f.is_slurm()).zip(vals) {
            if let Some(i) = Field::ALL.iter().position(|x| x == f) {
                self.values[i] = v;
            }
        }
        if slurm.is_err()
            && let Some(i) = Field::ALL.iter().position(|x| *x == Field::Target)
        {
            self.values[i] = "local".into();
        }
        self.slurm = slurm;
    }

    /// The SLURM resources: the defaults with the form's values over them, each checked.
    fn resources(&self) -> Result<crate::jobs::slurm::Resources, String> {
        use crate::jobs::slurm::config as c;
        let mut r = self.slurm.clone()?;
        let opt = |f: Field, check: fn(&str) -> Result<String, String>| {
            let v = self.value(f).trim();
            if v.is_empty() {
                return Ok(None);
            }
            check(v).map(Some).map_err(|m| format!("{} {m}", f.label()))
        };
        r.partition = opt(Field::Partition, c::check_name)?;
        r.account = opt(Field::Account, c::check_name)?;
        r.time = opt(Field::Time, c::check_time)?;
        r.mem = opt(Field::Mem, c::check_mem)?;
        r.gres = c::check_gres(self.value(Field::Gres).trim())
            .map_err(|m| format!("{} {m}", Field::Gres.label()))?;
        let cpus = self.value(Field::Cpus).trim();
        r.cpus_per_task = match cpus {
            "" => None,
            v => match v.parse::<u32>() {
                Ok(n) if (1..=4096).contains(&n) => Some(n),
                _ => {
                    return Err(format!(
                        "{} {v:?}: expected a whole number in 1..4096",
                        Field::Cpus.label()
                    ));
                }
            },
        };
        Ok(r)
    }

    /// Checks the values and turns them into a training job.
    pub fn to_spec(&self) -> Result<JobSpec, String> {
        let name = self.value(Field::Name).trim();
        if !name.is_empty() {
            let bad = name == "."
                || name == ".."
                || name.contains(['/', '\\'])
                || name.chars().any(char::is_control);
            if bad {
                return Err(format!(
                    "name {name:?}: one folder name under models/, without / or .."
                ));
            }
            if self.project.join("models").join(name).exists() {
                return Err(format!("models/{name} exists already: choose another name"));
            }
        }
        let num = |f: Field, lo: u64, hi: u64| -> Result<u64, String> {
            let v = self.value(f).trim();
            match v.parse::<u64>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                _ => Err(format!(
                    "{}: {v:?} is not a whole number in {lo}..{hi}",
                    f.label()
                )),
            }
        };
        let h = num(Field::Height, 1, 8192)?;
        let w = num(Field::Width, 1, 8192)?;
        let epochs = num(Field::Epochs, 1, 100_000)?;
        let batch = num(Field::Batch, 1, 4096)?;
        let backbone = self.value(Field::Backbone).to_owned();
        if !BACKBONES.contains(&backbone.as_str()) {
            return Err(format!(
                "backbone {backbone:?}: one of {}",
                BACKBONES.join(", ")
            ));
        }
        let losses =
            crate::formats::config::overrides::losses_overrides(self.value(Field::Losses))?;
        let slurm = match self.is_slurm() {
            true => Some(Box::new(self.resources()?)),
            false => None,
        };
        let o = |k: &str, v: String| (k.to_owned(), v);
        let spec = TrainSpec {
            project: self.project.clone(),
            config: Some(self.config.clone()),
            name: (!name.is_empty()).then(|| name.to_owned()),
            device: self.value(Field::Device).to_owned(),
            resume: None,
            overrides: vec![
                o("model.backbone", backbone),
                o("data.image_resize_dims.height", h.to_string()),
                o("data.image_resize_dims.width", w.to_string()),
                o("training.min_epochs", epochs.to_string()),
                o("training.max_epochs", epochs.to_string()),
                o("training.train_batch_size", batch.to_string()),
            ]
            .into_iter()
            .chain(losses)
            .collect(),
            slurm,
        };
        check(&spec)?;
        Ok(JobSpec::Train(spec))
    }
}

/// The engine's own config check on the config with the form's values written over it.
#[cfg(feature = "engine")]
fn check(spec: &TrainSpec) -> Result<(), String> {
    let Some(cfg) = &spec.config else {
        return Ok(());
    };
    // The popup names the config by its file name (the full path is in its title line).
    let short = |e: crate::Error| {
        let name = cfg.file_name().map(|n| n.to_string_lossy().into_owned());
        let full = cfg.display().to_string();
        match name {
            Some(n) => e.to_string().replace(&full, &n),
            None => e.to_string(),
        }
    };
    crate::engine::config::LoadedConfig::load_with(
        cfg,
        &spec.project,
        spec.name.as_deref(),
        &spec.overrides,
    )
    .map(|_| ())
    .map_err(short)
}

#[cfg(not(feature = "engine"))]
fn check(_: &TrainSpec) -> Result<(), String> {
    Ok(())
}

/// Opens the form on the project's model config.
#[cfg(feature = "engine")]
pub fn open(app: &mut App) {
    use crate::engine::config::{LoadedConfig, find_project_config};
    let root = app.data.root.clone();
    if root.as_os_str().is_empty() || !root.is_dir() {
        app.error("training needs a Lightning Pose project folder");
        return;
    }
    let loaded = find_project_config(&root)
        .and_then(|c| LoadedConfig::load(&c, &root, None).map(|l| (c, l)));
    let slurm = slurm_defaults();
    match loaded {
        Ok((config, l)) => {
            let c = &l.cfg;
            app.overlay = Overlay::TrainForm(TrainForm {
                project: root,
                config,
                values: vec![
                    String::new(),
                    c.backbone.clone(),
                    c.height.to_string(),
                    c.width.to_string(),
                    c.max_epochs.to_string(),
                    c.train_batch_size.to_string(),
                    losses_field(&c.unsup),
                    "auto".into(),
                    "local".into(),
                ]
                .into_iter()
                .chain(slurm_values(slurm.as_ref().unwrap_or(&Default::default())))
                .collect(),
                focus: 0,
                error: None,
                slurm,
            })
        }
        Err(e) => app.error(format!("cannot train: {e}")),
    }
}

/// The config's unsupervised losses as the form shows them: `temporal:5, pca_multiview:5`
/// (name and log_weight), or `none`.
#[cfg(feature = "engine")]
fn losses_field(u: &crate::engine::unsup::UnsupConfig) -> String {
    if u.losses.is_empty() {
        return "none".into();
    }
    u.losses
        .iter()
        .map(|l| format!("{}:{}", l.kind.name(), l.log_weight))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(not(feature = "engine"))]
pub fn open(app: &mut App) {
    app.error("this build has no training engine (built without the `engine` feature)");
}

/// Keys while the form is open; always consumes the key.
pub fn key(app: &mut App, k: &KeyEvent) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let Overlay::TrainForm(form) = &mut app.overlay else {
        return false;
    };
    let n = form.fields().len();
    let cycle = |form: &mut TrainForm, d: isize| {
        if let Some(ch) = form.choices(form.field()) {
            let cur = ch.iter().position(|c| *c == form.value(form.field()));
            let i = match cur {
                Some(i) => (i as isize + d).rem_euclid(ch.len() as isize) as usize,
                None => 0,
            };
            *form.value_mut() = ch[i].to_owned();
            form.error = None;
        }
    };
    match k.code {
        KeyCode::Esc => app.overlay = Overlay::None,
        KeyCode::Char('c') if ctrl => app.overlay = Overlay::None,
        KeyCode::Enter => match form.to_spec() {
            Ok(spec) => {
                app.overlay = Overlay::None;
                job_list::submit(app, spec);
            }
            Err(e) => form.error = Some(e),
        },
        KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1) % n,
        KeyCode::Up | KeyCode::BackTab => form.focus = (form.focus + n - 1) % n,
        KeyCode::Left => cycle(form, -1),
        KeyCode::Right | KeyCode::Char(' ') if form.field().choices().is_some() => cycle(form, 1),
        KeyCode::Backspace if form.field().choices().is_none() => {
            form.value_mut().pop();
            form.error = None;
        }
        KeyCode::Char(c) if !ctrl && form.field().choices().is_none() => {
            if form.value_mut().chars().count() < 96 {
                form.value_mut().push(c);
            }
            form.error = None;
        }
        _ => {}
    }
    true
}
