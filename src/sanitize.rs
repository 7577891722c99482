//! Strings from files (keypoint names, paths, logs, cells) never reach the terminal or a
//! JSON document with their control characters raw: they are shown escaped (`\0`, `\u{1b}`,
//! `\u{202e}`), never silently dropped, so that what is shown cannot lie about what is there.

use std::borrow::Cow;

/// Shows C0/C1 control characters, DEL and the bidirectional overrides escaped; a tab
/// becomes a space.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if is_bad(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn escape_into(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\0' => out.push_str("\\0"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Characters that would act on a terminal or reorder text rather than show: C0, DEL, C1,
/// the line/paragraph separators and the bidirectional embeddings, overrides and isolates.
fn is_bad(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// An error or status message as one line for stderr: lines joined with "; ", control
/// characters escaped, and at most `MAX_MESSAGE` bytes (a 100 MB cell quoted in an error
/// must not become a 100 MB line).
pub fn one_line(s: &str) -> String {
    const MAX_MESSAGE: usize = 2000;
    let joined: String = s
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = clean(&joined).into_owned();
    if out.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        let more = out.len() - cut;
        out.truncate(cut);
        out.push_str(&format!("… ({more} more bytes)"));
    }
    out
}

/// A JSON document (as serde_json writes it, which escapes C0 only) with DEL, the C1
/// controls, the line separators and the bidirectional overrides escaped as `\uXXXX` too.
/// Such characters can only occur inside JSON strings, where the escape means the same.
pub fn json_controls(json: String) -> String {
    if memchr::memchr3(0x7f, 0xc2, 0xe2, json.as_bytes()).is_none() {
        return json;
    }
    let mut w = JsonControls::new(Vec::with_capacity(json.len() + 16));
    // Writing to a Vec cannot fail, and escapes keep the text UTF-8.
    let _ = std::io::Write::write_all(&mut w, json.as_bytes());
    let _ = std::io::Write::flush(&mut w);
    String::from_utf8(w.inner).unwrap_or(json)
}

/// A writer that escapes, in a UTF-8 JSON byte stream, what [`json_controls`] escapes: DEL,
/// the C1 controls, the line separators and the bidirectional overrides. For JSON streamed
/// straight to stdout (never held whole); a character split between writes is held back.
pub struct JsonControls<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> JsonControls<W> {
    pub fn new(inner: W) -> Self {
        JsonControls {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let mut i = 0;
        let mut start = 0;
        while let Some(off) = memchr::memchr3(0x7f, 0xc2, 0xe2, &buf[i..]) {
            let at = i + off;
            let (len, cp) = match buf[at] {
                0x7f => (1, Some(0x7f)),
                0xc2 => match buf.get(at + 1) {
                    None => {
                        self.inner.write_all(&buf[start..at])?;
                        self.pending.extend_from_slice(&buf[at..]);
                        return Ok(());
                    }
                    Some(&b) if (0x80..=0x9f).contains(&b) => (2, Some(b as u32)),
                    Some(_) => (1, None),
                },
                _ => match (buf.get(at + 1), buf.get(at + 2)) {
                    (None, _) | (Some(_), None) => {
                        self.inner.write_all(&buf[start..at])?;
                        self.pending.extend_from_slice(&buf[at..]);
                        return Ok(());
                    }
                    (Some(&b1), Some(&b2))
                        if (b1 == 0x80 && (0xa8..=0xae).contains(&b2))
                            || (b1 == 0x81 && (0xa6..=0xa9).contains(&b2)) =>
                    {
                        (
                            3,
                            Some(0x2000 | ((b1 as u32 & 0x3f) << 6) | (b2 as u32 & 0x3f)),
                        )
                    }
                    _ => (1, None),
                },
            };
            if let Some(cp) = cp {
                self.inner.write_all(&buf[start..at])?;
                write!(self.inner, "\\u{cp:04x}")?;
                start = at + len;
            }
            i = at + len;
        }
        self.inner.write_all(&buf[start..])
    }
}

impl<W: std::io::Write> std::io::Write for JsonControls<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            self.emit(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            self.emit(&joined)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.inner.write_all(&rest)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_rather_than_strips() {
        assert_eq!(super::clean("no\x1b[31mse\x07"), "no\\u{1b}[31mse\\u{7}");
        assert_eq!(super::clean("a\tb"), "a b");
        assert_eq!(super::clean("plain"), "plain");
        assert_eq!(super::clean("88.75\0\0"), "88.75\\0\\0");
        assert_eq!(super::clean("rick\u{202e}"), "rick\\u{202e}");
        assert_eq!(super::clean("a\u{9b}b\u{7f}"), "a\\u{9b}b\\u{7f}");
    }

    #[test]
    fn one_line_joins_escapes_and_caps() {
        assert_eq!(super::one_line("a\n  b\n\nc"), "a;   b; c");
        let long = "x".repeat(100_000);
        let l = super::one_line(&long);
        assert!(l.len() < 2100 && l.ends_with("(98000 more bytes)"), "{l}");
    }

    #[test]
    fn json_escapes_del_c1_and_overrides() {
        let v = serde_json::json!({"k": "a\u{9b}b\u{7f}c\u{202e}d\u{1b}"});
        let s = super::json_controls(serde_json::to_string(&v).unwrap());
        assert_eq!(s, r#"{"k":"a\u009bb\u007fc\u202ed\u001b"}"#);
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
        // Streamed, one byte per write: the same escapes.
        let text = serde_json::to_string(&v).unwrap();
        let mut w = super::JsonControls::new(Vec::new());
        for b in text.as_bytes() {
            std::io::Write::write_all(&mut w, &[*b]).unwrap();
        }
        std::io::Write::flush(&mut w).unwrap();
        assert_eq!(String::from_utf8(w.inner).unwrap(), s);
    }
}
