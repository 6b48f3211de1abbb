//! Whether another process still runs.

/// Whether the process `pid` runs now, for the pids this crate reports
/// (such as [`NamedMutex::holder_pid`](crate::NamedMutex::holder_pid)).
/// Linux asks `kill(pid, 0)`; Windows opens the process and reads its exit
/// code. A process that exists but may not be looked at counts as running.
///
/// ```
/// assert!(shared::process_alive(std::process::id()));
/// assert!(!shared::process_alive(0));
/// ```
pub fn process_alive(pid: u32) -> bool {
    crate::platform::pid_alive(pid)
}
