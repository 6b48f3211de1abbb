//! Linux named mutexes, of two kinds: this library's own lock file (the
//! default, [`super::lock_file_mutex`]) and .NET's own named mutex
//! ([`super::dotnet_mutex`], asked for with `os::linux::MutexOptionsExt::dotnet`),
//! which .NET programs on Linux share. The portable layer sees one mutex:
//! this module sends each call to the kind's own.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::dotnet_mutex::{DotnetMutexError, DotnetMutexInner, Took};
use super::lock_file_mutex::{LockFileHold, LockFileMutex, LockFileTaken};
use crate::error::Failure;
use crate::platform::request::{Disposition, MutexSpec};
use crate::platform::taken::Taken;

/// Which mutex this is, however its path is spelled: its file's device and
/// inode.
pub(crate) type MutexId = (u64, u64);

/// One process's hold on a named mutex, of either kind.
#[derive(Debug)]
pub(crate) enum MutexInner {
    /// This library's lock file.
    LockFile(LockFileMutex),
    /// .NET's own named mutex.
    Dotnet(DotnetMutexInner),
}

/// The ownership of the mutex while it is held.
#[derive(Debug)]
pub(crate) enum MutexLock {
    /// A lock file's `flock`.
    LockFile(LockFileHold),
    /// .NET's pthread mutex, owned by the thread that took it (the portable
    /// guard, not `Send`, keeps the release on that thread).
    Dotnet,
}

impl MutexInner {
    /// Creates or opens the mutex `request` names, of the kind its settings
    /// say; with `initially_owned`, a mutex this call creates is taken
    /// before anyone else can open it. Returns whether this call created it.
    pub(crate) fn open(
        request: &MutexSpec,
        how: Disposition,
        initially_owned: bool,
    ) -> Result<(Arc<MutexInner>, bool, Option<Taken>), Failure> {
        let Some(scope) = request.platform.dotnet else {
            let (inner, created_new, taken) = LockFileMutex::open(request, how, initially_owned)?;
            return Ok((
                Arc::new(MutexInner::LockFile(inner)),
                created_new,
                taken.map(from_lock_file),
            ));
        };
        let (name, session) = scope.dotnet_name(request.name);
        let create = !matches!(how, Disposition::OpenExisting);
        let until = request.deadline();
        let (inner, created_new, took) =
            DotnetMutexInner::open(&name, session, create, initially_owned, until)
                .map_err(|error| from_dotnet(request.name, error))?;
        if matches!(how, Disposition::CreateNew) && !created_new {
            return Err(Failure::AlreadyExists {
                path: inner.path().to_owned(),
            });
        }
        Ok((
            Arc::new(MutexInner::Dotnet(inner)),
            created_new,
            took.map(from_dotnet_took),
        ))
    }

    /// The mutex name.
    pub(crate) fn name(&self) -> &str {
        match self {
            MutexInner::LockFile(mutex) => mutex.name(),
            MutexInner::Dotnet(mutex) => mutex.name(),
        }
    }

    /// Its file: the lock file, or .NET's file under `/tmp/.dotnet/shm`.
    pub(crate) fn path(&self) -> &Path {
        match self {
            MutexInner::LockFile(mutex) => mutex.path(),
            MutexInner::Dotnet(mutex) => mutex.path(),
        }
    }

    /// Which mutex this is.
    pub(crate) fn id(&self) -> MutexId {
        match self {
            MutexInner::LockFile(mutex) => mutex.id(),
            MutexInner::Dotnet(mutex) => mutex.id(),
        }
    }

    /// The holder's pid (a dead holder's until the next owner takes over).
    pub(crate) fn holder_pid(&self) -> Option<u32> {
        match self {
            MutexInner::LockFile(mutex) => mutex.holder_pid(),
            MutexInner::Dotnet(mutex) => mutex.holder_pid(),
        }
    }

    /// Takes the mutex if it is free.
    pub(crate) fn try_lock(&self) -> Result<Option<Taken>, Failure> {
        self.lock_within(Duration::ZERO)
    }

    /// Waits at most `timeout` for the mutex.
    pub(crate) fn lock_within(&self, timeout: Duration) -> Result<Option<Taken>, Failure> {
        match self {
            MutexInner::LockFile(mutex) if timeout.is_zero() => Ok(mutex.try_lock()?.map(from_lock_file)),
            MutexInner::LockFile(mutex) => Ok(mutex.lock_within(timeout)?.map(from_lock_file)),
            MutexInner::Dotnet(mutex) => Ok(mutex
                .lock(Some(timeout))
                .map_err(|error| from_dotnet(mutex.name(), error))?
                .map(from_dotnet_took)),
        }
    }

    /// Releases the mutex (the portable guard calls this on the owning thread).
    pub(crate) fn release(&self, lock: MutexLock) {
        match (self, lock) {
            (MutexInner::LockFile(mutex), MutexLock::LockFile(hold)) => mutex.release(hold),
            (MutexInner::Dotnet(mutex), MutexLock::Dotnet) => mutex.unlock(),
            // A lock of one kind is only ever taken from a mutex of that kind.
            (_, lock) => drop(lock),
        }
    }
}

fn from_lock_file((hold, dead_holder): LockFileTaken) -> Taken {
    Taken {
        lock: MutexLock::LockFile(hold),
        abandoned: dead_holder.is_some(),
        dead_holder,
    }
}

fn from_dotnet_took(took: Took) -> Taken {
    Taken {
        lock: MutexLock::Dotnet,
        abandoned: took.abandoned,
        dead_holder: took.dead_holder,
    }
}

/// What a failure of .NET's mutex is in the library's terms.
fn from_dotnet(name: &str, error: DotnetMutexError) -> Failure {
    match error {
        DotnetMutexError::NotFound { path } => Failure::NotFound { path },
        DotnetMutexError::AlreadyOwned { .. } => Failure::AlreadyOwned {
            name: name.to_owned(),
        },
        DotnetMutexError::TimedOut { path, holder } => Failure::TimedOut {
            what: ".NET's creation lock",
            path,
            holder,
        },
        DotnetMutexError::LayoutMismatch { path, found } => Failure::NotOurs {
            path,
            reason: format!(
                "it is in use but is not a .NET named mutex of the layout this library speaks \
                 (type 0, version 1: .NET Core 2.0 to .NET 10 on x86_64 glibc): {found}"
            ),
        },
        DotnetMutexError::Io { path, source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
            Failure::PermissionDenied { path }
        }
        DotnetMutexError::Io { action, path, source } => Failure::Io { action, path, source },
        DotnetMutexError::Unsupported { .. } => Failure::BadOptions {
            reason:
                ".NET's named mutex is matched on x86_64 Linux with glibc only, and this build is not one",
        },
        DotnetMutexError::InvalidName { .. } => Failure::BadOptions {
            reason: "the name is not one .NET accepts for a mutex on Linux",
        },
        other @ (DotnetMutexError::NotRecoverable { .. } | DotnetMutexError::Truncated { .. }) => {
            Failure::Lock {
                name: name.to_owned(),
                source: io::Error::other(other.to_string()),
            }
        }
    }
}
