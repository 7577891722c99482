//! `label_studio_config.xml`: the labeling interface of the old app, read for its keypoint
//! names, colours and hotkeys:
//! `<View><KeyPointLabels name=".." toName=".."><Label value="nose" background="red" hotkey="1"/>
//! ..</KeyPointLabels><Image name=".." value="$img"/></View>`.

use crate::{Error, Result};
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One `<Label>` of a `<KeyPointLabels>` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeypointStyle {
    pub name: String,
    /// The `background` attribute as written (a CSS colour name or `#rrggbb`).
    pub colour: Option<String>,
    pub hotkey: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelStudioConfig {
    pub keypoints: Vec<KeypointStyle>,
    /// `name` of the image the keypoints are placed on (`toName`), when given.
    pub image_name: Option<String>,
}

fn line_of(text: &str, offset: u64) -> u64 {
    let end = (offset as usize).min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
}

fn xml_error(path: &Path, text: &str, offset: u64, msg: impl std::fmt::Display) -> Error {
    Error::at_line(
        path,
        line_of(text, offset),
        format!("{msg} (byte {offset})"),
    )
}

impl LabelStudioConfig {
    pub fn load(path: &Path) -> Result<LabelStudioConfig> {
        let text = super::read_nonempty(path)?;
        Self::parse(path, &text)
    }

    /// Parses the XML; malformed XML is an error naming the file, the line and byte offset.
    pub fn parse(path: &Path, text: &str) -> Result<LabelStudioConfig> {
        let mut reader = quick_xml::Reader::from_str(text);
        reader.config_mut().trim_text(true);
        let mut out = LabelStudioConfig::default();
        let mut stack: Vec<Vec<u8>> = Vec::new();
        let mut in_keypoints = 0usize;
        let mut saw_element = false;
        loop {
            let pos = reader.buffer_position();
            let ev = reader
                .read_event()
                .map_err(|e| xml_error(path, text, reader.error_position(), e))?;
            match ev {
                Event::Start(e) => {
                    saw_element = true;
                    let name = e.local_name().as_ref().to_vec();
                    if name == b"KeyPointLabels" {
                        in_keypoints += 1;
                        out.read_group(path, text, pos, &e)?;
                    } else if name == b"Label" && in_keypoints > 0 {
                        out.read_label(path, text, pos, &e)?;
                    }
                    stack.push(name);
                }
                Event::Empty(e) => {
                    saw_element = true;
                    let name = e.local_name();
                    if name.as_ref() == b"Label" && in_keypoints > 0 {
                        out.read_label(path, text, pos, &e)?;
                    } else if name.as_ref() == b"KeyPointLabels" {
                        out.read_group(path, text, pos, &e)?;
                    }
                }
                Event::End(e) => {
                    if e.local_name().as_ref() == b"KeyPointLabels" {
                        in_keypoints = in_keypoints.saturating_sub(1);
                    }
                    stack.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some(open) = stack.last() {
            return Err(xml_error(
                path,
                text,
                text.len() as u64,
                format!(
                    "unexpected end of file: <{}> is not closed",
                    String::from_utf8_lossy(open)
                ),
            ));
        }
        if !saw_element {
            return Err(Error::invalid(path, "no XML element found"));
        }
        Ok(out)
    }

    fn read_group(&mut self, path: &Path, text: &str, pos: u64, e: &BytesStart) -> Result<()> {
        if self.image_name.is_none() {
            self.image_name = attr(path, text, pos, e, b"toName")?;
        }
        Ok(())
    }

    fn read_label(&mut self, path: &Path, text: &str, pos: u64, e: &BytesStart) -> Result<()> {
        let name = attr(path, text, pos, e, b"value")?
            .ok_or_else(|| xml_error(path, text, pos, "<Label> without a value attribute"))?;
        self.keypoints.push(KeypointStyle {
            name,
            colour: attr(path, text, pos, e, b"background")?,
            hotkey: attr(path, text, pos, e, b"hotkey")?,
        });
        Ok(())
    }

    /// The style of a keypoint by name.
    pub fn style(&self, name: &str) -> Option<&KeypointStyle> {
        self.keypoints.iter().find(|k| k.name == name)
    }
}

fn attr(path: &Path, text: &str, pos: u64, e: &BytesStart, key: &[u8]) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(path, text, pos, err))?;
        if a.key.local_name().as_ref() == key {
            let v = a
                .unescape_value()
                .map_err(|err| xml_error(path, text, pos, err))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"<View>
  <Header value="label"/>
  <KeyPointLabels name="kp-1" toName="img-1" strokeWidth="3">
    <Label value="nose" background="red" hotkey="1" maxUsages="1"/>
    <Label value="tail &amp; base" background="&#35;00ff00" hotkey="2"/>
    <Label value="paw"></Label>
  </KeyPointLabels>
  <Image name="img-1" value="$img"/>
</View>"#;

    #[test]
    fn reads_names_colours_hotkeys() {
        let c = LabelStudioConfig::parse(Path::new("x.xml"), GOOD).unwrap();
        let names: Vec<&str> = c.keypoints.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["nose", "tail & base", "paw"]);
        assert_eq!(c.keypoints[0].colour.as_deref(), Some("red"));
        assert_eq!(c.keypoints[1].colour.as_deref(), Some("#00ff00"));
        assert_eq!(c.keypoints[1].hotkey.as_deref(), Some("2"));
        assert_eq!(c.keypoints[2].hotkey, None);
        assert_eq!(c.image_name.as_deref(), Some("img-1"));
    }

    #[test]
    fn malformed_xml_names_line_and_byte() {
        let bad = "<View>\n<KeyPointLabels>\n<Label value=\"a\">\n</KeyPointLabels>\n</View>";
        let e = LabelStudioConfig::parse(Path::new("x.xml"), bad).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("x.xml:4:") && s.contains("byte"), "{s}");
        let e =
            LabelStudioConfig::parse(Path::new("x.xml"), "<View><Label value=\"a\"/>").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = LabelStudioConfig::parse(Path::new("x.xml"), "<View><Label value=\"a/></View>")
            .unwrap_err();
        assert!(e.to_string().starts_with("x.xml:1:"), "{e}");
    }
}
