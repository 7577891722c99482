//! Reading a whole .slp file into [`LabelsData`].

use super::table::{Column, Table};
use super::{SlpFile, skeleton, videos};
use crate::formats::hdf5::H5File;
use crate::labels::{
    Instance, InstanceKind, JsonMap, LabeledFrame, LabelsData, NegativeAnchor, NegativeFrame,
    Point, Suggestion, Track,
};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Top-level objects this reader understands; anything else is listed in a warning.
const KNOWN: &[&str] = &[
    "metadata",
    "videos_json",
    "tracks_json",
    "suggestions_json",
    "sessions_json",
    "frames",
    "instances",
    "points",
    "pred_points",
    "negative_frames",
    "provenance_json",
];

pub fn read_file(file: &H5File) -> Result<SlpFile> {
    let mut model = Model::default();
    let mut slp = read_file_with(file, &mut model)?;
    slp.labels.labeled_frames = model.0;
    Ok(slp)
}

/// Reads everything but the labeled frames, which go to `sink` one by one as they are
/// decoded, with the same checks, errors and warnings as [`read_file`] (whose
/// `labeled_frames` are what [`Model`] collects). `labels.labeled_frames` is left empty.
pub fn read_file_with(file: &H5File, sink: &mut impl FrameSink) -> Result<SlpFile> {
    let path = file.path();
    let mut warnings = Vec::new();

    // Metadata: format id and the JSON blob (skeletons, nodes, provenance ...).
    let format_id = match file.attr("metadata", "format_id")? {
        Some(a) => a
            .as_f64()
            .ok_or_else(|| Error::invalid(path, "/metadata format_id attribute is not a number"))?,
        None => 1.0,
    };
    if format_id >= 3.0 {
        return Err(Error::invalid(
            path,
            format!("SLP format {format_id} is newer than this reader understands (< 3.0)"),
        ));
    }
    let meta_text = match file.attr("metadata", "json")? {
        Some(a) => a
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::invalid(path, "/metadata json attribute is not a string"))?,
        None => {
            return Err(Error::invalid(
                path,
                "no /metadata json attribute: not a SLEAP labels file, or damaged",
            ));
        }
    };
    let meta: Value = serde_json::from_str(&meta_text).map_err(|e| {
        Error::invalid(
            path,
            format!("/metadata json attribute: not valid JSON ({e})"),
        )
    })?;
    let (skeletons, provenance, anchors_json) =
        decode_metadata(&meta).map_err(|m| Error::invalid(path, format!("/metadata json: {m}")))?;
    let provenance = match file.dataset("provenance_json")? {
        Some(ds) => {
            let text = ds.read_strings()?.into_iter().next().unwrap_or_default();
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => m,
                _ => {
                    warnings.push("/provenance_json is not a JSON object; ignored".into());
                    provenance
                }
            }
        }
        None => provenance,
    };

    let videos = videos::read_videos(file, &mut warnings)?;
    let tracks = read_tracks(file)?;
    let suggestions = read_suggestions(file, videos.len())?;
    let sessions = match file.dataset("sessions_json")? {
        Some(ds) => ds
            .read_strings()?
            .iter()
            .enumerate()
            .map(|(i, r)| videos::parse_row(path, "sessions_json", i, r))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };

    // Sparse video ids (old SLEAP: the N of videoN/video for embedded videos) -> position.
    let video_ids: Vec<Option<u64>> = videos
        .iter()
        .map(|v| {
            let ds = v.backend.get("dataset").and_then(Value::as_str)?;
            let g = ds.trim_start_matches('/').split('/').next()?;
            if !ds.contains('/') {
                return None;
            }
            g.strip_prefix("video")?.parse().ok()
        })
        .collect();

    let frames = Table::read(file, "frames")?;
    let instances = Table::read(file, "instances")?;
    let points = Table::read(file, "points")?;
    let pred_points = Table::read(file, "pred_points")?;
    match (&frames, &instances) {
        (Some(fr), Some(inst)) => build_frames(
            path,
            format_id,
            fr,
            inst,
            points.as_ref(),
            pred_points.as_ref(),
            &FrameContext {
                n_videos: videos.len(),
                video_ids: &video_ids,
                skeleton_sizes: &skeletons.iter().map(|s| s.nodes.len()).collect::<Vec<_>>(),
                n_tracks: tracks.len(),
            },
            sink,
            &mut warnings,
        )?,
        (Some(fr), None) if !fr.is_empty() => {
            return Err(Error::invalid(path, "has frames but no /instances table"));
        }
        _ => {}
    }

    let negative_frames = match Table::read(file, "negative_frames")? {
        Some(t) => {
            let vc = t.require(path, "video_id")?;
            let fc = t.require(path, "frame_idx")?;
            let map = VideoMap::new(videos.len(), &video_ids, frames.as_ref());
            let mut out = Vec::with_capacity(t.len());
            for r in 0..t.len() {
                let row = t.row(r);
                let (Some(v), Some(f)) = (vc.i64(row), fc.i64(row)) else {
                    return Err(Error::invalid(
                        path,
                        format!("dataset /negative_frames row {r}: bad video or frame index"),
                    ));
                };
                let video = map.get(v).ok_or_else(|| {
                    Error::invalid(
                        path,
                        format!("dataset /negative_frames row {r}: video {v} does not exist"),
                    )
                })?;
                out.push(NegativeFrame {
                    video,
                    frame_idx: f.max(0) as u64,
                });
            }
            out
        }
        None => Vec::new(),
    };
    let negative_anchors = decode_anchors(&anchors_json, videos.len(), &mut warnings);

    // Unknown extension groups and datasets: ignored, but said.
    let mut unknown = Vec::new();
    for name in file.groups("")?.into_iter().chain(file.datasets("")?) {
        let is_video_group = name
            .strip_prefix("video")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
        if !KNOWN.contains(&name.as_str()) && !is_video_group {
            unknown.push(name);
        }
    }
    unknown.sort();
    if !unknown.is_empty() {
        warnings.push(format!(
            "ignored {} extension object(s) this reader does not use: {}",
            unknown.len(),
            unknown
                .iter()
                .map(|u| crate::sanitize::clean(u).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        videos::check_media(&videos, dir, &mut warnings);
    }

    Ok(SlpFile {
        format_id,
        labels: LabelsData {
            videos,
            skeletons,
            tracks,
            labeled_frames: Vec::new(),
            suggestions,
            negative_frames,
            negative_anchors,
            provenance,
            sessions,
        },
        warnings,
    })
}

type MetaParts = (Vec<crate::labels::Skeleton>, JsonMap, Value);

/// Skeletons, provenance and negative anchors from the metadata JSON object.
pub fn decode_metadata(meta: &Value) -> std::result::Result<MetaParts, String> {
    let obj = meta.as_object().ok_or("not a JSON object")?;
    let node_names: Vec<String> = match obj.get("nodes") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, n)| match n.get("name") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(format!("nodes[{i}] has no name")),
            })
            .collect::<std::result::Result<_, _>>()?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err("\"nodes\" is not a list".into()),
    };
    let skeletons =
        skeleton::decode_all(obj.get("skeletons").unwrap_or(&Value::Null), &node_names)?;
    let provenance = match obj.get("provenance") {
        Some(Value::Object(m)) => m.clone(),
        _ => JsonMap::new(),
    };
    let anchors = obj.get("negative_anchors").cloned().unwrap_or(Value::Null);
    Ok((skeletons, provenance, anchors))
}

/// SLEAP's `negative_anchors`: `{"<video index>": [[frame_idx, x, y], ...]}`.
fn decode_anchors(v: &Value, n_videos: usize, warnings: &mut Vec<String>) -> Vec<NegativeAnchor> {
    let mut out = Vec::new();
    let Some(m) = v.as_object() else {
        return out;
    };
    for (k, list) in m {
        let video = match k.parse::<usize>() {
            Ok(i) if i < n_videos => i,
            _ => {
                warnings.push(format!(
                    "negative anchors for unknown video {:?} ignored",
                    crate::sanitize::clean(k)
                ));
                continue;
            }
        };
        for a in list.as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let f = a.get(0).and_then(Value::as_u64);
            let x = a.get(1).and_then(Value::as_f64);
            let y = a.get(2).and_then(Value::as_f64);
            match (f, x, y) {
                (Some(frame_idx), Some(x), Some(y)) => out.push(NegativeAnchor {
                    video,
                    frame_idx,
                    x,
                    y,
                }),
                _ => warnings.push(format!("negative anchor {a} ignored (not [frame, x, y])")),
            }
        }
    }
    out
}

fn read_tracks(file: &H5File) -> Result<Vec<Track>> {
    let Some(ds) = file.dataset("tracks_json")? else {
        return Ok(Vec::new());
    };
    let path = file.path();
    ds.read_strings()?
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let v = videos::parse_row(path, "tracks_json", i, row)?;
            let bad = || {
                Error::invalid(
                    path,
                    format!("dataset /tracks_json row {i}: expected [spawned_on, name], found {v}"),
                )
            };
            let a = v.as_array().ok_or_else(bad)?;
            let spawned_on = a.first().and_then(Value::as_i64).unwrap_or(0);
            let name = match a.get(1) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Ok(Track { name, spawned_on })
        })
        .collect()
}

fn read_suggestions(file: &H5File, n_videos: usize) -> Result<Vec<Suggestion>> {
    let Some(ds) = file.dataset("suggestions_json")? else {
        return Ok(Vec::new());
    };
    let path = file.path();
    ds.read_strings()?
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let v = videos::parse_row(path, "suggestions_json", i, row)?;
            let bad =
                |m: &str| Error::invalid(path, format!("dataset /suggestions_json row {i}: {m}"));
            let video = match v.get("video") {
                Some(Value::String(s)) => s.parse::<usize>().ok(),
                Some(Value::Number(n)) => n.as_u64().map(|x| x as usize),
                _ => None,
            }
            .ok_or_else(|| bad("no video index"))?;
            if video >= n_videos {
                return Err(bad(&format!(
                    "video {video} does not exist ({n_videos} videos)"
                )));
            }
            let frame_idx = v
                .get("frame_idx")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("no frame_idx"))?;
            let group = v.get("group").and_then(Value::as_i64).unwrap_or(0);
            Ok(Suggestion {
                video,
                frame_idx,
                group,
            })
        })
        .collect()
}

/// Maps the `video` values of the frames table to positions in the video list: positions
/// themselves, or the sparse `videoN` ids old SLEAP wrote for embedded videos.
struct VideoMap {
    sparse: Option<HashMap<i64, usize>>,
    n: usize,
}

impl VideoMap {
    fn new(n: usize, ids: &[Option<u64>], frames: Option<&Table<'_>>) -> VideoMap {
        // As sleap-io: the ids are positions when they are exactly 0..n-1.
        let mut seen = std::collections::BTreeSet::new();
        if let Some(t) = frames
            && let Some(c) = t.column("video")
        {
            for r in 0..t.len() {
                if let Some(v) = c.i64(t.row(r)) {
                    seen.insert(v);
                }
            }
        }
        let positional = seen.len() == n && seen.iter().next_back() == Some(&(n as i64 - 1));
        if positional || seen.is_empty() {
            return VideoMap { sparse: None, n };
        }
        let mut m = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            match id {
                Some(s) => m.insert(*s as i64, i),
                None => m.insert(i as i64, i),
            };
        }
        VideoMap { sparse: Some(m), n }
    }
    fn get(&self, v: i64) -> Option<usize> {
        let i = match &self.sparse {
            Some(m) => m.get(&v).copied().or(usize::try_from(v).ok())?,
            None => usize::try_from(v).ok()?,
        };
        (i < self.n).then_some(i)
    }
}

/// Decodes labeled frames from already-read tables (exposed for fuzzing and tests).
/// `video_ids` are the sparse `videoN` ids of the videos (None for plain videos).
#[allow(clippy::too_many_arguments)]
pub fn frames_from_tables(
    path: &Path,
    format_id: f64,
    frames: &Table<'_>,
    instances: &Table<'_>,
    points: Option<&Table<'_>>,
    pred_points: Option<&Table<'_>>,
    video_ids: &[Option<u64>],
    skeleton_sizes: &[usize],
    n_tracks: usize,
) -> Result<(Vec<LabeledFrame>, Vec<String>)> {
    let mut warnings = Vec::new();
    let ctx = FrameContext {
        n_videos: video_ids.len(),
        video_ids,
        skeleton_sizes,
        n_tracks,
    };
    let mut model = Model::default();
    build_frames(
        path,
        format_id,
        frames,
        instances,
        points,
        pred_points,
        &ctx,
        &mut model,
        &mut warnings,
    )?;
    Ok((model.0, warnings))
}

/// One instance's fields besides its points, as the walk hands them to a [`FrameSink`].
#[derive(Debug, Clone, Copy)]
pub struct InstanceHead {
    pub kind: InstanceKind,
    pub skeleton: usize,
    pub track: Option<usize>,
    pub score: f64,
    pub tracking_score: f64,
    /// The index within its frame of the instance it was made from.
    pub from_predicted: Option<usize>,
}

/// Where the decoded frames go, in file order: each frame, then each of its instances.
pub trait FrameSink: Send {
    /// The walk begins: `frames` frames follow (at most; damage may end it sooner).
    fn begin(&mut self, _frames: usize) {}
    /// An empty sink for a later stretch of the frames, filled on another thread and then
    /// appended with [`join`](Self::join). `None` (the default: a sink whose result depends
    /// on the order it is fed in, such as a floating-point sum) keeps the walk on one thread.
    fn split(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }
    /// Appends what a [`split`](Self::split) sink collected from the frames after ours.
    fn join(&mut self, _later: Self)
    where
        Self: Sized,
    {
    }
    /// A frame begins; `instances` of them follow.
    fn frame(&mut self, video: usize, frame_idx: u64, instances: usize);
    /// One instance of the current frame. `points` holds exactly its skeleton's node count
    /// (missing nodes added as NaN, extra points dropped); the sink may take it.
    fn instance(&mut self, head: InstanceHead, points: &mut Vec<Point>);
}

/// Collects the frames: the labels model's `labeled_frames`.
#[derive(Debug, Default)]
pub struct Model(pub Vec<LabeledFrame>);

impl FrameSink for Model {
    fn begin(&mut self, frames: usize) {
        self.0.reserve_exact(frames);
    }
    /// Stretches of the frames are built on every core: most of the time of building the
    /// model is the kernel handing out (and zeroing) the pages of its 200,000 small point
    /// lists, which runs in parallel.
    fn split(&self) -> Option<Self> {
        Some(Model::default())
    }
    fn join(&mut self, later: Self) {
        self.0.extend(later.0);
    }
    fn frame(&mut self, video: usize, frame_idx: u64, instances: usize) {
        self.0.push(LabeledFrame {
            video,
            frame_idx,
            instances: Vec::with_capacity(instances),
        });
    }
    fn instance(&mut self, h: InstanceHead, points: &mut Vec<Point>) {
        if let Some(f) = self.0.last_mut() {
            f.instances.push(Instance {
                kind: h.kind,
                skeleton: h.skeleton,
                points: std::mem::take(points),
                track: h.track,
                score: h.score,
                tracking_score: h.tracking_score,
                from_predicted: h.from_predicted,
            });
        }
    }
}

struct FrameContext<'a> {
    n_videos: usize,
    video_ids: &'a [Option<u64>],
    skeleton_sizes: &'a [usize],
    n_tracks: usize,
}

struct InstCols {
    kind: Column,
    skeleton: Column,
    track: Column,
    from_predicted: Column,
    score: Column,
    start: Column,
    end: Column,
    tracking_score: Option<Column>,
}

struct PointCols {
    x: Column,
    y: Column,
    visible: Column,
    complete: Column,
    score: Option<Column>,
}

impl PointCols {
    fn new(path: &Path, t: &Table<'_>) -> Result<PointCols> {
        Ok(PointCols {
            x: t.require(path, "x")?,
            y: t.require(path, "y")?,
            visible: t.require(path, "visible")?,
            complete: t.require(path, "complete")?,
            score: t.column("score"),
        })
    }
}

/// The points layout SLEAP and posedeck write (float64 x, y and score, uint8 flags), read
/// without a per-value type switch; the same values [`Column`] gives.
#[derive(Clone, Copy)]
struct PlainPoints {
    x: usize,
    y: usize,
    visible: usize,
    complete: usize,
    score: Option<usize>,
}

#[inline(always)]
fn f64_at(row: &[u8], o: usize) -> f64 {
    match row.get(o..o + 8) {
        Some(b) => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        None => 0.0,
    }
}

impl PlainPoints {
    #[inline(always)]
    fn point(&self, row: &[u8], shift: f64) -> Point {
        Point {
            x: f64_at(row, self.x) - shift,
            y: f64_at(row, self.y) - shift,
            visible: row.get(self.visible).is_some_and(|&b| b != 0),
            complete: row.get(self.complete).is_some_and(|&b| b != 0),
            score: self.score.map_or(0.0, |o| f64_at(row, o)),
        }
    }
}

impl PointCols {
    /// The plain layout for points of `kind` (scores only for predicted instances).
    fn plain(&self, kind: InstanceKind) -> Option<PlainPoints> {
        use super::table::Num;
        let flag = |c: &Column| matches!(c.num, Num::U8 | Num::I8);
        if self.x.num != Num::F64
            || self.y.num != Num::F64
            || !flag(&self.visible)
            || !flag(&self.complete)
        {
            return None;
        }
        let score = match (kind, &self.score) {
            (InstanceKind::Predicted, Some(sc)) if sc.num == Num::F64 => Some(sc.offset),
            (InstanceKind::Predicted, Some(_)) => return None,
            _ => None,
        };
        Some(PlainPoints {
            x: self.x.offset,
            y: self.y.offset,
            visible: self.visible.offset,
            complete: self.complete.offset,
            score,
        })
    }
}

/// Frames per thread below which the walk stays on one thread (unit tests split even tiny
/// files, so that every reading test also checks the split: same frames, same first error).
#[cfg(not(test))]
const MIN_FRAMES_PER_THREAD: usize = 20_000;
#[cfg(test)]
const MIN_FRAMES_PER_THREAD: usize = 1;

/// What the walk counts for its warnings (summed over the threads' stretches).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    short_points: usize,
    dropped_links: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.short_points += o.short_points;
        self.dropped_links += o.dropped_links;
    }
}

/// The tables and columns a walk over the frames reads (shared by its threads).
struct Walk<'a, 't> {
    path: &'a Path,
    frames: &'a Table<'t>,
    instances: &'a Table<'t>,
    points: Option<&'a Table<'t>>,
    pred_points: Option<&'a Table<'t>>,
    ctx: &'a FrameContext<'a>,
    fv: Column,
    ff: Column,
    fs: Column,
    fe: Column,
    ic: InstCols,
    inst_id: Option<Column>,
    uc: Option<PointCols>,
    pc: Option<PointCols>,
    shift: f64,
    vmap: VideoMap,
}

impl Walk<'_, '_> {
    /// Hands the frames of `rows` (frame-table rows), with their instances and points, to
    /// `sink` in order; stops at the first damaged row.
    fn run(
        &self,
        rows: std::ops::Range<usize>,
        sink: &mut impl FrameSink,
        counts: &mut Counts,
    ) -> Result<()> {
        let &Walk {
            path,
            frames,
            instances,
            points,
            pred_points,
            ctx,
            fv,
            ff,
            fs,
            fe,
            ref ic,
            inst_id,
            ref uc,
            ref pc,
            shift,
            ref vmap,
        } = self;
        // from_predicted refers to instance_id values; map them to table rows.
        let mut id_to_row: Option<HashMap<i64, usize>> = None;
        let n_inst = instances.len();
        // One instance's points, handed to the sink (which may take them).
        let mut pts: Vec<Point> = Vec::new();
        for r in rows {
            let row = frames.row(r);
            let at = |m: String| Error::invalid(path, format!("dataset /frames row {r}: {m}"));
            let v = fv.i64(row).ok_or_else(|| at("bad video index".into()))?;
            let video = vmap.get(v).ok_or_else(|| {
                at(format!(
                    "video {v} does not exist ({} videos)",
                    ctx.n_videos
                ))
            })?;
            let frame_idx = ff
                .i64(row)
                .filter(|&f| f >= 0)
                .ok_or_else(|| at("bad frame index".into()))? as u64;
            let s = fs
                .i64(row)
                .ok_or_else(|| at("bad instance_id_start".into()))?;
            let e = fe
                .i64(row)
                .ok_or_else(|| at("bad instance_id_end".into()))?;
            if s < 0 || e < s || e as usize > n_inst {
                return Err(at(format!(
                    "instances [{s}, {e}) lie outside the instances table ({n_inst} rows)"
                )));
            }
            let (s, e) = (s as usize, e as usize);
            sink.frame(video, frame_idx, e - s);
            for ir in s..e {
                let irow = instances.row(ir);
                let iat =
                    |m: String| Error::invalid(path, format!("dataset /instances row {ir}: {m}"));
                let kind = match ic.kind.i64(irow) {
                    Some(0) => InstanceKind::User,
                    Some(1) => InstanceKind::Predicted,
                    other => return Err(iat(format!("unknown instance_type {other:?}"))),
                };
                let sk = ic
                    .skeleton
                    .i64(irow)
                    .and_then(|k| usize::try_from(k).ok())
                    .filter(|&k| k < ctx.skeleton_sizes.len())
                    .ok_or_else(|| {
                        iat(format!(
                            "skeleton {:?} does not exist ({} skeletons)",
                            ic.skeleton.i64(irow),
                            ctx.skeleton_sizes.len()
                        ))
                    })?;
                let n_nodes = ctx.skeleton_sizes[sk];
                let track = match ic.track.i64(irow) {
                    Some(t) if t < 0 => None,
                    Some(t) if (t as usize) < ctx.n_tracks => Some(t as usize),
                    other => {
                        return Err(iat(format!(
                            "track {other:?} does not exist ({} tracks)",
                            ctx.n_tracks
                        )));
                    }
                };
                let ps = ic
                    .start
                    .i64(irow)
                    .ok_or_else(|| iat("bad point_id_start".into()))?;
                let pe = ic
                    .end
                    .i64(irow)
                    .ok_or_else(|| iat("bad point_id_end".into()))?;
                let (table, cols, table_name) = match kind {
                    InstanceKind::User => (points, uc.as_ref(), "points"),
                    InstanceKind::Predicted => (pred_points, pc.as_ref(), "pred_points"),
                };
                let table_len = table.map_or(0, Table::len);
                if ps < 0 || pe < ps || pe as usize > table_len {
                    return Err(iat(format!(
                        "points [{ps}, {pe}) lie outside the {table_name} table ({table_len} rows)"
                    )));
                }
                pts.clear();
                pts.reserve(n_nodes);
                if let (Some(t), Some(c)) = (table, cols)
                    && let Some(f) = c.plain(kind)
                    && t.row_size() > 0
                {
                    let rows = t.rows_bytes(ps as usize, pe as usize);
                    pts.extend(rows.chunks_exact(t.row_size()).map(|r| f.point(r, shift)));
                } else if let (Some(t), Some(c)) = (table, cols) {
                    for pr in ps as usize..pe as usize {
                        let prow = t.row(pr);
                        pts.push(Point {
                            x: c.x.f64(prow) - shift,
                            y: c.y.f64(prow) - shift,
                            visible: c.visible.bool(prow),
                            complete: c.complete.bool(prow),
                            score: match (kind, &c.score) {
                                (InstanceKind::Predicted, Some(sc)) => sc.f64(prow),
                                _ => 0.0,
                            },
                        });
                    }
                }
                if pts.len() != n_nodes {
                    counts.short_points += 1;
                    pts.resize(n_nodes, Point::missing());
                }
                let from_predicted = match ic.from_predicted.i64(irow) {
                    Some(fp) if fp >= 0 => {
                        let map = id_to_row.get_or_insert_with(|| match inst_id {
                            Some(c) => (0..n_inst)
                                .filter_map(|i| Some((c.i64(instances.row(i))?, i)))
                                .collect(),
                            None => (0..n_inst).map(|i| (i as i64, i)).collect(),
                        });
                        match map.get(&fp) {
                            Some(&row) if row >= s && row < e && row != ir => Some(row - s),
                            _ => {
                                counts.dropped_links += 1;
                                None
                            }
                        }
                    }
                    _ => None,
                };
                let head = InstanceHead {
                    kind,
                    skeleton: sk,
                    track,
                    score: ic.score.f64(irow),
                    tracking_score: ic.tracking_score.map_or(0.0, |c| c.f64(irow)),
                    from_predicted,
                };
                sink.instance(head, &mut pts);
            }
        }
        Ok(())
    }
}

/// Decodes every labeled frame with its instances and points into `sink`.
#[allow(clippy::too_many_arguments)]
fn build_frames(
    path: &Path,
    format_id: f64,
    frames: &Table<'_>,
    instances: &Table<'_>,
    points: Option<&Table<'_>>,
    pred_points: Option<&Table<'_>>,
    ctx: &FrameContext<'_>,
    sink: &mut impl FrameSink,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let fv = frames.require(path, "video")?;
    let ff = frames.require(path, "frame_idx")?;
    let fs = frames.require(path, "instance_id_start")?;
    let fe = frames.require(path, "instance_id_end")?;
    let ic = InstCols {
        kind: instances.require(path, "instance_type")?,
        skeleton: instances.require(path, "skeleton")?,
        track: instances.require(path, "track")?,
        from_predicted: instances.require(path, "from_predicted")?,
        score: instances.require(path, "score")?,
        start: instances.require(path, "point_id_start")?,
        end: instances.require(path, "point_id_end")?,
        // Absent before format 1.2 (and ignored there even if present, as sleap-io does).
        tracking_score: if format_id >= 1.2 {
            instances.column("tracking_score")
        } else {
            None
        },
    };
    let inst_id = instances.column("instance_id");
    let uc = match points {
        Some(t) if !t.is_empty() => Some(PointCols::new(path, t)?),
        _ => None,
    };
    let pc = match pred_points {
        Some(t) if !t.is_empty() => Some(PointCols::new(path, t)?),
        _ => None,
    };
    let shift = if format_id < 1.1 { 0.5 } else { 0.0 };
    let vmap = VideoMap::new(ctx.n_videos, ctx.video_ids, Some(frames));
    let walk = Walk {
        path,
        frames,
        instances,
        points,
        pred_points,
        ctx,
        fv,
        ff,
        fs,
        fe,
        ic,
        inst_id,
        uc,
        pc,
        shift,
        vmap,
    };
    let n = frames.len();
    let parts = match sink.split() {
        Some(_) if n >= MIN_FRAMES_PER_THREAD * 2 => {
            // Unit tests cut into at least three stretches (a first, a middle, a last).
            let threads = crate::util::cores().max(if cfg!(test) { 3 } else { 1 });
            threads.clamp(1, 8).min(n / MIN_FRAMES_PER_THREAD)
        }
        _ => 1,
    };
    let mut counts = Counts::default();
    if parts <= 1 {
        sink.begin(n);
        walk.run(0..n, sink, &mut counts)?;
    } else {
        let cut = |k: usize| n * k / parts;
        let mut later: Vec<_> = (1..parts).filter_map(|_| sink.split()).collect();
        sink.begin(n);
        let results: Vec<Option<(Result<()>, Counts)>> = std::thread::scope(|sc| {
            let handles: Vec<_> = later
                .iter_mut()
                .enumerate()
                .map(|(k, part)| {
                    let walk = &walk;
                    let rows = cut(k + 1)..cut(k + 2);
                    std::thread::Builder::new().spawn_scoped(sc, move || {
                        let mut c = Counts::default();
                        part.begin(rows.len());
                        let r = walk.run(rows, part, &mut c);
                        (r, c)
                    })
                })
                .collect();
            let first = walk.run(0..cut(1), sink, &mut counts);
            let mut out = vec![Some((first, Counts::default()))];
            out.extend(
                handles
                    .into_iter()
                    .map(|h| h.ok().and_then(|h| h.join().ok())),
            );
            out
        });
        // In frame order: the first damage wins, as on one thread.
        let mut later = later.into_iter();
        for (k, r) in results.into_iter().enumerate() {
            match r {
                Some((r, c)) => {
                    r?;
                    counts.add(c);
                    if k > 0
                        && let Some(l) = later.next()
                    {
                        sink.join(l);
                    }
                }
                None => {
                    // A thread that could not start or failed: its frames, here.
                    let rows = cut(k)..cut(parts);
                    walk.run(rows, sink, &mut counts)?;
                    break;
                }
            }
        }
    }
    let Counts {
        short_points,
        dropped_links,
    } = counts;
    if short_points > 0 {
        warnings.push(format!(
            "{short_points} instance(s) had a point count different from their skeleton's node count; missing nodes were added as NaN and extra points dropped"
        ));
    }
    if dropped_links > 0 {
        warnings.push(format!(
            "{dropped_links} from_predicted link(s) point outside their own frame and were dropped"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model without the split: every frame on this thread, in order.
    struct OneThread(Model);

    impl FrameSink for OneThread {
        fn begin(&mut self, frames: usize) {
            self.0.begin(frames);
        }
        fn frame(&mut self, video: usize, frame_idx: u64, instances: usize) {
            self.0.frame(video, frame_idx, instances);
        }
        fn instance(&mut self, head: InstanceHead, points: &mut Vec<Point>) {
            self.0.instance(head, points);
        }
    }

    fn read_both(path: &Path, bytes: &[u8]) -> (String, String) {
        let show = |r: Result<SlpFile>, frames: &[LabeledFrame]| match r {
            Ok(f) => format!("{:?}\n{frames:?}", f.warnings),
            Err(e) => format!("error: {e}"),
        };
        let (mut split, mut one) = (Model::default(), OneThread(Model::default()));
        let a =
            H5File::from_bytes(path, bytes.to_vec()).and_then(|f| read_file_with(&f, &mut split));
        let b = H5File::from_bytes(path, bytes.to_vec()).and_then(|f| read_file_with(&f, &mut one));
        (show(a, &split.0), show(b, &one.0.0))
    }

    /// Frames built in stretches on several threads (unit tests split even a 2-frame file
    /// into up to three) are the frames one thread builds, with the same warnings, on every
    /// real .slp of ../shared/data and on damaged copies (bytes flipped across the file,
    /// cut short): the same first error, whichever stretch holds it.
    #[test]
    fn frames_built_on_threads_equal_one_thread() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/slp");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "slp"))
            .collect();
        files.sort();
        assert!(!files.is_empty());
        let (mut frames_seen, mut errors_seen, mut walk_errors) = (0usize, 0usize, 0usize);
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let (a, b) = read_both(path, &bytes);
            assert_eq!(a, b, "{}", path.display());
            frames_seen += a.matches("LabeledFrame").count();
            for k in 1..40 {
                let at = bytes.len() * k / 40;
                let mut bad = bytes.clone();
                bad[at] ^= 0x5a;
                let (a, b) = read_both(path, &bad);
                assert_eq!(a, b, "{} with byte {at} flipped", path.display());
                errors_seen += usize::from(a.starts_with("error"));
                walk_errors +=
                    usize::from(a.contains("/frames row") || a.contains("/instances row"));
            }
            let (a, b) = read_both(path, &bytes[..bytes.len() * 2 / 3]);
            assert_eq!(a, b, "{} cut short", path.display());
        }
        eprintln!("{frames_seen} frames, {errors_seen} errors, {walk_errors} in the walk");
        // Some of the damage lies in the frames' own rows (an error from the walk itself).
        assert!(
            frames_seen > 1000 && errors_seen > 10 && walk_errors > 0,
            "{frames_seen} {errors_seen} {walk_errors}"
        );
    }
}
