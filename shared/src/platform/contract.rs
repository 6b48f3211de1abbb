//! What every backend provides: one list, checked when compiled. Each line
//! names an item of the backend chosen in `platform/mod.rs` with the type
//! the portable layer uses it at, so a backend that drifts from it (a
//! renamed function, another signature, a missing constant) fails to
//! compile here, on its own target, with the line that says what is
//! expected. A new backend is one more file set that passes this list and
//! the same test suite (see `docs/platforms.md`).
//!
//! The portable layer (`region`, `view`, `sync`, `ring`) and the platform
//! layer's shared vocabulary (`mapping`, `meta_words`, `taken`) use nothing
//! of a backend that is not named here; items used only by one platform's
//! own extensions (`os::linux`, the `inspect` tool) are outside the
//! contract. A backend takes its requests as the plain values of
//! `request.rs` ([`RegionSpec`], [`MutexSpec`]), never the public builders.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use super::mapping::Mapping;
use super::meta_words::Meta;
use super::request::{Disposition, MutexSpec, RegionSpec};
use super::{MappedView, MutexId, MutexInner, MutexLock, ObjectSettings, RegionInner, Taken, WordWaker};
use crate::error::{Failure, ViewError};

/// Processes and CPUs.
mod processes {
    use super::super as backend;
    /// Whether a process of that pid runs.
    const _: fn(u32) -> bool = backend::pid_alive;
    /// ", owned by …" for a message about that pid, or nothing.
    const _: fn(u32) -> String = backend::describe_process_owner;
    /// The CPU the calling thread runs on, when the system can say.
    const _: fn() -> Option<u32> = backend::current_cpu;
    /// Whether the calling thread's affinity allows more than one CPU.
    const _: fn() -> bool = backend::may_run_elsewhere;
    /// Registers this process for the heavy barrier; whether it can be used.
    const _: fn() -> bool = backend::register_for_heavy_barriers;
    /// Issues the heavy barrier; false when it cannot be issued here.
    const _: fn() -> bool = backend::heavy_barrier;
    /// Closes every object this process holds (before it exits on a signal).
    const _: fn() = backend::close_everything;
}

/// The words of messages, in this platform's terms.
mod wording {
    use super::super as backend;
    /// Whether names live in kernel namespaces (Windows) rather than directories.
    const _: bool = backend::HAS_KERNEL_NAMESPACES;
    /// What to use instead of a name that is taken.
    const _: &str = backend::ANOTHER_PLACE;
    /// What to check when a name is not found.
    const _: &str = backend::LOOK_AGAIN;
    /// How to make room: without and with reserving the pages.
    const _: (&str, &str) = backend::MAKE_ROOM;
}

/// Regions: opening by name or over a file, and what a region tells.
const _: fn(&RegionSpec, Disposition) -> Result<RegionInner, Failure> = super::region::open_named;
const _: fn(&RegionSpec) -> Result<RegionInner, Failure> = super::region::create_from_file;
const _: for<'a> fn(&'a RegionInner) -> &'a Mapping = RegionInner::mapping;
const _: for<'a> fn(&'a RegionInner) -> &'a str = RegionInner::name;
const _: for<'a> fn(&'a RegionInner) -> &'a Path = RegionInner::path;
const _: fn(&RegionInner) -> bool = RegionInner::created_new;
const _: fn(&RegionInner) -> bool = RegionInner::is_persistent;
const _: fn(&RegionInner) -> Option<usize> = RegionInner::attached_processes;
const _: fn(&RegionInner) -> String = RegionInner::mutex_name;
const _: fn(&RegionInner) -> ObjectSettings = RegionInner::mutex_settings;
const _: fn(&RegionInner, u64) -> io::Result<WordWaker> = RegionInner::word_waker;
const _: for<'a> fn(&'a RegionInner) -> Result<(&'a Meta, &'a WordWaker), ViewError> =
    RegionInner::turn_parts;

/// Mapped bytes.
const _: fn(&File, usize, bool) -> io::Result<MappedView> = MappedView::of_file;
const _: fn(&MappedView) -> *mut u8 = MappedView::as_ptr;
const _: fn(&MappedView) -> usize = MappedView::len;
const _: fn(&MappedView) -> bool = MappedView::is_cut;
const _: fn(&MappedView, usize, usize) -> io::Result<()> = MappedView::flush_range;

/// Sleeping on a word of shared memory, and waking its sleepers.
const _: fn(&WordWaker, &AtomicU32, u32, Duration) = WordWaker::sleep_while_equal;
const _: fn(&WordWaker, &AtomicU32) = WordWaker::wake_all;

/// Named mutexes.
type Opened = (Arc<MutexInner>, bool, Option<Taken>);
const _: fn(&MutexSpec, Disposition, bool) -> Result<Opened, Failure> = MutexInner::open;
const _: fn(&MutexInner, Duration) -> Result<Option<Taken>, Failure> = MutexInner::lock_within;
const _: fn(&MutexInner) -> Result<Option<Taken>, Failure> = MutexInner::try_lock;
const _: fn(&MutexInner, MutexLock) = MutexInner::release;
const _: fn(&MutexInner) -> Option<u32> = MutexInner::holder_pid;
const _: fn(&MutexInner) -> MutexId = MutexInner::id;
const _: for<'a> fn(&'a MutexInner) -> &'a str = MutexInner::name;
const _: for<'a> fn(&'a MutexInner) -> &'a Path = MutexInner::path;
