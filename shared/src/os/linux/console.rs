//! The console: nothing to set up on Linux (terminals take UTF-8 as it comes).

/// A no-op on Linux.
pub(crate) fn use_utf8_output() {}
