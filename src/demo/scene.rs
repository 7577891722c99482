//! One video's look (textured floor, lighting, colours, an optional occluder) and the
//! rendering of a body onto it.

use super::body::{Body, EYE_R, Ellipse, NOSE_R, P, PAW_R};
use super::raster::{Blob, Canvas, Disc, Rgb, Shape, luma, mix, scale};
use super::rng::{Rng, value_noise};

const FLOORS: [Rgb; 5] = [
    [0.76, 0.68, 0.52], // sand
    [0.62, 0.62, 0.60], // grey bedding
    [0.42, 0.55, 0.38], // green felt
    [0.50, 0.56, 0.64], // blue-grey plastic
    [0.28, 0.30, 0.33], // dark slate
];
const COATS: [Rgb; 5] = [
    [0.32, 0.21, 0.13], // dark brown
    [0.16, 0.16, 0.18], // charcoal
    [0.93, 0.91, 0.87], // white
    [0.88, 0.52, 0.20], // orange
    [0.70, 0.55, 0.38], // tan
];
/// Smallest luma difference between coat and floor, so the animal is always learnable.
pub const MIN_CONTRAST: f32 = 0.3;

/// Paw/nose and ear colours: paws from a few candidates, the one that stands out most
/// against the floor while staying distinct from the coat; ears are the coat pushed away
/// from the floor (darker on a lighter floor, lighter on a darker one).
fn markings(coat: Rgb, floor: Rgb) -> (Rgb, Rgb) {
    const CANDIDATES: [Rgb; 4] = [
        [0.90, 0.55, 0.60], // pink
        [0.06, 0.05, 0.05], // black
        [0.96, 0.95, 0.92], // white
        [0.55, 0.22, 0.28], // dark red
    ];
    let dist = |a: Rgb, b: Rgb| (0..3).map(|i| (a[i] - b[i]).abs()).fold(0.0f32, f32::max);
    let score = |c: &Rgb| dist(*c, floor).min(dist(*c, coat) + 0.3);
    let paw = CANDIDATES
        .iter()
        .copied()
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .unwrap_or(CANDIDATES[0]);
    let ear = if luma(coat) < luma(floor) {
        scale(coat, 0.6)
    } else {
        mix(coat, [1.0, 1.0, 1.0], 0.5)
    };
    (paw, ear)
}

/// A static foreground object (leaf or stone) the animal walks under.
#[derive(Clone, Debug)]
pub struct Occluder {
    pub blob: Blob,
    pub colour: Rgb,
}

/// Parameters of the floor texture and lighting.
#[derive(Clone, Debug)]
struct Texture {
    seed: u64,
    coarse: f64,
    medium: f64,
    fine: f64,
    stripe_dir: f64,
    stripe_period: f64,
    stripe_amp: f64,
    tint: f64,
    light_dir: f64,
    light_strength: f64,
    vignette: f64,
}

/// Everything that stays fixed along one video.
#[derive(Clone, Debug)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub coat: Rgb,
    pub paw: Rgb,
    pub ear: Rgb,
    pub floor: Rgb,
    pub occluder: Option<Occluder>,
    texture: Texture,
    /// The floor before lighting (empty until painted).
    background: Canvas,
    /// Multiplicative lighting per pixel (gradient and vignette).
    lighting: Vec<f32>,
}

impl Scene {
    /// The look of video `video` for `seed` without painting the floor: enough to decide
    /// occlusion (the benchmark project uses it; nothing is rendered).
    pub fn outline(seed: u64, video: u64, width: u32, height: u32, with_occluder: bool) -> Scene {
        let mut rng = Rng::stream(seed, "scene", video);
        let floor = FLOORS[rng.below(FLOORS.len() as u64) as usize];
        let coats: Vec<Rgb> = COATS
            .iter()
            .copied()
            .filter(|c| (luma(*c) - luma(floor)).abs() >= MIN_CONTRAST)
            .collect();
        let coat = coats
            .get(rng.below(coats.len() as u64) as usize)
            .copied()
            .unwrap_or(if luma(floor) > 0.5 {
                COATS[1]
            } else {
                COATS[2]
            });
        let (paw, ear) = markings(coat, floor);
        let (w, h) = (width as f64, height as f64);
        let m = w.min(h);
        let texture = Texture {
            seed: rng.next_u64(),
            coarse: m / rng.range(5.0, 9.0),
            medium: rng.range(5.0, 8.0),
            fine: rng.range(2.0, 3.0),
            stripe_dir: rng.range(0.0, std::f64::consts::PI),
            stripe_period: m / rng.range(8.0, 16.0),
            stripe_amp: rng.range(0.02, 0.06),
            tint: rng.range(0.02, 0.06),
            light_dir: rng.range(0.0, std::f64::consts::TAU),
            light_strength: rng.range(0.06, 0.15),
            vignette: rng.range(0.05, 0.12),
        };
        let occluder = with_occluder.then(|| {
            let a = m * rng.range(0.11, 0.16);
            let b = m * rng.range(0.07, 0.11);
            let c = [rng.range(0.2 * w, 0.8 * w), rng.range(0.2 * h, 0.8 * h)];
            let leaf = rng.chance(0.5);
            Occluder {
                blob: Blob {
                    ellipse: Ellipse {
                        c,
                        a,
                        b,
                        angle: rng.range(0.0, std::f64::consts::PI),
                    },
                    seed: rng.next_u64(),
                    wobble: 0.25 * b,
                },
                colour: if leaf {
                    [0.30, 0.45, 0.18]
                } else {
                    [0.55, 0.52, 0.48]
                },
            }
        });
        Scene {
            width,
            height,
            coat,
            paw,
            ear,
            floor,
            occluder,
            texture,
            background: Canvas::new(0, 0, floor),
            lighting: Vec::new(),
        }
    }

    /// The look of video `video` for `seed`, with the floor and lighting painted (what
    /// [`Scene::render`] needs).
    pub fn new(seed: u64, video: u64, width: u32, height: u32, with_occluder: bool) -> Scene {
        let mut s = Scene::outline(seed, video, width, height, with_occluder);
        s.paint();
        s
    }

    /// Paints the floor texture (value noise at three scales and faint stripes: bedding or
    /// boards) and the lighting (a linear gradient and a vignette).
    fn paint(&mut self) {
        let t = &self.texture;
        let (width, height) = (self.width, self.height);
        let (w, h) = (width as f64, height as f64);
        let floor = self.floor;
        let (sd, cd) = t.stripe_dir.sin_cos();
        let mut background = Canvas::new(width, height, floor);
        for y in 0..height {
            for x in 0..width {
                let (fx, fy) = (x as f64, y as f64);
                let n1 = value_noise(t.seed, fx / t.coarse, fy / t.coarse) - 0.5;
                let n2 = value_noise(t.seed ^ 1, fx / t.medium, fy / t.medium) - 0.5;
                let n3 = value_noise(t.seed ^ 2, fx / t.fine, fy / t.fine) - 0.5;
                let n4 = value_noise(t.seed ^ 3, fx / t.coarse * 0.7, fy / t.coarse * 0.7) - 0.5;
                let phase = (fx * cd + fy * sd) / t.stripe_period * std::f64::consts::TAU;
                let stripes = (phase + 4.0 * n1).sin() * t.stripe_amp;
                let k = 1.0 + 0.20 * n1 + 0.10 * n2 + 0.06 * n3 + stripes;
                let px = [
                    floor[0] as f64 * k * (1.0 + t.tint * n4),
                    floor[1] as f64 * k,
                    floor[2] as f64 * k * (1.0 - t.tint * n4),
                ];
                let i = y as usize * width as usize + x as usize;
                if let Some(dst) = background.px.get_mut(i) {
                    *dst = [px[0] as f32, px[1] as f32, px[2] as f32];
                }
            }
        }
        let (ls, lc) = t.light_dir.sin_cos();
        let half = (w * w + h * h).sqrt() / 2.0;
        let mut lighting = Vec::with_capacity(width as usize * height as usize);
        for y in 0..height {
            for x in 0..width {
                let dx = x as f64 - w / 2.0;
                let dy = y as f64 - h / 2.0;
                let g = (dx * lc + dy * ls) / half;
                let r2 = (dx * dx + dy * dy) / (half * half);
                lighting.push((1.0 + t.light_strength * g - t.vignette * r2) as f32);
            }
        }
        self.background = background;
        self.lighting = lighting;
    }

    /// The empty floor as the camera sees it (lit), without animal or occluder.
    pub fn background(&self) -> Canvas {
        let mut c = self.background.clone();
        self.light(&mut c);
        c
    }

    fn light(&self, c: &mut Canvas) {
        for (p, l) in c.px.iter_mut().zip(&self.lighting) {
            *p = scale(*p, *l);
        }
    }

    /// True when the occluder hides the point (or comes within 1.5 pixels of it).
    pub fn occluded(&self, p: P) -> bool {
        self.occluder
            .as_ref()
            .is_some_and(|o| o.blob.sdf(p).0 < 1.5)
    }

    /// Renders one frame: floor, soft shadow, legs and paws, body from tail to head, ears,
    /// eyes and nose, occluder, lighting.
    pub fn render(&self, body: &Body) -> Canvas {
        let s = body.scale;
        let mut c = self.background.clone();
        let midline = body.midline_capsules();
        let legs = body.leg_capsules();

        let mut shadow = vec![0.0f32; c.px.len()];
        let off = [0.03 * s, 0.05 * s];
        let soft = (0.04 * s).max(1.0);
        for cap in legs.iter().chain(&midline) {
            c.soft_mask(&mut shadow, cap, off, soft);
        }
        for (p, k) in c.px.iter_mut().zip(&shadow) {
            *p = scale(*p, 1.0 - 0.35 * k);
        }

        let coat = self.coat;
        let shaded = move |_: P, d: f64, r: f64| -> Rgb {
            let depth = (-d / r.max(1e-9)).clamp(0.0, 1.0).sqrt() as f32;
            scale(coat, 0.8 + 0.2 * depth)
        };
        let flat = |col: Rgb| move |_: P, _: f64, _: f64| -> Rgb { col };
        let min_r = super::body::MIN_RADIUS_PX;
        for cap in &legs {
            c.fill(cap, &shaded);
        }
        for leg in &body.legs {
            let paw = Disc {
                c: leg[2],
                r: (PAW_R * s).max(min_r),
            };
            c.fill(&paw, &flat(self.paw));
        }
        for cap in &midline {
            c.fill(cap, &shaded);
        }
        for ear in &body.ears {
            c.fill(ear, &flat(self.ear));
        }
        // Eyes keep their true size down to 1 pixel (inflating them would smear them over
        // the head at small image sizes); the light ring only where there is room for it.
        let eye_r = (EYE_R * s).max(1.0);
        let ring = luma(self.coat) < 0.45 && eye_r >= 2.0;
        for eye in &body.eyes {
            let pupil = if ring { 0.6 * eye_r } else { eye_r };
            if ring {
                c.fill(&Disc { c: *eye, r: eye_r }, &flat([0.92, 0.9, 0.78]));
            }
            c.fill(&Disc { c: *eye, r: pupil }, &flat([0.03, 0.03, 0.03]));
        }
        c.fill(
            &Disc {
                c: body.joints[0],
                r: (NOSE_R * s).max(min_r),
            },
            &flat(self.ear),
        );
        if let Some(o) = &self.occluder {
            let col = o.colour;
            let seed = o.blob.seed;
            c.fill(&o.blob, &move |p: P, d: f64, r: f64| {
                let n = value_noise(seed, p[0] / 4.0, p[1] / 4.0) as f32 - 0.5;
                let depth = (-d / r.max(1e-9)).clamp(0.0, 1.0).sqrt() as f32;
                scale(col, (0.75 + 0.25 * depth) * (1.0 + 0.3 * n))
            });
        }
        self.light(&mut c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coat_always_contrasts_with_floor() {
        for v in 0..200 {
            let s = Scene::new(9, v, 32, 32, v % 2 == 1);
            assert!((luma(s.coat) - luma(s.floor)).abs() >= MIN_CONTRAST);
            assert_eq!(s.occluder.is_some(), v % 2 == 1);
        }
    }
}
