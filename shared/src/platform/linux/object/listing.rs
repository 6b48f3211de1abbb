//! What this library has in a directory: every named object (a region or a
//! stand-alone mutex) whose companion `.NAME.meta` is there, found without
//! touching it (no lock taken, nothing mapped or written), and the removal
//! of the stale ones, every user of which is gone.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use super::lifetime::{self, Wait};
use super::meta::{read_header, Header, Kind};
use super::{MetaState, ObjectFiles, Spec};
use crate::error::Failure;
use crate::platform::files::{self, Create};
use crate::platform::ownership::Trust;
use crate::platform::proc_locks::lock_holders_of;
use crate::platform::wait::Deadline;

/// How long a clean waits for an object's setup lock (an open or close in
/// progress holds it for moments) before it leaves that object alone.
const SETUP_WAIT: Duration = Duration::from_secs(1);

/// One object as found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) name: String,
    /// What the companion says; `None` when this user cannot read it
    /// (another user's, not shared with this one).
    pub(crate) header: Option<Header>,
    /// Processes holding it open as users; `None` without `/proc/locks`.
    pub(crate) users: Option<usize>,
    /// Whether a process is setting it up or closing it right now (it
    /// holds the companion exclusively).
    pub(crate) busy: bool,
    /// The companion's owner.
    pub(crate) uid: u32,
    /// Whether the object file is there and is the one the companion vouches for.
    pub(crate) file_present: bool,
}

impl Found {
    /// Whether every user is gone: none holds it, and nobody is setting it
    /// up or closing it.
    pub(crate) fn is_stale(&self) -> bool {
        self.users == Some(0) && !self.busy
    }
}

/// Every object of this library in `dir`, by name. Companions that are not
/// this library's (another layout, a foreign file) are left out.
pub(crate) fn list(dir: &Path) -> Result<Vec<Found>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|error| Failure::classify("list", dir, error))?;
    let mut found: Vec<Found> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file_name = entry.file_name();
            let name = file_name.to_str()?.strip_prefix('.')?.strip_suffix(".meta")?;
            look_at(dir, name)
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The object `name` in `dir`, when its companion is one of ours (or
/// cannot be read by this user: then it may be, and is listed unread).
fn look_at(dir: &Path, name: &str) -> Option<Found> {
    let files = ObjectFiles::new(dir.to_owned(), name);
    let companion = std::fs::symlink_metadata(&files.meta).ok()?;
    if !companion.file_type().is_file() {
        return None;
    }
    let header = match files::open(&files.meta, Create::No, 0, false) {
        Ok(meta) => Some(
            [Kind::Region, Kind::Mutex]
                .into_iter()
                .find_map(|kind| read_header(&meta, kind).ok()?.ok())?,
        ),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => None,
        Err(_) => return None,
    };
    let file_present = std::fs::symlink_metadata(&files.object).is_ok_and(|object| {
        header.is_none_or(|header| object.dev() == header.dev && object.ino() == header.ino)
    });
    let holders = |kind| lock_holders_of(companion.dev(), companion.ino(), kind);
    Some(Found {
        name: name.to_owned(),
        users: holders("READ").map(|pids| pids.len()),
        busy: holders("WRITE").is_some_and(|pids| !pids.is_empty()),
        uid: companion.uid(),
        header,
        file_present,
    })
}

/// Removes `found` when it is stale and this user's, as an open that finds
/// it stale would: under its setup lock, looking again there first, so
/// that an object someone joined or created in the meantime stays.
/// Returns whether it was removed.
pub(crate) fn remove_if_stale(dir: &Path, found: &Found) -> Result<bool, Failure> {
    let Some(listed) = found.header else {
        return Ok(false);
    };
    if !found.is_stale() || found.uid != crate::platform::sys::effective_uid() {
        return Ok(false);
    }
    let files = ObjectFiles::new(dir.to_owned(), &found.name);
    let mode = mode_of(&files.meta).map_err(|error| Failure::io("inspect", &files.meta, error))?;
    let spec = Spec {
        files: &files,
        kind: listed.kind,
        mode,
        writable: false,
        trust: Trust::Owner,
        persistent: listed.persistent,
        until: Deadline::after(SETUP_WAIT),
    };
    let _gate = crate::platform::on_exit::open_gate();
    let setup = lifetime::SetupLock::acquire(&files.guard, mode, Trust::Owner, Wait::open(spec.until))?;
    let removed = match spec.inspect_meta() {
        Ok(MetaState::Stale { header }) if header == listed => {
            spec.remove_stale(&header);
            true
        }
        Ok(MetaState::Missing) => true,
        // Live again, or changed, or no longer ours to judge: left alone.
        Ok(_) | Err(_) => false,
    };
    if removed {
        setup.remove();
    }
    Ok(removed)
}

/// The permission bits of the file at `path`.
fn mode_of(path: &Path) -> io::Result<u32> {
    Ok(File::open(path)?.metadata()?.mode() & 0o7777)
}
