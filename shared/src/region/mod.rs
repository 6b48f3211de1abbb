//! A named shared-memory region: the Rust side of .NET's `MemoryMappedFile`.
//!
//! A named region is a file `DIR/NAME` (DIR is `/dev/shm`, memory-backed,
//! where it exists) mapped shared by every process that opens it; a
//! persistent region is any file the user names. **Every byte of it is the
//! user's**: the library writes none of them. What the library keeps (which
//! file it vouches for, who uses the region, the turn word and mailbox) lives
//! in the companion file `DIR/.NAME.meta`, and opening and closing are
//! serialized by the setup file `DIR/.NAME.guard`; both go when the last user
//! leaves.
//!
//! # Safety across processes
//! Another process can change the bytes at any time, and one that shrank the
//! file would make every other process crash (`SIGBUS`) on its next access. So
//! this crate sets a named region's size once, before the file gets its name,
//! reserves the blocks (unless told not to), never shrinks a file, creates the
//! files owner-only (mode 0600 unless asked otherwise), never follows symbolic
//! links, and refuses a file at a region's path that its companion does not
//! vouch for. Processes coordinate their writes with a
//! [`NamedMutex`](crate::NamedMutex).

mod options;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

pub use options::{Access, FileMode, RegionOptions, DEFAULT_MODE};

use crate::error::{RegionError, ViewError};
use crate::mapping::{Mapping, Refused};
use crate::object::lifetime::{self, Presence};
use crate::object::meta::{Header, Meta};
use crate::object::{Attached, ObjectFiles};
use crate::ownership::Trust;
use crate::sync::Turn;
use crate::view::{AccessorView, StreamView, Window};

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

/// One process's hold on a region; the last one dropped closes it.
#[derive(Debug)]
struct RegionInner {
    mapping: Mapping,
    meta: Option<Meta>,
    meta_file: Option<File>,
    files: ObjectFiles,
    persistent: bool,
    mode: u32,
    trust: Trust,
    created_new: bool,
    /// Declared last: the mapping is gone before the last user removes the files.
    presence: Option<Arc<Presence>>,
}

/// An open shared-memory region. Cheap to clone (clones share one mapping);
/// the region closes when the last clone is dropped, and a named region is
/// removed when the last process closes it (a file region's file stays).
#[derive(Debug, Clone)]
pub struct Region {
    inner: Arc<RegionInner>,
}

impl Region {
    /// .NET `MemoryMappedFile.CreateOrOpen(name, size)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::create_or_open`].
    pub fn create_or_open(name: &crate::RegionName, size: u64) -> Result<Region, RegionError> {
        RegionOptions::named(name).size(size).create_or_open()
    }

    /// .NET `MemoryMappedFile.CreateNew(name, size)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::create_new`].
    pub fn create_new(name: &crate::RegionName, size: u64) -> Result<Region, RegionError> {
        RegionOptions::named(name).size(size).create_new()
    }

    /// .NET `MemoryMappedFile.OpenExisting(name)` in [`default_dir`].
    ///
    /// # Errors
    /// See [`RegionOptions::open_existing`].
    pub fn open_existing(name: &crate::RegionName) -> Result<Region, RegionError> {
        RegionOptions::named(name).open_existing()
    }

    /// .NET `MemoryMappedFile.CreateFromFile(path)`: maps the existing file at
    /// `path`, all of it, read-write ([`FileMode::Open`], capacity 0).
    ///
    /// # Errors
    /// See [`RegionOptions::create_from_file`].
    pub fn create_from_file(path: impl Into<PathBuf>) -> Result<Region, RegionError> {
        RegionOptions::file(path).create_from_file()
    }

    fn from_attached(
        attached: Attached,
        files: ObjectFiles,
        (mode, trust): (u32, Trust),
        writable: bool,
    ) -> Result<Region, RegionError> {
        let Attached {
            object,
            header,
            meta,
            presence,
            meta_file,
            created_new,
        } = attached;
        let mapping = Mapping::map(&object, header.size, writable)
            .map_err(|e| RegionError::io("map", &files.object, e))?;
        Ok(Region {
            inner: Arc::new(RegionInner {
                mapping,
                meta: Some(meta),
                meta_file: Some(meta_file),
                files,
                persistent: header.persistent,
                mode,
                trust,
                created_new,
                presence,
            }),
        })
    }

    fn observed(
        object: &File,
        size: u64,
        meta: Option<(File, Header, Meta)>,
        files: ObjectFiles,
    ) -> Result<Region, RegionError> {
        let mapping =
            Mapping::map(object, size, false).map_err(|e| RegionError::io("map", &files.object, e))?;
        let (meta_file, persistent, meta) = match meta {
            Some((file, header, meta)) => (Some(file), header.persistent, Some(meta)),
            None => (None, true, None),
        };
        Ok(Region {
            inner: Arc::new(RegionInner {
                mapping,
                meta,
                meta_file,
                files,
                persistent,
                mode: DEFAULT_MODE,
                trust: Trust::Owner,
                created_new: false,
                presence: None,
            }),
        })
    }

    /// The region's name (for a file region, its file name).
    pub fn name(&self) -> &str {
        &self.inner.files.name
    }

    /// The file holding the region's bytes.
    pub fn path(&self) -> &Path {
        &self.inner.files.object
    }

    /// The directory of the region and its companion files.
    pub fn dir(&self) -> &Path {
        &self.inner.files.dir
    }

    /// The name the demo derives from the region for its mutex: `<name>mutex`
    /// (see [`MutexOptions::for_region`](crate::MutexOptions::for_region)).
    pub fn mutex_name(&self) -> String {
        format!("{}mutex", self.inner.files.name)
    }

    /// The mode the region's files are created with.
    pub fn mode(&self) -> u32 {
        self.inner.mode
    }

    pub(crate) fn trust(&self) -> Trust {
        self.inner.trust
    }

    /// Whether this open created the region (a named region, or a file that
    /// did not exist), rather than opening one that was there.
    pub fn created_new(&self) -> bool {
        self.inner.created_new
    }

    /// How many processes use the region now, this one included unless it is
    /// an observer (Linux, from `/proc/locks`; `None` elsewhere).
    pub fn attached_processes(&self) -> Option<usize> {
        match &self.inner.meta_file {
            Some(file) => lifetime::attached_processes(file),
            None => Some(0),
        }
    }

    /// Size of the region in bytes (.NET: the capacity).
    pub fn size(&self) -> u64 {
        self.inner.mapping.len()
    }

    /// Whether the region is a file kept after every process exits.
    pub fn is_persistent(&self) -> bool {
        self.inner.persistent
    }

    /// Whether this process may only read the bytes ([`Access::Read`] or an observer).
    pub fn is_read_only(&self) -> bool {
        !self.inner.mapping.is_writable()
    }

    /// Whether this handle is an observer ([`RegionOptions::observe`]): not
    /// registered as a user, removing nothing.
    pub fn is_observer(&self) -> bool {
        self.inner.presence.is_none()
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

    /// Writes the whole region back to its file (`msync`): for a region over a
    /// file on disk, makes its bytes durable now rather than whenever the
    /// system gets to it. (.NET: `Flush` on a view of the whole region.)
    ///
    /// # Errors
    /// The system's error when the write-back fails.
    pub fn flush(&self) -> std::io::Result<()> {
        self.inner.mapping.flush_range(0, self.size())
    }

    /// [`Region::flush`] for the bytes `offset .. offset + len` only.
    ///
    /// # Errors
    /// [`std::io::ErrorKind::InvalidInput`] when the range is outside the
    /// region; the system's error when the write-back fails.
    pub fn flush_range(&self, offset: u64, len: u64) -> std::io::Result<()> {
        self.inner.mapping.flush_range(offset, len)
    }

    /// The 4-byte word at region offset `offset` as an atomic shared with the
    /// other processes: for flags and counters of your own layout, which
    /// [`crate::sync::wait_while_equal`] can sleep on.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the word is not inside the region or
    /// not 4-byte aligned; [`ViewError::ReadOnly`] for a read-only region.
    pub fn atomic_u32(&self, offset: u64) -> Result<&AtomicU32, ViewError> {
        self.inner
            .mapping
            .atomic_u32(offset)
            .map_err(|refused| match refused {
                Refused::ReadOnly => ViewError::ReadOnly,
                Refused::OutOfRange => ViewError::OutsideView {
                    offset,
                    size: 4,
                    view_len: self.size(),
                },
            })
    }

    /// Turn-taking between the region's users (see [`Turn`]).
    ///
    /// # Errors
    /// [`ViewError::ReadOnly`] for a read-only region or an observer.
    pub fn turn(&self) -> Result<Turn<'_>, ViewError> {
        self.inner
            .meta
            .as_ref()
            .and_then(Turn::new)
            .ok_or(ViewError::ReadOnly)
    }

    pub(crate) fn mapping(&self) -> &Mapping {
        &self.inner.mapping
    }

    fn window(&self, offset: u64, len: u64) -> Result<Window, ViewError> {
        Window::new(self.size(), offset, len)
    }
}
