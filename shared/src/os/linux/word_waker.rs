//! Wake-ups on a word of shared memory: a futex on the word itself.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use super::sys::{futex_wait, futex_wake_all};

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
