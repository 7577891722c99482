#!/usr/bin/env python3
"""Error and temporal jitter of a model's predictions on a held-out demo clip, against the
demo's exact labels (standard library only).

usage: demo/jitter.py PREDICTIONS.csv HELD_OUT_PROJECT/CollectedData.csv

PREDICTIONS.csv: `posedeck predict RUN HELD/videos/walk_01` output (Lightning Pose's
video-predictions CSV, one row per frame). The held-out project comes from
`posedeck demo --seed 7 --videos 1 --frames 60 --clip-frames 180`: its CollectedData.csv
holds the exact keypoints of every third frame of the 180-frame clip.

Prints JSON: pixel error on the labeled frames (mean, median), the mean frame-to-frame jump
of the predictions, the true motion per frame (the labels' 3-frame displacement / 3), and
the jitter = mean jump - true motion (pixels per frame, per keypoint, averaged)."""
import csv, json, math, re, statistics, sys


def read(path, per_keypoint):
    rows = list(csv.reader(open(path)))
    parts = rows[1][1:]
    names = [parts[i] for i in range(0, len(parts), per_keypoint)]
    out = {}
    for r in rows[3:]:
        m = re.search(r"(\d+)(?:\.png)?$", r[0])
        frame = int(m.group(1))
        v = [float(x) if x not in ("", "nan", "NaN") else math.nan for x in r[1:]]
        out[frame] = [(v[i * per_keypoint], v[i * per_keypoint + 1]) for i in range(len(names))]
    return names, out


def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


names, pred = read(sys.argv[1], 3)
_, truth = read(sys.argv[2], 2)
errs = [dist(pred[f][k], t) for f, kps in truth.items() if f in pred
        for k, t in enumerate(kps) if not math.isnan(t[0])]
frames = sorted(pred)
jumps = [dist(pred[a][k], pred[b][k]) for a, b in zip(frames, frames[1:])
         for k in range(len(names))]
motion = [dist(truth[f][k], truth[f + 3][k]) / 3 for f in truth if f + 3 in truth
          for k in range(len(names))
          if not (math.isnan(truth[f][k][0]) or math.isnan(truth[f + 3][k][0]))]
jump = statistics.fmean(x for x in jumps if not math.isnan(x))
move = statistics.fmean(motion)
print(json.dumps({
    "frames": len(frames), "labeled_keypoints": len(errs),
    "pixel_error_mean": round(statistics.fmean(errs), 3),
    "pixel_error_median": round(statistics.median(errs), 3),
    "mean_jump_px": round(jump, 3), "true_motion_px": round(move, 3),
    "jitter_px": round(jump - move, 3),
}))
