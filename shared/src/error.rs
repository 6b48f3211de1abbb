//! The library's errors: one enum per concern, each message saying what went
//! wrong and what to do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::control::HeaderError;

/// Creating or opening a region failed.
#[derive(Debug)]
pub enum RegionError {
    /// `open_existing`: no live process has the region open (it was never
    /// created, or every process using it has exited or died).
    NotFound {
        /// Where the region file was looked for.
        path: PathBuf,
    },
    /// `create_new`: a live process already has the region open.
    AlreadyExists {
        /// The region file.
        path: PathBuf,
    },
    /// Something that is not one of this project's regions is at the path
    /// (another program's file, a directory, a FIFO, a symbolic link, a file of
    /// another layout version). It was left untouched.
    NotARegion {
        /// The path in question.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The region's directory has no room for the region.
    NoSpace {
        /// The region file.
        path: PathBuf,
        /// The size that did not fit.
        size: u64,
    },
    /// The operating system refused access.
    PermissionDenied {
        /// The file or directory refused.
        path: PathBuf,
    },
    /// The requested size is too small for the layout or absurdly large.
    BadSize {
        /// The size asked for.
        size: u64,
    },
    /// Any other I/O failure.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl RegionError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::PermissionDenied => RegionError::PermissionDenied { path },
            _ => RegionError::Io { action, path, source },
        }
    }

    pub(crate) fn not_a_region(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        RegionError::NotARegion {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn bad_header(path: impl Into<PathBuf>, error: HeaderError) -> Self {
        Self::not_a_region(path, error)
    }
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::layout::{MAX_REGION_SIZE, MIN_REGION_SIZE};
        match self {
            RegionError::NotFound { path } => write!(
                f,
                "no shared-memory region at {}: no running process has created it (start message-server first)",
                path.display()
            ),
            RegionError::AlreadyExists { path } => write!(
                f,
                "the region {} already exists and is in use; pick another name",
                path.display()
            ),
            RegionError::NotARegion { path, reason } => write!(
                f,
                "{} is not a shared-memory region of this program ({reason}); it was left untouched: pick another name or directory",
                path.display()
            ),
            RegionError::NoSpace { path, size } => write!(
                f,
                "no space for a {size}-byte region at {}: free space there or use --dir elsewhere",
                path.display()
            ),
            RegionError::PermissionDenied { path } => write!(
                f,
                "permission denied on {}: it belongs to another user or its mode forbids access; use another name or --dir",
                path.display()
            ),
            RegionError::BadSize { size } => write!(
                f,
                "a region of {size} bytes is not possible: the size must be between {MIN_REGION_SIZE} and {MAX_REGION_SIZE}"
            ),
            RegionError::Io { action, path, source } => {
                write!(f, "could not {action} {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for RegionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegionError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A view was asked for, or used, outside its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewError {
    /// The view itself does not fit inside the region.
    OutsideRegion {
        /// Requested view offset in the region.
        offset: u64,
        /// Requested view length.
        len: u64,
        /// The region's size.
        region_size: u64,
    },
    /// A write would touch the control block (bytes 40..104), which belongs
    /// to the library and which other processes update atomically.
    ControlBlock {
        /// Offset of the write inside the view.
        offset: u64,
        /// Size of the write in bytes.
        size: u64,
    },
    /// An access does not fit inside the view.
    OutsideView {
        /// Offset of the access inside the view.
        offset: u64,
        /// Size of the access in bytes.
        size: u64,
        /// The view's length.
        view_len: u64,
    },
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::OutsideRegion { offset, len, region_size } => write!(
                f,
                "a view of {len} bytes at offset {offset} does not fit in a region of {region_size} bytes"
            ),
            ViewError::ControlBlock { offset, size } => write!(
                f,
                "a write of {size} bytes at view offset {offset} would overwrite the control block (region bytes 40..104); nothing was written: write elsewhere"
            ),
            ViewError::OutsideView { offset, size, view_len } => write!(
                f,
                "an access of {size} bytes at view offset {offset} does not fit in a view of {view_len} bytes; nothing was read or written"
            ),
        }
    }
}

impl std::error::Error for ViewError {}

impl From<ViewError> for io::Error {
    fn from(error: ViewError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, error)
    }
}

/// Creating, opening or taking the named mutex failed.
#[derive(Debug)]
pub enum MutexError {
    /// `open_existing`: the mutex does not exist (no live process created it).
    NotFound {
        /// The mutex name.
        name: String,
    },
    /// Something that is not a lock file is at the mutex path; left untouched.
    NotALockFile {
        /// The path in question.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The lock call itself failed.
    Lock {
        /// The mutex name.
        name: String,
        /// The lock library's error.
        source: named_lock::Error,
    },
    /// Any other I/O failure on the lock file.
    Io {
        /// The lock file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl fmt::Display for MutexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutexError::NotFound { name } => write!(
                f,
                "the mutex {name} does not exist: no running process has created it (start message-server first)"
            ),
            MutexError::NotALockFile { path, reason } => write!(
                f,
                "{} is not a lock file of this program ({reason}); it was left untouched",
                path.display()
            ),
            MutexError::Lock { name, source } => write!(f, "could not lock the mutex {name}: {source}"),
            MutexError::Io { path, source } => {
                write!(f, "could not open the lock file {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for MutexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MutexError::Lock { source, .. } => Some(source),
            MutexError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
