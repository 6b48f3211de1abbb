//! Nothing left behind, nothing crashed, on Linux's files: creators killed in
//! the middle of a create, a companion deleted while its region is in use, a
//! sparse file on a full tmpfs, a companion that does not fit. (The churn of
//! processes opening and closing one name is in races.rs, on every platform.)
#![cfg(target_os = "linux")] // Linux only: it kills creators mid-create and forges the backend's temporary files.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::tmpfs::SmallTmpfs;
use common::*;
use shared::{FileMode, MutexOptions, RegionOptions};

/// The pid of a process that has exited (and been reaped): a dead creator.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait for true");
    pid
}

/// A temporary of `name` as a creator with `pid` names it, `len` bytes.
fn forge_temporary(dir: &Path, name: &str, what: &str, pid: u32, len: u64) -> String {
    let file_name = format!(".{name}.{what}-{pid}-0123456789abcdef");
    let file = std::fs::File::create(dir.join(&file_name)).expect("forge a temporary");
    file.set_len(len).expect("size it");
    file_name
}

#[test]
fn a_dead_creators_temporaries_go_with_the_next_create_and_a_live_ones_stay() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("temps");
    let dead = dead_pid();
    forge_temporary(dir.path(), name.as_str(), "init", dead, 10_000_000);
    forge_temporary(dir.path(), name.as_str(), "meta", dead, 256);
    // This process is alive: a temporary it made is never anyone else's to remove.
    let alive = forge_temporary(dir.path(), name.as_str(), "init", std::process::id(), 4096);
    // Another name's temporary is not this name's business.
    let other = forge_temporary(dir.path(), &format!("{}x", name.as_str()), "init", dead, 4096);

    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("create");
    let mut expected = object_files(name.as_str());
    expected.extend([alive.clone(), other.clone()]);
    expected.sort();
    assert_eq!(
        entries(dir.path()),
        expected,
        "the dead creator's temporaries are gone"
    );
    drop(region);
    let mut expected = vec![alive, other];
    expected.sort();
    assert_eq!(entries(dir.path()), expected);
}

#[test]
fn a_dead_creators_temporaries_go_when_the_last_user_leaves() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("lasttemps");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("create");
    // A creator that died after this region was created (it lost the race
    // for the setup lock, then was killed) left its temporary meanwhile.
    forge_temporary(dir.path(), name.as_str(), "init", dead_pid(), 4096);
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_dead_mutex_creators_temporaries_go_with_the_next_create() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("mtemps");
    forge_temporary(dir.path(), name.as_str(), "init", dead_pid(), 0);
    forge_temporary(dir.path(), name.as_str(), "meta", dead_pid(), 256);
    let mutex = MutexOptions::named(&name)
        .dir(dir.path())
        .create(false)
        .expect("create");
    assert_eq!(entries(dir.path()), object_files(name.as_str()));
    drop(mutex);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// A little pseudo-random generator (no dependency): the kill delays.
fn delays(count: usize) -> Vec<Duration> {
    let mut state = u64::from(std::process::id()) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Duration::from_micros(state % 5_000)
        })
        .collect()
}

#[test]
fn creators_killed_in_the_middle_of_a_create_leave_nothing_after_one_clean_create() {
    const KILLS: usize = 100;
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("killed");
    let mut leftovers_seen = 0;
    for delay in delays(KILLS) {
        let mut child = Command::new(helper_path())
            .args(["create", name.as_str(), arg(dir.path()), "10000000"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn helper");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        leftovers_seen = leftovers_seen.max(entries(dir.path()).len());
    }
    eprintln!("at most {leftovers_seen} files were left between kills");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(10_000_000)
        .create_or_open()
        .expect("a clean create after the kills");
    assert_eq!(entries(dir.path()), object_files(name.as_str()));
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "nothing left");
}

#[test]
fn a_region_whose_companion_was_deleted_is_explained_and_goes_with_its_last_user() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("orphan");
    let options = RegionOptions::named(&name).dir(dir.path()).size(4096);
    let region = options.create_or_open().expect("create");
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_i32(0, 7)
        .expect("write");
    std::fs::remove_file(dir.path().join(format!(".{}.meta", name.as_str()))).expect("delete the companion");

    // Another process cannot join it, and is told why and what to do.
    let out =
        start(Command::new(helper_path()).args(["peek", name.as_str(), arg(dir.path()), "0", "4"])).output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("whose companion was deleted while processes used it")
            && stderr.contains("if no process uses it, remove it"),
        "{stderr}"
    );
    let again = options.create_or_open();
    assert!(
        matches!(again.failed(), Err(shared::Failure::NotOurs { .. })),
        "{again:?}"
    );

    // The region still works for its user, and goes when it leaves.
    assert_eq!(
        region.create_view_accessor(0, 0).expect("view").read_i32(0),
        Ok(7)
    );
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "nothing left");
    let fresh = options.create_or_open().expect("the name is usable again");
    assert!(fresh.created_new());
}

#[test]
fn a_sparse_file_on_a_full_tmpfs_is_a_clear_error_not_a_sigbus() {
    let Some(tmpfs) = SmallTmpfs::mount("1m") else {
        return;
    };
    let image = tmpfs.path().join("image.data");
    std::fs::File::create(&image)
        .expect("create")
        .set_len(8_000_000)
        .expect("a sparse 8 MB file");

    // Through the library: a clean NoSpace, and nothing of ours left.
    let error = RegionOptions::file(&image)
        .file_mode(FileMode::Open)
        .create_from_file()
        .err();
    assert!(
        matches!(error.failed(), Some(shared::Failure::NoSpace { .. })),
        "{error:?}"
    );
    assert_eq!(entries(tmpfs.path()), ["image.data"]);

    // Through the article's persistent example, as a user runs it.
    let out = start(Command::new(example("persistent")).arg(&image)).output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a clean exit 1, not a SIGBUS: {stderr}"
    );
    assert!(stderr.contains("no space for a 8000000-byte"), "{stderr}");
    assert_eq!(entries(tmpfs.path()), ["image.data"], "nothing of ours left");
    let bytes = std::fs::read(&image).expect("read");
    assert_eq!(bytes.len(), 8_000_000);
    assert!(bytes.iter().all(|&b| b == 0), "not one byte rewritten");

    // Read-only, nothing can be reserved: once the tmpfs is full (a file
    // filling it), the read of a hole finds no page for it, which is an
    // error too.
    let reader = RegionOptions::file(&image)
        .file_mode(FileMode::Open)
        .access(shared::Access::Read)
        .create_from_file()
        .expect("a read-only open reserves nothing");
    let view = reader.create_view_accessor(0, 0).expect("view");
    let filler = tmpfs.path().join("filler");
    let mut size: u64 = 1 << 20;
    let mut filled = 0;
    while size >= 4096 {
        if allocate(&filler, filled + size) {
            filled += size;
        } else {
            size /= 2;
        }
    }
    assert_eq!(view.read_i32(4_000_000), Err(shared::ViewError::Truncated));
}

/// Grows the file at `path` to `len` bytes with its blocks allocated
/// (`fallocate`, another process); whether there was room.
fn allocate(path: &Path, len: u64) -> bool {
    Command::new("fallocate")
        .args(["-l", &len.to_string()])
        .arg(path)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn a_region_that_fits_without_room_for_its_companion_is_the_usual_no_space_error() {
    let Some(tmpfs) = SmallTmpfs::mount("1m") else {
        return;
    };
    // The whole tmpfs: the region's pages fit, its companion's page does not.
    let error = RegionOptions::named(&unique("big"))
        .dir(tmpfs.path())
        .size(1 << 20)
        .create_or_open()
        .err();
    assert!(
        matches!(error.failed(), Some(shared::Failure::NoSpace { .. })),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("no space for a 1048576-byte shared-memory region at"),
        "{message}"
    );
    assert!(
        !message.contains(".meta-"),
        "no private temporary named: {message}"
    );
    assert_eq!(entries(tmpfs.path()), Vec::<String>::new(), "nothing left");
}

#[test]
fn a_mutex_named_like_a_live_region_says_what_the_name_holds() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("kind");
    let _region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("create");
    let error = MutexOptions::named(&name).dir(dir.path()).create(false).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("its companion describes a shared-memory region, not a mutex"),
        "{message}"
    );
}

#[test]
fn a_live_region_whose_file_was_removed_is_explained_and_its_name_comes_back() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("removed");
    let options = RegionOptions::named(&name).dir(dir.path()).size(4096);
    let region = options.create_or_open().expect("create");
    // What Python's resource tracker does after a plain SharedMemory attach.
    std::fs::remove_file(dir.path().join(name.as_str())).expect("remove the region's file");

    let out =
        start(Command::new(helper_path()).args(["peek", name.as_str(), arg(dir.path()), "0", "4"])).output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("was removed by another program while processes still use it"),
        "{stderr}"
    );
    assert!(!stderr.contains("No such file"), "{stderr}");
    let again = options.create_or_open();
    assert!(
        matches!(again.failed(), Err(shared::Failure::Removed { .. })),
        "{again:?}"
    );

    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "nothing left");
    assert!(options
        .create_or_open()
        .expect("the name is free again")
        .created_new());
}

#[test]
fn a_creator_killed_between_linking_a_file_and_removing_its_temporary_name_blocks_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("twonames");
    let mut holder = Helper::start(&["hold", name.as_str(), arg(dir.path()), "4096"]);
    holder.kill();
    // What a creator killed right after linking leaves: the companion and
    // the region each with a second name, its temporaries'.
    let dead = dead_pid();
    for (file, what) in [
        (format!(".{}.meta", name.as_str()), "meta"),
        (name.as_str().to_owned(), "init"),
    ] {
        std::fs::hard_link(
            dir.path().join(file),
            dir.path()
                .join(format!(".{}.{what}-{dead}-0123456789abcdef", name.as_str())),
        )
        .expect("a second name");
    }
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("the name is usable");
    assert!(region.created_new(), "the dead users' region was stale");
    assert_eq!(entries(dir.path()), object_files(name.as_str()));
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_forked_child_that_drops_its_copy_leaves_the_parents_region_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("fork");
    let mut helper =
        Helper::spawn(Command::new(helper_path()).args(["fork-drop", name.as_str(), arg(dir.path())]));
    // The child's drop once released the parent's presence lock (one open
    // file description) and removed the region under it.
    assert_eq!(helper.line().trim(), "kept");
    assert!(helper.finish(), "the helper failed");
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "the parent's drop removes it"
    );
}

#[test]
fn opens_in_progress_while_the_process_leaves_on_a_signal_leave_no_file() {
    // Four threads open and drop regions in a loop; the process leaves
    // through exit_closing_regions at a different moment each round. An
    // open that met the leaving used to stop after making its setup file.
    for (round, micros) in [300, 1_000, 2_000, 3_500, 5_000, 8_000].into_iter().enumerate() {
        let dir = tempfile::tempdir().expect("dir");
        let name = unique("leave");
        let mut helper = Helper::spawn(Command::new(helper_path()).args([
            "open-vs-leave",
            name.as_str(),
            arg(dir.path()),
            &micros.to_string(),
        ]));
        assert_eq!(helper.line().trim(), "leaving");
        assert!(helper.finish(), "round {round}: the helper failed");
        assert_eq!(entries(dir.path()), Vec::<String>::new(), "round {round}");
    }
}
