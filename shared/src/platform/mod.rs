//! The platform layer, chosen here and nowhere else: every system call and
//! every platform type of the library lives below this module (and in
//! `mapping.rs`, which touches the mapped bytes). The `demo` module, a user
//! of the library, makes its own (the Windows console's code page).
//!
//! Both backends export the same crate-private items, which the portable
//! `region`, `view`, `sync` and `ring` modules call. The full list, with the
//! type of each item, is `contract.rs`, checked when compiled (see
//! `docs/platforms.md`); the main ones:
//!
//! | item | Linux ([`linux`]) | Windows ([`windows`]) |
//! |---|---|---|
//! | `RegionInner`, `region::{open_named, create_from_file}` | a file in a directory, its companion `.NAME.meta` and setup file `.NAME.guard` | a named section (`CreateFileMappingW`), or a file's section |
//! | `MappedView` | `memmap2::MmapRaw` | `MapViewOfFile` |
//! | `MutexInner`, `MutexLock` | a lock file through `named-lock` plus the companion's holder word | `CreateMutexW` |
//! | `pid_alive` | `kill(pid, 0)` | `OpenProcess` + `GetExitCodeProcess` |

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
