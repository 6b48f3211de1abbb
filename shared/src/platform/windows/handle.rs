//! Kernel handles and names, as the Win32 calls want them.

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{GetLastError, HANDLE, WIN32_ERROR};

/// A NUL-terminated UTF-16 copy of `name`, for the `W` calls.
pub(crate) fn wide(name: &str) -> Vec<u16> {
    name.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The calling thread's last Win32 error.
pub(crate) fn last_error() -> WIN32_ERROR {
    // SAFETY: GetLastError only reads the calling thread's error value.
    unsafe { GetLastError() }
}

/// Takes ownership of `handle` (closed on drop); `None` for a null handle,
/// which the object calls return on failure.
pub(crate) fn owned(handle: HANDLE) -> Option<OwnedHandle> {
    if handle.is_null() {
        return None;
    }
    // SAFETY: `handle` is a valid handle that the call just returned to us
    // and that nothing else owns or closes.
    Some(unsafe { OwnedHandle::from_raw_handle(handle) })
}

/// An `io::Error` for a Win32 error code.
pub(crate) fn os_error(code: WIN32_ERROR) -> io::Error {
    io::Error::from_raw_os_error(code as i32)
}
