//! The control block: this project's own data in bytes 40–103, which the
//! original demo leaves unused.
//!
//! | offset | size | field | changes |
//! |---|---|---|---|
//! | 40 | 4 | magic `IMSH` ([`MAGIC`]) | written once, before the region gets its name |
//! | 44 | 4 | layout version ([`LAYOUT_VERSION`]) | written once |
//! | 48 | 8 | region size in bytes (`u64`) | written once |
//! | 56 | 4 | flags ([`Flags`]): who has written what | atomic; futex word |
//! | 60 | 4 | number of records written so far | atomic |
//! | 64 | 4 | pid of the process holding the mutex, 0 when free | atomic |
//! | 68 | 4 | pid of the process that created the mutex (the message server) | atomic |
//! | 72 | 4 | mutex release counter | atomic; futex word |
//! | 76 | 4 | whose turn it is (see [`crate::turn`]) | atomic; futex word |
//! | 80 | 4 | how many processes sleep waiting for a turn | atomic |
//! | 84 | 4 | how many processes sleep waiting for a mutex release | atomic |
//! | 88 | 16 | mailbox: one [`ServiceMsg`](crate::ServiceMsg) handed over with a turn | written by the turn's holder |
//!
//! A file whose header (magic, version, size) does not match is not a region of
//! this project: it is refused and never written to.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use byteorder::{ByteOrder, LittleEndian};

use crate::layout::{CONTROL_OFFSET, MAX_REGION_SIZE, MIN_REGION_SIZE};
use crate::mapping::Mapping;
use crate::notify;

/// `IMSH` read as a little-endian `u32`: marks a region of this project.
pub const MAGIC: u32 = u32::from_le_bytes(*b"IMSH");

/// Version of the layout described in [`crate::layout`] and here.
pub const LAYOUT_VERSION: u32 = 1;

/// Offset of the magic.
pub const MAGIC_OFFSET: u64 = CONTROL_OFFSET;
/// Offset of the layout version.
pub const VERSION_OFFSET: u64 = CONTROL_OFFSET + 4;
/// Offset of the region size (`u64`).
pub const SIZE_OFFSET: u64 = CONTROL_OFFSET + 8;
/// Offset of the [`Flags`] word.
pub const FLAGS_OFFSET: u64 = CONTROL_OFFSET + 16;
/// Offset of the record count.
pub const RECORD_COUNT_OFFSET: u64 = CONTROL_OFFSET + 20;
/// Offset of the mutex holder's pid.
pub const HOLDER_PID_OFFSET: u64 = CONTROL_OFFSET + 24;
/// Offset of the mutex creator's pid.
pub const CREATOR_PID_OFFSET: u64 = CONTROL_OFFSET + 28;
/// Offset of the mutex release counter.
pub const RELEASE_COUNT_OFFSET: u64 = CONTROL_OFFSET + 32;
/// Offset of the turn word (see [`crate::turn`]).
pub const TURN_OFFSET: u64 = CONTROL_OFFSET + 36;
/// Offset of the count of processes sleeping for a turn.
pub const TURN_SLEEPERS_OFFSET: u64 = CONTROL_OFFSET + 40;
/// Offset of the count of processes sleeping for a mutex release.
pub const RELEASE_SLEEPERS_OFFSET: u64 = CONTROL_OFFSET + 44;
/// Offset of the mailbox record (on the same cache line as the turn word, so
/// a hand-over moves one cache line).
pub const MAILBOX_OFFSET: u64 = CONTROL_OFFSET + 48;
/// Length of the control block, reserved bytes included.
pub const CONTROL_LEN: u64 = 64;
/// Length of the part of the control block written once at creation.
pub const HEADER_LEN: usize = 16;

/// Who has written what: bits of the flags word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u32);

impl Flags {
    /// The message server wrote its five integers.
    pub const MESSAGE_WRITTEN: Flags = Flags(1);
    /// The state server holds the mutex and has started writing.
    pub const STATE_STARTED: Flags = Flags(2);
    /// The state server finished writing everything.
    pub const STATE_WRITTEN: Flags = Flags(4);
    /// The message server read everything back.
    pub const MESSAGE_READ: Flags = Flags(8);

    /// The names of the set bits, for people (`message-written state-started ...`).
    pub fn names(self) -> String {
        let names: Vec<&str> = [
            (Flags::MESSAGE_WRITTEN, "message-written"),
            (Flags::STATE_STARTED, "state-started"),
            (Flags::STATE_WRITTEN, "state-written"),
            (Flags::MESSAGE_READ, "message-read"),
        ]
        .iter()
        .filter(|(flag, _)| self.contains(*flag))
        .map(|(_, name)| *name)
        .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(" ")
        }
    }

    /// Whether every bit of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The fixed part of the control block: what marks a file as one of our regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Must be [`MAGIC`].
    pub magic: u32,
    /// Must be [`LAYOUT_VERSION`].
    pub version: u32,
    /// Size of the whole region in bytes.
    pub size: u64,
}

/// Why a header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than [`HEADER_LEN`] bytes.
    TooShort(usize),
    /// The magic is not `IMSH`: not a region of this project.
    BadMagic(u32),
    /// A layout version this build does not know.
    UnsupportedVersion(u32),
    /// A region size outside [`MIN_REGION_SIZE`]..=[`MAX_REGION_SIZE`].
    BadSize(u64),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::TooShort(n) => write!(f, "only {n} bytes of header"),
            HeaderError::BadMagic(m) => {
                write!(f, "no region magic (found {m:#010x}, expected {MAGIC:#010x})")
            }
            HeaderError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "layout version {v}, but this build reads version {LAYOUT_VERSION}"
                )
            }
            HeaderError::BadSize(s) => write!(
                f,
                "recorded size {s} is outside {MIN_REGION_SIZE}..={MAX_REGION_SIZE}"
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

impl Header {
    /// The header of a new region of `size` bytes.
    pub fn new(size: u64) -> Self {
        Header {
            magic: MAGIC,
            version: LAYOUT_VERSION,
            size,
        }
    }

    /// Encodes the header as it is stored at [`MAGIC_OFFSET`].
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        LittleEndian::write_u32(&mut bytes[0..4], self.magic);
        LittleEndian::write_u32(&mut bytes[4..8], self.version);
        LittleEndian::write_u64(&mut bytes[8..16], self.size);
        bytes
    }

    /// Decodes and checks a header from the bytes stored at [`MAGIC_OFFSET`].
    /// Never panics, whatever the bytes.
    ///
    /// # Errors
    /// A [`HeaderError`] when the bytes are not a header of this layout version.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let bytes = bytes
            .get(..HEADER_LEN)
            .ok_or(HeaderError::TooShort(bytes.len()))?;
        let header = Header {
            magic: LittleEndian::read_u32(&bytes[0..4]),
            version: LittleEndian::read_u32(&bytes[4..8]),
            size: LittleEndian::read_u64(&bytes[8..16]),
        };
        if header.magic != MAGIC {
            return Err(HeaderError::BadMagic(header.magic));
        }
        if header.version != LAYOUT_VERSION {
            return Err(HeaderError::UnsupportedVersion(header.version));
        }
        if !(MIN_REGION_SIZE..=MAX_REGION_SIZE).contains(&header.size) {
            return Err(HeaderError::BadSize(header.size));
        }
        Ok(header)
    }
}

/// Live access to the control block of an open region.
#[derive(Debug, Clone, Copy)]
pub struct Control<'r> {
    mapping: &'r Mapping,
}

impl<'r> Control<'r> {
    pub(crate) fn new(mapping: &'r Mapping) -> Self {
        Control { mapping }
    }

    fn word(&self, offset: u64) -> &'r AtomicU32 {
        // Every region is at least MIN_REGION_SIZE bytes (checked when it is
        // opened) and these offsets are aligned constants inside it.
        match self.mapping.atomic_u32(offset) {
            Some(word) => word,
            None => unreachable!("control word {offset} outside a checked region"),
        }
    }

    /// The current flags.
    pub fn flags(&self) -> Flags {
        Flags(self.word(FLAGS_OFFSET).load(Ordering::Acquire))
    }

    /// Sets `flags` and wakes every process waiting for a change of flags.
    pub fn set_flags(&self, flags: Flags) {
        let word = self.word(FLAGS_OFFSET);
        word.fetch_or(flags.0, Ordering::AcqRel);
        notify::wake_all(word);
    }

    /// Waits until the flags contain `wanted`, or `timeout` passes; returns the
    /// flags last seen. Sleeps on a futex (Linux), never polls blindly.
    pub fn wait_for_flags(&self, wanted: Flags, timeout: Duration) -> Flags {
        let word = self.word(FLAGS_OFFSET);
        let until = notify::Until::after(timeout);
        loop {
            let seen = word.load(Ordering::Acquire);
            if Flags(seen).contains(wanted) || until.passed() {
                return Flags(seen);
            }
            notify::wait_while_equal(word, seen, until.left());
        }
    }

    /// How many records the state server has written so far.
    pub fn record_count(&self) -> u32 {
        self.word(RECORD_COUNT_OFFSET).load(Ordering::Acquire)
    }

    /// Records that `count` records are written.
    pub fn set_record_count(&self, count: u32) {
        self.word(RECORD_COUNT_OFFSET).store(count, Ordering::Release);
    }

    /// Pid of the process holding the mutex (0 when free, or a dead holder's pid).
    pub fn holder_pid(&self) -> u32 {
        self.word(HOLDER_PID_OFFSET).load(Ordering::Acquire)
    }

    pub(crate) fn swap_holder_pid(&self, pid: u32) -> u32 {
        self.word(HOLDER_PID_OFFSET).swap(pid, Ordering::AcqRel)
    }

    /// Pid of the process that created the mutex (0 when none has).
    pub fn creator_pid(&self) -> u32 {
        self.word(CREATOR_PID_OFFSET).load(Ordering::Acquire)
    }

    pub(crate) fn set_creator_pid(&self, pid: u32) {
        self.word(CREATOR_PID_OFFSET).store(pid, Ordering::Release);
    }

    pub(crate) fn release_counter(&self) -> &'r AtomicU32 {
        self.word(RELEASE_COUNT_OFFSET)
    }

    pub(crate) fn release_sleepers(&self) -> &'r AtomicU32 {
        self.word(RELEASE_SLEEPERS_OFFSET)
    }

    pub(crate) fn turn_word(&self) -> &'r AtomicU32 {
        self.word(TURN_OFFSET)
    }

    pub(crate) fn mapping(&self) -> &'r Mapping {
        self.mapping
    }

    pub(crate) fn turn_sleepers(&self) -> &'r AtomicU32 {
        self.word(TURN_SLEEPERS_OFFSET)
    }

    /// Clears what one exchange leaves behind (flags, record count, turn), for
    /// a new exchange on a region that outlived the last one (a persistent
    /// file, or a region a peer kept open).
    pub(crate) fn reset_exchange(&self) {
        for offset in [FLAGS_OFFSET, RECORD_COUNT_OFFSET, TURN_OFFSET] {
            self.word(offset).store(0, Ordering::Release);
        }
    }
}

// The control block fits in the bytes the original leaves unused.
const _: () = assert!(CONTROL_OFFSET + CONTROL_LEN <= crate::layout::RECORDS_OFFSET);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_block_fits_in_the_unused_bytes() {
        assert_eq!(RELEASE_COUNT_OFFSET + 4, CONTROL_OFFSET + 36);
        assert_eq!(MAGIC_OFFSET % 8, 0);
    }

    #[test]
    fn header_round_trips() {
        let header = Header::new(1_024_000);
        assert_eq!(&header.encode()[0..4], b"IMSH");
        assert_eq!(Header::decode(&header.encode()), Ok(header));
    }

    #[test]
    fn foreign_bytes_are_refused() {
        assert_eq!(Header::decode(&[0u8; 3]), Err(HeaderError::TooShort(3)));
        assert_eq!(Header::decode(&[0u8; 16]), Err(HeaderError::BadMagic(0)));
        let mut bytes = Header::new(MIN_REGION_SIZE).encode();
        bytes[4] = 9;
        assert_eq!(Header::decode(&bytes), Err(HeaderError::UnsupportedVersion(9)));
        let bytes = Header::new(12).encode();
        assert_eq!(Header::decode(&bytes), Err(HeaderError::BadSize(12)));
    }
}
