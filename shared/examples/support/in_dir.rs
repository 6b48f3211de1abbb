//! The `DIR` argument of the examples (and the tests' temporary
//! directories): on Linux, where a named region or mutex lives as files, the
//! directory of those files (set with the extension traits of
//! `shared::os::linux`); on Windows a named object is a kernel object, with
//! no directory, so `DIR` means nothing there.

use std::path::Path;

use shared::{MutexOptions, RegionOptions};

/// Puts a named region's or mutex's files in `dir` where the platform has
/// files (Linux); leaves the options as they are elsewhere.
pub trait InDir: Sized {
    /// The options, in `dir` on Linux.
    fn in_dir(self, dir: impl AsRef<Path>) -> Self;
}

#[cfg(target_os = "linux")]
impl InDir for RegionOptions {
    fn in_dir(self, dir: impl AsRef<Path>) -> Self {
        shared::os::linux::RegionOptionsExt::dir(self, dir.as_ref())
    }
}

#[cfg(target_os = "linux")]
impl InDir for MutexOptions {
    fn in_dir(self, dir: impl AsRef<Path>) -> Self {
        shared::os::linux::MutexOptionsExt::dir(self, dir.as_ref())
    }
}

#[cfg(windows)]
impl InDir for RegionOptions {
    fn in_dir(self, _dir: impl AsRef<Path>) -> Self {
        self
    }
}

#[cfg(windows)]
impl InDir for MutexOptions {
    fn in_dir(self, _dir: impl AsRef<Path>) -> Self {
        self
    }
}
