//! The Windows backend: the kernel's own named objects, exactly as .NET
//! creates them, so that a region or mutex made here is the one the C#
//! programs open by the same name (and the other way round).
//!
//! - A named region is a pagefile-backed section (`CreateFileMappingW` on
//!   `INVALID_HANDLE_VALUE`, `OpenFileMappingW`), a file region a section over
//!   a file; both mapped with `MapViewOfFile`.
//! - A named mutex is `CreateMutexW` / `OpenMutexW`; `WAIT_ABANDONED` tells
//!   that its holder died holding it.
//! - The kernel keeps an object while some handle to it is open and closes
//!   the handles of a process that exits or dies: there are no files to
//!   clean up.
//! - Names are passed to the kernel unchanged: a bare name lives in the
//!   session's namespace, `Local\` and `Global\` pick one explicitly.

pub(crate) mod handle;
pub(crate) mod listing;
pub(crate) mod mapped_view;
pub(crate) mod meta_section;
pub(crate) mod mutex;
pub(crate) mod process;
pub(crate) mod region;
pub(crate) mod settings;
pub(crate) mod word_waker;

pub(crate) use mapped_view::MappedView;
pub(crate) use mutex::{MutexId, MutexInner, MutexLock};
pub(crate) use process::{current_cpu, describe_process_owner, may_run_elsewhere, pid_alive};
pub(crate) use region::RegionInner;
pub(crate) use settings::ObjectSettings;
pub(crate) use word_waker::WordWaker;

/// No cross-process asymmetric barrier on Windows (`FlushProcessWriteBuffers`
/// reaches this process's threads only): the ring's ends then publish with
/// locked instructions on both sides.
pub(crate) fn register_for_heavy_barriers() -> bool {
    false
}

/// See [`register_for_heavy_barriers`]: never issued on Windows.
pub(crate) fn heavy_barrier() -> bool {
    false
}

/// Nothing to do at exit: the kernel closes an exiting process's handles,
/// and an object goes with its last handle.
pub(crate) fn close_everything() {}

/// Names may start with the kernel namespace `Local\` or `Global\`, passed
/// on unchanged as .NET does.
pub(crate) const HAS_KERNEL_NAMESPACES: bool = true;

/// How the library's messages name another place for an object: a kernel
/// object has only its name.
pub(crate) const ANOTHER_PLACE: &str = "another name";

/// What to look at again when an object is not there.
pub(crate) const LOOK_AGAIN: &str =
    "check the name, and its namespace (a bare name is this session's; Global\\ is the machine's)";

/// What makes room for an object, and for a region: the system's memory
/// and pagefile back every section.
pub(crate) const MAKE_ROOM: (&str, &str) = (
    "the system's commit limit (memory and pagefile) is reached: close programs",
    "the system's commit limit (memory and pagefile) is reached: close programs or ask for less",
);
