//! The record ring: a single-producer / single-consumer ring of records of
//! any plain-old-data type `T` (zerocopy's `FromBytes + IntoBytes +
//! Immutable`), inside a region of its own that holds nothing else:
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 4 | ring magic `IMRG` |
//! | 4 | 4 | ring layout version (4) |
//! | 8 | 4 | capacity in records (a power of two, 1024 ..= 2^24) |
//! | 12 | 4 | record size (`size_of::<T>()`; both ends must agree) |
//! | 16 | 4 | producer pid |
//! | 20 | 4 | consumer pid (0 before one attaches, and after it closed) |
//! | 24 | 4 | producer closed (0 = open, 1 = closed: no more records will come, 2 = closed because it found the ring corrupt) |
//! | 28 | 4 | consumer closed (0 = open, 1 = closed: nobody will read any more, 2 = closed because it found the ring corrupt) |
//! | 32 | 4 | how the producer publishes (0 = not known yet, 1 = plain store, 2 = locked exchange) |
//! | 36 | 4 | how the consumer publishes (the same values; 0 until a consumer first attaches) |
//! | 40 | 4 | record alignment (`align_of::<T>()`; both ends must agree) |
//! | 64 | 4 | tail: records written so far (wrapping `u32`); futex word |
//! | 68 | 4 | consumer sleeping (1 while the consumer sleeps on tail) |
//! | 128 | 4 | head: records read so far (wrapping `u32`); futex word |
//! | 132 | 4 | producer sleeping (1 while the producer sleeps on head) |
//! | 192 | size·capacity | the records, record `i` at slot `i mod capacity` |
//!
//! Tail and head sit on separate cache lines, so the two sides do not slow
//! each other down. A side that finds the ring empty (or full) spins briefly,
//! then sleeps on a futex; the other side wakes it only when it is asleep, so
//! the fast path makes no system call. Every sleep is bounded, and after each
//! one the sleeper checks that its peer is still alive: a dead peer ends the
//! wait with [`RingError::PeerGone`] instead of a hang.
//!
//! # How fast, and what it costs a record's latency
//! One [`RecordSender::send`] per record runs at the speed of a bare
//! hand-written ring (about 3 ns a 16-byte record between two cores here:
//! see `docs/performance.md`). Its common case is a few instructions inlined
//! into the caller's loop: room known without reading the consumer's head,
//! one look at the consumer's closed word, one store of the record, one of
//! the tail, one look at the consumer's sleeping flag.
//!
//! Two sides that each act on a record as soon as the other published it
//! would keep passing the same cache lines back and forth, a line's trip per
//! record. So a side that caught up with the other (a consumer that took the
//! last records, fewer than 16 KiB of them; a producer that found the ring
//! full) lets the other get 16 KiB ahead before it goes on, as long as the
//! other keeps moving, and for at most 16 looks of 16 pauses (about 3 µs on
//! a host whose pause takes 12 ns). A record that comes within one look
//! (about 0.2 µs here) of the one before may therefore wait up to those 16
//! looks; a lone record, or the last of a burst, is taken at most two looks
//! late, and one that comes after a quiet look is taken at once.
//!
//! # Which peer counts as gone
//! A pid word names a live peer only when it holds the pid of a process the
//! system knows as running. A word that names no process counts as *gone*,
//! never as alive forever: 0 (no process has it), a number above
//! `i32::MAX` (negative as a Linux `pid_t`), or one above the system's
//! largest pid (`/proc/sys/kernel/pid_max`: the system says that no such
//! process runs). One state of the header holds a 0 legitimately: the
//! consumer's place before any consumer has attached (the consumer's
//! publishing word, offset 36, still 0). The producer then waits for a
//! consumer to come, as it waits for one that starts late. Each wait
//! decides so:
//!
//! | who waits | for whom | the peer's pid word reads 0 | it names a dead process, or no possible pid |
//! |---|---|---|---|
//! | the consumer (`recv…`) | the producer | gone (the producer writes its pid before the ring exists) | gone |
//! | the producer (`send…`, `finish`) | the consumer | no consumer ever attached: waits for one; one did and has not closed (its word was wiped): gone | gone |
//! | the producer (`wait_for_consumer`) | a consumer to attach | waits | waits: a new consumer takes the dead one's place |
//! | a new consumer (`open`) | the consumer's place | free: takes it | free: takes it |
//!
//! A peer that closed its end says whether it stopped because it found the
//! ring corrupt ([`RingError::PeerClosed`]). A producer that closed a sound
//! ring ends the stream; one that found it corrupt cuts it, and the
//! consumer is told so once it has received what was sent.
//!
//! # What the ring can tell apart
//! The header keeps the record type's size and alignment: an end whose
//! record type differs in either is refused ([`RingError::RecordMismatch`]).
//! The ring cannot see fields: two types of the same size and alignment
//! (`[u32; 4]` and `[f32; 4]`, or two structs whose fields differ in type
//! but not in size and alignment) pass for the same record, and each end
//! reads the other's bytes as its own type. Agree on the type by other
//! means, such as the ring's name. The alignment is the one each program's
//! compiler gives the type, so both ends need the same target's layout.
//!
//! # Example
//! A producer and a consumer, which may start in either order. Here they
//! are two threads; as two processes, each runs its half with the same
//! options (the examples `ring_producer` and `ring_consumer` are those two
//! programs: `cargo run -p shared --features console --example
//! ring_producer`, then `--example ring_consumer` in another terminal, or
//! the other way round). The record type is yours: derive zerocopy's traits with
//! `#[zerocopy(crate = "shared::zerocopy")]` (without it, and without a
//! `zerocopy` dependency of your own, the derive fails with "cannot find
//! `zerocopy` in the crate root").
//!
//! ```
//! use std::time::Duration;
//! use shared::ring::{RecordReceiver, RecordSender};
//! use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//! use shared::{RegionName, RegionOptions};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
//! #[zerocopy(crate = "shared::zerocopy")]
//! #[repr(C)]
//! struct Reading { sensor: u32, celsius: f32 }
//!
//! # let name = RegionName::new(&format!("ring-doc-{}", std::process::id()))?;
//! let options = RegionOptions::named(&name);
//! let consumer_options = options.clone();
//! // The consumer: waits up to 10 s for the producer to create the ring.
//! let consumer = std::thread::spawn(move || {
//!     let mut receiver =
//!         RecordReceiver::<Reading>::open_timeout(&consumer_options, Duration::from_secs(10))?;
//!     let mut total = 0.0;
//!     while let Some(reading) = receiver.recv()? {
//!         total += reading.celsius;
//!     }
//!     Ok::<f32, shared::ring::RingError>(total) // None: the producer closed the ring
//! });
//! // The producer: a ring of 1024 records (a power of two).
//! let mut sender = RecordSender::<Reading>::create(&options, 1024)?;
//! for sensor in 0..100 {
//!     sender.send(&Reading { sensor, celsius: 0.5 })?;
//! }
//! // Waits until the consumer took everything; says how many it never took.
//! assert_eq!(sender.finish(Duration::from_secs(10))?, 0);
//! assert_eq!(consumer.join().expect("consumer")?, 50.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::error::{Failure, ObjectError};
use crate::mapping::{Prefix, Writable};
use crate::platform::{self, WordWaker};
use crate::region::{PinnedSlots, Region, RegionOptions};
use crate::sync::{spin_until_changed_every, Until};

/// `IMRG` read as a little-endian `u32`: marks an initialized ring.
pub const RING_MAGIC: u32 = u32::from_le_bytes(*b"IMRG");
/// Version of the ring layout above (4 added the record's alignment at
/// offset 40, and "closed because it found the ring corrupt").
pub const RING_VERSION: u32 = 4;
/// Offset of the ring header in the ring's region.
pub const RING_OFFSET: u64 = 0;
/// Offset of the tail (producer index) word.
pub const TAIL_OFFSET: u64 = 64;
/// Offset of the head (consumer index) word.
pub const HEAD_OFFSET: u64 = 128;
/// Offset of the first record slot.
pub const DATA_OFFSET: u64 = 192;
/// Smallest capacity (records).
pub const MIN_CAPACITY: u32 = 1024;
/// Largest capacity (records).
pub const MAX_CAPACITY: u32 = 1 << 24;

const VERSION_OFFSET: u64 = RING_OFFSET + 4;
const CAPACITY_OFFSET: u64 = RING_OFFSET + 8;
const RECORD_SIZE_OFFSET: u64 = RING_OFFSET + 12;
/// Offset of the producer's pid word.
pub const PRODUCER_PID_OFFSET: u64 = RING_OFFSET + 16;
/// Offset of the consumer's pid word (0 while no consumer is attached).
pub const CONSUMER_PID_OFFSET: u64 = RING_OFFSET + 20;
const PRODUCER_CLOSED_OFFSET: u64 = RING_OFFSET + 24;
const CONSUMER_CLOSED_OFFSET: u64 = RING_OFFSET + 28;
const PRODUCER_PUBLISHES_OFFSET: u64 = RING_OFFSET + 32;
const CONSUMER_PUBLISHES_OFFSET: u64 = RING_OFFSET + 36;
const RECORD_ALIGN_OFFSET: u64 = RING_OFFSET + 40;
/// Why a read-only region cannot hold a ring's end.
const READ_WRITE_NEEDED: &str = "a ring's consumer moves the ring's head: open it with Access::ReadWrite";
/// What an end stores in its closed word: closed, or closed because it found
/// the ring corrupt (any other value but 0 also means closed).
const CLOSED: u32 = 1;
const CLOSED_CORRUPT: u32 = 2;
/// How an end publishes: a plain store paired with the sleeper's heavy
/// barrier, or a locked exchange that needs no pairing.
const PUBLISHES_PLAIN: u32 = 1;
const PUBLISHES_LOCKED: u32 = 2;
const CONSUMER_SLEEPING_OFFSET: u64 = TAIL_OFFSET + 4;
const PRODUCER_SLEEPING_OFFSET: u64 = HEAD_OFFSET + 4;

/// How often a sleeping side wakes to check that its peer is alive (an hour
/// in this module's tests: a lost wake-up hangs them instead of costing a
/// slice).
const LIVENESS_SLICE: Duration = if cfg!(test) {
    Duration::from_secs(3600)
} else {
    Duration::from_millis(100)
};
/// Longest sleep when this side could not pair its sleep with a heavy
/// barrier (no `membarrier`): a light publisher may then miss the flag.
const UNPAIRED_SLICE: Duration = Duration::from_millis(1);
/// How long the consumer's open waits for the producer to finish setting up.
const SETUP_WAIT: Duration = Duration::from_secs(1);
/// Pauses spent spinning before sleeping.
const SPINS: u32 = 2_000;
/// Pauses between two looks at the other side's index.
const PAUSES_PER_LOOK: u32 = 16;
/// How far, in bytes of records, a consumer close behind the producer lets
/// it get ahead (see `RecordReceiver::let_producer_get_ahead`).
const SLIP_BYTES: u64 = 16 * 1024;
/// Most looks a consumer close behind the producer spends letting it get
/// ahead (see `RecordReceiver::let_producer_get_ahead`).
const SLIP_LOOKS: u32 = 16;

/// A ring operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RingError {
    /// Creating or opening the ring's region failed.
    Region(ObjectError),
    /// The capacity is not a power of two in [`MIN_CAPACITY`]..=[`MAX_CAPACITY`].
    BadCapacity(u32),
    /// The region holds no valid ring (never set up, or not a ring region).
    NotARing(String),
    /// The region holds a ring of another layout version (made by another
    /// version of this library).
    OtherVersion {
        /// The version its header gives.
        found: u32,
    },
    /// The ring carries records of another type than this end's: their size
    /// or alignment differ (types of the same size and alignment cannot be
    /// told apart: see [the module documentation](self#what-the-ring-can-tell-apart)).
    RecordMismatch {
        /// The record size the ring's header gives, in bytes.
        ring_size: u32,
        /// The record alignment the ring's header gives, in bytes.
        ring_align: u32,
        /// This end's record size (`size_of::<T>()`).
        size: u32,
        /// This end's record alignment (`align_of::<T>()`).
        align: u32,
    },
    /// Another live process is already the ring's consumer.
    ConsumerTaken {
        /// The consumer's pid.
        pid: u32,
    },
    /// The other side ended without closing its end, or the ring's header
    /// names no process for it (see [which peer counts as
    /// gone](self#which-peer-counts-as-gone)).
    PeerGone {
        /// Which side is gone.
        peer: &'static str,
        /// Its pid word as found: the pid of the process that ended, or a
        /// word that names no process (0, or above `i32::MAX`).
        pid: u32,
    },
    /// The other side closed its end of the ring (for the producer's
    /// sends: the consumer dropped its receiver; for the consumer, after the
    /// last record: the producer stopped because it found the ring corrupt).
    PeerClosed {
        /// Which side closed.
        peer: &'static str,
        /// Whether it closed because it found the ring corrupt
        /// ([`RingError::Corrupt`]): the stream was cut.
        found_corrupt: bool,
    },
    /// A `_timeout` call's time ran out.
    TimedOut {
        /// How many records were sent (or received) before it did.
        done: usize,
    },
    /// No peer came within the time given ([`RecordSender::wait_for_consumer`],
    /// [`RecordReceiver::open_timeout`]).
    NoPeer {
        /// Which side never came.
        peer: &'static str,
        /// How long this side waited.
        waited: Duration,
    },
    /// The ring's indices are impossible (`tail - head > capacity`): the
    /// region was overwritten by something else.
    Corrupt {
        /// The head index found.
        head: u32,
        /// The tail index found.
        tail: u32,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::Region(e) => e.fmt(f),
            RingError::BadCapacity(c) => write!(
                f,
                "a ring of {c} records is not possible: use a power of two from {MIN_CAPACITY} to {MAX_CAPACITY}"
            ),
            RingError::NotARing(why) => write!(f, "the region holds no record ring ({why}); create it with RecordSender::create first"),
            RingError::ConsumerTaken { pid } => {
                write!(f, "the ring already has a consumer (pid {pid}); a ring has exactly one")
            }
            RingError::OtherVersion { found } => write!(
                f,
                "the region holds a ring of layout version {found}, and this library reads version \
                 {RING_VERSION}: build both ends with the same version of shared"
            ),
            RingError::RecordMismatch {
                ring_size,
                ring_align,
                size,
                align,
            } => write!(
                f,
                "the ring carries records of {ring_size} bytes aligned to {ring_align}, but this end's \
                 record type has {size} bytes aligned to {align}: both ends must use the same record type"
            ),
            RingError::PeerGone { peer, pid } if names_a_possible_process(*pid) => write!(
                f,
                "the {peer} (pid {pid}) is gone: no process of that pid runs, and it never closed its \
                 end of the ring; no more records can pass"
            ),
            RingError::PeerGone { peer, pid } => write!(
                f,
                "the {peer} is gone: the ring's {peer} pid word reads {pid}, which names no process \
                 (something else wrote into the ring's region); no more records can pass"
            ),
            RingError::PeerClosed {
                peer,
                found_corrupt: false,
            } => write!(f, "the {peer} closed its end of the ring: no more records can pass"),
            RingError::PeerClosed {
                peer,
                found_corrupt: true,
            } => write!(
                f,
                "the {peer} closed its end of the ring because it found the ring corrupt (something \
                 else wrote into the ring's region): the stream was cut, no more records can pass"
            ),
            RingError::TimedOut { done } => write!(
                f,
                "the ring's time ran out after {done} records: the other side is alive but not keeping up"
            ),
            RingError::NoPeer { peer, waited } => write!(
                f,
                "no {peer} came within {waited:?}: start it (either side may start first) or wait longer"
            ),
            RingError::Corrupt { head, tail } => write!(
                f,
                "the ring is corrupt (head {head}, tail {tail}): something else wrote into the ring's region"
            ),
        }
    }
}

impl std::error::Error for RingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RingError::Region(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ObjectError> for RingError {
    fn from(e: ObjectError) -> Self {
        RingError::Region(e)
    }
}

/// What a ring carries: any plain-old-data type (derive zerocopy's
/// `FromBytes`, `IntoBytes` and `Immutable`; it has a size, so not `()`).
pub trait Record: FromBytes + IntoBytes + Immutable {}

impl<T: FromBytes + IntoBytes + Immutable> Record for T {}

/// The header words of the other end, as the waiting end sees them.
#[derive(Debug, Clone, Copy)]
struct Peer {
    /// Its closed flag.
    closed: u64,
    /// Its pid.
    pid: u64,
    /// How it publishes (the consumer's: 0 until a consumer first attaches).
    publishes: u64,
    /// Whether its place may be empty (pid 0) without it being gone: the
    /// consumer's, before any consumer has attached.
    may_not_have_come: bool,
    /// Whether its closing ends a wait (not when the wait is for a new
    /// consumer to attach after one closed).
    close_ends_wait: bool,
}

/// The consumer, as the producer sees it.
const CONSUMER: Peer = Peer {
    closed: CONSUMER_CLOSED_OFFSET,
    pid: CONSUMER_PID_OFFSET,
    publishes: CONSUMER_PUBLISHES_OFFSET,
    may_not_have_come: true,
    close_ends_wait: true,
};

/// A consumer to attach, as [`RecordSender::wait_for_consumer`] waits for
/// one: a consumer that closed does not end that wait.
const CONSUMER_TO_ATTACH: Peer = Peer {
    close_ends_wait: false,
    ..CONSUMER
};

/// The producer, as the consumer sees it.
const PRODUCER: Peer = Peer {
    closed: PRODUCER_CLOSED_OFFSET,
    pid: PRODUCER_PID_OFFSET,
    publishes: PRODUCER_PUBLISHES_OFFSET,
    may_not_have_come: false,
    close_ends_wait: true,
};

/// Whether a pid word could hold a process's pid at all: not 0, and not above
/// `i32::MAX` (negative as a Linux `pid_t`; Windows pids are far smaller).
fn names_a_possible_process(pid: u32) -> bool {
    pid != 0 && i32::try_from(pid).is_ok()
}

/// Whether a pid word names a running process. 0 and impossible pids never
/// do; for a pid above the system's largest (`pid_max`) the system itself
/// answers that no such process runs.
fn names_a_live_process(pid: u32) -> bool {
    names_a_possible_process(pid) && platform::pid_alive(pid)
}

/// The ring inside a region, shared by both ends.
#[derive(Debug)]
struct Ring<T> {
    /// The ring's region and its bytes, held for the hot paths: the header,
    /// then `capacity` records (none while the ring is not validated yet,
    /// or when `T` asks for more alignment than the records' offset has:
    /// then every send takes the general path).
    bytes: PinnedSlots<T, DATA_OFFSET>,
    capacity: u32,
    /// Whether this end publishes with a compiler-only barrier (it is
    /// registered for the sleeper's heavy barrier, see [`Ring::publish`]).
    light: bool,
    /// What sleepers on the ring's words wait on.
    wakers: Wakers,
}

/// What wakes a sleeper on each word a side sleeps on (Linux: a futex on the
/// word itself; Windows: a named semaphore beside the ring's region).
#[derive(Debug)]
struct Wakers {
    magic: WordWaker,
    consumer_sleeping: WordWaker,
    producer_sleeping: WordWaker,
}

impl<T> Ring<T> {
    const RECORD_SIZE: u64 = std::mem::size_of::<T>() as u64;
    const RECORD_ALIGN: u64 = std::mem::align_of::<T>() as u64;
    /// How many records a side close behind the other lets it get ahead by:
    /// [`SLIP_BYTES`] of them, at least one.
    const SLIP: u32 = {
        let records = SLIP_BYTES / Self::RECORD_SIZE;
        if records == 0 {
            1
        } else {
            records as u32
        }
    };

    fn new(region: Region, capacity: u32) -> Result<Self, RingError> {
        let waker = |offset| {
            region.word_waker(offset).map_err(|e| {
                RingError::Region(ObjectError::region(Failure::io(
                    "set up wake-ups for",
                    region.path(),
                    e,
                )))
            })
        };
        let wakers = Wakers {
            magic: waker(RING_OFFSET)?,
            consumer_sleeping: waker(CONSUMER_SLEEPING_OFFSET)?,
            producer_sleeping: waker(PRODUCER_SLEEPING_OFFSET)?,
        };
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

    /// The waker of the word at `offset` (one of the three the sides sleep on).
    #[inline]
    fn waker(&self, offset: u64) -> &WordWaker {
        match offset {
            RING_OFFSET => &self.wakers.magic,
            CONSUMER_SLEEPING_OFFSET => &self.wakers.consumer_sleeping,
            _ => &self.wakers.producer_sleeping,
        }
    }

    /// Sleeps while the word at `offset` holds `seen` (bounded by `timeout`).
    fn sleep_while_equal(&self, offset: u64, seen: u32, timeout: std::time::Duration) {
        self.waker(offset)
            .sleep_while_equal(self.word(offset), seen, timeout);
    }

    /// The ring's bytes: each hot path takes them once and uses them for
    /// all its accesses (a ring's region is always writable: the producer
    /// creates it so, the consumer refuses a read-only one).
    #[inline(always)]
    fn words(&self) -> Writable<'_> {
        self.bytes.bytes()
    }

    #[inline(always)]
    fn word(&self, offset: u64) -> &AtomicU32 {
        word(self.words(), offset)
    }

    #[inline]
    fn slot_offset(&self, index: u32) -> u64 {
        DATA_OFFSET + u64::from(index & (self.capacity - 1)) * Self::RECORD_SIZE
    }

    /// Publishes `tail` (the records before it are written) and wakes the
    /// consumer if it sleeps: [`Ring::publish`] on the header's words.
    #[inline(always)]
    fn publish_tail(&self, header: Prefix<'_, DATA_OFFSET>, tail: u32) {
        if self.light {
            header.word::<TAIL_OFFSET>().store(tail, Ordering::Release);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        } else {
            header.word::<TAIL_OFFSET>().swap(tail, Ordering::SeqCst);
        }
        if header.word::<CONSUMER_SLEEPING_OFFSET>().load(Ordering::SeqCst) != 0 {
            self.wake(CONSUMER_SLEEPING_OFFSET);
        }
    }

    /// Waits while the other side keeps moving its index (the word at
    /// `index`) until it is [`Ring::SLIP`] records past `from`, at most
    /// [`SLIP_LOOKS`] looks; called by a side that caught up with the other
    /// (a consumer that emptied the ring, a producer that filled it).
    ///
    /// Two sides that each act on every record as soon as the other
    /// published it keep reading and writing the same cache lines: the
    /// records' lines and the index's. Every record then waits for a line
    /// to come back from the other core, and both sides slow to a cache
    /// line's trip per record. Falling a few lines behind keeps them apart
    /// (the "temporal slipping" of FastForward, Giacomoni et al., 2008). Nothing
    /// is held for long: the wait ends at the first look that finds the other
    /// side did not move, so a lone record, or the last of a burst, is taken
    /// at most two looks late (one to see it come, one to see nothing more).
    fn let_peer_get_ahead(&self, index: u64, from: u32) {
        let index = self.word(index);
        let mut seen = index.load(Ordering::Relaxed);
        for _ in 0..SLIP_LOOKS {
            if seen.wrapping_sub(from) >= Self::SLIP {
                return;
            }
            for _ in 0..PAUSES_PER_LOOK {
                std::hint::spin_loop();
            }
            let now = index.load(Ordering::Relaxed);
            if now == seen {
                return;
            }
            seen = now;
        }
    }

    /// Records between `head` and `tail`, checked against the capacity.
    fn filled(&self, head: u32, tail: u32) -> Result<u32, RingError> {
        let filled = tail.wrapping_sub(head);
        if filled > self.capacity {
            return Err(RingError::Corrupt { head, tail });
        }
        Ok(filled)
    }

    /// Waits while `word` is still `seen` and the peer has not closed its
    /// end (`closed`; unless [`Peer::close_ends_wait`] is false): spins
    /// briefly, then sleeps. Returns whether the peer may still act: false
    /// when it counts as gone ([`Ring::peer_gone`]).
    ///
    /// The sleep is on the `sleeping` flag itself: the sleeper sets it to 1,
    /// checks its condition once more, and sleeps while the flag is still 1;
    /// the other side, after changing `word` or closing, swaps the flag back
    /// to 0 and wakes the sleeper. Either the sleeper sees the change or the
    /// waker sees the flag (see [`Ring::publish`] for why), and a wake-up
    /// that arrives before the sleep finds the flag already 0 and the sleep
    /// does not start: no wake-up is lost.
    fn wait(&self, word: u64, seen: u32, sleeping: u64, peer: Peer, until: Until) -> bool {
        let word = self.word(word);
        if spin_until_changed_every(word, seen, SPINS / PAUSES_PER_LOOK, PAUSES_PER_LOOK, || {
            until.passed()
        }) {
            return true;
        }
        way_to_sleep::step(way_to_sleep::Step::SpinEnded);
        let flag = self.word(sleeping);
        flag.swap(1, Ordering::SeqCst);
        // Pairs with a plain-store publisher's compiler-only barrier. When it
        // cannot be issued (no membarrier here) and the peer may publish with
        // plain stores (it says so, or has not said yet), the peer may miss the
        // flag: sleep in short slices then, so that a missed wake-up costs a
        // millisecond, not a hang.
        let paired = platform::heavy_barrier()
            || self.word(peer.publishes).load(Ordering::Acquire) == PUBLISHES_LOCKED;
        let slice = if paired { LIVENESS_SLICE } else { UNPAIRED_SLICE };
        way_to_sleep::step(way_to_sleep::Step::Announced);
        if word.load(Ordering::SeqCst) == seen
            && (!peer.close_ends_wait || self.word(peer.closed).load(Ordering::SeqCst) == 0)
        {
            self.sleep_while_equal(sleeping, 1, slice.min(until.left()));
        }
        flag.store(0, Ordering::SeqCst);
        !self.peer_gone(peer)
    }

    /// Whether `peer` counts as gone (see the module's [table](self#which-peer-counts-as-gone)):
    /// its pid word names a dead process or no possible one. A 0 in the
    /// consumer's place is no death before any consumer has attached (a
    /// consumer may still come), nor the caller's to judge after one closed
    /// (it is gone, and its closed word says why); after one attached and
    /// while it has not closed, the 0 was written by something else.
    fn peer_gone(&self, peer: Peer) -> bool {
        let pid = self.word(peer.pid).load(Ordering::Acquire);
        if pid != 0 || !peer.may_not_have_come {
            return !names_a_live_process(pid);
        }
        if self.is_set(peer.closed) {
            return true;
        }
        if self.word(peer.publishes).load(Ordering::Acquire) == 0 {
            return false; // no consumer has attached yet
        }
        // A consumer attaching between these reads wrote its pid before
        // clearing the closed word: this second read sees it.
        !names_a_live_process(self.word(peer.pid).load(Ordering::Acquire))
    }

    /// Records in the header how this end publishes (`publishes`: its own word).
    fn announce(&self, publishes: u64) {
        let how = if self.light {
            PUBLISHES_PLAIN
        } else {
            PUBLISHES_LOCKED
        };
        self.word(publishes).store(how, Ordering::Release);
    }

    /// Publishes a new value of `word` and wakes the other side if it sleeps.
    ///
    /// The sleeper stores its flag and then looks at `word`; this side stores
    /// `word` and then looks at the flag. One of the two must see the other's
    /// store (Dekker's pattern), which needs a store-load barrier on both
    /// sides. The sleeper pays for it with a heavy barrier (`membarrier`, a
    /// few microseconds, only on its way to sleep), so this side, registered
    /// for it, gets by with a plain store and a compiler-only barrier: a
    /// record costs a store, not a locked instruction waiting for the cache
    /// line. Where `membarrier` is missing both sides use locked instructions.
    #[inline(always)]
    fn publish(&self, words: Writable<'_>, word_at: u64, value: u32, sleeping: u64) {
        if self.light {
            word(words, word_at).store(value, Ordering::Release);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        } else {
            word(words, word_at).swap(value, Ordering::SeqCst);
        }
        if word(words, sleeping).load(Ordering::SeqCst) != 0 {
            self.wake(sleeping);
        }
    }

    /// Wakes the side whose `sleeping` flag is set (no system call otherwise).
    #[cold]
    #[inline(never)]
    fn wake(&self, sleeping: u64) {
        let flag = self.word(sleeping);
        if flag.load(Ordering::SeqCst) != 0 && flag.swap(0, Ordering::SeqCst) != 0 {
            self.waker(sleeping).wake_all(flag);
        }
    }

    #[inline]
    fn is_set(&self, offset: u64) -> bool {
        self.word(offset).load(Ordering::Acquire) != 0
    }
}

/// The producing end of a record ring, of records of any plain-old-data
/// type (derive zerocopy's traits with `#[zerocopy(crate =
/// "shared::zerocopy")]`: see the [module example](self)).
///
/// Dropping it closes the ring at once: an attached consumer still receives
/// what is left, then `None`. Records no consumer has taken are lost when
/// the last process using the ring's region leaves (with no consumer
/// attached yet, that is at this drop), and a drop does not say how many:
/// call [`RecordSender::finish`] to wait for delivery and learn the count.
#[derive(Debug)]
pub struct RecordSender<T: Record> {
    ring: Ring<T>,
    tail: u32,
    /// The consumer's head as last read: re-read only when the ring looks
    /// full, so a send does not touch the consumer's cache line.
    head_seen: u32,
    /// Whether the last look at the indices found them impossible (the drop
    /// then tells the consumer why the stream ends).
    found_corrupt: bool,
}

impl<T: Record> RecordSender<T> {
    /// Creates the ring's region (`options`, with a size fitted to
    /// `capacity` records) and sets up an empty ring in it.
    ///
    /// # Errors
    /// [`RingError::BadCapacity`] for a capacity that is not a power of two
    /// in range; [`RingError::Region`] when the region cannot be created
    /// (for example, a live ring of that name already exists).
    pub fn create(options: &RegionOptions, capacity: u32) -> Result<RecordSender<T>, RingError> {
        if !capacity.is_power_of_two() || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
            return Err(RingError::BadCapacity(capacity));
        }
        const { assert!(std::mem::size_of::<T>() > 0, "a record must have a size") };
        let size = DATA_OFFSET + u64::from(capacity) * Ring::<T>::RECORD_SIZE;
        let region = options.clone().size(size).create_new()?;
        let ring = Ring::new(region, capacity)?;
        ring.word(CAPACITY_OFFSET).store(capacity, Ordering::Relaxed);
        ring.word(VERSION_OFFSET).store(RING_VERSION, Ordering::Relaxed);
        ring.word(RECORD_SIZE_OFFSET)
            .store(Ring::<T>::RECORD_SIZE as u32, Ordering::Relaxed);
        ring.word(RECORD_ALIGN_OFFSET)
            .store(Ring::<T>::RECORD_ALIGN as u32, Ordering::Relaxed);
        ring.word(PRODUCER_PID_OFFSET)
            .store(std::process::id(), Ordering::Relaxed);
        ring.announce(PRODUCER_PUBLISHES_OFFSET);
        let magic = ring.word(RING_OFFSET);
        magic.store(RING_MAGIC, Ordering::Release);
        ring.waker(RING_OFFSET).wake_all(magic);
        Ok(RecordSender {
            ring,
            tail: 0,
            head_seen: 0,
            found_corrupt: false,
        })
    }

    /// The ring's capacity in records.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// Waits until a live consumer is attached (either side may start
    /// first), at most `timeout`. A consumer that died or closed does not
    /// count: the wait goes on until a new one takes its place.
    ///
    /// # Errors
    /// [`RingError::NoPeer`] when none attached in time.
    pub fn wait_for_consumer(&self, timeout: Duration) -> Result<(), RingError> {
        let until = Until::after(timeout);
        loop {
            let pid = self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire);
            if names_a_live_process(pid) {
                return Ok(());
            }
            if until.passed() {
                return Err(RingError::NoPeer {
                    peer: "consumer",
                    waited: timeout,
                });
            }
            // Woken by a consumer's claim, which changes the word (see
            // `RecordReceiver::open`); whether the last one is gone does not
            // matter here.
            let _ = self.ring.wait(
                CONSUMER_PID_OFFSET,
                pid,
                PRODUCER_SLEEPING_OFFSET,
                CONSUMER_TO_ATTACH,
                until,
            );
        }
    }

    /// Closes the ring after waiting, at most `timeout`, until the consumer
    /// has taken every record sent; returns how many it never took (0: all
    /// delivered). Those are the records still in the ring when the time ran
    /// out, when no consumer ever attached, or when the consumer closed or
    /// died.
    ///
    /// # Errors
    /// [`RingError::Corrupt`] for impossible indices.
    pub fn finish(mut self, timeout: Duration) -> Result<u32, RingError> {
        let until = Until::after(timeout);
        loop {
            let head = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
            let left = self.filled(head)?;
            if left == 0 || self.ring.is_set(CONSUMER_CLOSED_OFFSET) || until.passed() {
                return Ok(left);
            }
            // No consumer attached yet: it may still come, until the time runs out.
            let alive = self
                .ring
                .wait(HEAD_OFFSET, head, PRODUCER_SLEEPING_OFFSET, CONSUMER, until);
            if !alive {
                let head = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
                return self.filled(head);
            }
        }
    }

    /// The pid of the live process reading the ring: `None` before a
    /// consumer attached, after it closed, and once the process its pid word
    /// names is gone.
    pub fn consumer_pid(&self) -> Option<u32> {
        let pid = self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire);
        names_a_live_process(pid).then_some(pid)
    }

    /// Sends one record, waiting while the ring is full.
    ///
    /// # Errors
    /// [`RingError::PeerClosed`] when the consumer has closed its end;
    /// [`RingError::PeerGone`] when it died while the ring was full (a full
    /// ring no consumer has attached to yet waits for one); [`RingError::Corrupt`]
    /// for impossible indices.
    #[inline(always)]
    pub fn send(&mut self, msg: &T) -> Result<(), RingError> {
        // The common case in a few instructions, inlined into the caller's
        // loop: room known without reading the consumer's head, and the
        // consumer still there.
        let bytes = &self.ring.bytes;
        if let Some(slots) = bytes.slots() {
            let header = bytes.header();
            if self.tail.wrapping_sub(self.head_seen) < self.ring.capacity
                && header.word::<CONSUMER_CLOSED_OFFSET>().load(Ordering::Acquire) == 0
            {
                slots.put(self.tail, msg);
                self.tail = self.tail.wrapping_add(1);
                self.ring.publish_tail(header, self.tail);
                return Ok(());
            }
        }
        // A copy for the rare case: the record's own address does not leave
        // the common case, so a record built just before the call can stay
        // in registers (a record stored to the stack field by field and
        // loaded back whole would wait for the stores ahead of it).
        let Ok(record) = T::read_from_bytes(msg.as_bytes()) else {
            unreachable!("a record's bytes are a record")
        };
        self.send_when_full_or_closed(record)
    }

    /// [`RecordSender::send`] when the ring looked full or the consumer
    /// closed: out of line, so that the common case stays small.
    #[cold]
    #[inline(never)]
    fn send_when_full_or_closed(&mut self, record: T) -> Result<(), RingError> {
        self.send_batch(std::slice::from_ref(&record))
    }

    /// Sends one record if there is room; `Ok(false)` when the ring is full.
    ///
    /// # Errors
    /// [`RingError::PeerClosed`] when the consumer closed; [`RingError::Corrupt`].
    pub fn try_send(&mut self, msg: &T) -> Result<bool, RingError> {
        self.check_consumer_open()?;
        if self.room()? == 0 {
            return Ok(false);
        }
        self.write(std::slice::from_ref(msg));
        Ok(true)
    }

    /// Sends every record of `msgs` in order, in as few steps as the free
    /// room allows, waiting while the ring is full.
    ///
    /// # Errors
    /// As [`RecordSender::send`]; records sent before the error stay sent.
    pub fn send_batch(&mut self, msgs: &[T]) -> Result<(), RingError> {
        self.send_batch_until(msgs, Until::never())
    }

    /// [`RecordSender::send`] waiting at most `timeout` for room.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when the ring stayed full that long; as
    /// [`RecordSender::send`] otherwise.
    pub fn send_timeout(&mut self, msg: &T, timeout: Duration) -> Result<(), RingError> {
        self.send_batch_timeout(std::slice::from_ref(msg), timeout)
    }

    /// [`RecordSender::send_batch`] waiting at most `timeout` in all.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] (with how many were sent) when the ring did
    /// not make room for all of them in time; as [`RecordSender::send`] otherwise.
    pub fn send_batch_timeout(&mut self, msgs: &[T], timeout: Duration) -> Result<(), RingError> {
        self.send_batch_until(msgs, Until::after(timeout))
    }

    fn send_batch_until(&mut self, all: &[T], until: Until) -> Result<(), RingError> {
        let mut msgs = all;
        while !msgs.is_empty() {
            // The closed flag sits on a line that rarely changes: a cheap look.
            self.check_consumer_open()?;
            let room = self.room()?;
            if room == 0 {
                if until.passed() {
                    return Err(RingError::TimedOut {
                        done: all.len() - msgs.len(),
                    });
                }
                let alive = self.ring.wait(
                    HEAD_OFFSET,
                    self.head_seen,
                    PRODUCER_SLEEPING_OFFSET,
                    CONSUMER,
                    until,
                );
                if !alive {
                    return Err(self.consumer_gone());
                }
                self.ring.let_peer_get_ahead(HEAD_OFFSET, self.head_seen);
                continue;
            }
            let n = msgs.len().min(room as usize);
            self.write(&msgs[..n]);
            msgs = &msgs[n..];
        }
        Ok(())
    }

    /// Free slots; reads the consumer's head only when the last one seen
    /// leaves no room.
    fn room(&mut self) -> Result<u32, RingError> {
        let room = self.ring.capacity - self.filled(self.head_seen)?;
        if room > 0 {
            return Ok(room);
        }
        self.head_seen = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
        Ok(self.ring.capacity - self.filled(self.head_seen)?)
    }

    /// Records between `head` and this end's tail ([`Ring::filled`]),
    /// remembering whether the indices were found impossible.
    fn filled(&mut self, head: u32) -> Result<u32, RingError> {
        let filled = self.ring.filled(head, self.tail);
        self.found_corrupt = filled.is_err();
        filled
    }

    /// Writes `msgs` (which fit in the free room, possibly wrapping) and publishes them.
    fn write(&mut self, msgs: &[T]) {
        let words = self.ring.words();
        let first_slot = (self.tail & (self.ring.capacity - 1)) as usize;
        let until_end = (self.ring.capacity as usize - first_slot).min(msgs.len());
        let (front, back) = msgs.split_at(until_end);
        for (index, part) in [
            (self.tail, front),
            (self.tail.wrapping_add(until_end as u32), back),
        ] {
            // In range: slots were computed modulo the capacity and the
            // region holds DATA_OFFSET + capacity records.
            words.copy_in(self.ring.slot_offset(index), part);
        }
        self.tail = self.tail.wrapping_add(msgs.len() as u32);
        self.ring
            .publish(words, TAIL_OFFSET, self.tail, CONSUMER_SLEEPING_OFFSET);
    }

    fn check_consumer_open(&self) -> Result<(), RingError> {
        if self.ring.word(CONSUMER_CLOSED_OFFSET).load(Ordering::Acquire) != 0 {
            return Err(self.consumer_gone());
        }
        Ok(())
    }

    /// Why the consumer takes no more records: it closed its end (and
    /// whether it found the ring corrupt), or its pid word names no running
    /// process.
    fn consumer_gone(&self) -> RingError {
        match self.ring.word(CONSUMER_CLOSED_OFFSET).load(Ordering::Acquire) {
            0 => RingError::PeerGone {
                peer: "consumer",
                pid: self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire),
            },
            closed => RingError::PeerClosed {
                peer: "consumer",
                found_corrupt: closed == CLOSED_CORRUPT,
            },
        }
    }
}

impl<T: Record> Drop for RecordSender<T> {
    fn drop(&mut self) {
        let closed = if self.found_corrupt {
            CLOSED_CORRUPT
        } else {
            CLOSED
        };
        self.ring
            .word(PRODUCER_CLOSED_OFFSET)
            .swap(closed, Ordering::SeqCst);
        self.ring.wake(CONSUMER_SLEEPING_OFFSET);
    }
}

/// The consuming end of a record ring.
#[derive(Debug)]
pub struct RecordReceiver<T: Record> {
    ring: Ring<T>,
    head: u32,
    /// Whether the last take emptied the ring after fewer than
    /// [`Ring::SLIP`] records: this side is close behind the
    /// producer (see [`RecordReceiver::let_producer_get_ahead`]).
    close_behind: bool,
    /// Whether the last look at the indices found them impossible (the drop
    /// then tells the producer why nobody reads any more).
    found_corrupt: bool,
}

impl<T: Record> RecordReceiver<T> {
    /// Opens the ring a live producer created and becomes its consumer.
    ///
    /// # Errors
    /// [`RingError::Region`] ([`Failure::NotFound`] when no producer
    /// created it); [`RingError::NotARing`] when the region holds no valid
    /// ring; [`RingError::OtherVersion`] for a ring of another layout
    /// version; [`RingError::RecordMismatch`] when the ring carries records
    /// of another size or alignment than `T`; [`RingError::ConsumerTaken`]
    /// when another live consumer has it.
    pub fn open(options: &RegionOptions) -> Result<RecordReceiver<T>, RingError> {
        let region = options.open_existing()?;
        if region.is_read_only() {
            return Err(RingError::Region(ObjectError::region(Failure::BadOptions {
                reason: READ_WRITE_NEEDED,
            })));
        }
        // The header first: whether the records fit is for the header to say
        // (a ring of smaller records is another record type, not no ring).
        if region.size() < DATA_OFFSET {
            return Err(RingError::NotARing(format!(
                "the region has only {} bytes, fewer than a ring's {DATA_OFFSET}-byte header",
                region.size()
            )));
        }
        // No records yet: how many there are is for the header to say.
        let probe = Ring::new(region, 0)?;
        let magic = probe.word(RING_OFFSET);
        let until = Until::after(SETUP_WAIT);
        // 0 means "not set up yet"; anything else is checked below.
        while magic.load(Ordering::Acquire) == 0 && !until.passed() {
            probe.sleep_while_equal(RING_OFFSET, 0, until.left());
        }
        let ring = validate(probe)?;
        claim_consumer(&ring)?;
        // A producer waiting for its consumer sleeps on the claim.
        ring.wake(PRODUCER_SLEEPING_OFFSET);
        ring.announce(CONSUMER_PUBLISHES_OFFSET);
        ring.word(CONSUMER_CLOSED_OFFSET).store(0, Ordering::Release);
        let head = ring.word(HEAD_OFFSET).load(Ordering::Acquire);
        Ok(RecordReceiver {
            ring,
            head,
            close_behind: false,
            found_corrupt: false,
        })
    }

    /// [`RecordReceiver::open`], waiting at most `timeout` for a producer to
    /// create the ring (either side may start first). The ring's name cannot
    /// be slept on before it exists: this looks again every few
    /// milliseconds.
    ///
    /// # Errors
    /// [`RingError::NoPeer`] when no producer created the ring in time; as
    /// [`RecordReceiver::open`] otherwise.
    pub fn open_timeout(options: &RegionOptions, timeout: Duration) -> Result<RecordReceiver<T>, RingError> {
        let until = Until::after(timeout);
        let mut pause = Duration::from_millis(1);
        loop {
            match Self::open(options) {
                Err(RingError::Region(e)) if is_not_found(&e) && !until.passed() => {
                    std::thread::sleep(pause.min(until.left()));
                    pause = (pause * 2).min(Duration::from_millis(10));
                }
                Err(RingError::Region(e)) if is_not_found(&e) => {
                    return Err(RingError::NoPeer {
                        peer: "producer",
                        waited: timeout,
                    })
                }
                other => return other,
            }
        }
    }

    /// Receives the next record, waiting while the ring is empty; `Ok(None)`
    /// once the producer has closed the ring and every record was received.
    ///
    /// # Errors
    /// [`RingError::PeerGone`] when the producer died (not closed), or its
    /// pid word names no process, and the ring is empty;
    /// [`RingError::PeerClosed`] (`found_corrupt`) once every record was
    /// received, when the producer closed because it found the ring corrupt
    /// (the stream was cut); [`RingError::Corrupt`] for impossible indices.
    pub fn recv(&mut self) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.recv_batch(std::slice::from_mut(&mut record))?;
        Ok((received == 1).then_some(record))
    }

    /// Receives the next record if one is there; `Ok(None)` when the ring is empty.
    ///
    /// # Errors
    /// [`RingError::Corrupt`] for impossible indices.
    pub fn try_recv(&mut self) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.take(std::slice::from_mut(&mut record))?;
        Ok((received == 1).then_some(record))
    }

    /// Receives up to `buf.len()` records, waiting until at least one is
    /// there; returns how many were received, 0 once the producer has closed
    /// the ring and every record was received.
    ///
    /// # Errors
    /// As [`RecordReceiver::recv`].
    pub fn recv_batch(&mut self, buf: &mut [T]) -> Result<usize, RingError> {
        self.recv_batch_until(buf, Until::never())
    }

    /// [`RecordReceiver::recv`] waiting at most `timeout` for a record.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when none came in time; as
    /// [`RecordReceiver::recv`] otherwise.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.recv_batch_timeout(std::slice::from_mut(&mut record), timeout)?;
        Ok((received == 1).then_some(record))
    }

    /// [`RecordReceiver::recv_batch`] waiting at most `timeout` for the first record.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when none came in time; as
    /// [`RecordReceiver::recv`] otherwise.
    pub fn recv_batch_timeout(&mut self, buf: &mut [T], timeout: Duration) -> Result<usize, RingError> {
        self.recv_batch_until(buf, Until::after(timeout))
    }

    fn recv_batch_until(&mut self, buf: &mut [T], until: Until) -> Result<usize, RingError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if std::mem::take(&mut self.close_behind) {
            self.let_producer_get_ahead();
        }
        loop {
            let n = self.take(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let closed = self.ring.word(PRODUCER_CLOSED_OFFSET).load(Ordering::Acquire);
            if closed != 0 {
                // Closed: anything published before the close is visible now.
                let n = self.take(buf)?;
                if n == 0 && closed == CLOSED_CORRUPT {
                    // The end, but not of the stream the producer meant to send.
                    return Err(RingError::PeerClosed {
                        peer: "producer",
                        found_corrupt: true,
                    });
                }
                return Ok(n);
            }
            if until.passed() {
                return Err(RingError::TimedOut { done: 0 });
            }
            let alive = self
                .ring
                .wait(TAIL_OFFSET, self.head, CONSUMER_SLEEPING_OFFSET, PRODUCER, until);
            if !alive && !self.ring.is_set(PRODUCER_CLOSED_OFFSET) {
                // Dead without closing: hand out what it sent, then say so.
                let n = self.take(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                return Err(RingError::PeerGone {
                    peer: "producer",
                    pid: self.ring.word(PRODUCER_PID_OFFSET).load(Ordering::Acquire),
                });
            }
        }
    }

    /// After a take that caught up with the producer (see
    /// [`RecordReceiver::close_behind`]), lets it get [`Ring::SLIP`] records
    /// ahead ([`Ring::let_peer_get_ahead`]).
    fn let_producer_get_ahead(&self) {
        self.ring.let_peer_get_ahead(TAIL_OFFSET, self.head);
    }

    /// Copies out what is there (up to `buf.len()`), and frees the slots.
    fn take(&mut self, buf: &mut [T]) -> Result<usize, RingError> {
        let tail = self.ring.word(TAIL_OFFSET).load(Ordering::Acquire);
        let filled = self.ring.filled(self.head, tail);
        self.found_corrupt = filled.is_err();
        let filled = filled? as usize;
        let n = filled.min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        self.close_behind = n == filled && (n as u32) < Ring::<T>::SLIP;
        let first_slot = (self.head & (self.ring.capacity - 1)) as usize;
        let until_end = (self.ring.capacity as usize - first_slot).min(n);
        let (front, back) = buf[..n].split_at_mut(until_end);
        let words = self.ring.words();
        for (index, part) in [
            (self.head, front),
            (self.head.wrapping_add(until_end as u32), back),
        ] {
            words.copy_out(self.ring.slot_offset(index), part);
        }
        self.head = self.head.wrapping_add(n as u32);
        self.ring
            .publish(words, HEAD_OFFSET, self.head, PRODUCER_SLEEPING_OFFSET);
        Ok(n)
    }
}

impl<T: Record> Drop for RecordReceiver<T> {
    fn drop(&mut self) {
        // Closed first, then free the place: a consumer attaching in between
        // re-opens the ring after this close, not before it.
        let closed = if self.found_corrupt {
            CLOSED_CORRUPT
        } else {
            CLOSED
        };
        self.ring
            .word(CONSUMER_CLOSED_OFFSET)
            .swap(closed, Ordering::SeqCst);
        self.ring.wake(PRODUCER_SLEEPING_OFFSET);
        let _ = self.ring.word(CONSUMER_PID_OFFSET).compare_exchange(
            std::process::id(),
            0,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
}

/// The ring word at `offset` of `words`.
#[inline(always)]
fn word(words: Writable<'_>, offset: u64) -> &AtomicU32 {
    match words.word(offset) {
        Some(word) => word,
        // Offsets are aligned constants below DATA_OFFSET, and every
        // ring region is larger than that (checked at create/open).
        // The message names no offset: formatting one made the hot path
        // keep it on the stack, a store per record.
        None => unreachable!("a ring word outside a checked region"),
    }
}

/// Whether opening failed because no producer has created the ring yet.
fn is_not_found(error: &ObjectError) -> bool {
    matches!(error.failure(), Failure::NotFound { .. })
}

/// Makes this process the ring's one consumer: takes the place when it is
/// free (0) or its pid word names no running process (a dead holder, or a
/// word that names no possible pid), atomically (never writing over a live
/// one).
fn claim_consumer<T>(ring: &Ring<T>) -> Result<(), RingError> {
    let consumer = ring.word(CONSUMER_PID_OFFSET);
    let me = std::process::id();
    let mut current = consumer.load(Ordering::Acquire);
    loop {
        if names_a_live_process(current) {
            return Err(RingError::ConsumerTaken { pid: current });
        }
        match consumer.compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => current = now,
        }
    }
}

/// Checks the ring header of an opened region.
fn validate<T>(probe: Ring<T>) -> Result<Ring<T>, RingError> {
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

#[cfg(test)]
mod tests;

mod way_to_sleep;
