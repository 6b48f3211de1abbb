//! The console: nothing to set up on Linux (terminals take UTF-8 as it comes).

/// A no-op on Linux.
#[cfg_attr(not(feature = "console"), allow(dead_code))] // for the demo programs
pub(crate) fn use_utf8_output() {}
