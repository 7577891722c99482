//! The installed binary stays small (issue #13: at most 100 MB; it was 712 MB with line tables
//! for every crate). `cargo install --path .` builds the same release profile as this test.

#[test]
fn release_binary_is_at_most_100_mb() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_posedeck"));
    let len = std::fs::metadata(exe).unwrap().len();
    if cfg!(debug_assertions) {
        eprintln!("SKIP: a debug build ({len} bytes) is not what users install");
        return;
    }
    assert!(
        len <= 100_000_000,
        "{}: {len} bytes, over the 100 MB limit (README, Install)",
        exe.display()
    );
}
