//! A latest-value cell: one writer publishes values of any plain-old-data
//! type, and any number of readers, in any processes, read the newest one
//! whole, never torn, without ever taking a lock or blocking the writer.
//!
//! This is what a state that one process updates and many watch needs
//! (a position, a set of gauges, a configuration). Reading such a value
//! with [`AccessorView::read`](crate::AccessorView::read) while another
//! process writes it can give half of the old bytes and half of the new:
//! that read copies bytes, nothing more. A [`NamedMutex`](crate::NamedMutex)
//! around both sides fixes that at the price of a lock per read (and a
//! reader can hold up the writer); the cell fixes it without one.
//!
//! The cell lives in a region of yours, at an offset you choose (a
//! multiple of 8; 64 keeps it on cache lines of its own), and takes
//! [`Latest::<T>::SIZE`](Latest::SIZE) bytes there, which must be zeros
//! before its first writer claims it (a new region's bytes are):
//!
//! | offset in the cell | size | content |
//! |---|---|---|
//! | 0 | 4 | magic `IMLV` (0 until a writer first claims the cell) |
//! | 4 | 4 | layout version (1) |
//! | 8 | 4 | the value's size (`size_of::<T>()`; every end must agree) |
//! | 12 | 4 | the value's alignment (`align_of::<T>()`) |
//! | 16 | 8 | the writer's pid (0: no writer holds the cell) |
//! | 64 | 8 | slot 0's counter |
//! | 72 | size | slot 0's value (rounded up to whole 8-byte words, then to whole cache lines with the counter) |
//! | 64 + S | 8 | slot 1's counter (S: slot 0's size) |
//! | 72 + S | size | slot 1's value |
//!
//! # How a read stays whole: two slots, each a sequence lock
//! Value number `n` (1 for the first) goes to slot `n mod 2`. Writing it
//! takes two counter steps: the slot's counter goes to `2n - 1` (odd:
//! being written), the value's bytes are stored, and the counter goes to
//! `2n` (even: whole). A reader takes the slot with the newest even
//! counter, copies the value, and checks that the counter did not move
//! meanwhile; if it did, the writer overtook the copy, and the reader
//! copies again. Every byte goes through atomics, which is what makes the
//! scheme sound in Rust's memory model (see `latest/slot.rs`). The writer
//! writes the slot readers are not reading, so a reader only copies again
//! when the writer publishes twice during one copy.
//!
//! # A writer that dies mid-write
//! A writer killed between its two counter steps leaves its slot's counter
//! odd for good and the value there half written. Readers never read that
//! slot: the other one holds the last whole value, and keeps holding it,
//! so readers neither wait nor tear. The read says what happened:
//! [`Snapshot::pending`] is [`Pending::Writing`] while a newer value is
//! under way, and [`Pending::WriterDied`] once the reader found the
//! writer's process gone with its value unfinished. A writer that claims
//! the cell next writes that unfinished value's number again, in the same
//! slot, and readers move on to it.
//!
//! # One writer at a time
//! A second writer is refused, not serialised: [`LatestWriter::claim`]
//! puts its pid in the cell's writer word with a compare-and-swap, and
//! fails with [`LatestError::WriterTaken`] while the pid there names a live
//! process. A dead writer's claim is taken over
//! ([`LatestWriter::took_over_from`]); dropping a writer gives its claim
//! back. (Whoever must publish from several processes serialises them
//! under a [`NamedMutex`](crate::NamedMutex) and hands the one writer
//! around, or keeps one writer process.)
//!
//! # Example
//! A writer and a reader; as two processes, each opens the region and
//! makes its end at the same offset.
//!
//! ```
//! use shared::latest::{Latest, LatestWriter, Pending};
//! use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//! use shared::RegionOptions;
//!
//! #[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
//! #[zerocopy(crate = "shared::zerocopy")]
//! #[repr(C)]
//! struct Position { x: f64, y: f64, z: f64 }
//!
//! # let name = shared::RegionName::new(&format!("latest-doc-{}", std::process::id()))?;
//! let region = RegionOptions::named(&name).size(4096).create_or_open()?;
//! let mut writer = LatestWriter::<Position>::claim(&region, 0)?;
//! let reader = Latest::<Position>::open(&region, 0)?;
//! writer.publish(&Position { x: 1.0, y: 2.0, z: 3.0 });
//! let snapshot = reader.read()?;
//! assert_eq!(snapshot.value, Position { x: 1.0, y: 2.0, z: 3.0 });
//! assert_eq!(snapshot.number, 1);
//! assert_eq!(snapshot.pending, Pending::Nothing);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod layout;
mod slot;
mod snapshot;
#[cfg(test)]
mod tests;
mod writer;

use std::marker::PhantomData;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

use zerocopy::{FromBytes, Immutable, IntoBytes};

pub use error::LatestError;
pub use layout::{CELL_ALIGN, CELL_MAGIC, CELL_VERSION};
pub use snapshot::{Pending, Snapshot};
pub use writer::LatestWriter;

use crate::error::ViewError;
use crate::platform::mapping::{Refused, Words};
use crate::region::Region;
use layout::{number_of, slot_start, MAGIC_WORD, TYPE_WORD, WRITER_WORD};
use slot::{load, read_newest};

/// A reader of a latest-value cell (see the [module](self)): any number of
/// them, in any processes, read the newest whole value without a lock.
///
/// The region may be read-only. A reader may be opened before any writer
/// has set the cell up (its reads say [`LatestError::Empty`] until the
/// first value is published); it is `Send` and `Sync`.
pub struct Latest<T> {
    region: Region,
    offset: u64,
    /// Whether the header was found set up for `T` (checked once).
    checked: std::sync::atomic::AtomicBool,
    /// The other slot's counter as the last read found it mid-write.
    suspect: AtomicU64,
    /// A counter left odd by a writer found dead, and that writer's pid.
    dead_counter: AtomicU64,
    dead_pid: AtomicU32,
    value: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Latest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latest")
            .field("region", &self.region.name())
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<T: FromBytes + IntoBytes + Immutable> Latest<T> {
    /// Bytes the cell takes in its region for values of `T`: a 64-byte
    /// header and two slots, each a counter and the value padded to whole
    /// cache lines.
    pub const SIZE: u64 = (layout::cell_words(size_of::<T>()) * 8) as u64;

    /// A reader of the cell at `offset` in `region` (see
    /// [`LatestWriter::claim`] for the offset).
    ///
    /// # Errors
    /// [`LatestError::Place`] when the cell does not fit in the region at
    /// `offset`, or `offset` is not a multiple of 8;
    /// [`LatestError::NotACell`], [`LatestError::OtherVersion`],
    /// [`LatestError::TypeMismatch`] when a writer set the bytes there up as
    /// something else than a cell for `T`.
    pub fn open(region: &Region, offset: u64) -> Result<Latest<T>, LatestError> {
        let words = cell_words_of::<T>(region, offset)?;
        let checked = check_header::<T>(words, offset)?.is_some();
        Ok(Latest {
            region: region.clone(),
            offset,
            checked: checked.into(),
            suspect: AtomicU64::new(0),
            dead_counter: AtomicU64::new(0),
            dead_pid: AtomicU32::new(0),
            value: PhantomData,
        })
    }

    /// The newest whole value, and whether a newer one was being written
    /// (or its writer died writing it: [`Pending::WriterDied`]). Never
    /// waits for the writer: it copies again only while the writer
    /// overtakes the copy.
    ///
    /// # Errors
    /// [`LatestError::Empty`] before the first value is published;
    /// [`LatestError::NotACell`], [`LatestError::OtherVersion`],
    /// [`LatestError::TypeMismatch`] when the writer set the cell up for
    /// another type (checked at the first value); [`LatestError::Corrupt`]
    /// when something else wrote over the cell's counters.
    #[inline]
    pub fn read(&self) -> Result<Snapshot<T>, LatestError> {
        let words = self.words();
        let copied = read_newest::<T>(words)?;
        if !self.checked.load(Ordering::Relaxed) {
            self.check(words)?;
        }
        let pending = match copied.writing {
            None => Pending::Nothing,
            Some((slot, odd)) => self.pending(words, slot, odd),
        };
        Ok(Snapshot {
            value: copied.value,
            number: number_of(copied.counter),
            pending,
        })
    }

    /// The pid in the cell's writer word: the writer holding the cell, or
    /// one that died without giving it back (ask
    /// [`process_alive`](crate::process_alive)); `None` when no writer
    /// holds the cell.
    pub fn writer_pid(&self) -> Option<u32> {
        let pid = load(self.words(), WRITER_WORD);
        u32::try_from(pid).ok().filter(|&pid| pid != 0)
    }

    /// The region the cell lives in.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The cell's offset in its region.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The cell's words (checked when the reader was opened).
    #[inline(always)]
    fn words(&self) -> Words<'_> {
        checked_words::<T>(&self.region, self.offset)
    }

    /// Checks the header once a value was read from a cell that had none
    /// set up when this reader was opened.
    #[cold]
    fn check(&self, words: Words<'_>) -> Result<(), LatestError> {
        // Pairs with the writer's release store of the magic (done before
        // its first value): a value was read, so the header is there.
        fence(Ordering::Acquire);
        match check_header::<T>(words, self.offset)? {
            Some(()) => {
                self.checked.store(true, Ordering::Relaxed);
                Ok(())
            }
            None => Err(LatestError::NotACell {
                offset: self.offset,
                found: 0,
            }),
        }
    }

    /// Whether the writer of the unfinished value in `slot` (counter `odd`)
    /// is still at it, or died. The system is asked only when the same
    /// unfinished value is met twice in a row.
    #[cold]
    fn pending(&self, words: Words<'_>, slot: usize, odd: u64) -> Pending {
        let pid = u32::try_from(load(words, WRITER_WORD)).unwrap_or(0);
        if self.dead_counter.load(Ordering::Relaxed) == odd && self.dead_pid.load(Ordering::Relaxed) == pid {
            return Pending::WriterDied { pid };
        }
        if self.suspect.swap(odd, Ordering::Relaxed) != odd {
            return Pending::Writing;
        }
        if pid != 0 && crate::process_alive(pid) {
            return Pending::Writing;
        }
        // Gone: unless a new writer finished the value since.
        fence(Ordering::Acquire);
        if load(words, slot_start(size_of::<T>(), slot)) != odd {
            return Pending::Writing;
        }
        self.dead_counter.store(odd, Ordering::Relaxed);
        self.dead_pid.store(pid, Ordering::Relaxed);
        Pending::WriterDied { pid }
    }
}

/// The words of a cell for `T`.
const fn cell_words<T>() -> usize {
    layout::cell_words(size_of::<T>())
}

/// The header's type word for `T`: its size and alignment.
fn type_word<T>() -> u64 {
    const {
        assert!(size_of::<T>() > 0, "a cell's value must have a size");
        assert!(
            size_of::<T>() <= u32::MAX as usize,
            "a cell's value must be under 4 GiB"
        );
    };
    size_of::<T>() as u64 | ((align_of::<T>() as u64) << 32)
}

/// The words of the cell for `T` at `offset` in `region`, which an end
/// checked when it was made ([`cell_words_of`]).
#[inline(always)]
fn checked_words<T>(region: &Region, offset: u64) -> Words<'_> {
    match region.mapping().words(offset, cell_words::<T>()) {
        Ok(words) => words,
        Err(_) => unreachable!("a cell's words are checked when its end is made"),
    }
}

/// The checked words of the cell for `T` at `offset` in `region`.
fn cell_words_of<T>(region: &Region, offset: u64) -> Result<Words<'_>, LatestError> {
    let _ = type_word::<T>();
    let size = (cell_words::<T>() * 8) as u64;
    region
        .mapping()
        .words(offset, cell_words::<T>())
        .map_err(|refused| {
            LatestError::Place(match refused {
                Refused::ReadOnly => ViewError::ReadOnly,
                Refused::Cut => ViewError::Truncated,
                Refused::OutOfRange
                    if !offset.is_multiple_of(layout::CELL_ALIGN)
                        && offset.checked_add(size).is_some_and(|end| end <= region.size()) =>
                {
                    ViewError::Misaligned {
                        offset,
                        size,
                        align: layout::CELL_ALIGN,
                        region_size: region.size(),
                    }
                }
                Refused::OutOfRange => ViewError::OutsideView {
                    offset,
                    size,
                    view_len: region.size(),
                },
            })
        })
}

/// Checks the cell's header against `T`: `Some(())` when a writer set it
/// up for `T`, `None` when none has yet (the magic word is 0).
fn check_header<T>(words: Words<'_>, offset: u64) -> Result<Option<()>, LatestError> {
    let magic = load(words, MAGIC_WORD);
    if magic == 0 {
        return Ok(None);
    }
    fence(Ordering::Acquire);
    if magic as u32 != CELL_MAGIC {
        return Err(LatestError::NotACell { offset, found: magic });
    }
    let version = (magic >> 32) as u32;
    if version != CELL_VERSION {
        return Err(LatestError::OtherVersion { found: version });
    }
    let found = load(words, TYPE_WORD);
    if found != type_word::<T>() {
        return Err(LatestError::TypeMismatch {
            cell_size: found as u32,
            cell_align: (found >> 32) as u32,
            size: size_of::<T>() as u32,
            align: align_of::<T>() as u32,
        });
    }
    Ok(Some(()))
}
