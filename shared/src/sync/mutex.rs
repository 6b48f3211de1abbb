//! The named cross-process mutex: the Rust side of .NET's `System.Threading.Mutex`.
//!
//! A mutex called `NAME` in a directory is the empty lock file `DIR/NAME`,
//! whose `flock` (through `named-lock`) is the ownership, plus the companion
//! `DIR/.NAME.meta` and setup file `DIR/.NAME.guard` that every named object of
//! this crate has (see the crate docs). The kernel releases the lock when its
//! holder dies; the holder also writes its pid into the companion and clears
//! it on release, so the next owner can tell a clean hand-over from an
//! abandoned one (.NET's `AbandonedMutexException`). Like a .NET named mutex,
//! it exists while some process has it open: the last one out removes its files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use named_lock::{NamedLock, NamedLockGuard};

use super::wake::{self, Until};
use crate::error::MutexError;
use crate::name::RegionName;
use crate::object::lifetime::Presence;
use crate::object::meta::{Kind, Meta, HOLDER_PID, RELEASE_COUNT, RELEASE_SLEEPERS};
use crate::object::{Disposition, ObjectFiles, Spec};
use crate::ownership::Trust;
use crate::region::{default_dir, Region, DEFAULT_MODE};

/// Longest single sleep while waiting: a holder that dies wakes nobody, so a
/// waiter looks again at least this often.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// A mutex owned by one thread of this process: the lock file's device and
/// inode (however its path is spelled), and the owning thread.
type Ownership = (u64, u64, ThreadId);

/// The mutexes threads of this process own now, so that a second wait by
/// the owning thread fails instead of waiting for itself forever (as in
/// .NET, ownership is a thread's: other threads of the process wait).
static OWNED: StdMutex<Option<HashSet<Ownership>>> = StdMutex::new(None);

fn owned_by_this_thread(file: (u64, u64)) -> bool {
    let owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    let me = std::thread::current().id();
    owned
        .as_ref()
        .is_some_and(|set| set.contains(&(file.0, file.1, me)))
}

fn set_owned(file: (u64, u64), thread: ThreadId, owned_now: bool) {
    let mut owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    let set = owned.get_or_insert_with(HashSet::new);
    let key = (file.0, file.1, thread);
    if owned_now {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

/// Where a named mutex lives and how to create or open it.
///
/// ```no_run
/// use shared::{MutexOptions, RegionName};
/// // new Mutex(true, "jobs", out bool createdNew)
/// let created = MutexOptions::named(&RegionName::new("jobs")?).dir("/tmp").create(true)?;
/// if let Some(owned) = created.guard {
///     // ... this process created the mutex, and owns it ...
///     drop(owned); // ReleaseMutex()
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MutexOptions {
    name: String,
    dir: Option<PathBuf>,
    mode: u32,
    trust: Trust,
    timeout: Option<Duration>,
}

impl MutexOptions {
    /// The mutex called `name` (in [`default_dir`] unless
    /// [`MutexOptions::dir`] says otherwise). Names follow the rules of
    /// [`RegionName`]; a mutex and a region in one directory need different names.
    pub fn named(name: &RegionName) -> Self {
        MutexOptions {
            name: name.as_str().to_owned(),
            dir: None,
            mode: DEFAULT_MODE,
            trust: Trust::Owner,
            timeout: None,
        }
    }

    /// The demo's convention: the mutex `<region name>mutex` beside `region`,
    /// created with the region's mode and sharing (so `testmap` has
    /// `testmapmutex`).
    pub fn for_region(region: &Region) -> Self {
        MutexOptions {
            name: region.mutex_name(),
            dir: Some(region.dir().to_owned()),
            mode: region.mode(),
            trust: region.trust(),
            timeout: None,
        }
    }

    /// Shares the mutex with the users of this process's group, as
    /// [`RegionOptions::share_with_group`](crate::RegionOptions::share_with_group)
    /// does for a region (mode 0660; group-shared files of others accepted).
    pub fn share_with_group(mut self) -> Self {
        self.trust = Trust::Group;
        self.mode = 0o660;
        self
    }

    /// The longest creating or opening may wait for the setup lock another
    /// process holds (default: as long as it takes). Waiting for the mutex
    /// itself is bounded by [`NamedMutex::wait_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The directory of the mutex's files.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The permission bits of the files this call creates (default 0600).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    fn files(&self) -> ObjectFiles {
        ObjectFiles::new(self.dir.clone().unwrap_or_else(default_dir), &self.name)
    }

    /// .NET `new Mutex(initiallyOwned, name, out createdNew)`: creates the
    /// mutex, or opens it when a live process has it. With `initially_owned`,
    /// a mutex this call creates is owned by the caller from the start, with
    /// no moment at which another process could take it first; an existing
    /// mutex is only opened (as in .NET).
    ///
    /// # Errors
    /// [`MutexError::NotALockFile`] when something this library did not
    /// create is at the path; [`MutexError::PermissionDenied`],
    /// [`MutexError::Io`], [`MutexError::Lock`] when the system refuses.
    pub fn create(&self, initially_owned: bool) -> Result<CreatedMutex, MutexError> {
        self.open(Disposition::CreateOrOpen, initially_owned)
    }

    /// .NET `Mutex.OpenExisting(name)`: opens a mutex a live process created.
    ///
    /// # Errors
    /// [`MutexError::NotFound`] when no live process has it open; otherwise as
    /// [`MutexOptions::create`].
    pub fn open_existing(&self) -> Result<NamedMutex, MutexError> {
        Ok(self.open(Disposition::OpenExisting, false)?.mutex)
    }

    fn open(&self, how: Disposition, initially_owned: bool) -> Result<CreatedMutex, MutexError> {
        let files = self.files();
        let spec = Spec {
            files: &files,
            kind: Kind::Mutex,
            mode: crate::object::companion_mode(self.mode),
            writable: true,
            trust: self.trust,
            until: Until::after(self.timeout.unwrap_or(Duration::MAX)),
            persistent: false,
        };
        let object_error = |error| MutexError::from_object(error, &self.name);
        let (attached, setup) = spec
            .open_named_locked_setup(how, &|_, _| Ok(0))
            .map_err(object_error)?;
        let created_new = attached.created_new;
        let lock = match NamedLock::with_path(&files.object) {
            Ok(lock) => lock,
            Err(source) => {
                drop(setup); // before the presence, whose drop takes the setup lock
                return Err(MutexError::Lock {
                    name: self.name.clone(),
                    source,
                });
            }
        };
        let mutex = NamedMutex {
            inner: Arc::new(MutexInner {
                lock,
                meta: attached.meta,
                files,
                name: self.name.clone(),
                file: (attached.header.dev, attached.header.ino),
                _presence: attached.presence,
            }),
        };
        // Still under the setup lock: nobody can open the new mutex yet.
        let guard = if initially_owned && created_new {
            match mutex.try_wait() {
                Ok(Some(acquired)) => Some(acquired.into_guard()),
                Ok(None) => None,
                Err(error) => {
                    drop(setup);
                    return Err(error);
                }
            }
        } else {
            None
        };
        drop(setup);
        Ok(CreatedMutex {
            mutex,
            created_new,
            guard,
        })
    }
}

/// A named mutex shared between processes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NamedMutex {
    inner: Arc<MutexInner>,
}

#[derive(Debug)]
struct MutexInner {
    lock: NamedLock,
    meta: Meta,
    files: ObjectFiles,
    name: String,
    /// The lock file's device and inode.
    file: (u64, u64),
    /// Declared last: this process stops using the mutex after the rest is gone.
    _presence: Option<Arc<Presence>>,
}

/// Ownership of the mutex; dropping it releases the mutex (.NET `ReleaseMutex`).
#[derive(Debug)]
pub struct MutexGuard {
    inner: Arc<MutexInner>,
    lock: Option<NamedLockGuard>,
    /// The thread that acquired it (the guard may be dropped on another).
    owner: ThreadId,
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

/// A mutex just created or opened by [`MutexOptions::create`].
#[derive(Debug)]
pub struct CreatedMutex {
    /// The mutex.
    pub mutex: NamedMutex,
    /// `true` when this call created it (.NET `createdNew`).
    pub created_new: bool,
    /// With `initially_owned`, the ownership: `Some` exactly when this call
    /// created the mutex.
    pub guard: Option<MutexGuard>,
}

impl NamedMutex {
    /// [`MutexOptions::create`] for the mutex `name` in [`default_dir`].
    ///
    /// # Errors
    /// See [`MutexOptions::create`].
    pub fn create(name: &RegionName, initially_owned: bool) -> Result<CreatedMutex, MutexError> {
        MutexOptions::named(name).create(initially_owned)
    }

    /// [`MutexOptions::open_existing`] for the mutex `name` in [`default_dir`].
    ///
    /// # Errors
    /// See [`MutexOptions::open_existing`].
    pub fn open_existing(name: &RegionName) -> Result<NamedMutex, MutexError> {
        MutexOptions::named(name).open_existing()
    }

    /// The mutex name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The mutex's lock file.
    pub fn path(&self) -> &Path {
        &self.inner.files.object
    }

    /// Pid of the process holding the mutex now (0 when free; a dead
    /// holder's pid until the next owner takes over).
    pub fn holder_pid(&self) -> u32 {
        self.word(HOLDER_PID).load(Ordering::Acquire)
    }

    /// .NET `WaitOne()`: blocks until this process owns the mutex. Sleeps
    /// until a release wakes it (and looks again every 50 ms, for holders
    /// that die).
    ///
    /// # Errors
    /// [`MutexError::AlreadyOwned`] when this thread owns it already (other
    /// threads of the process wait, as in .NET);
    /// [`MutexError::Lock`] when the lock call fails.
    pub fn wait(&self) -> Result<Acquired, MutexError> {
        loop {
            if let Some(acquired) = self.wait_timeout(Duration::from_secs(3600))? {
                return Ok(acquired);
            }
        }
    }

    /// .NET `WaitOne(0)`: takes the mutex if it is free; `None` when another
    /// process holds it.
    ///
    /// # Errors
    /// As [`NamedMutex::wait`].
    pub fn try_wait(&self) -> Result<Option<Acquired>, MutexError> {
        if owned_by_this_thread(self.inner.file) {
            return Err(MutexError::AlreadyOwned {
                name: self.inner.name.clone(),
            });
        }
        match self.inner.lock.try_lock() {
            Ok(lock) => Ok(Some(self.took(lock))),
            Err(named_lock::Error::WouldBlock) => Ok(None),
            Err(source) => Err(MutexError::Lock {
                name: self.inner.name.clone(),
                source,
            }),
        }
    }

    /// .NET `WaitOne(timeout)`: waits at most `timeout` for the mutex; `None`
    /// when it did not come free in time.
    ///
    /// # Errors
    /// As [`NamedMutex::wait`].
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<Acquired>, MutexError> {
        let until = Until::after(timeout);
        let releases = self.word(RELEASE_COUNT);
        loop {
            let seen = releases.load(Ordering::Acquire);
            if let Some(acquired) = self.try_wait()? {
                return Ok(Some(acquired));
            }
            if until.passed() {
                return Ok(None);
            }
            let sleepers = self.word(RELEASE_SLEEPERS);
            sleepers.fetch_add(1, Ordering::SeqCst);
            wake::wait_while_equal(releases, seen, until.left().min(WAIT_SLICE));
            sleepers.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn word(&self, offset: u64) -> &AtomicU32 {
        self.inner.word(offset)
    }

    fn took(&self, lock: NamedLockGuard) -> Acquired {
        let me = std::process::id();
        let previous = self.word(HOLDER_PID).swap(me, Ordering::AcqRel);
        set_owned(self.inner.file, std::thread::current().id(), true);
        let guard = MutexGuard {
            inner: Arc::clone(&self.inner),
            lock: Some(lock),
            owner: std::thread::current().id(),
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
}

impl MutexInner {
    fn word(&self, offset: u64) -> &AtomicU32 {
        static FALLBACK: AtomicU32 = AtomicU32::new(0);
        // Mutex companions are always mapped writable (see `MutexOptions::open`),
        // and the offsets are aligned constants inside them.
        self.meta.word(offset).unwrap_or(&FALLBACK)
    }
}

impl MutexGuard {
    /// The name of the mutex this guard owns.
    pub fn mutex_name(&self) -> &str {
        &self.inner.name
    }
}

impl Drop for MutexGuard {
    fn drop(&mut self) {
        // Clear the holder first (a holder seen after this is a dead one),
        // then unlock, then count the release and wake waiters: a waiter that
        // sees the new count finds the lock already free.
        self.inner.word(HOLDER_PID).swap(0, Ordering::AcqRel);
        set_owned(self.inner.file, self.owner, false);
        drop(self.lock.take());
        let releases = self.inner.word(RELEASE_COUNT);
        releases.fetch_add(1, Ordering::SeqCst);
        // Only waiters that sleep on the counter need a wake-up: skip the
        // system call otherwise.
        if self.inner.word(RELEASE_SLEEPERS).load(Ordering::SeqCst) != 0 {
            wake::wake_all(releases);
        }
    }
}
