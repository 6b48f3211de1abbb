//! What can be known of another process.

use std::os::windows::io::AsRawHandle;

use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, WAIT_TIMEOUT};
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessorNumber, GetProcessAffinityMask, OpenProcess, WaitForSingleObject,
};

use super::handle::{last_error, owned};

/// Whether a process with this pid runs now.
pub(crate) fn pid_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    // SAFETY: OpenProcess takes plain values and returns a new handle or null.
    let handle = unsafe { OpenProcess(SYNCHRONIZE, 0, pid) };
    let Some(process) = owned(handle) else {
        // It exists, but we may not look at it.
        return last_error() == ERROR_ACCESS_DENIED;
    };
    // A process handle is signalled when the process ends (an exit code,
    // which may be any number, cannot say it).
    // SAFETY: `process` is a live process handle with SYNCHRONIZE access.
    unsafe { WaitForSingleObject(process.as_raw_handle(), 0) == WAIT_TIMEOUT }
}

/// Nothing more to say of a pid's owner on Windows (Linux names the user).
pub(crate) fn describe_process_owner(_pid: u32) -> String {
    String::new()
}

/// The CPU the calling thread runs on now (a hint: it may move at any moment).
pub(crate) fn current_cpu() -> Option<u32> {
    // SAFETY: GetCurrentProcessorNumber takes nothing and only reports.
    Some(unsafe { GetCurrentProcessorNumber() })
}

/// Whether this process may run on more than one CPU (its affinity mask
/// allows several); `false` when pinned to one, or when Windows cannot say.
pub(crate) fn may_run_elsewhere() -> bool {
    let (mut process_mask, mut system_mask) = (0usize, 0usize);
    // SAFETY: the pseudo-handle of the current process needs no closing; the
    // call writes the two masks into the two locals.
    let asked = unsafe { GetProcessAffinityMask(GetCurrentProcess(), &mut process_mask, &mut system_mask) };
    asked != 0 && process_mask.count_ones() > 1
}
