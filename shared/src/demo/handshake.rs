//! The demo's handshake: three words the two programs keep in bytes 40–51 of
//! the region (bytes the original leaves unused), so that each side knows how
//! far the other has got. This is the demo's own layout in the user's bytes;
//! the library knows nothing of it.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 40 | 4 | flags ([`Flags`]): who has written what; sleeping on it is possible |
//! | 44 | 4 | how many records the state server has written |
//! | 48 | 4 | pid of the message server serving the region (0 before one does) |

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::layout::HANDSHAKE_OFFSET;
use crate::{sync::Notifier, AccessorView, Region, ViewError};

/// Offset of the flags word.
pub const FLAGS_OFFSET: u64 = HANDSHAKE_OFFSET;
/// Offset of the count of records written.
pub const RECORD_COUNT_OFFSET: u64 = HANDSHAKE_OFFSET + 4;
/// Offset of the message server's pid.
pub const MESSAGE_PID_OFFSET: u64 = HANDSHAKE_OFFSET + 8;
/// Length of the handshake.
pub const HANDSHAKE_LEN: u64 = 12;

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

/// Live access to the handshake of a region opened for writing.
#[derive(Debug)]
pub struct Handshake<'r> {
    /// The flags, which the other side sleeps on (a futex on Linux, a named
    /// semaphore beside the region on Windows).
    flags: Notifier<'r>,
    records: &'r AtomicU32,
    message_pid: &'r AtomicU32,
}

impl<'r> Handshake<'r> {
    /// The handshake words of `region`.
    ///
    /// # Errors
    /// [`ViewError::ReadOnly`] for a read-only region; [`ViewError::OutsideView`]
    /// for a region too small for the demo's layout; [`ViewError::Wake`] when
    /// the system refuses what sleeping on the flags needs.
    pub fn of(region: &'r Region) -> Result<Self, ViewError> {
        Ok(Handshake {
            flags: region.notifier(FLAGS_OFFSET)?,
            records: region.atomic_u32(RECORD_COUNT_OFFSET)?,
            message_pid: region.atomic_u32(MESSAGE_PID_OFFSET)?,
        })
    }

    /// The current flags.
    pub fn flags(&self) -> Flags {
        Flags(self.flags.word().load(Ordering::Acquire))
    }

    /// Sets `flags` and wakes every process waiting for a change of flags.
    pub fn set_flags(&self, flags: Flags) {
        self.flags.word().fetch_or(flags.0, Ordering::AcqRel);
        self.flags.wake_all();
    }

    /// Waits until the flags contain `wanted`, or `timeout` passes; returns the
    /// flags last seen. Sleeps until woken (a futex on Linux, a named
    /// semaphore on Windows), never polls.
    pub fn wait_for_flags(&self, wanted: Flags, timeout: Duration) -> Flags {
        // A timeout too large for the clock means "as long as it takes".
        let until = Instant::now().checked_add(timeout);
        let left = || until.map_or(Duration::MAX, |at| at.saturating_duration_since(Instant::now()));
        loop {
            let seen = self.flags.word().load(Ordering::Acquire);
            if Flags(seen).contains(wanted) || (until.is_some() && left().is_zero()) {
                return Flags(seen);
            }
            self.flags.wait_while_equal(seen, left());
        }
    }

    /// How many records the state server has written so far.
    pub fn record_count(&self) -> u32 {
        self.records.load(Ordering::Acquire)
    }

    /// Records that `count` records are written.
    pub fn set_record_count(&self, count: u32) {
        self.records.store(count, Ordering::Release);
    }

    /// Pid of the message server serving the region (0 when none has).
    pub fn message_pid(&self) -> u32 {
        self.message_pid.load(Ordering::Acquire)
    }

    /// Whether a message server serves the region now (its pid is alive).
    pub fn message_server_running(&self) -> bool {
        let pid = self.message_pid();
        pid != 0 && pid != std::process::id() && crate::process_alive(pid)
    }

    /// Starts a new exchange served by this process: clears what an earlier
    /// one left (a persistent file, or a region a peer kept open) and records
    /// this process as the message server.
    pub fn start_exchange(&self) {
        self.flags.word().store(0, Ordering::Release);
        self.records.store(0, Ordering::Release);
        self.message_pid.store(std::process::id(), Ordering::Release);
        self.flags.wake_all();
    }
}

/// The handshake as read through a (possibly read-only) view of the whole
/// region, for observers such as the inspector.
///
/// # Errors
/// [`ViewError::OutsideView`] for a region too small for the demo's layout.
pub fn read_snapshot(view: &AccessorView<'_>) -> Result<(Flags, u32, u32), ViewError> {
    Ok((
        Flags(view.read::<u32>(FLAGS_OFFSET)?),
        view.read::<u32>(RECORD_COUNT_OFFSET)?,
        view.read::<u32>(MESSAGE_PID_OFFSET)?,
    ))
}

const _: () = assert!(HANDSHAKE_OFFSET + HANDSHAKE_LEN <= super::layout::RECORDS_OFFSET);
