//! What only Linux has: named objects are files in a directory
//! ([`default_dir`], `/dev/shm` where it exists), created with a mode
//! ([`DEFAULT_MODE`], owner-only) and accepted only from their owner unless
//! shared with a group; a region can be observed without joining it; a bare
//! word of shared memory can be slept on (a futex).
//!
//! ```
//! use shared::os::linux::{MutexOptionsExt, RegionExt, RegionOptionsExt};
//! use shared::{MutexOptions, RegionName, RegionOptions};
//!
//! let dir = std::env::temp_dir();
//! let name = RegionName::new(&format!("linux-doc-{}", std::process::id()))?;
//! let region = RegionOptions::named(&name).dir(&dir).mode(0o600).size(4096).create_or_open()?;
//! assert_eq!(region.dir(), dir);
//! assert!(dir.join(name.as_str()).exists(), "a file in the directory asked for");
//! // The mutex beside it takes the region's directory and mode ...
//! let beside = MutexOptions::for_region(&region).create(false)?;
//! assert!(dir.join(format!("{name}mutex")).exists());
//! // ... or one of its own.
//! let elsewhere = MutexOptions::named(&RegionName::new(&format!("{name}-jobs"))?).dir(&dir).create(false)?;
//! # drop((beside, elsewhere));
//! // An observer looks without joining: it is not counted, and removes nothing.
//! let observer = RegionOptions::named(&name).dir(&dir).observe()?;
//! assert!(observer.is_observer() && observer.is_read_only());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use super::sealed::Sealed;
use crate::{MutexOptions, ObjectError, Region, RegionOptions};

mod listing;

pub use super::listed::{ListedObject, ObjectKind};
pub use crate::platform::linux::settings::{default_dir, DEFAULT_MODE};
pub use crate::platform::linux::word_waker::{wait_while_equal, wake_all};
pub use listing::{list_objects, remove_stale_objects};

/// Linux settings of a [`RegionOptions`]: where a named region's files go,
/// their mode, group sharing, block reservation, and observing.
pub trait RegionOptionsExt: Sealed {
    /// The directory of a named region (default [`default_dir`]; ignored
    /// for [`RegionOptions::file`], whose files are beside the file).
    fn dir(self, dir: impl Into<PathBuf>) -> Self;

    /// The permission bits of the files this call creates (default
    /// [`DEFAULT_MODE`], 0600).
    fn mode(self, mode: u32) -> Self;

    /// Shares the region with the users of this process's group: creates its
    /// files with mode 0660, and accepts files of another user when they
    /// belong to one of this process's groups, are group read-write, and are
    /// not writable by everyone. Without it (the default), a file owned by
    /// another user is refused before anything is read from or locked on it
    /// ([`Failure::NotYours`](crate::Failure::NotYours)): in a directory every user can write, such
    /// as `/dev/shm`, it may be a squatter's. Both sides must ask for sharing,
    /// and the files must belong to the shared group: run both sides with it
    /// as their effective group (`newgrp`, `sg`), or use a directory whose
    /// set-group-id bit gives new files its group. A group member can still
    /// shrink a shared file under you (your accesses then fail with
    /// [`ViewError::Truncated`](crate::ViewError::Truncated) and the turn and
    /// mutex words stop reaching the others), which is why sharing is opt-in. The directory itself is not checked: use one that only trusted
    /// users can write, or a sticky one such as `/dev/shm`.
    fn share_with_group(self) -> Self;

    /// Whether to reserve the blocks of the file (default `true`): those of a
    /// file this call creates or grows, and the holes of an existing file it
    /// opens for writing. A full `/dev/shm` is then an error here
    /// ([`Failure::NoSpace`](crate::Failure::NoSpace)) instead of a page
    /// lost on a later access ([`ViewError::Truncated`](crate::ViewError::Truncated),
    /// where the kernel would raise `SIGBUS`). Turn it off for a sparse file
    /// larger than the space at hand.
    fn reserve(self, reserve: bool) -> Self;

    /// Opens the region read-only as an **observer**: it never registers as a
    /// user, never locks or removes anything, and works on a region whose
    /// users have all died (to examine what they left). Other processes do not
    /// see it: the last user out still removes a named region under it (its
    /// mapping stays readable until it is dropped), and a file region's file
    /// may be re-created smaller with [`FileMode::Create`](crate::FileMode::Create)
    /// while observed, after which reading past its new end fails with
    /// [`ViewError::Truncated`](crate::ViewError::Truncated).
    ///
    /// (Windows has no observer: every handle to a section keeps it alive.
    /// A read-only look there is [`Access::Read`](crate::Access::Read) with
    /// `open_existing`.)
    ///
    /// # Errors
    /// [`Failure::NotFound`](crate::Failure::NotFound) when there is no region file;
    /// [`Failure::NotOurs`](crate::Failure::NotOurs) when a named region's file is not vouched
    /// for by its companion; [`Failure::PermissionDenied`](crate::Failure::PermissionDenied), [`Failure::Io`](crate::Failure::Io).
    fn observe(&self) -> Result<Region, ObjectError>;
}

impl RegionOptionsExt for RegionOptions {
    fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.platform_mut().dir = Some(dir.into());
        self
    }

    fn mode(mut self, mode: u32) -> Self {
        self.platform_mut().mode = mode;
        self
    }

    fn share_with_group(mut self) -> Self {
        self.platform_mut().share_with_group();
        self
    }

    fn reserve(mut self, reserve: bool) -> Self {
        self.platform_mut().reserve = reserve;
        self
    }

    fn observe(&self) -> Result<Region, ObjectError> {
        let inner = crate::platform::region::observe(&self.spec()).map_err(ObjectError::region)?;
        Ok(Region::of(inner))
    }
}

/// Linux settings of a [`MutexOptions`]: where its files go, their mode,
/// and group sharing.
pub trait MutexOptionsExt: Sealed {
    /// The directory of the mutex's files (default [`default_dir`]).
    fn dir(self, dir: impl Into<PathBuf>) -> Self;

    /// The permission bits of the files this call creates (default
    /// [`DEFAULT_MODE`], 0600).
    fn mode(self, mode: u32) -> Self;

    /// Shares the mutex with the users of this process's group, as
    /// [`RegionOptionsExt::share_with_group`] does for a region (mode 0660;
    /// group-shared files of others accepted).
    fn share_with_group(self) -> Self;

    /// Makes the mutex .NET's own named mutex on Linux, in `scope`, instead of
    /// this library's lock file: the very `System.Threading.Mutex` a .NET
    /// program of the same name opens there (.NET Core 2.0 to .NET 10,
    /// CoreCLR, on x86_64 glibc). Everything [`NamedMutex`](crate::NamedMutex)
    /// does works as for the lock file, with .NET's semantics:
    /// `created_new`, ownership at creation only, waits with timeouts,
    /// abandonment both ways (a .NET holder that died is
    /// [`Acquired::Abandoned`](crate::Acquired::Abandoned) here, with its
    /// pid; a Rust holder that died is `AbandonedMutexException` there).
    ///
    /// Its file is .NET's: `/tmp/.dotnet/shm/session<SID>/NAME` (or
    /// `global/NAME`, see [`DotnetScope`]), made open to all users as .NET
    /// makes it; [`dir`](MutexOptionsExt::dir), [`mode`](MutexOptionsExt::mode)
    /// and [`share_with_group`](MutexOptionsExt::share_with_group) do not
    /// apply to it. A process that ends by a signal leaves the file behind,
    /// as .NET does; the next create finds it unused and makes it anew.
    ///
    /// Opening it fails with [`Failure::BadOptions`](crate::Failure::BadOptions)
    /// off x86_64 glibc, and with [`Failure::NotOurs`](crate::Failure::NotOurs)
    /// where a live file of another layout is (a .NET of the lock-file mode,
    /// or .NET 11); waiting for .NET's creation lock is bounded by
    /// [`MutexOptions::timeout`].
    ///
    /// ```
    /// use shared::os::linux::{DotnetScope, MutexOptionsExt};
    /// use shared::{MutexOptions, RegionName};
    /// # let jobs = RegionName::new(&format!("jobs-dotnet-doc-{}", std::process::id()))?;
    /// // new Mutex(true, "jobs", out bool createdNew), as a .NET program on Linux calls it
    /// let created = MutexOptions::named(&jobs).dotnet(DotnetScope::ThisSession).create(true)?;
    /// assert!(created.created_new && created.guard.is_some());
    /// assert!(created.mutex.path().starts_with("/tmp/.dotnet/shm"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn dotnet(self, scope: DotnetScope) -> Self;
}

impl MutexOptionsExt for MutexOptions {
    fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.platform_mut().dir = Some(dir.into());
        self
    }

    fn mode(mut self, mode: u32) -> Self {
        self.platform_mut().mode = mode;
        self
    }

    fn share_with_group(mut self) -> Self {
        self.platform_mut().share_with_group();
        self
    }

    fn dotnet(mut self, scope: DotnetScope) -> Self {
        self.platform_mut().dotnet = Some(scope);
        self
    }
}

/// What a Linux [`Region`] is on disk, and whether it joined.
pub trait RegionExt: Sealed {
    /// The directory of the region's file and its companion files.
    fn dir(&self) -> &Path;

    /// The mode its files were created with (and a mutex made
    /// [`for_region`](MutexOptions::for_region) gets).
    fn mode(&self) -> u32;

    /// Whether this handle is an observer ([`RegionOptionsExt::observe`]):
    /// not registered as a user, removing nothing.
    fn is_observer(&self) -> bool;
}

impl RegionExt for Region {
    fn dir(&self) -> &Path {
        self.inner().dir()
    }

    fn mode(&self) -> u32 {
        self.inner().mode()
    }

    fn is_observer(&self) -> bool {
        self.inner().is_observer()
    }
}

pub use crate::platform::linux::dotnet_mutex::{
    DotnetCreated, DotnetGuard, DotnetMutex, DotnetMutexError, DotnetScope,
};
