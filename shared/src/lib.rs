//! Named shared memory between processes, with .NET's semantics where .NET
//! has them: regions (`MemoryMappedFile`), views (`MemoryMappedViewAccessor`,
//! `MemoryMappedViewStream`) with typed access for any plain-old-data type,
//! and a named cross-process mutex (`System.Threading.Mutex`).
//!
//! | .NET | this crate |
//! |---|---|
//! | `MemoryMappedFile.CreateNew(name, capacity)` | [`Region::create_new`], [`RegionOptions::create_new`] |
//! | `MemoryMappedFile.CreateOrOpen(name, capacity)` | [`Region::create_or_open`], [`RegionOptions::create_or_open`] |
//! | `MemoryMappedFile.OpenExisting(name)` | [`Region::open_existing`], [`RegionOptions::open_existing`] |
//! | `MemoryMappedFile.CreateFromFile(path, mode, name, capacity, access)` | [`Region::create_from_file`], [`RegionOptions::file`] + [`FileMode`] + [`Access`] |
//! | `mmf.CreateViewAccessor(offset, size)` | [`Region::create_view_accessor`] ([`AccessorView`]: `read::<T>`, `write`, `read_array`, `write_array`) |
//! | `mmf.CreateViewStream(offset, size)` | [`Region::create_view_stream`] ([`StreamView`]: `Read + Write + Seek`) |
//! | `view.Flush()` | [`AccessorView::flush`], [`Region::flush`], [`Region::flush_range`] |
//! | `new Mutex(initiallyOwned, name, out createdNew)` | [`MutexOptions::create`], [`NamedMutex::create`] |
//! | `Mutex.OpenExisting(name)` | [`MutexOptions::open_existing`], [`NamedMutex::open_existing`] |
//! | `mutex.WaitOne()` / `WaitOne(t)` | [`NamedMutex::wait`] / [`NamedMutex::wait_timeout`] |
//! | `mutex.ReleaseMutex()` | drop the [`MutexGuard`] |
//! | `AbandonedMutexException` | [`Acquired::Abandoned`] |
//!
//! **A region's bytes are the user's**: the library writes none of them. It
//! keeps its own bookkeeping (which file it vouches for, who uses the object,
//! the mutex holder, wake-up words, the turn mailbox) beside it: on Linux in
//! a companion file `.NAME.meta` beside each region or mutex, with opening
//! and closing serialized by `.NAME.guard`; on Windows in small named
//! sections of its own. Like .NET, a named region or mutex lasts while some
//! process has it open: the last one out removes it, and one whose users all
//! died counts as gone. On Linux a file at a region's path that no companion
//! vouches for is someone else's: it is refused and left untouched.
//!
//! Beyond .NET: [`sync::Turn`] lets processes take
//! turns without polling; [`latest`] is a cell one process publishes values
//! in and any number read, whole, without a lock (a value read with
//! [`AccessorView::read`] while another process writes it can tear); [`ring`] is a single-producer/single-consumer ring
//! of records of any plain-old-data type (its `RecordSender` and
//! `RecordReceiver` are not .NET's stream: that is [`StreamView`]);
//! [`Region::notifier`] sleeps on a word of your own layout until another
//! process changes it; [`exit_closing_regions`] lets a signal handler leave
//! cleanly.
//!
//! # Platforms
//! Linux and Windows, with one API. What only one platform has is on
//! extension traits in [`os`], as in `std::os`: on Linux
//! (`os::linux`) a region's directory, its files' mode, group sharing,
//! block reservation, observing a region without joining it (also after
//! its users died), and sleeping on a bare word (a futex). On Windows the
//! objects are the kernel's named sections and mutexes, the very ones .NET
//! creates, and need nothing beyond the portable API.
//!
//! # Features
//! A plain dependency builds the library alone. The `demo` feature adds the
//! `demo` module, the first user's own pieces (the C# article's layout and
//! record, its handshake, .NET ticks through chrono); `console` adds the demo
//! programs' console pieces on top of `demo`.
//!
//! # Example
//! Two processes would each run their half; here one process plays both.
//!
//! ```
//! use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//! use shared::{MutexOptions, RegionName, RegionOptions};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
//! #[zerocopy(crate = "shared::zerocopy")]
//! #[repr(C)]
//! struct Reading { sensor: u32, celsius: f32 }
//!
//! let name = RegionName::new(&format!("doc-example-{}", std::process::id()))?;
//! // MemoryMappedFile.CreateOrOpen(name, 10000)
//! let region = RegionOptions::named(&name).size(10_000).create_or_open()?;
//! // new Mutex(true, name + "mutex", out bool createdNew)
//! let created = MutexOptions::for_region(&region).create(true)?;
//! assert!(created.created_new);
//! {
//!     let _owned = created.guard; // held until the end of this block
//!     let accessor = region.create_view_accessor(0, 0)?;
//!     accessor.write_array(0, &[Reading { sensor: 1, celsius: 21.5 }; 100])?;
//! }
//! let acquired = created.mutex.wait()?; // WaitOne()
//! assert!(acquired.abandoned_by().is_none());
//! let accessor = region.create_view_accessor(0, 0)?;
//! assert_eq!(accessor.read::<Reading>(8 * 99)?.celsius, 21.5);
//! # drop(acquired); drop(created.mutex); drop(region);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "demo")]
pub mod demo;
mod error;
mod exit;
pub mod latest;
mod name;
pub mod os;
mod platform;
mod process;
mod region;
pub mod ring;
pub mod sync;
mod view;

pub use error::{Failure, Object, ObjectError, Refusal, ViewError};
pub use exit::exit_closing_regions;
pub use name::{NameError, RegionName, MAX_NAME_BYTES};
pub use process::process_alive;
pub use region::{Access, FileMode, Region, RegionOptions};
pub use sync::{Acquired, CreatedMutex, MutexGuard, MutexOptions, NamedMutex};
pub use view::{AccessorView, StreamView};
/// The plain-old-data traits and derives typed access uses (re-exported so a
/// user can derive them with `#[zerocopy(crate = "shared::zerocopy")]`).
pub use zerocopy;
