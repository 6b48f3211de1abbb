//! The flags whose meaning is the platform's: `--dir` and `--mode` are a
//! Linux region's directory and its files' mode (through
//! [`crate::os::linux`]), and `--dotnet` meets .NET programs on Linux: the
//! region is the file .NET maps, the mutex .NET's own. On Windows a named
//! region is a kernel object, with neither directory nor mode, and region
//! and mutex are .NET's already, so the programs say the flags mean nothing
//! there and go on. (It stands below the demo's other console pieces: it
//! uses none of them.)

use std::path::{Path, PathBuf};

#[cfg(target_os = "linux")]
use crate::{Failure, Refusal};
use crate::{MutexOptions, ObjectError, RegionName, RegionOptions};

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

/// The directory .NET on Linux maps the article's region in: the programs
/// of `original/linux/` map `/dev/shm/NAME` (.NET has no named maps there).
#[cfg(target_os = "linux")]
const DOTNET_REGION_DIR: &str = "/dev/shm";

/// `--dotnet`: the file .NET on Linux maps for the region `name`,
/// `/dev/shm/NAME` (or in `--dir`). `None` on Windows, where a named region
/// is the one .NET maps.
#[cfg(target_os = "linux")]
pub(crate) fn dotnet_region_file(dir: Option<&Path>, name: &RegionName) -> Option<PathBuf> {
    Some(dir.unwrap_or(Path::new(DOTNET_REGION_DIR)).join(name.as_str()))
}

/// A named region is the one .NET maps on Windows.
#[cfg(windows)]
pub(crate) fn dotnet_region_file(_dir: Option<&Path>, _name: &RegionName) -> Option<PathBuf> {
    None
}

/// `--dotnet` (with `--dotnet-session`) applied to a mutex's options: .NET's
/// own named mutex, in that login session or this process's.
#[cfg(target_os = "linux")]
pub(crate) fn dotnet_mutex(options: MutexOptions, session: Option<u32>) -> MutexOptions {
    use crate::os::linux::{DotnetScope, MutexOptionsExt};
    options.dotnet(session.map_or(DotnetScope::ThisSession, DotnetScope::Session))
}

/// The mutex is .NET's already on Windows.
#[cfg(windows)]
pub(crate) fn dotnet_mutex(options: MutexOptions, _session: Option<u32>) -> MutexOptions {
    options
}

/// The login sessions in which a live process has .NET's mutex `name` open
/// (none when they cannot be read: the caller then says the mutex is not
/// there).
#[cfg(target_os = "linux")]
pub(crate) fn dotnet_sessions(name: &str) -> Vec<u32> {
    crate::os::linux::DotnetMutex::live_sessions(name).unwrap_or_default()
}

/// Windows has no sessions of .NET's mutex files.
#[cfg(windows)]
pub(crate) fn dotnet_sessions(_name: &str) -> Vec<u32> {
    Vec::new()
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

/// Which of the flags given mean nothing on this platform (on Linux all
/// have a meaning).
pub(crate) fn without_meaning(dir_given: bool, mode_given: bool, dotnet_given: bool) -> Vec<&'static str> {
    if !cfg!(windows) {
        return Vec::new();
    }
    [
        (dir_given, "--dir"),
        (mode_given, "--mode"),
        (dotnet_given, "--dotnet"),
    ]
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

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn the_flags_without_meaning_are_said_on_windows_only() {
        let said = without_meaning(true, true, true);
        if cfg!(windows) {
            assert_eq!(said, ["--dir", "--mode", "--dotnet"]);
        } else {
            assert!(said.is_empty(), "{said:?}");
        }
        assert!(without_meaning(false, false, false).is_empty());
    }

    #[test]
    fn dotnet_maps_the_file_dotnet_on_linux_maps_and_a_named_region_on_windows() {
        let name = RegionName::new("testmap").expect("valid");
        let file = dotnet_region_file(None, &name);
        let in_dir = dotnet_region_file(Some(Path::new("/tmp")), &name);
        if cfg!(windows) {
            assert_eq!((file, in_dir), (None, None));
        } else {
            assert_eq!(file.as_deref(), Some(Path::new("/dev/shm/testmap")));
            assert_eq!(in_dir.as_deref(), Some(Path::new("/tmp/testmap")));
        }
    }
}
