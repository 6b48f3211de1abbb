//! What can be known of another process.

use std::os::windows::io::AsRawHandle;

use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, STILL_ACTIVE};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcessorNumber, GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::handle::{last_error, owned};

/// Whether a process with this pid runs now.
pub(crate) fn pid_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    // SAFETY: OpenProcess takes plain values and returns a new handle or null.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    let Some(process) = owned(handle) else {
        // It exists, but we may not look at it.
        return last_error() == ERROR_ACCESS_DENIED;
    };
    let mut code = 0u32;
    // SAFETY: `process` is a live process handle with query rights, and
    // `code` is a valid place for the exit code.
    let ok = unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) };
    ok != 0 && code == STILL_ACTIVE as u32
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
