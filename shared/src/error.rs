//! The library's errors: one enum per concern, each message saying what went
//! wrong and what to do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Creating or opening a region failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RegionError {
    /// No live process has the region open (it was never created, or every
    /// process using it has exited or died), or no file is at the path.
    NotFound {
        /// Where the region file was looked for.
        path: PathBuf,
    },
    /// [`FileMode::Open`](crate::FileMode::Open): there is no file at the path.
    NoSuchFile {
        /// The file asked for.
        path: PathBuf,
    },
    /// `create_new` (or a file's `CreateNew`): the region or file already
    /// exists; or `Create` over a file that others map.
    AlreadyExists {
        /// The region file.
        path: PathBuf,
    },
    /// Something this library did not create is at the path: another
    /// program's file (no companion vouches for it), a directory, a FIFO, a
    /// symbolic link, a companion of another layout version. It was left
    /// untouched.
    NotARegion {
        /// The path in question.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The region's directory has no room for the region.
    NoSpace {
        /// The region file.
        path: PathBuf,
        /// The size that did not fit.
        size: u64,
    },
    /// The operating system refused access.
    PermissionDenied {
        /// The file or directory refused.
        path: PathBuf,
    },
    /// A file at one of the region's paths belongs to another user (who may
    /// be squatting the name): it was neither read, written nor locked.
    NotYours {
        /// The file.
        path: PathBuf,
        /// Its owner's uid.
        uid: u32,
        /// The whole explanation, with the owner's name when known.
        message: String,
    },
    /// The deadline given with [`RegionOptions::timeout`](crate::RegionOptions::timeout)
    /// passed while waiting for a lock another process holds.
    TimedOut {
        /// What was waited for.
        what: &'static str,
        /// The lock file.
        path: PathBuf,
        /// The pid holding it, when known.
        holder: Option<u32>,
    },
    /// The process began to exit (a signal) while the open waited.
    Interrupted {
        /// The file waited for.
        path: PathBuf,
    },
    /// The size (capacity) cannot be used.
    BadSize {
        /// The size asked for.
        size: u64,
        /// Why not.
        reason: &'static str,
    },
    /// Options that do not go together.
    BadOptions {
        /// What is wrong.
        reason: &'static str,
    },
    /// Any other I/O failure.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl RegionError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::PermissionDenied => RegionError::PermissionDenied { path },
            _ => RegionError::Io { action, path, source },
        }
    }

    pub(crate) fn not_a_region(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        RegionError::NotARegion {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::NotFound { path } => write!(
                f,
                "no shared-memory region at {}: no running process has created it (create it first, or check the name and directory)",
                path.display()
            ),
            RegionError::NoSuchFile { path } => write!(
                f,
                "no file at {}: FileMode::Open maps an existing file (use OpenOrCreate or CreateNew to create one)",
                path.display()
            ),
            RegionError::AlreadyExists { path } => write!(
                f,
                "the region {} already exists and is in use; pick another name",
                path.display()
            ),
            RegionError::NotARegion { path, reason } => write!(
                f,
                "{} is not a shared-memory region of this library ({reason}); it was left untouched: pick another name or directory",
                path.display()
            ),
            RegionError::NoSpace { path, size } => write!(
                f,
                "no space for a {size}-byte region at {}: free space there, use another directory, or do not reserve the pages",
                path.display()
            ),
            RegionError::PermissionDenied { path } => write!(
                f,
                "permission denied on {}: it belongs to another user or its mode forbids access; use another name or directory",
                path.display()
            ),
            RegionError::NotYours { message, .. } => f.write_str(message),
            RegionError::TimedOut { what, path, holder } => {
                write!(f, "gave up waiting for {what} ({}){}", path.display(), held_by(*holder))
            }
            RegionError::Interrupted { path } => {
                write!(f, "interrupted while waiting for {}; nothing was opened", path.display())
            }
            RegionError::BadSize { size, reason } => {
                write!(f, "a region of {size} bytes is not possible here: {reason}")
            }
            RegionError::BadOptions { reason } => write!(f, "these region options do not go together: {reason}"),
            RegionError::Io { action, path, source } => {
                write!(f, "could not {action} {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for RegionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegionError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A view was asked for, or used, outside its window, or written read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewError {
    /// The view itself does not fit inside the region.
    OutsideRegion {
        /// Requested view offset in the region.
        offset: u64,
        /// Requested view length.
        len: u64,
        /// The region's size.
        region_size: u64,
    },
    /// An access does not fit inside the view.
    OutsideView {
        /// Offset of the access inside the view.
        offset: u64,
        /// Size of the access in bytes.
        size: u64,
        /// The view's length.
        view_len: u64,
    },
    /// A write through a read-only view or region.
    ReadOnly,
    /// The system refused what sleeping on a word needs (on Windows, the
    /// named semaphore and count beside the region).
    Wake {
        /// The word's offset in the region.
        offset: u64,
        /// The system's error.
        reason: String,
    },
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::OutsideRegion { offset, len, region_size } => write!(
                f,
                "a view of {len} bytes at offset {offset} does not fit in a region of {region_size} bytes"
            ),
            ViewError::OutsideView { offset, size, view_len } => write!(
                f,
                "an access of {size} bytes at view offset {offset} does not fit in a view of {view_len} bytes; nothing was read or written"
            ),
            ViewError::ReadOnly => write!(
                f,
                "this view or region is read-only; nothing was written (a region opened with Access::ReadWrite writes; an observer never does)"
            ),
            ViewError::Wake { offset, reason } => write!(
                f,
                "cannot set up wake-ups for the word at offset {offset}: {reason}"
            ),
        }
    }
}

impl std::error::Error for ViewError {}

impl From<ViewError> for io::Error {
    fn from(error: ViewError) -> Self {
        let kind = match error {
            ViewError::ReadOnly => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}

/// Creating, opening or taking a named mutex failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MutexError {
    /// `open_existing`: no live process has the mutex open (.NET
    /// `WaitHandleCannotBeOpenedException`).
    NotFound {
        /// The mutex name.
        name: String,
    },
    /// Something this library did not create is at the mutex's path; left
    /// untouched.
    NotALockFile {
        /// The path in question.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A wait by the thread that already owns the mutex: waiting would never
    /// end. Drop the guard you hold first.
    AlreadyOwned {
        /// The mutex name.
        name: String,
    },
    /// The lock call itself failed.
    Lock {
        /// The mutex name.
        name: String,
        /// The system's error.
        source: io::Error,
    },
    /// The operating system refused access.
    PermissionDenied {
        /// The file refused.
        path: PathBuf,
    },
    /// A file at one of the mutex's paths belongs to another user (who may
    /// be squatting the name): it was neither read, written nor locked.
    NotYours {
        /// The file.
        path: PathBuf,
        /// Its owner's uid.
        uid: u32,
        /// The whole explanation, with the owner's name when known.
        message: String,
    },
    /// The deadline given with [`MutexOptions::timeout`](crate::MutexOptions::timeout)
    /// passed while waiting for a lock another process holds.
    TimedOut {
        /// What was waited for.
        what: &'static str,
        /// The lock file.
        path: PathBuf,
        /// The pid holding it, when known.
        holder: Option<u32>,
    },
    /// The process began to exit (a signal) while the open waited.
    Interrupted {
        /// The file waited for.
        path: PathBuf,
    },
    /// Any other I/O failure on the mutex's files.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl MutexError {
    /// The system call behind a lock or wait failed.
    pub(crate) fn lock(name: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        MutexError::Lock {
            name: name.to_owned(),
            source: io::Error::other(source),
        }
    }
}

impl fmt::Display for MutexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutexError::NotFound { name } => write!(
                f,
                "the mutex {name} does not exist: no running process has created it (create it first, or check the name and directory)"
            ),
            MutexError::NotALockFile { path, reason } => write!(
                f,
                "{} is not a mutex of this library ({reason}); it was left untouched: pick another name or directory",
                path.display()
            ),
            MutexError::AlreadyOwned { name } => write!(
                f,
                "this thread already owns the mutex {name}; waiting for it again would never end (release it first)"
            ),
            MutexError::Lock { name, source } => write!(f, "could not lock the mutex {name}: {source}"),
            MutexError::PermissionDenied { path } => write!(
                f,
                "permission denied on {}: it belongs to another user or its mode forbids access; use another name or directory",
                path.display()
            ),
            MutexError::NotYours { message, .. } => f.write_str(message),
            MutexError::TimedOut { what, path, holder } => {
                write!(f, "gave up waiting for {what} ({}){}", path.display(), held_by(*holder))
            }
            MutexError::Interrupted { path } => {
                write!(f, "interrupted while waiting for {}; nothing was opened", path.display())
            }
            MutexError::Io { action, path, source } => {
                write!(f, "could not {action} the mutex file {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for MutexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MutexError::Lock { source, .. } => Some(source),
            MutexError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// ", held by pid N (user X)" when the holder is known.
fn held_by(holder: Option<u32>) -> String {
    match holder {
        Some(pid) => format!(
            ", held by pid {pid}{}",
            crate::platform::describe_process_owner(pid)
        ),
        None => String::new(),
    }
}
