//! `--list` and `--clean`: the library's objects in a directory, and the
//! removal of the stale ones that belong to the caller.

use std::path::Path;
use std::process::ExitCode;

/// Prints every object of the library in `dir` (Linux: a directory of
/// files; `--clean` first removes the caller's stale ones and says which).
#[cfg(target_os = "linux")]
pub(crate) fn run(dir: Option<&Path>, clean: bool) -> ExitCode {
    use shared::os::linux::{default_dir, list_objects, remove_stale_objects};
    let dir = dir.map_or_else(default_dir, Path::to_path_buf);
    if clean {
        match remove_stale_objects(&dir) {
            Ok(removed) if removed.is_empty() => {
                println!("removed nothing: no stale object of yours in {}", dir.display())
            }
            Ok(removed) => {
                for object in removed {
                    println!("removed {} (stale {})", object.name, kind_text(&object));
                }
            }
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let objects = match list_objects(&dir) {
        Ok(objects) => objects,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if objects.is_empty() {
        println!("no region or mutex of this library in {}", dir.display());
        return ExitCode::SUCCESS;
    }
    println!(
        "{:<24} {:<8} {:>12} {:>5}  {:<6} owner",
        "name", "kind", "bytes", "users", "state"
    );
    // The process's own entry in /proc belongs to its effective user.
    let me = std::fs::metadata("/proc/self").map_or(u32::MAX, |meta| {
        use std::os::unix::fs::MetadataExt;
        meta.uid()
    });
    for object in objects {
        let size = object
            .size
            .map_or_else(|| "?".to_owned(), |size| size.to_string());
        let users = object
            .users
            .map_or_else(|| "?".to_owned(), |users| users.to_string());
        let state = if object.stale { "stale" } else { "live" };
        let owner = if object.owner_uid == me {
            format!("uid {} (you)", object.owner_uid)
        } else {
            format!("uid {}", object.owner_uid)
        };
        let missing = if object.file_present {
            ""
        } else {
            "  (its file is gone)"
        };
        println!(
            "{:<24} {:<8} {size:>12} {users:>5}  {state:<6} {owner}{missing}",
            object.name,
            kind_text(&object)
        );
    }
    ExitCode::SUCCESS
}

/// The kind in a word: region, file (a region over a named file), mutex.
#[cfg(target_os = "linux")]
fn kind_text(object: &shared::os::linux::ListedObject) -> &'static str {
    use shared::os::linux::ObjectKind;
    match object.kind {
        Some(ObjectKind::Region) if object.persistent => "file",
        Some(ObjectKind::Region) => "region",
        Some(ObjectKind::Mutex) => "mutex",
        Some(_) => "other",
        None => "unread",
    }
}

/// Windows keeps named objects in the kernel's object directory, not in
/// files, and removes each when its last handle closes: nothing is ever
/// stale there, so there is nothing to clean, and the listing is not built.
#[cfg(windows)]
pub(crate) fn run(_dir: Option<&Path>, clean: bool) -> ExitCode {
    let what = if clean { "--clean" } else { "--list" };
    eprintln!(
        "error: {what} is for Linux: Windows keeps named sections and mutexes in the kernel's object \
         directory and removes each when its last handle closes, so none is ever stale; to see one, \
         inspect it by name (--name NAME)"
    );
    ExitCode::FAILURE
}
