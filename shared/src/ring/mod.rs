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
//! A side that waits for the other looks twice 16 pauses apart (a side still
//! streaming publishes within that), then after every pause until it goes to
//! sleep: a lone record that comes after that is seen within a pause, about
//! 0.1 µs from send to receive here instead of 0.27.
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
//! # When the consumer dies: at most once, or at least once
//! The ring outlives its consumer. A consumer that died (or closed) leaves
//! in the ring every record it did not take, and a new consumer may take
//! its place ([`RecordReceiver::open`]) and go on from there: after
//! [`RingError::PeerGone`] (or [`RingError::PeerClosed`]) the producer
//! waits for it with [`RecordSender::wait_for_consumer`] and sends again,
//! and [`RecordSender::wait_until_taken`] waits for delivery without
//! closing. What the dead consumer had received and not yet handled
//! depends on the receiving form:
//!
//! | form | a record leaves the ring when | the new consumer starts at | each record is handled | `finish` counts |
//! |---|---|---|---|---|
//! | default | it is received | the first record the dead one never received | at most once (the dead one's unhandled records are lost) | records never received |
//! | [`RecordReceiver::acknowledging`] | [`RecordReceiver::ack`] acknowledges it | the first record the dead one never acknowledged | at least once (those it received and did not acknowledge come again) | records never acknowledged |
//!
//! The examples show both: `ring_producer --wait-consumer SECS` goes on
//! across a consumer's death, and `ring_consumer --ack` acknowledges each
//! batch after checking it.
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
//! The indices are checked, not guarded: either end that finds more records
//! between head and tail than the ring holds stops with
//! [`RingError::Corrupt`] and closes saying so. A third process that can
//! open the region can also write a head or tail that is possible but
//! wrong, as it can write any record's bytes: the ring then delivers what
//! the indices say (records skipped, or slots it has not written), and the
//! producer counts from the tail it finds ([`RecordSender::written`]).
//! Keep the region to the two programs (its mode, its directory).
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

mod both_ends;
mod error;
mod layout;
mod receiver;
mod sender;
mod sleepers;
#[cfg(test)]
mod tests;
mod wakeups;
mod way_to_sleep;

use zerocopy::{FromBytes, Immutable, IntoBytes};

pub use error::RingError;
pub use layout::{
    CONSUMER_PID_OFFSET, DATA_OFFSET, HEAD_OFFSET, MAX_CAPACITY, MIN_CAPACITY, PRODUCER_PID_OFFSET,
    RING_MAGIC, RING_OFFSET, RING_VERSION, TAIL_OFFSET,
};
pub use receiver::RecordReceiver;
pub use sender::RecordSender;

/// What a ring carries: any plain-old-data type (derive zerocopy's
/// `FromBytes`, `IntoBytes` and `Immutable`; it has a size, so not `()`).
pub trait Record: FromBytes + IntoBytes + Immutable {}

impl<T: FromBytes + IntoBytes + Immutable> Record for T {}
