//! Windows regions: a named pagefile-backed section, as
//! `MemoryMappedFile.CreateOrOpen(name, capacity)` makes one, or a section
//! over a file (`CreateFromFile`).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_COMMITMENT_LIMIT, ERROR_DISK_FULL, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE,
    ERROR_NOT_ENOUGH_MEMORY,
};

use std::sync::OnceLock;

use super::handle::{os_error, wide};
use super::mapped_view::{create_section, open_section, MappedView};
use super::meta_section;
use super::ObjectSettings;
use super::WordWaker;
use crate::error::{Failure, ViewError};
use crate::platform::mapping::Mapping;
use crate::platform::meta_words::Meta;
use crate::platform::request::{Disposition, FileMode, Location, RegionSpec};

/// One process's hold on a region: the view (which keeps the section open).
#[derive(Debug)]
pub(crate) struct RegionInner {
    mapping: Mapping,
    /// The meta words' section and the turn's semaphore, made on the first `turn()`.
    turn: OnceLock<(Meta, WordWaker)>,
    name: String,
    /// A file region's file; a named region's kernel object name.
    path: PathBuf,
    persistent: bool,
    created_new: bool,
}

impl RegionInner {
    /// The mapped bytes.
    pub(crate) fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The region's name (a file region's file name).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// A file region's file, or a named region's kernel object name.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A mutex beside the region needs no settings on Windows.
    pub(crate) fn mutex_settings(&self) -> ObjectSettings {
        ObjectSettings {}
    }

    /// Whether this open created the region.
    pub(crate) fn created_new(&self) -> bool {
        self.created_new
    }

    /// Whether the region's file stays after the last user leaves.
    pub(crate) fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// What wakes sleepers on the word at `offset`: a named semaphore and a
    /// count of sleepers beside the region, named after it (a file region
    /// after a hash of its path).
    pub(crate) fn word_waker(&self, offset: u64) -> io::Result<WordWaker> {
        WordWaker::open(&format!("{}@{offset}", self.base_name()))
    }

    /// The meta words and the semaphore sleepers on the turn wait on
    /// (`NAME@meta`, `NAME@turn.wake`), made on the first call.
    pub(crate) fn turn_parts(&self) -> Result<(&Meta, &WordWaker), ViewError> {
        if !self.mapping.is_writable() {
            return Err(ViewError::ReadOnly);
        }
        if let Some((meta, waker)) = self.turn.get() {
            return Ok((meta, waker));
        }
        // Made again at the next call if the system refused it now.
        let base = self.base_name();
        let wake = |error: io::Error| ViewError::Wake {
            offset: crate::platform::meta_words::TURN,
            reason: error.to_string(),
        };
        let meta = meta_section::open(&base).map_err(wake)?;
        let waker = WordWaker::open(&format!("{base}@turn")).map_err(wake)?;
        // Another thread may have made them meanwhile: either pair serves.
        let _ = self.turn.set((meta, waker));
        match self.turn.get() {
            Some((meta, waker)) => Ok((meta, waker)),
            None => Err(ViewError::ReadOnly),
        }
    }

    /// What the kernel objects beside the region are named after: a named
    /// region's name, a file region's path (hashed).
    fn base_name(&self) -> String {
        if self.persistent {
            file_key(&self.path)
        } else {
            self.name.clone()
        }
    }

    /// The demo's mutex beside the region: `<name>mutex` for a named region
    /// (so `testmap` has the original's `testmapmutex`), after the file's
    /// key for a file region (two files of one name in two folders are two
    /// regions).
    pub(crate) fn mutex_name(&self) -> String {
        crate::platform::mutex_name(&self.base_name())
    }

    /// The kernel does not say how many processes hold a section.
    pub(crate) fn attached_processes(&self) -> Option<usize> {
        None
    }
}

/// `create_new`, `open_existing` and `create_or_open` of a named region,
/// after the portable checks: the kernel's named section.
pub(crate) fn open_named(request: &RegionSpec, how: Disposition) -> Result<RegionInner, Failure> {
    // A section has no settings of the platform's (no directory, file mode
    // or owner check): its security is the kernel's default, as .NET leaves it.
    let ObjectSettings {} = request.platform;
    let Location::Named(name) = request.location else {
        return Err(Failure::BadOptions {
            reason: "a region over a file opens with create_from_file (.NET CreateFromFile)",
        });
    };
    let path = PathBuf::from(name);
    let wide_name = wide(name);
    let writable = request.writable();
    let (section, created_new) = match how {
        Disposition::OpenExisting => {
            let section =
                open_section(&wide_name, writable).map_err(|code| named_error(&path, request.size, code))?;
            (section, false)
        }
        Disposition::CreateNew | Disposition::CreateOrOpen => {
            let (section, existed) = match create_section(&wide_name, request.size) {
                Ok(made) => made,
                // As .NET's CreateOrOpen: another user's object (a service's
                // `Global\` one) may be opened with less than all access.
                Err(ERROR_ACCESS_DENIED) if how == Disposition::CreateOrOpen => {
                    // Not there either: creating it is what was refused.
                    let section = open_section(&wide_name, writable).map_err(|code| {
                        let code = if code == ERROR_FILE_NOT_FOUND {
                            ERROR_ACCESS_DENIED
                        } else {
                            code
                        };
                        named_error(&path, request.size, code)
                    })?;
                    (section, true)
                }
                Err(code) => return Err(named_error(&path, request.size, code)),
            };
            if existed && how == Disposition::CreateNew {
                return Err(Failure::AlreadyExists { path });
            }
            (section, !existed)
        }
    };
    let view = MappedView::of_section(section, 0, writable).map_err(|error| match error.raw_os_error() {
        // Committing a reserved section's pages found no room.
        Some(code) if [ERROR_NOT_ENOUGH_MEMORY, ERROR_COMMITMENT_LIMIT].contains(&(code as u32)) => {
            Failure::NoSpace {
                path: path.clone(),
                size: request.size,
            }
        }
        _ => Failure::io("map", &path, error),
    })?;
    Ok(RegionInner {
        mapping: Mapping::of(view, writable),
        turn: OnceLock::new(),
        name: name.to_owned(),
        path,
        persistent: false,
        created_new,
    })
}

/// What a Win32 error on a named section means here.
fn named_error(path: &Path, size: u64, code: u32) -> Failure {
    let path = path.to_owned();
    match code {
        ERROR_FILE_NOT_FOUND => Failure::NotFound { path },
        // The name belongs to an object of another kind (a mutex, an event).
        ERROR_INVALID_HANDLE => Failure::not_ours(
            path,
            "a kernel object of another kind (not a file mapping) has this name",
        ),
        ERROR_ACCESS_DENIED => Failure::PermissionDenied { path },
        ERROR_NOT_ENOUGH_MEMORY | ERROR_COMMITMENT_LIMIT | ERROR_DISK_FULL => Failure::NoSpace { path, size },
        code => Failure::io("create the section", path, os_error(code)),
    }
}

/// `create_from_file`, after the portable checks: the file opened as the
/// file mode says, sized, and mapped through an unnamed section.
pub(crate) fn create_from_file(request: &RegionSpec) -> Result<RegionInner, Failure> {
    let Location::File(path) = request.location else {
        return Err(Failure::BadOptions {
            reason: "create_from_file needs RegionOptions::file(path)",
        });
    };
    let writable = request.writable();
    let existed = path.exists();
    let mut open = OpenOptions::new();
    open.read(true).write(writable);
    match request.file_mode {
        FileMode::Open => {}
        FileMode::CreateNew => {
            open.create_new(true);
        }
        FileMode::OpenOrCreate => {
            open.create(true);
        }
        FileMode::Create => {
            open.create(true).truncate(true);
        }
    }
    let file = open.open(path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => Failure::NoSuchFile {
            path: path.to_owned(),
        },
        io::ErrorKind::AlreadyExists => Failure::AlreadyExists {
            path: path.to_owned(),
        },
        _ => Failure::io("open", path, error),
    })?;
    let capacity = capacity(request, &file, path)?;
    let mapping = Mapping::map(&file, capacity, writable).map_err(|e| Failure::io("map", path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(RegionInner {
        mapping,
        turn: OnceLock::new(),
        name,
        path: path.to_owned(),
        persistent: true,
        created_new: !existed,
    })
}

/// The capacity asked for, checked against the file (and the file grown to it).
fn capacity(request: &RegionSpec, file: &File, path: &Path) -> Result<u64, Failure> {
    let len = file
        .metadata()
        .map_err(|e| Failure::io("inspect", path, e))?
        .len();
    let (capacity, grow) = request.file_capacity(len)?;
    if grow {
        file.set_len(capacity).map_err(|error| match error.kind() {
            io::ErrorKind::StorageFull => Failure::NoSpace {
                path: path.to_owned(),
                size: capacity,
            },
            _ => Failure::io("size", path, error),
        })?;
    }
    Ok(capacity)
}

/// A name for the kernel objects beside a file region, the same for every
/// spelling of its path and every build: FNV-1a of the canonical path,
/// lowercased (Windows paths are case-insensitive).
fn file_key(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let text = canonical.to_string_lossy().to_lowercase();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("shared-file-{hash:016x}")
}
