//! Taking turns: two (or more) processes hand a region back and forth, each
//! sleeping until it is its turn.
//!
//! The naive way, "take the mutex, check whose turn it is, release, retry",
//! never sleeps: on a machine where both processes share one CPU, the waiting
//! one burns its whole time slice on every hand-over (milliseconds each). Here
//! the turn is a word in the region's companion (not in the region's bytes):
//! the waiter spins briefly, then sleeps on it (a futex on Linux, a named
//! semaphore on Windows) until
//! the other side passes the turn and wakes it. A mutex still guards the
//! data; the turn only says who goes next. A small plain-old-data value can
//! travel with the turn in the mailbox beside the turn word.
//!
//! See [`Turn`] for an example.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::cpu_hints;
use crate::platform::meta_words::{Meta, MAILBOX, TURN, TURN_CPU, TURN_SLEEPERS};
use crate::platform::wait::{self, LazyDeadline, CLOCK_EVERY, YIELD_EVERY};
use crate::platform::WordWaker;

/// The largest value the turn's mailbox carries, in bytes.
pub const MAILBOX_LEN: usize = crate::platform::meta_words::MAILBOX_LEN;

/// Looks at the turn this many times before sleeping.
const SPIN_LOOKS: u32 = 2_000;

/// Looks, a pause between them and no yield, that a blocking waiter whose
/// peer runs on another CPU spends before it spins as usual and sleeps:
/// about 12 µs on a host whose pause takes 12 ns, a hundred round trips
/// between cores.
const APART_LOOKS: u32 = 1024;

/// Longest single sleep: a peer that died wakes nobody, so look again this often.
const SLICE: Duration = Duration::from_millis(100);

/// Turn-taking between a region's users: two (or more) processes hand the
/// region back and forth, each sleeping until it is its turn, with a small
/// value of any plain-old-data type (up to [`MAILBOX_LEN`] bytes) travelling
/// with the turn. The turn word and the mailbox live beside the region,
/// never in its bytes. Get it from [`Region::turn`](crate::Region::turn).
///
/// Here the two sides are two threads with a handle each; two processes do
/// exactly the same, each with its own handle on the region.
///
/// ```
/// use std::time::Duration;
/// use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
/// use shared::{RegionName, RegionOptions};
///
/// #[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
/// #[zerocopy(crate = "shared::zerocopy")] // without it: "cannot find `zerocopy` in the crate root"
/// #[repr(C)]
/// struct Ball { hits: u32, from: u32 }
///
/// const PING: u32 = 1;
/// const PONG: u32 = 2;
/// # let name = RegionName::new(&format!("turn-doc-{}", std::process::id()))?;
/// let options = RegionOptions::named(&name).size(4096);
/// let region = options.create_or_open()?;
/// let other = options.open_existing()?; // the other process's handle
/// let pong = std::thread::spawn(move || {
///     let turn = other.turn().expect("turn");
///     for _ in 0..3 {
///         assert!(turn.wait_for_turn(PONG, Duration::from_secs(10)));
///         let ball: Ball = turn.mailbox();
///         turn.pass_turn_with(PING, &Ball { hits: ball.hits + 1, from: PONG });
///     }
/// });
/// let turn = region.turn()?;
/// turn.pass_turn_with(PONG, &Ball { hits: 0, from: PING });
/// for _ in 0..3 {
///     assert!(turn.wait_for_turn(PING, Duration::from_secs(10)));
///     let ball: Ball = turn.mailbox();
///     assert_eq!(ball.from, PONG);
///     turn.pass_turn_with(PONG, &Ball { hits: ball.hits + 1, from: PING });
/// }
/// pong.join().expect("pong");
/// assert_eq!(turn.mailbox::<Ball>().hits, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Turn<'r> {
    meta: &'r Meta,
    /// What sleepers on the turn word wait on (Linux: a futex on the word;
    /// Windows: a named semaphore beside the region).
    waker: &'r WordWaker,
    word: &'r AtomicU32,
    sleepers: &'r AtomicU32,
    /// The CPUs of the last two passes (a hint, on the turn's cache line;
    /// see `cpu_hints.rs`).
    passer_cpus: &'r AtomicU32,
}

impl<'r> Turn<'r> {
    /// The turn of a writable companion (`None` for a read-only one).
    pub(crate) fn new(meta: &'r Meta, waker: &'r WordWaker) -> Option<Self> {
        Some(Turn {
            meta,
            waker,
            word: meta.word(TURN)?,
            sleepers: meta.word(TURN_SLEEPERS)?,
            passer_cpus: meta.word(TURN_CPU)?,
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
    /// first yield, under a microsecond after the call. When the last two
    /// passes of the turn both came from the CPU this thread runs on, the
    /// peer shares it and can answer only while this thread is off it: the
    /// spin then yields at every look instead of pausing between looks, and
    /// a hand-over that comes within the first yield costs no clock read
    /// either (the timeout then counts from that yield's return, a time
    /// slice at most after the call on a busy CPU).
    pub fn wait_for_turn(&self, mine: u32, timeout: Duration) -> bool {
        let mut seen = self.word.load(Ordering::Acquire);
        if seen == mine {
            return true;
        }
        if timeout.is_zero() {
            return false;
        }
        let deadline = LazyDeadline::after(timeout);
        let (here, asked) = cpu_hints::cpu_for_wait();
        let cpus =
            cpu_hints::written_by_last_pass().unwrap_or_else(|| self.passer_cpus.load(Ordering::Relaxed));
        if cpu_hints::peer_runs_elsewhere(cpus, here) {
            if wait::spin_only_until_equal(self.word, mine, APART_LOOKS, || deadline.passed()) {
                return true;
            }
            seen = self.word.load(Ordering::Acquire);
        }
        let peer_here = self.peer_shares_cpu(here);
        // Two threads that yield to each other stay on one CPU for good:
        // now and then, one that may move sleeps at once instead, and its
        // wake-up may place it on an idle CPU (see `cpu_hints::may_move`).
        let mut sleep_at_once = peer_here && asked && cpu_hints::may_move();
        loop {
            self.sleep_while_turn_is(seen, &deadline, peer_here, sleep_at_once);
            sleep_at_once = false;
            seen = self.word.load(Ordering::Acquire);
            if seen == mine {
                return true;
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
        let deadline = LazyDeadline::after(timeout);
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
        self.hand_over(next, self.cpus_after_this_pass());
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
        // Everything but the writes first: from the first write to the turn's
        // cache line to the turn word's, a peer spinning on the line can take
        // it back, and each time it does the pass waits for it again.
        let cpus = self.cpus_after_this_pass();
        // In range: the mailbox is a constant inside every companion, and
        // the companion is writable (checked in `Turn::new`).
        let _ = self.meta.mapping().write(MAILBOX, value.as_bytes());
        self.hand_over(next, cpus);
    }

    /// The CPU hint after a pass from this thread (see `cpu_hints.rs`): read
    /// before anything is written, so that the writes of a pass follow one
    /// another with nothing in between.
    #[inline]
    fn cpus_after_this_pass(&self) -> u32 {
        cpu_hints::after_pass(self.passer_cpus.load(Ordering::Relaxed))
    }

    /// The pass itself: the hint, then the turn word, then a wake-up if a
    /// peer sleeps.
    #[inline]
    fn hand_over(&self, next: u32, cpus: u32) {
        // Where this pass came from travels with the turn (the swap below
        // releases it).
        self.passer_cpus.store(cpus, Ordering::Relaxed);
        // Sequentially consistent on both sides (a locked exchange here, a
        // locked add in `sleep_while_turn_is`): either the sleeper sees the
        // new turn, or this side sees the sleeper and wakes it.
        self.word.swap(next, Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            self.waker.wake_all(self.word);
        }
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

    /// Whether the last two passes of the turn came from `here` (this
    /// thread's CPU, from [`cpu_hints::ask_cpu`]): then the peer can answer
    /// only while this thread is off it.
    fn peer_shares_cpu(&self, here: u32) -> bool {
        cpu_hints::peer_shares_cpu(self.passer_cpus.load(Ordering::Relaxed), here)
    }

    /// Spins briefly (until the deadline at the latest), then sleeps while the
    /// turn is still `seen`, counted among the sleepers so that
    /// [`Turn::pass_turn`] knows to wake it; each sleep lasts at most [`SLICE`].
    /// A waiter whose peer runs on its own CPU yields at every look instead
    /// of pausing between looks: the peer can answer only while it is off
    /// the CPU. With `at_once` it sleeps without looking first.
    fn sleep_while_turn_is(&self, seen: u32, deadline: &LazyDeadline, peer_here: bool, at_once: bool) {
        let changed = if at_once {
            false
        } else if peer_here {
            wait::yield_until_changed(self.word, seen, SPIN_LOOKS / YIELD_EVERY, || deadline.passed())
        } else {
            wait::spin_until_changed(self.word, seen, SPIN_LOOKS, || deadline.passed())
        };
        if changed {
            return;
        }
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        if self.word.load(Ordering::SeqCst) == seen {
            self.waker
                .sleep_while_equal(self.word, seen, deadline.left().min(SLICE));
            // The wake-up may have placed this thread on another CPU: the
            // next pass says where it runs now.
            cpu_hints::ask_cpu();
        }
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

// Pins threads to CPUs: Linux.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::os::linux::RegionOptionsExt;
    use crate::platform::sys;
    use crate::{RegionName, RegionOptions};
    use std::sync::Arc;

    /// Two sides pinned to `cpus` take 200 turns each, through two handles
    /// or threads sharing one; returns, for the first side after each of its
    /// passes, whether it would take its peer to share its CPU.
    fn peer_here_after_passes(cpus: (usize, usize), one_handle: bool) -> Option<Vec<bool>> {
        let dir = tempfile::tempdir().expect("dir");
        let name =
            RegionName::new(&format!("hint{}{}{}", cpus.0, cpus.1, u8::from(one_handle))).expect("name");
        let options = RegionOptions::named(&name).dir(dir.path()).size(64);
        let a = Arc::new(options.create_or_open().expect("region"));
        let b = if one_handle {
            Arc::clone(&a)
        } else {
            Arc::new(options.open_existing().expect("second handle"))
        };
        if !sys::pin_this_thread(cpus.0) {
            return None;
        }
        let turn = a.turn().expect("turn");
        turn.pass_turn(1);
        let other = std::thread::spawn(move || {
            assert!(sys::pin_this_thread(cpus.1), "pin the second side");
            let turn = b.turn().expect("turn");
            for _ in 0..200 {
                assert!(turn.wait_for_turn(2, Duration::from_secs(10)));
                turn.pass_turn(1);
            }
        });
        let mut seen = Vec::new();
        for _ in 0..200 {
            assert!(turn.wait_for_turn(1, Duration::from_secs(10)));
            turn.pass_turn(2);
            seen.push(turn.peer_shares_cpu(cpu_hints::ask_cpu()));
        }
        other.join().expect("other side");
        Some(seen)
    }

    #[test]
    fn a_waiter_takes_its_peer_to_share_its_cpu_only_when_it_does() {
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            eprintln!("SKIPPED: one CPU");
            return;
        }
        let count = |seen: &[bool]| seen.iter().filter(|&&same| same).count();
        let Some(same) = peer_here_after_passes((0, 0), false) else {
            eprintln!("SKIPPED: cannot pin to CPUs 0 and 1 here");
            return;
        };
        let apart = peer_here_after_passes((0, 1), false).expect("pinned before");
        let shared_handle = peer_here_after_passes((0, 1), true).expect("pinned before");
        // The first pass knows nothing of the peer yet; a migration may cost
        // a few more.
        assert!(count(&same) >= 190, "one CPU: {} of 200", count(&same));
        assert!(count(&apart) <= 10, "two CPUs: {} of 200", count(&apart));
        assert!(
            count(&shared_handle) <= 10,
            "two threads on one handle, two CPUs: {} of 200",
            count(&shared_handle)
        );
    }
}
