//! The pose sampler: an animal walking around the arena. Position, heading and speed follow
//! smooth random processes (Ornstein-Uhlenbeck), the gait phase advances with speed, the
//! spine undulates with the gait and bends into turns, and the animal steers back when it
//! nears the edge (sometimes too late: parts then leave the frame).

use super::body::{JOINTS, Pose, wrap};
use super::rng::Rng;

/// Simulation steps per second of video.
pub const FPS: f64 = 30.0;

#[derive(Clone, Debug)]
pub struct Walker {
    rng: Rng,
    width: f64,
    height: f64,
    scale: f64,
    pos: [f64; 2],
    heading: f64,
    speed: f64,
    turn: f64,
    /// Turn rate actually applied in the last step (with steering).
    turn_now: f64,
    head: f64,
    phase: f64,
    wiggle: [f64; JOINTS],
    swing: f64,
}

impl Walker {
    pub fn new(seed: u64, video: u64, width: u32, height: u32) -> Walker {
        let mut rng = Rng::stream(seed, "walk", video);
        let (w, h) = (width as f64, height as f64);
        let m = w.min(h);
        let scale = m * rng.range(0.30, 0.37);
        Walker {
            pos: [rng.range(0.35 * w, 0.65 * w), rng.range(0.35 * h, 0.65 * h)],
            heading: rng.range(-std::f64::consts::PI, std::f64::consts::PI),
            speed: rng.range(0.3, 0.8),
            turn: rng.normal() * 0.3,
            turn_now: 0.0,
            head: 0.0,
            phase: rng.range(0.0, std::f64::consts::TAU),
            wiggle: [0.0; JOINTS],
            swing: rng.range(0.35, 0.55),
            width: w,
            height: h,
            scale,
            rng,
        }
    }

    /// Advances one step of 1/FPS seconds.
    pub fn step(&mut self) {
        let dt = 1.0 / FPS;
        let sq = dt.sqrt();
        let r = &mut self.rng;
        // Speed (body units per second) and turn rate (radians per second): OU processes.
        self.speed += 1.5 * (0.6 - self.speed) * dt + 0.5 * sq * r.normal();
        self.speed = self.speed.clamp(0.05, 1.3);
        self.turn += -1.2 * self.turn * dt + 1.6 * sq * r.normal();
        self.head += -3.0 * self.head * dt + 1.2 * sq * r.normal();
        self.head = self.head.clamp(-0.7, 0.7);
        for w in self.wiggle.iter_mut() {
            *w += -4.0 * *w * dt + 0.25 * sq * r.normal();
        }
        // Steer back towards the middle near the edges.
        let margin = 0.3 * self.width.min(self.height);
        let edge = self.pos[0]
            .min(self.width - self.pos[0])
            .min(self.pos[1])
            .min(self.height - self.pos[1]);
        let urgency = ((margin - edge) / margin).clamp(0.0, 1.5);
        let want = (self.height / 2.0 - self.pos[1]).atan2(self.width / 2.0 - self.pos[0]);
        let steer = 3.0 * urgency * wrap(want - self.heading);
        let turn = (self.turn + steer).clamp(-4.0, 4.0);
        self.heading = wrap(self.heading + turn * dt);
        let v = self.speed * self.scale * dt;
        self.pos[0] += v * self.heading.cos();
        self.pos[1] += v * self.heading.sin();
        self.phase = (self.phase + std::f64::consts::TAU * (0.8 + 1.8 * self.speed) * dt)
            % std::f64::consts::TAU;
        self.turn_now = turn;
    }

    /// The pose at the current step.
    pub fn pose(&self) -> Pose {
        let mut bends = [0.0; JOINTS];
        // Undulation travelling down the body, larger in the tail; the spine also bends into
        // the current turn, and the head looks around.
        let amp = 0.08 + 0.10 * self.speed;
        for (j, b) in bends.iter_mut().enumerate().take(JOINTS - 1).skip(1) {
            let tail = if j >= 5 {
                1.0 + 0.35 * (j - 4) as f64
            } else {
                1.0
            };
            let wave = amp * tail * (self.phase - 0.9 * j as f64).sin();
            let into_turn = -0.08 * self.turn_now;
            *b = wave + into_turn + self.wiggle[j];
        }
        bends[1] += self.head;
        Pose {
            centre: self.pos,
            heading: self.heading,
            scale: self.scale,
            bends,
            phase: self.phase,
            swing: self.swing,
        }
    }
}
