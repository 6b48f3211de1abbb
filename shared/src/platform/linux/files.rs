//! Opening the files behind a region safely: never through a symbolic link,
//! never blocking on a FIFO, created with the caller's mode (owner-only by
//! default), and telling "this is not ours" apart from real I/O errors.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Whether [`open`] may create the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// Open an existing file only.
    No,
    /// Create the file; fail if anything is at the path.
    New,
    /// Open the file, creating it when missing.
    IfMissing,
}

/// Opens `path` for reading (and writing when `writable`) without following
/// a final symbolic link and without blocking on a FIFO. A file this call
/// creates gets exactly `mode` (whatever the umask); an existing file's mode
/// is never changed.
pub(crate) fn open(path: &Path, create: Create, mode: u32, writable: bool) -> io::Result<File> {
    Ok(open_reporting(path, create, mode, writable)?.0)
}

/// [`open`], also saying whether this call created the file.
pub(crate) fn open_reporting(
    path: &Path,
    create: Create,
    mode: u32,
    writable: bool,
) -> io::Result<(File, bool)> {
    match create {
        Create::No => Ok((open_with(path, false, mode, writable)?, false)),
        Create::New => Ok((create_exactly(path, mode)?, true)),
        Create::IfMissing => open_or_create(path, mode, writable),
    }
}

/// How many times [`open_or_create`] starts again when the file comes and
/// goes between its two calls; each retry needs another process to create
/// and remove the file in the meantime, so a few suffice.
const CREATE_OR_OPEN_TRIES: usize = 64;

/// Creates `path`, or opens it when it exists. The file can vanish between
/// the failed create and the open (its last user removed it: a setup file
/// under churn), and appear between a failed open and the create: either
/// way, start again rather than report a file that was there a moment ago
/// as missing.
fn open_or_create(path: &Path, mode: u32, writable: bool) -> io::Result<(File, bool)> {
    let mut tries = 0;
    loop {
        match create_exactly(path, mode) {
            Ok(file) => return Ok((file, true)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
        match open_with(path, false, mode, writable) {
            Ok(file) => return Ok((file, false)),
            Err(error) if error.kind() == io::ErrorKind::NotFound && tries < CREATE_OR_OPEN_TRIES => {
                tries += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Creates `path` (failing if anything is there) with exactly `mode`.
fn create_exactly(path: &Path, mode: u32) -> io::Result<File> {
    let file = open_with(path, true, mode, true)?;
    // The umask may have narrowed the mode; set exactly what was asked, on
    // the file this call created and no other.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
    Ok(file)
}

fn open_with(path: &Path, create_new: bool, mode: u32, writable: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(writable)
        .create_new(create_new)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// `Some(reason)` when the open file has more than one name: a file of ours
/// has exactly one, and a second name made by someone else is a way to make
/// us lock or write a file they chose.
pub(crate) fn extra_links_reason(file: &File) -> io::Result<Option<&'static str>> {
    Ok((file.metadata()?.nlink() > 1)
        .then_some("it has more than one name (a hard link), so it is not a file of ours"))
}

/// Describes why an open failed when the cause is "what is at the path", not
/// the system: `Some(reason)` for a symbolic link or a directory.
pub(crate) fn foreign_reason(error: &io::Error) -> Option<&'static str> {
    match error.raw_os_error() {
        Some(libc::ELOOP) => Some("it is a symbolic link, which is never followed"),
        Some(libc::EISDIR) => Some("it is a directory"),
        Some(libc::ENXIO) => Some("it is a socket or device"),
        _ => None,
    }
}

/// `Some(reason)` when the open file is not a regular file.
pub(crate) fn irregular_reason(file: &File) -> io::Result<Option<&'static str>> {
    let kind = file.metadata()?.file_type();
    Ok(if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("it is a directory")
    } else {
        Some("it is not a regular file (a FIFO, socket or device)")
    })
}

/// Whether `file` is still the file named by `path` (and not one that
/// replaced it, or nothing, after it was unlinked).
pub(crate) fn is_same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Removes `path` if it exists; other failures are ignored (best-effort cleanup).
pub(crate) fn remove_if_exists(path: &Path) {
    let _ = fs::remove_file(path);
}
