//! The Linux backend: named objects as files in a directory (`/dev/shm` by
//! default), `flock` for presence and set-up, futexes for wake-ups.

pub(crate) mod bus_guard;
pub(crate) mod dotnet_mutex;
pub(crate) mod files;
pub(crate) mod lock_file_mutex;
pub(crate) mod mapped_view;
pub(crate) mod mutex;
pub(crate) mod object;
pub(crate) mod on_exit;
pub(crate) mod ownership;
pub(crate) mod proc_locks;
pub(crate) mod region;
pub(crate) mod settings;
pub(crate) mod sys;
pub(crate) mod word_waker;

pub(crate) use mapped_view::MappedView;
pub(crate) use mutex::{MutexId, MutexInner, MutexLock};
pub(crate) use region::RegionInner;
pub(crate) use settings::ObjectSettings;
pub(crate) use sys::{current_cpu, heavy_barrier, may_run_elsewhere, pid_alive, register_for_heavy_barriers};
pub(crate) use word_waker::WordWaker;

/// Closes every object this process still has open, as dropping it would
/// (before it exits on a signal): its regions and lock-file mutexes, and the
/// files of .NET's mutexes it has open.
pub(crate) use on_exit::close_everything;

/// ", user NAME (uid N)" for the owner of process `pid`, or "" when unknown.
pub(crate) fn describe_process_owner(pid: u32) -> String {
    match ownership::process_owner(pid) {
        Some(uid) => format!(", {}", ownership::describe(uid)),
        None => String::new(),
    }
}

/// No kernel namespaces on Linux: a name is a file, and its directory plays
/// that role (`Global\` and `Local\` are refused, with that explanation).
pub(crate) const HAS_KERNEL_NAMESPACES: bool = false;

/// How the library's messages name another place for an object.
pub(crate) const ANOTHER_PLACE: &str = "another name or directory";

/// What to look at again when an object is not there.
pub(crate) const LOOK_AGAIN: &str = "check the name and directory";

/// What makes room for an object, and for a region also its reservation.
pub(crate) const MAKE_ROOM: (&str, &str) = (
    "free space there or use another directory",
    "free space there, use another directory, or do not reserve the pages",
);
