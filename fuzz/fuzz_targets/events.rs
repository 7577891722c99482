//! Fuzzes the TensorBoard events reader: any bytes give the records before the first damage
//! and an error with an offset inside the input, never a panic; reading the good prefix again
//! gives the same data with no error; and every series is consistent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use posedeck::formats::tfevents::{EventsFile, decode_events, proto, record};
use std::path::Path;

fn key(f: &EventsFile) -> impl PartialEq + std::fmt::Debug {
    (
        f.records,
        f.file_version.clone(),
        f.scalars
            .iter()
            .map(|s| {
                (
                    s.tag.clone(),
                    s.steps.clone(),
                    s.wall_times.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    s.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>(),
        f.texts.clone(),
        f.other_tags.clone(),
    )
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.tfevents");
    let f = decode_events(path, data);
    assert!(f.bytes_read <= data.len() as u64);
    assert_eq!(f.file_len, data.len() as u64);
    match &f.error {
        None => assert_eq!(f.bytes_read, data.len() as u64),
        Some(posedeck::Error::AtOffset { offset, .. }) => {
            assert!(*offset <= data.len() as u64);
            assert!(*offset >= f.bytes_read);
        }
        Some(other) => panic!("unexpected error kind {other:?}"),
    }
    for s in &f.scalars {
        assert_eq!(s.steps.len(), s.values.len());
        assert_eq!(s.wall_times.len(), s.values.len());
        assert!(!s.values.is_empty());
    }
    for t in &f.texts {
        assert_eq!(t.steps.len(), t.texts.len());
    }
    // The good prefix reads to the same data, cleanly.
    let again = decode_events(path, &data[..f.bytes_read as usize]);
    assert!(again.error.is_none(), "{:?}", again.error);
    assert_eq!(key(&again), key(&f));
    // The pieces on their own: framing and tensors.
    let _ = record::scan(data);
    let _ = proto::tensor(data, 0);
    let _ = proto::event(data);
});
