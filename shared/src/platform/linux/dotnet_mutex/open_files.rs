//! The .NET mutex files this process has open, closed as .NET closes them
//! when the process leaves on a signal or exits with handles still open
//! (no destructor runs then; see [`on_exit`](crate::platform::on_exit)):
//! without it, the file stayed behind until the next create found it
//! unused.
//!
//! Only the file is closed: the pthread mutex inside is not destroyed, since
//! another thread of the leaving process may still be waiting on it. A held
//! mutex is released by the system when the process ends, and its next owner
//! is told it was abandoned.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::places::{retry, try_exclusive, CreationLock};
use crate::platform::on_exit::{self, ClosesAtExit};
use crate::platform::wait::Deadline;

/// One open handle's file, as the leaving process closes it: a second
/// descriptor of the handle's file (the same open file description, so the
/// same `flock`), its path and its directory.
#[derive(Debug)]
pub(crate) struct OpenFile {
    opener: u32,
    file: File,
    path: PathBuf,
    dir: PathBuf,
    /// Set by whichever closes it first, the handle or the leaving process,
    /// and held while it closes: the other waits for that close to end.
    closed: Mutex<bool>,
}

impl OpenFile {
    /// Records an open handle's file (`None` when its descriptor cannot be
    /// duplicated: the file then stays until the next create at an exit
    /// without destructors).
    pub(crate) fn register(file: &File, path: PathBuf, dir: PathBuf) -> Option<Arc<OpenFile>> {
        let open = Arc::new(OpenFile {
            opener: std::process::id(),
            file: file.try_clone().ok()?,
            path,
            dir,
            closed: Mutex::new(false),
        });
        on_exit::register(&open);
        Some(open)
    }

    /// Claims the close for the caller, who holds the claim until its close
    /// is done (a process leaving meanwhile waits for it, rather than ending
    /// in the middle of it); `None` when the file was closed already (by
    /// the leaving process, or by the handle: the path may be another
    /// process's new file by now).
    pub(crate) fn claim_close(&self) -> Option<MutexGuard<'_, bool>> {
        let mut closed = self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        if *closed {
            return None;
        }
        *closed = true;
        Some(closed)
    }
}

impl ClosesAtExit for OpenFile {
    fn opener(&self) -> u32 {
        self.opener
    }

    /// Closes as .NET closes a file: under the creation lock, drop
    /// `LOCK_SH`; the last user removes the file and an empty session
    /// directory.
    fn close_at_exit(&self, until: Deadline) {
        let Some(_closing) = self.claim_close() else {
            return;
        };
        let lock = CreationLock::take(until).ok();
        let _ = retry(|| self.file.unlock());
        if lock.is_some() && try_exclusive(&self.file).unwrap_or(false) {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        on_exit::unregister(self);
    }
}
