//! Wake-ups on a word of shared memory across processes: `WaitOnAddress`
//! wakes only threads of its own process, so sleepers wait on a named
//! semaphore beside the region, and count themselves in a small named
//! section so that a writer wakes exactly as many as sleep (and makes no
//! system call when none does).
//!
//! The count is one 64-bit word: the sleepers counted since the last wake in
//! its low half, the number of wakes (an epoch) in its high half. A writer
//! claims every counted sleeper at once (the count back to 0, the epoch one
//! on) and releases that many permits; a sleeper that stops sleeping
//! uncounts itself only if no writer claimed it since it counted itself. So
//! no permit is released for a sleeper that has left, and a sleeper killed
//! while counted costs at most one spare permit, at the next wake. A spare
//! permit (a claimed sleeper that timed out first) makes one later sleep
//! return early, and every sleep lasts at most [`SLICE`]: a permit another
//! sleeper took costs that much, never a hang.

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use windows_sys::Win32::Foundation::ERROR_ACCESS_DENIED;
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::Threading::{
    CreateSemaphoreW, OpenSemaphoreW, ReleaseSemaphore, WaitForSingleObject, SEMAPHORE_MODIFY_STATE,
};

use super::handle::{last_error, os_error, owned, wide};
use super::mapped_view::{create_or_open_section, MappedView};
use crate::platform::mapping::Mapping;

/// Longest single sleep (callers look again, and permits are not addressed
/// to one sleeper).
const SLICE: Duration = Duration::from_millis(50);

/// The low half of the count word: sleepers counted since the last wake.
const SLEEPERS: u64 = 0xFFFF_FFFF;
/// One wake in the high half of the count word.
const EPOCH: u64 = 1 << 32;

/// The semaphore sleepers wait on, and the count of sleepers.
#[derive(Debug)]
pub(crate) struct WordWaker {
    semaphore: OwnedHandle,
    count: Mapping,
}

impl WordWaker {
    /// Creates or opens the semaphore `BASE.wake` and the count `BASE.sleepers`.
    pub(crate) fn open(base: &str) -> io::Result<Self> {
        let semaphore = create_or_open_semaphore(&wide(&format!("{base}.wake")))?;
        let section = create_or_open_section(&wide(&format!("{base}.sleepers")), 4096).map_err(os_error)?;
        let count = Mapping::of(MappedView::of_section(section, 4096, true)?, true);
        count
            .atomic_u64(0)
            .map_err(|_| io::Error::other("the sleepers' count does not fit its section"))?;
        Ok(WordWaker { semaphore, count })
    }

    fn count(&self) -> &AtomicU64 {
        static NONE: AtomicU64 = AtomicU64::new(0);
        // Checked in `open`: the section is writable and holds the word.
        self.count.atomic_u64(0).unwrap_or(&NONE)
    }

    /// Sleeps until `word` is no longer `seen`, a wake-up, or `timeout`
    /// (at most [`SLICE`]); may return early.
    pub(crate) fn sleep_while_equal(&self, word: &AtomicU32, seen: u32, timeout: Duration) {
        let count = self.count();
        // Counted before the last look: a writer that changes the word after
        // that look sees the count and releases a permit for this sleeper.
        let epoch = count.fetch_add(1, Ordering::SeqCst) & !SLEEPERS;
        if word.load(Ordering::SeqCst) == seen {
            let millis = timeout.min(SLICE).as_millis() as u32;
            // SAFETY: the handle is a live semaphore handle.
            unsafe {
                WaitForSingleObject(self.semaphore.as_raw_handle(), millis);
            }
        }
        // Uncounted unless a writer claimed this sleeper meanwhile (the
        // epoch moved on): then its permit is released, taken or spare.
        let _ = count.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
            (now & !SLEEPERS == epoch && now & SLEEPERS > 0).then(|| now - 1)
        });
    }

    /// Wakes every sleeper on `word` (the caller has just changed it).
    pub(crate) fn wake_all(&self, _word: &AtomicU32) {
        // Pairs with the sleeper's count-then-look: the change of the word is
        // ordered before this look at the count.
        fence(Ordering::SeqCst);
        let count = self.count();
        if count.load(Ordering::SeqCst) & SLEEPERS == 0 {
            return;
        }
        // Claims every counted sleeper: the count back to 0, the epoch on.
        let before = count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some((now & !SLEEPERS).wrapping_add(EPOCH))
            })
            .unwrap_or(0);
        let waiting = before & SLEEPERS;
        if waiting > 0 {
            let permits = i32::try_from(waiting).unwrap_or(i32::MAX);
            // SAFETY: the handle is a live semaphore handle. Past the
            // semaphore's maximum the call fails and releases nothing: the
            // sleepers wake at the end of their slice and look again.
            unsafe {
                ReleaseSemaphore(self.semaphore.as_raw_handle(), permits, std::ptr::null_mut());
            }
        }
    }
}

/// The semaphore `name` (UTF-16, NUL-terminated), created, or opened with
/// the access waiting and releasing need where creating is denied (another
/// user's, as for the sections beside it).
fn create_or_open_semaphore(name: &[u16]) -> io::Result<OwnedHandle> {
    // SAFETY: null security attributes mean the default; the counts are
    // valid (0 initial, i32::MAX at most); `name` is NUL-terminated.
    let handle = unsafe { CreateSemaphoreW(std::ptr::null(), 0, i32::MAX, name.as_ptr()) };
    if let Some(semaphore) = owned(handle) {
        return Ok(semaphore);
    }
    let error = last_error();
    if error != ERROR_ACCESS_DENIED {
        return Err(os_error(error));
    }
    // SAFETY: `name` is NUL-terminated; the call returns a new handle or null.
    let handle = unsafe { OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, 0, name.as_ptr()) };
    owned(handle).ok_or_else(|| os_error(ERROR_ACCESS_DENIED))
}
