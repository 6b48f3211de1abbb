//! Taking turns: two (or more) processes hand a region back and forth, each
//! sleeping until it is its turn.
//!
//! The naive way, "take the mutex, check whose turn it is, release, retry",
//! never sleeps: on a machine where both processes share one CPU, the waiting
//! one burns its whole time slice on every hand-over (milliseconds each). Here
//! the turn is a word in the region's companion file (not in the region's
//! bytes): the waiter spins briefly, then sleeps on it (a futex on Linux) until
//! the other side passes the turn and wakes it. A mutex still guards the
//! data; the turn only says who goes next. A small plain-old-data value can
//! travel with the turn in the mailbox beside the turn word.
//!
//! ```no_run
//! # use std::time::Duration;
//! # let region = shared::Region::create_or_open(&shared::RegionName::new("testmap")?, 4096)?;
//! const ME: u32 = 1;
//! const PEER: u32 = 2;
//! let turn = region.turn()?;
//! if turn.wait_for_turn(ME, Duration::from_secs(5)) {
//!     let got: u64 = turn.mailbox();
//!     // ... read and write the region ...
//!     turn.pass_turn_with(PEER, &(got + 1));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::cpu_hints::CpuHints;
use super::wake::{self, Deadline, YIELD_EVERY};
use crate::object::meta::{Meta, MAILBOX, TURN, TURN_CPU, TURN_SLEEPERS};

/// The largest value the turn's mailbox carries, in bytes.
pub const MAILBOX_LEN: usize = crate::object::meta::MAILBOX_LEN;

/// Looks at the turn this many times before sleeping.
const SPINS: u32 = 2_000;

/// A spinning waiter reads the clock once every this many looks (and not
/// before the first of them: most hand-overs arrive sooner).
const CLOCK_EVERY: u32 = 4096;

/// Longest single sleep: a peer that died wakes nobody, so look again this often.
const SLICE: Duration = Duration::from_millis(100);

/// Turn-taking between a region's users: see the module docs. Get it from
/// [`Region::turn`](crate::Region::turn).
#[derive(Debug, Clone, Copy)]
pub struct Turn<'r> {
    meta: &'r Meta,
    word: &'r AtomicU32,
    sleepers: &'r AtomicU32,
    /// The CPU of the last passer, plus 1 (a hint, on the turn's cache line).
    passer_cpu: &'r AtomicU32,
    cpus: &'r CpuHints,
}

impl<'r> Turn<'r> {
    /// The turn of a writable companion (`None` for a read-only one).
    pub(crate) fn new(meta: &'r Meta) -> Option<Self> {
        Some(Turn {
            meta,
            word: meta.word(TURN)?,
            sleepers: meta.word(TURN_SLEEPERS)?,
            passer_cpu: meta.word(TURN_CPU)?,
            cpus: meta.cpus(),
        })
    }

    /// Whose turn it is now (0 until someone passes the turn).
    pub fn current(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Waits until it is `mine`'s turn, or `timeout` passes; returns whether it
    /// is. Spins briefly, then sleeps until [`Turn::pass_turn`] wakes it. A
    /// zero `timeout` only looks.
    ///
    /// A hand-over that arrives before the spin first yields (between two
    /// cores, most do) costs no clock read: the timeout counts from that
    /// first yield, under a microsecond after the call.
    pub fn wait_for_turn(&self, mine: u32, timeout: Duration) -> bool {
        let mut seen = self.word.load(Ordering::Acquire);
        if seen == mine {
            return self.arrived();
        }
        if timeout.is_zero() {
            return false;
        }
        let deadline = Deadline::lazy(timeout);
        let peer_here = self.cpus.peer_shares_this_cpu();
        loop {
            self.sleep_while_turn_is(seen, &deadline, peer_here);
            seen = self.word.load(Ordering::Acquire);
            if seen == mine {
                return self.arrived();
            }
            if deadline.passed() {
                return false;
            }
        }
    }

    /// Like [`Turn::wait_for_turn`] but never sleeps: for two processes on
    /// two cores that hand over faster than a wake-up would take. The clock
    /// is read only after the first 4,096 looks.
    pub fn spin_for_turn(&self, mine: u32, timeout: Duration) -> bool {
        let deadline = Deadline::lazy(timeout);
        let mut spins = 0u32;
        while self.word.load(Ordering::Acquire) != mine {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(CLOCK_EVERY) && deadline.passed() {
                return false;
            }
        }
        true
    }

    /// Gives the turn to `next` and wakes whoever sleeps waiting for it (no
    /// system call when nobody sleeps).
    pub fn pass_turn(&self, next: u32) {
        // Sequentially consistent on both sides (a locked exchange here, a
        // locked add in `sleep_while_turn_is`): either the sleeper sees the
        // new turn, or this side sees the sleeper and wakes it.
        self.passer_cpu.store(self.cpus.published(), Ordering::Relaxed);
        self.word.swap(next, Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            wake::wake_all(self.word);
        }
    }

    /// Puts `value` in the mailbox and gives the turn to `next`: the value
    /// travels with the turn, on the same cache line. A type larger than
    /// [`MAILBOX_LEN`] bytes does not compile.
    pub fn pass_turn_with<T: IntoBytes + Immutable>(&self, next: u32, value: &T) {
        const {
            assert!(
                std::mem::size_of::<T>() <= MAILBOX_LEN,
                "the mailbox holds at most MAILBOX_LEN bytes"
            )
        };
        // In range: the mailbox is a constant inside every companion, and
        // the companion is writable (checked in `Turn::new`).
        let _ = self.meta.mapping().write(MAILBOX, value.as_bytes());
        self.pass_turn(next);
    }

    /// The value in the mailbox (read it when it is your turn). A type larger
    /// than [`MAILBOX_LEN`] bytes does not compile.
    pub fn mailbox<T: FromBytes + IntoBytes>(&self) -> T {
        const {
            assert!(
                std::mem::size_of::<T>() <= MAILBOX_LEN,
                "the mailbox holds at most MAILBOX_LEN bytes"
            )
        };
        let mut value = T::new_zeroed();
        let _ = self.meta.mapping().read(MAILBOX, value.as_mut_bytes());
        value
    }

    /// The turn came: notes where the passer ran (see [`CpuHints`]).
    fn arrived(&self) -> bool {
        self.cpus.note_peer(self.passer_cpu.load(Ordering::Relaxed));
        true
    }

    /// Spins briefly (until the deadline at the latest), then sleeps while the
    /// turn is still `seen`, counted among the sleepers so that
    /// [`Turn::pass_turn`] knows to wake it; each sleep lasts at most [`SLICE`].
    /// A waiter whose peer runs on its own CPU yields at every look instead
    /// of pausing between looks: the peer can answer only while it is off
    /// the CPU.
    fn sleep_while_turn_is(&self, seen: u32, deadline: &Deadline, peer_here: bool) {
        let changed = if peer_here {
            wake::yield_until_changed(self.word, seen, SPINS / YIELD_EVERY, || deadline.passed())
        } else {
            wake::spin_until_changed(self.word, seen, SPINS, || deadline.passed())
        };
        if changed {
            return;
        }
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        if self.word.load(Ordering::SeqCst) == seen {
            wake::sleep_while_equal(self.word, seen, deadline.left().min(SLICE));
        }
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}
