//! Who uses a region, and who cleans it up: the .NET lifetime on top of file locks.
//!
//! .NET removes a non-persistent region when the last process closes it; a file
//! in `/dev/shm` would stay forever. This module gives the .NET behaviour with
//! two `flock` locks, which the kernel drops when a process dies, however it dies:
//!
//! - **presence**: every process using a region holds a *shared* lock on the
//!   region file for as long as it has the region open. A region file on which
//!   an *exclusive* lock can be taken has no live user: its users exited or died.
//! - **setup**: opening and closing take an *exclusive* lock on the setup file
//!   `.<name>.guard` beside the region, for a few microseconds, so that "is
//!   anyone still here?" and "then remove it" happen as one step, and exactly one
//!   process initializes a new region.
//!
//! The last process out (it can take the exclusive presence lock after dropping
//! its shared one) removes the region file, the mutex file and the setup file. A
//! process waiting for a setup file that was just removed notices (the file it
//! locked is no longer the one at the path) and starts again.
//!
//! A process stopped by a signal runs no destructors;
//! [`exit_closing_regions`] lets a signal handler leave as cleanly as a normal
//! exit would.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, Weak};

use crate::error::RegionError;
use crate::files::{self, Create};

/// The exclusive setup lock of one region, held while opening or closing it.
#[derive(Debug)]
pub(crate) struct SetupLock {
    file: File,
    path: PathBuf,
}

impl SetupLock {
    /// Takes the setup lock at `path`, creating the file when missing.
    pub(crate) fn acquire(path: &Path, mode: u32) -> Result<Self, RegionError> {
        loop {
            let file =
                files::open(path, Create::IfMissing, mode).map_err(|error| {
                    match files::foreign_reason(&error) {
                        Some(reason) => RegionError::not_a_region(path, reason),
                        None => RegionError::io("create the setup lock file", path, error),
                    }
                })?;
            if let Some(reason) =
                files::irregular_reason(&file).map_err(|error| RegionError::io("inspect", path, error))?
            {
                return Err(RegionError::not_a_region(path, reason));
            }
            file.lock()
                .map_err(|error| RegionError::io("lock the setup file", path, error))?;
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

    /// Removes the setup file (the region is gone), then releases the lock.
    pub(crate) fn remove(self) {
        files::remove_if_exists(&self.path);
        drop(self.file);
    }
}

/// Whether a live process (other than one holding `file`'s own lock) uses the
/// region file `file`. On `false` the caller holds an exclusive lock on it.
pub(crate) fn in_use(file: &File, path: &Path) -> Result<bool, RegionError> {
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(error)) => Err(RegionError::io("check who uses", path, error)),
    }
}

/// Marks this process as a user of the region (shared presence lock).
pub(crate) fn attach(file: &File, path: &Path) -> Result<(), RegionError> {
    file.lock_shared()
        .map_err(|error| RegionError::io("lock", path, error))
}

/// The files of one region: the region itself, its mutex's lock file, and its
/// setup file, all in one directory.
#[derive(Debug, Clone)]
pub(crate) struct RegionFiles {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) region: PathBuf,
    pub(crate) mutex: PathBuf,
    pub(crate) guard: PathBuf,
    pub(crate) persistent: bool,
}

impl RegionFiles {
    pub(crate) fn new(dir: PathBuf, name: &str, persistent: bool) -> Self {
        RegionFiles {
            region: dir.join(name),
            mutex: dir.join(format!("{name}{}", crate::layout::MUTEX_NAME_SUFFIX)),
            guard: dir.join(format!(".{name}.guard")),
            name: name.to_owned(),
            dir,
            persistent,
        }
    }

    /// Where a new region is built before it gets its name.
    pub(crate) fn init_path(&self) -> PathBuf {
        self.dir
            .join(format!(".{}.init-{}", self.name, std::process::id()))
    }

    /// Removes a lock file left by dead processes. Only an empty regular file
    /// is removed: anything else at that path (another region, a link) is not
    /// ours and stays.
    pub(crate) fn remove_stale_mutex_file(&self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.mutex) {
            if meta.file_type().is_file() && meta.len() == 0 {
                files::remove_if_exists(&self.mutex);
            }
        }
    }
}

/// This process's use of one region: the region file with its shared presence
/// lock. Detaching (on drop, or from [`close_all_regions`]) happens once.
#[derive(Debug)]
pub(crate) struct Presence {
    file: File,
    files: RegionFiles,
    mode: u32,
    detached: Mutex<bool>,
}

/// Every region this process has open, for [`close_all_regions`].
static OPEN: Mutex<Vec<Weak<Presence>>> = Mutex::new(Vec::new());

impl Presence {
    /// Records that this process uses the region (the shared lock is held).
    pub(crate) fn register(file: File, files: RegionFiles, mode: u32) -> Arc<Presence> {
        let presence = Arc::new(Presence {
            file,
            files,
            mode,
            detached: Mutex::new(false),
        });
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|weak| weak.strong_count() > 0);
        open.push(Arc::downgrade(&presence));
        presence
    }

    pub(crate) fn files(&self) -> &RegionFiles {
        &self.files
    }

    pub(crate) fn attached_processes(&self) -> Option<usize> {
        attached_processes(&self.file)
    }

    pub(crate) fn mode(&self) -> u32 {
        self.mode
    }

    /// Stops using the region; the last process out removes its files.
    /// Best effort: a failure leaves files that the next process treats as
    /// stale (nobody holds them), so nothing is lost.
    fn detach(&self) {
        let mut detached = self.detached.lock().unwrap_or_else(PoisonError::into_inner);
        if *detached {
            return;
        }
        *detached = true;
        let Ok(setup) = SetupLock::acquire(&self.files.guard, self.mode) else {
            return;
        };
        let _ = self.file.unlock();
        let ours = files::is_same_file(&self.file, &self.files.region);
        let last = ours && matches!(in_use(&self.file, &self.files.region), Ok(false));
        if last {
            if !self.files.persistent {
                files::remove_if_exists(&self.files.region);
            }
            self.files.remove_stale_mutex_file();
            setup.remove();
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        // Inside the gate: a signal arriving now waits for this close to end
        // (this presence can no longer be found by `exit_closing_regions`).
        let _gate = open_gate();
        self.detach();
    }
}

/// How many processes hold the region file `file` open as users (a shared
/// presence lock), read from `/proc/locks`; `None` where that is not available.
pub(crate) fn attached_processes(file: &File) -> Option<usize> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let id = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let mut pids: Vec<&str> = locks
        .lines()
        .filter(|line| !line.contains("->"))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "1: FLOCK ADVISORY READ 1234 00:1a:5678 0 EOF"
            match fields.as_slice() {
                [_, "FLOCK", _, "READ", pid, file_id, ..] if *file_id == id => Some(*pid),
                _ => None,
            }
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    Some(pids.len())
}

/// Held (shared) by every open from its first file operation until the region
/// is registered; [`exit_closing_regions`] takes it exclusively, so no open
/// can slip between its clean-up and the end of the process.
static EXIT_GATE: RwLock<()> = RwLock::new(());

/// Enters the gate for one open.
pub(crate) fn open_gate() -> RwLockReadGuard<'static, ()> {
    EXIT_GATE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Ends the process with `code` after leaving every region it has open
/// exactly as dropping them would (the last process out removes the region
/// and its mutex file).
///
/// For a signal handler (destructors do not run when a signal ends a
/// process). Opens in progress on other threads finish and are closed too;
/// opens that have not started never start.
pub fn exit_closing_regions(code: i32) -> ! {
    let _gate = EXIT_GATE.write().unwrap_or_else(PoisonError::into_inner);
    let open: Vec<Arc<Presence>> = OPEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for presence in open {
        presence.detach();
    }
    std::process::exit(code)
}
