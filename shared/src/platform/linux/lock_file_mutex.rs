//! The Linux named mutex of this library's own kind: the empty lock file `DIR/NAME`, whose `flock`
//! (through `named-lock`) is the ownership, plus the companion
//! `DIR/.NAME.meta` and setup file `DIR/.NAME.guard` of every named object
//! (see [`super::object`]). The kernel releases the lock when its holder
//! dies; the holder also writes its pid into the companion and clears it on
//! release, so the next owner can tell a clean hand-over from an abandoned
//! one. The last process out removes the files.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use named_lock::{NamedLock, NamedLockGuard};

use super::object::lifetime::Presence;
use super::object::meta::{Kind, Meta, HOLDER_PID, RELEASE_COUNT, RELEASE_SLEEPERS};
use super::object::{companion_mode, ObjectFiles, Spec};
use super::word_waker::{wait_while_equal, wake_all};
use crate::error::Failure;
use crate::platform::request::{Disposition, MutexSpec};

/// Longest single sleep while waiting: a holder that dies wakes nobody, so a
/// waiter looks again at least this often.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// One process's hold on a lock-file mutex.
#[derive(Debug)]
pub(crate) struct LockFileMutex {
    lock: NamedLock,
    meta: Meta,
    files: ObjectFiles,
    name: String,
    id: (u64, u64),
    /// Declared last: this process stops using the mutex after the rest is gone.
    _presence: Option<Arc<Presence>>,
}

/// The ownership of the mutex while it is held.
#[derive(Debug)]
pub(crate) struct LockFileHold {
    _lock: NamedLockGuard,
}

/// The mutex just taken: the ownership, and the pid of a holder that died
/// holding it.
pub(crate) type LockFileTaken = (LockFileHold, Option<u32>);

impl LockFileMutex {
    /// Creates or opens the mutex `request` names; with `initially_owned`, a
    /// mutex this call creates is taken before anyone else can open it.
    /// Returns whether this call created it.
    pub(crate) fn open(
        request: &MutexSpec,
        how: Disposition,
        initially_owned: bool,
    ) -> Result<(LockFileMutex, bool, Option<LockFileTaken>), Failure> {
        let files = ObjectFiles::new(request.platform.dir_or_default(), request.name);
        let spec = Spec {
            files: &files,
            kind: Kind::Mutex,
            mode: companion_mode(request.platform.mode),
            writable: true,
            trust: request.platform.trust,
            until: request.deadline(),
            persistent: false,
        };
        let (attached, setup) = spec.open_named_locked_setup(how, &|_, _| Ok(0))?;
        let created_new = attached.created_new;
        let lock = match NamedLock::with_path(&files.object) {
            Ok(lock) => lock,
            Err(source) => {
                drop(setup); // before the presence, whose drop takes the setup lock
                return Err(Failure::lock(request.name, source));
            }
        };
        let inner = LockFileMutex {
            lock,
            meta: attached.meta,
            files,
            name: request.name.to_owned(),
            id: (attached.header.dev, attached.header.ino),
            _presence: attached.presence,
        };
        // Still under the setup lock: nobody can open the new mutex yet.
        let taken = if initially_owned && created_new {
            match inner.try_lock() {
                Ok(taken) => taken,
                Err(error) => {
                    drop(setup);
                    return Err(error);
                }
            }
        } else {
            None
        };
        drop(setup);
        Ok((inner, created_new, taken))
    }

    /// The mutex name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The lock file.
    pub(crate) fn path(&self) -> &Path {
        &self.files.object
    }

    /// Which mutex this is: the lock file's device and inode.
    pub(crate) fn id(&self) -> (u64, u64) {
        self.id
    }

    /// The holder's pid (a dead holder's until the next owner takes over).
    pub(crate) fn holder_pid(&self) -> Option<u32> {
        match self.word(HOLDER_PID).load(Ordering::Acquire) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Takes the mutex if it is free.
    pub(crate) fn try_lock(&self) -> Result<Option<LockFileTaken>, Failure> {
        match self.lock.try_lock() {
            Ok(lock) => Ok(Some(self.took(lock))),
            Err(named_lock::Error::WouldBlock) => Ok(None),
            Err(source) => Err(Failure::lock(&self.name, source)),
        }
    }

    /// Waits at most `timeout` for the mutex: sleeps until a release wakes
    /// it, and looks again every 50 ms for holders that die.
    pub(crate) fn lock_within(&self, timeout: Duration) -> Result<Option<LockFileTaken>, Failure> {
        let until = crate::platform::wait::Deadline::after(timeout);
        let releases = self.word(RELEASE_COUNT);
        loop {
            let seen = releases.load(Ordering::Acquire);
            if let Some(taken) = self.try_lock()? {
                return Ok(Some(taken));
            }
            if until.passed() {
                return Ok(None);
            }
            let sleepers = self.word(RELEASE_SLEEPERS);
            sleepers.fetch_add(1, Ordering::SeqCst);
            wait_while_equal(releases, seen, until.left().min(WAIT_SLICE));
            sleepers.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Releases the mutex (any thread may; the portable guard keeps it to
    /// the owner's).
    pub(crate) fn release(&self, lock: LockFileHold) {
        // Clear the holder first (a holder seen after this is a dead one),
        // then unlock, then count the release and wake waiters: a waiter that
        // sees the new count finds the lock already free.
        self.word(HOLDER_PID).swap(0, Ordering::AcqRel);
        drop(lock);
        let releases = self.word(RELEASE_COUNT);
        releases.fetch_add(1, Ordering::SeqCst);
        // Only waiters that sleep on the counter need a wake-up: skip the
        // system call otherwise.
        if self.word(RELEASE_SLEEPERS).load(Ordering::SeqCst) != 0 {
            wake_all(releases);
        }
    }

    fn took(&self, lock: NamedLockGuard) -> LockFileTaken {
        let me = std::process::id();
        let previous = self.word(HOLDER_PID).swap(me, Ordering::AcqRel);
        let abandoned = previous != 0 && previous != me;
        (LockFileHold { _lock: lock }, abandoned.then_some(previous))
    }

    fn word(&self, offset: u64) -> &AtomicU32 {
        static FALLBACK: AtomicU32 = AtomicU32::new(0);
        // Mutex companions are always mapped writable (see `open`), and the
        // offsets are aligned constants inside them.
        self.meta.word(offset).unwrap_or(&FALLBACK)
    }
}
