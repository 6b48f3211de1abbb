//! The [`Ring`] both ends hold over the ring's region, and the check of a
//! header an end did not write itself ([`validate`]).

use std::sync::atomic::{AtomicU32, Ordering};

use super::error::{RingError, READ_WRITE_NEEDED};
use super::layout::{
    CAPACITY_OFFSET, DATA_OFFSET, MAX_CAPACITY, MIN_CAPACITY, RECORD_ALIGN_OFFSET, RECORD_SIZE_OFFSET,
    RING_MAGIC, RING_OFFSET, RING_VERSION, VERSION_OFFSET,
};
use super::sleepers::Wakers;
use crate::error::{Failure, ObjectError};
use crate::platform;
use crate::platform::mapping::Writable;
use crate::region::{PinnedSlots, Region};

/// The ring inside a region, shared by both ends.
#[derive(Debug)]
pub(super) struct Ring<T> {
    /// The ring's region and its bytes, held for the hot paths: the header,
    /// then `capacity` records (none while the ring is not validated yet,
    /// or when `T` asks for more alignment than the records' offset has:
    /// then every send takes the general path).
    pub(super) bytes: PinnedSlots<T, DATA_OFFSET>,
    /// How many records the ring holds (a power of two).
    pub(super) capacity: u32,
    /// Whether this end publishes with a compiler-only barrier (it is
    /// registered for the sleeper's heavy barrier, see [`Ring::publish`]).
    pub(super) light: bool,
    /// What sleepers on the ring's words wait on.
    pub(super) wakers: Wakers,
}

impl<T> Ring<T> {
    /// This end's record size (`size_of::<T>()`), as the header keeps it.
    pub(super) const RECORD_SIZE: u64 = std::mem::size_of::<T>() as u64;
    /// This end's record alignment (`align_of::<T>()`), as the header keeps it.
    pub(super) const RECORD_ALIGN: u64 = std::mem::align_of::<T>() as u64;

    /// The ring in `region`, with `capacity` records after the header (0:
    /// none yet, until [`validate`] has read the capacity from the header).
    ///
    /// # Errors
    /// [`RingError::Region`] when the wake-ups cannot be set up, or the
    /// region is read-only.
    pub(super) fn new(region: Region, capacity: u32) -> Result<Self, RingError> {
        let wakers = Wakers::new(&region)?;
        let bytes = PinnedSlots::new(region.clone(), capacity)
            .or_else(|| PinnedSlots::new(region, 0))
            .ok_or_else(|| {
                RingError::Region(ObjectError::region(Failure::BadOptions {
                    reason: READ_WRITE_NEEDED,
                }))
            })?;
        Ok(Ring {
            bytes,
            capacity,
            light: platform::register_for_heavy_barriers(),
            wakers,
        })
    }

    /// The ring's bytes: each hot path takes them once and uses them for
    /// all its accesses (a ring's region is always writable: the producer
    /// creates it so, the consumer refuses a read-only one).
    #[inline(always)]
    pub(super) fn words(&self) -> Writable<'_> {
        self.bytes.bytes()
    }

    /// The header word at `offset` (one of the offsets above).
    #[inline(always)]
    pub(super) fn word(&self, offset: u64) -> &AtomicU32 {
        word(self.words(), offset)
    }

    /// Whether the header word at `offset` is not 0 (a closed word, mostly).
    #[inline]
    pub(super) fn is_set(&self, offset: u64) -> bool {
        self.word(offset).load(Ordering::Acquire) != 0
    }

    /// Where record `index` sits: its slot, `index` modulo the capacity.
    #[inline]
    pub(super) fn slot_offset(&self, index: u32) -> u64 {
        DATA_OFFSET + u64::from(index & (self.capacity - 1)) * Self::RECORD_SIZE
    }

    /// Records between `head` and `tail`, checked against the capacity.
    pub(super) fn filled(&self, head: u32, tail: u32) -> Result<u32, RingError> {
        let filled = tail.wrapping_sub(head);
        if filled > self.capacity {
            return Err(RingError::Corrupt { head, tail });
        }
        Ok(filled)
    }
}

/// The ring word at `offset` of `words`.
#[inline(always)]
pub(super) fn word(words: Writable<'_>, offset: u64) -> &AtomicU32 {
    match words.word(offset) {
        Some(word) => word,
        // Offsets are aligned constants below DATA_OFFSET, and every
        // ring region is larger than that (checked at create/open).
        // The message names no offset: formatting one made the hot path
        // keep it on the stack, a store per record.
        None => unreachable!("a ring word outside a checked region"),
    }
}

/// Checks the ring header of an opened region.
pub(super) fn validate<T>(probe: Ring<T>) -> Result<Ring<T>, RingError> {
    let magic = probe.word(RING_OFFSET).load(Ordering::Acquire);
    if magic != RING_MAGIC {
        return Err(RingError::NotARing(format!(
            "no ring magic (found {magic:#010x})"
        )));
    }
    let version = probe.word(VERSION_OFFSET).load(Ordering::Acquire);
    if version != RING_VERSION {
        return Err(RingError::OtherVersion { found: version });
    }
    let ring_size = probe.word(RECORD_SIZE_OFFSET).load(Ordering::Acquire);
    let ring_align = probe.word(RECORD_ALIGN_OFFSET).load(Ordering::Acquire);
    if u64::from(ring_size) != Ring::<T>::RECORD_SIZE || u64::from(ring_align) != Ring::<T>::RECORD_ALIGN {
        return Err(RingError::RecordMismatch {
            ring_size,
            ring_align,
            size: Ring::<T>::RECORD_SIZE as u32,
            align: Ring::<T>::RECORD_ALIGN as u32,
        });
    }
    let capacity = probe.word(CAPACITY_OFFSET).load(Ordering::Acquire);
    let needed = DATA_OFFSET + u64::from(capacity) * Ring::<T>::RECORD_SIZE;
    if !capacity.is_power_of_two()
        || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity)
        || needed > probe.bytes.region().size()
    {
        return Err(RingError::NotARing(format!(
            "capacity {capacity} does not fit a region of {} bytes",
            probe.bytes.region().size()
        )));
    }
    let Ring {
        bytes, light, wakers, ..
    } = probe;
    let region = bytes.region().clone();
    let bytes = bytes
        .with_count(capacity)
        .or_else(|| PinnedSlots::new(region, 0))
        .ok_or_else(|| RingError::NotARing(format!("capacity {capacity} does not fit its region")))?;
    Ok(Ring {
        bytes,
        capacity,
        light,
        wakers,
    })
}
