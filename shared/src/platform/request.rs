//! The plain requests the portable layer hands a backend, and the rules
//! every backend applies to them the same way: what to open
//! ([`RegionSpec`], [`MutexSpec`]), how ([`Disposition`], [`Access`],
//! [`FileMode`]), and the names derived from a name. The public builders
//! (`RegionOptions`, `MutexOptions`) build these requests; a backend never
//! sees the builders. Nothing here imports from above the platform layer
//! but the error vocabulary.

use std::path::Path;
use std::time::Duration;

use super::ObjectSettings;
use crate::error::Failure;
use crate::platform::wait::Deadline;

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

/// .NET `FileMode`, for a region over a file
/// ([`RegionOptions::file`](crate::RegionOptions::file)).
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

/// How an open treats a region (or mutex) that exists, or does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// .NET `CreateNew`.
    CreateNew,
    /// .NET `OpenExisting`.
    OpenExisting,
    /// .NET `CreateOrOpen`.
    CreateOrOpen,
}

/// Where a region's bytes are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Location<'a> {
    /// Non-persistent, by this (valid) name: removed by the last process
    /// out (on Linux a file in the directory of the platform settings).
    Named(&'a str),
    /// Persistent: a file the user names, kept after every process exits.
    File(&'a Path),
}

/// A request to open a region, as a backend takes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegionSpec<'a> {
    /// Where the bytes are.
    pub(crate) location: Location<'a>,
    /// The size asked for (0: none, or for a file its own size).
    pub(crate) size: u64,
    /// What this process may do with the bytes.
    pub(crate) access: Access,
    /// How a file region treats its file.
    pub(crate) file_mode: FileMode,
    /// The longest an open may wait for another process's lock (`None`: as
    /// long as it takes).
    pub(crate) timeout: Option<Duration>,
    /// What only the platform has (Linux: directory, mode, trust, reserve).
    pub(crate) platform: &'a ObjectSettings,
}

impl RegionSpec<'_> {
    /// Whether the region is over a file the user names.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Linux's companions record it
    pub(crate) fn is_file(&self) -> bool {
        matches!(self.location, Location::File(_))
    }

    /// Whether this process may write the bytes.
    pub(crate) fn writable(&self) -> bool {
        self.access == Access::ReadWrite
    }

    /// When an open stops waiting for another process's setup or presence
    /// lock (never, by default).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // only Linux opens wait
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::after(self.timeout.unwrap_or(Duration::MAX))
    }

    /// .NET `CreateFromFile`'s capacity rules for a file of `len` bytes:
    /// the capacity (0 asked: the file's size), and whether the file must
    /// grow to it. Both backends grow it themselves.
    #[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
    pub(crate) fn file_capacity(&self, len: u64) -> Result<(u64, bool), Failure> {
        let capacity = match self.size {
            0 => len,
            asked => asked,
        };
        if capacity == 0 {
            return Err(Failure::BadSize {
                size: 0,
                reason: "the file is empty: give a capacity with RegionOptions::size",
            });
        }
        if capacity < len {
            return Err(Failure::BadSize {
                size: capacity,
                reason: "the capacity is smaller than the file (use 0 for the file's size)",
            });
        }
        let grow = capacity > len;
        if grow && self.access == Access::Read {
            return Err(Failure::BadOptions {
                reason: "a read-only region cannot grow its file: ask for capacity 0",
            });
        }
        Ok((capacity, grow))
    }
}

/// A request to open a named mutex, as a backend takes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MutexSpec<'a> {
    /// The mutex's (valid) name.
    pub(crate) name: &'a str,
    /// The longest creating or opening may wait for another process's
    /// setup lock (`None`: as long as it takes).
    pub(crate) timeout: Option<Duration>,
    /// What only the platform has (Linux: directory, mode, trust).
    pub(crate) platform: &'a ObjectSettings,
}

impl MutexSpec<'_> {
    /// When creating or opening stops waiting for another process's setup
    /// lock (never, by default).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // only Linux opens wait
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::after(self.timeout.unwrap_or(Duration::MAX))
    }
}

/// What the demo's convention appends to a region name for its mutex:
/// `testmap` has the mutex `testmapmutex`.
pub(crate) const MUTEX_SUFFIX: &str = "mutex";

/// The demo's mutex beside the object named `base`: `<base>mutex` (so the
/// default `testmap` keeps the original's `testmapmutex`). The one rule for
/// that name, used by [`RegionName`](crate::RegionName) and by every
/// backend's regions.
pub(crate) fn mutex_name(base: &str) -> String {
    format!("{base}{MUTEX_SUFFIX}")
}
