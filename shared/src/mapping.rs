//! The mapped bytes of a region, and the only place that touches them.
//!
//! Another process maps the same file, so nothing here ever hands out a Rust
//! reference (`&[u8]` / `&mut [u8]`) to region bytes: a reference promises that
//! nobody else changes the bytes, which another process can break at any time.
//! Bytes are copied in and out through raw pointers instead, and the few words
//! several processes update concurrently are accessed as atomics.
//!
//! Hazard shared by every process that maps the file: if one of them shrinks the
//! file, the others get `SIGBUS` when they touch the lost pages. This crate keeps
//! the size fixed (it is set once, before the file gets its name, and never
//! truncated), creates the files owner-only, and reserves the pages up front.

use std::fs::File;
use std::io;
use std::sync::atomic::AtomicU32;

use memmap2::{MmapOptions, MmapRaw};

use crate::service_msg::ServiceMsg;

/// A byte range that does not lie inside the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// A shared, writable mapping of a whole region file.
#[derive(Debug)]
pub(crate) struct Mapping {
    raw: MmapRaw,
}

impl Mapping {
    /// Maps the first `len` bytes of `file` shared and writable.
    pub(crate) fn map(file: &File, len: u64) -> io::Result<Self> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let raw = MmapOptions::new().len(len).map_raw(file)?;
        Ok(Mapping { raw })
    }

    /// Length of the mapping in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.raw.len() as u64
    }

    fn start(&self, offset: u64, len: usize) -> Result<usize, OutOfRange> {
        let end = offset.checked_add(len as u64).ok_or(OutOfRange)?;
        if end > self.len() {
            return Err(OutOfRange);
        }
        usize::try_from(offset).map_err(|_| OutOfRange)
    }

    /// Copies `buf.len()` bytes at `offset` out of the region.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), OutOfRange> {
        let start = self.start(offset, buf.len())?;
        // SAFETY: `start + buf.len() <= self.raw.len()` was checked above, so the
        // source lies inside the live mapping; `buf` is a separate Rust buffer, so
        // the ranges cannot overlap. No reference to region bytes is created.
        unsafe {
            std::ptr::copy_nonoverlapping(self.raw.as_ptr().add(start), buf.as_mut_ptr(), buf.len());
        }
        Ok(())
    }

    /// Copies `data` into the region at `offset`.
    pub(crate) fn write(&self, offset: u64, data: &[u8]) -> Result<(), OutOfRange> {
        let start = self.start(offset, data.len())?;
        // SAFETY: the destination lies inside the live, writable mapping (checked
        // above); `data` is a Rust buffer outside the mapping, so no overlap. The
        // mapping is shared: other processes see the bytes, which is the point.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.raw.as_mut_ptr().add(start), data.len());
        }
        Ok(())
    }

    /// Reads consecutive `N`-byte items at `offset` into `items`, decoding each.
    pub(crate) fn read_items<const N: usize, T>(
        &self,
        offset: u64,
        items: &mut [T],
        decode: impl Fn(&[u8; N]) -> T,
    ) -> Result<(), OutOfRange> {
        let len = items.len().checked_mul(N).ok_or(OutOfRange)?;
        let start = self.start(offset, len)?;
        // SAFETY: `start + len <= self.raw.len()` was checked above, so the
        // whole run lies inside the live mapping.
        let base = unsafe { self.raw.as_ptr().add(start) };
        for (i, item) in items.iter_mut().enumerate() {
            // SAFETY: inside the checked run, read by value without alignment
            // or references.
            let bytes = unsafe { base.add(i * N).cast::<[u8; N]>().read_unaligned() };
            *item = decode(&bytes);
        }
        Ok(())
    }

    /// Encodes `msgs` as consecutive records at `offset`: per record one
    /// 8-byte store of `Id` widened with its zero padding, and one of `NowTime`.
    pub(crate) fn write_service_msgs(&self, offset: u64, msgs: &[ServiceMsg]) -> Result<(), OutOfRange> {
        let len = std::mem::size_of_val(msgs);
        let start = self.start(offset, len)?;
        // SAFETY: `start + len <= self.raw.len()` was checked above; `len` is
        // 16 bytes per record (`ServiceMsg` is 16 bytes, checked at compile
        // time in service_msg.rs).
        let base = unsafe { self.raw.as_mut_ptr().add(start) };
        for (i, msg) in msgs.iter().enumerate() {
            let id_and_padding = u64::from(msg.id as u32);
            let now_time = msg.now_time as u64;
            // SAFETY: record `i` occupies `base + 16i .. base + 16i + 16`,
            // inside the checked run; one unaligned 16-byte store, no references.
            unsafe { store_record(base.add(i * 16), id_and_padding, now_time) };
        }
        Ok(())
    }

    /// Copies consecutive encoded records at `offset` into `msgs`. On
    /// little-endian targets the encoded record *is* the in-memory
    /// `#[repr(C)]` `ServiceMsg` (padding aside), so this is one memcpy.
    pub(crate) fn read_service_msgs(&self, offset: u64, msgs: &mut [ServiceMsg]) -> Result<(), OutOfRange> {
        if cfg!(target_endian = "little") {
            let len = std::mem::size_of_val(msgs);
            let start = self.start(offset, len)?;
            // SAFETY: the source range was checked to lie in the live mapping;
            // the destination is `msgs`' own memory, `len` bytes long, and
            // cannot overlap the mapping. `ServiceMsg` is `#[repr(C)]` with an
            // `i32` at 0 and an `i64` at 8 (both valid for every bit pattern;
            // the bytes 4..8 are padding, which may hold anything), and on a
            // little-endian target their encoded bytes are their values.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.raw.as_ptr().add(start),
                    msgs.as_mut_ptr().cast::<u8>(),
                    len,
                );
            }
            Ok(())
        } else {
            self.read_items(offset, msgs, ServiceMsg::decode)
        }
    }

    /// The 4-byte word at `offset` as an atomic shared with other processes.
    ///
    /// Returns `None` when the word is out of range or not 4-byte aligned.
    pub(crate) fn atomic_u32(&self, offset: u64) -> Option<&AtomicU32> {
        let start = self.start(offset, 4).ok()?;
        // The mapping starts on a page boundary, so alignment of the address is
        // alignment of the offset.
        if start % std::mem::align_of::<AtomicU32>() != 0 {
            return None;
        }
        // SAFETY: in range and aligned (checked above); the mapping lives as long
        // as `self`, which bounds the returned lifetime. `AtomicU32` has the size
        // and layout of `u32` and every bit pattern is valid, and all accesses by
        // this crate (in any process) to these words are atomic.
        Some(unsafe { &*self.raw.as_ptr().add(start).cast::<AtomicU32>() })
    }
}

/// Stores one encoded record: `low` in bytes 0..8, `high` in 8..16, both
/// little-endian.
///
/// # Safety
/// `dst .. dst + 16` must be writable memory.
#[inline]
unsafe fn store_record(dst: *mut u8, low: u64, high: u64) {
    // SAFETY: the caller guarantees the 16 bytes are writable; unaligned
    // writes need no alignment and create no references.
    unsafe {
        dst.cast::<u64>().write_unaligned(low.to_le());
        dst.add(8).cast::<u64>().write_unaligned(high.to_le());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(len: u64) -> (std::fs::File, Mapping) {
        let file = tempfile::tempfile().expect("create scratch file");
        file.set_len(len).expect("size scratch file");
        let mapping = Mapping::map(&file, len).expect("map scratch file");
        (file, mapping)
    }

    #[test]
    fn reads_back_what_was_written() {
        let (_file, mapping) = scratch(64);
        mapping.write(60, &[1, 2, 3, 4]).expect("in range");
        let mut buf = [0u8; 4];
        mapping.read(60, &mut buf).expect("in range");
        assert_eq!(buf, [1, 2, 3, 4]);
    }

    #[test]
    fn refuses_ranges_past_the_end_without_writing() {
        let (_file, mapping) = scratch(64);
        assert_eq!(mapping.write(61, &[9, 9, 9, 9]), Err(OutOfRange));
        assert_eq!(mapping.write(u64::MAX, &[9]), Err(OutOfRange));
        let mut buf = [0u8; 4];
        assert_eq!(mapping.read(u64::MAX - 1, &mut buf), Err(OutOfRange));
        mapping.read(60, &mut buf).expect("in range");
        assert_eq!(buf, [0, 0, 0, 0]);
    }

    #[test]
    fn atomics_must_be_aligned_and_in_range() {
        let (_file, mapping) = scratch(64);
        assert!(mapping.atomic_u32(60).is_some());
        assert!(mapping.atomic_u32(62).is_none());
        assert!(mapping.atomic_u32(64).is_none());
    }
}
