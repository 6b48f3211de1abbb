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
    /// The bytes of `mapping`, which was mapped writable with `len` bytes
    /// at `base` (see [`Mapping::writable`](super::Mapping::writable)).
    #[inline]
    pub(super) fn of(base: NonNull<u8>, len: usize) -> Writable<'a> {
        Writable {
            base,
            len,
            mapping: PhantomData,
        }
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

    /// Stores `value` at `offset`: one typed store when `offset` suits its
    /// alignment (a record built just before stays in registers), else a
    /// byte copy; false (nothing written) out of range.
    #[inline(always)]
    pub(crate) fn put<T: IntoBytes + Immutable>(self, offset: u64, value: &T) -> bool {
        let Some(start) = self.start(offset, std::mem::size_of::<T>()) else {
            return false;
        };
        // SAFETY: the destination lies in the writable mapping (checked
        // above), which lives for 'a; `value` is a Rust value, outside it.
        // The typed store is aligned (checked), and writes a bitwise copy
        // of `value` (plain bytes: `IntoBytes`) that nothing ever drops;
        // the byte copy needs no alignment.
        unsafe {
            let at = self.base.as_ptr().add(start);
            if start % std::mem::align_of::<T>() == 0 {
                at.cast::<T>().write(std::ptr::read(value));
            } else {
                std::ptr::copy_nonoverlapping(value.as_bytes().as_ptr(), at, std::mem::size_of::<T>());
            }
        }
        true
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
