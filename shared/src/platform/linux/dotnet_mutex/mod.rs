//! .NET's own named mutex on Linux, spoken from Rust: the file CoreCLR
//! keeps for a named `System.Threading.Mutex`, the robust pthread mutex in
//! it, and the protocol around them, so that a Rust process and a .NET
//! process (.NET Core 2.0 to .NET 10, x86_64 glibc) share one mutex.
//!
//! What .NET does (CoreCLR's PAL; paths of dotnet/coreclr v3.1.23, the
//! same in dotnet/runtime up to release/10.0 under `src/coreclr/pal`):
//!
//! - **The file** (`sharedmemory.cpp` `SharedMemoryId::SharedMemoryId`,
//!   `AppendSessionDirectoryName`; `init/pal.cpp` `gSID = getsid(gPID)`,
//!   `TEMP_DIRECTORY_PATH "/tmp/"`): a name starting with `Global\` is
//!   `/tmp/.dotnet/shm/global/<rest>`; any other name, after a `Local\`
//!   prefix is dropped, is `/tmp/.dotnet/shm/session<getsid()>/<name>`.
//!   `TMPDIR` plays no part. The name is 1 to 255 bytes without `/` or `\`.
//! - **The directories** (`EnsureDirectoryExists`): `/tmp/.dotnet` and
//!   `/tmp/.dotnet/shm` are created mode 0777 (made under a temporary name,
//!   chmod-ed, renamed into place); the session directory 0777 under the
//!   creation lock; the file 0666 (`O_CREAT|O_EXCL`, then chmod).
//! - **The creation lock** (`SharedMemoryManager::AcquireCreationDeletionFileLock`):
//!   `flock(LOCK_EX)` on the directory `/tmp/.dotnet/shm` itself, held while a
//!   file is created, opened, re-initialised or removed.
//! - **Users** (`SharedMemoryProcessDataHeader::CreateOrOpen`): every process
//!   that has the mutex open holds `flock(LOCK_SH)` on its file. An existing
//!   file on which `LOCK_EX|LOCK_NB` succeeds has no user: its contents are
//!   stale and it is initialised again, as if created.
//! - **The layout** (`sharedmemory.h` `SharedMemorySharedDataHeader`,
//!   `mutex.hpp` `NamedMutexSharedData`): one 4096-byte page; byte 0 the type
//!   (0, a mutex), byte 1 the version (1; bytes 2 to 7 are not written), a
//!   `pthread_mutex_t` at 8 (40 bytes on x86_64 glibc), the owner's pid
//!   (`u32`, all ones when free) at 48, its thread id (`u64`, `gettid`) at
//!   56, and an is-abandoned byte at 64.
//! - **The mutex** (`mutex.cpp` `InitializeProcessSharedRobustRecursiveMutex`):
//!   process-shared, robust, recursive. A wait is `pthread_mutex_lock`
//!   (infinite), `trylock` (0) or `timedlock` with a `CLOCK_REALTIME`
//!   deadline; `EOWNERDEAD` is followed by `pthread_mutex_consistent` and
//!   reported as abandoned (`AbandonedMutexException`), and so is a set
//!   is-abandoned byte (a .NET thread that ended holding the mutex).
//!   Release clears the owner fields, then unlocks.
//! - **Closing** (`SharedMemoryProcessDataHeader::Close`): under the creation
//!   lock, drop `LOCK_SH`; if `LOCK_EX|LOCK_NB` then succeeds this was the last
//!   user, which destroys the pthread mutex, unlinks the file and removes the
//!   session directory when it is empty.

mod error;
mod open_files;
mod places;

use std::collections::HashSet;
use std::fs::{self, DirBuilder, File, TryLockError};
use std::io;
use std::marker::PhantomData;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::platform::mapping::Mapping;
use crate::platform::on_exit;
use crate::platform::wait::Deadline;
use error::io_error;
pub use error::DotnetMutexError;
use open_files::OpenFile;
pub use places::DotnetScope;
use places::{check_shared_dir, open_regular, retry, try_exclusive, CreationLock, CLOSE_WAIT, SHM_DIR};
pub(crate) use places::{resolve, session_id};

/// Whether this target has the layout .NET's files have on x86_64 glibc.
const LAYOUT_MATCHES: bool = cfg!(all(target_arch = "x86_64", target_env = "gnu"));

#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
const _: () = assert!(
    std::mem::size_of::<libc::pthread_mutex_t>() == 40,
    "glibc's pthread_mutex_t on x86_64 is 40 bytes: .NET's owner fields start at 48"
);

/// Byte 0: `SharedMemoryType::Mutex`.
const TYPE_MUTEX: u8 = 0;
/// Byte 1: `NamedMutexProcessData::SyncSystemVersion`.
const SYNC_SYSTEM_VERSION: u8 = 1;
/// The `pthread_mutex_t`, after the 8-byte header.
const LOCK_OFFSET: usize = 8;
/// glibc's `__kind` inside the `pthread_mutex_t`.
const KIND_OFFSET: u64 = 8 + 16;
/// `m_lockOwnerProcessId` (`u32`).
const OWNER_PID_OFFSET: u64 = 48;
/// `m_lockOwnerThreadId` (`u64`).
const OWNER_TID_OFFSET: u64 = 56;
/// `m_isAbandoned` (`bool`).
const ABANDONED_OFFSET: u64 = 64;
/// Header and shared data: what a file must at least hold.
const USED_BYTES: u64 = 72;
/// The file's size: the used bytes rounded up to a page (4 KiB on x86_64).
const FILE_BYTES: u64 = 4096;
/// No owner (`SharedMemoryHelpers::InvalidProcessId`).
const NO_PID: u32 = u32::MAX;
/// No owner thread (`InvalidSharedThreadId`).
const NO_TID: u64 = u64::MAX;
/// glibc's `__kind` of a recursive (1), robust (16), process-shared (128)
/// mutex: what `pthread_mutex_init` writes with .NET's attributes.
const ROBUST_RECURSIVE_SHARED_KIND: i32 = 1 | 16 | 128;

fn thread_id() -> u64 {
    u64::from(crate::platform::sys::thread_id())
}

/// Which file a mutex is (device, inode), and which thread of this process
/// owns it.
type Ownership = (u64, u64, ThreadId);

/// The .NET mutexes threads of this process own now: a second wait by the
/// owner is refused, since the pthread mutex, being recursive, would let it
/// through and count twice.
static OWNED: StdMutex<Option<HashSet<Ownership>>> = StdMutex::new(None);

fn owned(key: Ownership) -> bool {
    let owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    owned.as_ref().is_some_and(|set| set.contains(&key))
}

fn set_owned(key: Ownership, now: bool) {
    let mut owned = OWNED.lock().unwrap_or_else(PoisonError::into_inner);
    let set = owned.get_or_insert_with(HashSet::new);
    if now {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

/// One open handle on a .NET named mutex file: the file (with `LOCK_SH` on
/// it for as long as this lives) and its mapping.
#[derive(Debug)]
pub(crate) struct DotnetMutexInner {
    name: String,
    path: PathBuf,
    dir: PathBuf,
    id: (u64, u64),
    mapping: Mapping,
    /// Whether `open` finished: until then a failure is undone there, under
    /// the creation lock it holds, and dropping runs no close protocol.
    opened: bool,
    /// The process that opened it: a child forked since shares its `flock`
    /// locks, and must not close them under the parent.
    opener: u32,
    /// Its entry among the files closed at exit ([`open_files`]).
    at_exit: Option<Arc<OpenFile>>,
    /// Holds `LOCK_SH`. Declared last: closed after the mapping is gone.
    file: File,
}

/// The mutex just acquired: whether abandoned, and by which process when
/// the file says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Took {
    pub(crate) abandoned: bool,
    pub(crate) dead_holder: Option<u32>,
}

/// What a create or open found at the path.
enum Found {
    /// A file this call made, or a stale one it takes over.
    New { stale: bool },
    /// A file live users have open.
    Live,
}

impl DotnetMutexInner {
    /// `new Mutex(initiallyOwned, name, out createdNew)` (`create`) or
    /// `Mutex.OpenExisting(name)`, as a .NET process of login session
    /// `session` resolves `name`. Returns the
    /// handle, whether this call created the mutex, and with
    /// `initially_owned` the ownership of a mutex it created. It waits for
    /// .NET's creation lock until `until`.
    pub(crate) fn open(
        name: &str,
        session: u32,
        create: bool,
        initially_owned: bool,
        until: Deadline,
    ) -> Result<(DotnetMutexInner, bool, Option<Took>), DotnetMutexError> {
        if !LAYOUT_MATCHES {
            return Err(DotnetMutexError::Unsupported {
                reason: if cfg!(not(target_env = "gnu")) {
                    "this build is not linked with glibc"
                } else if cfg!(target_pointer_width = "32") {
                    "this build is 32-bit"
                } else {
                    "this build is not x86_64"
                },
            });
        }
        let (dir, path) = resolve(name, session)?;
        let lock = CreationLock::acquire(until)?;
        let mut made_dir = false;
        match fs::symlink_metadata(&dir) {
            Ok(_) => check_shared_dir(&dir)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                made_dir = true;
                if !create {
                    return Err(DotnetMutexError::NotFound { path });
                }
                DirBuilder::new()
                    .mode(0o777)
                    .create(&dir)
                    .map_err(io_error("create the directory", &dir))?;
                if let Err(source) = fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)) {
                    let _ = fs::remove_dir(&dir);
                    return Err(io_error("open to all users", &dir)(source));
                }
            }
            Err(source) => return Err(io_error("look at the directory", &dir)(source)),
        }
        // Undoes what this call made when it fails (as .NET's AutoCleanup):
        // the file it made or took over, and the session directory if it
        // made it (unlike .NET, never another user's empty one).
        let mut undo = Undo {
            dir: &dir,
            remove_dir: made_dir,
            file: None,
        };
        let (file, found) = match open_regular(&path, true, false) {
            Ok(file) => {
                if try_exclusive(&file).map_err(io_error("lock", &path))? {
                    let _ = retry(|| file.unlock());
                    undo.file = Some(&path);
                    (file, Found::New { stale: true })
                } else {
                    (file, Found::Live)
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if !create {
                    return Err(DotnetMutexError::NotFound { path: path.clone() });
                }
                let file = open_regular(&path, true, true).map_err(io_error("create", &path))?;
                undo.file = Some(&path);
                fs::set_permissions(&path, fs::Permissions::from_mode(0o666))
                    .map_err(io_error("open to all users", &path))?;
                (file, Found::New { stale: false })
            }
            Err(source) if source.kind() == io::ErrorKind::InvalidInput => {
                return Err(DotnetMutexError::LayoutMismatch {
                    path: path.clone(),
                    found: source.to_string(),
                })
            }
            Err(source) => return Err(io_error("open", &path)(source)),
        };
        if !create && matches!(found, Found::New { .. }) {
            // A stale file: .NET's OpenExisting removes it and finds nothing.
            drop(file);
            return Err(DotnetMutexError::NotFound { path: path.clone() });
        }
        let len = file.metadata().map_err(io_error("look at", &path))?.len();
        match found {
            Found::New { .. } => file.set_len(FILE_BYTES).map_err(io_error("size", &path))?,
            Found::Live if len < USED_BYTES => {
                return Err(DotnetMutexError::LayoutMismatch {
                    path: path.clone(),
                    found: format!("{len} bytes, fewer than the {USED_BYTES} of its header and data"),
                })
            }
            Found::Live if len < FILE_BYTES => file.set_len(FILE_BYTES).map_err(io_error("size", &path))?,
            Found::Live => {}
        }
        match file.try_lock_shared() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io_error("share", &path)(io::Error::from(
                    io::ErrorKind::WouldBlock,
                )))
            }
            Err(TryLockError::Error(source)) => return Err(io_error("share", &path)(source)),
        }
        let mapping = Mapping::map(&file, FILE_BYTES, true).map_err(io_error("map", &path))?;
        let meta = file.metadata().map_err(io_error("look at", &path))?;
        let mut inner = DotnetMutexInner {
            name: name.to_owned(),
            path: path.clone(),
            dir: dir.clone(),
            id: (meta.dev(), meta.ino()),
            mapping,
            opened: false,
            opener: std::process::id(),
            at_exit: None,
            file,
        };
        let created = match found {
            Found::New { stale } => {
                inner.initialize(stale)?;
                true
            }
            Found::Live => {
                inner.check_layout()?;
                false
            }
        };
        // Still under the creation lock: nobody else can open it yet.
        let took = if created && initially_owned {
            inner.lock(Some(Duration::ZERO))?
        } else {
            None
        };
        undo.remove_dir = false;
        undo.file = None;
        inner.opened = true;
        inner.at_exit = OpenFile::register(&inner.file, path.clone(), dir.clone());
        drop(lock);
        Ok((inner, created, took))
    }

    /// Writes the header and a new robust mutex (`NamedMutexSharedData()`).
    fn initialize(&self, stale: bool) -> Result<(), DotnetMutexError> {
        let wrote = |result: Result<(), _>| {
            result.map_err(|_| io_error("write", &self.path)(io::Error::from(io::ErrorKind::UnexpectedEof)))
        };
        if stale {
            wrote(self.mapping.write(0, &[0; USED_BYTES as usize]))?;
        }
        wrote(self.mapping.write(0, &[TYPE_MUTEX, SYNC_SYSTEM_VERSION]))?;
        let mutex = self.lock_ptr().ok_or_else(|| self.not_writable())?;
        init_robust_recursive_shared(mutex)
            .map_err(io_error("initialise the pthread mutex in", &self.path))?;
        if self.kind() != Some(ROBUST_RECURSIVE_SHARED_KIND) {
            return Err(DotnetMutexError::Unsupported {
                reason: "glibc wrote a pthread_mutex_t of another layout",
            });
        }
        self.owner_pid().store(NO_PID, Ordering::Relaxed);
        self.owner_tid().store(NO_TID, Ordering::Relaxed);
        wrote(self.mapping.write(ABANDONED_OFFSET, &[0]))
    }

    /// Refuses a live file of another type, version or mutex layout.
    fn check_layout(&self) -> Result<(), DotnetMutexError> {
        let mut header = [0u8; 2];
        let _ = self.mapping.read(0, &mut header);
        let [kind, version] = header;
        if kind != TYPE_MUTEX || version != SYNC_SYSTEM_VERSION {
            return Err(DotnetMutexError::LayoutMismatch {
                path: self.path.clone(),
                found: format!("type {kind}, version {version}"),
            });
        }
        match self.kind() {
            Some(ROBUST_RECURSIVE_SHARED_KIND) => Ok(()),
            other => Err(DotnetMutexError::LayoutMismatch {
                path: self.path.clone(),
                found: format!(
                    "no robust process-shared recursive pthread mutex at offset 8 (kind {other:?}): \
                     a .NET of the lock-file mode (macOS, FreeBSD, some ARM builds)?"
                ),
            }),
        }
    }

    fn kind(&self) -> Option<i32> {
        let mut kind = [0u8; 4];
        self.mapping.read(KIND_OFFSET, &mut kind).ok()?;
        Some(i32::from_ne_bytes(kind))
    }

    /// The pthread mutex in the mapping (`None` only for a mapping that is
    /// not writable, which `open` never makes).
    fn lock_ptr(&self) -> Option<*mut libc::pthread_mutex_t> {
        let base = self.mapping.writable()?.into_parts().0.as_ptr();
        // `wrapping_add` keeps this safe; the offset lies inside the page.
        Some(base.wrapping_add(LOCK_OFFSET).cast())
    }

    fn not_writable(&self) -> DotnetMutexError {
        io_error("write to", &self.path)(io::Error::from(io::ErrorKind::PermissionDenied))
    }

    fn owner_pid(&self) -> &AtomicU32 {
        static FALLBACK: AtomicU32 = AtomicU32::new(NO_PID);
        self.mapping.atomic_u32(OWNER_PID_OFFSET).unwrap_or(&FALLBACK)
    }

    fn owner_tid(&self) -> &AtomicU64 {
        static FALLBACK: AtomicU64 = AtomicU64::new(NO_TID);
        self.mapping.atomic_u64(OWNER_TID_OFFSET).unwrap_or(&FALLBACK)
    }

    /// Which file it is: its device and inode.
    pub(crate) fn id(&self) -> (u64, u64) {
        self.id
    }

    /// The mutex's name as given.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The pid the file names as owner (a dead owner's until the next takes over).
    pub(crate) fn holder_pid(&self) -> Option<u32> {
        match self.owner_pid().load(Ordering::Relaxed) {
            NO_PID => None,
            pid => Some(pid),
        }
    }

    fn ownership(&self) -> Ownership {
        (self.id.0, self.id.1, std::thread::current().id())
    }

    /// `WaitOne`: `None` waits forever, zero tries once, otherwise waits
    /// until a `CLOCK_REALTIME` deadline (as .NET does). `Ok(None)` when it
    /// did not come free in time.
    pub(crate) fn lock(&self, timeout: Option<Duration>) -> Result<Option<Took>, DotnetMutexError> {
        if owned(self.ownership()) {
            return Err(DotnetMutexError::AlreadyOwned {
                path: self.path.clone(),
            });
        }
        self.refuse_if_cut()?;
        let mutex = self.lock_ptr().ok_or_else(|| self.not_writable())?;
        let deadline = timeout
            .filter(|timeout| !timeout.is_zero())
            .and_then(|timeout| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .ok()?
                    .checked_add(timeout)
            })
            .and_then(|at| {
                Some(libc::timespec {
                    tv_sec: i64::try_from(at.as_secs()).ok()?,
                    tv_nsec: i64::from(at.subsec_nanos()),
                })
            });
        let result = match (timeout, deadline) {
            // SAFETY: `mutex` points at the pthread mutex inside this
            // handle's live shared mapping, initialised by whoever created
            // the file (its layout was checked in `open`). Its bytes are
            // shared with every process that can write the file: .NET makes
            // it 0666, so every local user is trusted not to forge them (glibc
            // follows the robust list's pointers stored there). This is
            // .NET's own design, documented in `docs/dotnet.md`.
            (Some(timeout), _) if timeout.is_zero() => unsafe { libc::pthread_mutex_trylock(mutex) },
            // SAFETY: as above; `at` is a valid timespec on this stack.
            (Some(_), Some(at)) => unsafe { libc::pthread_mutex_timedlock(mutex, &at) },
            // SAFETY: as above (no timeout, or one past any representable deadline).
            _ => unsafe { libc::pthread_mutex_lock(mutex) },
        };
        let mut took = Took {
            abandoned: false,
            dead_holder: None,
        };
        match result {
            0 => {}
            // Not taken, unless the wait met a shortened file.
            libc::EBUSY | libc::ETIMEDOUT => return self.refuse_if_cut().map(|()| None),
            libc::EOWNERDEAD => {
                // SAFETY: as above; this thread owns the mutex now.
                unsafe { libc::pthread_mutex_consistent(mutex) };
                took.abandoned = true;
                took.dead_holder = self.holder_pid();
            }
            libc::ENOTRECOVERABLE => {
                return Err(DotnetMutexError::NotRecoverable {
                    path: self.path.clone(),
                })
            }
            error => {
                return Err(io_error("wait for the mutex", &self.path)(
                    io::Error::from_raw_os_error(error),
                ))
            }
        }
        if let Err(cut) = self.refuse_if_cut() {
            // What was just locked is a private page standing in for the lost
            // one, which excludes nobody: leave it unlocked, and say so.
            // SAFETY: as above; this thread locked it just now.
            unsafe { libc::pthread_mutex_unlock(mutex) };
            return Err(cut);
        }
        let mut abandoned = [0u8];
        let _ = self.mapping.read(ABANDONED_OFFSET, &mut abandoned);
        self.owner_pid().store(std::process::id(), Ordering::Relaxed);
        self.owner_tid().store(thread_id(), Ordering::Relaxed);
        if abandoned[0] != 0 {
            // A .NET thread ended holding it (`NamedMutexProcessData::Abandon`).
            let _ = self.mapping.write(ABANDONED_OFFSET, &[0]);
            took.abandoned = true;
        }
        set_owned(self.ownership(), true);
        Ok(Some(took))
    }

    /// Refuses a mutex whose file another process shortened under this
    /// handle's mapping: its lost page reads as a private zero page (see
    /// `bus_guard`), on which a lock excludes nobody.
    fn refuse_if_cut(&self) -> Result<(), DotnetMutexError> {
        match self.mapping.read(ABANDONED_OFFSET, &mut [0u8]) {
            Ok(()) => Ok(()),
            Err(_) => Err(DotnetMutexError::Truncated {
                path: self.path.clone(),
            }),
        }
    }

    /// `ReleaseMutex`: clears the owner, then unlocks. Only the thread that
    /// acquired it may call this.
    pub(crate) fn unlock(&self) {
        set_owned(self.ownership(), false);
        self.owner_pid().store(NO_PID, Ordering::Relaxed);
        self.owner_tid().store(NO_TID, Ordering::Relaxed);
        if let Some(mutex) = self.lock_ptr() {
            // SAFETY: the mutex lies in this handle's live mapping, and the
            // calling thread owns it (the guard that calls this is not `Send`).
            unsafe { libc::pthread_mutex_unlock(mutex) };
        }
    }
}

impl Drop for DotnetMutexInner {
    /// Closes as .NET does: under the creation lock, drop `LOCK_SH`; the last
    /// user (whose `LOCK_EX|LOCK_NB` succeeds) destroys the mutex and removes
    /// the file and an empty session directory.
    fn drop(&mut self) {
        if !self.opened || self.opener != std::process::id() {
            // Not open, or a forked child's copy: its unlock would drop the
            // parent's `LOCK_SH` (one open file description), and then remove
            // a file the parent still uses. The parent closes it.
            return;
        }
        // Inside the exit gate, as a region's close: a process that starts
        // leaving meanwhile waits for this close to end instead of ending in
        // the middle of it. When the leaving has begun, its closing holds the
        // gate (perhaps on this very thread) and closes this file itself.
        let _gate = (!on_exit::exit_requested()).then(on_exit::open_gate);
        let until = if on_exit::exit_requested() {
            on_exit::exit_deadline()
        } else {
            Deadline::after(CLOSE_WAIT)
        };
        let _closing = match &self.at_exit {
            Some(at_exit) => match at_exit.claim_close() {
                Some(claim) => Some(claim),
                // Closed at exit already: the path may be another's file now.
                None => return,
            },
            None => None,
        };
        let lock = CreationLock::take(until).ok();
        let _ = retry(|| self.file.unlock());
        let last = lock.is_some() && try_exclusive(&self.file).unwrap_or(false);
        if !last {
            return;
        }
        let _ = retry(|| self.file.unlock());
        if let Some(mutex) = self.lock_ptr() {
            // SAFETY: the mutex lies in this handle's live mapping, and no other
            // process has the file open (LOCK_EX succeeded under the creation lock).
            unsafe { libc::pthread_mutex_destroy(mutex) };
        }
        let _ = fs::remove_file(&self.path);
        let _ = fs::remove_dir(&self.dir);
        drop(lock);
    }
}

/// Undoes a failed create or open: the file it made (or took over), and the
/// session directory when it is empty (.NET tries `rmdir` on it too).
struct Undo<'a> {
    dir: &'a Path,
    remove_dir: bool,
    file: Option<&'a Path>,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if let Some(file) = self.file {
            let _ = fs::remove_file(file);
        }
        if self.remove_dir {
            let _ = fs::remove_dir(self.dir);
        }
    }
}

/// `pthread_mutex_init` with .NET's attributes: process-shared, robust,
/// recursive.
fn init_robust_recursive_shared(mutex: *mut libc::pthread_mutex_t) -> io::Result<()> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: `attr` is writable storage for one attribute object.
    let error = unsafe { libc::pthread_mutexattr_init(attr.as_mut_ptr()) };
    if error != 0 {
        return Err(io::Error::from_raw_os_error(error));
    }
    let attr = attr.as_mut_ptr();
    // SAFETY: `attr` was initialised above and is destroyed below; each call
    // sets one attribute to a constant the system defines.
    let error = unsafe {
        let setters = [
            libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED),
            libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST),
            libc::pthread_mutexattr_settype(attr, libc::PTHREAD_MUTEX_RECURSIVE),
        ];
        match setters.into_iter().find(|&error| error != 0) {
            Some(error) => error,
            None => libc::pthread_mutex_init(mutex, attr),
        }
    };
    // SAFETY: `attr` is initialised and no longer used after this.
    unsafe { libc::pthread_mutexattr_destroy(attr) };
    if error != 0 {
        return Err(io::Error::from_raw_os_error(error));
    }
    Ok(())
}

/// .NET's named mutex on Linux, shared with .NET programs: the very
/// `System.Threading.Mutex` a .NET program of the same name opens (CoreCLR
/// .NET Core 2.0 to .NET 10 on x86_64 glibc; not .NET 11, which changed the
/// layout without changing its version). Cheap to clone; the last clone (and
/// guard) dropped closes it, and the last user on the machine removes its
/// file, as .NET does.
///
/// [`NamedMutex`](crate::NamedMutex) is this very mutex when its options
/// ask for it ([`MutexOptionsExt::dotnet`](crate::os::linux::MutexOptionsExt::dotnet)):
/// prefer that in portable code. This type is the same mutex in .NET's own
/// terms (its names, `Global\`, `Local\`), with what only .NET's has:
/// [`DotnetMutex::live_sessions`].
///
/// | .NET | `DotnetMutex` |
/// |---|---|
/// | `new Mutex(initiallyOwned, name, out createdNew)` | [`DotnetMutex::create`] |
/// | `Mutex.OpenExisting(name)` | [`DotnetMutex::open_existing`] |
/// | `WaitOne()` / `WaitOne(0)` / `WaitOne(t)` | [`wait`](DotnetMutex::wait) / [`try_wait`](DotnetMutex::try_wait) / [`wait_timeout`](DotnetMutex::wait_timeout) |
/// | `ReleaseMutex()` | drop the [`DotnetGuard`] |
/// | `AbandonedMutexException` | [`DotnetGuard::is_abandoned`] |
/// | `Global\` / `Local\` | as in .NET: machine-wide / this login session |
///
/// ```
/// use shared::os::linux::DotnetMutex;
/// use std::time::Duration;
/// # let jobs = format!("jobs-doc-{}", std::process::id());
/// // new Mutex(true, "jobs", out bool createdNew)
/// let created = DotnetMutex::create(&jobs, true)?;
/// assert!(created.created_new && created.guard.is_some());
/// assert!(created.mutex.path().to_string_lossy().starts_with("/tmp/.dotnet/shm/session"));
/// drop(created.guard); // ReleaseMutex()
/// // WaitOne(5000)
/// let owned = created.mutex.wait_timeout(Duration::from_secs(5))?.expect("free");
/// assert!(!owned.is_abandoned());
/// # Ok::<(), shared::os::linux::DotnetMutexError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DotnetMutex {
    inner: Arc<DotnetMutexInner>,
}

/// A [`DotnetMutex`] just created or opened by [`DotnetMutex::create`].
#[derive(Debug)]
#[must_use = "dropping it releases the mutex at once (and closes it)"]
pub struct DotnetCreated {
    /// The mutex.
    pub mutex: DotnetMutex,
    /// `true` when this call created it (.NET `createdNew`).
    pub created_new: bool,
    /// With `initially_owned`, the ownership: `Some` exactly when this call
    /// created the mutex.
    pub guard: Option<DotnetGuard>,
}

/// Ownership of a [`DotnetMutex`]; dropping it releases the mutex (.NET
/// `ReleaseMutex`). Not `Send`: the thread that took it releases it.
#[derive(Debug)]
#[must_use = "dropping the guard releases the mutex at once"]
pub struct DotnetGuard {
    inner: Arc<DotnetMutexInner>,
    took: Took,
    _owned_by_this_thread: PhantomData<*const ()>,
}

impl DotnetMutex {
    /// .NET `new Mutex(initiallyOwned, name, out createdNew)`: creates the
    /// mutex, or opens it when a live process (.NET or Rust) has it open.
    /// With `initially_owned`, a mutex this call creates is owned from the
    /// start; an existing one is only opened (as in .NET).
    ///
    /// `name` is .NET's: `Global\NAME` is shared by every session of the
    /// machine (`/tmp/.dotnet/shm/global/NAME`), any other name (`Local\`
    /// is dropped) by this process's login session only
    /// (`/tmp/.dotnet/shm/session<SID>/NAME`, SID from `getsid`): two
    /// terminals are two sessions. The directories and the file are made
    /// open to all users, as .NET makes them. It waits for .NET's creation
    /// lock as long as another process holds it; for a bounded wait, use
    /// [`NamedMutex`](crate::NamedMutex) of this kind with
    /// [`MutexOptions::timeout`](crate::MutexOptions::timeout).
    ///
    /// # Errors
    /// [`DotnetMutexError::InvalidName`]; [`DotnetMutexError::LayoutMismatch`]
    /// when a live file at the path is not a version-1 .NET mutex;
    /// [`DotnetMutexError::Unsupported`] off x86_64 glibc;
    /// [`DotnetMutexError::Io`] when a directory or the file cannot be made,
    /// opened, locked or mapped (another user's `/tmp/.dotnet`, for instance).
    pub fn create(name: &str, initially_owned: bool) -> Result<DotnetCreated, DotnetMutexError> {
        let (inner, created_new, took) =
            DotnetMutexInner::open(name, session_id(), true, initially_owned, Deadline::never())?;
        let mutex = DotnetMutex {
            inner: Arc::new(inner),
        };
        let guard = took.map(|took| mutex.guard(took));
        Ok(DotnetCreated {
            mutex,
            created_new,
            guard,
        })
    }

    /// .NET `Mutex.OpenExisting(name)`: opens the mutex a live process has.
    ///
    /// # Errors
    /// [`DotnetMutexError::NotFound`] when no live process has it open (a
    /// file its users all left is removed, as .NET does); otherwise as
    /// [`DotnetMutex::create`].
    pub fn open_existing(name: &str) -> Result<DotnetMutex, DotnetMutexError> {
        Self::open_existing_in_session(name, session_id())
    }

    /// `Mutex.OpenExisting(name)` as a .NET process of login session
    /// `session` would call it: opens `/tmp/.dotnet/shm/session<session>/NAME`.
    /// Beyond .NET, for meeting a .NET program started in another terminal
    /// (another session) without renaming its mutex; find its session with
    /// [`DotnetMutex::live_sessions`]. A `Global\` name ignores `session`.
    ///
    /// # Errors
    /// As [`DotnetMutex::open_existing`].
    pub fn open_existing_in_session(name: &str, session: u32) -> Result<DotnetMutex, DotnetMutexError> {
        let (inner, _, _) = DotnetMutexInner::open(name, session, false, false, Deadline::never())?;
        Ok(DotnetMutex {
            inner: Arc::new(inner),
        })
    }

    /// The login sessions in which a live process has the session-scoped
    /// mutex `name` open (a file in `/tmp/.dotnet/shm/session<SID>/` that
    /// some process holds), in ascending order; this process's own session
    /// among them when it has a live one. Looked up under .NET's creation
    /// lock, as .NET looks for stale files.
    ///
    /// # Errors
    /// [`DotnetMutexError::InvalidName`], also for a `Global\` name (it has
    /// no session); [`DotnetMutexError::Io`] when `/tmp/.dotnet/shm` cannot
    /// be read or locked.
    pub fn live_sessions(name: &str) -> Result<Vec<u32>, DotnetMutexError> {
        if name.starts_with("Global\\") {
            return Err(DotnetMutexError::InvalidName {
                name: name.to_owned(),
                reason: "a Global\\ name belongs to no session",
            });
        }
        let file_name = resolve(name, 0)?.1;
        let file_name = file_name.file_name().unwrap_or_default();
        let shm = Path::new(SHM_DIR);
        if !shm.is_dir() {
            return Ok(Vec::new());
        }
        let lock = CreationLock::take(Deadline::after(CLOSE_WAIT))?;
        let mut sessions = Vec::new();
        for entry in fs::read_dir(shm).map_err(io_error("read the directory", shm))? {
            let Ok(entry) = entry else { continue };
            // Only real directories: never a symbolic link another user made.
            if !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                continue;
            }
            let dir_name = entry.file_name();
            let Some(session) = dir_name
                .to_str()
                .and_then(|dir| dir.strip_prefix("session"))
                .and_then(|sid| sid.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(file) = open_regular(&entry.path().join(file_name), false, false) else {
                continue;
            };
            if let Ok(false) = try_exclusive(&file) {
                sessions.push(session);
            }
            // Dropping `file` releases a LOCK_EX it took on a stale file.
        }
        drop(lock);
        sessions.sort_unstable();
        Ok(sessions)
    }

    /// The file .NET keeps the mutex `name` in, for a process of this
    /// session: `/tmp/.dotnet/shm/session<SID>/NAME`, or
    /// `/tmp/.dotnet/shm/global/NAME` for `Global\NAME`.
    ///
    /// # Errors
    /// [`DotnetMutexError::InvalidName`].
    pub fn path_for(name: &str) -> Result<PathBuf, DotnetMutexError> {
        Ok(resolve(name, session_id())?.1)
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    /// The pid the file names as the owner now (`None` when free; a dead
    /// owner's pid until the next owner takes over).
    pub fn holder_pid(&self) -> Option<u32> {
        self.inner.holder_pid()
    }

    /// .NET `WaitOne()`: blocks until this thread owns the mutex.
    ///
    /// # Errors
    /// [`DotnetMutexError::AlreadyOwned`] when this thread owns it already;
    /// [`DotnetMutexError::NotRecoverable`]; [`DotnetMutexError::Io`].
    pub fn wait(&self) -> Result<DotnetGuard, DotnetMutexError> {
        let took = self.inner.lock(None)?;
        Ok(self.guard(took.unwrap_or(Took {
            abandoned: false,
            dead_holder: None,
        })))
    }

    /// .NET `WaitOne(0)`: takes the mutex if it is free; `None` when another
    /// thread holds it.
    ///
    /// # Errors
    /// As [`DotnetMutex::wait`].
    pub fn try_wait(&self) -> Result<Option<DotnetGuard>, DotnetMutexError> {
        self.wait_timeout(Duration::ZERO)
    }

    /// .NET `WaitOne(timeout)`: waits at most `timeout` (against the
    /// system clock, as .NET does); `None` when it did not come free in time.
    ///
    /// # Errors
    /// As [`DotnetMutex::wait`].
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<DotnetGuard>, DotnetMutexError> {
        Ok(self.inner.lock(Some(timeout))?.map(|took| self.guard(took)))
    }

    fn guard(&self, took: Took) -> DotnetGuard {
        DotnetGuard {
            inner: Arc::clone(&self.inner),
            took,
            _owned_by_this_thread: PhantomData,
        }
    }
}

impl DotnetGuard {
    /// Whether the previous owner ended without releasing the mutex: a
    /// process that died holding it, or a .NET thread that ended holding it
    /// (.NET throws `AbandonedMutexException` there; the caller owns the
    /// mutex either way, and the data it guards may be half-written).
    pub fn is_abandoned(&self) -> bool {
        self.took.abandoned
    }

    /// The pid of the process that died holding the mutex, when it was
    /// abandoned that way and the file named it.
    pub fn abandoned_by(&self) -> Option<u32> {
        self.took.dead_holder
    }
}

impl Drop for DotnetGuard {
    fn drop(&mut self) {
        self.inner.unlock();
    }
}
