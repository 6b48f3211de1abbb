//! Wake-ups on a word of shared memory across processes: `WaitOnAddress`
//! wakes only threads of its own process, so sleepers wait on a named
//! semaphore beside the region, and count themselves in a small named
//! section so that a writer wakes exactly as many as sleep (and makes no
//! system call when none does).

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::sync::atomic::{fence, AtomicU32, Ordering};
use std::time::Duration;

use windows_sys::Win32::System::Threading::{CreateSemaphoreW, ReleaseSemaphore, WaitForSingleObject};

use super::handle::{last_error, os_error, owned, wide};
use super::mapped_view::{create_section, MappedView};
use crate::mapping::Mapping;

/// The semaphore sleepers wait on, and the count of sleepers.
#[derive(Debug)]
pub(crate) struct WordWaker {
    semaphore: OwnedHandle,
    count: Mapping,
}

impl WordWaker {
    /// Creates or opens the semaphore `BASE.wake` and the count `BASE.sleepers`.
    pub(crate) fn open(base: &str) -> io::Result<Self> {
        let name = wide(&format!("{base}.wake"));
        // SAFETY: null security attributes mean the default; the counts are
        // valid (0 initial, i32::MAX at most); `name` is NUL-terminated.
        let handle = unsafe { CreateSemaphoreW(std::ptr::null(), 0, i32::MAX, name.as_ptr()) };
        let semaphore = owned(handle).ok_or_else(|| os_error(last_error()))?;
        let (section, _) = create_section(&wide(&format!("{base}.sleepers")), 4096).map_err(os_error)?;
        let count = Mapping::of(MappedView::of_section(section, 4096, true)?, true);
        count
            .atomic_u32(0)
            .map_err(|_| io::Error::other("the sleepers' count does not fit its section"))?;
        Ok(WordWaker { semaphore, count })
    }

    fn sleepers(&self) -> &AtomicU32 {
        static NONE: AtomicU32 = AtomicU32::new(0);
        // Checked in `open`: the section is writable and holds the word.
        self.count.atomic_u32(0).unwrap_or(&NONE)
    }

    /// Sleeps until `word` is no longer `seen`, a wake-up, or `timeout`.
    pub(crate) fn sleep_while_equal(&self, word: &AtomicU32, seen: u32, timeout: Duration) {
        let sleepers = self.sleepers();
        // Counted before the last look: a writer that changes the word after
        // that look sees the count and releases the semaphore.
        sleepers.fetch_add(1, Ordering::SeqCst);
        if word.load(Ordering::SeqCst) == seen {
            let millis = timeout.as_millis().min(u128::from(u32::MAX - 1)) as u32;
            // SAFETY: the handle is a live semaphore handle. A surplus permit
            // (a sleeper that timed out after a writer counted it) only makes
            // a later wait return early, which callers allow for.
            unsafe {
                WaitForSingleObject(self.semaphore.as_raw_handle(), millis);
            }
        }
        sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wakes every sleeper on `word` (the caller has just changed it).
    pub(crate) fn wake_all(&self, _word: &AtomicU32) {
        // Pairs with the sleeper's count-then-look: the change of the word is
        // ordered before this read of the count.
        fence(Ordering::SeqCst);
        let waiting = self.sleepers().load(Ordering::SeqCst);
        if waiting > 0 {
            let permits = i32::try_from(waiting).unwrap_or(i32::MAX);
            // SAFETY: the handle is a live semaphore handle; a count past the
            // maximum fails harmlessly (the sleepers time out and look again).
            unsafe {
                ReleaseSemaphore(self.semaphore.as_raw_handle(), permits, std::ptr::null_mut());
            }
        }
    }
}
