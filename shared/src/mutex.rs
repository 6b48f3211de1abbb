//! The named cross-process mutex: the Rust side of .NET's `System.Threading.Mutex`.
//!
//! The lock is an `flock` on the file `<name>mutex` beside the region, taken
//! through `named-lock`; the kernel releases it when its holder dies. The
//! holder also writes its pid into the region's control block and clears it on
//! release, so the next owner can tell a clean hand-over from an abandoned one
//! (.NET's `AbandonedMutexException`).

use std::fs::File;
use std::sync::Arc;
use std::time::Duration;

use named_lock::{NamedLock, NamedLockGuard};

use crate::error::MutexError;
use crate::files::{self, Create};
use crate::notify;
use crate::region::Region;

/// Longest single sleep while waiting with a timeout: a holder that dies wakes
/// nobody, so a waiter looks again at least this often.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// A named mutex tied to a region: `<region name>mutex`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NamedMutex {
    inner: Arc<MutexInner>,
}

#[derive(Debug)]
struct MutexInner {
    lock: NamedLock,
    region: Region,
    name: String,
}

/// Ownership of the mutex; dropping it releases the mutex (.NET `ReleaseMutex`).
#[derive(Debug)]
pub struct MutexGuard {
    inner: Arc<MutexInner>,
    lock: Option<NamedLockGuard>,
}

/// How the mutex was acquired: cleanly, or from a holder that died holding it.
///
/// Either way the caller now owns the mutex. After `Abandoned`, the data the
/// dead holder was writing may be incomplete (.NET `AbandonedMutexException`).
#[derive(Debug)]
#[must_use = "dropping the acquisition releases the mutex at once"]
pub enum Acquired {
    /// The previous holder released the mutex normally.
    Owned(MutexGuard),
    /// The previous holder died holding the mutex.
    Abandoned {
        /// The mutex, now owned by the caller.
        guard: MutexGuard,
        /// Pid of the process that died holding it.
        holder_pid: u32,
    },
}

impl Acquired {
    /// The guard, whichever way it was acquired.
    pub fn into_guard(self) -> MutexGuard {
        match self {
            Acquired::Owned(guard) | Acquired::Abandoned { guard, .. } => guard,
        }
    }

    /// The pid of the holder that died holding the mutex, if it was abandoned.
    pub fn abandoned_by(&self) -> Option<u32> {
        match self {
            Acquired::Owned(_) => None,
            Acquired::Abandoned { holder_pid, .. } => Some(*holder_pid),
        }
    }
}

/// A mutex just created or opened by [`NamedMutex::create`].
#[derive(Debug)]
pub struct CreatedMutex {
    /// The mutex.
    pub mutex: NamedMutex,
    /// `true` when this call created it (.NET `createdNew`).
    pub created_new: bool,
    /// With `initially_owned`, the ownership this call took: `Some` when the
    /// mutex was created by this call (as in .NET) or taken over from a
    /// creator that is no longer running.
    pub guard: Option<MutexGuard>,
}

impl NamedMutex {
    /// .NET `new Mutex(initiallyOwned, name, out createdNew)`: creates the
    /// region's mutex, or opens it when it already exists. With
    /// `initially_owned`, the caller owns it if this call created it, or if
    /// the process that created it is no longer running (it is taken over);
    /// either way the exchange words of the control block (flags, record
    /// count, turn) start afresh. Creating and taking ownership are two steps:
    /// a process that opens the mutex in between may take it first.
    ///
    /// # Errors
    /// [`MutexError::NotALockFile`] when something that is not a lock file is
    /// at the path; [`MutexError::Io`] / [`MutexError::Lock`] when the system refuses.
    pub fn create(region: &Region, initially_owned: bool) -> Result<CreatedMutex, MutexError> {
        let path = region.mutex_path();
        let (file, created_new) = match files::open(path, Create::New, region.mode()) {
            Ok(file) => (file, true),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                (open_lock_file(region)?, false)
            }
            Err(error) => return Err(classify(region, error)),
        };
        let mutex = Self::with_file(region, file)?;
        let control = region.control();
        let guard = if !initially_owned {
            None
        } else if created_new {
            // A new mutex starts a new exchange: a persistent region still
            // holds the words of the last one, and a dead holder's pid.
            control.swap_holder_pid(0);
            control.reset_exchange();
            control.set_creator_pid(std::process::id());
            Some(mutex.wait()?.into_guard())
        } else if !crate::sys::pid_alive(control.creator_pid()) {
            // Its creator has exited (another process kept the region open):
            // take the mutex over, as a new creator would.
            let guard = mutex.wait()?.into_guard();
            control.reset_exchange();
            control.set_creator_pid(std::process::id());
            Some(guard)
        } else {
            None
        };
        Ok(CreatedMutex {
            mutex,
            created_new,
            guard,
        })
    }

    /// .NET `Mutex.OpenExisting(name)`: opens the region's mutex.
    ///
    /// # Errors
    /// [`MutexError::NotFound`] when no live process created it (start the
    /// creating program first); otherwise as [`NamedMutex::create`].
    pub fn open_existing(region: &Region) -> Result<NamedMutex, MutexError> {
        let file = open_lock_file(region)?;
        Self::with_file(region, file)
    }

    fn with_file(region: &Region, file: File) -> Result<NamedMutex, MutexError> {
        let io_error = |source| MutexError::Io {
            path: region.mutex_path().to_owned(),
            source,
        };
        let reason = match files::irregular_reason(&file).map_err(io_error)? {
            Some(reason) => Some(reason),
            None if file.metadata().map_err(io_error)?.len() != 0 => {
                Some("it is not empty, so it is some other file")
            }
            None => None,
        };
        if let Some(reason) = reason {
            return Err(MutexError::NotALockFile {
                path: region.mutex_path().to_owned(),
                reason: reason.to_owned(),
            });
        }
        // named-lock opens the path again; it was just checked to be a regular
        // file of ours, and `file` keeps that inode alive meanwhile.
        let lock = NamedLock::with_path(region.mutex_path()).map_err(|source| MutexError::Lock {
            name: region.mutex_name(),
            source,
        })?;
        drop(file);
        Ok(NamedMutex {
            inner: Arc::new(MutexInner {
                lock,
                region: region.clone(),
                name: region.mutex_name(),
            }),
        })
    }

    /// The mutex name (`<region name>mutex`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Pid of the process holding the mutex now (0 when free).
    pub fn holder_pid(&self) -> u32 {
        self.inner.region.control().holder_pid()
    }

    /// .NET `WaitOne()`: blocks until this process owns the mutex.
    ///
    /// # Errors
    /// [`MutexError::Lock`] when the lock call fails.
    pub fn wait(&self) -> Result<Acquired, MutexError> {
        let lock = self.inner.lock.lock().map_err(|source| self.lock_error(source))?;
        Ok(self.took(lock))
    }

    /// .NET `WaitOne(0)`: takes the mutex if it is free; `None` when another
    /// process holds it.
    ///
    /// # Errors
    /// [`MutexError::Lock`] when the lock call fails.
    pub fn try_wait(&self) -> Result<Option<Acquired>, MutexError> {
        match self.inner.lock.try_lock() {
            Ok(lock) => Ok(Some(self.took(lock))),
            Err(named_lock::Error::WouldBlock) => Ok(None),
            Err(source) => Err(self.lock_error(source)),
        }
    }

    /// .NET `WaitOne(timeout)`: waits at most `timeout` for the mutex; `None`
    /// when it did not come free in time. Sleeps until a release wakes it.
    ///
    /// # Errors
    /// [`MutexError::Lock`] when the lock call fails.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<Acquired>, MutexError> {
        let until = notify::Until::after(timeout);
        let releases = self.inner.region.control().release_counter();
        loop {
            let seen = releases.load(std::sync::atomic::Ordering::Acquire);
            if let Some(acquired) = self.try_wait()? {
                return Ok(Some(acquired));
            }
            if until.passed() {
                return Ok(None);
            }
            let sleepers = self.inner.region.control().release_sleepers();
            sleepers.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            notify::wait_while_equal(releases, seen, until.left().min(WAIT_SLICE));
            sleepers.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn took(&self, lock: NamedLockGuard) -> Acquired {
        let me = std::process::id();
        let previous = self.inner.region.control().swap_holder_pid(me);
        let guard = MutexGuard {
            inner: Arc::clone(&self.inner),
            lock: Some(lock),
        };
        if previous == 0 || previous == me {
            Acquired::Owned(guard)
        } else {
            Acquired::Abandoned {
                guard,
                holder_pid: previous,
            }
        }
    }

    fn lock_error(&self, source: named_lock::Error) -> MutexError {
        MutexError::Lock {
            name: self.inner.name.clone(),
            source,
        }
    }
}

impl MutexGuard {
    /// The region the mutex protects.
    pub fn region(&self) -> &Region {
        &self.inner.region
    }
}

impl Drop for MutexGuard {
    fn drop(&mut self) {
        let control = self.inner.region.control();
        // Clear the holder first (a holder seen after this is a dead one),
        // then unlock, then count the release and wake waiters: a waiter that
        // sees the new count finds the lock already free.
        control.swap_holder_pid(0);
        drop(self.lock.take());
        let releases = control.release_counter();
        releases.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Only a waiter with a timeout sleeps on the counter (a plain `wait`
        // sleeps in the kernel's lock queue): skip the system call otherwise.
        if control
            .release_sleepers()
            .load(std::sync::atomic::Ordering::SeqCst)
            != 0
        {
            notify::wake_all(releases);
        }
    }
}

fn open_lock_file(region: &Region) -> Result<File, MutexError> {
    files::open(region.mutex_path(), Create::No, region.mode()).map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            MutexError::NotFound {
                name: region.mutex_name(),
            }
        } else {
            classify(region, error)
        }
    })
}

fn classify(region: &Region, error: std::io::Error) -> MutexError {
    let path = region.mutex_path().to_owned();
    match files::foreign_reason(&error) {
        Some(reason) => MutexError::NotALockFile {
            path,
            reason: reason.to_owned(),
        },
        None => MutexError::Io { path, source: error },
    }
}
