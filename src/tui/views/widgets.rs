//! Small drawing helpers shared by the views.

use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::Span;

/// Keeps the end of `s` (paths) within `width` characters, with a leading ellipsis.
pub fn truncate_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let skip = n - width + 1;
    format!("…{}", s.chars().skip(skip).collect::<String>())
}

/// Keeps the start of `s` within `width` characters, with a trailing ellipsis.
pub fn truncate(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    format!("{}…", s.chars().take(width - 1).collect::<String>())
}

/// A text progress bar `████░░░░` of `width` cells for `frac` in [0, 1].
pub fn bar(frac: f64, width: usize) -> String {
    let f = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * width as f64 * 8.0).round() as usize;
    let full = eighths / 8;
    let part = eighths % 8;
    let mut s = "█".repeat(full.min(width));
    if full < width {
        const P: [&str; 8] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
        if part > 0 {
            s.push_str(P[part]);
        } else {
            s.push('░');
        }
        let rest = width - full - 1;
        s.push_str(&"░".repeat(rest));
    }
    s
}

/// Formats a number compactly for tables and axes.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    }
}

/// An error shown where the data would be.
pub fn error_span<'a>(t: &Theme, msg: &str) -> Span<'a> {
    Span::styled(format!("⚠ {}", crate::sanitize::clean(msg)), t.err())
}

pub fn styled<'a>(s: impl Into<String>, st: Style) -> Span<'a> {
    Span::styled(s.into(), st)
}

/// A table in the views' one style: dim header, highlighted selection, a bordered block with
/// a title.
pub fn table<'a>(
    t: &Theme,
    title: String,
    header: Vec<&'a str>,
    rows: Vec<ratatui::widgets::Row<'a>>,
    widths: Vec<ratatui::layout::Constraint>,
) -> ratatui::widgets::Table<'a> {
    use ratatui::widgets::{Block, Borders, Row, Table};
    Table::new(rows, widths)
        .header(Row::new(header).style(t.dim()))
        .row_highlight_style(t.selected())
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, t.title()))
                .border_style(t.dim()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_truncation() {
        assert_eq!(bar(0.5, 4), "██░░");
        assert_eq!(bar(1.0, 3), "███");
        assert_eq!(bar(0.0, 2), "░░");
        assert_eq!(bar(f64::NAN, 2), "░░");
        assert_eq!(truncate_left("/a/b/c/d", 5), "…/c/d");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(num(0.012345), "0.0123");
        assert_eq!(num(123456.0), "1.23e5");
    }
}
