//! Who uses a named object, and who cleans it up: the .NET lifetime on top of
//! file locks.
//!
//! .NET removes a non-persistent region (and a named mutex) when the last
//! process closes it; a file in `/dev/shm` would stay forever. This module gives
//! the .NET behaviour with two `flock` locks, which the kernel drops when a
//! process dies, however it dies:
//!
//! - **presence**: every process using an object holds a *shared* lock on its
//!   companion file `.NAME.meta` for as long as it has the object open. A
//!   companion on which an *exclusive* lock can be taken has no live user: its
//!   users exited or died.
//! - **setup**: opening and closing take an *exclusive* lock on the setup file
//!   `.NAME.guard`, for a few microseconds, so that "is anyone still here?" and
//!   "then remove it" happen as one step, and exactly one process creates a new
//!   object.
//!
//! The last process out removes the object file (unless it is a persistent
//! file), the companion and the setup file. A process waiting for a setup file
//! that was just removed notices (the file it locked is no longer the one at
//! the path) and starts again.
//!
//! A process stopped by a signal runs no destructors;
//! [`exit_closing_regions`](crate::exit_closing_regions) lets a signal handler leave as cleanly as a normal
//! exit would (see [`on_exit`](crate::platform::on_exit)). Who holds a lock is read from
//! `/proc/locks` (see [`proc_locks`](crate::platform::proc_locks)).

use std::fs::{File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::meta::Header;
use super::ObjectFiles;
use crate::error::Failure;
use crate::platform::files::{self, Create};
use crate::platform::on_exit::{self, exit_requested, open_gate, ClosesAtExit};
use crate::platform::ownership::Trust;
use crate::platform::proc_locks::lock_holders;
use crate::platform::wait::Deadline;

/// How long closing waits for the setup lock before leaving the files to the
/// next user (who treats them as stale): closing never hangs.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// How long a lock wait may last, and whether a leaving process ends it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wait {
    until: Deadline,
    interruptible: bool,
}

impl Wait {
    /// An open's wait: until the caller's deadline, or until the process
    /// starts leaving on a signal.
    pub(crate) fn open(until: Deadline) -> Self {
        Wait {
            until,
            interruptible: true,
        }
    }

    /// A close's wait: short and never interrupted (a process leaving on a
    /// signal still closes what it has open).
    fn close() -> Self {
        Wait::close_until(Deadline::after(CLOSE_WAIT))
    }

    /// A close's wait that ends at `until`, shared by the closes of a
    /// process that is leaving.
    fn close_until(until: Deadline) -> Self {
        Wait {
            until,
            interruptible: false,
        }
    }
}

/// Waits for a lock with `try_lock`, looking again after short, growing
/// pauses, as long as `wait` allows. Never blocks in the kernel, so a lock
/// held by someone else can delay us only as long as the caller allows.
fn lock_within(
    file: &File,
    path: &Path,
    wait: Wait,
    what: &'static str,
    try_lock: impl Fn(&File) -> Result<(), TryLockError>,
) -> Result<(), Failure> {
    let until = wait.until;
    let mut pause = Duration::from_micros(50);
    loop {
        match try_lock(file) {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(error)) => return Err(Failure::io("lock", path, error)),
        }
        // A lock that is free is taken even while the process leaves: the
        // open then finishes inside the exit gate, and the leaving closes
        // it (stopping there left the files it had made so far). Only a
        // wait stops.
        if wait.interruptible && exit_requested() {
            return Err(Failure::Interrupted {
                path: path.to_owned(),
            });
        }
        if until.passed() {
            return Err(Failure::TimedOut {
                what,
                path: path.to_owned(),
                holder: lock_holders(file, "WRITE").and_then(|pids| pids.first().copied()),
            });
        }
        std::thread::sleep(pause.min(until.left()));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// The exclusive setup lock of one object, held while opening or closing it.
#[derive(Debug)]
pub(crate) struct SetupLock {
    file: File,
    path: std::path::PathBuf,
}

impl SetupLock {
    /// Takes the setup lock at `path`, creating the file when missing; gives
    /// up at `until`, when the process leaves, or at once when the file
    /// belongs to someone `trust` does not cover.
    pub(crate) fn acquire(path: &Path, mode: u32, trust: Trust, wait: Wait) -> Result<Self, Failure> {
        loop {
            // An open that starts after the process began leaving makes no
            // file at all.
            if wait.interruptible && exit_requested() {
                return Err(Failure::Interrupted {
                    path: path.to_owned(),
                });
            }
            let file = files::open(path, Create::IfMissing, super::companion_mode(mode), true)
                .map_err(|error| Failure::classify("create the setup lock file", path, error))?;
            if let Some(reason) =
                files::irregular_reason(&file).map_err(|error| Failure::io("inspect", path, error))?
            {
                return Err(Failure::not_ours(path, reason));
            }
            Failure::check_owner(&file, path, trust)?;
            Failure::check_single_name(&file, path)?;
            lock_within(&file, path, wait, "the setup lock", File::try_lock)?;
            if files::is_same_file(&file, path) {
                return Ok(SetupLock {
                    file,
                    path: path.to_owned(),
                });
            }
            // The previous holder was the last user and removed the file while
            // we waited: the lock we got guards nothing. Start again.
        }
    }

    /// Removes the setup file (the object is gone), then releases the lock.
    pub(crate) fn remove(self) {
        files::remove_if_exists(&self.path);
        drop(self.file);
    }
}

/// Whether a live process (other than through `file` itself) uses the object
/// whose companion is `file`. On `false` the caller holds an exclusive lock on it.
pub(crate) fn in_use(file: &File, path: &Path) -> Result<bool, Failure> {
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(error)) => Err(Failure::io("check who uses", path, error)),
    }
}

/// Marks this process as a user of the object (shared presence lock on its companion).
pub(crate) fn attach(meta: &File, path: &Path, until: Deadline) -> Result<(), Failure> {
    lock_within(
        meta,
        path,
        Wait::open(until),
        "the presence lock",
        File::try_lock_shared,
    )
}

/// What closing an object needs: the mode and trust of its setup file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CloseSpec {
    pub(crate) mode: u32,
    pub(crate) trust: Trust,
}

/// This process's use of one object: its companion file with the shared
/// presence lock. Detaching (on drop, or from [`exit_closing_regions`](crate::exit_closing_regions))
/// happens once.
#[derive(Debug)]
pub(crate) struct Presence {
    meta: File,
    files: ObjectFiles,
    header: Header,
    close: CloseSpec,
    detached: Mutex<bool>,
    /// The process that opened it ([`ClosesAtExit::opener`]).
    opener: u32,
}

impl Presence {
    /// Records that this process uses the object (the shared lock is held).
    pub(crate) fn register(
        meta: File,
        files: ObjectFiles,
        header: Header,
        close: CloseSpec,
    ) -> Arc<Presence> {
        let presence = Arc::new(Presence {
            meta,
            files,
            header,
            close,
            detached: Mutex::new(false),
            opener: std::process::id(),
        });
        on_exit::register(&presence);
        presence
    }

    /// Stops using the object; the last process out removes its files.
    /// Best effort: a failure leaves files that the next process treats as
    /// stale (nobody holds them), so nothing is lost.
    fn detach(&self, wait: Wait) {
        let mut detached = self.detached.lock().unwrap_or_else(PoisonError::into_inner);
        if *detached {
            return;
        }
        *detached = true;
        let Ok(setup) = SetupLock::acquire(&self.files.guard, self.close.mode, self.close.trust, wait) else {
            return;
        };
        let _ = self.meta.unlock();
        // Whether anyone else uses the object is asked of the companion this
        // process holds, even when its name is gone: a companion deleted (or
        // replaced) while in use still has its users, and the last of them
        // still removes the object it vouched for.
        if !matches!(in_use(&self.meta, &self.files.meta), Ok(false)) {
            return;
        }
        if !self.header.persistent && names_object(&self.files.object, &self.header) {
            files::remove_if_exists(&self.files.object);
        }
        let ours = files::is_same_file(&self.meta, &self.files.meta);
        if ours {
            files::remove_if_exists(&self.files.meta);
        }
        if ours || std::fs::symlink_metadata(&self.files.meta).is_err() {
            self.files.remove_dead_temporaries();
            setup.remove();
        }
    }
}

/// Whether `path` names the object file `header` vouches for.
pub(crate) fn names_object(path: &Path, header: &Header) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.dev() == header.dev && meta.ino() == header.ino)
}

/// The wait of a close while the process is leaving: until the leaving's
/// one deadline.
fn exit_close_wait() -> Wait {
    Wait::close_until(on_exit::exit_deadline())
}

impl ClosesAtExit for Presence {
    fn opener(&self) -> u32 {
        self.opener
    }

    fn close_at_exit(&self, until: Deadline) {
        self.detach(Wait::close_until(until));
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        if self.opener != std::process::id() {
            // A child forked since shares the parent's `flock` locks: its
            // drop would release the parent's presence, and then remove an
            // object the parent still uses. The parent closes it.
            on_exit::unregister(self);
            return;
        }
        if exit_requested() {
            // The process is leaving: `close_everything` holds the gate
            // (perhaps on this very thread) and detaches everything itself;
            // detaching twice is a no-op, so do not wait for the gate.
            self.detach(exit_close_wait());
            on_exit::unregister(self);
            return;
        }
        {
            // Inside the gate: a signal arriving now waits for this close to
            // end (this presence can no longer be found by
            // `exit_closing_regions`). A leaving that began while this waited
            // for the gate gives it the leaving's deadline.
            let _gate = open_gate();
            let wait = if exit_requested() {
                exit_close_wait()
            } else {
                Wait::close()
            };
            self.detach(wait);
        }
        on_exit::unregister(self);
    }
}

/// How many processes hold the companion `file` open as users (a shared
/// presence lock), read from `/proc/locks`; `None` where that is not available.
pub(crate) fn attached_processes(file: &File) -> Option<usize> {
    lock_holders(file, "READ").map(|pids| pids.len())
}
