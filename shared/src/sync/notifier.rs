//! Sleeping on a word of a region until another process changes it, on
//! every platform: [`Notifier`], from [`Region::notifier`](crate::Region::notifier).

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use crate::platform::wait::{spin_until_changed, LazyDeadline, SPIN_LOOKS};
use crate::platform::WordWaker;

/// A 4-byte word of a region that processes can sleep on until another
/// changes it and wakes them: for flags and counters of your own layout.
///
/// The waiter reads the word, checks its condition, and if it must wait calls
/// [`Notifier::wait_while_equal`] with the value it saw; the writer changes
/// the word, then calls [`Notifier::wake_all`]. The wait spins briefly (a
/// peer on another core often answers within a microsecond), then sleeps in
/// the kernel: on Linux a futex on the word itself; on Windows a named
/// semaphore beside the region (`WaitOnAddress` does not cross processes),
/// with a count of sleepers so that a writer with nobody asleep makes no
/// system call. A wait may end early (a spurious wake-up): check the
/// condition again.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use std::time::Duration;
/// # use shared::{RegionName, RegionOptions};
/// # let name = RegionName::new(&format!("notifier-doc-{}", std::process::id()))?;
/// let region = RegionOptions::named(&name).size(4096).create_or_open()?;
/// let ready = region.notifier(64)?;
/// // The other process: ready.word().store(1, Ordering::Release); ready.wake_all();
/// ready.word().store(1, Ordering::Release);
/// ready.wake_all();
/// // This one: wait while the word is still 0.
/// while ready.word().load(Ordering::Acquire) == 0 {
///     ready.wait_while_equal(0, Duration::from_secs(1));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Notifier<'r> {
    word: &'r AtomicU32,
    waker: WordWaker,
}

impl<'r> Notifier<'r> {
    pub(crate) fn new(word: &'r AtomicU32, waker: WordWaker) -> Self {
        Notifier { word, waker }
    }

    /// The word itself, shared with the other processes.
    pub fn word(&self) -> &'r AtomicU32 {
        self.word
    }

    /// Waits until the word is no longer `seen`, another process calls
    /// [`Notifier::wake_all`], or `timeout` passes; may return early.
    pub fn wait_while_equal(&self, seen: u32, timeout: Duration) {
        let deadline = LazyDeadline::after(timeout);
        if !spin_until_changed(self.word, seen, SPIN_LOOKS, || deadline.passed()) {
            self.waker.sleep_while_equal(self.word, seen, deadline.left());
        }
    }

    /// Wakes every process waiting in [`Notifier::wait_while_equal`] (call
    /// after changing the word).
    pub fn wake_all(&self) {
        self.waker.wake_all(self.word);
    }
}
