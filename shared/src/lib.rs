//! Inter-process communication through a named shared-memory region under a
//! named cross-process mutex: the library behind the `message-server` /
//! `state-server` demo, a Rust port of a classic C# (.NET) instant-messaging
//! example.
//!
//! | .NET | this crate |
//! |---|---|
//! | `MemoryMappedFile.CreateOrOpen(name, size)` | [`Region::create_or_open`], [`RegionOptions::create_or_open`] |
//! | `MemoryMappedFile.CreateNew` / `OpenExisting` | [`RegionOptions::create_new`] / [`RegionOptions::open_existing`] |
//! | `MemoryMappedFile.CreateFromFile(path, ...)` | [`Region::create_from_file`], [`RegionOptions::file`] |
//! | `mmf.CreateViewStream(offset, len)` | [`Region::create_view_stream`] ([`StreamView`]: `Read + Write + Seek`) |
//! | `mmf.CreateViewAccessor(offset, len)` | [`Region::create_view_accessor`] ([`AccessorView`]) |
//! | `new Mutex(true, name, out created)` | [`NamedMutex::create`] |
//! | `Mutex.OpenExisting(name)` | [`NamedMutex::open_existing`] |
//! | `mutex.WaitOne()` / `WaitOne(t)` | [`NamedMutex::wait`] / [`NamedMutex::wait_timeout`] |
//! | `mutex.ReleaseMutex()` | drop the [`MutexGuard`] |
//! | `AbandonedMutexException` | [`Acquired::Abandoned`] |
//! | `struct ServiceMsg { int Id; long NowTime; }` | [`ServiceMsg`] |
//! | `DateTime.Now.Ticks` | [`ticks::now_ticks`] |
//!
//! The byte layout (offsets, sizes, the 16-byte record) is in [`layout`]; this
//! project's control block in the bytes 40–103 is in [`control`].
//!
//! Beyond the demo: [`turn`] lets processes take turns without polling (a
//! futex on Linux), and [`stream`] is a single-producer/single-consumer ring
//! of records in a region of its own. A process ended by a signal can still
//! leave cleanly with [`exit_closing_regions`].
//!
//! # Example
//! Two processes would each run their half; here one process plays both.
//!
//! ```
//! use std::io::Write;
//! use byteorder::{LittleEndian, WriteBytesExt};
//! use shared::{layout, NamedMutex, RegionName, RegionOptions, ServiceMsg};
//!
//! # let dir = std::env::temp_dir();
//! let name = RegionName::new(&format!("doc-example-{}", std::process::id()))?;
//! let region = RegionOptions::named(&name).dir(&dir).create_or_open()?;
//! let created = NamedMutex::create(&region, true)?;
//! assert!(created.created_new);
//! {
//!     let _owned = created.guard; // held until the end of this block
//!     let mut stream = region.create_view_stream(layout::MESSAGE_INTS_OFFSET, 0)?;
//!     for i in 0..5 {
//!         stream.write_i32::<LittleEndian>(i)?;
//!     }
//!     let records = region.create_view_accessor(layout::RECORDS_OFFSET, layout::RECORDS_VIEW_LEN)?;
//!     records.write_service_msg(0, &ServiceMsg::now(0))?;
//! }
//! let acquired = created.mutex.wait()?;
//! assert!(acquired.abandoned_by().is_none());
//! let records = region.create_view_accessor(layout::RECORDS_OFFSET, layout::RECORDS_VIEW_LEN)?;
//! assert_eq!(records.read_service_msg(0)?.id, 0);
//! # drop(acquired); drop(created.mutex); drop(region);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod accessor_view;
#[cfg(feature = "demo")]
pub mod cli;
#[cfg(feature = "demo")]
pub mod console;
pub mod control;
mod error;
mod files;
pub mod layout;
mod lifetime;
mod mapping;
mod mutex;
mod name;
mod notify;
#[cfg(feature = "demo")]
pub mod output;
mod region;
mod service_msg;
pub mod stream;
mod stream_view;
mod sys;
pub mod ticks;
#[cfg(feature = "demo")]
pub mod transcript;
pub mod turn;
mod view;
#[cfg(feature = "demo")]
pub mod wait_indicator;

pub use accessor_view::AccessorView;
pub use error::{MutexError, RegionError, ViewError};
pub use lifetime::exit_closing_regions;
pub use mutex::{Acquired, CreatedMutex, MutexGuard, NamedMutex};
pub use name::{NameError, RegionName, MAX_NAME_BYTES};
pub use region::{default_dir, Region, RegionOptions, DEFAULT_MODE};
pub use service_msg::ServiceMsg;
pub use stream_view::StreamView;
