//! The one error type for posedeck's library code: every variant names the file and,
//! where it applies, the line or byte offset, so a user can find the damage. A path that is
//! not UTF-8 is shown with its other bytes as `\xNN`.

use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OS error on a file. The reason is part of the message and deliberately not also
    /// the error's `source()`: printers that walk the chain (`{:#}`) would say it twice.
    #[error("{}: {error}", crate::util::escape_path(path))]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A text format (CSV, YAML, JSON, XML) is malformed at a line.
    #[error("{}:{line}: {msg}", crate::util::escape_path(path))]
    AtLine {
        path: PathBuf,
        line: u64,
        msg: String,
    },
    /// A binary format (events file, HDF5) is malformed at a byte offset.
    #[error("{}: at byte {offset}: {msg}", crate::util::escape_path(path))]
    AtOffset {
        path: PathBuf,
        offset: u64,
        msg: String,
    },
    /// Malformed content where no finer position is known.
    #[error("{}: {msg}", crate::util::escape_path(path))]
    Invalid { path: PathBuf, msg: String },
    /// A request that cannot be carried out (bad argument, missing project ...).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            error: source,
        }
    }
    pub fn at_line(path: impl AsRef<Path>, line: u64, msg: impl Into<String>) -> Self {
        Error::AtLine {
            path: path.as_ref().to_path_buf(),
            line,
            msg: msg.into(),
        }
    }
    pub fn at_offset(path: impl AsRef<Path>, offset: u64, msg: impl Into<String>) -> Self {
        Error::AtOffset {
            path: path.as_ref().to_path_buf(),
            offset,
            msg: msg.into(),
        }
    }
    pub fn invalid(path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error::Invalid {
            path: path.as_ref().to_path_buf(),
            msg: msg.into(),
        }
    }
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
}
