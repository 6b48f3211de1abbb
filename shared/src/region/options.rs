//! How to find, create or open a region: the builder ending in `create_new()`,
//! `open_existing()`, `create_or_open()`, `create_from_file()` or `observe()`.

use std::path::PathBuf;
use std::time::Duration;

use super::Region;
use crate::error::RegionError;
use crate::name::RegionName;
use crate::sync::Until;

/// Default mode of the files this crate creates: owner read/write only.
pub const DEFAULT_MODE: u32 = 0o600;

/// .NET `MemoryMappedFileAccess`: what this process may do with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Read and write (.NET `ReadWrite`, the default).
    #[default]
    ReadWrite,
    /// Read only (.NET `Read`): the bytes are mapped without write
    /// permission and every write is refused with
    /// [`ViewError::ReadOnly`](crate::ViewError::ReadOnly).
    Read,
}

/// .NET `FileMode`, for a region over a file ([`RegionOptions::file`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileMode {
    /// The file must exist (.NET `Open`, the default); its bytes are kept.
    #[default]
    Open,
    /// The file must not exist; it is created (.NET `CreateNew`).
    CreateNew,
    /// The file is created, or opened with its bytes kept (.NET `OpenOrCreate`).
    OpenOrCreate,
    /// The file is created, or truncated to nothing and then sized to the
    /// capacity: its old bytes are lost (.NET `Create`).
    Create,
}

/// Which owners' objects an open accepts (Linux: the files' owners; Windows
/// leaves access to the kernel objects' default security).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Trust {
    /// Only files owned by this process's effective user (the default).
    #[default]
    Owner,
    /// Also group-shared files of users in one of this process's groups.
    Group,
}

/// How an open treats a region (or mutex) that exists, or does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// .NET `CreateNew`.
    CreateNew,
    /// .NET `OpenExisting`.
    OpenExisting,
    /// .NET `CreateOrOpen`.
    CreateOrOpen,
}

/// Where a region's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// Non-persistent: `DIR/NAME`, removed by the last process out.
    Named { dir: Option<PathBuf>, name: RegionName },
    /// Persistent: a file the user names, kept after every process exits.
    File(PathBuf),
}

/// Where a region lives and how to create or open it, as in .NET.
///
/// ```
/// use shared::{RegionName, RegionOptions};
/// # let testmap = format!("testmap-doc-{}", std::process::id());
/// let name = RegionName::new(&testmap)?;
/// // MemoryMappedFile.CreateOrOpen("testmap", 10000)
/// let region = RegionOptions::named(&name).size(10_000).create_or_open()?;
/// assert!(region.created_new());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegionOptions {
    pub(crate) location: Location,
    pub(crate) size: u64,
    pub(crate) mode: u32,
    pub(crate) access: Access,
    pub(crate) file_mode: FileMode,
    pub(crate) reserve: bool,
    pub(crate) trust: Trust,
    pub(crate) timeout: Option<Duration>,
}

impl RegionOptions {
    /// A non-persistent region called `name` (in [`default_dir`](crate::default_dir) unless
    /// [`RegionOptions::dir`] says otherwise): removed when the last process
    /// using it closes it or dies.
    pub fn named(name: &RegionName) -> Self {
        Self::at(Location::Named {
            dir: None,
            name: name.clone(),
        })
    }

    /// A persistent region over the file at `path` (.NET `CreateFromFile`):
    /// any existing file of any content, whose bytes are the region's and stay
    /// after every process exits. The library's own files (`.NAME.meta`,
    /// `.NAME.guard`) live beside it while it is in use.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::at(Location::File(path.into()))
    }

    fn at(location: Location) -> Self {
        RegionOptions {
            location,
            size: 0,
            mode: DEFAULT_MODE,
            access: Access::ReadWrite,
            file_mode: FileMode::Open,
            reserve: true,
            trust: Trust::Owner,
            timeout: None,
        }
    }

    /// The directory of a named region (ignored for [`RegionOptions::file`]).
    ///
    /// On Windows this has no meaning and is ignored: named regions are
    /// kernel objects, not files.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        if let Location::Named { dir: d, .. } = &mut self.location {
            *d = Some(dir.into());
        }
        self
    }

    /// .NET `capacity`: the size in bytes of a region this call creates, at
    /// least 1. For a file, 0 (the default) means the file's own size, and a
    /// larger capacity grows the file; an existing named region keeps its own
    /// size.
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// The permission bits of the files this call creates (default 0600).
    ///
    /// On Windows this has no meaning and is ignored: named regions are
    /// kernel objects, not files.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Shares the region with the users of this process's group: creates its
    /// files with mode 0660, and accepts files of another user when they
    /// belong to one of this process's groups, are group read-write, and are
    /// not writable by everyone. Without it (the default), a file owned by
    /// another user is refused before anything is read from or locked on it
    /// ([`RegionError::NotYours`]): in a directory every user can write, such
    /// as `/dev/shm`, it may be a squatter's. Both sides must ask for sharing,
    /// and the files must belong to the shared group: run both sides with it
    /// as their effective group (`newgrp`, `sg`), or use a directory whose
    /// set-group-id bit gives new files its group. A group member can still
    /// shrink a shared file under you (a `SIGBUS`), which is why sharing is
    /// opt-in. The directory itself is not checked: use one that only trusted
    /// users can write, or a sticky one such as `/dev/shm`.
    ///
    /// On Windows this has no meaning and is ignored: named regions are
    /// kernel objects, not files.
    pub fn share_with_group(mut self) -> Self {
        self.trust = Trust::Group;
        self.mode = 0o660;
        self
    }

    /// The longest this open may wait for a lock another process holds (the
    /// setup lock, the presence lock); default: as long as it takes (a signal
    /// handler calling [`exit_closing_regions`](crate::exit_closing_regions)
    /// still ends the wait at once). Past it: [`RegionError::TimedOut`], with
    /// the holder's pid. On Windows opening never waits for another
    /// process, so there is nothing to bound.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// What this process may do with the bytes (default [`Access::ReadWrite`]).
    /// [`Access::Read`] opens only: it cannot create or grow anything.
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// How [`RegionOptions::create_from_file`] treats the file (default
    /// [`FileMode::Open`]).
    pub fn file_mode(mut self, file_mode: FileMode) -> Self {
        self.file_mode = file_mode;
        self
    }

    /// Whether to reserve the blocks of a file this call creates or grows
    /// (default `true`): a full `/dev/shm` is then an error here
    /// ([`RegionError::NoSpace`]) instead of a `SIGBUS` on a later write. Turn
    /// it off for a sparse file larger than the space at hand.
    ///
    /// On Windows this has no meaning and is ignored: named regions are
    /// kernel objects, not files.
    pub fn reserve(mut self, reserve: bool) -> Self {
        self.reserve = reserve;
        self
    }

    /// Whether these options name a file ([`RegionOptions::file`], opened with
    /// [`RegionOptions::create_from_file`]) rather than a named region.
    pub fn is_file(&self) -> bool {
        matches!(self.location, Location::File(_))
    }

    /// .NET `MemoryMappedFile.CreateNew`: creates the region.
    ///
    /// # Errors
    /// [`RegionError::AlreadyExists`] when a live process has it open; see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn create_new(&self) -> Result<Region, RegionError> {
        self.open_named(Disposition::CreateNew)
    }

    /// .NET `MemoryMappedFile.OpenExisting`: opens a region a live process created.
    ///
    /// # Errors
    /// [`RegionError::NotFound`] when no live process has it open (never
    /// created, or all its users exited or died); see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn open_existing(&self) -> Result<Region, RegionError> {
        self.open_named(Disposition::OpenExisting)
    }

    /// .NET `MemoryMappedFile.CreateOrOpen`: opens the region, creating it when
    /// no live process has it. A region whose users all died starts fresh.
    ///
    /// # Errors
    /// - [`RegionError::BadSize`]: creating with size 0 (call [`RegionOptions::size`]);
    /// - [`RegionError::BadOptions`]: a file region ([`RegionOptions::file`]:
    ///   use [`RegionOptions::create_from_file`]), or creating with [`Access::Read`];
    /// - [`RegionError::NotARegion`]: a file that is not ours is at the path
    ///   (left untouched);
    /// - [`RegionError::NoSpace`]: the directory cannot hold the region;
    /// - [`RegionError::PermissionDenied`], [`RegionError::Io`]: the system refused.
    pub fn create_or_open(&self) -> Result<Region, RegionError> {
        self.open_named(Disposition::CreateOrOpen)
    }

    /// .NET `MemoryMappedFile.CreateFromFile(path, mode, name, capacity, access)`:
    /// maps the file of [`RegionOptions::file`] as [`RegionOptions::file_mode`]
    /// says. Capacity ([`RegionOptions::size`]) 0 means the file's size; a
    /// larger one grows the file (never while others map it); a smaller one is
    /// an error, as in .NET. The bytes change in place and stay after exit.
    ///
    /// # Errors
    /// - [`RegionError::NoSuchFile`]: [`FileMode::Open`] and no such file;
    /// - [`RegionError::AlreadyExists`]: [`FileMode::CreateNew`] and the file
    ///   exists, or [`FileMode::Create`] while others use it;
    /// - [`RegionError::BadSize`]: capacity 0 on an empty file or with
    ///   [`FileMode::Create`] (checked before the file is touched), a capacity
    ///   smaller than the file, or a capacity other users' size does not match;
    /// - [`RegionError::BadOptions`]: a named region ([`RegionOptions::named`]),
    ///   or [`Access::Read`] with a mode that creates or a capacity that grows;
    /// - [`RegionError::NotARegion`]: a directory, FIFO or link at the path;
    /// - [`RegionError::NoSpace`], [`RegionError::PermissionDenied`], [`RegionError::Io`].
    pub fn create_from_file(&self) -> Result<Region, RegionError> {
        let Location::File(path) = &self.location else {
            return Err(RegionError::BadOptions {
                reason:
                    "create_from_file needs RegionOptions::file(path); use create_or_open for a named region",
            });
        };
        if self.access == Access::Read && self.file_mode != FileMode::Open {
            return Err(RegionError::BadOptions {
                reason: "a read-only region can only open an existing file (FileMode::Open)",
            });
        }
        self.check_size_fits_a_file()?;
        if self.file_mode == FileMode::Create && self.size == 0 {
            // Checked before the file is opened: Create empties it.
            return Err(RegionError::BadSize {
                size: 0,
                reason: "FileMode::Create empties the file, so it needs a capacity: give one with RegionOptions::size",
            });
        }
        Ok(Region::of(crate::os::region::create_from_file(self, path)?))
    }

    /// Opens the region read-only as an **observer**: it never registers as a
    /// user, never locks or removes anything, and works on a region whose
    /// users have all died (to examine what they left). Other processes do not
    /// see it: the last user out still removes a named region under it (its
    /// mapping stays readable until it is dropped), and a file region's file
    /// may be re-created smaller with [`FileMode::Create`] while observed, after
    /// which reading past its new end raises `SIGBUS`: observe files that
    /// nobody truncates.
    ///
    /// On Windows an observer is a read-only open: its handle keeps the
    /// section alive as every handle does, and
    /// [`Region::is_observer`](crate::Region::is_observer) is `false`.
    ///
    /// # Errors
    /// [`RegionError::NotFound`] when there is no region file;
    /// [`RegionError::NotARegion`] when a named region's file is not vouched
    /// for by its companion; [`RegionError::PermissionDenied`], [`RegionError::Io`].
    pub fn observe(&self) -> Result<Region, RegionError> {
        Ok(Region::of(crate::os::region::observe(self)?))
    }

    /// .NET `CreateFromFile`'s capacity rules for a file of `len` bytes:
    /// the capacity (0 asked: the file's size), and whether the file must
    /// grow to it. Both backends grow it themselves.
    pub(crate) fn file_capacity(&self, len: u64) -> Result<(u64, bool), RegionError> {
        let capacity = match self.size {
            0 => len,
            asked => asked,
        };
        if capacity == 0 {
            return Err(RegionError::BadSize {
                size: 0,
                reason: "the file is empty: give a capacity with RegionOptions::size",
            });
        }
        if capacity < len {
            return Err(RegionError::BadSize {
                size: capacity,
                reason: "the capacity is smaller than the file (use 0 for the file's size)",
            });
        }
        let grow = capacity > len;
        if grow && self.access == Access::Read {
            return Err(RegionError::BadOptions {
                reason: "a read-only region cannot grow its file: ask for capacity 0",
            });
        }
        Ok((capacity, grow))
    }

    /// Refuses a size no file can have (past `i64::MAX` bytes), before anything is created.
    pub(crate) fn check_size_fits_a_file(&self) -> Result<(), RegionError> {
        if i64::try_from(self.size).is_err() {
            return Err(RegionError::BadSize {
                size: self.size,
                reason: "no file can be that large (the limit is 2^63 - 1 bytes)",
            });
        }
        Ok(())
    }

    #[cfg_attr(windows, allow(dead_code))] // for the Linux lock waits
    pub(crate) fn until(&self) -> Until {
        Until::after(self.timeout.unwrap_or(Duration::MAX))
    }

    fn open_named(&self, how: Disposition) -> Result<Region, RegionError> {
        if matches!(self.location, Location::File(_)) {
            return Err(RegionError::BadOptions {
                reason: "a region over a file opens with create_from_file (.NET CreateFromFile)",
            });
        }
        if how != Disposition::OpenExisting {
            self.check_size_fits_a_file()?;
            if self.access == Access::Read {
                return Err(RegionError::BadOptions {
                    reason: "a read-only region can only be opened (open_existing)",
                });
            }
            if self.size == 0 {
                return Err(RegionError::BadSize {
                    size: 0,
                    reason: "a region needs at least 1 byte: give its size with RegionOptions::size",
                });
            }
        }
        Ok(Region::of(crate::os::region::open_named(self, how)?))
    }
}
