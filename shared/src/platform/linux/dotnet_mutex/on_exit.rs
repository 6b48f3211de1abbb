//! The .NET mutex files this process has open, closed as .NET closes them
//! when the process leaves on a signal or exits with handles still open
//! (no destructor runs then): without it, the file stayed behind until the
//! next create found it unused.
//!
//! Only the file is closed: the pthread mutex inside is not destroyed, since
//! another thread of the leaving process may still be waiting on it. A held
//! mutex is released by the system when the process ends, and its next owner
//! is told it was abandoned.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::places::{retry, try_exclusive, CreationLock};
use crate::platform::wait::Deadline;

/// How long closing at exit waits for .NET's creation lock, for all the
/// files together: short, so that the exit stays prompt.
const EXIT_CLOSE_WAIT: Duration = Duration::from_millis(400);

/// One open file: a second descriptor of the handle's file (the same open
/// file description, so the same `flock`), its path and its directory.
struct OpenFile {
    serial: u64,
    opener: u32,
    file: File,
    path: PathBuf,
    dir: PathBuf,
}

static OPEN: Mutex<Vec<OpenFile>> = Mutex::new(Vec::new());

/// Records an open handle's file; the number it returns unregisters it.
/// Installs the exit hook on first use.
pub(crate) fn register(file: &File, path: PathBuf, dir: PathBuf) -> Option<u64> {
    static SERIAL: AtomicU64 = AtomicU64::new(1);
    install_exit_hook();
    let file = file.try_clone().ok()?;
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    OPEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(OpenFile {
            serial,
            opener: std::process::id(),
            file,
            path,
            dir,
        });
    Some(serial)
}

/// Takes a handle's file out of the list; `false` when closing at exit has
/// closed it already (its handle must then not close it again: the path may
/// be another process's new file by now).
pub(crate) fn unregister(serial: u64) -> bool {
    let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    let before = open.len();
    open.retain(|entry| entry.serial != serial);
    open.len() != before
}

/// Closes every file still open as .NET closes one: under the creation
/// lock, drop `LOCK_SH`; the last user removes the file and an empty
/// session directory.
pub(crate) fn close_all() {
    let open = std::mem::take(&mut *OPEN.lock().unwrap_or_else(PoisonError::into_inner));
    if open.is_empty() {
        return;
    }
    let until = Deadline::after(EXIT_CLOSE_WAIT);
    let me = std::process::id();
    // Inherited through `fork`: the parent's to close.
    for entry in open.into_iter().filter(|entry| entry.opener == me) {
        let lock = CreationLock::take(until).ok();
        let _ = retry(|| entry.file.unlock());
        if lock.is_some() && try_exclusive(&entry.file).unwrap_or(false) {
            let _ = std::fs::remove_file(&entry.path);
            let _ = std::fs::remove_dir(&entry.dir);
        }
    }
}

extern "C" fn close_all_at_exit() {
    // A panic may not unwind out of an `extern "C"` function.
    let _ = std::panic::catch_unwind(close_all);
}

fn install_exit_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Refused, files still open at exit stay until the next create.
        let _ = crate::platform::sys::at_process_exit(close_all_at_exit);
    });
}
