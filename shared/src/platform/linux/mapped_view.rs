//! A shared mapping of a file's first bytes, through memmap2.

use std::fs::File;
use std::io;

use memmap2::{MmapOptions, MmapRaw};

use super::bus_guard::Guard;

/// The mapped bytes of a file (unmapped on drop), guarded against the file
/// being shortened under them (see [`super::bus_guard`]).
#[derive(Debug)]
pub(crate) struct MappedView {
    /// Declared first: unregistered before the unmapping.
    guard: Guard,
    raw: MmapRaw,
}

impl MappedView {
    /// Maps the first `len` bytes of `file` shared; writable when `writable`
    /// (the file must then be open for writing).
    pub(crate) fn of_file(file: &File, len: usize, writable: bool) -> io::Result<Self> {
        let mut options = MmapOptions::new();
        options.len(len);
        let raw = if writable {
            options.map_raw(file)?
        } else {
            options.map_raw_read_only(file)?
        };
        let guard = Guard::register(raw.as_mut_ptr(), raw.len());
        Ok(MappedView { guard, raw })
    }

    /// Whether an access found the file shorter than the mapping: the lost
    /// bytes read as zeros in this process alone from then on. Ask after an
    /// access, to learn whether it met them.
    #[inline]
    pub(crate) fn is_cut(&self) -> bool {
        self.guard.is_cut()
    }

    /// The first mapped byte (page-aligned).
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.raw.as_mut_ptr()
    }

    /// The mapped length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.raw.len()
    }

    /// Writes `start .. start + len` back to the file (`msync`).
    pub(crate) fn flush_range(&self, start: usize, len: usize) -> io::Result<()> {
        self.raw.flush_range(start, len)
    }
}
