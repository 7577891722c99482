//! Pose and metric CSVs (read by `formats::csv`) as the views need them: labeled frames with
//! their keypoints, a model's predictions per labeled frame, a model's predictions per video
//! frame with the temporal norm.

use crate::formats::csv::{MetricTable, PoseTable, video_of};
use crate::sanitize::clean;
use crate::tui::data::{Frame, FrameSource, VideoLabels};
use crate::tui::state::labels::FramePreds;
use crate::tui::state::videos::VideoPreds;
use std::collections::BTreeMap;
use std::path::Path;

/// The labeled frames of a CollectedData CSV (`csv`) whose image paths are relative to `root`.
pub fn labeled_frames(t: &PoseTable, root: &Path, csv: &Path) -> (Vec<Frame>, Vec<VideoLabels>) {
    let mut frames = Vec::with_capacity(t.n_rows());
    let mut per: BTreeMap<String, VideoLabels> = BTreeMap::new();
    for (row, image) in t.index.iter().enumerate() {
        let video = video_of(image).unwrap_or("labeled-data").to_owned();
        let points: Vec<Option<(f64, f64)>> = (0..t.n_keypoints()).map(|k| t.xy(row, k)).collect();
        let f = Frame {
            image: clean(image).into_owned(),
            source: FrameSource::File(root.join(image.replace('\\', "/"))),
            video: clean(&video).into_owned(),
            points,
            origin: crate::tui::data::FrameOrigin::Csv {
                file: csv.to_path_buf(),
                image: image.clone(),
            },
            ..Default::default()
        };
        let e = per.entry(f.video.clone()).or_insert_with(|| VideoLabels {
            video: f.video.clone(),
            ..Default::default()
        });
        e.labeled += 1;
        let miss = f.n_missing();
        if miss > 0 {
            e.with_missing += 1;
            e.missing_keypoints += miss;
        }
        frames.push(f);
    }
    (frames, per.into_values().collect())
}

fn triples(t: &PoseTable, row: usize) -> Vec<Option<(f64, f64, f64)>> {
    let lik = t.coord_index("likelihood");
    (0..t.n_keypoints())
        .map(|k| {
            let (x, y) = t.xy(row, k)?;
            let l = lik.and_then(|c| t.value(row, k, c)).unwrap_or(f64::NAN);
            Some((x, y, l))
        })
        .collect()
}

/// A model's predictions on the labeled frames, keyed by image path.
pub fn frame_predictions(csv: &Path) -> Result<FramePreds, String> {
    let t = PoseTable::read(csv).map_err(|e| e.to_string())?;
    Ok(t.index
        .iter()
        .enumerate()
        .map(|(row, img)| (img.clone(), triples(&t, row)))
        .collect())
}

/// A model's predictions on a video (`video_preds/<stem>.csv`) and, when present, the
/// per-frame temporal norm (`<stem>_temporal_norm.csv`, mean over keypoints).
pub fn video_predictions(csv: &Path) -> Result<VideoPreds, String> {
    let t = PoseTable::read(csv).map_err(|e| e.to_string())?;
    let frames = (0..t.n_rows()).map(|r| triples(&t, r)).collect();
    let mut out = VideoPreds {
        frames,
        ..Default::default()
    };
    let stem = csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tn = csv.with_file_name(format!("{stem}_temporal_norm.csv"));
    if tn.is_file() {
        match MetricTable::read(&tn) {
            Ok(m) => {
                let n = m.columns.len();
                out.temporal_norm = Some(
                    (0..m.n_rows())
                        .map(|r| {
                            let v: Vec<f64> = (0..n)
                                .filter_map(|c| m.value(r, c))
                                .filter(|x| x.is_finite())
                                .collect();
                            if v.is_empty() {
                                f64::NAN
                            } else {
                                v.iter().sum::<f64>() / v.len() as f64
                            }
                        })
                        .collect(),
                );
            }
            Err(e) => out.note = Some(clean(&e.to_string()).into_owned()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_csv_is_an_error_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("predictions.csv");
        std::fs::write(&p, "scorer,a\nbodyparts,x\n").unwrap();
        let e = frame_predictions(&p).unwrap_err();
        assert!(e.contains("predictions.csv"), "{e}");
        let e = video_predictions(&d.path().join("none.csv")).unwrap_err();
        assert!(e.contains("none.csv"), "{e}");
    }
}
