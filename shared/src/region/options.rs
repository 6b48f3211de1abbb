//! How to find, create or open a region: the builder ending in `create_new()`,
//! `open_existing()`, `create_or_open()`, `create_from_file()` or `observe()`.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{default_dir, Region};
use crate::error::RegionError;
use crate::files::{self, Create};
use crate::name::RegionName;
use crate::object::lifetime::{self, SetupLock};
use crate::object::meta::{Header, Kind};
use crate::object::{self, Attached, Disposition, MetaState, ObjectError, ObjectFiles, Spec};
use crate::ownership::Trust;
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

#[derive(Debug, Clone)]
enum Location {
    /// Non-persistent: `DIR/NAME`, removed by the last process out.
    Named { dir: Option<PathBuf>, name: RegionName },
    /// Persistent: a file the user names, kept after every process exits.
    File(PathBuf),
}

/// Where a region lives and how to create or open it, as in .NET.
///
/// ```no_run
/// use shared::{RegionName, RegionOptions};
/// let name = RegionName::new("testmap")?;
/// // MemoryMappedFile.CreateOrOpen("testmap", 10000)
/// let region = RegionOptions::named(&name).size(10_000).create_or_open()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegionOptions {
    location: Location,
    size: u64,
    mode: u32,
    access: Access,
    file_mode: FileMode,
    reserve: bool,
    trust: Trust,
    timeout: Option<Duration>,
}

impl RegionOptions {
    /// A non-persistent region called `name` (in [`default_dir`] unless
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
    pub fn share_with_group(mut self) -> Self {
        self.trust = Trust::Group;
        self.mode = 0o660;
        self
    }

    /// The longest this open may wait for a lock another process holds (the
    /// setup lock, the presence lock); default: as long as it takes (a signal
    /// handler calling [`exit_closing_regions`](crate::exit_closing_regions)
    /// still ends the wait at once). Past it: [`RegionError::TimedOut`], with
    /// the holder's pid.
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
        let files = self.files()?;
        let spec = self.spec(&files);
        let _gate = lifetime::open_gate();
        let setup = SetupLock::acquire(
            &files.guard,
            self.mode,
            self.trust,
            lifetime::Wait::open(self.until()),
        )
        .map_err(RegionError::from)?;
        let result = FileOpener {
            options: self,
            spec,
            path,
        }
        .open();
        match result {
            Ok(attached) => {
                drop(setup);
                Region::from_attached(attached, files.clone(), (self.mode, self.trust), spec.writable)
            }
            Err(error) => {
                setup.remove();
                Err(error)
            }
        }
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
    /// # Errors
    /// [`RegionError::NotFound`] when there is no region file;
    /// [`RegionError::NotARegion`] when a named region's file is not vouched
    /// for by its companion; [`RegionError::PermissionDenied`], [`RegionError::Io`].
    pub fn observe(&self) -> Result<Region, RegionError> {
        let files = self.files()?;
        let spec = Spec {
            files: &files,
            kind: Kind::Region,
            mode: self.mode,
            writable: false,
            trust: self.trust,
            until: self.until(),
            persistent: self.is_file(),
        };
        let require_meta = matches!(self.location, Location::Named { .. });
        let (object, meta) = object::observe(&spec, require_meta)?;
        let size = match &meta {
            Some((_, header, _)) => header.size,
            None => object
                .metadata()
                .map_err(|e| RegionError::io("inspect", &files.object, e))?
                .len(),
        };
        Region::observed(&object, size, meta, files)
    }

    /// Refuses a size no file can have (past `i64::MAX` bytes), before anything is created.
    fn check_size_fits_a_file(&self) -> Result<(), RegionError> {
        if i64::try_from(self.size).is_err() {
            return Err(RegionError::BadSize {
                size: self.size,
                reason: "no file can be that large (the limit is 2^63 - 1 bytes)",
            });
        }
        Ok(())
    }

    fn files(&self) -> Result<ObjectFiles, RegionError> {
        match &self.location {
            Location::Named { dir, name } => {
                let dir = dir.clone().unwrap_or_else(default_dir);
                Ok(ObjectFiles::new(dir, name.as_str()))
            }
            Location::File(path) => {
                let file_name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| RegionError::not_a_region(path, "it does not name a file"))?;
                let dir = match path.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                    _ => PathBuf::from("."),
                };
                Ok(ObjectFiles::new(dir, file_name))
            }
        }
    }

    fn spec<'a>(&self, files: &'a ObjectFiles) -> Spec<'a> {
        Spec {
            files,
            kind: Kind::Region,
            mode: self.mode,
            writable: self.access == Access::ReadWrite,
            trust: self.trust,
            until: self.until(),
            persistent: self.is_file(),
        }
    }

    fn until(&self) -> Until {
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
        let files = self.files()?;
        let (size, reserve) = (self.size, self.reserve);
        let init = move |file: &File, path: &Path| size_file(file, path, size, reserve);
        let spec = self.spec(&files);
        let attached = spec.open_named(how, &init)?;
        Region::from_attached(attached, files.clone(), (self.mode, self.trust), spec.writable)
    }
}

/// Gives a new (or growing) file its size, reserving its blocks when asked.
fn size_file(file: &File, path: &Path, size: u64, reserve: bool) -> Result<u64, ObjectError> {
    let result = if reserve {
        crate::sys::reserve(file, size)
    } else {
        file.set_len(size)
    };
    result.map_err(|error| match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            ObjectError::NoSpace {
                path: path.to_owned(),
                size,
            }
        }
        _ => ObjectError::io("size", path, error),
    })?;
    Ok(size)
}

/// One `create_from_file`, run under the setup lock.
struct FileOpener<'a> {
    options: &'a RegionOptions,
    spec: Spec<'a>,
    path: &'a Path,
}

impl FileOpener<'_> {
    fn open(&self) -> Result<Attached, RegionError> {
        match self.spec.inspect_meta()? {
            MetaState::Live { file, header } => self.join_live(file, header),
            MetaState::Stale { header } => {
                self.spec.remove_stale(&header);
                self.open_fresh()
            }
            MetaState::Missing => self.open_fresh(),
        }
    }

    /// Other processes map the file now: join them at their size.
    fn join_live(&self, meta_file: File, header: Header) -> Result<Attached, RegionError> {
        match self.options.file_mode {
            FileMode::CreateNew | FileMode::Create => {
                return Err(RegionError::AlreadyExists {
                    path: self.path.to_owned(),
                })
            }
            FileMode::Open | FileMode::OpenOrCreate => {}
        }
        let capacity = self.options.size;
        if capacity != 0 && capacity != header.size {
            return Err(RegionError::BadSize {
                size: capacity,
                reason: "other processes map this file at another capacity: ask for 0 (theirs) or the same",
            });
        }
        let object = self.spec.open_vouched(&header)?;
        Ok(self.spec.join(meta_file, header, object)?)
    }

    /// Nobody maps the file: open it as the file mode says, size it, and
    /// publish a companion for it.
    fn open_fresh(&self) -> Result<Attached, RegionError> {
        let (file, created) = self.open_file()?;
        let path = self.path;
        if let Some(reason) =
            files::irregular_reason(&file).map_err(|e| RegionError::io("inspect", path, e))?
        {
            return Err(RegionError::not_a_region(path, reason));
        }
        if self.options.file_mode == FileMode::Create {
            file.set_len(0)
                .map_err(|e| RegionError::io("truncate", path, e))?;
        }
        let capacity = self.capacity(&file)?;
        let header = Header::describing(Kind::Region, true, capacity, &file)
            .map_err(|e| RegionError::io("inspect", path, e))?;
        let (meta_file, meta) = self.spec.publish_meta(header)?;
        let mut attached = self.spec.created(file, header, meta_file, meta)?;
        attached.created_new = created;
        Ok(attached)
    }

    fn open_file(&self) -> Result<(File, bool), RegionError> {
        let path = self.path;
        let how = match self.options.file_mode {
            FileMode::Open => Create::No,
            FileMode::CreateNew => Create::New,
            FileMode::OpenOrCreate | FileMode::Create => Create::IfMissing,
        };
        let (file, created) = files::open_reporting(path, how, self.options.mode, self.spec.writable)
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => RegionError::NoSuchFile {
                    path: path.to_owned(),
                },
                io::ErrorKind::AlreadyExists => RegionError::AlreadyExists {
                    path: path.to_owned(),
                },
                _ => ObjectError::classify("open", path, error).into(),
            })?;
        // Before anything is read, written, grown or mapped: a file another
        // user put at the path (perhaps to read what we write) is refused.
        ObjectError::check_owner(&file, path, self.spec.trust)?;
        Ok((file, created))
    }

    /// The capacity asked for, checked against the file (and the file grown to it).
    fn capacity(&self, file: &File) -> Result<u64, RegionError> {
        let path = self.path;
        let len = file
            .metadata()
            .map_err(|e| RegionError::io("inspect", path, e))?
            .len();
        let capacity = match self.options.size {
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
        if capacity > len {
            if self.options.access == Access::Read {
                return Err(RegionError::BadOptions {
                    reason: "a read-only region cannot grow its file: ask for capacity 0",
                });
            }
            size_file(file, path, capacity, self.options.reserve)?;
        }
        Ok(capacity)
    }
}
