//! Listing and cleaning a directory of named objects: what this library has
//! there, and the removal of what dead processes left.

use std::path::Path;

use super::{ListedObject, ObjectKind};
use crate::platform::linux::object::listing::{self, Found};
use crate::platform::linux::object::meta::Kind;
use crate::Failure;

/// What the listing says of `found`.
fn listed(found: &Found) -> ListedObject {
    ListedObject {
        name: found.name.clone(),
        kind: found.header.map(|header| match header.kind {
            Kind::Region => ObjectKind::Region,
            Kind::Mutex => ObjectKind::Mutex,
        }),
        size: found.header.map(|header| header.size),
        persistent: found.header.is_some_and(|header| header.persistent),
        users: found.users,
        stale: found.is_stale(),
        owner_uid: Some(found.uid),
        file_present: found.file_present,
    }
}

/// Every named object of this library in `dir` (regions and stand-alone
/// mutexes, by name), found without touching any: no lock is taken, nothing
/// is mapped, read beyond the companion's header, or written. Files that
/// are not this library's are left out.
///
/// ```
/// use shared::os::linux::{list_objects, ObjectKind, RegionOptionsExt};
/// use shared::{RegionName, RegionOptions};
///
/// let dir = tempfile::tempdir()?;
/// let name = RegionName::new("listed")?;
/// let region = RegionOptions::named(&name).dir(dir.path()).size(4096).create_or_open()?;
/// let found = list_objects(dir.path())?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].name, "listed");
/// assert_eq!(found[0].kind, Some(ObjectKind::Region));
/// assert_eq!((found[0].size, found[0].users, found[0].stale), (Some(4096), Some(1), false));
/// # drop(region);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Failure`] when `dir` cannot be read.
pub fn list_objects(dir: &Path) -> Result<Vec<ListedObject>, Failure> {
    Ok(listing::list(dir)?.iter().map(listed).collect())
}

/// Removes the stale objects of `dir` that belong to this user (every user
/// of them gone: see [`ListedObject::stale`]) and returns what it removed.
/// Each is looked at again under its setup lock, as an open would, so that
/// one a process joined or created meanwhile stays; other users' objects,
/// live ones and a persistent region's own file always stay.
///
/// # Errors
/// [`Failure`] when `dir` cannot be read, or a stale object's files cannot
/// be locked or removed (what was removed before stays removed).
pub fn remove_stale_objects(dir: &Path) -> Result<Vec<ListedObject>, Failure> {
    let mut removed = Vec::new();
    for found in listing::list(dir)? {
        if listing::remove_if_stale(dir, &found)? {
            removed.push(listed(&found));
        }
    }
    Ok(removed)
}
