//! The two flags whose meaning is the platform's: `--dir` and `--mode` are a
//! Linux region's directory and its files' mode (through
//! [`crate::os::linux`]). On Windows a named region is a kernel object, with
//! neither, so the programs say the flags mean nothing there and go on.
//! (It stands below the demo's other console pieces: it uses none of them.)

use std::path::Path;

use crate::RegionOptions;

/// The flags that say where a region is, for the hint of a refused name.
#[cfg(target_os = "linux")]
pub(crate) const LOCATION_FLAGS: &str = "--dir or --file";
/// The flags that say where a region is: a named region has no directory here.
#[cfg(windows)]
pub(crate) const LOCATION_FLAGS: &str = "--file";

/// `--dir` (for a named region) and `--mode` applied to `options`. A mode
/// that gives the group read and write (`--mode 0660`) shares the region
/// with the group deliberately: files of other users of the group are then
/// accepted.
#[cfg(target_os = "linux")]
pub(crate) fn apply(options: RegionOptions, dir: Option<&Path>, mode: Option<u32>) -> RegionOptions {
    use crate::os::linux::{RegionOptionsExt, DEFAULT_MODE};
    let options = match dir {
        Some(dir) if !options.is_file() => options.dir(dir),
        _ => options,
    };
    let mode = mode.unwrap_or(DEFAULT_MODE);
    let options = if mode & 0o060 == 0o060 {
        options.share_with_group()
    } else {
        options
    };
    options.mode(mode)
}

/// Nothing to apply on Windows (see [`without_meaning`]).
#[cfg(windows)]
pub(crate) fn apply(options: RegionOptions, _dir: Option<&Path>, _mode: Option<u32>) -> RegionOptions {
    options
}

/// A library message with the library's words for group sharing put in
/// the programs' flag (`--mode 0660`).
#[cfg(target_os = "linux")]
pub(crate) fn in_flags(message: &str) -> String {
    message.replace(
        crate::platform::ownership::SHARE_DELIBERATELY,
        "share deliberately with group sharing (--mode 0660 on both sides)",
    )
}

/// A library message as it is: no library words here stand for a flag.
#[cfg(windows)]
pub(crate) fn in_flags(message: &str) -> String {
    message.to_owned()
}

/// Which of the flags given mean nothing on this platform (on Linux both
/// have a meaning).
pub(crate) fn without_meaning(dir_given: bool, mode_given: bool) -> Vec<&'static str> {
    if !cfg!(windows) {
        return Vec::new();
    }
    [(dir_given, "--dir"), (mode_given, "--mode")]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
}
