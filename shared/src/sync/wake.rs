//! Wake-ups between processes through a word of shared memory: sleep until a
//! word changes ([`wait_while_equal`]), wake the sleepers after changing it
//! ([`wake_all`]). Use them on words of your own layout with
//! [`Region::atomic_u32`](crate::Region::atomic_u32).
//!
//! A waiter reads the word, checks its condition, and if it must wait sleeps
//! until the word changes; a writer changes the word and wakes the sleepers. On
//! Linux the sleep is a futex: spin briefly (a peer on another core often
//! answers within a microsecond), then sleep in the kernel. Every sleep is
//! bounded by the caller's slice, so a waiter whose peer died without waking it
//! still looks again (and notices, for example, that a lock was freed by the
//! kernel). Elsewhere a short bounded sleep stands in for the futex.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A point in time to wait until; "never" when the timeout is too large to
/// add to the clock (so a huge timeout means "wait as long as it takes").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Until(Option<Instant>);

impl Until {
    /// Never (without reading the clock: for hot paths).
    pub(crate) const fn never() -> Self {
        Until(None)
    }

    /// `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Self {
        Until(Instant::now().checked_add(timeout))
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

/// A deadline whose clock starts only when first asked: a wait that ends
/// within its first looks never reads the clock, and the timeout counts from
/// the first look at the clock (the first yield of a spin, under a
/// microsecond after the wait began).
#[derive(Debug)]
pub(crate) struct Deadline {
    timeout: Duration,
    until: Cell<Option<Until>>,
}

impl Deadline {
    /// `timeout` from the first time it is asked.
    pub(crate) fn lazy(timeout: Duration) -> Self {
        Deadline {
            timeout,
            until: Cell::new(None),
        }
    }

    fn until(&self) -> Until {
        match self.until.get() {
            Some(until) => until,
            None => {
                let until = Until::after(self.timeout);
                self.until.set(Some(until));
                until
            }
        }
    }

    /// Whether the time is up.
    pub(crate) fn passed(&self) -> bool {
        self.until().passed()
    }

    /// Time left.
    pub(crate) fn left(&self) -> Duration {
        self.until().left()
    }
}

/// How many times to look at the word before sleeping.
pub(crate) const SPINS: u32 = 200;

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
    for look in 1..=spins {
        if word.load(Ordering::Acquire) != seen {
            return true;
        }
        if look % YIELD_EVERY == 0 {
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

/// Looks at `word` up to `looks` times while it holds `seen`, yielding the
/// CPU after every look; returns whether it changed. For a waiter whose peer
/// runs on the same CPU: the peer can change the word only while the waiter
/// is off the CPU, so looking again before yielding only delays it. Before
/// each yield it asks `passed` and stops when the time is up.
pub(crate) fn yield_until_changed(
    word: &AtomicU32,
    seen: u32,
    looks: u32,
    passed: impl Fn() -> bool,
) -> bool {
    for _ in 0..looks {
        if word.load(Ordering::Acquire) != seen {
            return true;
        }
        if passed() {
            break;
        }
        std::thread::yield_now();
    }
    word.load(Ordering::Acquire) != seen
}

/// Waits until `word` is no longer `seen`, another process calls
/// [`wake_all`] on it, or `timeout` passes: spins briefly, then sleeps (a
/// futex on Linux, which works across processes on shared memory).
///
/// May return early (spurious wake-up): callers re-check their condition in
/// a loop, and bound each wait so that a peer that died is noticed.
pub fn wait_while_equal(word: &AtomicU32, seen: u32, timeout: Duration) {
    let deadline = Deadline::lazy(timeout);
    if !spin_until_changed(word, seen, SPINS, || deadline.passed()) {
        sleep_while_equal(word, seen, deadline.left());
    }
}

/// Sleeps (no spinning) until `word` is no longer `seen`, a wake-up, or `timeout`.
#[cfg(target_os = "linux")]
pub(crate) fn sleep_while_equal(word: &AtomicU32, seen: u32, timeout: Duration) {
    crate::os::sys::futex_wait(word, seen, timeout);
}

/// Sleeps (no spinning) until `word` is no longer `seen`, a wake-up, or `timeout`.
#[cfg(not(target_os = "linux"))]
pub(crate) fn sleep_while_equal(word: &AtomicU32, seen: u32, timeout: Duration) {
    if word.load(Ordering::Acquire) == seen {
        std::thread::sleep(timeout.min(Duration::from_millis(1)));
    }
}

/// Wakes every process waiting on `word` in [`wait_while_equal`] (call after
/// changing it).
pub fn wake_all(word: &AtomicU32) {
    #[cfg(target_os = "linux")]
    crate::os::sys::futex_wake_all(word);
    #[cfg(not(target_os = "linux"))]
    let _ = word;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_waiter_returns_when_the_word_changes() {
        let word = Arc::new(AtomicU32::new(0));
        let writer = {
            let word = Arc::clone(&word);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                word.store(1, Ordering::Release);
                wake_all(&word);
            })
        };
        while word.load(Ordering::Acquire) == 0 {
            wait_while_equal(&word, 0, Duration::from_secs(5));
        }
        writer.join().expect("writer thread");
    }

    #[test]
    fn a_waiter_gives_up_after_its_timeout() {
        let word = AtomicU32::new(7);
        let start = Instant::now();
        wait_while_equal(&word, 7, Duration::from_millis(10));
        assert!(start.elapsed() >= Duration::from_millis(1));
    }

    #[test]
    fn a_huge_timeout_means_never_instead_of_overflowing() {
        let until = Until::after(Duration::MAX);
        assert!(!until.passed());
        assert_eq!(until.left(), Duration::MAX);
        assert!(Until::after(Duration::ZERO).passed());
    }

    #[test]
    fn a_changed_word_returns_at_once() {
        let word = AtomicU32::new(3);
        wait_while_equal(&word, 2, Duration::from_secs(60));
    }
}
