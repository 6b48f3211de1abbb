//! Views of a region: .NET's `MemoryMappedViewAccessor` ([`AccessorView`])
//! and `MemoryMappedViewStream` ([`StreamView`]), both confined to a window
//! (an offset and a length inside the region).

mod accessor;
mod stream;

pub use accessor::AccessorView;
pub use stream::StreamView;

use crate::error::ViewError;
use crate::platform::mapping::Refused;

/// The view error for a refused access of `size` bytes at view offset `offset`.
pub(crate) fn refused(refused: Refused, offset: u64, size: u64, view_len: u64) -> ViewError {
    match refused {
        Refused::ReadOnly => ViewError::ReadOnly,
        Refused::Cut => ViewError::Truncated,
        Refused::OutOfRange => ViewError::OutsideView {
            offset,
            size,
            view_len,
        },
    }
}

/// The view error for a refused atomic word of type `A` at region offset
/// `offset` in a region of `region_size` bytes (what
/// [`Region::atomic_u32`](crate::Region::atomic_u32) reports): a word that
/// does not fit is [`ViewError::OutsideView`], one that fits at an offset
/// that is not a multiple of its alignment [`ViewError::Misaligned`].
pub(crate) fn word_refused<A>(refused: Refused, offset: u64, region_size: u64) -> ViewError {
    let size = std::mem::size_of::<A>() as u64;
    let align = std::mem::align_of::<A>() as u64;
    let fits = offset.checked_add(size).is_some_and(|end| end <= region_size);
    match refused {
        Refused::ReadOnly => ViewError::ReadOnly,
        Refused::Cut => ViewError::Truncated,
        Refused::OutOfRange if fits && !offset.is_multiple_of(align) => ViewError::Misaligned {
            offset,
            size,
            align,
            region_size,
        },
        Refused::OutOfRange => ViewError::OutsideView {
            offset,
            size,
            view_len: region_size,
        },
    }
}

/// A checked window `[start, start + len)` of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    start: u64,
    len: u64,
}

impl Window {
    /// The window at `offset` of length `len` (0 = to the end) in a region of
    /// `region_size` bytes.
    pub(crate) fn new(region_size: u64, offset: u64, len: u64) -> Result<Self, ViewError> {
        let outside = ViewError::OutsideRegion {
            offset,
            len,
            region_size,
        };
        if offset > region_size {
            return Err(outside);
        }
        let len = if len == 0 { region_size - offset } else { len };
        match offset.checked_add(len) {
            Some(end) if end <= region_size => Ok(Window { start: offset, len }),
            _ => Err(outside),
        }
    }

    /// The window's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The window's offset in the region.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// The region offset of an access of `size` bytes at view offset `offset`.
    pub(crate) fn locate(&self, offset: u64, size: u64) -> Result<u64, ViewError> {
        match offset.checked_add(size) {
            Some(end) if end <= self.len => Ok(self.start + offset),
            _ => Err(ViewError::OutsideView {
                offset,
                size,
                view_len: self.len,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_length_means_to_the_end() {
        let window = Window::new(100, 40, 0).expect("fits");
        assert_eq!(window.len(), 60);
        assert_eq!(window.locate(56, 4), Ok(96));
    }

    #[test]
    fn windows_outside_the_region_are_refused() {
        assert!(Window::new(100, 101, 0).is_err());
        assert!(Window::new(100, 90, 11).is_err());
        assert!(Window::new(100, u64::MAX, 2).is_err());
        assert!(Window::new(100, 100, 0).is_ok());
    }

    #[test]
    fn a_word_that_fits_at_a_misaligned_offset_is_misaligned_not_outside() {
        use std::sync::atomic::{AtomicU32, AtomicU64};
        for offset in [1, 2, 3, 4091] {
            assert_eq!(
                word_refused::<AtomicU32>(Refused::OutOfRange, offset, 4096),
                ViewError::Misaligned {
                    offset,
                    size: 4,
                    align: 4,
                    region_size: 4096
                }
            );
        }
        assert_eq!(
            word_refused::<AtomicU32>(Refused::OutOfRange, 4093, 4098),
            ViewError::Misaligned {
                offset: 4093,
                size: 4,
                align: 4,
                region_size: 4098
            }
        );
        for offset in [4, 12, 4084] {
            assert_eq!(
                word_refused::<AtomicU64>(Refused::OutOfRange, offset, 4096),
                ViewError::Misaligned {
                    offset,
                    size: 8,
                    align: 8,
                    region_size: 4096
                }
            );
        }
    }

    #[test]
    fn a_word_that_does_not_fit_is_outside_the_view_aligned_or_not() {
        use std::sync::atomic::{AtomicU32, AtomicU64};
        for offset in [4096, 4093, 4094, 4095, 5000, u64::MAX - 1] {
            assert_eq!(
                word_refused::<AtomicU32>(Refused::OutOfRange, offset, 4096),
                ViewError::OutsideView {
                    offset,
                    size: 4,
                    view_len: 4096
                }
            );
        }
        assert_eq!(
            word_refused::<AtomicU64>(Refused::OutOfRange, 4092, 4096),
            ViewError::OutsideView {
                offset: 4092,
                size: 8,
                view_len: 4096
            }
        );
        assert_eq!(
            word_refused::<AtomicU32>(Refused::ReadOnly, 0, 4096),
            ViewError::ReadOnly
        );
    }

    #[test]
    fn accesses_outside_the_view_are_refused() {
        let window = Window::new(100, 10, 20).expect("fits");
        assert_eq!(window.locate(16, 4), Ok(26));
        assert!(window.locate(17, 4).is_err());
        assert!(window.locate(u64::MAX, 1).is_err());
    }
}
