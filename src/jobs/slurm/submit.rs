//! Submission: the script written into the job folder, `sbatch --parsable`, and the job id
//! recorded atomically in `slurm_job.json`.

use super::client;
use super::config::Resources;
use super::script::{self, Arg, Spec};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The record of a submitted job, in its folder.
pub const RECORD: &str = "slurm_job.json";

/// The sources list of a predict array, one per line (task N reads line N+1).
pub const SOURCES: &str = "sources.txt";

/// What `slurm_job.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: u64,
    /// The cluster sbatch named (`jobid;cluster`), if any.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Tasks of a job array (`None`: no array).
    #[serde(default)]
    pub array_size: Option<u32>,
    /// `train` or `predict`.
    pub kind: String,
    /// Seconds since the epoch.
    pub submitted_unix: u64,
    /// The same, as UTC text.
    pub submitted: String,
    /// The script's file name in the folder.
    pub script: String,
}

/// `jobid[;cluster]` as printed by `sbatch --parsable` (the last such line of its output).
pub fn parse_parsable(out: &str) -> Option<(u64, Option<String>)> {
    out.lines().rev().find_map(|l| {
        let l = l.trim();
        let (id, cluster) = match l.split_once(';') {
            Some((i, c)) => (i, Some(c.trim().to_owned()).filter(|c| !c.is_empty())),
            None => (l, None),
        };
        id.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| (n, cluster))
    })
}

/// Whether SLURM runs the job of `dir`: its script is written (right after the folder is
/// prepared, before sbatch) or its job id recorded. The local queue leaves such folders alone.
pub fn is_slurm_dir(dir: &Path) -> bool {
    dir.join(script::FILE).exists() || dir.join(RECORD).exists()
}

/// Reads `DIR/slurm_job.json`; `None` when the folder has none.
pub fn read_record(dir: &Path) -> Result<Option<JobRecord>> {
    let p = dir.join(RECORD);
    match crate::util::read_limited(&p, 1 << 20) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::at_line(&p, e.line() as u64, e.to_string())),
        Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `spec`'s script into `dir`, submits it and records the job id.
fn submit(dir: &Path, spec: &Spec, kind: &str) -> Result<JobRecord> {
    if let Some(r) = read_record(dir)? {
        return Err(Error::usage(format!(
            "{}: already submitted as SLURM job {}",
            crate::util::escape_path(dir),
            r.job_id
        )));
    }
    let text = script::render(spec)?;
    let path = dir.join(script::FILE);
    crate::util::write_atomic(&path, text.as_bytes())?;
    let dir_s = dir
        .to_str()
        .ok_or_else(|| Error::usage(format!("{}: not UTF-8", crate::util::escape_path(dir))))?;
    let chdir = format!("--chdir={dir_s}");
    let out = client::run_ok("sbatch", &["--parsable", &chdir, script::FILE], Some(dir))?;
    let (job_id, cluster) = parse_parsable(&out.stdout).ok_or_else(|| {
        Error::usage(format!(
            "sbatch --parsable {}: no job id in its output ({})",
            script::FILE,
            out.first_line()
        ))
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let rec = JobRecord {
        job_id,
        cluster,
        array_size: spec.array.map(|(_, n)| n as u32),
        kind: kind.into(),
        submitted_unix: now,
        submitted: utc(now),
        script: script::FILE.into(),
    };
    let json = serde_json::to_vec_pretty(&rec).map_err(|e| Error::usage(e.to_string()))?;
    crate::util::write_atomic(&dir.join(RECORD), &json)?;
    Ok(rec)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(secs: u64) -> String {
    let (y, m, d) = crate::util::civil((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// After a failed submission: a folder made for it goes (nothing of the user's is in it); a
/// re-queued run (`--resume`) is marked canceled before it started, so no local scheduler
/// takes it and it can be resumed again.
pub fn abandon(dir: &Path, resumed: bool) {
    if !resumed {
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    if let Ok(mut j) = crate::jobs::job_file::JobFile::load(dir) {
        j.canceled = Some(crate::jobs::events::now());
        let _ = j.save(dir);
    }
    let _ = std::fs::remove_file(dir.join(script::FILE));
}

/// The absolute path of this posedeck binary (what the compute node runs).
pub fn this_binary() -> Result<PathBuf> {
    std::env::current_exe()
        .map_err(|e| Error::usage(format!("the path of this posedeck binary: {e}")))
}

fn lit(p: &Path) -> Result<Arg> {
    p.to_str()
        .map(|s| Arg::Lit(s.to_owned()))
        .ok_or_else(|| Error::usage(format!("{}: not UTF-8", crate::util::escape_path(p))))
}

/// Submits the prepared (PENDING) run folder `run` as a training job:
/// `exec posedeck train --run-dir RUN`.
pub fn submit_train(
    run: &Path,
    res: &Resources,
    exe: &Path,
    extra_args: &[String],
) -> Result<JobRecord> {
    let run = std::path::absolute(run).map_err(|e| Error::io(run, e))?;
    let spec = Spec {
        job_name: script::job_name(&run),
        stdout: "train_stdout.log",
        stderr: "train_stderr.log",
        resources: res,
        dir: &run,
        array: None,
        exec: [
            lit(exe)?,
            Arg::Lit("train".into()),
            Arg::Lit("--run-dir".into()),
            lit(&run)?,
        ]
        .into_iter()
        .chain(extra_args.iter().map(|a| Arg::Lit(a.clone())))
        .collect(),
    };
    submit(&run, &spec, "train")
}

/// Submits a job array over `sources` (one task each) that predicts with the model folder
/// `model` into `out`; the job's files go into the existing folder `job_dir`.
pub fn submit_predict(
    job_dir: &Path,
    model: &Path,
    sources: &[PathBuf],
    out: &Path,
    extra_args: &[String],
    res: &Resources,
    exe: &Path,
) -> Result<JobRecord> {
    if sources.is_empty() {
        return Err(Error::usage(
            "predict --slurm: no videos or frame folders given",
        ));
    }
    let abs = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
    let mut list = String::new();
    for s in sources {
        let a = abs(s)?;
        let t = a
            .to_str()
            .ok_or_else(|| Error::usage(format!("{}: not UTF-8", crate::util::escape_path(s))))?;
        if t.contains(['\n', '\r', '\0']) {
            return Err(Error::usage(format!(
                "{}: has a newline, which a sources list cannot carry",
                crate::util::escape_path(s)
            )));
        }
        list.push_str(t);
        list.push('\n');
    }
    let job_dir = abs(job_dir)?;
    let list_path = job_dir.join(SOURCES);
    crate::util::write_atomic(&list_path, list.as_bytes())?;
    let mut exec = vec![
        lit(exe)?,
        Arg::Lit("predict".into()),
        lit(&abs(model)?)?,
        Arg::Source,
    ];
    exec.push(Arg::Lit("--out".into()));
    exec.push(lit(&abs(out)?)?);
    exec.extend(extra_args.iter().map(|a| Arg::Lit(a.clone())));
    let spec = Spec {
        job_name: script::job_name(model).replacen("posedeck-", "posedeck-predict-", 1),
        stdout: "predict_stdout_%a.log",
        stderr: "predict_stderr_%a.log",
        resources: res,
        dir: &job_dir,
        array: Some((&list_path, sources.len())),
        exec,
    };
    submit(&job_dir, &spec, "predict")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsable_output() {
        assert_eq!(parse_parsable("42\n"), Some((42, None)));
        assert_eq!(
            parse_parsable("42;gpu-cluster\n"),
            Some((42, Some("gpu-cluster".into())))
        );
        assert_eq!(parse_parsable("sbatch: warning: x\n17\n"), Some((17, None)));
        assert_eq!(parse_parsable("Submitted batch job\n"), None);
        assert_eq!(parse_parsable(""), None);
    }

    #[test]
    fn utc_text() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1796301640), "2026-12-03T12:40:40Z");
    }
}
