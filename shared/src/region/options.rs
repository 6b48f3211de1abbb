//! How to find, create or open a region: the builder ending in `create_new()`,
//! `open_existing()`, `create_or_open()` or `create_from_file()` (and, on
//! Linux, `observe()` of `os::linux::RegionOptionsExt`).

use std::path::PathBuf;
use std::time::Duration;

use super::Region;
use crate::error::{Failure, ObjectError};
use crate::name::RegionName;
use crate::platform::request::{Access, Disposition, FileMode, Location, RegionSpec};
use crate::platform::ObjectSettings;

/// Where a region's bytes are (what [`Location`] borrows).
#[derive(Debug, Clone)]
enum Place {
    /// Non-persistent: removed by the last process out.
    Named(RegionName),
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
    location: Place,
    size: u64,
    access: Access,
    file_mode: FileMode,
    timeout: Option<Duration>,
    /// What only the platform has (Linux: directory, mode, trust, reserve).
    platform: ObjectSettings,
}

impl RegionOptions {
    /// A non-persistent region called `name`: removed when the last process
    /// using it closes it or dies. On Linux it is a file in
    /// `os::linux::default_dir` unless
    /// `os::linux::RegionOptionsExt::dir`
    /// says otherwise; on Windows the kernel's named section `name`.
    pub fn named(name: &RegionName) -> Self {
        Self::at(Place::Named(name.clone()))
    }

    /// A persistent region over the file at `path` (.NET `CreateFromFile`):
    /// any existing file of any content, whose bytes are the region's and stay
    /// after every process exits. The library's own files (`.NAME.meta`,
    /// `.NAME.guard`) live beside it while it is in use.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::at(Place::File(path.into()))
    }

    fn at(location: Place) -> Self {
        RegionOptions {
            location,
            size: 0,
            access: Access::ReadWrite,
            file_mode: FileMode::Open,
            timeout: None,
            platform: ObjectSettings::default(),
        }
    }

    /// .NET `capacity`: the size in bytes of a region this call creates, at
    /// least 1. For a file, 0 (the default) means the file's own size, and a
    /// larger capacity grows the file; an existing named region keeps its own
    /// size.
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// The longest this open may wait for a lock another process holds (the
    /// setup lock, the presence lock); default: as long as it takes (a signal
    /// handler calling [`exit_closing_regions`](crate::exit_closing_regions)
    /// still ends the wait at once). Past it: [`Failure::TimedOut`], with
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

    /// The name of a named region ([`RegionOptions::named`]); `None` for a
    /// file region.
    pub fn name(&self) -> Option<&RegionName> {
        match &self.location {
            Place::Named(name) => Some(name),
            Place::File(_) => None,
        }
    }

    /// Whether these options name a file ([`RegionOptions::file`], opened with
    /// [`RegionOptions::create_from_file`]) rather than a named region.
    pub fn is_file(&self) -> bool {
        matches!(self.location, Place::File(_))
    }

    /// .NET `MemoryMappedFile.CreateNew`: creates the region.
    ///
    /// # Errors
    /// An [`ObjectError`] about the region ([`Object::Region`](crate::Object::Region)), whose
    /// [`failure`](ObjectError::failure) is:
    /// [`Failure::AlreadyExists`] when a live process has it open; see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn create_new(&self) -> Result<Region, ObjectError> {
        self.open_named(Disposition::CreateNew)
            .map_err(ObjectError::region)
    }

    /// .NET `MemoryMappedFile.OpenExisting`: opens a region a live process created.
    ///
    /// # Errors
    /// An [`ObjectError`] about the region ([`Object::Region`](crate::Object::Region)), whose
    /// [`failure`](ObjectError::failure) is:
    /// [`Failure::NotFound`] when no live process has it open (never
    /// created, or all its users exited or died); see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn open_existing(&self) -> Result<Region, ObjectError> {
        self.open_named(Disposition::OpenExisting)
            .map_err(ObjectError::region)
    }

    /// .NET `MemoryMappedFile.CreateOrOpen`: opens the region, creating it when
    /// no live process has it. A region whose users all died starts fresh.
    ///
    /// # Errors
    /// An [`ObjectError`] about the region ([`Object::Region`](crate::Object::Region)), whose
    /// [`failure`](ObjectError::failure) is:
    /// - [`Failure::BadSize`]: creating with size 0 (call [`RegionOptions::size`]),
    ///   or an existing region smaller than the size asked (it is not
    ///   grown, and fewer bytes than asked are never handed back; a larger
    ///   existing region is opened at its own size, as .NET does);
    /// - [`Failure::BadOptions`]: a file region ([`RegionOptions::file`]:
    ///   use [`RegionOptions::create_from_file`]), or creating with [`Access::Read`];
    /// - [`Failure::NotOurs`]: something that is not ours is at the name (a
    ///   file no companion vouches for; on Windows a kernel object of another
    ///   kind), left untouched;
    /// - [`Failure::NoSpace`]: no room for the region (the directory on
    ///   Linux, the system's commit limit on Windows);
    /// - [`Failure::TimedOut`], [`Failure::Interrupted`] (Linux): the wait for
    ///   another process's setup lock ran past [`RegionOptions::timeout`], or
    ///   the process began to leave on a signal;
    /// - [`Failure::NotYours`] (Linux): a file of another user at one of the
    ///   region's paths;
    /// - [`Failure::PermissionDenied`], [`Failure::Io`]: the system refused.
    pub fn create_or_open(&self) -> Result<Region, ObjectError> {
        self.open_named(Disposition::CreateOrOpen)
            .map_err(ObjectError::region)
    }

    /// .NET `MemoryMappedFile.CreateFromFile(path, mode, name, capacity, access)`:
    /// maps the file of [`RegionOptions::file`] as [`RegionOptions::file_mode`]
    /// says. Capacity ([`RegionOptions::size`]) 0 means the file's size; a
    /// larger one grows the file (never while others map it); a smaller one is
    /// an error, as in .NET. The bytes change in place and stay after exit.
    ///
    /// # Errors
    /// An [`ObjectError`] about the region ([`Object::Region`](crate::Object::Region)), whose
    /// [`failure`](ObjectError::failure) is:
    /// - [`Failure::NoSuchFile`]: [`FileMode::Open`] and no such file;
    /// - [`Failure::AlreadyExists`]: [`FileMode::CreateNew`] and the file
    ///   exists, or [`FileMode::Create`] while others use it;
    /// - [`Failure::BadSize`]: capacity 0 on an empty file or with
    ///   [`FileMode::Create`] (checked before the file is touched), a capacity
    ///   smaller than the file, or a capacity other users' size does not match;
    /// - [`Failure::BadOptions`]: a named region ([`RegionOptions::named`]),
    ///   or [`Access::Read`] with a mode that creates or a capacity that grows;
    /// - [`Failure::NotOurs`]: a directory, FIFO or link at the path;
    /// - [`Failure::NoSpace`], [`Failure::PermissionDenied`], [`Failure::Io`].
    pub fn create_from_file(&self) -> Result<Region, ObjectError> {
        self.open_file().map_err(ObjectError::region)
    }

    fn open_file(&self) -> Result<Region, Failure> {
        if !self.is_file() {
            return Err(Failure::BadOptions {
                reason:
                    "create_from_file needs RegionOptions::file(path); use create_or_open for a named region",
            });
        }
        if self.access == Access::Read && self.file_mode != FileMode::Open {
            return Err(Failure::BadOptions {
                reason: "a read-only region can only open an existing file (FileMode::Open)",
            });
        }
        self.check_size_fits_a_file()?;
        if self.file_mode == FileMode::Create && self.size == 0 {
            // Checked before the file is opened: Create empties it.
            return Err(Failure::BadSize {
                size: 0,
                reason: "FileMode::Create empties the file, so it needs a capacity: give one with RegionOptions::size",
            });
        }
        Ok(Region::of(crate::platform::region::create_from_file(
            &self.spec(),
        )?))
    }

    /// Refuses a size no file can have (past `i64::MAX` bytes), before anything is created.
    fn check_size_fits_a_file(&self) -> Result<(), Failure> {
        if i64::try_from(self.size).is_err() {
            return Err(Failure::BadSize {
                size: self.size,
                reason: "no file can be that large (the limit is 2^63 - 1 bytes)",
            });
        }
        Ok(())
    }

    fn open_named(&self, how: Disposition) -> Result<Region, Failure> {
        if self.is_file() {
            return Err(Failure::BadOptions {
                reason: "a region over a file opens with create_from_file (.NET CreateFromFile)",
            });
        }
        if how != Disposition::OpenExisting {
            self.check_size_fits_a_file()?;
            if self.access == Access::Read {
                return Err(Failure::BadOptions {
                    reason: "a read-only region can only be opened (open_existing)",
                });
            }
            if self.size == 0 {
                return Err(Failure::BadSize {
                    size: 0,
                    reason: "a region needs at least 1 byte: give its size with RegionOptions::size",
                });
            }
        }
        let region = Region::of(crate::platform::region::open_named(&self.spec(), how)?);
        if how == Disposition::CreateOrOpen && region.size() < self.size {
            // Both platforms refuse rather than hand back fewer bytes than
            // asked for (whose ends the caller would find by failing).
            return Err(Failure::BadSize {
                size: self.size,
                reason:
                    "a smaller region of this name exists: ask for its size (or less), or use another name",
            });
        }
        Ok(region)
    }

    /// The request a backend takes: these options, borrowed.
    pub(crate) fn spec(&self) -> RegionSpec<'_> {
        RegionSpec {
            location: match &self.location {
                Place::Named(name) => Location::Named(name.as_str()),
                Place::File(path) => Location::File(path),
            },
            size: self.size,
            access: self.access,
            file_mode: self.file_mode,
            timeout: self.timeout,
            platform: &self.platform,
        }
    }

    /// What only the platform has, for the platform's extension traits.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Windows has none
    pub(crate) fn platform_mut(&mut self) -> &mut ObjectSettings {
        &mut self.platform
    }
}
