//! The backend of every target without one (memmap2's `stub.rs` pattern):
//! the build stops at the one `compile_error!` below, which names the
//! supported platforms. The items after it are the contract's
//! (`contract.rs`) with no way to make a value of them, so that nothing
//! else fails to compile and that one line is the whole report. A real
//! backend for the target replaces this file (see `docs/platforms.md`).

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use super::request::{Disposition, MutexSpec, RegionSpec};
use super::taken::Taken;
use crate::error::{Failure, ViewError};
use crate::platform::mapping::Mapping;

compile_error!(
    "the `shared` crate supports Linux and Windows only: its named objects are files under /dev/shm with flock and futexes on Linux, and the kernel's named sections and mutexes on Windows"
);

/// The answer of every question below: nothing is known, nothing runs,
/// nothing is open (this backend never runs).
fn nothing<T: Default>() -> T {
    T::default()
}

/// Whether a process of that pid runs.
pub(crate) fn pid_alive(_pid: u32) -> bool {
    nothing()
}

/// Nothing to say about a process's owner.
pub(crate) fn describe_process_owner(_pid: u32) -> String {
    nothing()
}

/// The CPU is never known.
pub(crate) fn current_cpu() -> Option<u32> {
    nothing()
}

/// Never known to run elsewhere.
pub(crate) fn may_run_elsewhere() -> bool {
    nothing()
}

/// No heavy barrier.
pub(crate) fn register_for_heavy_barriers() -> bool {
    nothing()
}

/// No heavy barrier.
pub(crate) fn heavy_barrier() -> bool {
    nothing()
}

/// Nothing is ever open.
pub(crate) fn close_everything() {
    nothing()
}

/// No kernel namespaces.
pub(crate) const HAS_KERNEL_NAMESPACES: bool = false;
/// How messages name another place for an object.
pub(crate) const ANOTHER_PLACE: &str = "another name";
/// What to check when an object is not there.
pub(crate) const LOOK_AGAIN: &str = "check the name";
/// How to make room.
pub(crate) const MAKE_ROOM: (&str, &str) = ("free memory", "free memory");

/// No platform settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ObjectSettings {}

/// A region: none can be opened.
#[derive(Debug)]
pub(crate) enum RegionInner {}

impl RegionInner {
    /// Never called: no region exists.
    pub(crate) fn mapping(&self) -> &Mapping {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn name(&self) -> &str {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn path(&self) -> &Path {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn created_new(&self) -> bool {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn is_persistent(&self) -> bool {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn attached_processes(&self) -> Option<usize> {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn mutex_name(&self) -> String {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn mutex_settings(&self) -> ObjectSettings {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn word_waker(&self, _offset: u64) -> io::Result<WordWaker> {
        match *self {}
    }

    /// Never called: no region exists.
    pub(crate) fn turn_parts(&self) -> Result<(&crate::platform::meta_words::Meta, &WordWaker), ViewError> {
        match *self {}
    }
}

/// Opening regions: refused.
pub(crate) mod region {
    use super::*;

    /// Refused: no backend.
    pub(crate) fn open_named(_request: &RegionSpec, _how: Disposition) -> Result<RegionInner, Failure> {
        Err(Failure::BadOptions {
            reason: "no backend for this platform",
        })
    }

    /// Refused: no backend.
    pub(crate) fn create_from_file(_request: &RegionSpec) -> Result<RegionInner, Failure> {
        Err(Failure::BadOptions {
            reason: "no backend for this platform",
        })
    }
}

/// Mapped bytes: none can be mapped ([`MappedView::of_file`] refuses).
#[derive(Debug)]
pub(crate) struct MappedView {
    _none: (),
}

impl MappedView {
    /// Refused: no backend.
    pub(crate) fn of_file(_file: &File, _len: usize, _writable: bool) -> io::Result<Self> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// No bytes.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        std::ptr::null_mut()
    }

    /// No bytes.
    pub(crate) fn len(&self) -> usize {
        0
    }

    /// Nothing to cut.
    pub(crate) fn is_cut(&self) -> bool {
        false
    }

    /// Nothing to write back.
    pub(crate) fn flush_range(&self, _start: usize, _len: usize) -> io::Result<()> {
        Ok(())
    }
}

/// Wake-ups: none, as no word is ever shared.
#[derive(Debug)]
pub(crate) enum WordWaker {}

impl WordWaker {
    /// Never called: no waker exists.
    pub(crate) fn sleep_while_equal(&self, _word: &AtomicU32, _seen: u32, _timeout: Duration) {
        match *self {}
    }

    /// Never called: no waker exists.
    pub(crate) fn wake_all(&self, _word: &AtomicU32) {
        match *self {}
    }
}

pub(crate) use self::mutex::{MutexId, MutexInner, MutexLock};

/// Named mutexes: none can be opened.
pub(crate) mod mutex {
    use super::*;

    /// Which mutex this is.
    pub(crate) type MutexId = (u64, u64);

    /// A mutex: none can be opened.
    #[derive(Debug)]
    pub(crate) enum MutexInner {}

    /// The ownership of a mutex: never held.
    #[derive(Debug)]
    pub(crate) enum MutexLock {}

    impl MutexInner {
        /// Refused: no backend.
        pub(crate) fn open(
            _request: &MutexSpec,
            _how: Disposition,
            _initially_owned: bool,
        ) -> Result<(Arc<MutexInner>, bool, Option<Taken>), Failure> {
            Err(Failure::BadOptions {
                reason: "no backend for this platform",
            })
        }

        /// Never called: no mutex exists.
        pub(crate) fn lock_within(&self, _timeout: Duration) -> Result<Option<Taken>, Failure> {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn try_lock(&self) -> Result<Option<Taken>, Failure> {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn release(&self, _lock: MutexLock) {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn holder_pid(&self) -> Option<u32> {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn id(&self) -> MutexId {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn name(&self) -> &str {
            match *self {}
        }

        /// Never called: no mutex exists.
        pub(crate) fn path(&self) -> &Path {
            match *self {}
        }
    }
}
