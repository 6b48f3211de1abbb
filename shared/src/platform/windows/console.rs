//! The console: its output code page.

use windows_sys::Win32::Globalization::CP_UTF8;
use windows_sys::Win32::System::Console::SetConsoleOutputCP;

/// Makes the console show UTF-8 output (the Chinese lines of `--lang zh`):
/// Rust writes UTF-8, which a console in a legacy code page shows as `?`.
/// Without a console (output to a pipe) the call fails harmlessly.
#[cfg_attr(not(feature = "console"), allow(dead_code))] // for the demo programs
pub(crate) fn use_utf8_output() {
    // SAFETY: SetConsoleOutputCP takes a plain code page number.
    unsafe {
        SetConsoleOutputCP(CP_UTF8);
    }
}
