//! What a listing of named objects says about each: the same on every
//! platform, found by each platform's own `list_objects`.

/// What kind of object a listing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A shared-memory region.
    Region,
    /// A named mutex (a region's own is named `<region>mutex`).
    Mutex,
}

/// One named object of this library, as a listing found it (on Linux,
/// `linux::list_objects` in a directory; on Windows,
/// `windows::list_objects` in the kernel's object directory).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListedObject {
    /// Its name.
    pub name: String,
    /// What it is; `None` when its companion file `.NAME.meta` cannot be
    /// read by this user (Linux: another user's, not shared with this one).
    pub kind: Option<ObjectKind>,
    /// Its size in bytes (0 for a mutex); `None` as for `kind`.
    pub size: Option<u64>,
    /// Whether it is a region over a file someone named, kept after its
    /// last user (the file is never removed by a clean, only its companion).
    pub persistent: bool,
    /// How many processes use it now; `None` where the system cannot say
    /// (Linux without `/proc/locks`; Windows, which counts handles, not
    /// processes).
    pub users: Option<usize>,
    /// Whether every user is gone: nobody uses it, sets it up or closes it.
    /// A process that opens it again starts it afresh; until then its files
    /// stay (Linux's `remove_stale_objects` removes them). Never on
    /// Windows, where an object goes with its last handle.
    pub stale: bool,
    /// The user id its files belong to (Linux); `None` on Windows.
    pub owner_uid: Option<u32>,
    /// Whether the object's own file (the region's bytes, the mutex's lock
    /// file) is there and is the one its companion vouches for (always on
    /// Windows: a listed object exists).
    pub file_present: bool,
}
