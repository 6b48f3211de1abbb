//! What can go wrong with a ring ([`RingError`]), and how the errors read.

use std::fmt;
use std::time::Duration;

use super::layout::{MAX_CAPACITY, MIN_CAPACITY, RING_VERSION};
use crate::error::ObjectError;

/// Why a read-only region cannot hold a ring's end.
pub(super) const READ_WRITE_NEEDED: &str =
    "a ring's consumer moves the ring's head: open it with Access::ReadWrite";

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
    /// told apart: see [the module documentation](super#what-the-ring-can-tell-apart)).
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
    /// gone](super#which-peer-counts-as-gone)).
    PeerGone {
        /// Which side is gone.
        peer: &'static str,
        /// Its pid word as found: the pid of the process that ended, or a
        /// word that names no process (0, or above `i32::MAX`).
        pid: u32,
    },
    /// An acknowledging consumer received as many records as the ring holds
    /// without acknowledging any of them: nothing more can come until it
    /// calls [`RecordReceiver::ack`](super::RecordReceiver::ack).
    AckNeeded {
        /// Records received and not acknowledged (the ring's capacity).
        unacknowledged: u32,
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
    /// No peer came within the time given ([`RecordSender::wait_for_consumer`](super::RecordSender::wait_for_consumer),
    /// [`RecordReceiver::open_timeout`](super::RecordReceiver::open_timeout)).
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
            RingError::PeerGone { peer, pid } => {
                if names_a_possible_process(*pid) {
                    write!(
                        f,
                        "the {peer} (pid {pid}) is gone: no process of that pid runs, and it never \
                         closed its end of the ring; "
                    )?;
                } else {
                    write!(
                        f,
                        "the {peer} is gone: the ring's {peer} pid word reads {pid}, which names no \
                         process (something else wrote into the ring's region); "
                    )?;
                }
                f.write_str(what_is_left(peer))
            }
            RingError::AckNeeded { unacknowledged } => write!(
                f,
                "this consumer received {unacknowledged} records, the whole ring, without acknowledging \
                 any: call RecordReceiver::ack after handling them, then receive again"
            ),
            RingError::PeerClosed {
                peer,
                found_corrupt: false,
            } => write!(f, "the {peer} closed its end of the ring; {}", what_is_left(peer)),
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

/// What a gone or closed `peer` leaves the other end: a consumer's place
/// can be taken by a new consumer, a producer's cannot.
fn what_is_left(peer: &str) -> &'static str {
    if peer == "consumer" {
        "the records it did not take stay in the ring: a new consumer can take its place \
         (RecordSender::wait_for_consumer waits for one), then send again"
    } else {
        "no more records can come"
    }
}

/// Whether a pid word could hold a process's pid at all: not 0, and not above
/// `i32::MAX` (negative as a Linux `pid_t`; Windows pids are far smaller).
pub(super) fn names_a_possible_process(pid: u32) -> bool {
    pid != 0 && i32::try_from(pid).is_ok()
}
