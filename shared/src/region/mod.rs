//! A named shared-memory region: the Rust side of .NET's `MemoryMappedFile`.
//!
//! A named region is a file `DIR/NAME` (DIR is `/dev/shm`, memory-backed,
//! where it exists) mapped shared by every process that opens it; a
//! persistent region is any file the user names. **Every byte of it is the
//! user's**: the library writes none of them. What the library keeps (which
//! file it vouches for, who uses the region, the turn word and mailbox) lives
//! in the companion file `DIR/.NAME.meta`, and opening and closing are
//! serialized by the setup file `DIR/.NAME.guard`; both go when the last user
//! leaves. On Windows a named region is the kernel's named section instead
//! (as .NET makes it), with no files at all: the kernel keeps it while some
//! handle is open; the crate's words beside it (the turn, wake-up counts)
//! live in small named sections `NAME@...` of their own.
//!
//! # Safety across processes
//! Another process can change the bytes at any time, and one that shrank the
//! file would make every other process crash (`SIGBUS`) on its next access. So
//! this crate sets a named region's size once, before the file gets its name,
//! reserves the blocks (unless told not to), never shrinks a file, creates the
//! files owner-only (mode 0600 unless asked otherwise), never follows symbolic
//! links, and refuses a file at a region's path that its companion does not
//! vouch for. What a process of the same user can still do, shorten a file
//! under its mapping, is caught: the access that meets the lost bytes, and
//! every later one, fails with [`ViewError::Truncated`] instead of the
//! `SIGBUS`. (A Windows section cannot be shrunk under its users.)
//! Processes coordinate their writes with a [`NamedMutex`](crate::NamedMutex).

mod options;
mod pinned;

pub(crate) use pinned::PinnedSlots;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

pub(crate) use crate::platform::request::Disposition;
pub use crate::platform::request::{Access, FileMode};
pub use options::RegionOptions;

use crate::error::{ObjectError, ViewError};
use crate::platform::mapping::Mapping;
use crate::platform::{RegionInner, WordWaker};
use crate::sync::Notifier;
use crate::sync::Turn;
use crate::view::{word_refused, AccessorView, StreamView, Window};

/// An open shared-memory region. Cheap to clone (clones share one mapping);
/// the region closes when the last clone is dropped, and a named region is
/// removed when the last process closes it (a file region's file stays).
#[derive(Debug, Clone)]
pub struct Region {
    inner: Arc<RegionInner>,
}

impl Region {
    /// .NET `MemoryMappedFile.CreateOrOpen(name, size)` (on Linux in
    /// `os::linux::default_dir`).
    ///
    /// # Errors
    /// See [`RegionOptions::create_or_open`].
    pub fn create_or_open(name: &crate::RegionName, size: u64) -> Result<Region, ObjectError> {
        RegionOptions::named(name).size(size).create_or_open()
    }

    /// .NET `MemoryMappedFile.CreateNew(name, size)` (on Linux in
    /// `os::linux::default_dir`).
    ///
    /// # Errors
    /// See [`RegionOptions::create_new`].
    pub fn create_new(name: &crate::RegionName, size: u64) -> Result<Region, ObjectError> {
        RegionOptions::named(name).size(size).create_new()
    }

    /// .NET `MemoryMappedFile.OpenExisting(name)` (on Linux in
    /// `os::linux::default_dir`).
    ///
    /// # Errors
    /// See [`RegionOptions::open_existing`].
    pub fn open_existing(name: &crate::RegionName) -> Result<Region, ObjectError> {
        RegionOptions::named(name).open_existing()
    }

    /// .NET `MemoryMappedFile.CreateFromFile(path)`: maps the existing file at
    /// `path`, all of it, read-write ([`FileMode::Open`], capacity 0).
    ///
    /// # Errors
    /// See [`RegionOptions::create_from_file`].
    pub fn create_from_file(path: impl Into<PathBuf>) -> Result<Region, ObjectError> {
        RegionOptions::file(path).create_from_file()
    }

    pub(crate) fn of(inner: RegionInner) -> Region {
        Region {
            inner: Arc::new(inner),
        }
    }

    /// The platform's hold on the region (for the platform's extension traits).
    pub(crate) fn inner(&self) -> &RegionInner {
        &self.inner
    }

    /// The region's name (for a file region, its file name).
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The file holding the region's bytes (on Windows, for a named region,
    /// its kernel object name).
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    /// The name the demo derives from the region for its mutex: `<name>mutex`
    /// (see [`MutexOptions::for_region`](crate::MutexOptions::for_region)).
    /// On Windows a file region's mutex is named after its canonical path
    /// instead (`shared-file-<hash>mutex`): kernel names have no folders.
    pub fn mutex_name(&self) -> String {
        self.inner.mutex_name()
    }

    /// Whether this open created the region (a named region, or a file that
    /// did not exist), rather than opening one that was there.
    pub fn created_new(&self) -> bool {
        self.inner.created_new()
    }

    /// How many processes use the region now, this one included unless it is
    /// an observer (Linux, from `/proc/locks`; `None` on Windows, whose
    /// kernel does not count a section's users for anyone).
    pub fn attached_processes(&self) -> Option<usize> {
        self.inner.attached_processes()
    }

    /// Size of the region in bytes (.NET: the capacity).
    pub fn size(&self) -> u64 {
        self.inner.mapping().len()
    }

    /// Whether the region is a file kept after every process exits.
    pub fn is_persistent(&self) -> bool {
        self.inner.is_persistent()
    }

    /// Whether this process may only read the bytes ([`Access::Read`], or on
    /// Linux an observer).
    pub fn is_read_only(&self) -> bool {
        !self.inner.mapping().is_writable()
    }

    /// .NET `CreateViewStream(offset, len)`: a `Read + Write + Seek` window of
    /// the region; `len` 0 means "to the end of the region".
    ///
    /// # Errors
    /// [`ViewError::OutsideRegion`] when the window does not fit in the region.
    pub fn create_view_stream(&self, offset: u64, len: u64) -> Result<StreamView<'_>, ViewError> {
        Ok(StreamView::new(self.inner.mapping(), self.window(offset, len)?))
    }

    /// .NET `CreateViewAccessor(offset, len)`: typed, bounds-checked reads and
    /// writes in a window of the region; `len` 0 means "to the end".
    ///
    /// # Errors
    /// [`ViewError::OutsideRegion`] when the window does not fit in the region.
    pub fn create_view_accessor(&self, offset: u64, len: u64) -> Result<AccessorView<'_>, ViewError> {
        Ok(AccessorView::new(self.inner.mapping(), self.window(offset, len)?))
    }

    /// Writes the whole region back to its file (`msync`): for a region over a
    /// file on disk, makes its bytes durable now rather than whenever the
    /// system gets to it. (.NET: `Flush` on a view of the whole region.)
    ///
    /// # Errors
    /// The system's error when the write-back fails.
    pub fn flush(&self) -> std::io::Result<()> {
        self.inner.mapping().flush_range(0, self.size())
    }

    /// [`Region::flush`] for the bytes `offset .. offset + len` only.
    ///
    /// # Errors
    /// [`std::io::ErrorKind::InvalidInput`] when the range is outside the
    /// region; the system's error when the write-back fails.
    pub fn flush_range(&self, offset: u64, len: u64) -> std::io::Result<()> {
        self.inner.mapping().flush_range(offset, len)
    }

    /// The 4-byte word at region offset `offset` as an atomic shared with the
    /// other processes: for flags and counters of your own layout. To sleep
    /// on it until another process changes it, take it as a
    /// [`Region::notifier`] (on every platform; on Linux the bare word also
    /// works with `os::linux::wait_while_equal`, a futex).
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the word is not inside the region;
    /// [`ViewError::Misaligned`] when it is, at an offset that is not a
    /// multiple of 4; [`ViewError::ReadOnly`] for a read-only region.
    pub fn atomic_u32(&self, offset: u64) -> Result<&AtomicU32, ViewError> {
        self.inner
            .mapping()
            .atomic_u32(offset)
            .map_err(|refused| word_refused::<AtomicU32>(refused, offset, self.size()))
    }

    /// The 4-byte word at region offset `offset` as a [`Notifier`]: sleep
    /// on it until another process changes it and wakes you, on every
    /// platform (see [`Notifier`]).
    ///
    /// # Errors
    /// As [`Region::atomic_u32`]; [`ViewError::Wake`] when the system
    /// refuses what the wake-ups need (Windows: the named semaphore beside
    /// the region).
    pub fn notifier(&self, offset: u64) -> Result<Notifier<'_>, ViewError> {
        let word = self.atomic_u32(offset)?;
        let waker = self.inner.word_waker(offset).map_err(|error| ViewError::Wake {
            offset,
            reason: error.to_string(),
        })?;
        Ok(Notifier::new(word, waker))
    }

    /// What wakes sleepers on the word at `offset` (for the record ring).
    pub(crate) fn word_waker(&self, offset: u64) -> std::io::Result<WordWaker> {
        self.inner.word_waker(offset)
    }

    /// Turn-taking between the region's users (see [`Turn`]).
    ///
    /// # Errors
    /// [`ViewError::ReadOnly`] for a read-only region or an observer;
    /// [`ViewError::Wake`] when the system refuses what the turn needs
    /// (Windows: its companion section and semaphore).
    pub fn turn(&self) -> Result<Turn<'_>, ViewError> {
        let (meta, waker) = self.inner.turn_parts()?;
        Turn::new(meta, waker).ok_or(ViewError::ReadOnly)
    }

    pub(crate) fn mapping(&self) -> &Mapping {
        self.inner.mapping()
    }

    fn window(&self, offset: u64, len: u64) -> Result<Window, ViewError> {
        Window::new(self.size(), offset, len)
    }
}
