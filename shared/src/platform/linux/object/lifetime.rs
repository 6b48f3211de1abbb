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
//! exit would.

use std::fs::{File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, Weak};
use std::time::Duration;

use super::meta::Header;
use super::ObjectFiles;
use crate::error::Failure;
use crate::platform::files::{self, Create};
use crate::platform::ownership::Trust;
use crate::sync::Until;

/// How long closing waits for the setup lock before leaving the files to the
/// next user (who treats them as stale): closing never hangs.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// How long all the closes of a process leaving on a signal wait together,
/// however many objects it has open: short, so that the exit stays prompt,
/// but long enough for another process's open or close. An object whose
/// turn comes after the time is spent still tries its lock once.
const EXIT_CLOSE_WAIT: Duration = Duration::from_millis(400);

/// Set when the process is leaving ([`exit_closing_regions`](crate::exit_closing_regions)): lock waits
/// stop, so that the exit is not held up by an open that waits.
static EXIT_REQUESTED: AtomicBool = AtomicBool::new(false);

/// When the closes of a leaving process give up waiting ([`EXIT_CLOSE_WAIT`]
/// after the leaving began), for every close, on any thread.
static EXIT_DEADLINE: OnceLock<Until> = OnceLock::new();

/// The wait of a close while the process is leaving: until the one deadline.
fn exit_close_wait() -> Wait {
    Wait::close_until(*EXIT_DEADLINE.get_or_init(|| Until::after(EXIT_CLOSE_WAIT)))
}

/// How long a lock wait may last, and whether a leaving process ends it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wait {
    until: Until,
    interruptible: bool,
}

impl Wait {
    /// An open's wait: until the caller's deadline, or until the process
    /// starts leaving on a signal.
    pub(crate) fn open(until: Until) -> Self {
        Wait {
            until,
            interruptible: true,
        }
    }

    /// A close's wait: short and never interrupted (a process leaving on a
    /// signal still closes what it has open).
    fn close() -> Self {
        Wait::close_until(Until::after(CLOSE_WAIT))
    }

    /// A close's wait that ends at `until`, shared by the closes of a
    /// process that is leaving.
    fn close_until(until: Until) -> Self {
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
        // Looked at before each try: an open that starts after the process
        // began leaving never takes a lock.
        if wait.interruptible && EXIT_REQUESTED.load(Ordering::Acquire) {
            return Err(Failure::Interrupted {
                path: path.to_owned(),
            });
        }
        match try_lock(file) {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(error)) => return Err(Failure::io("lock", path, error)),
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
pub(crate) fn attach(meta: &File, path: &Path, until: Until) -> Result<(), Failure> {
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
    /// The process that opened it: a child forked since shares its `flock`
    /// locks, and the parent's exit must not close them under the child.
    opener: u32,
}

/// Every object this process has open, for [`exit_closing_regions`](crate::exit_closing_regions).
static OPEN: Mutex<Vec<Weak<Presence>>> = Mutex::new(Vec::new());

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
        install_exit_hook();
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        open.push(Arc::downgrade(&presence));
        presence
    }

    /// Leaves [`OPEN`] once detached: until then, a process that is leaving
    /// waits for this close to end (see `wait_for_closes_in_progress`).
    fn unregister(&self) {
        OPEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|weak| !std::ptr::eq(weak.as_ptr(), self));
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

impl Drop for Presence {
    fn drop(&mut self) {
        if EXIT_REQUESTED.load(Ordering::Acquire) {
            // The process is leaving: `close_everything` holds the gate
            // (perhaps on this very thread) and detaches everything itself;
            // detaching twice is a no-op, so do not wait for the gate.
            self.detach(exit_close_wait());
            self.unregister();
            return;
        }
        {
            // Inside the gate: a signal arriving now waits for this close to
            // end (this presence can no longer be found by
            // `exit_closing_regions`). A leaving that began while this waited
            // for the gate gives it the leaving's deadline.
            let _gate = open_gate();
            let wait = if EXIT_REQUESTED.load(Ordering::Acquire) {
                exit_close_wait()
            } else {
                Wait::close()
            };
            self.detach(wait);
        }
        self.unregister();
    }
}

/// How many processes hold the companion `file` open as users (a shared
/// presence lock), read from `/proc/locks`; `None` where that is not available.
pub(crate) fn attached_processes(file: &File) -> Option<usize> {
    lock_holders(file, "READ").map(|pids| pids.len())
}

/// How many times [`lock_holders`] reads `/proc/locks`. The kernel hands the
/// listing out a page per `read`, each page found again by its place in a
/// list that other processes' locks change meanwhile: a line can be skipped
/// in one reading (seen here while parallel tests took and dropped locks).
/// A holder is one that some reading shows.
const LOCK_LISTINGS: usize = 3;

/// The pids holding an `flock` of `kind` (`READ` or `WRITE`) on `file`, from
/// `/proc/locks`; `None` where that is not available.
pub(crate) fn lock_holders(file: &File, kind: &str) -> Option<Vec<u32>> {
    let meta = file.metadata().ok()?;
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let id = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let mut pids = Vec::new();
    for _ in 0..LOCK_LISTINGS {
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        pids.extend(holders_in(&locks, kind, &id));
    }
    pids.sort_unstable();
    pids.dedup();
    Some(pids)
}

/// The pids of the `flock`s of `kind` on the file `id` (`MAJOR:MINOR:INODE`)
/// in one reading of `/proc/locks`.
fn holders_in<'a>(locks: &'a str, kind: &'a str, id: &'a str) -> impl Iterator<Item = u32> + 'a {
    locks
        .lines()
        .filter(|line| !line.contains("->"))
        .filter_map(move |line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "1: FLOCK ADVISORY READ 1234 00:1a:5678 0 EOF"
            match fields.as_slice() {
                [_, "FLOCK", _, found, pid, file_id, ..] if *found == kind && *file_id == id => {
                    pid.parse().ok()
                }
                _ => None,
            }
        })
}

/// Held (shared) by every open from its first file operation until the object
/// is registered; [`exit_closing_regions`](crate::exit_closing_regions) takes it exclusively, so no open
/// can slip between its clean-up and the end of the process.
static EXIT_GATE: RwLock<()> = RwLock::new(());

/// Enters the gate for one open.
pub(crate) fn open_gate() -> RwLockReadGuard<'static, ()> {
    EXIT_GATE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Leaves every object this process still has open, as dropping it would;
/// from then on, opens give up and no new open starts its file work.
pub(crate) fn close_everything() {
    EXIT_REQUESTED.store(true, Ordering::Release);
    let wait = exit_close_wait();
    let open: Vec<Arc<Presence>> = {
        // Waits for the opens and closes in progress inside the gate, and for
        // a closing that another thread started (it holds the gate until done).
        let _gate = EXIT_GATE.write().unwrap_or_else(PoisonError::into_inner);
        let me = std::process::id();
        let open: Vec<Arc<Presence>> = OPEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            // Inherited through `fork`: the locks are the opener's too.
            .filter(|presence| presence.opener == me)
            .collect();
        for presence in &open {
            presence.detach(wait);
        }
        open
    };
    wait_for_closes_in_progress();
    // Dropping `open` may drop last references: detaching again is a no-op.
    drop(open);
}

/// Waits (bounded) until no destructor is still detaching an object: one
/// whose last reference went before the closing could take it over.
/// Outside the gate, since such a destructor may be waiting to enter it.
fn wait_for_closes_in_progress() {
    // Those closes wait no longer than the leaving's deadline; a little more
    // for their last try and their file removals.
    let deadline = *EXIT_DEADLINE.get_or_init(|| Until::after(EXIT_CLOSE_WAIT));
    let until = Until::after(deadline.left() + Duration::from_millis(100));
    loop {
        let dropping = OPEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|weak| weak.strong_count() == 0);
        if !dropping || until.passed() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The exit hook: an exit from any thread (`std::process::exit`, or `main`
/// returning) first finishes the closing. Without it, `main` returning while
/// a signal-handling thread was inside [`exit_closing_regions`](crate::exit_closing_regions) ended the
/// process halfway through a clean-up: the region file removed, its
/// companion and setup file left behind.
extern "C" fn close_everything_at_exit() {
    // A panic may not unwind out of an `extern "C"` function (it would abort
    // the exit): the files it leaves count as stale for the next open.
    let _ = std::panic::catch_unwind(close_everything);
}

/// Installs [`close_everything_at_exit`] once per process.
fn install_exit_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Without the hook (the C library refused it), objects still open at
        // exit leave files that the next open treats as stale.
        let _ = crate::platform::sys::at_process_exit(close_everything_at_exit);
    });
}
