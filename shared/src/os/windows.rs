//! What only Windows has: the kernel's directory of named objects, listed.
//!
//! A named region is a section in this session's `\Sessions\N\BaseNamedObjects`
//! (or in `\BaseNamedObjects` for a `Global\` name), the same kernel
//! object as .NET's `MemoryMappedFile.CreateOrOpen` makes, with the
//! sections and semaphores of its turn and wake-ups beside it (`NAME@…`);
//! its mutex is the mutant `NAMEmutex`. Each lives while a handle to it is
//! open, so nothing is ever stale there and there is nothing to clean.

use crate::platform::windows::listing::named_objects;
use crate::{Access, Failure, RegionName, RegionOptions};

pub use super::listed::{ListedObject, ObjectKind};

/// The regions in the session's object directory (and, with `global`,
/// those of `\BaseNamedObjects`, named `Global\NAME`), each with its
/// mutex when it has one. A region is a named section (any program's: a
/// region of this library is a plain named section, as .NET's are; the
/// library's own `NAME@…` objects beside it are left out); its size is
/// read through a read-only open, whose handle keeps it alive for that
/// moment, rounded up to whole pages as every open of a named section sees
/// it. Processes using them are not counted (`users` is `None`): Windows
/// counts handles, not processes.
///
/// # Errors
/// [`Failure`] when the object directory cannot be read.
pub fn list_objects(global: bool) -> Result<Vec<ListedObject>, Failure> {
    let mut listed = scope(false)?;
    if global {
        listed.extend(scope(true)?);
    }
    Ok(listed)
}

/// The regions and their mutexes of one directory.
fn scope(global: bool) -> Result<Vec<ListedObject>, Failure> {
    let place = if global {
        r"\BaseNamedObjects"
    } else {
        r"\Sessions\N\BaseNamedObjects"
    };
    let objects = named_objects(global).map_err(|error| Failure::io("list", place, error))?;
    let is = |name: &str, kind: &str| objects.iter().any(|(n, k)| n == name && k == kind);
    let prefix = if global { r"Global\" } else { "" };
    let mut listed = Vec::new();
    let mut regions: Vec<&str> = objects
        .iter()
        .filter(|(name, kind)| kind == "Section" && !name.contains('@'))
        .map(|(name, _)| name.as_str())
        .collect();
    regions.sort_unstable();
    for name in regions {
        let full = format!("{prefix}{name}");
        listed.push(object(full.clone(), ObjectKind::Region, size_of(&full)));
        if is(&format!("{name}mutex"), "Mutant") {
            listed.push(object(format!("{full}mutex"), ObjectKind::Mutex, Some(0)));
        }
    }
    Ok(listed)
}

/// A listed object of Windows: live, its owner not a uid.
fn object(name: String, kind: ObjectKind, size: Option<u64>) -> ListedObject {
    ListedObject {
        name,
        kind: Some(kind),
        size,
        persistent: false,
        users: None,
        stale: false,
        owner_uid: None,
        file_present: true,
    }
}

/// The size of the region `name`, through a read-only open; `None` when it
/// cannot be opened (gone meanwhile, or denied).
fn size_of(name: &str) -> Option<u64> {
    let name = RegionName::new(name).ok()?;
    let region = RegionOptions::named(&name)
        .access(Access::Read)
        .open_existing()
        .ok()?;
    Some(region.size())
}
