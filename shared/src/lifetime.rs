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

use std::fs::File;
use std::path::{Path, PathBuf};

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
