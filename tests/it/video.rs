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
