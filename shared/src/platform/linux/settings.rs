//! What only a Linux named object has: the directory of its files, their
//! mode, whose files it accepts, and whether its blocks are reserved. The
//! portable builders carry these as one value, set through
//! [`crate::os::linux`].

use std::path::{Path, PathBuf};

use super::dotnet_mutex::DotnetScope;

/// Default mode of the files this crate creates: owner read/write only.
pub const DEFAULT_MODE: u32 = 0o600;

/// The directory regions and mutexes live in by default: `/dev/shm`
/// (memory-backed) where it exists, the system's temporary directory
/// otherwise.
pub fn default_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Which owners' files an open accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Trust {
    /// Only files owned by this process's effective user (the default).
    #[default]
    Owner,
    /// Also group-shared files of users in one of this process's groups.
    Group,
}

/// A named object's file settings (a region's or a mutex's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectSettings {
    /// The directory of a named object; [`default_dir`] when `None`.
    pub(crate) dir: Option<PathBuf>,
    /// The permission bits of the files an open creates.
    pub(crate) mode: u32,
    /// Whose files it accepts.
    pub(crate) trust: Trust,
    /// Whether to reserve the blocks of a file it creates or grows (regions).
    pub(crate) reserve: bool,
    /// A mutex that is .NET's own named mutex, in this scope, instead of a
    /// lock file (mutexes only; `None`: this library's lock file).
    pub(crate) dotnet: Option<DotnetScope>,
}

impl Default for ObjectSettings {
    fn default() -> Self {
        ObjectSettings {
            dir: None,
            mode: DEFAULT_MODE,
            trust: Trust::Owner,
            reserve: true,
            dotnet: None,
        }
    }
}

impl ObjectSettings {
    /// The directory a named object lives in.
    pub(crate) fn dir_or_default(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(default_dir)
    }

    /// Group sharing: files created 0660, group-shared files of others accepted.
    pub(crate) fn share_with_group(&mut self) {
        self.trust = Trust::Group;
        self.mode = 0o660;
    }
}
