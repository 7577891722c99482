//! The resources of a SLURM job: `slurm.toml` next to the user's config file
//! (`$XDG_CONFIG_HOME/posedeck/slurm.toml`, else `~/.config/posedeck/slurm.toml`), over the
//! `[slurm]` table of `config.toml`, under the command line's `--partition`, `--time`, ...
//!
//! ```toml
//! partition = "gpu"
//! gres = "gpu:1"              # the default; "" asks for no generic resources
//! time = "1-12:00:00"         # minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS
//! cpus_per_task = 8
//! mem = "32G"                 # a number with an optional K, M, G or T
//! account = "lab-pose"
//! extra = ["--qos=high", "--constraint=a100"]   # more #SBATCH lines
//! setup = "module load cuda/12.2"               # shell lines run before the worker
//! ```
//!
//! An unknown key or a bad value is one error naming the file and the line.

use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// What goes into the script's `#SBATCH` lines and its setup.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Resources {
    pub partition: Option<String>,
    /// `--gres`; `None`: no `--gres` line.
    pub gres: Option<String>,
    /// `--time`, as written (checked against SLURM's formats).
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    pub mem: Option<String>,
    pub account: Option<String>,
    /// More `#SBATCH` options, each one line (`--qos=high`).
    pub extra: Vec<String>,
    /// Shell lines run before the worker (`module load ...`).
    pub setup: Option<String>,
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            partition: None,
            gres: Some("gpu:1".into()),
            time: None,
            cpus_per_task: None,
            mem: None,
            account: None,
            extra: Vec::new(),
            setup: None,
        }
    }
}

/// Per-job values from the command line; `None` keeps the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub partition: Option<String>,
    pub gres: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    pub mem: Option<String>,
    pub account: Option<String>,
    pub extra: Vec<String>,
    pub setup: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    partition: Option<Spanned<String>>,
    gres: Option<Spanned<String>>,
    time: Option<Spanned<String>>,
    cpus_per_task: Option<Spanned<i64>>,
    mem: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
    extra: Option<Spanned<Vec<String>>>,
    setup: Option<Spanned<String>>,
}

/// Where `slurm.toml` is: beside the user's `config.toml`.
pub fn user_path() -> Option<PathBuf> {
    crate::settings::user_path().map(|p| p.with_file_name("slurm.toml"))
}

/// The defaults in effect: built-in, then `config.toml`'s `[slurm]`, then `slurm.toml`.
pub fn load_user() -> Result<Resources> {
    let mut base = Resources::default();
    let s = crate::settings::load_user()?.slurm;
    base.partition = s.partition;
    base.account = s.account;
    base.time = s.time;
    if let Some(g) = s.gpus {
        base.gres = (g > 0).then(|| format!("gpu:{g}"));
    }
    match user_path() {
        Some(p) => load(&p, base),
        None => Ok(base),
    }
}

/// Reads `path` over `base`; a missing file gives `base`.
pub fn load(path: &Path, base: Resources) -> Result<Resources> {
    let Some(text) = crate::settings::read_text(path)? else {
        return Ok(base);
    };
    parse(&text, path, base)
}

/// Parses and checks the text of `slurm.toml` (`path` names it in errors) over `base`.
pub fn parse(text: &str, path: &Path, base: Resources) -> Result<Resources> {
    let raw: Raw = toml::from_str(text).map_err(|e| crate::settings::toml_error(text, path, e))?;
    let at = |span: std::ops::Range<usize>, msg: String| {
        Error::at_line(path, crate::settings::line_of(text, span.start), msg)
    };
    let mut r = base;
    let strings = [
        ("partition", &raw.partition, check_name as fn(&str) -> _),
        ("account", &raw.account, check_name),
        ("time", &raw.time, check_time),
        ("mem", &raw.mem, check_mem),
    ];
    for (key, v, check) in strings {
        if let Some(v) = v {
            let x = check(v.get_ref().trim()).map_err(|m| at(v.span(), format!("{key} {m}")))?;
            *field(&mut r, key) = Some(x);
        }
    }
    if let Some(g) = &raw.gres {
        r.gres = check_gres(g.get_ref().trim()).map_err(|m| at(g.span(), format!("gres {m}")))?;
    }
    if let Some(c) = &raw.cpus_per_task {
        let n = *c.get_ref();
        r.cpus_per_task =
            Some(check_cpus(n).map_err(|m| at(c.span(), format!("cpus_per_task {m}")))?);
    }
    if let Some(e) = &raw.extra {
        r.extra = e
            .get_ref()
            .iter()
            .map(|x| check_extra(x))
            .collect::<std::result::Result<_, _>>()
            .map_err(|m| at(e.span(), format!("extra {m}")))?;
    }
    if let Some(s) = &raw.setup {
        r.setup = check_setup(s.get_ref()).map_err(|m| at(s.span(), format!("setup {m}")))?;
    }
    Ok(r)
}

fn field<'a>(r: &'a mut Resources, key: &str) -> &'a mut Option<String> {
    match key {
        "partition" => &mut r.partition,
        "account" => &mut r.account,
        "time" => &mut r.time,
        _ => &mut r.mem,
    }
}

impl Resources {
    /// Applies the command line's values, checked as the file's are (errors name the flag).
    pub fn apply(&mut self, o: &Overrides) -> Result<()> {
        let flag = |f: &str, m: String| Error::usage(format!("--{f} {m}"));
        for (f, v, check) in [
            ("partition", &o.partition, check_name as fn(&str) -> _),
            ("account", &o.account, check_name),
            ("time", &o.time, check_time),
            ("mem", &o.mem, check_mem),
        ] {
            if let Some(v) = v {
                *field(self, f) = Some(check(v.trim()).map_err(|m| flag(f, m))?);
            }
        }
        if let Some(g) = &o.gres {
            self.gres = check_gres(g.trim()).map_err(|m| flag("gres", m))?;
        }
        if let Some(c) = o.cpus_per_task {
            self.cpus_per_task = Some(check_cpus(c as i64).map_err(|m| flag("cpus-per-task", m))?);
        }
        for e in &o.extra {
            self.extra
                .push(check_extra(e).map_err(|m| flag("sbatch", m))?);
        }
        if let Some(s) = &o.setup {
            self.setup = check_setup(s).map_err(|m| flag("setup", m))?;
        }
        Ok(())
    }
}

/// A partition or account name.
pub fn check_name(x: &str) -> std::result::Result<String, String> {
    let ok = !x.is_empty()
        && x.len() <= 128
        && x.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.,".contains(&b));
    ok.then(|| x.to_owned())
        .ok_or_else(|| format!("{x:?}: expected a SLURM name (letters, digits, _ - . ,)"))
}

/// A time limit in one of SLURM's formats.
pub fn check_time(x: &str) -> std::result::Result<String, String> {
    crate::settings::slurm_minutes(x)
        .map(|_| x.to_owned())
        .ok_or_else(|| {
            format!("{x:?}: expected minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS")
        })
}

/// Memory per node: digits with an optional K, M, G or T.
pub fn check_mem(x: &str) -> std::result::Result<String, String> {
    let digits = x.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    let ok = !digits.is_empty()
        && digits.len() <= 12
        && x.len() <= digits.len() + 1
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| x.to_owned())
        .ok_or_else(|| format!("{x:?}: expected a size such as 16G, 4000M or 8000"))
}

/// `name[:type][:count]`, comma-separated; empty or `none`: no generic resources.
pub fn check_gres(x: &str) -> std::result::Result<Option<String>, String> {
    if x.is_empty() || x == "none" {
        return Ok(None);
    }
    let ok = x.len() <= 256
        && x.split(',').all(|g| {
            !g.is_empty()
                && g.split(':').all(|p| !p.is_empty())
                && g.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        });
    ok.then(|| Some(x.to_owned()))
        .ok_or_else(|| format!("{x:?}: expected generic resources such as gpu:1 or gpu:a100:2"))
}

fn check_cpus(n: i64) -> std::result::Result<u32, String> {
    (1..=4096)
        .contains(&n)
        .then_some(n as u32)
        .ok_or_else(|| format!("{n}: expected 1 to 4096"))
}

/// One more `#SBATCH` option: starts with `-`, one line.
pub fn check_extra(x: &str) -> std::result::Result<String, String> {
    let x = x.trim();
    if !x.starts_with('-') || x.chars().any(char::is_control) {
        return Err(format!(
            "{x:?}: expected one sbatch option on one line, such as --qos=high"
        ));
    }
    Ok(x.to_owned())
}

/// Shell lines before the worker; no NUL or other control characters but newlines and tabs.
pub fn check_setup(x: &str) -> std::result::Result<Option<String>, String> {
    if x.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("{x:?}: has control characters"));
    }
    let t = x.trim();
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/home/u/.config/posedeck/slurm.toml")
    }

    #[test]
    fn a_full_file_parses_over_the_defaults() {
        let text = "partition = \"gpu\"\ngres = \"gpu:a100:2\"\ntime = \"1-12:00:00\"\n\
                    cpus_per_task = 8\nmem = \"32G\"\naccount = \"lab-pose\"\n\
                    extra = [\"--qos=high\"]\nsetup = \"module load cuda\"\n";
        let r = parse(text, p(), Resources::default()).unwrap();
        assert_eq!(r.partition.as_deref(), Some("gpu"));
        assert_eq!(r.gres.as_deref(), Some("gpu:a100:2"));
        assert_eq!(r.cpus_per_task, Some(8));
        assert_eq!(r.extra, ["--qos=high"]);
        assert_eq!(r.setup.as_deref(), Some("module load cuda"));
        let none = parse("gres = \"\"\n", p(), Resources::default()).unwrap();
        assert_eq!(none.gres, None);
        assert_eq!(
            parse("", p(), Resources::default()).unwrap(),
            Resources::default()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_file_and_line() {
        let cases = [
            ("partition = \"gpu\"\nqueue = \"x\"\n", 2, "unknown key"),
            ("\n\ntime = \"5x\"\n", 3, "time \"5x\""),
            ("cpus_per_task = 0\n", 1, "cpus_per_task 0"),
            ("mem = \"lots\"\n", 1, "mem \"lots\""),
            ("gres = \"gpu::1\"\n", 1, "gres"),
            ("extra = [\"qos=high\"]\n", 1, "extra"),
            ("partition = \"a b\"\n", 1, "partition"),
            ("cpus_per_task = \"8\"\n", 1, "integer"),
        ];
        for (text, line, want) in cases {
            let e = parse(text, p(), Resources::default())
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!("{}:{line}: ", p().display())) && e.contains(want),
                "{text:?}: {e}"
            );
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn overrides_are_checked_and_win() {
        let mut r = Resources::default();
        r.apply(&Overrides {
            time: Some("0:30".into()),
            gres: Some("none".into()),
            extra: vec!["--hold".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.time.as_deref(), Some("0:30"));
        assert_eq!(r.gres, None);
        assert_eq!(r.extra, ["--hold"]);
        let e = r
            .apply(&Overrides {
                time: Some("soon".into()),
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--time \"soon\""), "{e}");
    }
}
