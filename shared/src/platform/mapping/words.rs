//! A run of 8-byte words of a mapping, each read and written as an atomic
//! shared with other processes: what the latest-value cell
//! ([`crate::latest`]) keeps its header, its sequence counters and its
//! values in. Checked once (in range, 8-byte aligned); each word is then
//! reached by its index.
//!
//! Reading goes through relaxed loads only, which Rust allows on read-only
//! memory for atomics no wider than a register (the standard library's
//! `std::sync::atomic` documentation, "Atomic accesses to read-only
//! memory"): so a read-only mapping can be read here too. Stores and
//! compare-exchanges need a writable mapping ([`Words::word`]).

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Mapping, Refused};

/// `count` consecutive 8-byte words of a mapping (see the module).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Words<'a> {
    first: NonNull<AtomicU64>,
    count: usize,
    writable: bool,
    mapping: PhantomData<&'a Mapping>,
}

impl Mapping {
    /// The `count` 8-byte words from `offset`; refused when they do not lie
    /// in the mapping or `offset` is not a multiple of 8.
    #[inline]
    pub(crate) fn words(&self, offset: u64, count: usize) -> Result<Words<'_>, Refused> {
        let len = count.checked_mul(8).ok_or(Refused::OutOfRange)?;
        let start = self.start(offset, len)?;
        // The mapping starts on a page boundary: alignment of the offset is
        // alignment of the address.
        if start % std::mem::align_of::<AtomicU64>() != 0 {
            return Err(Refused::OutOfRange);
        }
        let base = NonNull::new(self.raw.as_ptr()).ok_or(Refused::OutOfRange)?;
        // SAFETY: `start + len <= self.len()` (checked above), so the offset
        // stays inside the live mapping that `base` starts.
        let first = unsafe { base.add(start) }.cast::<AtomicU64>();
        Ok(Words {
            first,
            count,
            writable: self.writable,
            mapping: PhantomData,
        })
    }
}

impl<'a> Words<'a> {
    /// The word at `index` as an atomic; `None` past the end.
    #[inline(always)]
    fn at(self, index: usize) -> Option<&'a AtomicU64> {
        if index >= self.count {
            return None;
        }
        // SAFETY: `index < count`, and the `count` words lie in the mapping,
        // 8-byte aligned (checked in `Mapping::words`), which stays mapped
        // for 'a. `AtomicU64` has the layout of `u64` and every bit pattern
        // is valid; every process accesses these words atomically. On a
        // read-only mapping the reference is only used for relaxed loads
        // (see `load`; `word` refuses it), which work on read-only memory.
        Some(unsafe { &*self.first.as_ptr().add(index) })
    }

    /// A relaxed load of the word at `index`; `None` past the end.
    #[inline(always)]
    pub(crate) fn load(self, index: usize) -> Option<u64> {
        Some(self.at(index)?.load(Ordering::Relaxed))
    }

    /// The word at `index`, for stores and compare-exchanges; `None` past
    /// the end or when the mapping is read-only.
    #[inline(always)]
    pub(crate) fn word(self, index: usize) -> Option<&'a AtomicU64> {
        if !self.writable {
            return None;
        }
        self.at(index)
    }

    /// Whether stores are allowed ([`Words::word`]).
    #[inline]
    pub(crate) fn is_writable(self) -> bool {
        self.writable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::mapping::tests::scratch;

    #[test]
    fn words_must_be_aligned_and_in_range() {
        let (_file, mapping) = scratch(64, true);
        assert!(mapping.words(0, 8).is_ok());
        assert!(mapping.words(8, 7).is_ok());
        assert_eq!(mapping.words(8, 8).err(), Some(Refused::OutOfRange));
        assert_eq!(mapping.words(4, 1).err(), Some(Refused::OutOfRange));
        assert_eq!(mapping.words(0, usize::MAX).err(), Some(Refused::OutOfRange));
        let words = mapping.words(8, 2).expect("in range");
        assert_eq!(words.load(2), None);
        assert!(words.word(2).is_none());
    }

    #[test]
    fn a_store_through_one_run_is_loaded_through_another() {
        let (_file, mapping) = scratch(64, true);
        let words = mapping.words(16, 2).expect("in range");
        words
            .word(1)
            .expect("writable")
            .store(0x0102_0304, Ordering::Relaxed);
        assert_eq!(mapping.words(0, 8).expect("in range").load(3), Some(0x0102_0304));
    }

    #[test]
    fn a_read_only_mapping_loads_but_hands_out_no_word_to_store() {
        let (_file, mapping) = scratch(64, false);
        let words = mapping.words(0, 8).expect("in range");
        assert!(!words.is_writable());
        assert_eq!(words.load(7), Some(0));
        assert!(words.word(0).is_none());
    }
}
