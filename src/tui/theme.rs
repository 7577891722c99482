//! Themes are data: `themes/*.toml` embedded at build time, chosen with `--theme NAME` (or a
//! path to a TOML file), the config file's `theme`, or else after the terminal's background
//! (`light` on a light one, `dark` otherwise; see [`crate::tui::background`]). Normal text is
//! the terminal's own foreground (`reset`) in every built-in theme but high-contrast, so it
//! reads whatever the background. `NO_COLOR` turns every colour off and keeps bold/reverse.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

/// The themes shipped in `themes/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub dim: Color,
    pub accent: Color,
    pub title: Color,
    pub selected_fg: Color,
    pub selected_bg: Color,
    pub bar_fg: Color,
    pub bar_bg: Color,
    pub ok: Color,
    pub warn: Color,
    pub err: Color,
    pub runs: Vec<Color>,
    pub keypoints: Vec<Color>,
    /// `NO_COLOR`: styles carry modifiers only.
    pub mono: bool,
}

#[derive(Deserialize)]
struct Raw {
    name: String,
    fg: String,
    bg: String,
    dim: String,
    accent: String,
    title: String,
    selected_fg: String,
    selected_bg: String,
    bar_fg: String,
    bar_bg: String,
    ok: String,
    warn: String,
    err: String,
    runs: Vec<String>,
    keypoints: Vec<String>,
}

impl Theme {
    pub fn parse(text: &str, path: &Path) -> crate::Result<Theme> {
        let r: Raw = toml::from_str(text)
            .map_err(|e| crate::Error::invalid(path, format!("theme: {}", e.message())))?;
        let c = |field: &str, s: &str| {
            Color::from_str(s).map_err(|_| {
                crate::Error::invalid(path, format!("theme: {field}: not a colour: {s:?}"))
            })
        };
        let list = |field: &str, v: &[String]| -> crate::Result<Vec<Color>> {
            if v.is_empty() {
                return Err(crate::Error::invalid(
                    path,
                    format!("theme: {field} is empty"),
                ));
            }
            v.iter().map(|s| c(field, s)).collect()
        };
        Ok(Theme {
            name: r.name,
            fg: c("fg", &r.fg)?,
            bg: c("bg", &r.bg)?,
            dim: c("dim", &r.dim)?,
            accent: c("accent", &r.accent)?,
            title: c("title", &r.title)?,
            selected_fg: c("selected_fg", &r.selected_fg)?,
            selected_bg: c("selected_bg", &r.selected_bg)?,
            bar_fg: c("bar_fg", &r.bar_fg)?,
            bar_bg: c("bar_bg", &r.bar_bg)?,
            ok: c("ok", &r.ok)?,
            warn: c("warn", &r.warn)?,
            err: c("err", &r.err)?,
            runs: list("runs", &r.runs)?,
            keypoints: list("keypoints", &r.keypoints)?,
            mono: false,
        })
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> crate::Result<Theme> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text, Path::new(&format!("themes/{name_or_path}.toml")));
        }
        let p = Path::new(name_or_path);
        if p.is_file() {
            return Self::parse(&crate::util::read_text(p)?, p);
        }
        let names: Vec<_> = BUILTIN.iter().map(|(n, _)| *n).collect();
        Err(crate::Error::usage(format!(
            "unknown theme {name_or_path:?} (built in: {}; or a path to a .toml file)",
            names.join(", ")
        )))
    }

    pub fn dark() -> Theme {
        Self::load("dark").unwrap_or_else(|_| Self::fallback())
    }

    fn fallback() -> Theme {
        Theme {
            name: "fallback".into(),
            fg: Color::Reset,
            bg: Color::Reset,
            dim: Color::DarkGray,
            accent: Color::Cyan,
            title: Color::Yellow,
            selected_fg: Color::Black,
            selected_bg: Color::Cyan,
            bar_fg: Color::Black,
            bar_bg: Color::Gray,
            ok: Color::Green,
            warn: Color::Yellow,
            err: Color::Red,
            runs: vec![Color::Cyan],
            keypoints: vec![Color::Yellow],
            mono: false,
        }
    }

    /// Applies `NO_COLOR` (any non-empty value, per no-color.org).
    pub fn with_no_color(mut self, no_color: bool) -> Theme {
        self.mono = no_color;
        self
    }

    fn col(&self, c: Color) -> Color {
        if self.mono { Color::Reset } else { c }
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.col(self.fg)).bg(self.col(self.bg))
    }
    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(self.dim)
        }
    }
    pub fn accent(&self) -> Style {
        Style::default().fg(self.col(self.accent))
    }
    pub fn title(&self) -> Style {
        Style::default()
            .fg(self.col(self.title))
            .add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(self.selected_fg).bg(self.selected_bg)
        }
    }
    pub fn bar(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(self.bar_fg).bg(self.bar_bg)
        }
    }
    pub fn ok(&self) -> Style {
        Style::default().fg(self.col(self.ok))
    }
    pub fn warn(&self) -> Style {
        Style::default().fg(self.col(self.warn))
    }
    pub fn err(&self) -> Style {
        Style::default()
            .fg(self.col(self.err))
            .add_modifier(Modifier::BOLD)
    }
    /// A stable colour for a run name (hash of the name, so a run keeps its colour as
    /// others come and go).
    pub fn run_color(&self, name: &str) -> Color {
        let i = crate::curves::run_slot(name, self.runs.len());
        self.col(self.runs.get(i).copied().unwrap_or(Color::Reset))
    }
    /// The colours of an exported figure (PNG): background, foreground and the run palette
    /// as RGB. A theme whose background is the terminal's own gets white for `light`, else
    /// a dark grey; the foreground likewise black or a light grey.
    pub fn figure_colors(&self) -> ([u8; 3], [u8; 3], Vec<[u8; 3]>) {
        let light = self.name == "light";
        let bg = rgb(self.bg).unwrap_or(if light { [255, 255, 255] } else { [30, 30, 30] });
        let luma = 0.2126 * bg[0] as f64 + 0.7152 * bg[1] as f64 + 0.0722 * bg[2] as f64;
        let fg = rgb(self.fg).unwrap_or(if luma > 128.0 {
            [0, 0, 0]
        } else {
            [225, 225, 225]
        });
        let runs = self.runs.iter().filter_map(|c| rgb(*c)).collect::<Vec<_>>();
        (bg, fg, if runs.is_empty() { vec![fg] } else { runs })
    }
    /// Colour of keypoint `i` from the palette.
    pub fn keypoint_color(&self, i: usize) -> Color {
        let n = self.keypoints.len().max(1);
        self.col(self.keypoints.get(i % n).copied().unwrap_or(Color::Reset))
    }
}

/// A terminal colour as RGB (xterm's values for the named and indexed ones); `None` for the
/// terminal's own (`reset`).
pub fn rgb(c: Color) -> Option<[u8; 3]> {
    const BASE: [[u8; 3]; 16] = [
        [0, 0, 0],
        [205, 0, 0],
        [0, 205, 0],
        [205, 205, 0],
        [0, 0, 238],
        [205, 0, 205],
        [0, 205, 205],
        [229, 229, 229],
        [127, 127, 127],
        [255, 0, 0],
        [0, 255, 0],
        [255, 255, 0],
        [92, 92, 255],
        [255, 0, 255],
        [0, 255, 255],
        [255, 255, 255],
    ];
    let i = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some([r, g, b]),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let k = i - 16;
            let v = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
            [v(k / 36), v(k / 6 % 6), v(k % 6)]
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            [g, g, g]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (n, _) in BUILTIN {
            let t = Theme::load(n).unwrap();
            assert_eq!(&t.name, n);
            assert!(t.runs.len() >= 6 && t.keypoints.len() >= 6);
        }
    }

    #[test]
    fn normal_text_is_the_terminals_own_colour() {
        for (n, _) in BUILTIN {
            let t = Theme::load(n).unwrap();
            if *n == "high-contrast" {
                assert_eq!(t.fg, Color::Rgb(255, 255, 255));
                assert_eq!(t.bg, Color::Rgb(0, 0, 0));
            } else {
                assert_eq!((t.fg, t.bg), (Color::Reset, Color::Reset), "{n}");
            }
        }
        // Dim text on a light background is not light grey.
        assert_eq!(Theme::load("light").unwrap().dim, Color::DarkGray);
    }

    #[test]
    fn no_color_strips_colours() {
        let t = Theme::dark().with_no_color(true);
        assert_eq!(t.accent().fg, Some(Color::Reset));
        assert_eq!(t.run_color("a"), Color::Reset);
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn unknown_theme_is_a_clear_error() {
        let e = Theme::load("neon").unwrap_err().to_string();
        assert!(e.contains("neon") && e.contains("dark"), "{e}");
        let e = Theme::parse("name='x'\n", Path::new("/t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/t.toml"), "{e}");
    }

    #[test]
    fn figure_colours() {
        let (bg, fg, runs) = Theme::load("light").unwrap().figure_colors();
        assert_eq!((bg, fg), ([255, 255, 255], [0, 0, 0]));
        assert_eq!(runs[0], [0x00, 0x72, 0xB2]);
        let (bg, _, _) = Theme::load("high-contrast").unwrap().figure_colors();
        assert_eq!(bg, [0, 0, 0]);
        assert_eq!(rgb(Color::Indexed(196)), Some([255, 0, 0]));
        assert_eq!(rgb(Color::Indexed(244)), Some([128, 128, 128]));
    }

    #[test]
    fn run_colours_are_stable() {
        let t = Theme::dark();
        assert_eq!(t.run_color("tiny_cpu_model"), t.run_color("tiny_cpu_model"));
    }
}
