//! The "train a new model" form: pre-filled from the project's model config (through the
//! engine's own config reader), edited field by field, Enter submits a training job.

use crate::tui::app::{App, Overlay};
use crate::tui::state::job_list::{self, JobSpec, TrainSpec};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

pub const BACKBONES: [&str; 3] = ["resnet18", "resnet34", "resnet50"];
pub const DEVICES: [&str; 3] = ["auto", "cpu", "gpu"];

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
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Name,
        Field::Backbone,
        Field::Height,
        Field::Width,
        Field::Epochs,
        Field::Batch,
        Field::Losses,
        Field::Device,
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
        }
    }
    /// Chosen with left/right instead of typed.
    pub fn choices(self) -> Option<&'static [&'static str]> {
        match self {
            Field::Backbone => Some(&BACKBONES),
            Field::Device => Some(&DEVICES),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainForm {
    pub project: PathBuf,
    pub config: PathBuf,
    /// One value per [`Field::ALL`] entry.
    pub values: Vec<String>,
    pub focus: usize,
    /// Why Enter did not start the job.
    pub error: Option<String>,
}

impl TrainForm {
    pub fn value(&self, f: Field) -> &str {
        let i = Field::ALL.iter().position(|x| *x == f).unwrap_or(0);
        self.values.get(i).map(String::as_str).unwrap_or("")
    }
    pub fn field(&self) -> Field {
        Field::ALL[self.focus.min(Field::ALL.len() - 1)]
    }
    fn value_mut(&mut self) -> &mut String {
        let i = self.focus.min(self.values.len().saturating_sub(1));
        &mut self.values[i]
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
                ],
                focus: 0,
                error: None,
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
    let n = Field::ALL.len();
    let cycle = |form: &mut TrainForm, d: isize| {
        if let Some(ch) = form.field().choices() {
            let cur = ch.iter().position(|c| *c == form.value(form.field()));
            let i = match cur {
                Some(i) => (i as isize + d).rem_euclid(ch.len() as isize) as usize,
                None => 0,
            };
            *form.value_mut() = ch[i].to_owned();
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
