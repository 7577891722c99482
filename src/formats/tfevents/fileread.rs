//! Reading pieces of a file into buffers that are kept: `pread` until full or the file
//! ends (a file that shrank gives what is there; nothing is memory-mapped, so a file cut
//! short while it is read never faults), and one buffer per thread kept between calls, so
//! that reading thousands of small files neither maps nor zeroes fresh pages for each.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Fills `buf` from `start` until it is full or the file ends; the bytes read.
pub(crate) fn read_at_most(file: &File, buf: &mut [u8], start: u64) -> std::io::Result<usize> {
    let mut got = 0usize;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], start + got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A kept buffer larger than this (grown for one big record) is given back after use.
const KEEP_MAX: usize = 4 << 20;

/// Calls `f` with this thread's kept buffer (its contents are whatever the last call left).
pub(crate) fn with_thread_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            let r = f(&mut buf);
            if buf.capacity() > KEEP_MAX {
                *buf = Vec::new();
            }
            r
        }
        // Re-entered (never in practice): a buffer of its own.
        Err(_) => f(&mut Vec::new()),
    })
}
