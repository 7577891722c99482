//! The user's config file, `$XDG_CONFIG_HOME/posedeck/config.toml` (else
//! `~/.config/posedeck/config.toml`): the defaults set once. Command-line flags override it.
//!
//! ```toml
//! theme = "light"            # auto (default: from the terminal's background), dark, light,
//!                            # high-contrast, colorblind, or a path to a theme .toml
//! image_protocol = "kitty"   # auto (default: probed), halfblocks, sixel, kitty, iterm2
//!
//! [slurm]                    # defaults for --slurm jobs, under those of slurm.toml
//! partition = "gpu"
//! account = "lab-pose"
//! time = "1-12:00:00"        # minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS
//! gpus = 1
//! ```
//!
//! The file is small and typed: an unknown key, a value of the wrong type or a value out of
//! range is an error naming the file and the line. A missing file is no error.

use crate::{Error, Result};
use ratatui_image::picker::ProtocolType;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Larger is not a config file.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The settings in effect from the file (everything `None` without one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The file they came from, when there is one.
    pub path: Option<PathBuf>,
    /// A theme name or theme file; `None` (or `auto` in the file): chosen from the terminal's
    /// background.
    pub theme: Option<String>,
    /// `None` (or `auto`): probed from the terminal.
    pub image_protocol: Option<ProtocolType>,
    pub slurm: Slurm,
}

/// Defaults for SLURM jobs (`[slurm]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slurm {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--time`, as written (checked against SLURM's formats).
    pub time: Option<String>,
    /// `--gpus` (0-64).
    pub gpus: Option<u32>,
}

impl Slurm {
    /// `time` in minutes (SLURM rounds seconds up to the next minute).
    pub fn time_minutes(&self) -> Option<u64> {
        self.time.as_deref().and_then(slurm_minutes)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    theme: Option<Spanned<String>>,
    image_protocol: Option<Spanned<String>>,
    slurm: Option<RawSlurm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlurm {
    partition: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
    time: Option<Spanned<String>>,
    gpus: Option<Spanned<i64>>,
}

/// Where the user's config file is: `$XDG_CONFIG_HOME/posedeck/config.toml` (an absolute
/// `XDG_CONFIG_HOME` only, as the XDG spec says), else `$HOME/.config/posedeck/config.toml`.
pub fn user_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("posedeck").join("config.toml"))
}

/// Reads the user's config file; no file (or no home folder) gives the defaults.
pub fn load_user() -> Result<Settings> {
    match user_path() {
        Some(p) => load(&p),
        None => Ok(Settings::default()),
    }
}

/// Reads the config file at `path` (a regular file of at most [`MAX_BYTES`]); a missing file
/// gives the defaults.
pub fn load(path: &Path) -> Result<Settings> {
    let Some(text) = read_text(path)? else {
        return Ok(Settings::default());
    };
    let mut s = parse(&text, path)?;
    s.path = Some(path.to_path_buf());
    Ok(s)
}

/// The text of a small config file (a regular file of at most [`MAX_BYTES`], UTF-8);
/// `None` when it does not exist.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>> {
    let bytes = match crate::util::read_limited(path, MAX_BYTES) {
        Ok(b) => b,
        Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let ok = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = ok.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        Error::at_line(path, line, "not valid UTF-8")
    })
}

/// A TOML parse error of `text` (read from `path`) as one error naming the file and line.
pub(crate) fn toml_error(text: &str, path: &Path, e: toml::de::Error) -> Error {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    let msg = e
        .message()
        .trim()
        .replace("expected i64", "expected an integer")
        .replace("unknown field", "unknown key");
    Error::at_line(path, line, msg)
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Parses and checks the text of a config file (`path` names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Settings> {
    let raw: Raw = toml::from_str(text).map_err(|e| toml_error(text, path, e))?;
    let bad =
        |v: &Spanned<String>, msg: String| Error::at_line(path, line_of(text, v.span().start), msg);
    let bad_int =
        |v: &Spanned<i64>, msg: String| Error::at_line(path, line_of(text, v.span().start), msg);
    let mut s = Settings::default();
    if let Some(t) = &raw.theme {
        let name = t.get_ref().trim();
        if name != "auto" {
            if name.is_empty() {
                return Err(bad(
                    t,
                    "theme is empty (auto, or a theme name or file)".into(),
                ));
            }
            if let Err(e) = crate::tui::theme::Theme::load(&expand_home(name)) {
                return Err(bad(t, format!("theme: {e}")));
            }
            s.theme = Some(expand_home(name));
        }
    }
    if let Some(p) = &raw.image_protocol {
        let v = p.get_ref().trim();
        if v != "auto" {
            s.image_protocol = Some(crate::tui::image::parse_protocol(v).ok_or_else(|| {
                bad(
                    p,
                    format!(
                        "image_protocol {v:?}: expected auto, halfblocks, sixel, kitty or iterm2"
                    ),
                )
            })?);
        }
    }
    if let Some(r) = &raw.slurm {
        for (key, v, out) in [
            ("partition", &r.partition, &mut s.slurm.partition),
            ("account", &r.account, &mut s.slurm.account),
        ] {
            if let Some(v) = v {
                let x = v.get_ref();
                let ok = !x.is_empty()
                    && x.len() <= 128
                    && x.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-.,".contains(&b));
                if !ok {
                    return Err(bad(
                        v,
                        format!(
                            "slurm.{key} {x:?}: expected a SLURM name (letters, digits, _ - . ,)"
                        ),
                    ));
                }
                *out = Some(x.clone());
            }
        }
        if let Some(t) = &r.time {
            let x = t.get_ref().trim();
            if slurm_minutes(x).is_none() {
                return Err(bad(
                    t,
                    format!(
                        "slurm.time {x:?}: expected minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS"
                    ),
                ));
            }
            s.slurm.time = Some(x.to_owned());
        }
        if let Some(g) = &r.gpus {
            let n = *g.get_ref();
            if !(0..=64).contains(&n) {
                return Err(bad_int(g, format!("slurm.gpus {n}: expected 0 to 64")));
            }
            s.slurm.gpus = Some(n as u32);
        }
    }
    Ok(s)
}

/// `~/x` as `$HOME/x` (a theme file in the config file).
fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(h)) if !h.is_empty() => {
            PathBuf::from(h).join(rest).to_string_lossy().into_owned()
        }
        _ => p.to_owned(),
    }
}

/// A SLURM time limit in minutes: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`; minutes
/// and seconds below 60, hours below 24 after a day count. `None` when malformed or zero.
pub fn slurm_minutes(s: &str) -> Option<u64> {
    let num = |x: &str| -> Option<u64> {
        (!x.is_empty() && x.len() <= 6 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse().ok())
            .flatten()
    };
    let (days, rest) = match s.split_once('-') {
        Some((d, r)) => (Some(num(d)?), r),
        None => (None, s),
    };
    let parts: Vec<u64> = rest.split(':').map(num).collect::<Option<_>>()?;
    let secs = match (days, parts.as_slice()) {
        (None, [m]) => m * 60,
        (None, [m, s]) if *s < 60 => m * 60 + s,
        (None, [h, m, s]) if *m < 60 && *s < 60 => h * 3600 + m * 60 + s,
        (Some(d), [h]) if *h < 24 => d * 86400 + h * 3600,
        (Some(d), [h, m]) if *h < 24 && *m < 60 => d * 86400 + h * 3600 + m * 60,
        (Some(d), [h, m, s]) if *h < 24 && *m < 60 && *s < 60 => d * 86400 + h * 3600 + m * 60 + s,
        _ => return None,
    };
    (secs > 0).then_some(secs.div_ceil(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/home/u/.config/posedeck/config.toml")
    }

    #[test]
    fn a_full_file_parses() {
        let s = parse(
            "# mine\ntheme = \"light\"\nimage_protocol = \"kitty\"\n\n[slurm]\npartition = \"gpu\"\naccount = \"lab-pose\"\ntime = \"1-12:00:00\"\ngpus = 2\n",
            p(),
        )
        .unwrap();
        assert_eq!(s.theme.as_deref(), Some("light"));
        assert_eq!(s.image_protocol, Some(ProtocolType::Kitty));
        assert_eq!(s.slurm.partition.as_deref(), Some("gpu"));
        assert_eq!(s.slurm.account.as_deref(), Some("lab-pose"));
        assert_eq!(s.slurm.time_minutes(), Some(36 * 60));
        assert_eq!(s.slurm.gpus, Some(2));
    }

    #[test]
    fn empty_and_auto_mean_defaults() {
        assert_eq!(parse("", p()).unwrap(), Settings::default());
        let s = parse("theme = \"auto\"\nimage_protocol = \"auto\"\n", p()).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn an_unknown_key_names_file_and_line() {
        let e = parse("theme = \"dark\"\n\ncolour = \"red\"\n", p())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("{}:3:", p().display())), "{e}");
        assert!(e.contains("colour"), "{e}");
        let e = parse("[slurm]\npartition = \"gpu\"\nqos = \"high\"\n", p())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("{}:3:", p().display())), "{e}");
        assert!(e.contains("qos"), "{e}");
        let e = parse("[slurn]\n", p()).unwrap_err().to_string();
        assert!(e.contains(":1:") && e.contains("slurn"), "{e}");
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let cases = [
            ("theme = \"neon\"\n", 1, "neon"),
            ("\nimage_protocol = \"ascii\"\n", 2, "ascii"),
            ("[slurm]\n\ntime = \"25:99:00\"\n", 3, "slurm.time"),
            ("[slurm]\ngpus = 100\n", 2, "slurm.gpus"),
            ("[slurm]\ngpus = \"two\"\n", 2, "integer"),
            (
                "[slurm]\npartition = \"gpu; rm -rf\"\n",
                2,
                "slurm.partition",
            ),
            ("theme = 3\n", 1, "string"),
            ("theme = \"dark\"\ntheme = \"light\"\n", 2, "duplicate"),
            ("theme = \"dark\n", 1, ""),
        ];
        for (text, line, word) in cases {
            let e = parse(text, p()).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("{}:{line}:", p().display())),
                "{text:?}: {e}"
            );
            assert!(e.contains(word), "{text:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }

    #[test]
    fn slurm_times() {
        for (t, m) in [
            ("30", 30),
            ("30:30", 31),
            ("2:00:00", 120),
            ("1-0", 1440),
            ("1-2:30", 1590),
            ("0-0:0:1", 1),
        ] {
            assert_eq!(slurm_minutes(t), Some(m), "{t}");
        }
        for t in [
            "",
            "0",
            "1:60",
            "1-24",
            "-1",
            "a",
            "1:2:3:4",
            "1--2",
            "1-2:3:4:5",
        ] {
            assert_eq!(slurm_minutes(t), None, "{t}");
        }
    }

    #[test]
    fn files_missing_special_and_bad() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        assert_eq!(load(&f).unwrap(), Settings::default());
        std::fs::write(&f, "theme = \"high-contrast\"\n").unwrap();
        let s = load(&f).unwrap();
        assert_eq!(s.theme.as_deref(), Some("high-contrast"));
        assert_eq!(s.path.as_deref(), Some(f.as_path()));
        std::fs::write(&f, b"theme = \"dark\"\n# \xff\n").unwrap();
        let e = load(&f).unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("UTF-8"), "{e}");
        std::fs::write(&f, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
        assert!(load(&f).is_err());
        // A folder in its place is an error, not the defaults.
        std::fs::remove_file(&f).unwrap();
        std::fs::create_dir(&f).unwrap();
        assert!(load(&f).is_err());
    }
}
