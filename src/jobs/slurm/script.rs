//! The batch script `slurm.sbatch`: `#SBATCH` lines, the setup, then `exec` of the worker.
//!
//! No path goes into an `#SBATCH` line (sbatch's own parser has no escape for quotes): the
//! job is submitted with `--chdir` set to its folder, so the log names are relative to it.
//! Paths in the shell part are single-quoted; a path with a newline is refused.

use super::config::Resources;
use crate::{Error, Result};
use std::path::Path;

/// The script's file name in the job folder.
pub const FILE: &str = "slurm.sbatch";

/// One word of the worker's command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Lit(String),
    /// The array task's line of the sources list (`"$src"`).
    Source,
}

/// What the script runs.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// Shown by squeue; made of letters, digits and `_ - .` by [`job_name`].
    pub job_name: String,
    /// Log file names inside the job folder (`%a`: the array task).
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub resources: &'a Resources,
    /// The job folder (the script `cd`s there).
    pub dir: &'a Path,
    /// For a job array: the sources list (one per line) and how many lines it has.
    pub array: Option<(&'a Path, usize)>,
    pub exec: Vec<Arg>,
}

/// `s` in single quotes for POSIX shells; a newline, carriage return or NUL is refused.
pub fn quote(s: &str) -> std::result::Result<String, String> {
    if s.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "{}: has a newline or NUL, which a batch script cannot carry",
            crate::sanitize::one_line(s)
        ));
    }
    Ok(format!("'{}'", s.replace('\'', r"'\''")))
}

/// A path as UTF-8 text in single quotes.
pub fn quote_path(p: &Path) -> Result<String> {
    let s = p.to_str().ok_or_else(|| {
        Error::usage(format!(
            "{}: not UTF-8, which a batch script cannot name",
            crate::util::escape_path(p)
        ))
    })?;
    quote(s).map_err(Error::usage)
}

/// `posedeck-<folder name>`, with every character outside `[A-Za-z0-9_.-]` as `_`.
pub fn job_name(dir: &Path) -> String {
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = base
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("posedeck-{safe}")
}

/// The script's text.
pub fn render(spec: &Spec) -> Result<String> {
    let r = spec.resources;
    let mut s = String::from("#!/bin/bash\n");
    s.push_str("# Written by posedeck; submitted from this folder with\n");
    s.push_str("#   sbatch --parsable --chdir=<this folder> slurm.sbatch\n");
    // A run folder holds one attempt: a lost node ends the job (NODE_FAIL, shown as such)
    // instead of SLURM starting the worker again over the same folder. `extra` may say
    // `--requeue`; the later line wins.
    s.push_str("#SBATCH --no-requeue\n");
    let mut opt = |k: &str, v: &str| s.push_str(&format!("#SBATCH --{k}={v}\n"));
    opt("job-name", &spec.job_name);
    opt("output", spec.stdout);
    opt("error", spec.stderr);
    if let Some((_, n)) = spec.array {
        opt("array", &format!("0-{}", n.saturating_sub(1)));
    }
    for (k, v) in [
        ("partition", &r.partition),
        ("account", &r.account),
        ("gres", &r.gres),
        ("time", &r.time),
        ("mem", &r.mem),
    ] {
        if let Some(v) = v {
            opt(k, v);
        }
    }
    if let Some(c) = r.cpus_per_task {
        opt("cpus-per-task", &c.to_string());
    }
    for e in &r.extra {
        s.push_str(&format!("#SBATCH {e}\n"));
    }
    s.push('\n');
    if let Some(setup) = &r.setup {
        s.push_str(setup);
        s.push('\n');
    }
    s.push_str(&format!("cd {} || exit 1\n", quote_path(spec.dir)?));
    if let Some((list, _)) = spec.array {
        let q = quote_path(list)?;
        s.push_str(&format!(
            "src=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {q})\n\
             if [ -z \"$src\" ]; then\n  \
             echo \"posedeck: no source for array task $SLURM_ARRAY_TASK_ID in \"{q} >&2\n  \
             exit 2\nfi\n"
        ));
    }
    let mut words = Vec::with_capacity(spec.exec.len());
    for a in &spec.exec {
        words.push(match a {
            Arg::Lit(w) => quote(w).map_err(Error::usage)?,
            Arg::Source => "\"$src\"".to_owned(),
        });
    }
    s.push_str(&format!("exec {}\n", words.join(" ")));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn quoting_survives_spaces_quotes_and_dollars() {
        assert_eq!(quote("a b").unwrap(), "'a b'");
        assert_eq!(quote("it's").unwrap(), r"'it'\''s'");
        assert_eq!(quote("$HOME \"x\" `y`").unwrap(), "'$HOME \"x\" `y`'");
        assert!(quote("a\nb").unwrap_err().contains("newline"));
        assert!(quote("a\0b").is_err());
    }

    #[test]
    fn job_names_are_safe() {
        assert_eq!(
            job_name(Path::new("/p/models/it's a run")),
            "posedeck-it_s_a_run"
        );
    }

    #[test]
    fn a_train_script() {
        let res = Resources {
            partition: Some("gpu".into()),
            time: Some("1:00:00".into()),
            cpus_per_task: Some(4),
            mem: Some("16G".into()),
            extra: vec!["--qos=high".into()],
            setup: Some("module load cuda".into()),
            ..Resources::default()
        };
        let dir = PathBuf::from("/data/my project/models/Bob's run");
        let spec = Spec {
            job_name: job_name(&dir),
            stdout: "train_stdout.log",
            stderr: "train_stderr.log",
            resources: &res,
            dir: &dir,
            array: None,
            exec: vec![
                Arg::Lit("/opt/pose deck/posedeck".into()),
                Arg::Lit("train".into()),
                Arg::Lit("--run-dir".into()),
                Arg::Lit(dir.display().to_string()),
            ],
        };
        let text = render(&spec).unwrap();
        insta::assert_snapshot!(text);
        let bad = PathBuf::from("/data/a\nb");
        let spec = Spec { dir: &bad, ..spec };
        assert!(render(&spec).unwrap_err().to_string().contains("newline"));
    }

    #[test]
    fn an_array_script_picks_its_line() {
        let res = Resources::default();
        let dir = PathBuf::from("/p/models/run/predict_jobs/1");
        let list = dir.join("sources.txt");
        let spec = Spec {
            job_name: job_name(&dir),
            stdout: "predict_stdout_%a.log",
            stderr: "predict_stderr_%a.log",
            resources: &res,
            dir: &dir,
            array: Some((&list, 3)),
            exec: vec![
                Arg::Lit("/bin/posedeck".into()),
                Arg::Lit("predict".into()),
                Arg::Lit("/p/models/run".into()),
                Arg::Source,
            ],
        };
        insta::assert_snapshot!(render(&spec).unwrap());
    }
}
