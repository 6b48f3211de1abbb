//! What only one platform has, as extension traits in the manner of
//! `std::os::unix::fs::OpenOptionsExt`: import the trait, and the portable
//! builder gains the platform's settings.
//!
//! The portable API ([`RegionOptions`](crate::RegionOptions),
//! [`MutexOptions`](crate::MutexOptions), [`Region`](crate::Region), ...)
//! means the same on every platform. What a platform cannot mean is not on
//! it: a Linux region is a file in a directory with a mode, so
//! `linux` adds the directory, the mode, group sharing, block reservation,
//! observing without joining, and sleeping on a bare word (a futex). A
//! Windows region is a kernel object with no directory and no file mode, and
//! has no extension of its own: everything Windows offers here is portable.
//!
//! The traits are sealed: only this crate implements them.

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub mod linux;

/// Keeps the extension traits for this crate's types alone.
#[cfg(target_os = "linux")]
mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::RegionOptions {}
    impl Sealed for crate::MutexOptions {}
    impl Sealed for crate::Region {}
}
