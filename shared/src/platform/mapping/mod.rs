//! The mapped bytes of a region, and the only place that touches them.
//!
//! Another process maps the same file, so nothing here ever hands out a Rust
//! reference (`&[u8]` / `&mut [u8]`) to mapped bytes: a reference promises that
//! nobody else changes the bytes, which another process can break at any time.
//! Bytes are copied in and out through raw pointers instead, and the few words
//! several processes update concurrently are accessed as atomics.
//!
//! A read-only mapping is mapped without write permission, and every write to
//! it is refused here with [`Refused::ReadOnly`] before any store happens.
//!
//! Hazard shared by every process that maps the file: if one of them shrinks the
//! file, the others get `SIGBUS` when they touch the lost pages. This crate never
//! shrinks a file it maps, creates its files owner-only, and by default reserves
//! the pages of the files it maps up front. On Linux, where another process of
//! the same user can still shrink a file, the platform layer catches the
//! `SIGBUS` of a registered mapping, and [`Mapping::read`] and
//! [`Mapping::write`] then refuse the access with [`Refused::Cut`].

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU32, AtomicU64};

use super::MappedView;

mod words;
mod writable;

pub(crate) use words::Words;
pub(crate) use writable::{Prefix, Slots, Writable};

/// Why an access to the mapping was refused (nothing was read or written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The byte range does not lie inside the mapping.
    OutOfRange,
    /// A write to a read-only mapping.
    ReadOnly,
    /// The access met bytes that another process cut off: it shortened the
    /// file under the mapping (Linux; see `platform/linux/bus_guard.rs`).
    /// What was read is not the region's, what was written reached nobody.
    Cut,
}

/// A shared mapping of a region's bytes (the platform's view of them).
#[derive(Debug)]
pub(crate) struct Mapping {
    raw: MappedView,
    writable: bool,
}

impl Mapping {
    /// Maps the first `len` bytes of `file` shared; writable when `writable`
    /// (the file must then be open for writing). A `len` of 0 maps nothing
    /// (every access is out of range).
    pub(crate) fn map(file: &File, len: u64, writable: bool) -> io::Result<Self> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(Mapping::of(MappedView::of_file(file, len, writable)?, writable))
    }

    /// The mapping of a view the platform layer made; `writable` must say
    /// whether it was mapped with write access.
    pub(crate) fn of(raw: MappedView, writable: bool) -> Self {
        Mapping { raw, writable }
    }

    /// Length of the mapping in bytes.
    #[inline]
    pub(crate) fn len(&self) -> u64 {
        self.raw.len() as u64
    }

    /// Whether writes are allowed.
    pub(crate) fn is_writable(&self) -> bool {
        self.writable
    }

    #[inline]
    fn start(&self, offset: u64, len: usize) -> Result<usize, Refused> {
        let end = offset.checked_add(len as u64).ok_or(Refused::OutOfRange)?;
        if end > self.len() {
            return Err(Refused::OutOfRange);
        }
        usize::try_from(offset).map_err(|_| Refused::OutOfRange)
    }

    /// Copies `buf.len()` bytes at `offset` out of the mapping.
    #[inline]
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), Refused> {
        let start = self.start(offset, buf.len())?;
        // SAFETY: `start + buf.len() <= self.raw.len()` was checked above, so the
        // source lies inside the live mapping; `buf` is a separate Rust buffer, so
        // the ranges cannot overlap. No reference to mapped bytes is created.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.raw.as_ptr().cast_const().add(start),
                buf.as_mut_ptr(),
                buf.len(),
            );
        }
        self.check_whole()
    }

    /// After an access: refuses it when it (or an earlier one) met bytes
    /// another process cut off, rather than pass private zeros for the
    /// region's bytes.
    #[inline]
    fn check_whole(&self) -> Result<(), Refused> {
        if self.raw.is_cut() {
            return Err(Refused::Cut);
        }
        Ok(())
    }

    /// Copies `data` into the mapping at `offset`.
    ///
    /// Inlined (as are `read` and `start`) so that a small copy of a known
    /// size, such as a turn's mailbox, becomes a few moves instead of a call
    /// to `memcpy`: with the call, a peer spinning on the same cache line
    /// took the line back between the copy and the turn word's write, and a
    /// round trip cost 85 ns instead of 36 ns.
    #[inline]
    pub(crate) fn write(&self, offset: u64, data: &[u8]) -> Result<(), Refused> {
        let start = self.start(offset, data.len())?;
        if !self.writable {
            return Err(Refused::ReadOnly);
        }
        // SAFETY: the destination lies inside the live mapping (checked above),
        // which was mapped writable (checked above); `data` is a Rust buffer
        // outside the mapping, so no overlap. The mapping is shared: other
        // processes see the bytes, which is the point.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.raw.as_ptr().add(start), data.len());
        }
        self.check_whole()
    }

    /// The mapping's bytes for a hot path ([`Writable`]): `None` when it is
    /// read-only.
    #[inline]
    pub(crate) fn writable(&self) -> Option<Writable<'_>> {
        let base = std::ptr::NonNull::new(self.raw.as_ptr())?;
        // SAFETY: the mapping is writable (checked) and stays mapped for as
        // long as `self`, which the result borrows.
        self.writable
            .then(|| unsafe { Writable::from_parts(base, self.raw.len()) })
    }

    /// The 4-byte word at `offset` as an atomic shared with other processes.
    ///
    /// Refused when the word is out of range or not 4-byte aligned, or when
    /// the mapping is read-only (an atomic store would fault).
    #[inline]
    pub(crate) fn atomic_u32(&self, offset: u64) -> Result<&AtomicU32, Refused> {
        let start = self.start(offset, 4)?;
        // The mapping starts on a page boundary, so alignment of the address is
        // alignment of the offset.
        if start % std::mem::align_of::<AtomicU32>() != 0 {
            return Err(Refused::OutOfRange);
        }
        if !self.writable {
            return Err(Refused::ReadOnly);
        }
        // SAFETY: in range, aligned and writable (checked above); the mapping
        // lives as long as `self`, which bounds the returned lifetime.
        // `AtomicU32` has the size and layout of `u32`, every bit pattern is
        // valid, and all accesses by this crate (in any process) to the words it
        // uses as atomics are atomic.
        Ok(unsafe { &*self.raw.as_ptr().add(start).cast::<AtomicU32>() })
    }

    /// The 8-byte word at `offset` as an atomic shared with other processes;
    /// refused as [`Mapping::atomic_u32`] is (and unless 8-byte aligned).
    #[cfg_attr(not(windows), allow(dead_code))] // for the Windows wake-ups
    pub(crate) fn atomic_u64(&self, offset: u64) -> Result<&AtomicU64, Refused> {
        let start = self.start(offset, 8)?;
        // The mapping starts on a page boundary: alignment of the offset is
        // alignment of the address.
        if start % std::mem::align_of::<AtomicU64>() != 0 {
            return Err(Refused::OutOfRange);
        }
        if !self.writable {
            return Err(Refused::ReadOnly);
        }
        // SAFETY: in range, aligned and writable (checked above); the mapping
        // lives as long as `self`, which bounds the returned lifetime.
        // `AtomicU64` has the size and layout of `u64`, every bit pattern is
        // valid, and every process accesses this crate's 8-byte words
        // atomically.
        Ok(unsafe { &*self.raw.as_ptr().add(start).cast::<AtomicU64>() })
    }

    /// Writes the bytes `offset .. offset + len` back to the file (`msync`):
    /// for a region over a file on disk, makes them durable.
    pub(crate) fn flush_range(&self, offset: u64, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let start = self
            .start(offset, len)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if len == 0 || !self.writable {
            return Ok(());
        }
        self.raw.flush_range(start, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch file of `len` bytes and its mapping (also for the tests
    /// of the submodules).
    pub(super) fn scratch(len: u64, writable: bool) -> (std::fs::File, Mapping) {
        let file = tempfile::tempfile().expect("create scratch file");
        file.set_len(len).expect("size scratch file");
        let mapping = Mapping::map(&file, len, writable).expect("map scratch file");
        (file, mapping)
    }

    #[test]
    fn reads_back_what_was_written() {
        let (_file, mapping) = scratch(64, true);
        mapping.write(60, &[1, 2, 3, 4]).expect("in range");
        let mut buf = [0u8; 4];
        mapping.read(60, &mut buf).expect("in range");
        assert_eq!(buf, [1, 2, 3, 4]);
        mapping.flush_range(0, 64).expect("msync");
    }

    #[test]
    fn refuses_ranges_past_the_end_without_writing() {
        let (_file, mapping) = scratch(64, true);
        assert_eq!(mapping.write(61, &[9, 9, 9, 9]), Err(Refused::OutOfRange));
        assert_eq!(mapping.write(u64::MAX, &[9]), Err(Refused::OutOfRange));
        let mut buf = [0u8; 4];
        assert_eq!(mapping.read(u64::MAX - 1, &mut buf), Err(Refused::OutOfRange));
        mapping.read(60, &mut buf).expect("in range");
        assert_eq!(buf, [0, 0, 0, 0]);
    }

    #[test]
    fn a_read_only_mapping_refuses_writes_and_atomics() {
        let (_file, mapping) = scratch(64, false);
        assert_eq!(mapping.write(0, &[1]), Err(Refused::ReadOnly));
        assert_eq!(mapping.atomic_u32(0).err(), Some(Refused::ReadOnly));
        let mut buf = [9u8; 4];
        mapping.read(0, &mut buf).expect("reads are fine");
        assert_eq!(buf, [0; 4]);
    }

    #[test]
    fn atomics_must_be_aligned_and_in_range() {
        let (_file, mapping) = scratch(64, true);
        assert!(mapping.atomic_u32(60).is_ok());
        assert!(mapping.atomic_u32(62).is_err());
        assert!(mapping.atomic_u32(64).is_err());
    }
}
