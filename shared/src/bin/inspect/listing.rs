//! `--list` and `--clean`: the library's objects in a directory (Linux) or
//! in the kernel's object directory (Windows), and the removal of the
//! caller's stale ones (Linux; none is ever stale on Windows).

use std::path::Path;
use std::process::ExitCode;

use shared::os::{ListedObject, ObjectKind};

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
    match list_objects(&dir) {
        Ok(objects) => print_listing(&objects, &format!("in {}", dir.display())),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the regions and their mutexes of this session's object directory
/// and of the global one; `--clean` first says why there is nothing to remove.
#[cfg(windows)]
pub(crate) fn run(_dir: Option<&Path>, clean: bool) -> ExitCode {
    if clean {
        println!(
            "removed nothing: on Windows a named object goes when its last handle closes, so none is ever stale"
        );
    }
    match shared::os::windows::list_objects(true) {
        Ok(objects) => print_listing(&objects, "in this session or global"),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One line an object: name, kind, bytes, users, live or stale, owner.
fn print_listing(objects: &[ListedObject], place: &str) -> ExitCode {
    if objects.is_empty() {
        println!("no region or mutex of this library {place}");
        return ExitCode::SUCCESS;
    }
    println!(
        "{:<24} {:<8} {:>12} {:>5}  {:<6} owner",
        "name", "kind", "bytes", "users", "state"
    );
    let me = effective_uid();
    for object in objects {
        let size = object
            .size
            .map_or_else(|| "?".to_owned(), |size| size.to_string());
        let users = object
            .users
            .map_or_else(|| "?".to_owned(), |users| users.to_string());
        let state = if object.stale { "stale" } else { "live" };
        let owner = match object.owner_uid {
            Some(uid) if Some(uid) == me => format!("uid {uid} (you)"),
            Some(uid) => format!("uid {uid}"),
            None => "-".to_owned(),
        };
        let missing = if object.file_present {
            ""
        } else {
            "  (its file is gone)"
        };
        println!(
            "{:<24} {:<8} {size:>12} {users:>5}  {state:<6} {owner}{missing}",
            object.name,
            kind_text(object)
        );
    }
    ExitCode::SUCCESS
}

/// This process's effective user (its own entry in /proc belongs to it);
/// `None` where users have no such ids.
fn effective_uid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|meta| meta.uid())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The kind in a word: region, file (a region over a named file), mutex.
fn kind_text(object: &ListedObject) -> &'static str {
    match object.kind {
        Some(ObjectKind::Region) if object.persistent => "file",
        Some(ObjectKind::Region) => "region",
        Some(ObjectKind::Mutex) => "mutex",
        Some(_) => "other",
        None => "unread",
    }
}
