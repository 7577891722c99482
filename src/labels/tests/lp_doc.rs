//! The editable CollectedData document: byte-exact round trips, new values as pandas writes
//! them, undo to the exact text, rows from the queue, conflicts and the keep-mine merge.

use crate::labels::LpDocument;
use crate::labels::lp_write::WriteResult;
use std::path::Path;

const CSV: &str = "scorer,rick,rick,rick,rick\n\
bodyparts,nose,nose,tail,tail\n\
coords,x,y,x,y\n\
labeled-data/img01.png,77.25,36.25,,\n\
labeled-data/img02.png,37.250,110.75,5e1,8.0\n";

fn doc(text: &str) -> LpDocument {
    LpDocument::parse(Path::new("/t/CollectedData.csv"), text.as_bytes().to_vec()).unwrap()
}

#[test]
fn unedited_documents_give_back_their_bytes() {
    for text in [
        CSV.to_string(),
        CSV.replace('\n', "\r\n"),
        CSV.trim_end().to_string(),
        // Quoted index with a comma, a blank line, an all-empty first data row (kept).
        "scorer,r,r\nbodyparts,a,a\ncoords,x,y\n\"labeled-data/v,1/img3.png\",,\n\nlabeled-data/img4.png,1.5,2\n"
            .to_string(),
        format!("\u{feff}{CSV}"),
    ] {
        let d = doc(&text);
        assert_eq!(d.to_bytes(), text.as_bytes(), "{text:?}");
        assert!(!d.is_edited());
    }
    let d = doc("scorer,r,r\nbodyparts,a,a\ncoords,x,y\n\"labeled-data/v,1/img3.png\",,\n");
    assert_eq!(d.images(), ["labeled-data/v,1/img3.png"]);
    assert_eq!(d.point(0, 0), None);
}

#[test]
fn edits_change_only_their_cells_and_undo_restores_the_text() {
    let mut d = doc(CSV);
    assert_eq!(d.point(1, 1), Some((50.0, 8.0)));
    let e1 = d.set_point(1, 0, Some((38.25, 110.75))).unwrap().unwrap();
    // y was equal: its text ("110.75") is kept; x written as pandas writes it.
    let e2 = d.set_point(0, 0, Some((0.1 + 0.2, 1e-5))).unwrap().unwrap();
    let e3 = d.set_point(1, 1, None).unwrap().unwrap();
    assert_eq!(d.set_point(1, 1, None).unwrap(), None, "already missing");
    let out = String::from_utf8(d.to_bytes()).unwrap();
    assert_eq!(
        out,
        "scorer,rick,rick,rick,rick\nbodyparts,nose,nose,tail,tail\ncoords,x,y,x,y\n\
labeled-data/img01.png,0.30000000000000004,1e-05,,\n\
labeled-data/img02.png,38.25,110.75,,\n"
    );
    assert_eq!(d.edited_images().len(), 2);
    for e in [&e3, &e2, &e1] {
        d.apply(e, false).unwrap();
    }
    assert_eq!(
        d.to_bytes(),
        CSV.as_bytes(),
        "undo gives the exact original text"
    );
    assert!(!d.is_edited());
    for e in [&e1, &e2, &e3] {
        d.apply(e, true).unwrap();
    }
    assert_eq!(d.to_bytes(), out.as_bytes());
    assert!(d.set_point(0, 0, Some((f64::NAN, 1.0))).is_err());
}

#[test]
fn the_visible_coord_follows_the_file_style() {
    let text = "scorer,r,r,r\nbodyparts,a,a,a\ncoords,x,y,visible\nlabeled-data/i1.png,1.0,2.0,2\nlabeled-data/i2.png,,,0\n";
    let mut d = doc(text);
    assert!(d.has_visible());
    d.set_point(1, 0, Some((3.0, 4.5))).unwrap();
    d.set_point(0, 0, None).unwrap();
    assert_eq!(
        String::from_utf8(d.to_bytes()).unwrap(),
        "scorer,r,r,r\nbodyparts,a,a,a\ncoords,x,y,visible\nlabeled-data/i1.png,,,0\nlabeled-data/i2.png,3.0,4.5,2\n"
    );
    let mut d = doc(&text.replace(",2\n", ",2.0\n").replace(",0\n", ",0.0\n"));
    d.set_point(1, 0, Some((3.0, 4.5))).unwrap();
    assert!(
        String::from_utf8(d.to_bytes())
            .unwrap()
            .ends_with("3.0,4.5,2.0\n")
    );
}

#[test]
fn queued_frames_get_a_row() {
    let mut d = doc(CSV.trim_end());
    let r = d.ensure_row("labeled-data/v/img00000007.png");
    assert_eq!(r, 2);
    assert_eq!(d.ensure_row("labeled-data/v/img00000007.png"), 2);
    d.set_point(r, 1, Some((1.0, 2.0))).unwrap();
    assert_eq!(
        String::from_utf8(d.to_bytes()).unwrap(),
        format!("{CSV}labeled-data/v/img00000007.png,,,1.0,2.0\n")
    );
    assert_eq!(d.edited_images(), ["labeled-data/v/img00000007.png"]);
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    for bad in [
        "scorer,r\nbodyparts,a\n",
        "scorer,r,r\nbodyparts,a,a\ncoords,x,likelihood\nimg,1,2\n",
        "scorer,r,r\nbodyparts,a,a\ncoords,x,y\nimg,1,2,3\n",
    ] {
        let e = LpDocument::parse(Path::new("/t/CollectedData.csv"), bad.as_bytes().to_vec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("/t/CollectedData.csv"), "{e}");
    }
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten_and_keep_mine_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("CollectedData.csv");
    std::fs::write(&p, CSV).unwrap();
    let mut mine = LpDocument::read(&p).unwrap();
    mine.set_point(0, 0, Some((80.0, 40.0))).unwrap();
    // Someone else labels img01's tail and moves img02's nose.
    let theirs = CSV
        .replace("36.25,,", "36.25,9.5,9.5")
        .replace("37.250,110.75", "30.0,100.0");
    std::fs::write(&p, &theirs).unwrap();
    let WriteResult::Conflict(c) = mine.write().unwrap() else {
        panic!("a changed file must not be overwritten");
    };
    assert_eq!(c.frames, ["labeled-data/img01.png"]);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), theirs);
    let w = mine.write_keep_mine().unwrap();
    let merged = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        merged,
        CSV.replace("77.25,36.25,,", "80.0,40.0,9.5,9.5")
            .replace("37.250,110.75", "30.0,100.0")
    );
    assert_eq!(std::fs::read_to_string(w.backup.unwrap()).unwrap(), theirs);
    assert!(!mine.is_edited());
    // Now in step with the disk: a plain write goes through, byte-identical.
    let WriteResult::Written(w) = mine.write().unwrap() else {
        panic!("in step with the disk");
    };
    assert_eq!(std::fs::read_to_string(&p).unwrap(), merged);
    assert_eq!(std::fs::read_to_string(w.backup.unwrap()).unwrap(), merged);
    assert_eq!(
        crate::labels::labeled_images(&p).unwrap().len(),
        2,
        "both frames labeled"
    );
}
