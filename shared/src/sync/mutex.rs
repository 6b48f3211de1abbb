//! The named cross-process mutex: the Rust side of .NET's `System.Threading.Mutex`.
//!
//! The portable part: the builder, the handle, ownership by one thread, and
//! what an acquisition says. How a mutex is made is the platform's
//! (`crate::platform`): on Linux a lock file with a companion, on Windows the
//! kernel's own named mutex. Like a .NET named mutex, it exists while some
//! process has it open.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use crate::error::{Failure, ObjectError};
use crate::name::RegionName;
use crate::platform::request::MutexSpec;
use crate::platform::{MutexId, MutexInner, MutexLock, ObjectSettings, Taken};
use crate::region::{Disposition, Region};

/// A mutex owned by one thread of this process.
type Ownership = (MutexId, ThreadId);

/// The mutexes threads of this process own now, so that a second wait by
/// the owning thread fails instead of waiting for itself forever (as in
/// .NET, ownership is a thread's: other threads of the process wait).
static OWNED: StdMutex<Option<HashSet<Ownership>>> = StdMutex::new(None);

fn owned_by_this_thread(mutex: MutexId) -> bool {
    let owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    let me = std::thread::current().id();
    owned.as_ref().is_some_and(|set| set.contains(&(mutex, me)))
}

fn set_owned(mutex: MutexId, thread: ThreadId, owned_now: bool) {
    let mut owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    let set = owned.get_or_insert_with(HashSet::new);
    if owned_now {
        set.insert((mutex, thread));
    } else {
        set.remove(&(mutex, thread));
    }
}

/// Where a named mutex lives and how to create or open it.
///
/// ```
/// use shared::{MutexOptions, RegionName};
/// # let jobs = format!("jobs-doc-{}", std::process::id());
/// // new Mutex(true, "jobs", out bool createdNew)
/// let created = MutexOptions::named(&RegionName::new(&jobs)?).create(true)?;
/// if let Some(owned) = created.guard {
///     // ... this process created the mutex, and owns it ...
///     drop(owned); // ReleaseMutex()
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MutexOptions {
    name: String,
    timeout: Option<Duration>,
    /// What only the platform has (Linux: directory, mode, trust).
    platform: ObjectSettings,
}

impl MutexOptions {
    /// The mutex called `name`. Names follow the rules of [`RegionName`]; a
    /// mutex and a region of one name would collide (on Linux in one
    /// directory, on Windows always), so give them different names. On Linux
    /// its files are in `os::linux::default_dir` unless
    /// `os::linux::MutexOptionsExt::dir` says
    /// otherwise; on Windows it is the kernel's named mutex `name`.
    pub fn named(name: &RegionName) -> Self {
        MutexOptions {
            name: name.as_str().to_owned(),
            timeout: None,
            platform: ObjectSettings::default(),
        }
    }

    /// The demo's convention: the mutex `<region name>mutex` beside `region`
    /// (so `testmap` has `testmapmutex`); on Linux in the region's
    /// directory, with its files' mode and sharing.
    pub fn for_region(region: &Region) -> Self {
        MutexOptions {
            name: region.mutex_name(),
            timeout: None,
            platform: region.inner().mutex_settings(),
        }
    }

    /// The longest creating or opening may wait for the setup lock another
    /// process holds (default: as long as it takes). Waiting for the mutex
    /// itself is bounded by [`NamedMutex::wait_timeout`].
    ///
    /// On Windows creating or opening never waits for another process.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// .NET `new Mutex(initiallyOwned, name, out createdNew)`: creates the
    /// mutex, or opens it when a live process has it. With `initially_owned`,
    /// a mutex this call creates is owned by the caller from the start, with
    /// no moment at which another process could take it first; an existing
    /// mutex is only opened (as in .NET).
    ///
    /// # Errors
    /// An [`ObjectError`] about the mutex ([`Object::Mutex`](crate::Object::Mutex)), whose
    /// [`failure`](ObjectError::failure) is
    /// [`Failure::NotOurs`] when something this library did not
    /// create is at the name (on Windows a kernel object of another kind);
    /// on Linux [`Failure::NotYours`] for a file of another user at one of
    /// its paths, [`Failure::TimedOut`] past [`MutexOptions::timeout`] and
    /// [`Failure::Interrupted`] when the process began to leave on a signal;
    /// [`Failure::PermissionDenied`], [`Failure::Io`] (Linux),
    /// [`Failure::Lock`] when the system refuses.
    pub fn create(&self, initially_owned: bool) -> Result<CreatedMutex, ObjectError> {
        self.open(Disposition::CreateOrOpen, initially_owned)
    }

    /// .NET `Mutex.OpenExisting(name)`: opens a mutex a live process created.
    ///
    /// # Errors
    /// An [`ObjectError`] whose failure is [`Failure::NotFound`] when no live process has it open; otherwise as
    /// [`MutexOptions::create`].
    pub fn open_existing(&self) -> Result<NamedMutex, ObjectError> {
        Ok(self.open(Disposition::OpenExisting, false)?.mutex)
    }

    /// The request a backend takes: these options, borrowed.
    pub(crate) fn spec(&self) -> MutexSpec<'_> {
        MutexSpec {
            name: &self.name,
            timeout: self.timeout,
            platform: &self.platform,
        }
    }

    /// What only the platform has, for the platform's extension traits.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Windows has none
    pub(crate) fn platform_mut(&mut self) -> &mut ObjectSettings {
        &mut self.platform
    }

    fn open(&self, how: Disposition, initially_owned: bool) -> Result<CreatedMutex, ObjectError> {
        let (inner, created_new, taken) =
            MutexInner::open(&self.spec(), how, initially_owned).map_err(ObjectError::mutex)?;
        let mutex = NamedMutex { inner };
        let guard = taken.map(|taken| mutex.took(taken).into_guard());
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

/// Ownership of the mutex; dropping it releases the mutex (.NET `ReleaseMutex`).
///
/// Not `Send`, as std's guard is not: a mutex is owned by the thread that
/// took it, and on Windows only that thread can release it.
#[derive(Debug)]
#[must_use = "dropping the guard releases the mutex at once"]
pub struct MutexGuard {
    inner: Arc<MutexInner>,
    lock: Option<MutexLock>,
    /// The thread that acquired it.
    owner: ThreadId,
    _owned_by_this_thread: PhantomData<*const ()>,
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
        /// Pid of the process that died holding it, where the platform
        /// knows it (Linux: always; Windows: never, the kernel does not say).
        holder_pid: Option<u32>,
    },
}

impl Acquired {
    /// The guard, whichever way it was acquired.
    pub fn into_guard(self) -> MutexGuard {
        match self {
            Acquired::Owned(guard) | Acquired::Abandoned { guard, .. } => guard,
        }
    }

    /// Whether the previous holder died holding the mutex.
    pub fn is_abandoned(&self) -> bool {
        matches!(self, Acquired::Abandoned { .. })
    }

    /// The pid of the holder that died holding the mutex, if it was
    /// abandoned and the platform knows the pid (see [`Acquired::Abandoned`]).
    pub fn abandoned_by(&self) -> Option<u32> {
        match self {
            Acquired::Owned(_) => None,
            Acquired::Abandoned { holder_pid, .. } => *holder_pid,
        }
    }
}

/// A mutex just created or opened by [`MutexOptions::create`].
#[derive(Debug)]
#[must_use = "dropping it releases the mutex at once (and closes it)"]
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
    /// [`MutexOptions::create`] for the mutex `name` (on Linux in
    /// `os::linux::default_dir`).
    ///
    /// # Errors
    /// See [`MutexOptions::create`].
    pub fn create(name: &RegionName, initially_owned: bool) -> Result<CreatedMutex, ObjectError> {
        MutexOptions::named(name).create(initially_owned)
    }

    /// [`MutexOptions::open_existing`] for the mutex `name` (on Linux in
    /// `os::linux::default_dir`).
    ///
    /// # Errors
    /// See [`MutexOptions::open_existing`].
    pub fn open_existing(name: &RegionName) -> Result<NamedMutex, ObjectError> {
        MutexOptions::named(name).open_existing()
    }

    /// The mutex name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Where the mutex is: its lock file on Linux, its kernel object name on
    /// Windows.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    /// Pid of the process holding the mutex now (`None` when free; a dead
    /// holder's pid until the next owner takes over). Always `None` on
    /// Windows, where the kernel does not say who holds a mutex.
    pub fn holder_pid(&self) -> Option<u32> {
        self.inner.holder_pid()
    }

    /// .NET `WaitOne()`: blocks until this thread owns the mutex. Sleeps
    /// until a release wakes it (on Linux it also looks again every 50 ms,
    /// for holders that die).
    ///
    /// The mutex is held as long as the returned [`Acquired`] (or its
    /// guard) lives: bind it to a name. `let _ = mutex.wait()?;` compiles,
    /// but `_` drops the value on the spot, which is `ReleaseMutex()` at once.
    ///
    /// ```
    /// # use shared::{MutexOptions, RegionName};
    /// # let name = RegionName::new(&format!("wait-doc-{}", std::process::id()))?;
    /// # let mutex = MutexOptions::named(&name).create(false)?.mutex;
    /// let held = mutex.wait()?; // owned until `held` goes
    /// assert!(mutex.wait_timeout(std::time::Duration::ZERO).is_err(), "this thread owns it");
    /// drop(held); // ReleaseMutex()
    /// let _ = mutex.wait()?; // taken and released at once
    /// assert!(mutex.try_wait()?.is_some(), "free again");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An [`ObjectError`] about the mutex, whose failure is
    /// [`Failure::AlreadyOwned`] when this thread owns it already (other
    /// threads of the process wait, as in .NET; unlike .NET, where a Windows
    /// mutex is re-entrant, a second wait by the owner is refused on every
    /// platform); [`Failure::Lock`] when the system call fails.
    pub fn wait(&self) -> Result<Acquired, ObjectError> {
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
    pub fn try_wait(&self) -> Result<Option<Acquired>, ObjectError> {
        self.refuse_if_owned()?;
        let taken = self.inner.try_lock().map_err(ObjectError::mutex)?;
        Ok(taken.map(|taken| self.took(taken)))
    }

    /// .NET `WaitOne(timeout)`: waits at most `timeout` for the mutex; `None`
    /// when it did not come free in time.
    ///
    /// # Errors
    /// As [`NamedMutex::wait`].
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<Acquired>, ObjectError> {
        self.refuse_if_owned()?;
        let taken = self.inner.lock_within(timeout).map_err(ObjectError::mutex)?;
        Ok(taken.map(|taken| self.took(taken)))
    }

    fn refuse_if_owned(&self) -> Result<(), ObjectError> {
        if owned_by_this_thread(self.inner.id()) {
            return Err(ObjectError::mutex(Failure::AlreadyOwned {
                name: self.inner.name().to_owned(),
            }));
        }
        Ok(())
    }

    fn took(&self, taken: Taken) -> Acquired {
        let owner = std::thread::current().id();
        set_owned(self.inner.id(), owner, true);
        let guard = MutexGuard {
            inner: Arc::clone(&self.inner),
            lock: Some(taken.lock),
            owner,
            _owned_by_this_thread: PhantomData,
        };
        if taken.abandoned {
            Acquired::Abandoned {
                guard,
                holder_pid: taken.dead_holder,
            }
        } else {
            Acquired::Owned(guard)
        }
    }
}

impl MutexGuard {
    /// The name of the mutex this guard owns.
    pub fn mutex_name(&self) -> &str {
        self.inner.name()
    }
}

impl Drop for MutexGuard {
    fn drop(&mut self) {
        set_owned(self.inner.id(), self.owner, false);
        if let Some(lock) = self.lock.take() {
            self.inner.release(lock);
        }
    }
}
