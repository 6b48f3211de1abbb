//! The sequence lock itself: how the writer stores a value into a slot and
//! how a reader copies the newest whole value out, with every fence in its
//! place.
//!
//! # Why the value is copied word by word as atomics
//! A sequence lock lets a reader copy bytes that the writer may be changing
//! at that moment, and throw the copy away when the counter says so. In
//! Rust's memory model (C++'s) a plain or volatile copy that races with a
//! write is a data race, undefined behaviour even when its result is thrown
//! away: the compiler may assume it does not happen. The `seqlock` crate
//! copies with `ptr::read_volatile` between fences, which works with
//! today's compilers but is such a race; Boehm's "Can seqlocks get along
//! with programming language memory models?" (2012) gives the sound form,
//! used here: every byte of the value is read and written through atomics
//! (relaxed 8-byte loads and stores: on x86-64 and AArch64 plain moves, so
//! it costs nothing over a copy), and the fences order them against the
//! counter:
//!
//! - the writer stores the odd counter, then a release fence, then the
//!   value's words (relaxed), then the even counter with release;
//! - a reader loads the counters (relaxed), then an acquire fence, copies
//!   the words (relaxed), then an acquire fence, then loads the counter
//!   again: when it is unchanged, no store of a later write reached the
//!   copy (had one, the fences would make the later odd counter visible).
//!
//! The reader only loads, with relaxed loads and fences, which Rust allows
//! on read-only memory too: so a reader may map the region read-only.

use std::sync::atomic::{fence, AtomicU64, Ordering};

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::layout::{newest, slot_of, slot_start, writing, written, Found};
use super::LatestError;
use crate::platform::mapping::Words;

/// The word at `index` of a cell's checked words.
#[inline(always)]
pub(super) fn load(words: Words<'_>, index: usize) -> u64 {
    match words.load(index) {
        Some(word) => word,
        // Every index is below the cell's word count, which the words were
        // checked for when they were taken.
        None => unreachable!("a cell word outside its checked words"),
    }
}

/// The word at `index` of a writable cell's checked words.
#[inline(always)]
pub(super) fn word(words: Words<'_>, index: usize) -> &AtomicU64 {
    match words.word(index) {
        Some(word) => word,
        // As in `load`; a writer's words are writable (checked when it
        // claimed the cell).
        None => unreachable!("a cell word outside its checked, writable words"),
    }
}

/// Stores `value` as value number `number` into its slot: the odd
/// counter, the value's words, the even counter. `between` runs halfway
/// through the value's words (a writer that dies there leaves the slot
/// half written, its counter odd: see `LatestWriter::publish_interrupted`).
#[inline(always)]
pub(super) fn publish<T: IntoBytes + Immutable>(
    words: Words<'_>,
    number: u64,
    value: &T,
    between: impl FnOnce(),
) {
    let start = slot_start(size_of::<T>(), slot_of(number));
    let counter = word(words, start);
    counter.store(writing(number), Ordering::Relaxed);
    // Orders the odd counter before every word of the value (a reader
    // that sees one of them then sees the counter odd, or later).
    fence(Ordering::Release);
    let bytes = value.as_bytes();
    let half = bytes.len().div_ceil(8) / 2;
    let (front, back) = bytes.split_at(half * 8);
    store_words(words, start + 1, front);
    between();
    store_words(words, start + 1 + half, back);
    // Publishes the value: a reader whose acquire fence follows a load of
    // this even counter sees every word above.
    counter.store(written(number), Ordering::Release);
}

/// Stores `bytes` into the words from `first`, 8 bytes a word (the last
/// one padded with zeros).
#[inline(always)]
fn store_words(words: Words<'_>, first: usize, bytes: &[u8]) {
    for (i, chunk) in bytes.chunks(8).enumerate() {
        let mut packed = [0u8; 8];
        packed[..chunk.len()].copy_from_slice(chunk);
        word(words, first + i).store(u64::from_ne_bytes(packed), Ordering::Relaxed);
    }
}

/// What one read found: the value, its slot's counter, and the other
/// slot's counter when a newer value was being written there.
#[derive(Debug)]
pub(super) struct Copied<T> {
    pub(super) value: T,
    pub(super) counter: u64,
    pub(super) writing: Option<(usize, u64)>,
}

/// Copies the newest whole value out of the cell, trying again while a
/// write overtakes the copy (the writer wrote both slots meanwhile).
///
/// # Errors
/// [`LatestError::Empty`] before the first value is whole;
/// [`LatestError::Corrupt`] for counters no writer leaves.
#[inline(always)]
pub(super) fn read_newest<T: FromBytes + IntoBytes>(words: Words<'_>) -> Result<Copied<T>, LatestError> {
    let size = size_of::<T>();
    let starts = [slot_start(size, 0), slot_start(size, 1)];
    let mut tries = 0u32;
    let mut impossible = None;
    loop {
        let counters = [load(words, starts[0]), load(words, starts[1])];
        // Pairs with the writer's release store of the even counter: the
        // value's words of that write are visible to the copy below.
        fence(Ordering::Acquire);
        let (slot, counter, writing) = match newest(counters) {
            Found::Whole {
                slot,
                counter,
                writing,
            } => (slot, counter, writing),
            Found::Empty => return Err(LatestError::Empty),
            // The two counters are loaded one after the other: a writer
            // that moved on in between makes a pair no cell holds. Only a
            // pair found twice in a row is the cell's.
            Found::Impossible if impossible == Some(counters) => {
                return Err(LatestError::Corrupt {
                    slot0: counters[0],
                    slot1: counters[1],
                })
            }
            Found::Impossible => {
                impossible = Some(counters);
                continue;
            }
        };
        let mut value = T::new_zeroed();
        for (i, chunk) in value.as_mut_bytes().chunks_mut(8).enumerate() {
            let packed = load(words, starts[slot] + 1 + i).to_ne_bytes();
            chunk.copy_from_slice(&packed[..chunk.len()]);
        }
        // Pairs with the writer's release fence after an odd counter: had
        // the copy met a word of a later write, the counter below is that
        // write's odd one (or later), not `counter`.
        fence(Ordering::Acquire);
        if load(words, starts[slot]) == counter {
            return Ok(Copied {
                value,
                counter,
                writing: writing.map(|odd| (1 - slot, odd)),
            });
        }
        // The writer finished a value in the other slot and began another
        // in this one during the copy: the other slot now holds a newer
        // whole value. Only a writer that keeps overtaking makes this loop
        // go round; it yields now and then so as not to starve it on a
        // shared CPU.
        tries += 1;
        if tries.is_multiple_of(64) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}
