//! The platform layer, chosen here and nowhere else: every system call and
//! every platform type of the library lives below this module. It is a
//! leaf: from the modules above it imports only the error vocabulary
//! (`crate::error`), as std's `sys` imports `io::Error`. The `demo` module,
//! a user of the library, makes its own (the Windows console's code page).
//!
//! Beside the backends sits the vocabulary they and the portable layer
//! share:
//! - [`request`]: the plain requests a backend takes, [`RegionSpec`](request::RegionSpec) and
//!   [`MutexSpec`](request::MutexSpec) (built by the public `RegionOptions` and `MutexOptions`,
//!   which a backend never sees), with `Access`, `FileMode`, `Disposition`
//!   and the rules every backend applies the same way (`file_capacity`,
//!   [`mutex_name`]);
//! - [`wait`]: the [`Deadline`](wait::Deadline) and the spinning before a
//!   sleep on a word;
//! - [`mapping`]: the mapped bytes, over the backend's `MappedView`;
//! - [`meta_words`]: the layout of the words kept beside an object (the
//!   turn, its mailbox), and [`Taken`], what a mutex's lock call returns.
//!
//! Both backends export the same crate-private items, which the portable
//! `region`, `view`, `sync` and `ring` modules call. The full list, with the
//! type of each item, is `contract.rs`, checked when compiled (see
//! `docs/platforms.md`); the main ones:
//!
//! | item | Linux ([`linux`]) | Windows ([`windows`]) |
//! |---|---|---|
//! | `RegionInner`, `region::{open_named, create_from_file}` (given a `RegionSpec`) | a file in a directory, its companion `.NAME.meta` and setup file `.NAME.guard` | a named section (`CreateFileMappingW`), or a file's section; the meta words in the section `NAME@meta` |
//! | `MappedView` | `memmap2::MmapRaw` | `MapViewOfFile` |
//! | `MutexInner` (given a `MutexSpec`), `MutexLock`, `MutexId` | a lock file through `named-lock` plus the companion's holder word | `CreateMutexW` |
//! | `WordWaker` | a futex on the word | a named semaphore and a count of sleepers |
//! | `pid_alive` | `kill(pid, 0)` | `OpenProcess` + `GetExitCodeProcess` |
//!
//! Any other target gets `unsupported.rs`: one `compile_error!` naming the
//! supported platforms, and the contract's items with no way to make a
//! value of them, so that the build stops at that one line.

mod contract;
pub(crate) mod mapping;
pub(crate) mod meta_words;
pub(crate) mod request;
pub(crate) mod taken;
pub(crate) mod wait;

pub(crate) use request::mutex_name;
pub(crate) use taken::Taken;

#[cfg(target_os = "linux")]
pub(crate) mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(windows)]
pub(crate) mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(not(any(target_os = "linux", windows)))]
mod unsupported;
#[cfg(not(any(target_os = "linux", windows)))]
pub(crate) use unsupported::*;
