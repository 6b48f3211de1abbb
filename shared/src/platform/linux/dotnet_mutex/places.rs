//! Where .NET keeps its named mutexes on Linux, and the locks around them:
//! the scopes' directories under `/tmp/.dotnet/shm`, how a name resolves to
//! a file, and the creation lock (`flock` on `/tmp/.dotnet/shm`).

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{io_error, DotnetMutexError, MAX_NAME_BYTES};
use crate::platform::proc_locks::lock_holders;
use crate::platform::wait::Deadline;

/// The system directory .NET puts its shared files under (never `TMPDIR`).
pub(crate) const SHARED_FILES_DIR: &str = "/tmp";
/// `.dotnet` under it.
pub(crate) const RUNTIME_DIR: &str = "/tmp/.dotnet";
/// `.dotnet/shm`: the directory of the scopes, and the creation lock.
pub(crate) const SHM_DIR: &str = "/tmp/.dotnet/shm";

/// Where .NET keeps the mutex `name` for a process of session `session`.
///
/// # Errors
/// [`DotnetMutexError::InvalidName`] for a name .NET refuses.
pub(crate) fn resolve(name: &str, session: u32) -> Result<(PathBuf, PathBuf), DotnetMutexError> {
    let invalid = |reason| DotnetMutexError::InvalidName {
        name: name.to_owned(),
        reason,
    };
    let (scope, file_name) = match name.strip_prefix("Global\\") {
        Some(rest) => ("global".to_owned(), rest),
        None => (
            format!("session{session}"),
            name.strip_prefix("Local\\").unwrap_or(name),
        ),
    };
    if file_name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if file_name.len() > MAX_NAME_BYTES {
        return Err(invalid("it is too long"));
    }
    if file_name.contains(['/', '\\']) {
        return Err(invalid("it contains / or \\"));
    }
    if file_name.contains('\0') {
        return Err(invalid("it contains a NUL byte"));
    }
    let dir = Path::new(SHM_DIR).join(scope);
    let path = dir.join(file_name);
    Ok((dir, path))
}

/// Where a .NET named mutex lives on Linux: which scope's directory under
/// `/tmp/.dotnet/shm` (see [`MutexOptionsExt::dotnet`](crate::os::linux::MutexOptionsExt::dotnet)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DotnetScope {
    /// This process's login session, as a plain .NET name (or `Local\NAME`)
    /// resolves: `/tmp/.dotnet/shm/session<SID>/NAME`, SID from `getsid`.
    #[default]
    ThisSession,
    /// Another login session's directory, `/tmp/.dotnet/shm/session<SID>/NAME`:
    /// for meeting a .NET program started in another terminal, which named
    /// its mutex in its own session (find it with
    /// [`DotnetMutex::live_sessions`](crate::os::linux::DotnetMutex::live_sessions), or `ps -o sid= -p PID`).
    Session(u32),
    /// The machine: `Global\NAME` in .NET, `/tmp/.dotnet/shm/global/NAME`.
    Global,
}

impl DotnetScope {
    /// The name .NET would be given for `name` in this scope, and the
    /// session whose directory it resolves to.
    pub(crate) fn dotnet_name(self, name: &str) -> (String, u32) {
        match self {
            DotnetScope::ThisSession => (name.to_owned(), session_id()),
            DotnetScope::Session(session) => (name.to_owned(), session),
            DotnetScope::Global => (format!("Global\\{name}"), session_id()),
        }
    }
}

/// This process's session, as .NET names its directory (`getsid` as a
/// `u32`; a failure reads as all ones, as in .NET).
pub(crate) fn session_id() -> u32 {
    crate::platform::sys::session_id() as u32
}

/// Opens a mutex file for reading and writing (`create`: a new one, mode
/// 0666 as .NET makes it), never through a symbolic link and never
/// blocking on a FIFO, and only a regular file: .NET's directories are open
/// to every user, and another one may have put anything at the path.
///
/// # Errors
/// The system's error (`NotFound` when there is nothing at the path);
/// `InvalidInput` for a symbolic link or anything but a regular file.
pub(crate) fn open_regular(path: &Path, write: bool, create: bool) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .create_new(create)
        .mode(0o666)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => not_regular(),
            _ => error,
        })?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (a symbolic link, a FIFO, a device or a directory is never followed or used)",
    )
}

/// Retries a file-lock call that a signal interrupted.
pub(crate) fn retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// `LOCK_EX|LOCK_NB` on `file`: whether it was free (and is now taken).
pub(crate) fn try_exclusive(file: &File) -> io::Result<bool> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(TryLockError::WouldBlock) => return Ok(false),
            Err(TryLockError::Error(error)) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(TryLockError::Error(error)) => return Err(error),
        }
    }
}

/// Checks or makes one of .NET's all-users directories (`/tmp/.dotnet`,
/// `/tmp/.dotnet/shm`) as `EnsureDirectoryExists` does without the
/// creation lock: made under a temporary name, opened to all, renamed.
fn ensure_shared_dir(path: &Path) -> Result<(), DotnetMutexError> {
    if fs::symlink_metadata(path).is_err() {
        let temp = Path::new(SHARED_FILES_DIR).join(format!(
            ".coreclr.{}{:x}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
        ));
        DirBuilder::new()
            .mode(0o700)
            .create(&temp)
            .map_err(io_error("create the directory", &temp))?;
        if let Err(source) = fs::set_permissions(&temp, fs::Permissions::from_mode(0o777)) {
            let _ = fs::remove_dir(&temp);
            return Err(io_error("open to all users", &temp)(source));
        }
        if fs::rename(&temp, path).is_err() {
            // Another process made it first.
            let _ = fs::remove_dir(&temp);
        }
    }
    check_shared_dir(path)
}

/// An existing all-users directory: a directory, opened to all users (made
/// so when it is not and we may), else at least usable by its owner.
///
/// Never through a symbolic link (another user could point it at a
/// directory of ours, which the chmod would open to everyone), and only a
/// directory of this user's is chmod-ed.
pub(crate) fn check_shared_dir(path: &Path) -> Result<(), DotnetMutexError> {
    let meta = fs::symlink_metadata(path).map_err(io_error("look at the directory", path))?;
    if !meta.is_dir() {
        return Err(io_error("use as a directory", path)(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory (a symbolic link or a file is never followed or used)",
        )));
    }
    let mode = meta.permissions().mode();
    let ours = meta.uid() == crate::platform::sys::effective_uid();
    if mode & 0o777 == 0o777
        || (ours && fs::set_permissions(path, fs::Permissions::from_mode(0o777)).is_ok())
        || (ours && mode & 0o700 == 0o700)
    {
        return Ok(());
    }
    Err(io_error("use the directory", path)(io::Error::from(
        io::ErrorKind::PermissionDenied,
    )))
}

/// How often a wait for the creation lock looks again.
const CREATION_LOCK_POLL: Duration = Duration::from_millis(2);

/// How long a close waits for the creation lock before it leaves the file
/// to the next open (which finds it stale and makes it anew, as .NET does).
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// `flock(LOCK_EX)` on `/tmp/.dotnet/shm`: .NET's creation and deletion lock.
pub(crate) struct CreationLock {
    dir: File,
}

impl CreationLock {
    /// Makes .NET's directories as .NET does, then takes the lock, waiting
    /// for it until `until`.
    pub(crate) fn acquire(until: Deadline) -> Result<CreationLock, DotnetMutexError> {
        let tmp = Path::new(SHARED_FILES_DIR);
        let meta = fs::metadata(tmp).map_err(io_error("look at", tmp))?;
        if !meta.is_dir() || meta.permissions().mode() & 0o700 != 0o700 {
            return Err(io_error("use", tmp)(io::Error::from(
                io::ErrorKind::PermissionDenied,
            )));
        }
        ensure_shared_dir(Path::new(RUNTIME_DIR))?;
        ensure_shared_dir(Path::new(SHM_DIR))?;
        Self::take(until)
    }

    /// Takes the lock on the existing directory, waiting for it until
    /// `until`: it looks again every [`CREATION_LOCK_POLL`], since another
    /// user may hold it as long as they like.
    pub(crate) fn take(until: Deadline) -> Result<CreationLock, DotnetMutexError> {
        let path = Path::new(SHM_DIR);
        let dir = File::open(path).map_err(io_error("open the directory", path))?;
        while !try_exclusive(&dir).map_err(io_error("lock the directory", path))? {
            if until.passed() {
                return Err(DotnetMutexError::TimedOut {
                    path: path.to_owned(),
                    holder: lock_holders(&dir, "WRITE").and_then(|pids| pids.first().copied()),
                });
            }
            std::thread::sleep(until.left().min(CREATION_LOCK_POLL));
        }
        Ok(CreationLock { dir })
    }
}

impl Drop for CreationLock {
    fn drop(&mut self) {
        let _ = retry(|| self.dir.unlock());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_dotnet_resolves_them() {
        let (dir, path) = resolve("testmapmutex", 42).expect("valid");
        assert_eq!(dir, Path::new("/tmp/.dotnet/shm/session42"));
        assert_eq!(path, Path::new("/tmp/.dotnet/shm/session42/testmapmutex"));
        let (_, path) = resolve("Local\\jobs", 7).expect("valid");
        assert_eq!(path, Path::new("/tmp/.dotnet/shm/session7/jobs"));
        let (dir, path) = resolve("Global\\jobs", 7).expect("valid");
        assert_eq!(dir, Path::new("/tmp/.dotnet/shm/global"));
        assert_eq!(path, Path::new("/tmp/.dotnet/shm/global/jobs"));
        // Only one prefix is taken off: what remains must still be valid.
        assert!(resolve("Global\\Local\\jobs", 7).is_err());
        assert!(resolve("Local\\Global\\jobs", 7).is_err());
    }

    #[test]
    fn names_dotnet_refuses_are_refused() {
        for name in ["", "Global\\", "Local\\", "a/b", "a\\b", "nul\0"] {
            assert!(
                matches!(resolve(name, 1), Err(DotnetMutexError::InvalidName { .. })),
                "{name:?}"
            );
        }
        assert!(resolve(&"n".repeat(255), 1).is_ok());
        assert!(resolve(&"n".repeat(256), 1).is_err());
        assert!(resolve(&format!("Global\\{}", "n".repeat(255)), 1).is_ok());
    }
}
