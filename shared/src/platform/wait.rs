//! Waiting for a word of shared memory to change, the part every backend
//! and the portable layer share: the deadlines ([`Deadline`], and
//! [`LazyDeadline`] for hot paths), and the spinning that comes before a
//! sleep. A waiter reads the
//! word, checks its condition, and if it must wait spins briefly (a peer on
//! another core often answers within a microsecond), then sleeps on what the
//! platform's `WordWaker` offers (a futex on Linux, a named semaphore on
//! Windows) until the word changes; a writer changes the word and wakes the
//! sleepers. Every sleep is bounded by the caller's slice, so a waiter whose
//! peer died without waking it still looks again.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The library's one deadline: a point in time to wait until; "never" when
/// the timeout is too large to add to the clock (so a huge timeout means
/// "wait as long as it takes"). [`LazyDeadline`] is the same, set at the
/// first look at the clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    /// Never (without reading the clock: for hot paths).
    pub(crate) const fn never() -> Self {
        Deadline(None)
    }

    /// `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Self {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// Time left (`Duration::MAX` for "never").
    pub(crate) fn left(&self) -> Duration {
        self.0
            .map_or(Duration::MAX, |at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether the time is up (never reads the clock for "never").
    pub(crate) fn passed(&self) -> bool {
        self.0.is_some() && self.left().is_zero()
    }
}

/// A [`Deadline`] whose clock starts only when first asked: a wait that ends
/// within its first looks never reads the clock, and the timeout counts from
/// the first look at the clock (the first yield of a spin, under a
/// microsecond after the wait began).
#[derive(Debug)]
pub(crate) struct LazyDeadline {
    timeout: Duration,
    set: Cell<Option<Deadline>>,
}

impl LazyDeadline {
    /// `timeout` from the first time it is asked.
    pub(crate) fn after(timeout: Duration) -> Self {
        LazyDeadline {
            timeout,
            set: Cell::new(None),
        }
    }

    fn deadline(&self) -> Deadline {
        match self.set.get() {
            Some(deadline) => deadline,
            None => {
                let deadline = Deadline::after(self.timeout);
                self.set.set(Some(deadline));
                deadline
            }
        }
    }

    /// Whether the time is up.
    pub(crate) fn passed(&self) -> bool {
        self.deadline().passed()
    }

    /// Time left.
    pub(crate) fn left(&self) -> Duration {
        self.deadline().left()
    }
}

/// How many times to look at the word before sleeping.
pub(crate) const SPIN_LOOKS: u32 = 200;

/// Every this many looks, a spinning waiter yields its CPU.
pub(crate) const YIELD_EVERY: u32 = 8;

/// Looks at `word` up to `spins` times while it holds `seen`; returns whether
/// it changed. Every [`YIELD_EVERY`] looks the waiter yields its CPU: when the
/// peer it waits for shares that CPU, the peer runs at once instead of after
/// a whole time slice; when the peer runs elsewhere, the yield returns at once.
/// Before each yield it asks `passed` and stops when the time is up: on a
/// busy CPU each yield may last a time slice.
pub(crate) fn spin_until_changed(word: &AtomicU32, seen: u32, spins: u32, passed: impl Fn() -> bool) -> bool {
    spin_until_changed_every(word, seen, spins, 1, passed)
}

/// [`spin_until_changed`], pausing `pauses` times between looks: a looker
/// that reads a word another core keeps writing takes the cache line away
/// from the writer at every look, so a stream's reader looks less often.
pub(crate) fn spin_until_changed_every(
    word: &AtomicU32,
    seen: u32,
    spins: u32,
    pauses: u32,
    passed: impl Fn() -> bool,
) -> bool {
    spin_until_changed_paced(word, seen, spins, pauses, YIELD_EVERY, passed)
}

/// [`spin_until_changed_every`], yielding every `looks_per_yield` looks
/// instead of every [`YIELD_EVERY`]: a waiter that looks after every pause
/// yields as seldom as one that pauses longer between looks.
pub(crate) fn spin_until_changed_paced(
    word: &AtomicU32,
    seen: u32,
    spins: u32,
    pauses: u32,
    looks_per_yield: u32,
    passed: impl Fn() -> bool,
) -> bool {
    for look in 1..=spins {
        if word.load(Ordering::Acquire) != seen {
            return true;
        }
        if look % looks_per_yield == 0 {
            if passed() {
                break;
            }
            std::thread::yield_now();
        } else {
            for _ in 0..pauses {
                std::hint::spin_loop();
            }
        }
    }
    word.load(Ordering::Acquire) != seen
}

/// Looks at `word` up to `looks` times until it holds `wanted`, a pause
/// between looks and never a yield; returns whether it does. For a waiter
/// whose peer runs on another CPU: its answer comes within a cache line's
/// trip, and a yield (a system call) in the meantime would see it late. It
/// asks `passed` only every [`CLOCK_EVERY`] looks, and stops when the time is
/// up. Waiting for the value itself, not for a change, lets an intermediate
/// word (the peer's own turn taken) pass without leaving the spin.
pub(crate) fn spin_only_until_equal(
    word: &AtomicU32,
    wanted: u32,
    looks: u32,
    passed: impl Fn() -> bool,
) -> bool {
    for look in 1..=looks {
        if word.load(Ordering::Acquire) == wanted {
            return true;
        }
        if look % CLOCK_EVERY == 0 && passed() {
            return false;
        }
        std::hint::spin_loop();
    }
    false
}

/// A spinning waiter reads the clock once every this many looks (and not
/// before the first of them: most hand-overs arrive sooner).
pub(crate) const CLOCK_EVERY: u32 = 4096;

/// Looks at `word` up to `looks` times while it holds `seen`, yielding the
/// CPU after every look; returns whether it changed. For a waiter whose peer
/// runs on the same CPU: the peer can change the word only while the waiter
/// is off the CPU, so looking again before yielding only delays it. Before
/// each yield but the first it asks `passed` and stops when the time is up:
/// most hand-overs come within that first yield, and they read no clock
/// (a lazy deadline then counts from the first yield's return).
pub(crate) fn yield_until_changed(
    word: &AtomicU32,
    seen: u32,
    looks: u32,
    passed: impl Fn() -> bool,
) -> bool {
    for look in 0..looks {
        if word.load(Ordering::Acquire) != seen {
            return true;
        }
        if look > 0 && passed() {
            break;
        }
        std::thread::yield_now();
    }
    word.load(Ordering::Acquire) != seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_timeout_means_never_instead_of_overflowing() {
        let until = Deadline::after(Duration::MAX);
        assert!(!until.passed());
        assert_eq!(until.left(), Duration::MAX);
        assert!(Deadline::after(Duration::ZERO).passed());
    }
}
