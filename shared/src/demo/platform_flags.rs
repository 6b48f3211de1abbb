//! The two flags whose meaning is the platform's: `--dir` and `--mode` are a
//! Linux region's directory and its files' mode (through
//! [`crate::os::linux`]). On Windows a named region is a kernel object, with
//! neither, so the programs say the flags mean nothing there and go on.
//! (It stands below the demo's other console pieces: it uses none of them.)

use std::path::Path;

#[cfg(target_os = "linux")]
use crate::{Failure, Refusal};
use crate::{ObjectError, RegionOptions};

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

/// The line for `error`: the library's own, except where it names its API
/// for group sharing, which the programs offer as a flag (`--mode 0660`).
pub(crate) fn object_error_text(error: &ObjectError) -> String {
    match error.failure() {
        #[cfg(target_os = "linux")]
        Failure::NotYours {
            message: Refusal::NotShared { path, owner },
            ..
        } => format!(
            "{} belongs to {owner}, not to you; it was neither read nor written (another user may be squatting the name): use another name or directory, or share deliberately with group sharing (--mode 0660 on both sides)",
            path.display()
        ),
        _ => error.to_string(),
    }
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_strangers_file_is_refused_naming_the_programs_flag() {
        let refusal = Refusal::NotShared {
            path: "/dev/shm/squatted".into(),
            owner: "uid 1002".to_owned(),
        };
        let library = refusal.to_string();
        let error = ObjectError::region(Failure::NotYours {
            path: "/dev/shm/squatted".into(),
            uid: 1002,
            message: refusal,
        });
        assert_eq!(
            object_error_text(&error),
            library.replace(
                "share_with_group() (RegionOptionsExt, MutexOptionsExt) on both sides",
                "group sharing (--mode 0660 on both sides)"
            )
        );
    }

    #[test]
    fn other_refusals_are_the_librarys_own_lines() {
        let error = ObjectError::region(Failure::NotYours {
            path: "/dev/shm/squatted".into(),
            uid: 1002,
            message: Refusal::CannotShare {
                path: "/dev/shm/squatted".into(),
                owner: "uid 1002".to_owned(),
                why: "it is writable by every user",
            },
        });
        assert_eq!(object_error_text(&error), error.to_string());
    }
}
