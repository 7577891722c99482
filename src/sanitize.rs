//! Strings from files (keypoint names, paths, logs) are stripped of control characters
//! before they reach the terminal.

use std::borrow::Cow;

/// Removes C0/C1 control characters (ESC, BEL, CR ...) except that a tab becomes a space.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\t' => Some(' '),
                c if is_bad(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

fn is_bad(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_escapes() {
        assert_eq!(super::clean("no\x1b[31mse\x07"), "no[31mse");
        assert_eq!(super::clean("a\tb"), "a b");
        assert_eq!(super::clean("plain"), "plain");
    }
}
