//! Wake-ups on a word of shared memory: a futex on the word itself. The
//! bare-word form ([`wait_while_equal`] / [`wake_all`]) is public on Linux
//! only, through [`crate::os::linux`]: a futex needs nothing beside the word,
//! which no other platform offers across processes (the portable form is
//! [`crate::sync::Notifier`]).

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use super::sys::{futex_wait, futex_wake_all};
use crate::platform::wait::{spin_until_changed, LazyDeadline, SPIN_LOOKS};

/// Nothing beside the word: the kernel queues futex sleepers by address.
#[derive(Debug)]
pub(crate) struct WordWaker;

impl WordWaker {
    /// Sleeps until `word` is no longer `seen`, a wake-up, or `timeout`.
    pub(crate) fn sleep_while_equal(&self, word: &AtomicU32, seen: u32, timeout: Duration) {
        futex_wait(word, seen, timeout);
    }

    /// Wakes every sleeper on `word`.
    pub(crate) fn wake_all(&self, word: &AtomicU32) {
        futex_wake_all(word);
    }
}

/// Waits until `word` is no longer `seen`, another process calls
/// [`wake_all`] on it, or `timeout` passes: spins briefly (a peer on another
/// core often answers within a microsecond), then sleeps on a futex, which
/// works across processes on shared memory. Use it on words of your own
/// layout from [`Region::atomic_u32`](crate::Region::atomic_u32).
///
/// May return early (a spurious wake-up): re-check the condition in a loop,
/// and bound each wait so that a peer that died without waking you is
/// noticed.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use shared::os::linux::{wait_while_equal, wake_all};
///
/// let word = AtomicU32::new(0);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         word.store(1, Ordering::Release);
///         wake_all(&word);
///     });
///     while word.load(Ordering::Acquire) == 0 {
///         wait_while_equal(&word, 0, Duration::from_secs(1));
///     }
/// });
/// ```
pub fn wait_while_equal(word: &AtomicU32, seen: u32, timeout: Duration) {
    let deadline = LazyDeadline::after(timeout);
    if !spin_until_changed(word, seen, SPIN_LOOKS, || deadline.passed()) {
        futex_wait(word, seen, deadline.left());
    }
}

/// Wakes every process waiting on `word` in [`wait_while_equal`] (call after
/// changing it).
pub fn wake_all(word: &AtomicU32) {
    futex_wake_all(word);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Instant;

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
    fn a_changed_word_returns_at_once() {
        let word = AtomicU32::new(3);
        wait_while_equal(&word, 2, Duration::from_secs(60));
    }
}
