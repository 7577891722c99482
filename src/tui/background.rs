//! The terminal's background colour, asked once at start so the theme matches it: OSC 11
//! (`ESC ] 11 ; ? ST`) followed by a status query (`ESC [ 5 n`, which every terminal
//! answers). Terminals answer in order, so the status reply ends the wait at once on a
//! terminal that does not know OSC 11; one that answers nothing is waited for [`TIMEOUT`].
//! The replies are read byte by byte from the terminal in raw mode (no echo), up to the
//! status reply and not beyond, so none of it reaches the screen or the input reader.

use std::time::{Duration, Instant};

/// How long a terminal that answers nothing is waited for.
pub const TIMEOUT: Duration = Duration::from_millis(200);

/// A colour, each channel 0.0-1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb {
    pub r: f64,
    pub g: f64,
    pub b: f64,
}

impl Rgb {
    /// WCAG relative luminance (sRGB channels linearised).
    pub fn luminance(&self) -> f64 {
        let lin = |c: f64| {
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.r) + 0.7152 * lin(self.g) + 0.0722 * lin(self.b)
    }

    /// Whether dark text reads better than light text on it: black text has the higher
    /// WCAG contrast ratio above a luminance of sqrt(1.05 * 0.05) - 0.05 = 0.179.
    pub fn is_light(&self) -> bool {
        self.luminance() > (1.05f64 * 0.05).sqrt() - 0.05
    }

    /// `#rrggbb`.
    pub fn hex(&self) -> String {
        let q = |c: f64| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", q(self.r), q(self.g), q(self.b))
    }
}

/// What the start-up probe found.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// The terminal said its background.
    Answered(Rgb),
    /// It answered the status query but not OSC 11.
    Unsupported,
    /// Nothing within [`TIMEOUT`].
    NoAnswer,
    /// Not asked (why).
    Skipped(&'static str),
}

impl Probe {
    /// The built-in theme for it: `light` on a light background, else `dark`.
    pub fn theme_name(&self) -> &'static str {
        match self {
            Probe::Answered(c) if c.is_light() => "light",
            _ => "dark",
        }
    }
    /// A short word for the timings line and the status bar.
    pub fn describe(&self) -> String {
        match self {
            Probe::Answered(c) => c.hex(),
            Probe::Unsupported => "unsupported".into(),
            Probe::NoAnswer => "no-answer".into(),
            Probe::Skipped(_) => "not-asked".into(),
        }
    }
}

/// One channel of `rgb:`: 1-4 hex digits, scaled by their own width (`f` and `ffff` are
/// both full).
fn channel(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(s, 16).ok()?;
    let max = (1u32 << (4 * s.len())) - 1;
    Some(v as f64 / max as f64)
}

/// An X11 colour spec as terminals report it: `rgb:R/G/B` (1-4 hex digits a channel),
/// `rgba:R/G/B/A` (alpha ignored), or `#rgb`, `#rrggbb`, `#rrrgggbbb`, `#rrrrggggbbbb`.
pub fn parse_colour(spec: &str) -> Option<Rgb> {
    let spec = spec.trim();
    let lower = spec.to_ascii_lowercase();
    let rgb = |parts: &[&str]| -> Option<Rgb> {
        Some(Rgb {
            r: channel(parts[0])?,
            g: channel(parts[1])?,
            b: channel(parts[2])?,
        })
    };
    if let Some(rest) = lower.strip_prefix("rgb:") {
        let parts: Vec<&str> = rest.split('/').collect();
        return if parts.len() == 3 { rgb(&parts) } else { None };
    }
    if let Some(rest) = lower.strip_prefix("rgba:") {
        let parts: Vec<&str> = rest.split('/').collect();
        return if parts.len() == 4 && channel(parts[3]).is_some() {
            rgb(&parts)
        } else {
            None
        };
    }
    if let Some(hex) = lower.strip_prefix('#') {
        let n = hex.len();
        if !matches!(n, 3 | 6 | 9 | 12) || !hex.is_ascii() {
            return None;
        }
        let w = n / 3;
        return rgb(&[&hex[..w], &hex[w..2 * w], &hex[2 * w..]]);
    }
    None
}

/// What the bytes read so far hold: the OSC 11 reply's colour (if any and well formed) and
/// whether the status reply (`ESC [ Pn n`) has come, which ends the wait.
#[derive(Debug, Default, PartialEq)]
pub struct Replies {
    pub colour: Option<Rgb>,
    /// An OSC 11 reply came (even one whose colour could not be read).
    pub osc11: bool,
    pub status: bool,
}

/// Scans terminal input for the replies (anything else, such as a key typed meanwhile, is
/// passed over).
pub fn parse_replies(buf: &[u8]) -> Replies {
    let mut out = Replies::default();
    let mut i = 0;
    while i < buf.len() {
        if buf[i] != 0x1b {
            i += 1;
            continue;
        }
        let rest = &buf[i + 1..];
        if let Some(body) = rest.strip_prefix(b"]11;") {
            // Up to BEL or ST (ESC \).
            let end = body.iter().enumerate().find_map(|(k, &b)| match b {
                0x07 => Some((k, 1)),
                0x1b if body.get(k + 1) == Some(&b'\\') => Some((k, 2)),
                _ => None,
            });
            let Some((k, term)) = end else {
                // Not complete yet.
                return out;
            };
            out.osc11 = true;
            if out.colour.is_none() {
                out.colour = std::str::from_utf8(&body[..k]).ok().and_then(parse_colour);
            }
            i += 1 + 4 + k + term;
            continue;
        }
        if let Some(csi) = rest.strip_prefix(b"[") {
            let digits = csi.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 && csi.get(digits) == Some(&b'n') {
                out.status = true;
                return out;
            }
        }
        i += 1;
    }
    out
}

/// Why the query is not sent here, if it is not: GNU screen passes neither it nor its reply
/// (and may show it), the Linux console and `dumb` know no OSC 11 (the console is dark).
/// Inside tmux the query goes to tmux itself, which answers for the pane when it knows the
/// colour (a `window-style` background, or what the outer terminal told it) and otherwise
/// answers only the status query.
pub fn skip_reason() -> Option<&'static str> {
    let term = std::env::var("TERM").unwrap_or_default();
    if term.is_empty() || term == "dumb" {
        return Some("TERM is dumb or unset");
    }
    if term == "linux" || term.starts_with("linux-") {
        return Some("the Linux console");
    }
    if std::env::var_os("TMUX").is_some() {
        return None;
    }
    if std::env::var_os("STY").is_some() || term.starts_with("screen") {
        return Some("GNU screen");
    }
    None
}

/// Asks the terminal (stdout, replies on stdin, which must be in raw mode) for its
/// background, waiting at most `timeout` for an answer.
pub fn query(timeout: Duration) -> Probe {
    use std::io::Write;
    let mut out = std::io::stdout();
    if out
        .write_all(b"\x1b]11;?\x1b\\\x1b[5n")
        .and_then(|_| out.flush())
        .is_err()
    {
        return Probe::NoAnswer;
    }
    let end = Instant::now() + timeout;
    let mut buf: Vec<u8> = Vec::with_capacity(64);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut pfd = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: poll on one pollfd that lives across the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        if n == 0 {
            break;
        }
        if pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
            && pfd.revents & libc::POLLIN == 0
        {
            break;
        }
        // One byte at a time: nothing after the status reply is taken from the input.
        let mut b = 0u8;
        // SAFETY: read of at most one byte into a local.
        let r = unsafe { libc::read(0, (&mut b as *mut u8).cast(), 1) };
        if r < 0 {
            let k = std::io::Error::last_os_error().kind();
            if matches!(
                k,
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ) {
                continue;
            }
            break;
        }
        if r == 0 {
            break;
        }
        buf.push(b);
        if buf.len() > 4096 {
            break;
        }
        // A reply ends in BEL, `\` (of ST) or `n` (status): only then can it be complete.
        if matches!(b, 0x07 | b'\\' | b'n') {
            let r = parse_replies(&buf);
            if r.status {
                return match r.colour {
                    Some(c) => Probe::Answered(c),
                    None => Probe::Unsupported,
                };
            }
        }
    }
    match parse_replies(&buf).colour {
        Some(c) => Probe::Answered(c),
        None => Probe::NoAnswer,
    }
}

/// The probe as the workstation runs it: skipped where it must be, else [`query`].
pub fn detect() -> Probe {
    match skip_reason() {
        Some(why) => Probe::Skipped(why),
        None => query(TIMEOUT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(c: Rgb, r: f64, g: f64, b: f64) -> bool {
        (c.r - r).abs() < 1e-3 && (c.g - g).abs() < 1e-3 && (c.b - b).abs() < 1e-3
    }

    #[test]
    fn colour_specs() {
        let c = parse_colour("rgb:ffff/ffff/ffff").unwrap();
        assert!(close(c, 1.0, 1.0, 1.0) && c.is_light());
        let c = parse_colour("rgb:0000/0000/0000").unwrap();
        assert!(close(c, 0.0, 0.0, 0.0) && !c.is_light());
        // 1 to 4 digits per channel, each scaled by its own width.
        let c = parse_colour("rgb:f/80/fff").unwrap();
        assert!(close(c, 1.0, 128.0 / 255.0, 1.0), "{c:?}");
        let c = parse_colour("RGB:1E1E/1E1E/2E2E").unwrap();
        assert_eq!(c.hex(), "#1e1e2e");
        assert!(!c.is_light());
        let c = parse_colour("rgba:fdfd/f6f6/e3e3/ffff").unwrap();
        assert_eq!(c.hex(), "#fdf6e3");
        assert!(c.is_light(), "solarized light");
        assert_eq!(parse_colour("#002b36").unwrap().hex(), "#002b36");
        assert!(
            !parse_colour("#002b36").unwrap().is_light(),
            "solarized dark"
        );
        assert_eq!(parse_colour("#fff").unwrap().hex(), "#ffffff");
        assert_eq!(parse_colour("#ffff00000000").unwrap().hex(), "#ff0000");
        for bad in [
            "",
            "rgb:",
            "rgb:ff/ff",
            "rgb:ff/ff/ff/ff",
            "rgb:fffff/0/0",
            "rgb:gg/00/00",
            "rgb:/00/00",
            "rgba:ff/ff/ff",
            "#ffff",
            "#gggggg",
            "white",
        ] {
            assert_eq!(parse_colour(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn light_and_dark_split_where_text_contrast_does() {
        // Mid grey: black text has the higher contrast.
        assert!(parse_colour("#808080").unwrap().is_light());
        assert!(!parse_colour("#606060").unwrap().is_light());
        // Saturated blue is dark, yellow light.
        assert!(!parse_colour("#0000ff").unwrap().is_light());
        assert!(parse_colour("#ffff00").unwrap().is_light());
    }

    #[test]
    fn replies_in_the_input() {
        let r = parse_replies(b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[0n");
        assert!(r.status && r.osc11);
        assert_eq!(r.colour.unwrap().hex(), "#ffffff");
        // BEL terminator; keys typed before the replies are passed over.
        let r = parse_replies(b"ab\x1b[A\x1b]11;rgb:0/0/0\x07\x1b[0n");
        assert!(r.status);
        assert_eq!(r.colour.unwrap().hex(), "#000000");
        // Only the status reply: OSC 11 unsupported.
        let r = parse_replies(b"\x1b[0n");
        assert!(r.status && !r.osc11 && r.colour.is_none());
        // Incomplete.
        let r = parse_replies(b"\x1b]11;rgb:ffff/ff");
        assert!(!r.status && r.colour.is_none());
        let r = parse_replies(b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\");
        assert!(!r.status && r.colour.is_some());
        // A malformed colour is a reply without a colour.
        let r = parse_replies(b"\x1b]11;bogus\x07\x1b[0n");
        assert!(r.status && r.osc11 && r.colour.is_none());
        // A cursor position report is not the status reply.
        assert!(!parse_replies(b"\x1b[1;1R").status);
    }

    #[test]
    fn themes_follow_the_probe() {
        let white = parse_colour("rgb:ffff/ffff/ffff").unwrap();
        assert_eq!(Probe::Answered(white).theme_name(), "light");
        let black = parse_colour("rgb:0/0/0").unwrap();
        assert_eq!(Probe::Answered(black).theme_name(), "dark");
        assert_eq!(Probe::NoAnswer.theme_name(), "dark");
        assert_eq!(Probe::Unsupported.theme_name(), "dark");
        assert_eq!(Probe::Skipped("x").theme_name(), "dark");
    }
}
