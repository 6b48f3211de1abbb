//! What only one platform has, as extension traits in the manner of
//! `std::os::unix::fs::OpenOptionsExt`: import the trait, and the portable
//! builder gains the platform's settings.
//!
//! The portable API ([`RegionOptions`](crate::RegionOptions),
//! [`MutexOptions`](crate::MutexOptions), [`Region`](crate::Region), ...)
//! means the same on every platform. What a platform cannot mean is not on
//! it: a Linux region is a file in a directory with a mode, so
//! `linux` adds the directory, the mode, group sharing, block reservation,
//! observing without joining, sleeping on a bare word (a futex), and
//! listing and cleaning a directory. A Windows region is a kernel object
//! with no directory and no file mode: `windows` adds only the listing of
//! the kernel's object directory.
//!
//! The traits are sealed: only this crate implements them.

mod listed;

pub use listed::{ListedObject, ObjectKind};

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub mod linux;

#[cfg(windows)]
#[cfg_attr(docsrs, doc(cfg(windows)))]
pub mod windows;

/// Keeps the extension traits for this crate's types alone.
#[cfg(target_os = "linux")]
mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::RegionOptions {}
    impl Sealed for crate::MutexOptions {}
    impl Sealed for crate::Region {}
}
