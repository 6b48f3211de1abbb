//! A named shared-memory region: the Rust side of .NET's `MemoryMappedFile`.
//!
//! A region is a file `DIR/NAME` (DIR is `/dev/shm`, memory-backed, where it
//! exists) mapped shared by every process that opens it. Its mutex file
//! `DIR/NAMEmutex` and its setup file `DIR/.NAME.guard` live beside it.
//!
//! # Safety across processes
//! Another process can change the bytes at any time, and one that shrank the
//! file would make every other process crash (`SIGBUS`) on its next access. So
//! this crate sets a region's size once, before the file gets its name, reserves
//! the blocks, never truncates, creates the files owner-only (mode 0600 unless
//! asked otherwise), never follows symbolic links, and refuses files that lack
//! its header. Processes coordinate their writes with the
//! [`NamedMutex`](crate::NamedMutex).

use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::accessor_view::AccessorView;
use crate::control::{Control, Header, HEADER_LEN, MAGIC_OFFSET};
use crate::error::{RegionError, ViewError};
use crate::files::{self, Create};
use crate::layout::{DEFAULT_REGION_SIZE, MAX_REGION_SIZE, MIN_REGION_SIZE, MUTEX_NAME_SUFFIX};
use crate::lifetime::{self, Presence, RegionFiles, SetupLock};
use crate::mapping::Mapping;
use crate::name::RegionName;
use crate::stream_view::StreamView;
use crate::view::Window;

/// Default mode of the files this crate creates: owner read/write only.
pub const DEFAULT_MODE: u32 = 0o600;

/// The directory regions live in by default: `/dev/shm` (memory-backed) where
/// it exists, the system's temporary directory otherwise.
pub fn default_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

#[derive(Debug, Clone)]
enum Location {
    /// Non-persistent: `DIR/NAME`, removed by the last process out.
    Named { dir: Option<PathBuf>, name: RegionName },
    /// Persistent: a file the user names, kept after every process exits.
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    CreateNew,
    OpenExisting,
    CreateOrOpen,
}

/// Where a region lives and how to create it; ends in `create_new()`,
/// `open_existing()` or `create_or_open()`, as in .NET.
///
/// ```no_run
/// use shared::{RegionName, RegionOptions};
/// let name = RegionName::new("testmap")?;
/// let region = RegionOptions::named(&name).dir("/tmp").create_or_open()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegionOptions {
    location: Location,
    size: u64,
    mode: u32,
}

impl RegionOptions {
    /// A non-persistent region called `name` (in [`default_dir`] unless
    /// [`RegionOptions::dir`] says otherwise): removed when the last process
    /// using it closes it or dies.
    pub fn named(name: &RegionName) -> Self {
        RegionOptions {
            location: Location::Named {
                dir: None,
                name: name.clone(),
            },
            size: DEFAULT_REGION_SIZE,
            mode: DEFAULT_MODE,
        }
    }

    /// A persistent region over the file at `path` (.NET `CreateFromFile`):
    /// its data stays after every process exits. Its mutex and setup files
    /// live beside it and are removed by the last process out.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        RegionOptions {
            location: Location::File(path.into()),
            size: DEFAULT_REGION_SIZE,
            mode: DEFAULT_MODE,
        }
    }

    /// The directory of a named region (ignored for [`RegionOptions::file`]).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        if let Location::Named { dir: d, .. } = &mut self.location {
            *d = Some(dir.into());
        }
        self
    }

    /// The size of a region this call creates (default 1,024,000 bytes); an
    /// existing region keeps its own size.
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// The permission bits of the files this call creates (default 0600).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// .NET `MemoryMappedFile.CreateNew`: creates the region.
    ///
    /// # Errors
    /// [`RegionError::AlreadyExists`] when a live process has it open; see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn create_new(&self) -> Result<Region, RegionError> {
        self.open(How::CreateNew)
    }

    /// .NET `MemoryMappedFile.OpenExisting`: opens a region a live process created.
    ///
    /// # Errors
    /// [`RegionError::NotFound`] when no live process has it open (never
    /// created, or all its users exited or died); see
    /// [`RegionOptions::create_or_open`] for the others.
    pub fn open_existing(&self) -> Result<Region, RegionError> {
        self.open(How::OpenExisting)
    }

    /// .NET `MemoryMappedFile.CreateOrOpen`: opens the region, creating it when
    /// no live process has it. A region whose users all died starts fresh.
    ///
    /// # Errors
    /// - [`RegionError::BadSize`]: the size is outside
    ///   [`MIN_REGION_SIZE`]..=[`MAX_REGION_SIZE`];
    /// - [`RegionError::NotARegion`]: a file that is not ours is at the path
    ///   (left untouched);
    /// - [`RegionError::NoSpace`]: the directory cannot hold the region;
    /// - [`RegionError::PermissionDenied`], [`RegionError::Io`]: the system refused.
    pub fn create_or_open(&self) -> Result<Region, RegionError> {
        self.open(How::CreateOrOpen)
    }

    fn paths(&self) -> Result<RegionFiles, RegionError> {
        match &self.location {
            Location::Named { dir, name } => {
                let dir = dir.clone().unwrap_or_else(default_dir);
                Ok(RegionFiles::new(dir, name.as_str(), false))
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
                Ok(RegionFiles::new(dir, file_name, true))
            }
        }
    }

    fn open(&self, how: How) -> Result<Region, RegionError> {
        if !(MIN_REGION_SIZE..=MAX_REGION_SIZE).contains(&self.size) {
            return Err(RegionError::BadSize { size: self.size });
        }
        let paths = self.paths()?;
        let _gate = lifetime::open_gate();
        let setup = SetupLock::acquire(&paths.guard, self.mode)?;
        let result = Opener {
            options: self,
            paths: &paths,
        }
        .open(how);
        if result.is_err() {
            // Nothing of ours was opened. Removing the setup file is always safe
            // (a process waiting on it notices and starts again), and it keeps
            // a failed attempt from leaving anything behind.
            setup.remove();
        }
        result.map(|inner| Region {
            inner: Arc::new(inner),
        })
    }
}

/// One open attempt, run under the setup lock.
struct Opener<'a> {
    options: &'a RegionOptions,
    paths: &'a RegionFiles,
}

impl Opener<'_> {
    fn open(&self, how: How) -> Result<RegionInner, RegionError> {
        let path = &self.paths.region;
        match files::open(path, Create::No, self.options.mode) {
            Ok(file) => self.open_present(file, how),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => match how {
                How::OpenExisting => Err(RegionError::NotFound { path: path.clone() }),
                How::CreateNew | How::CreateOrOpen => self.create_fresh(),
            },
            Err(error) => Err(match files::foreign_reason(&error) {
                Some(reason) => RegionError::not_a_region(path, reason),
                None => RegionError::io("open", path, error),
            }),
        }
    }

    fn open_present(&self, file: File, how: How) -> Result<RegionInner, RegionError> {
        let path = &self.paths.region;
        let header = read_header(&file, path)?;
        if lifetime::in_use(&file, path)? {
            if how == How::CreateNew {
                return Err(RegionError::AlreadyExists { path: path.clone() });
            }
            lifetime::attach(&file, path)?;
            return self.finish(file, header.size);
        }
        // Nobody alive uses it: what is here was left by processes that died.
        self.paths.remove_stale_mutex_file();
        if self.paths.persistent {
            lifetime::attach(&file, path)?;
            return self.finish(file, header.size);
        }
        drop(file);
        fs::remove_file(path).map_err(|error| RegionError::io("remove the stale region", path, error))?;
        match how {
            How::OpenExisting => Err(RegionError::NotFound { path: path.clone() }),
            How::CreateNew | How::CreateOrOpen => self.create_fresh(),
        }
    }

    /// Builds the region under a temporary name, then links it into place, so
    /// that the region path only ever names a complete region.
    fn create_fresh(&self) -> Result<RegionInner, RegionError> {
        self.paths.remove_stale_mutex_file();
        let init = self.paths.init_path();
        files::remove_if_exists(&init);
        let file = files::open(&init, Create::New, self.options.mode)
            .map_err(|error| RegionError::io("create", &init, error))?;
        let result = self.initialize(file, &init);
        files::remove_if_exists(&init);
        result
    }

    fn initialize(&self, file: File, init: &Path) -> Result<RegionInner, RegionError> {
        let size = self.options.size;
        let path = &self.paths.region;
        crate::sys::reserve(&file, size).map_err(|error| match error.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => RegionError::NoSpace {
                path: path.clone(),
                size,
            },
            _ => RegionError::io("reserve space for", path, error),
        })?;
        let mapping = Mapping::map(&file, size).map_err(|error| RegionError::io("map", path, error))?;
        mapping
            .write(MAGIC_OFFSET, &Header::new(size).encode())
            .map_err(|_| RegionError::BadSize { size })?;
        lifetime::attach(&file, path)?;
        fs::hard_link(init, path).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => {
                RegionError::not_a_region(path, "another program created a file there meanwhile")
            }
            _ => RegionError::io("create", path, error),
        })?;
        Ok(self.inner(file, mapping, true))
    }

    fn finish(&self, file: File, size: u64) -> Result<RegionInner, RegionError> {
        let path = &self.paths.region;
        let mapping = Mapping::map(&file, size).map_err(|error| RegionError::io("map", path, error))?;
        Ok(self.inner(file, mapping, false))
    }

    fn inner(&self, file: File, mapping: Mapping, created_new: bool) -> RegionInner {
        RegionInner {
            mapping,
            presence: Presence::register(file, self.paths.clone(), self.options.mode),
            created_new,
        }
    }
}

/// Reads and checks the header of an existing file, without mapping it.
fn read_header(file: &File, path: &Path) -> Result<Header, RegionError> {
    if let Some(reason) = files::irregular_reason(file).map_err(|e| RegionError::io("inspect", path, e))? {
        return Err(RegionError::not_a_region(path, reason));
    }
    let len = file
        .metadata()
        .map_err(|e| RegionError::io("inspect", path, e))?
        .len();
    if len < MIN_REGION_SIZE {
        return Err(RegionError::not_a_region(
            path,
            format!("it has {len} bytes, fewer than a region's {MIN_REGION_SIZE}"),
        ));
    }
    let mut bytes = [0u8; HEADER_LEN];
    file.read_exact_at(&mut bytes, MAGIC_OFFSET)
        .map_err(|e| RegionError::io("read", path, e))?;
    let header = Header::decode(&bytes).map_err(|e| RegionError::bad_header(path, e))?;
    if header.size != len {
        return Err(RegionError::not_a_region(
            path,
            format!("its header says {} bytes but the file has {len}", header.size),
        ));
    }
    Ok(header)
}

/// One process's hold on a region; the last one dropped closes it.
#[derive(Debug)]
struct RegionInner {
    mapping: Mapping,
    presence: Arc<Presence>,
    created_new: bool,
}

/// An open shared-memory region. Cheap to clone (clones share one mapping);
/// the region closes when the last clone is dropped, and is removed when the
/// last process closes it (unless it is persistent).
#[derive(Debug, Clone)]
pub struct Region {
    inner: Arc<RegionInner>,
}

impl Region {
    /// .NET `MemoryMappedFile.CreateOrOpen(name, 1024000)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::create_or_open`].
    pub fn create_or_open(name: &RegionName) -> Result<Region, RegionError> {
        RegionOptions::named(name).create_or_open()
    }

    /// .NET `MemoryMappedFile.OpenExisting(name)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::open_existing`].
    pub fn open_existing(name: &RegionName) -> Result<Region, RegionError> {
        RegionOptions::named(name).open_existing()
    }

    /// .NET `MemoryMappedFile.CreateNew(name, 1024000)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::create_new`].
    pub fn create_new(name: &RegionName) -> Result<Region, RegionError> {
        RegionOptions::named(name).create_new()
    }

    /// .NET `MemoryMappedFile.CreateFromFile(path, FileMode.OpenOrCreate, ...)`:
    /// a persistent region over `path`.
    ///
    /// # Errors
    /// See [`RegionOptions::create_or_open`].
    pub fn create_from_file(path: impl Into<PathBuf>) -> Result<Region, RegionError> {
        RegionOptions::file(path).create_or_open()
    }

    /// The region's name (for a persistent region, its file name).
    pub fn name(&self) -> &str {
        &self.inner.presence.files().name
    }

    /// The region file.
    pub fn path(&self) -> &Path {
        &self.inner.presence.files().region
    }

    /// The file behind the region's named mutex (`<name>mutex` beside the region).
    pub fn mutex_path(&self) -> &Path {
        &self.inner.presence.files().mutex
    }

    /// The mutex name derived from the region name: `<name>mutex`.
    pub fn mutex_name(&self) -> String {
        format!("{}{MUTEX_NAME_SUFFIX}", self.inner.presence.files().name)
    }

    /// The mode the region's files are created with.
    pub fn mode(&self) -> u32 {
        self.inner.presence.mode()
    }

    /// Whether this open created (and initialized) the region, rather than
    /// opening one that live processes were using (or a persistent file).
    pub fn created_new(&self) -> bool {
        self.inner.created_new
    }

    /// How many processes use the region now, this one included (Linux, from
    /// `/proc/locks`; `None` elsewhere).
    pub fn attached_processes(&self) -> Option<usize> {
        self.inner.presence.attached_processes()
    }

    /// Size of the region in bytes.
    pub fn size(&self) -> u64 {
        self.inner.mapping.len()
    }

    /// Whether the region is persistent (kept after every process exits).
    pub fn is_persistent(&self) -> bool {
        self.inner.presence.files().persistent
    }

    /// .NET `CreateViewStream(offset, len)`: a `Read + Write + Seek` window of
    /// the region; `len` 0 means "to the end of the region".
    ///
    /// # Errors
    /// [`ViewError::OutsideRegion`] when the window does not fit in the region.
    pub fn create_view_stream(&self, offset: u64, len: u64) -> Result<StreamView<'_>, ViewError> {
        Ok(StreamView::new(&self.inner.mapping, self.window(offset, len)?))
    }

    /// .NET `CreateViewAccessor(offset, len)`: typed, bounds-checked reads and
    /// writes in a window of the region; `len` 0 means "to the end".
    ///
    /// # Errors
    /// [`ViewError::OutsideRegion`] when the window does not fit in the region.
    pub fn create_view_accessor(&self, offset: u64, len: u64) -> Result<AccessorView<'_>, ViewError> {
        Ok(AccessorView::new(&self.inner.mapping, self.window(offset, len)?))
    }

    /// The control block: flags, record count, mutex holder.
    pub fn control(&self) -> Control<'_> {
        Control::new(&self.inner.mapping)
    }

    pub(crate) fn mapping(&self) -> &Mapping {
        &self.inner.mapping
    }

    fn window(&self, offset: u64, len: u64) -> Result<Window, ViewError> {
        Window::new(self.size(), offset, len)
    }
}
