//! The scalars the Curves view draws: per run, per tag, the points read so far. Filled by the
//! scalars worker from the events files (appended bytes only, via the tfevents tailer).

use crate::tui::chart::Point;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Points per shared chunk of a [`Series`].
const CHUNK: usize = 4096;

/// One run's points of one tag, in arrival order, in shared chunks. The plot worker builds
/// from a snapshot (a clone: the chunks' `Arc`s) while the UI thread goes on appending; an
/// append copies the last chunk first when a snapshot still holds it (at most [`CHUNK`]
/// points, never the whole series).
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Full chunks, never changed again.
    full: Vec<Arc<Vec<Point>>>,
    /// The growing last chunk.
    tail: Arc<Vec<Point>>,
    len: usize,
}

impl Series {
    pub fn push(&mut self, p: Point) {
        if self.tail.len() >= CHUNK {
            let next = Arc::new(Vec::with_capacity(CHUNK));
            self.full.push(std::mem::replace(&mut self.tail, next));
        }
        Arc::make_mut(&mut self.tail).push(p);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The points in order, chunk by chunk.
    pub fn chunks(&self) -> impl Iterator<Item = &[Point]> {
        self.full
            .iter()
            .map(|c| c.as_slice())
            .chain(std::iter::once(self.tail.as_slice()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Point> {
        self.chunks().flatten()
    }

    pub fn first(&self) -> Option<&Point> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&Point> {
        self.tail.last()
    }

    /// The points as one slice (borrowed while they fit in one chunk).
    pub fn contiguous(&self) -> std::borrow::Cow<'_, [Point]> {
        if self.full.is_empty() {
            std::borrow::Cow::Borrowed(self.tail.as_slice())
        } else {
            std::borrow::Cow::Owned(self.to_vec())
        }
    }

    pub fn to_vec(&self) -> Vec<Point> {
        let mut v = Vec::with_capacity(self.len);
        for c in self.chunks() {
            v.extend_from_slice(c);
        }
        v
    }
}

impl FromIterator<Point> for Series {
    fn from_iter<I: IntoIterator<Item = Point>>(it: I) -> Series {
        let mut s = Series::default();
        for p in it {
            s.push(p);
        }
        s
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunScalars {
    /// Display name (the run's folder name, relative to the models folder).
    pub name: String,
    pub dir: PathBuf,
    pub tags: BTreeMap<String, Series>,
    /// An unreadable or damaged events file: shown where the curve would be.
    pub errors: Vec<String>,
}

/// New points for one run from one events file.
#[derive(Debug, Clone, Default)]
pub struct ScalarUpdate {
    pub run: String,
    pub dir: PathBuf,
    pub file: PathBuf,
    pub points: Vec<(String, Point)>,
    /// `Some` replaces this file's previous error (empty string clears it).
    pub error: Option<String>,
    /// The file was replaced or shrank: drop what the run had before these points (the
    /// worker rereads the run's other files into the same update).
    pub reset: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ScalarStore {
    pub runs: BTreeMap<String, RunScalars>,
    /// Bumped by every change (plots built from older generations are stale).
    pub generation: u64,
    /// Per tag, the generation of its last change (a plot of one tag outlives scalars of
    /// the others arriving).
    tag_changed: std::collections::HashMap<String, u64>,
    /// The generation of the last change that touched every tag (a reset, a run removed).
    all_changed: u64,
}

impl ScalarStore {
    /// Appends an update's points in order (several event files of one run are merged by
    /// arrival; each series is kept in arrival order so step resets stay visible).
    pub fn apply(&mut self, u: ScalarUpdate) {
        self.generation += 1;
        let g = self.generation;
        if u.reset {
            self.all_changed = g;
        }
        for (tag, _) in &u.points {
            if let Some(t) = self.tag_changed.get_mut(tag) {
                *t = g;
            } else {
                self.tag_changed.insert(tag.clone(), g);
            }
        }
        let run = self
            .runs
            .entry(u.run.clone())
            .or_insert_with(|| RunScalars {
                name: u.run.clone(),
                dir: u.dir.clone(),
                ..Default::default()
            });
        if u.reset {
            run.tags.clear();
            run.errors.clear();
        }
        for (tag, p) in u.points {
            run.tags.entry(tag).or_default().push(p);
        }
        if let Some(e) = u.error {
            let file = u.file.display().to_string();
            run.errors.retain(|x| !x.starts_with(&file));
            if !e.is_empty() {
                run.errors.push(crate::sanitize::clean(&e).into_owned());
            }
        }
    }

    pub fn remove_run(&mut self, name: &str) {
        self.generation += 1;
        self.all_changed = self.generation;
        self.runs.remove(name);
    }

    /// The generation of the last change to `tag`'s points (in any run).
    pub fn tag_generation(&self, tag: &str) -> u64 {
        self.tag_changed
            .get(tag)
            .copied()
            .unwrap_or(0)
            .max(self.all_changed)
    }

    /// Every tag of every run, sorted, deduplicated.
    pub fn tags(&self) -> Vec<&str> {
        let mut t: Vec<&str> = self
            .runs
            .values()
            .flat_map(|r| r.tags.keys().map(String::as_str))
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    }

    /// What a plot of `tag` is built from: every run's series of it (a shared snapshot, in
    /// the runs' order), leaving out the `hidden` runs (sorted names).
    pub fn snapshot(&self, tag: &str, hidden: &[String]) -> Vec<(String, Series)> {
        self.runs
            .values()
            .filter(|r| hidden.binary_search(&r.name).is_err())
            .filter_map(|r| Some((r.name.clone(), r.tags.get(tag)?.clone())))
            .collect()
    }

    pub fn total_points(&self) -> usize {
        self.runs
            .values()
            .flat_map(|r| r.tags.values())
            .map(|s| s.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_merges_and_tracks_errors() {
        let mut s = ScalarStore::default();
        let p = |step| Point {
            step,
            wall: 0.0,
            value: 1.0,
        };
        s.apply(ScalarUpdate {
            run: "a".into(),
            file: "/x/ev".into(),
            points: vec![("loss".into(), p(1)), ("epoch".into(), p(1))],
            ..Default::default()
        });
        s.apply(ScalarUpdate {
            run: "a".into(),
            file: "/x/ev".into(),
            points: vec![("loss".into(), p(2))],
            error: Some("/x/ev: at byte 9: bad crc".into()),
            ..Default::default()
        });
        assert_eq!(s.tags(), vec!["epoch", "loss"]);
        assert_eq!(s.tag_generation("loss"), 2);
        assert_eq!(s.tag_generation("epoch"), 1);
        assert_eq!(s.tag_generation("none"), 0);
        assert_eq!(s.runs["a"].tags["loss"].len(), 2);
        assert_eq!(s.runs["a"].errors.len(), 1);
        s.apply(ScalarUpdate {
            run: "a".into(),
            file: "/x/ev".into(),
            error: Some(String::new()),
            ..Default::default()
        });
        assert!(s.runs["a"].errors.is_empty());
        assert_eq!(s.total_points(), 3);
    }

    #[test]
    fn a_snapshot_keeps_its_points_and_an_append_copies_one_chunk_at_most() {
        let p = |i: usize| Point {
            step: i as i64,
            wall: 0.0,
            value: i as f64,
        };
        let mut s: Series = (0..CHUNK * 2 + 10).map(p).collect();
        assert_eq!((s.len(), s.chunks().count()), (CHUNK * 2 + 10, 3));
        let snap = s.clone();
        s.push(p(7));
        assert_eq!(snap.len(), CHUNK * 2 + 10);
        assert_eq!(s.len(), CHUNK * 2 + 11);
        // The full chunks are still shared; only the last one was copied.
        assert!(Arc::ptr_eq(&s.full[0], &snap.full[0]));
        assert!(!Arc::ptr_eq(&s.tail, &snap.tail));
        assert_eq!(s.last(), Some(&p(7)));
        assert_eq!(snap.last(), Some(&p(CHUNK * 2 + 9)));
        let v = s.to_vec();
        assert_eq!(v.len(), s.len());
        assert!(v.iter().zip(s.iter()).all(|(a, b)| a == b));
        assert_eq!(v[CHUNK], p(CHUNK));
        assert_eq!(*s.contiguous(), v[..]);
        let small: Series = (0..3).map(p).collect();
        assert!(matches!(small.contiguous(), std::borrow::Cow::Borrowed(_)));
        assert_eq!(small.first(), Some(&p(0)));
    }
}
