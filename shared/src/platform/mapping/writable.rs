//! A writable mapping's bytes for a hot path: checked writable once, then
//! each access checks only its range (and a word its alignment), in a few
//! instructions on values the caller holds in registers.
//!
//! It does not ask whether an access met bytes another process cut off (as
//! [`Mapping::read`](super::Mapping::read) and
//! [`Mapping::write`](super::Mapping::write) do after each access): a
//! caller that uses it reads and writes zeros of its own once that happens.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::Mapping;

/// The bytes of a writable [`Mapping`], borrowed from it (see the module).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writable<'a> {
    base: NonNull<u8>,
    len: usize,
    mapping: PhantomData<&'a Mapping>,
}

impl<'a> Writable<'a> {
    /// The `len` writable bytes mapped at `base`.
    ///
    /// # Safety
    /// `base .. base + len` must be a shared mapping, mapped writable, that
    /// stays mapped for all of `'a` (as [`Mapping::writable`](super::Mapping::writable)
    /// and [`Writable::into_parts`] give them).
    #[inline(always)]
    pub(crate) unsafe fn from_parts(base: NonNull<u8>, len: usize) -> Writable<'a> {
        Writable {
            base,
            len,
            mapping: PhantomData,
        }
    }

    /// Where the bytes start and how many there are (for a holder that
    /// keeps the mapping alive: see [`Writable::from_parts`]).
    #[inline]
    pub(crate) fn into_parts(self) -> (NonNull<u8>, usize) {
        (self.base, self.len)
    }

    /// The start of `offset .. offset + len` when it lies in the mapping.
    #[inline(always)]
    fn start(self, offset: u64, len: usize) -> Option<usize> {
        let start = usize::try_from(offset).ok()?;
        (start <= self.len && len <= self.len - start).then_some(start)
    }

    /// The 4-byte word at `offset` as an atomic shared with other
    /// processes; `None` out of range or unaligned.
    #[inline(always)]
    pub(crate) fn word(self, offset: u64) -> Option<&'a AtomicU32> {
        let start = self.start(offset, 4)?;
        if start % std::mem::align_of::<AtomicU32>() != 0 {
            return None;
        }
        // SAFETY: in range and aligned (checked above; the mapping starts on
        // a page boundary, so the offset's alignment is the address's), in a
        // writable mapping that lives for 'a. `AtomicU32` has the layout of
        // `u32`, every bit pattern is valid, and every process accesses this
        // crate's shared words atomically.
        Some(unsafe { &*self.base.as_ptr().add(start).cast::<AtomicU32>() })
    }

    /// Copies `values` in at `offset`; false (nothing written) out of range.
    #[inline]
    pub(crate) fn copy_in<T: IntoBytes + Immutable>(self, offset: u64, values: &[T]) -> bool {
        let bytes = values.as_bytes();
        let Some(start) = self.start(offset, bytes.len()) else {
            return false;
        };
        // SAFETY: the destination lies in the writable mapping (checked
        // above), which lives for 'a; `values` lie outside it.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.as_ptr().add(start), bytes.len()) };
        true
    }

    /// Copies `out.len()` values out from `offset`; false (nothing read)
    /// out of range.
    #[inline]
    pub(crate) fn copy_out<T: FromBytes + IntoBytes>(self, offset: u64, out: &mut [T]) -> bool {
        let bytes = out.as_mut_bytes();
        let Some(start) = self.start(offset, bytes.len()) else {
            return false;
        };
        // SAFETY: the source lies in the mapping (checked above), which lives
        // for 'a; `out` is a Rust buffer outside it, and every bit pattern
        // is a valid `T` (`FromBytes`).
        unsafe {
            std::ptr::copy_nonoverlapping(self.base.as_ptr().add(start), bytes.as_mut_ptr(), bytes.len())
        };
        true
    }
}

impl<'a> Writable<'a> {
    /// The first `LEN` bytes, checked once: their words are then reached
    /// with no check at all; `None` when the mapping is shorter.
    #[inline(always)]
    pub(crate) fn prefix<const LEN: u64>(self) -> Option<Prefix<'a, LEN>> {
        self.start(0, usize::try_from(LEN).ok()?)?;
        Some(Prefix { bytes: self })
    }

    /// [`Writable::prefix`] without the check.
    ///
    /// # Safety
    /// The mapping must hold at least `LEN` bytes (as a `prefix` call on the
    /// same bytes found).
    #[inline(always)]
    pub(crate) unsafe fn prefix_unchecked<const LEN: u64>(self) -> Prefix<'a, LEN> {
        Prefix { bytes: self }
    }

    /// `count` records of `T` from `offset` (`count` a power of two),
    /// checked once (in range, aligned): record `i mod count` is then
    /// reached with no check; `None` when they do not fit or `offset` does
    /// not suit `T`'s alignment.
    #[inline(always)]
    pub(crate) fn slots<T>(self, offset: u64, count: u32) -> Option<Slots<'a, T>> {
        let len = (count as usize).checked_mul(std::mem::size_of::<T>())?;
        let start = self.start(offset, len)?;
        if !count.is_power_of_two() || start % std::mem::align_of::<T>() != 0 {
            return None;
        }
        // SAFETY: they fit and are aligned (checked above).
        Some(unsafe { self.slots_unchecked(offset, count) })
    }

    /// [`Writable::slots`] without the checks.
    ///
    /// # Safety
    /// `count` must be a power of two, and `count` records of `T` from
    /// `offset` must lie in the mapping, aligned for `T` (as a `slots` call
    /// on the same bytes found).
    #[inline(always)]
    pub(crate) unsafe fn slots_unchecked<T>(self, offset: u64, count: u32) -> Slots<'a, T> {
        // SAFETY: `offset` lies within the mapping (the caller's promise).
        let first = unsafe { self.base.add(offset as usize) }.cast::<T>();
        Slots {
            first,
            mask: count - 1,
            mapping: PhantomData,
        }
    }
}

/// The first `LEN` bytes of a writable mapping, checked once
/// ([`Writable::prefix`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix<'a, const LEN: u64> {
    bytes: Writable<'a>,
}

impl<'a, const LEN: u64> Prefix<'a, LEN> {
    /// The 4-byte word at `OFFSET` (a constant, aligned and inside the
    /// prefix: checked when compiled) as an atomic shared with other
    /// processes.
    #[inline(always)]
    pub(crate) fn word<const OFFSET: u64>(self) -> &'a AtomicU32 {
        const {
            assert!(
                OFFSET.is_multiple_of(4) && OFFSET + 4 <= LEN,
                "a word inside the prefix"
            )
        };
        // SAFETY: the prefix lies in the writable mapping (checked when it
        // was made), which lives for 'a; the word lies in the prefix and is
        // aligned (checked when compiled; the mapping starts on a page
        // boundary). `AtomicU32` has the layout of `u32`, every bit pattern
        // is valid, and every process accesses this crate's shared words
        // atomically.
        unsafe { &*self.bytes.base.as_ptr().add(OFFSET as usize).cast::<AtomicU32>() }
    }
}

/// A power-of-two count of records of `T` in a writable mapping, checked
/// once ([`Writable::slots`]).
#[derive(Debug)]
pub(crate) struct Slots<'a, T> {
    first: NonNull<T>,
    mask: u32,
    mapping: PhantomData<&'a Mapping>,
}

impl<T> Clone for Slots<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slots<'_, T> {}

impl<'a, T: IntoBytes + Immutable> Slots<'a, T> {
    /// Stores `value` in slot `index mod count`: one typed store (a record
    /// built just before stays in registers).
    #[inline(always)]
    pub(crate) fn put(self, index: u32, value: &T) {
        // SAFETY: the slot lies in the writable mapping and is aligned for
        // `T` (both checked when the slots were made; the index is masked),
        // which lives for 'a; `value` is outside it. The store writes a
        // bitwise copy of plain bytes (`IntoBytes`) that nothing ever drops.
        unsafe {
            self.first
                .as_ptr()
                .add((index & self.mask) as usize)
                .write(std::ptr::read(value))
        };
    }
}
