//! The writing end of a latest-value cell ([`LatestWriter`]): it claims
//! the cell, sets it up, publishes values, and gives the claim back when
//! dropped.

use std::marker::PhantomData;
use std::sync::atomic::Ordering;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::layout::{next_number, slot_start, CELL_MAGIC, CELL_VERSION, MAGIC_WORD, TYPE_WORD, WRITER_WORD};
use super::slot::{publish, word};
use super::{check_header, type_word, LatestError};
use crate::error::ViewError;
use crate::platform::mapping::Words;
use crate::region::Region;

/// The one writer of a latest-value cell (see the [module](super)): it
/// publishes whole values that readers in any process read without ever
/// blocking it.
///
/// A cell has one writer at a time: [`LatestWriter::claim`] is refused
/// while another live process holds the cell ([`LatestError::WriterTaken`]);
/// a writer that died without giving the claim back (killed, crashed) is
/// taken over. Dropping the writer gives the claim back.
pub struct LatestWriter<T> {
    region: Region,
    offset: u64,
    /// The number the next publish gets.
    next: u64,
    /// This process's pid, as the claim word holds it.
    pid: u64,
    /// The dead writer whose claim this one took over.
    took_over: Option<u32>,
    value: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for LatestWriter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatestWriter")
            .field("region", &self.region.name())
            .field("offset", &self.offset)
            .field("next", &self.next)
            .field("took_over", &self.took_over)
            .finish()
    }
}

impl<T: FromBytes + IntoBytes + Immutable> LatestWriter<T> {
    /// Claims the cell at `offset` (a multiple of 8; of 64 to keep the
    /// cell on cache lines of its own) in `region` and sets it up for `T`
    /// when no writer has yet. The cell takes
    /// [`Latest::<T>::SIZE`](super::Latest::SIZE) bytes, zeros until a
    /// writer first claims it. Publishing goes on from the newest value in
    /// the cell (a dead writer's unfinished value is written again).
    ///
    /// ```
    /// use shared::latest::{Latest, LatestError, LatestWriter};
    /// # let name = shared::RegionName::new(&format!("latest-claim-doc-{}", std::process::id()))?;
    /// # let region = shared::Region::create_or_open(&name, 4096)?;
    /// let mut writer = LatestWriter::<u64>::claim(&region, 64)?;
    /// writer.publish(&7);
    /// // A second writer is refused while this one lives.
    /// assert!(matches!(
    ///     LatestWriter::<u64>::claim(&region, 64),
    ///     Err(LatestError::WriterTaken { .. })
    /// ));
    /// drop(writer);
    /// let mut next = LatestWriter::<u64>::claim(&region, 64)?;
    /// assert_eq!(next.publish(&8), 2); // the second value in the cell
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`LatestError::Place`] when the cell does not fit in the region at
    /// `offset`, `offset` is not a multiple of 8, or the region is
    /// read-only; [`LatestError::WriterTaken`] while another live process
    /// (or another writer in this one) writes the cell;
    /// [`LatestError::NotACell`], [`LatestError::OtherVersion`],
    /// [`LatestError::TypeMismatch`] when the bytes there are not a cell for
    /// `T`; [`LatestError::Corrupt`] for impossible counters.
    pub fn claim(region: &Region, offset: u64) -> Result<LatestWriter<T>, LatestError> {
        let words = super::cell_words_of::<T>(region, offset)?;
        if !words.is_writable() {
            return Err(LatestError::Place(ViewError::ReadOnly));
        }
        let pid = u64::from(std::process::id());
        let took_over = take_claim(words, pid)?;
        let mut writer = LatestWriter {
            region: region.clone(),
            offset,
            next: 1,
            pid,
            took_over,
            value: PhantomData,
        };
        // From here on, dropping `writer` gives the claim back.
        if check_header::<T>(words, offset)?.is_none() {
            word(words, TYPE_WORD).store(type_word::<T>(), Ordering::Relaxed);
            let magic = u64::from(CELL_MAGIC) | (u64::from(CELL_VERSION) << 32);
            word(words, MAGIC_WORD).store(magic, Ordering::Release);
        }
        let size = size_of::<T>();
        let counters = [0, 1].map(|slot| word(words, slot_start(size, slot)).load(Ordering::Acquire));
        if super::layout::newest(counters) == super::layout::Found::Impossible {
            return Err(LatestError::Corrupt {
                slot0: counters[0],
                slot1: counters[1],
            });
        }
        writer.next = next_number(counters);
        Ok(writer)
    }

    /// Publishes `value`: readers from now on get it (or a newer one), whole.
    /// Never waits: readers take no lock. Returns the value's number (1 for
    /// the first value ever published in the cell).
    #[inline]
    pub fn publish(&mut self, value: &T) -> u64 {
        self.publish_interrupted(value, || {})
    }

    /// [`LatestWriter::publish`], calling `between` halfway through the
    /// value's bytes, while the value's counter says it is being written.
    /// For tests of a writer that dies mid-write: a `between` that ends the
    /// process (`std::process::exit`, or a kill -9 from outside while it
    /// waits) leaves the cell exactly as a writer killed at that moment
    /// does. Not for other uses.
    #[doc(hidden)]
    #[inline]
    pub fn publish_interrupted(&mut self, value: &T, between: impl FnOnce()) -> u64 {
        let number = self.next;
        publish(self.words(), number, value, between);
        self.next += 1;
        number
    }

    /// How many values the cell has had published so far, by this writer
    /// and the ones before it.
    pub fn published(&self) -> u64 {
        self.next - 1
    }

    /// The pid of the dead writer whose claim this one took over (`None`
    /// when the cell had no writer).
    pub fn took_over_from(&self) -> Option<u32> {
        self.took_over
    }

    /// The cell's words (checked when the cell was claimed).
    #[inline(always)]
    fn words(&self) -> Words<'_> {
        super::checked_words::<T>(&self.region, self.offset)
    }
}

impl<T> Drop for LatestWriter<T> {
    fn drop(&mut self) {
        let size = size_of::<T>();
        let words = self
            .region
            .mapping()
            .words(self.offset, super::layout::cell_words(size));
        if let Some(claim) = words.ok().and_then(|words| words.word(WRITER_WORD)) {
            let _ = claim.compare_exchange(self.pid, 0, Ordering::AcqRel, Ordering::Relaxed);
        }
    }
}

/// Makes this process (`pid`) the cell's writer: the claim word is free, or
/// names a process that is gone. Returns the dead writer taken over.
fn take_claim(words: Words<'_>, pid: u64) -> Result<Option<u32>, LatestError> {
    let claim = word(words, WRITER_WORD);
    let mut current = claim.load(Ordering::Acquire);
    loop {
        let holder = u32::try_from(current).ok();
        if current == pid || holder.is_some_and(|holder| holder != 0 && crate::process_alive(holder)) {
            return Err(LatestError::WriterTaken {
                pid: holder.unwrap_or(0),
            });
        }
        match claim.compare_exchange(current, pid, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(holder.filter(|&holder| holder != 0)),
            Err(now) => current = now,
        }
    }
}
