//! A region's bytes held for a hot path: the mapping's address taken once,
//! beside the region that keeps the mapping alive, and a layout checked
//! once (a header, then a power-of-two count of records), so that each
//! access starts from values the holder keeps and checks nothing more.

use std::ptr::NonNull;

use crate::platform::mapping::{Prefix, Slots, Writable};
use crate::region::Region;

/// A writable region's bytes, seen as a header of `HEADER` bytes followed
/// by `count` records of `T` (see the module).
#[derive(Debug)]
pub(crate) struct PinnedSlots<T, const HEADER: u64> {
    /// Keeps the mapping mapped: a region's mapping never moves or changes
    /// while any clone of the region lives.
    region: Region,
    base: NonNull<u8>,
    len: usize,
    /// The records' count: 0 (none checked yet), or a power of two whose
    /// records fit after the header.
    count: u32,
    record: std::marker::PhantomData<T>,
}

// SAFETY: the pointer is into a shared mapping that `region` (itself Send
// and Sync) owns, and the bytes are only reached through `Writable`,
// `Prefix` and `Slots`, whose accesses are atomics and copies, as any
// thread of any process may make. `T` is only ever copied in (`Slots::put`
// takes `&T` and stores a copy), never handed across threads by this type.
unsafe impl<T, const HEADER: u64> Send for PinnedSlots<T, HEADER> {}
// SAFETY: as for Send: `&PinnedSlots` hands out only those accesses.
unsafe impl<T, const HEADER: u64> Sync for PinnedSlots<T, HEADER> {}

impl<T, const HEADER: u64> PinnedSlots<T, HEADER> {
    /// The bytes of `region`, with `count` records after the header (0:
    /// none yet, see [`PinnedSlots::with_count`]); `None` when the region is
    /// read-only, shorter than the header, or too short for the records.
    pub(crate) fn new(region: Region, count: u32) -> Option<Self> {
        let bytes = region.mapping().writable()?;
        bytes.prefix::<HEADER>()?;
        if count > 0 {
            bytes.slots::<T>(HEADER, count)?;
        }
        let (base, len) = bytes.into_parts();
        Some(PinnedSlots {
            region,
            base,
            len,
            count,
            record: std::marker::PhantomData,
        })
    }

    /// The same bytes with `count` records after the header; `None` when
    /// they do not fit.
    pub(crate) fn with_count(self, count: u32) -> Option<Self> {
        Self::new(self.region, count)
    }

    /// The region.
    pub(crate) fn region(&self) -> &Region {
        &self.region
    }

    /// All the bytes (every access checks its range).
    #[inline(always)]
    pub(crate) fn bytes(&self) -> Writable<'_> {
        // SAFETY: `base .. base + len` is the writable mapping of
        // `self.region` (taken in `new` from a `Writable`), which stays
        // mapped while `self`, which the result borrows, holds the region.
        unsafe { Writable::from_parts(self.base, self.len) }
    }

    /// The header (checked in `new`).
    #[inline(always)]
    pub(crate) fn header(&self) -> Prefix<'_, HEADER> {
        // SAFETY: the mapping holds at least HEADER bytes (checked in `new`).
        unsafe { self.bytes().prefix_unchecked() }
    }

    /// The records (checked in `new`); `None` when none were given.
    #[inline(always)]
    pub(crate) fn slots(&self) -> Option<Slots<'_, T>> {
        if self.count == 0 {
            return None;
        }
        // SAFETY: `count` records of `T` fit after the header, aligned
        // (checked in `new`), and `count` is a power of two.
        Some(unsafe { self.bytes().slots_unchecked(HEADER, self.count) })
    }
}
