//! The in-process H.264 MP4 decoder against ffmpeg's own decode of every video in
//! ../shared/data (video-ref/): every frame's yuv420p MD5, three RGB frames, frame counts and
//! frame rates; random seeks against sequential decoding; damaged files.

use posedeck::video::{FrameReader, VideoInfo};
use std::path::{Path, PathBuf};

pub const VIDEOS: [&str; 7] = [
    "lp-mirror-mouse/videos/test_vid.mp4",
    "slp/20190128_113421.120s.mp4",
    "slp/centered_pair_low_quality.mp4",
    "slp/clip.mp4",
    "slp/dance.mp4",
    "slp/demo-flies13-preds.mp4",
    "slp/small_robot.mp4",
];

fn stem(v: &str) -> String {
    Path::new(v)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// ffmpeg's framemd5: (time base denominator, dimensions, one MD5 per frame).
pub struct Oracle {
    pub fps: f64,
    pub dims: (usize, usize),
    pub md5: Vec<String>,
}

pub fn oracle(data: &Path, video: &str) -> Oracle {
    let p = data.join(format!("video-ref/{}.yuv420p.framemd5", stem(video)));
    let text = std::fs::read_to_string(&p).unwrap();
    let mut o = Oracle {
        fps: 0.0,
        dims: (0, 0),
        md5: Vec::new(),
    };
    for line in text.lines() {
        if let Some(tb) = line.strip_prefix("#tb 0: ") {
            let (a, b) = tb.split_once('/').unwrap();
            o.fps = b.trim().parse::<f64>().unwrap() / a.trim().parse::<f64>().unwrap();
        } else if let Some(d) = line.strip_prefix("#dimensions 0: ") {
            let (w, h) = d.trim().split_once('x').unwrap();
            o.dims = (w.parse().unwrap(), h.parse().unwrap());
        } else if !line.starts_with('#') {
            o.md5
                .push(line.rsplit(',').next().unwrap().trim().to_string());
        }
    }
    o
}

pub fn md5_of(y: &posedeck::video::Yuv) -> String {
    let mut all = Vec::with_capacity(y.y.len() + y.u.len() + y.v.len());
    for p in y.planes() {
        all.extend_from_slice(p);
    }
    md5_hex(&all)
}

/// MD5 (RFC 1321), here so that the tests need no crate of their own for it (a dev-only
/// crate can change the features of a crate burn shares, and so rebuild burn for the tests).
pub fn md5_hex(data: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();
    let mut st: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    for chunk in msg.chunks_exact(64) {
        let m: Vec<u32> = chunk
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = st;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f2 = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f2.rotate_left(S[i]));
        }
        st[0] = st[0].wrapping_add(a);
        st[1] = st[1].wrapping_add(b);
        st[2] = st[2].wrapping_add(c);
        st[3] = st[3].wrapping_add(d);
    }
    st.iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn md5_known_answers() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(
        md5_hex(b"The quick brown fox jumps over the lazy dog"),
        "9e107d9d372bb6826bd81d3542a419d6"
    );
}

#[test]
fn every_frame_of_every_video_equals_ffmpeg() {
    let data = crate::shared_or_skip!();
    // Two threads (the machine's cores), the videos shared out largest first.
    let work = std::sync::Mutex::new(VIDEOS.iter().rev().copied().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some(v) = work.lock().unwrap().pop() else {
                        break;
                    };
                    let o = oracle(&data, v);
                    let mut r = FrameReader::open(&data.join(v)).unwrap();
                    let info = VideoInfo::of(&r.mp4);
                    let t = std::time::Instant::now();
                    let mut got = Vec::new();
                    r.for_each(|i, y| {
                        assert_eq!(i, got.len());
                        assert_eq!((y.width, y.height), o.dims, "{v} frame {i} size");
                        got.push(md5_of(y));
                        true
                    })
                    .unwrap_or_else(|e| panic!("{v}: {e}"));
                    let secs = t.elapsed().as_secs_f64();
                    let bad = got.iter().zip(&o.md5).filter(|(a, b)| a != b).count();
                    results.lock().unwrap().push((
                        v,
                        got.len(),
                        o.md5.len(),
                        bad,
                        info,
                        o.fps,
                        secs,
                    ));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    assert_eq!(results.len(), VIDEOS.len());
    for (v, n, want, bad, info, fps, secs) in results {
        eprintln!(
            "{v}: {n} frames ({:.0} frames/s), {bad} differ; fps {} (ffmpeg {fps}), B-frames {}, keyframes every {} (max)",
            n as f64 / secs,
            info.fps,
            info.bframes,
            info.keyframe_max
        );
        assert_eq!(n, want, "{v}: frame count");
        assert_eq!(info.frames, want, "{v}: frame count from the boxes");
        assert_eq!(
            bad, 0,
            "{v}: frames whose yuv420p MD5 differs from ffmpeg's"
        );
        assert!(
            (info.fps - fps).abs() < 1e-6,
            "{v}: fps {} vs ffmpeg {fps}",
            info.fps
        );
        assert_eq!(
            (info.width as usize, info.height as usize),
            (oracle(&data, v).dims)
        );
    }
}

fn ref_pngs(data: &Path, video: &str) -> Vec<(usize, PathBuf)> {
    let s = stem(video);
    let mut out: Vec<(usize, PathBuf)> = std::fs::read_dir(data.join("video-ref"))
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&format!("{s}.frame"))?;
            let idx: usize = rest.strip_suffix(".png")?.parse().ok()?;
            Some((idx, data.join("video-ref").join(name)))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn rgb_frames_match_ffmpeg_rgb24() {
    let data = crate::shared_or_skip!();
    let mut worst: f64 = 0.0;
    for v in VIDEOS {
        let mut r = FrameReader::open(&data.join(v)).unwrap();
        let refs = ref_pngs(&data, v);
        assert_eq!(refs.len(), 3, "{v}: three reference frames");
        for (idx, png) in refs {
            let want = image::open(&png).unwrap().to_rgb8();
            let (w, h, got) = r.rgb(idx).unwrap();
            assert_eq!((w, h), want.dimensions(), "{v} frame {idx}");
            let mut sum = [0f64; 3];
            let mut max = 0u8;
            for (a, b) in got.chunks_exact(3).zip(want.as_raw().chunks_exact(3)) {
                for c in 0..3 {
                    let d = a[c].abs_diff(b[c]);
                    sum[c] += f64::from(d);
                    max = max.max(d);
                }
            }
            let px = f64::from(w * h);
            let mad = sum.map(|s| s / px);
            eprintln!(
                "{v} frame {idx}: mean abs diff R {:.3} G {:.3} B {:.3}, max {max}",
                mad[0], mad[1], mad[2]
            );
            for m in mad {
                worst = worst.max(m);
                assert!(
                    m <= 0.5,
                    "{v} frame {idx}: mean absolute difference {m} > 0.5"
                );
            }
            // swscale's fixed-point arithmetic is reproduced: every pixel equal.
            assert_eq!(max, 0, "{v} frame {idx}: largest difference");
        }
    }
    eprintln!("worst mean absolute difference per channel: {worst:.3}");
}

#[test]
fn random_seeks_equal_sequential_decoding() {
    let data = crate::shared_or_skip!();
    for v in [
        "lp-mirror-mouse/videos/test_vid.mp4",
        "slp/clip.mp4",
        "slp/dance.mp4",
    ] {
        let o = oracle(&data, v);
        let mut r = FrameReader::open(&data.join(v)).unwrap();
        let n = r.frame_count();
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut picks = Vec::new();
        for _ in 0..20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            picks.push((x % n as u64) as usize);
        }
        // and the hard cases: first, last, and stepping forward and back over B-frames
        picks.extend([0, n - 1, 7, 8, 9, 10, 9, 8]);
        for f in picks {
            let y = r.yuv(f).unwrap();
            assert_eq!(md5_of(&y), o.md5[f], "{v}: frame {f} after a seek");
        }
    }
}

/// Runs `posedeck ARGS` with a time limit (a FIFO must not hang it).
fn run_limited(args: &[&str]) -> (i32, String, String) {
    let mut child = crate::common::posedeck()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if t.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("posedeck {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `frames` on a damaged file: exit 2 and one line naming the file (and `what`).
fn assert_refused(path: &Path, out: &Path, what: &[&str]) -> String {
    let (code, _, err) = run_limited(&[
        "frames",
        path.to_str().unwrap(),
        "--every",
        "1",
        "-o",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 2, "{}: {err}", path.display());
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&*path.to_string_lossy()),
        "names the file: {err}"
    );
    assert!(what.iter().any(|w| err.contains(w)), "{what:?}: {err}");
    err
}

#[test]
fn frames_command_writes_the_decoded_frames() {
    let data = crate::shared_or_skip!();
    let v = data.join("lp-mirror-mouse/videos/test_vid.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("picked");
    let (code, stdout, err) = run_limited(&[
        "frames",
        v.to_str().unwrap(),
        "--at",
        "993,0,498",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("wrote 3 frame(s)"), "{stdout}");
    for f in [0, 498, 993] {
        let got = image::open(out.join(format!("img{f:08}.png")))
            .unwrap()
            .to_rgb8();
        let want = image::open(data.join(format!("video-ref/test_vid.frame{f:05}.png")))
            .unwrap()
            .to_rgb8();
        assert!(got == want, "frame {f} equals ffmpeg's rgb24");
    }
    // Existing files are refused without --force; nothing is changed.
    let before = std::fs::read(out.join("img00000000.png")).unwrap();
    let (code, _, err) = run_limited(&[
        "frames",
        v.to_str().unwrap(),
        "--at",
        "0",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("img00000000.png")).unwrap(), before);
    // --every, and frame indices past the end.
    let every = tmp.path().join("every");
    let (code, _, err) = run_limited(&[
        "frames",
        v.to_str().unwrap(),
        "--every",
        "100",
        "-o",
        every.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_dir(&every).unwrap().count(), 10);
    let (code, _, err) = run_limited(&["frames", v.to_str().unwrap(), "--at", "994"]);
    assert_eq!(code, 2);
    assert!(err.contains("past the video's 994 frames"), "{err}");
    // Without --at/--every: what the boxes say.
    let (code, stdout, err) = run_limited(&["frames", v.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["frames"], 994);
    assert_eq!(j["fps"], 250.0);
    assert_eq!(j["codec_name"], "h264");
    assert_eq!(j["pixel_format"], "yuv420p");
    assert_eq!(
        (j["width"].as_u64(), j["height"].as_u64()),
        (Some(396), Some(406))
    );
    assert_eq!(j["bframes"], true);
    assert_eq!(j["keyframe_max"], 250);
    assert_eq!(j["vfr"], false);
}

#[test]
fn damaged_videos_give_one_line_naming_the_file() {
    let data = crate::shared_or_skip!();
    let src = std::fs::read(data.join("lp-mirror-mouse/videos/test_vid.mp4")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let find = |kind: &[u8]| src.windows(4).position(|w| w == kind).unwrap() - 4;
    let moov = find(b"moov");
    let mdat = find(b"mdat");
    // Truncated: inside the sample data, inside `moov`, a few bytes long.
    for cut in [src.len() / 2, src.len() - 100, moov + 50, mdat + 20, 7] {
        let p = write(&format!("cut{cut}.mp4"), &src[..cut]);
        assert_refused(&p, &out, &["at byte", "truncated", "moov"]);
    }
    // `moov` missing (renamed).
    let mut no_moov = src.clone();
    no_moov[moov + 4..moov + 8].copy_from_slice(b"free");
    let p = write("nomoov.mp4", &no_moov);
    let e = assert_refused(&p, &out, &["no 'moov' box"]);
    assert!(e.contains("at byte"), "{e}");
    // A sample's NAL length made to overrun its sample: the frame is named.
    let r = FrameReader::open(&data.join("lp-mirror-mouse/videos/test_vid.mp4")).unwrap();
    let s = r.mp4.table.frames[10] as usize;
    let at = r.mp4.table.samples[s].offset as usize;
    let mut bad = src.clone();
    bad[at] = 0x7f;
    let p = write("badlen.mp4", &bad);
    let e = assert_refused(&p, &out, &["frame 10:"]);
    assert!(e.contains("at byte"), "{e}");
    // Flipped bytes inside samples: decoded (damage an H.264 decoder cannot see) or one
    // line naming the frame; never a panic or an abort.
    for k in 0..24usize {
        let f = (k * 41) % 994;
        let smp = r.mp4.table.samples[r.mp4.table.frames[f] as usize];
        let mut bad = src.clone();
        let at = smp.offset as usize + 4 + (k * 7919) % (smp.size as usize - 4).max(1);
        bad[at] ^= 1 << (k % 8);
        let p = write("flip.mp4", &bad);
        let (code, _, err) = run_limited(&[
            "frames",
            p.to_str().unwrap(),
            "--every",
            "7",
            "-o",
            out.to_str().unwrap(),
            "--force",
        ]);
        assert!(
            code == 0 || code == 2,
            "flip at byte {at}: exit {code}: {err}"
        );
        if code == 2 {
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
            assert!(err.contains("flip.mp4") && err.contains("frame "), "{err}");
        }
    }
    // Not an MP4, a FIFO, a device: refused at once.
    let p = write("text.mp4", b"this is not a video at all");
    let (code, _, err) = run_limited(&[
        "frames",
        p.to_str().unwrap(),
        "--at",
        "0",
        "-o",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Not an MP4: posedeck says so (and what to install), or ffmpeg's own error when installed.
    assert!(
        err.contains("text.mp4") && (err.contains("not an MP4") || err.contains("ffmpeg")),
        "{err}"
    );
    let fifo = tmp.path().join("fifo.mp4");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    assert_refused(&fifo, &out, &["not a regular file"]);
    let zero = tmp.path().join("zero.mp4");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    assert_refused(&zero, &out, &["not a regular file"]);
}

#[test]
fn random_mutations_of_the_boxes_never_panic() {
    let data = crate::shared_or_skip!();
    let path = data.join("slp/dance.mp4");
    let src = std::fs::read(&path).unwrap();
    let moov = src.windows(4).position(|w| w == b"moov").unwrap() - 4;
    let moov_len = u32::from_be_bytes(src[moov..moov + 4].try_into().unwrap()) as usize;
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("m.mp4");
    let mut x: u64 = 12345;
    let (mut opened, mut refused) = (0, 0);
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut bad = src.clone();
        let at = moov + (x as usize >> 8) % moov_len;
        bad[at] = (x & 0xff) as u8;
        std::fs::write(&p, &bad).unwrap();
        match FrameReader::open(&p) {
            Ok(mut r) => {
                opened += 1;
                let n = r.frame_count();
                for f in [0, n / 2, n.saturating_sub(1)] {
                    let _ = r.yuv(f.min(n.saturating_sub(1)));
                }
            }
            Err(e) => {
                refused += 1;
                assert!(e.to_string().contains("m.mp4"), "{e}");
            }
        }
    }
    eprintln!("400 mutated moov boxes: {opened} opened, {refused} refused, no panic");
}

#[test]
fn labels_convert_of_a_slp_on_clip_mp4_writes_the_frames() {
    let data = crate::shared_or_skip!();
    let src = data.join("slp/clip.slp");
    let tmp = tempfile::tempdir().unwrap();
    let mut out = tmp.path().join("lp");
    let (mut code, mut stdout, mut err) = run_limited(&[
        "labels",
        "convert",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    if code == 2 && err.contains("--instance") {
        out = tmp.path().join("lp0");
        (code, stdout, err) = run_limited(&[
            "labels",
            "convert",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            "--instance",
            "0",
        ]);
    }
    assert_eq!(code, 0, "{err}");
    let table = posedeck::formats::csv::PoseTable::read(&out.join("CollectedData.csv")).unwrap();
    assert!(!table.index.is_empty());
    assert!(
        stdout.contains(&format!("{} images", table.index.len())),
        "{stdout}"
    );
    let mut r = FrameReader::open(&data.join("slp/clip.mp4")).unwrap();
    for rel in &table.index {
        let digits: String = Path::new(rel)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        let f: usize = digits.parse().unwrap();
        let got = image::open(out.join(rel)).unwrap().to_rgb8();
        let (w, h, want) = r.rgb(f).unwrap();
        assert_eq!(got.dimensions(), (w, h), "{rel}");
        assert!(got.as_raw() == &want, "{rel}: the decoded frame {f}");
    }
}

#[test]
fn videos_view_shows_frame_folders_and_damaged_videos_in_place() {
    use posedeck::tui::action::Action;
    use posedeck::tui::data::FrameSource;
    let (w, h) = (120, 40);
    let body = posedeck::tui::views::body_rect(ratatui::layout::Rect::new(0, 0, w, h));
    let request = |app: &posedeck::tui::app::App| {
        posedeck::tui::frames::request(app, body, ratatui_image::picker::ProtocolType::Halfblocks)
            .expect("an image request")
    };
    // The demo's frame folders (videos/<video>/img%08d.png), without predictions.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let spec = posedeck::demo::DemoSpec {
        frames: 12,
        keypoints: 6,
        seed: 3,
        width: 128,
        height: 96,
        videos: 2,
        clip_frames: 5,
    };
    posedeck::demo::generate(&spec, &dir).unwrap();
    let (mut app, mut hl) = crate::tui::open(&dir, w, h);
    crate::tui::act(&mut app, &mut hl, w, h, &[Action::ViewVideos]);
    assert_eq!(posedeck::tui::state::videos::n_frames(&app), 5);
    for step in 0..3 {
        let req = request(&app);
        match &req.source {
            FrameSource::File(p) => {
                assert!(p.ends_with(format!("img{step:08}.png")), "{p:?}");
                assert!(p.starts_with(dir.join("videos")), "{p:?}");
            }
            other => panic!("frame {step}: not the folder's image: {other:?}"),
        }
        let img = app.image.as_ref().expect("an image");
        assert!(img.result.is_ok(), "{:?}", img.result.as_ref().err());
        assert_eq!(img.source_size, (128, 96));
        let s = posedeck::tui::headless::screen(&app, w, h);
        assert!(
            !s.contains("not found") && !s.contains("blank canvas"),
            "{s}"
        );
        crate::tui::act(&mut app, &mut hl, w, h, &[Action::Right]);
    }

    // A video cut short (its `moov` at the start, as `dance.mp4` has it): the frames past the
    // cut show the error in place, naming the file and frame; the frames before it still
    // show; the workstation goes on.
    let data = crate::shared_or_skip!();
    let bytes = std::fs::read(data.join("slp/dance.mp4")).unwrap();
    let v = dir.join("videos/dance.mp4");
    std::fs::write(&v, &bytes[..bytes.len() * 6 / 10]).unwrap();
    let (mut app, mut hl) = crate::tui::open(&dir, w, h);
    crate::tui::act(&mut app, &mut hl, w, h, &[Action::ViewVideos]);
    assert_eq!(
        posedeck::tui::state::videos::n_frames(&app),
        450,
        "dance: 450 frames"
    );
    let img = app.image.as_ref().expect("an image");
    assert!(
        img.result.is_ok(),
        "frame 0 is before the cut: {:?}",
        img.result.as_ref().err()
    );
    assert_eq!(img.source_size, (406, 720));
    crate::tui::act(&mut app, &mut hl, w, h, &[Action::Bottom]);
    let img = app.image.as_ref().expect("an image");
    let e = img
        .result
        .as_ref()
        .err()
        .expect("the last frame is past the cut");
    assert!(
        e.contains("dance.mp4") && e.contains("frame ") && e.contains("truncated"),
        "{e}"
    );
    crate::tui::act(&mut app, &mut hl, w, h, &[Action::ViewOverview]);
    let s = posedeck::tui::headless::screen(&app, w, h);
    assert!(s.contains("Videos"), "{s}");
}

/// Stepping forward in the Videos view takes the frame the worker prepared while the previous
/// one was on screen: it must be the very pixels a fresh decode gives, for a zoomed view too,
/// and never a frame of a file that was replaced in between.
#[test]
fn prefetched_next_frame_is_the_decoded_frame() {
    use posedeck::tui::data::FrameSource;
    use posedeck::tui::image::{Cache, ImageRequest, encode, prefetch};
    use ratatui_image::picker::ProtocolType;
    let data = crate::shared_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("v.mp4");
    std::fs::copy(data.join("lp-mirror-mouse/videos/test_vid.mp4"), &v).unwrap();
    let picker = posedeck::tui::image::halfblocks_picker();
    let font = posedeck::tui::image::font_of(&picker);
    let req = |frame: u64, zoom: f64| ImageRequest {
        source: FrameSource::Video {
            path: v.clone(),
            frame,
            width: 396,
            height: 406,
        },
        markers: Vec::new(),
        lines: Vec::new(),
        zoom,
        center: Some((150.0, 220.0)),
        cells: (90, 30),
        protocol: ProtocolType::Halfblocks,
        look: Default::default(),
    };
    for zoom in [1.0, 2.5] {
        let mut cache = Cache::default();
        for f in [100u64, 101, 102] {
            let r = encode(&picker, &mut cache, f, &req(f, zoom));
            assert!(r.result.is_ok(), "{:?}", r.result.err());
            prefetch(&picker, &mut cache, &req(f, zoom));
            let got = cache.scaled(&req(f + 1, zoom), font).unwrap();
            let want = Cache::default().scaled(&req(f + 1, zoom), font).unwrap();
            assert_eq!(got.img.dimensions(), want.img.dimensions());
            assert!(
                got.img == want.img,
                "frame {}: prefetched pixels differ",
                f + 1
            );
            assert_eq!((got.origin, got.scale), (want.origin, want.scale));
        }
    }
    // Prepared for frame 11 of test_vid, then the file becomes clip.mp4 (1024x1024).
    let mut cache = Cache::default();
    let _ = encode(&picker, &mut cache, 1, &req(10, 1.0));
    prefetch(&picker, &mut cache, &req(10, 1.0));
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::copy(data.join("slp/clip.mp4"), &v).unwrap();
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&v)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let got = cache.scaled(&req(11, 1.0), font).unwrap();
    assert_eq!(got.source_size, (1024, 1024), "the new file's frame");
}

/// A video posedeck does not decode itself (here `test_vid.mp4` relabelled as HEVC, `hvc1`):
/// without ffmpeg on PATH the one-line error names the codec and what to install; with an
/// `ffmpeg` on PATH the frame comes from it (a stand-in that checks it was asked for the
/// right frame and answers with ffmpeg's own rgb24 PNG of it).
#[test]
fn other_codecs_go_to_ffmpeg_or_say_what_to_install() {
    let data = crate::shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(data.join("lp-mirror-mouse/videos/test_vid.mp4")).unwrap();
    // The sample entry inside `stsd` (the `ftyp` box may name `avc1` as a brand too).
    let stsd = bytes.windows(4).position(|w| w == b"stsd").expect("stsd");
    let at = stsd
        + bytes[stsd..]
            .windows(4)
            .position(|w| w == b"avc1")
            .expect("an avc1 sample entry");
    bytes[at..at + 4].copy_from_slice(b"hvc1");
    let v = tmp.path().join("hevc.mp4");
    std::fs::write(&v, &bytes).unwrap();
    let out = tmp.path().join("out");
    let run = |path: &Path| {
        let o = crate::common::posedeck()
            .env("PATH", path)
            .args(["frames", v.to_str().unwrap(), "--at", "0", "-o"])
            .arg(&out)
            .arg("--force")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let empty = tmp.path().join("bin-empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, err) = run(&empty);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("hevc.mp4") && err.contains("'hvc1'") && err.contains("install ffmpeg"),
        "{err}"
    );
    assert!(!out.join("img00000000.png").exists());

    let (_, png) = ref_pngs(&data, "lp-mirror-mouse/videos/test_vid.mp4")
        .into_iter()
        .find(|(f, _)| *f == 0)
        .expect("ffmpeg's frame 0");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let ff = bin.join("ffmpeg");
    std::fs::write(
        &ff,
        format!(
            "#!/bin/sh\ncase \"$*\" in\n  *'{}'*'select=eq(n\\,0)'*) exec /bin/cat '{}' ;;\n  *) echo \"unexpected: $*\" >&2; exit 1 ;;\nesac\n",
            v.display(),
            png.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ff, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, err) = run(&bin);
    assert_eq!(code, 0, "{err}");
    let got = image::open(out.join("img00000000.png")).unwrap().to_rgb8();
    let want = image::open(&png).unwrap().to_rgb8();
    assert!(got == want, "the frame ffmpeg gave");
}
