//! Reading runs' scalars from disk (`posedeck plot`): a run folder's events files as the
//! workstation finds them (`tb_logs/<model>/version_N/`, oldest version first), a single
//! events file, or a folder of runs (every events file below it, grouped by run, as
//! `tensorboard --logdir` does).

use super::Point;
use crate::formats::tfevents;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One run's scalars: every tag's points in file order (several files merged in order).
#[derive(Debug, Clone, Default)]
pub struct RunCurves {
    /// Display name: the run folder's name (more of its path when two runs share one).
    pub name: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub tags: BTreeMap<String, Vec<Point>>,
}

/// Damage in one events file: the records before it were read.
#[derive(Debug)]
pub struct Damage {
    pub error: Error,
    /// Only a last record cut short by the end of the file (a file still being written).
    pub truncated: bool,
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub runs: Vec<RunCurves>,
    pub damage: Vec<Damage>,
}

/// The run folder an events file belongs to: the folder holding its `tb_logs/`, else the
/// folder the file is in.
pub fn run_dir_of(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new(""));
    parent
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "tb_logs"))
        .and_then(Path::parent)
        .unwrap_or(parent)
        .to_path_buf()
}

/// The events files of `path` grouped by run (run folder, files in reading order).
/// A run folder gives its `tb_logs/<model>/version_N/` files; a file gives itself; any other
/// folder every events file below it, grouped by [`run_dir_of`].
pub fn runs_at(path: &Path) -> Result<Vec<(PathBuf, Vec<PathBuf>)>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![(run_dir_of(path), vec![path.to_path_buf()])]);
    }
    let tb = path.join("tb_logs");
    if tb.is_dir() {
        let mut errors = Vec::new();
        let versions = crate::project::outputs::version_dirs(path, &mut errors);
        if let Some(e) = errors.into_iter().next() {
            return Err(Error::usage(e));
        }
        let mut files = crate::project::outputs::events_files(&versions);
        if files.is_empty() {
            files = tfevents::find_events_files(&tb)?;
        }
        if files.is_empty() {
            return Err(Error::invalid(
                &tb,
                "no TensorBoard events files (events.out.tfevents.*) below this folder",
            ));
        }
        return Ok(vec![(path.to_path_buf(), files)]);
    }
    let files = tfevents::find_events_files(path)?;
    if files.is_empty() {
        return Err(Error::invalid(
            path,
            "no TensorBoard events files (events.out.tfevents.*) below this folder",
        ));
    }
    let mut runs: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let dir = run_dir_of(&f);
        match runs.iter_mut().find(|r| r.0 == dir) {
            Some(r) => r.1.push(f),
            None => runs.push((dir, vec![f])),
        }
    }
    Ok(runs)
}

/// Reads the runs at every path (in the order given; a run named twice is read once).
/// A file that cannot be opened is an error; damage inside a file is in `damage`, with what
/// came before it kept.
pub fn load(paths: &[PathBuf]) -> Result<Loaded> {
    let mut groups: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        for (dir, files) in runs_at(p)? {
            match groups.iter_mut().find(|g| same(&g.0, &dir)) {
                Some(g) => {
                    for f in files {
                        if !g.1.iter().any(|x| same(x, &f)) {
                            g.1.push(f);
                        }
                    }
                }
                None => groups.push((dir, files)),
            }
        }
    }
    let names = unique_names(&groups.iter().map(|g| g.0.clone()).collect::<Vec<_>>());
    let mut out = Loaded::default();
    for ((dir, files), name) in groups.into_iter().zip(names) {
        let mut run = RunCurves {
            name,
            dir,
            files: files.clone(),
            tags: BTreeMap::new(),
        };
        for f in &files {
            let ev = tfevents::read_events_file(f)?;
            for s in &ev.scalars {
                let tag = crate::sanitize::clean(&s.tag).into_owned();
                let points = run.tags.entry(tag).or_default();
                points.extend((0..s.len()).map(|i| Point {
                    step: s.steps[i],
                    wall: s.wall_times[i],
                    value: s.values[i],
                }));
            }
            if let Some(error) = ev.error {
                out.damage.push(Damage {
                    error,
                    truncated: ev.truncated,
                });
            }
        }
        out.runs.push(run);
    }
    Ok(out)
}

fn same(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// Each run's name: its folder's name, or as many trailing parts of its path as it takes to
/// tell runs of the same name apart (`2024-05-01/12-00-00`).
pub fn unique_names(dirs: &[PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<String>> = dirs
        .iter()
        .map(|d| {
            let abs = std::path::absolute(d).unwrap_or_else(|_| d.clone());
            abs.components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let longest = parts.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let name = |p: &[String], k: usize| {
        let s = p[p.len().saturating_sub(k)..].join("/");
        if s.is_empty() { "/".to_owned() } else { s }
    };
    let mut k = 1;
    loop {
        let names: Vec<String> = parts.iter().map(|p| name(p, k)).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() == names.len() || k >= longest {
            return names
                .into_iter()
                .map(|n| crate::sanitize::clean(&n).into_owned())
                .collect();
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_of_an_events_file() {
        assert_eq!(
            run_dir_of(Path::new(
                "/p/models/r1/tb_logs/m/version_0/events.out.tfevents.1"
            )),
            Path::new("/p/models/r1")
        );
        assert_eq!(
            run_dir_of(Path::new("/logs/a/events.out.tfevents.1")),
            Path::new("/logs/a")
        );
    }

    #[test]
    fn names_grow_until_unique() {
        let d = |s: &str| PathBuf::from(s);
        assert_eq!(
            unique_names(&[d("/m/2024-05-01/12-00-00"), d("/m/2024-05-02/12-00-00")]),
            ["2024-05-01/12-00-00", "2024-05-02/12-00-00"]
        );
        assert_eq!(unique_names(&[d("/m/a"), d("/m/b")]), ["a", "b"]);
    }
}
