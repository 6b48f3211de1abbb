//! Errors of views: an access outside its window, a write read-only.

use std::fmt;
use std::io;

/// A view was asked for, or used, outside its window, or written read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// An access does not fit inside the view.
    OutsideView {
        /// Offset of the access inside the view.
        offset: u64,
        /// Size of the access in bytes.
        size: u64,
        /// The view's length.
        view_len: u64,
    },
    /// A write through a read-only view or region.
    ReadOnly,
    /// Bytes of the region are gone from its file (Linux): another process
    /// shortened the file while this one mapped it (a process of the same
    /// user can truncate any of its files), or, for a file whose blocks were
    /// not reserved, the file system had no room for a page. The access met
    /// them: what it read is not the region's and what it wrote reached no
    /// other process. Every later access through the same mapping says so
    /// too. Where a process would have crashed with `SIGBUS`, it gets this.
    Truncated,
    /// The system refused what sleeping on a word needs (on Windows, the
    /// named semaphore and count beside the region).
    Wake {
        /// The word's offset in the region.
        offset: u64,
        /// The system's error.
        reason: String,
    },
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::OutsideRegion { offset, len, region_size } => write!(
                f,
                "a view of {len} bytes at offset {offset} does not fit in a region of {region_size} bytes"
            ),
            ViewError::OutsideView { offset, size, view_len } => write!(
                f,
                "an access of {size} bytes at view offset {offset} does not fit in a view of {view_len} bytes; nothing was read or written"
            ),
            ViewError::ReadOnly => write!(
                f,
                "this view or region is read-only; nothing was written (a region opened with Access::ReadWrite writes; an observer never does)"
            ),
            ViewError::Truncated => write!(
                f,
                "bytes of this region are gone from its file (another process shortened the file while it was mapped, or its file system had no room for a page that was not reserved): nothing read here is the region's and nothing written reaches another process; close the region and create it again"
            ),
            ViewError::Wake { offset, reason } => write!(
                f,
                "cannot set up wake-ups for the word at offset {offset}: {reason}"
            ),
        }
    }
}

impl std::error::Error for ViewError {}

impl From<ViewError> for io::Error {
    fn from(error: ViewError) -> Self {
        let kind = match error {
            ViewError::ReadOnly => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}
