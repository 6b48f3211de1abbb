//! Why .NET's named mutex could not be created, opened or waited for.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// .NET's longest mutex name (`_MAX_FNAME - 1`), in bytes, after its
/// prefix: longer ones are [`DotnetMutexError::InvalidName`].
pub(crate) const MAX_NAME_BYTES: usize = 255;

/// Why .NET's named mutex could not be created, opened or waited for.
#[derive(Debug)]
#[non_exhaustive]
pub enum DotnetMutexError {
    /// This target's layout is not the one .NET's files have.
    Unsupported {
        /// What differs.
        reason: &'static str,
    },
    /// The name is not one .NET accepts.
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `open_existing`: no live process has the mutex open.
    NotFound {
        /// The file looked for.
        path: PathBuf,
    },
    /// A live file at the path that is not a version-1 .NET named mutex.
    LayoutMismatch {
        /// The file.
        path: PathBuf,
        /// What it holds instead.
        found: String,
    },
    /// This thread owns the mutex already.
    AlreadyOwned {
        /// The file.
        path: PathBuf,
    },
    /// A previous owner died and the next one released the mutex without
    /// making it consistent: the system refuses every wait on it now.
    NotRecoverable {
        /// The file.
        path: PathBuf,
    },
    /// The deadline passed while another process held .NET's creation lock
    /// (`flock` on `/tmp/.dotnet/shm`), which .NET holds only for the
    /// moment of a create, open or close.
    TimedOut {
        /// The directory whose lock was waited for.
        path: PathBuf,
        /// The pid holding it, when `/proc/locks` shows it.
        holder: Option<u32>,
    },
    /// Another process shortened the mutex file while it was in use: the
    /// mutex no longer excludes anyone, and every wait on it fails.
    Truncated {
        /// The file.
        path: PathBuf,
    },
    /// A system call failed.
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl fmt::Display for DotnetMutexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DotnetMutexError::Unsupported { reason } => write!(
                f,
                ".NET's named mutex is matched on x86_64 Linux with glibc only ({reason}); \
                 on this target share a lock another way (a file lock, or run the Rust side as x86_64 glibc)"
            ),
            DotnetMutexError::InvalidName { name, reason } => write!(
                f,
                "'{name}' is not a name .NET accepts for a mutex on Linux: {reason} \
                 (1 to {MAX_NAME_BYTES} bytes after an optional Global\\ or Local\\, without / or \\)"
            ),
            DotnetMutexError::NotFound { path } => write!(
                f,
                "no process has the .NET mutex {} open; start the program that creates it first, \
                 in the same login session (or name it Global\\... on both sides)",
                path.display()
            ),
            DotnetMutexError::LayoutMismatch { path, found } => write!(
                f,
                "{} is in use but is not a .NET named mutex of the layout this library speaks \
                 (type 0, version 1: .NET Core 2.0 to .NET 10 on x86_64 glibc): {found}; \
                 use another name, or stop the program that uses it",
                path.display()
            ),
            DotnetMutexError::AlreadyOwned { path } => write!(
                f,
                "this thread owns the .NET mutex {} already; release it (drop the guard) before waiting again",
                path.display()
            ),
            DotnetMutexError::NotRecoverable { path } => write!(
                f,
                "the .NET mutex {} is not recoverable: an owner died and the next released it \
                 without marking it consistent; close every program that has it open, so that it is made anew",
                path.display()
            ),
            DotnetMutexError::TimedOut { path, holder } => write!(
                f,
                "gave up waiting for .NET's creation lock on {}: {} has held it for the whole timeout \
                 (.NET holds it only for a moment); stop it, or wait longer",
                path.display(),
                match holder {
                    Some(pid) => format!("process {pid}"),
                    None => format!("another process (find it with `fuser {}`)", path.display()),
                }
            ),
            DotnetMutexError::Truncated { path } => write!(
                f,
                "the .NET mutex file {} was shortened by another process while in use: it no longer \
                 excludes anyone; close every program that has it open, so that it is made anew",
                path.display()
            ),
            DotnetMutexError::Io { action, path, source } => {
                write!(f, "could not {action} {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for DotnetMutexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DotnetMutexError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The error for a failed system call `action` on `path`.
pub(crate) fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> DotnetMutexError + 'a {
    move |source| DotnetMutexError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
