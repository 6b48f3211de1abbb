//! Errors of views: an access outside its window, an atomic word off its
//! alignment, a write read-only.

use std::fmt;
use std::io;

/// A view was asked for, or used, outside its window, an atomic word was
/// asked for at a misaligned offset, or a read-only view was written.
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
    /// An atomic word ([`Region::atomic_u32`](crate::Region::atomic_u32),
    /// [`Region::notifier`](crate::Region::notifier)) asked for at an offset
    /// that is not a multiple of its alignment. The word would fit; the
    /// processor cannot access it atomically there. (Plain reads and writes
    /// through an [`AccessorView`](crate::AccessorView) need no alignment.)
    Misaligned {
        /// The requested offset in the region.
        offset: u64,
        /// Size of the word in bytes.
        size: u64,
        /// What the offset must be a multiple of (the word's alignment).
        align: u64,
        /// The region's size, which bounds the offsets worth suggesting.
        region_size: u64,
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
            ViewError::Misaligned {
                offset,
                size,
                align,
                region_size,
            } => {
                write!(
                    f,
                    "the {size}-byte atomic word at region offset {offset} is misaligned: its offset must be a multiple of {align}"
                )?;
                let (below, above) = aligned_neighbours(*offset, *size, *align, *region_size);
                match (below, above) {
                    (Some(below), Some(above)) => {
                        write!(f, " (the nearest are {below} and {above})")?;
                    }
                    (Some(only), None) | (None, Some(only)) => write!(f, " (the nearest is {only})")?,
                    (None, None) => {}
                }
                write!(f, "; nothing was read or written")
            }
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

/// The multiples of `align` just below and just above `offset` at which a
/// word of `size` bytes fits in `region_size` bytes.
fn aligned_neighbours(offset: u64, size: u64, align: u64, region_size: u64) -> (Option<u64>, Option<u64>) {
    let fits = |start: u64| start.checked_add(size).is_some_and(|end| end <= region_size);
    let align = align.max(1);
    let below = offset - offset % align;
    let above = below.checked_add(align);
    (
        Some(below).filter(|&start| fits(start)),
        above.filter(|&start| fits(start)),
    )
}

impl From<ViewError> for io::Error {
    fn from(error: ViewError) -> Self {
        let kind = match error {
            ViewError::ReadOnly => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn misaligned(offset: u64, size: u64, region_size: u64) -> String {
        ViewError::Misaligned {
            offset,
            size,
            align: size,
            region_size,
        }
        .to_string()
    }

    #[test]
    fn a_misaligned_word_names_the_multiple_and_the_nearest_aligned_offsets() {
        assert_eq!(
            misaligned(2, 4, 4096),
            "the 4-byte atomic word at region offset 2 is misaligned: its offset must be a multiple of 4 (the nearest are 0 and 4); nothing was read or written"
        );
        assert_eq!(
            misaligned(13, 8, 4096),
            "the 8-byte atomic word at region offset 13 is misaligned: its offset must be a multiple of 8 (the nearest are 8 and 16); nothing was read or written"
        );
    }

    #[test]
    fn an_aligned_offset_where_the_word_would_not_fit_is_not_suggested() {
        let text = misaligned(4090, 4, 4096);
        assert!(text.contains("(the nearest are 4088 and 4092)"), "{text}");
        let text = misaligned(4093, 4, 4098);
        assert!(text.contains("(the nearest is 4092)"), "{text}");
        let text = misaligned(4089, 8, 4100);
        assert!(text.contains("(the nearest is 4088)"), "{text}");
    }

    #[test]
    fn a_misaligned_word_is_invalid_input_not_a_permission_problem() {
        let error = io::Error::from(ViewError::Misaligned {
            offset: 2,
            size: 4,
            align: 4,
            region_size: 4096,
        });
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
