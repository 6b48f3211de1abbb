//! What can go wrong with a named object, a region or a mutex: one
//! [`Failure`] for both, carried in an [`ObjectError`] that says which
//! [`Object`] it was about.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::platform;

/// Creating, opening or locking a named object failed: which object, and
/// what went wrong.
///
/// Regions and mutexes fail in the same ways (not found, already there, not
/// ours, refused, timed out), so they share one [`Failure`]; the error adds
/// which [`Object`] it was, for the message and for a program that reports
/// them differently. Match on [`failure`](ObjectError::failure):
///
/// ```
/// use shared::{Failure, Object, RegionName, RegionOptions};
///
/// let name = RegionName::new(&format!("never-created-{}", std::process::id())).unwrap();
/// let error = RegionOptions::named(&name).open_existing().unwrap_err();
/// assert_eq!(error.object(), Object::Region);
/// assert!(matches!(error.failure(), Failure::NotFound { .. }));
/// println!("{error}"); // no shared-memory region at …: no running process has created it …
/// ```
#[derive(Debug)]
pub struct ObjectError {
    object: Object,
    failure: Failure,
}

/// Which kind of named object an [`ObjectError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Object {
    /// A shared-memory region ([`Region`](crate::Region)).
    Region,
    /// A named mutex ([`NamedMutex`](crate::NamedMutex)).
    Mutex,
}

impl Object {
    /// What the messages call it: "shared-memory region" or "mutex".
    pub fn noun(self) -> &'static str {
        match self {
            Object::Region => "shared-memory region",
            Object::Mutex => "mutex",
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// What went wrong with a named object (see [`ObjectError`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// No live process has the object open (it was never created, or every
    /// process using it has exited or died). .NET:
    /// `FileNotFoundException` for a map, `WaitHandleCannotBeOpenedException`
    /// for a mutex.
    NotFound {
        /// Where it was looked for: its file on Linux, its kernel name on
        /// Windows.
        path: PathBuf,
    },
    /// [`FileMode::Open`](crate::FileMode::Open): there is no file at the path.
    NoSuchFile {
        /// The file asked for.
        path: PathBuf,
    },
    /// `create_new` (or a file's `CreateNew`): the object or file already
    /// exists; or `Create` over a file that others map.
    AlreadyExists {
        /// The object's file or kernel name.
        path: PathBuf,
    },
    /// Something this library did not create is at the path: another
    /// program's file (no companion vouches for it), a directory, a FIFO, a
    /// symbolic link, a companion of another layout version; on Windows a
    /// kernel object of another kind (a mutex where a mapping was asked for,
    /// or the other way round). It was left untouched.
    NotOurs {
        /// The path or name in question.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The object's file was removed by another program while processes
    /// still use the object (Linux: Python's resource tracker does that
    /// after a plain `SharedMemory(name=...)` attach; see `docs/library.md`).
    /// Its users keep their mappings until they close it; nobody can join
    /// it, and once the last user has closed it the name can be created
    /// again.
    Removed {
        /// Where the file was.
        path: PathBuf,
    },
    /// There is no room for the object.
    NoSpace {
        /// The object's file or kernel name.
        path: PathBuf,
        /// The size that did not fit.
        size: u64,
    },
    /// The operating system refused access.
    PermissionDenied {
        /// The file, directory or kernel name refused.
        path: PathBuf,
    },
    /// A file at one of the object's paths belongs to another user (who may
    /// be squatting the name): it was neither read, written nor locked.
    /// Linux only: Windows keeps each session's names apart itself.
    ///
    /// Its [`Refusal`] tells whether group sharing was asked for: a program
    /// that offers sharing under its own flag can match
    /// [`Refusal::NotShared`] and name that flag.
    NotYours {
        /// The file.
        path: PathBuf,
        /// Its owner's uid.
        #[cfg(target_os = "linux")]
        #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
        uid: u32,
        /// Why it was refused, with the owner's name when known; its
        /// `Display` is the whole explanation.
        message: Refusal,
    },
    /// The deadline given with [`RegionOptions::timeout`](crate::RegionOptions::timeout)
    /// or [`MutexOptions::timeout`](crate::MutexOptions::timeout) passed
    /// while waiting for a lock another process holds.
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
    /// A wait by the thread that already owns the mutex: waiting would never
    /// end. Drop the guard you hold first.
    AlreadyOwned {
        /// The mutex name.
        name: String,
    },
    /// The lock or wait call itself failed.
    Lock {
        /// The mutex name.
        name: String,
        /// The system's error.
        source: io::Error,
    },
    /// Any other I/O failure.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or name involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Why a file of another user was refused ([`Failure::NotYours`]): whose it
/// is, and whether sharing it with the group was asked for. Its `Display`
/// says what went wrong and what to do, in the library's terms.
///
/// ```
/// use std::path::PathBuf;
/// use shared::Refusal;
///
/// let refusal = Refusal::NotShared {
///     path: PathBuf::from("/dev/shm/testmap"),
///     owner: "user mallory (uid 1002)".to_owned(),
/// };
/// assert!(refusal.to_string().starts_with("/dev/shm/testmap belongs to user mallory (uid 1002), not to you"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Sharing was not asked for: the file is another user's, who may be
    /// squatting the name. Use another name or directory, or share
    /// deliberately with `share_with_group()` (Linux's `RegionOptionsExt`
    /// and `MutexOptionsExt`) on both sides.
    NotShared {
        /// The file.
        path: PathBuf,
        /// Its owner: `user NAME (uid N)`, or `uid N` without a login name.
        owner: String,
    },
    /// Sharing with the group was asked for, but it does not cover this
    /// file.
    CannotShare {
        /// The file.
        path: PathBuf,
        /// Its owner: `user NAME (uid N)`, or `uid N` without a login name.
        owner: String,
        /// Why sharing does not cover it (`it is writable by every user`,
        /// `it is not group readable and writable`, `its group is not one
        /// of yours`).
        why: &'static str,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotShared { path, owner } => write!(
                f,
                "{} belongs to {owner}, not to you; it was neither read nor written (another user may be squatting the name): use another name or directory, or share deliberately with share_with_group() (RegionOptionsExt, MutexOptionsExt) on both sides",
                path.display()
            ),
            Refusal::CannotShare { path, owner, why } => write!(
                f,
                "{} belongs to {owner} and cannot be shared: {why}; it was neither read nor written",
                path.display()
            ),
        }
    }
}

impl ObjectError {
    pub(crate) fn new(object: Object, failure: Failure) -> Self {
        ObjectError { object, failure }
    }

    pub(crate) fn region(failure: Failure) -> Self {
        Self::new(Object::Region, failure)
    }

    pub(crate) fn mutex(failure: Failure) -> Self {
        Self::new(Object::Mutex, failure)
    }

    /// Which object failed: a region or a mutex.
    pub fn object(&self) -> Object {
        self.object
    }

    /// What went wrong.
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// What went wrong, taken out of the error.
    pub fn into_failure(self) -> Failure {
        self.failure
    }
}

impl Failure {
    /// An I/O error, as [`Failure::PermissionDenied`] when it is one.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::PermissionDenied => Failure::PermissionDenied { path },
            _ => Failure::Io { action, path, source },
        }
    }

    pub(crate) fn not_ours(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        Failure::NotOurs {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// The system call behind a lock or wait failed.
    pub(crate) fn lock(name: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Failure::Lock {
            name: name.to_owned(),
            source: io::Error::other(source),
        }
    }

    /// The message, naming the object ("named object" when unknown).
    fn describe(&self, object: Option<Object>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = object.map_or("named object", Object::noun);
        match self {
            Failure::NotFound { path } => write!(
                f,
                "no {noun} at {}: no running process has created it (create it first, or {})",
                path.display(),
                platform::LOOK_AGAIN
            ),
            Failure::NoSuchFile { path } => write!(
                f,
                "no file at {}: FileMode::Open maps an existing file (use OpenOrCreate or CreateNew to create one)",
                path.display()
            ),
            Failure::AlreadyExists { path } => write!(
                f,
                "the {noun} {} already exists and is in use; pick another name",
                path.display()
            ),
            Failure::NotOurs { path, reason } => write!(
                f,
                "{} is not a {noun} this library can vouch for ({reason}); it was left untouched: pick {}",
                path.display(),
                platform::ANOTHER_PLACE
            ),
            Failure::Removed { path } => write!(
                f,
                "the file of the {noun} {} was removed by another program while processes still use it (Python's resource tracker does that after a plain SharedMemory attach): nobody can join it; once its users have closed it, the name can be created again",
                path.display()
            ),
            Failure::NoSpace { path, size } => {
                let (any, region) = platform::MAKE_ROOM;
                let hint = if object == Some(Object::Region) { region } else { any };
                write!(f, "no space for a {size}-byte {noun} at {}: {hint}", path.display())
            }
            Failure::PermissionDenied { path } => write!(
                f,
                "permission denied on {}: it belongs to another user or its permissions forbid access; use {}",
                path.display(),
                platform::ANOTHER_PLACE
            ),
            Failure::NotYours { message, .. } => write!(f, "{message}"),
            Failure::TimedOut { what, path, holder } => {
                write!(f, "gave up waiting for {what} ({}){}", path.display(), held_by(*holder))
            }
            Failure::Interrupted { path } => {
                write!(f, "interrupted while waiting for {}; nothing was opened", path.display())
            }
            Failure::BadSize { size, reason } => {
                write!(f, "a {noun} of {size} bytes is not possible here: {reason}")
            }
            Failure::BadOptions { reason } => write!(f, "these {noun} options do not go together: {reason}"),
            Failure::AlreadyOwned { name } => write!(
                f,
                "this thread already owns the mutex {name}; waiting for it again would never end (release it first)"
            ),
            Failure::Lock { name, source } => write!(f, "could not lock the mutex {name}: {source}"),
            Failure::Io { action, path, source } => {
                write!(f, "could not {action} {}: {source}", path.display())
            }
        }
    }

    fn source_error(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Lock { source, .. } | Failure::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.failure.describe(Some(self.object), f)
    }
}

impl std::error::Error for ObjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failure.source_error()
    }
}

impl fmt::Display for Failure {
    /// The message without knowing the object ("named object").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(None, f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source_error()
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
