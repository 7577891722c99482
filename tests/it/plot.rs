//! `posedeck plot`: the PNG has the size asked and each run's colour where its curve goes;
//! the CSV holds exactly the events file's scalars (TensorBoard's EventAccumulator as the
//! oracle) and TensorBoard's smoothing of them; bad input is one line and exit 2.

use crate::common::run_posedeck;
use crate::shared_or_skip;
use posedeck::formats::tfevents::EventsWriter;
use std::path::{Path, PathBuf};

const TINY: &str = "lp-real-model/tiny_cpu_model";
const TINY_EVENTS: &str = "lp-real-model/tiny_cpu_model/tb_logs/tiny_cpu_model/version_0/events.out.tfevents.1795261401.vm.17401.0";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &p);
        } else {
            std::fs::copy(e.path(), &p).unwrap();
            let mut perm = std::fs::metadata(&p).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&p, perm).unwrap();
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The light theme's run colour of `name` (what `plot` draws with by default).
fn run_rgb(name: &str) -> [u8; 3] {
    let (_, _, palette) = posedeck::tui::theme::Theme::load("light")
        .unwrap()
        .figure_colors();
    palette[posedeck::curves::run_slot(name, palette.len())]
}

/// Pixels of exactly `c` (a line's centre, drawn opaque).
fn pixels_of(img: &image::RgbImage, c: [u8; 3]) -> Vec<(u32, u32)> {
    img.enumerate_pixels()
        .filter(|(_, _, p)| p.0 == c)
        .map(|(x, y, _)| (x, y))
        .collect()
}

/// Pearson correlation.
fn corr(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The mean row of colour `c` per column, against the data's value at that column (steps
/// spread linearly over the columns the colour spans): a curve that follows the data has its
/// rows fall as the values rise.
fn follows(img: &image::RgbImage, c: [u8; 3], data: &[(f64, f64)]) -> f64 {
    // Below the legend (its swatch has the colour too), near the colour (anti-aliased edges).
    let top = img.height() / 8;
    let px: Vec<(u32, u32)> = img
        .enumerate_pixels()
        .filter(|(_, y, p)| *y > top && p.0.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 40))
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(px.len() > 20, "too few pixels of {c:?}: {}", px.len());
    let (c0, c1) = (
        px.iter().map(|p| p.0).min().unwrap() as f64,
        px.iter().map(|p| p.0).max().unwrap() as f64,
    );
    let (s0, s1) = (data[0].0, data[data.len() - 1].0);
    let mut rows = std::collections::BTreeMap::<u32, Vec<f64>>::new();
    for (x, y) in px {
        rows.entry(x).or_default().push(y as f64);
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (x, ys) in rows {
        let step = s0 + (x as f64 - c0) / (c1 - c0) * (s1 - s0);
        let i = data
            .partition_point(|d| d.0 <= step)
            .clamp(1, data.len() - 1);
        let (p, q) = (data[i - 1], data[i]);
        let v = p.1 + (q.1 - p.1) * ((step - p.0) / (q.0 - p.0)).clamp(0.0, 1.0);
        a.push(ys.iter().sum::<f64>() / ys.len() as f64);
        b.push(v);
    }
    corr(&a, &b)
}

/// The real run's `train_supervised_loss` as TensorBoard reads it: (step, value).
fn expected(data: &Path, tag: &str) -> Vec<(f64, f64)> {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("lp-real-model/EXPECTED_scalars.json")).unwrap(),
    )
    .unwrap();
    let key = TINY_EVENTS.strip_prefix("lp-real-model/").unwrap();
    v["files"][key]["scalar_tags"][tag]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// The demo project with the real run and a synthetic one (a rising line) in models/.
fn demo_with_runs(data: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let (code, _, err) = run_posedeck(&["demo", "--no-tui", "--dir", s(&demo)]);
    assert_eq!(code, 0, "{err}");
    copy_dir(&data.join(TINY), &demo.join("models/tiny_cpu_model"));
    let dir = demo.join("models/rising/tb_logs/rising/version_0");
    std::fs::create_dir_all(&dir).unwrap();
    let mut w =
        EventsWriter::create_file(&dir.join("events.out.tfevents.1795261401.test.1.0")).unwrap();
    for step in 0..18 {
        w.add_scalar_at(
            "train_supervised_loss",
            0.02 + 0.0005 * step as f32,
            step,
            1.8e9 + step as f64,
        )
        .unwrap();
    }
    w.flush().unwrap();
    (tmp, demo)
}

#[test]
fn png_has_the_size_asked_and_each_run_where_its_data_goes() {
    let data = shared_or_skip!();
    let (tmp, demo) = demo_with_runs(&data);
    let out = tmp.path().join("loss.png");
    // A folder of runs: each run found below it, with its own colour.
    let (code, stdout, err) = run_posedeck(&[
        "plot",
        s(&demo.join("models")),
        "--tag",
        "^train_supervised_loss$",
        "--smoothing",
        "0",
        "--outliers",
        "--width",
        "900",
        "--height",
        "560",
        "-o",
        s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("1 chart, 2 runs"), "{stdout}");
    let img = image::open(&out).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (900, 560));
    let real = expected(&data, "train_supervised_loss");
    let r = follows(&img, run_rgb("tiny_cpu_model"), &real);
    assert!(
        r < -0.9,
        "the real run's curve does not follow its data: r = {r}"
    );
    let rising: Vec<(f64, f64)> = (0..18)
        .map(|i| (i as f64, 0.02 + 0.0005 * i as f64))
        .collect();
    let r = follows(&img, run_rgb("rising"), &rising);
    assert!(r < -0.95, "the rising run's curve does not rise: r = {r}");

    // The whole dashboard of the real events file alone, smoothed: a chart per tag.
    let all = tmp.path().join("all.png");
    let (code, stdout, err) = run_posedeck(&["plot", s(&data.join(TINY_EVENTS)), "-o", s(&all)]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("13 charts, 1 run"), "{stdout}");
    let img = image::open(&all).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000));
    assert!(pixels_of(&img, run_rgb("tiny_cpu_model")).len() > 500);
}

/// TensorBoard's classicSmoothing, written out independently.
fn tensorboard_smoothing(ys: &[f64], w: f64) -> Vec<f64> {
    if ys.windows(2).all(|p| p[0] == p[1]) {
        return ys.to_vec();
    }
    let (mut last, mut n) = (0.0, 0);
    ys.iter()
        .map(|&y| {
            if !y.is_finite() {
                return y;
            }
            last = last * w + (1.0 - w) * y;
            n += 1;
            let debias = if w == 1.0 { 1.0 } else { 1.0 - w.powi(n) };
            last / debias
        })
        .collect()
}

#[test]
fn csv_holds_the_events_scalars_and_tensorboards_smoothing() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("points.csv");
    let (code, stdout, err) = run_posedeck(&[
        "plot",
        s(&data.join(TINY)),
        "--smoothing",
        "0.8",
        "--csv",
        s(&csv),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !stdout.contains(".png"),
        "only the CSV was asked for: {stdout}"
    );
    let mut rd = csv::Reader::from_path(&csv).unwrap();
    assert_eq!(
        rd.headers().unwrap(),
        vec!["run", "tag", "step", "wall_time", "value", "smoothed"]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("lp-real-model/EXPECTED_scalars.json")).unwrap(),
    )
    .unwrap();
    let key = TINY_EVENTS.strip_prefix("lp-real-model/").unwrap();
    let tags = v["files"][key]["scalar_tags"].as_object().unwrap();
    let mut total = 0;
    for (tag, t) in tags {
        let want: Vec<(i64, f64)> = t["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let got: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[1] == tag).collect();
        assert_eq!(got.len(), want.len(), "{tag}");
        let values: Vec<f64> = want.iter().map(|w| w.1).collect();
        let smooth = tensorboard_smoothing(&values, 0.8);
        for (i, (r, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(&r[0], "tiny_cpu_model");
            assert_eq!(r[2].parse::<i64>().unwrap(), w.0, "{tag} step {i}");
            assert_eq!(r[4].parse::<f64>().unwrap(), w.1, "{tag} value {i}");
            let sm: f64 = r[5].parse().unwrap();
            assert!(
                (sm - smooth[i]).abs() <= 1e-12 * smooth[i].abs().max(1e-12),
                "{tag} smoothed {i}: {sm} vs {}",
                smooth[i]
            );
        }
        let first: f64 = got[0][3].parse().unwrap();
        let fw = t["first_wall_time"].as_f64().unwrap();
        assert!((first - fw).abs() < 1e-3, "{tag}: {first} vs {fw}");
        total += want.len();
    }
    assert_eq!(rows.len(), total);
    assert!(stdout.contains(&format!("({total} rows)")), "{stdout}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x.png");
    let run = data.join(TINY);
    let (code, _, err) = run_posedeck(&["plot", s(&run), "--tag", "nosuch", "-o", s(&out)]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(s(&run)) && err.contains("no scalar tag matches"),
        "{err}"
    );
    assert!(
        err.contains("train_supervised_loss"),
        "the tags are listed: {err}"
    );
    assert!(!out.exists());

    // Not an events file at all.
    let junk = tmp.path().join("events.out.tfevents.1.junk.1.0");
    std::fs::write(&junk, b"this is not a TFRecord file at all, just text\n").unwrap();
    let (code, _, err) = run_posedeck(&["plot", s(&junk), "-o", s(&out)]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(s(&junk)) && err.contains("at byte 0"), "{err}");
    assert!(!out.exists());

    // An output that cannot be written.
    let bad = tmp.path().join("no/such/folder/x.png");
    let (code, _, err) = run_posedeck(&["plot", s(&run), "-o", s(&bad)]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(s(&bad)), "{err}");

    // Not a PNG name; a bad size.
    let (code, _, err) = run_posedeck(&["plot", s(&run), "-o", "x.svg"]);
    assert_eq!(code, 2);
    assert!(err.contains("x.svg") && err.contains("PNG"), "{err}");
    let (code, _, err) = run_posedeck(&["plot", s(&run), "--width", "10", "-o", s(&out)]);
    assert_eq!(code, 2);
    assert!(err.contains("--width 10"), "{err}");
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("curves.png");
    std::fs::write(&out, b"mine").unwrap();
    let run = data.join(TINY);
    let (code, _, err) = run_posedeck(&["plot", s(&run), "-o", s(&out)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"mine");
    let (code, stdout, err) = run_posedeck(&["plot", s(&run), "-o", s(&out), "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("kept as"), "{stdout}");
    assert!(image::open(&out).is_ok());
    let backups = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("posedeck-backup")
        })
        .count();
    assert_eq!(backups, 1);
}

#[test]
fn a_truncated_events_file_plots_what_is_readable_with_a_warning() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("tiny_cpu_model");
    copy_dir(&data.join(TINY), &run);
    let ev = run.join(TINY_EVENTS.strip_prefix(&format!("{TINY}/")).unwrap());
    let bytes = std::fs::read(&ev).unwrap();
    std::fs::write(&ev, &bytes[..bytes.len() - 7]).unwrap();
    let (out, csv) = (tmp.path().join("c.png"), tmp.path().join("c.csv"));
    let (code, _, err) = run_posedeck(&["plot", s(&run), "-o", s(&out), "--csv", s(&csv)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("warning") && err.contains("truncated") && err.contains(s(&ev)),
        "{err}"
    );
    assert_eq!(image::open(&out).unwrap().width(), 1600);
    let rows = csv::Reader::from_path(&csv).unwrap().records().count();
    // The last record (a scalar) is lost, every one before it is there.
    let full: usize = {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data.join("lp-real-model/EXPECTED_scalars.json")).unwrap(),
        )
        .unwrap();
        let key = TINY_EVENTS.strip_prefix("lp-real-model/").unwrap();
        v["files"][key]["scalar_tags"]
            .as_object()
            .unwrap()
            .values()
            .map(|t| t["count"].as_u64().unwrap() as usize)
            .sum()
    };
    assert!(rows > 0 && rows < full, "{rows} of {full}");
}

#[test]
fn damage_inside_a_file_plots_what_comes_before_and_exits_2() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let ev = tmp.path().join("events.out.tfevents.1795261401.vm.17401.0");
    let mut bytes = std::fs::read(data.join(TINY_EVENTS)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&ev, &bytes).unwrap();
    let (out, csv) = (tmp.path().join("c.png"), tmp.path().join("c.csv"));
    let (code, stdout, err) = run_posedeck(&["plot", s(&ev), "-o", s(&out), "--csv", s(&csv)]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(s(&ev)) && err.contains("at byte"), "{err}");
    assert!(image::open(&out).is_ok());
    let rows = csv::Reader::from_path(&csv).unwrap().records().count();
    assert!(rows > 0 && rows < 125, "{rows}");
}
