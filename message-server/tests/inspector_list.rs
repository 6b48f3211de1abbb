//! The inspector's `--list` and `--clean` on a directory of regions: what
//! killed programs left is listed as stale and cleaned, a live region stays,
//! and another user's stale region is listed but never removed.
#![cfg(target_os = "linux")] // Linux only: named objects are files in a directory there.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::{dir_entries, inspector, message_server, unique_name, Program};

/// `inspect ARGS` to its end: its stdout, failing the test when it failed.
fn inspect(args: &[&str]) -> String {
    let out = Command::new(inspector()).args(args).output().expect("inspector");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The listing's line for `name` (its first word is the name).
fn line_of<'a>(listing: &'a str, name: &str) -> Option<&'a str> {
    listing
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
}

/// message-server on `name` in `dir` (through `command`), once it waits at
/// its prompt holding the region and the mutex.
fn serving(command: &mut Command, name: &str, dir: &str) -> Program {
    let mut program = Program::spawn_with("message", command.args(["--name", name, "--dir", dir]));
    program.expect_line("Start the state service");
    program
}

/// Kills (-9) and reaps `program`: its objects are left behind, stale.
fn kill(mut program: Program) {
    program.kill();
    drop(program.wait_for_exit());
}

#[test]
fn clean_removes_what_killed_holders_left_and_leaves_the_live_region() {
    let dir = tempfile::tempdir().expect("dir");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let [dead_a, dead_b, live] = ["dead-a", "dead-b", "live"].map(unique_name);
    let start = |name: &str| serving(&mut Command::new(message_server()), name, dir_arg);
    let (a, b, alive) = (start(&dead_a), start(&dead_b), start(&live));
    kill(a);
    kill(b);
    let listing = inspect(&["--list", "--dir", dir_arg]);
    for name in [&dead_a, &dead_b] {
        let line = line_of(&listing, name).unwrap_or_else(|| panic!("{name} not listed:\n{listing}"));
        assert!(
            line.contains(" region ") && line.contains(" 1024000 ") && line.contains(" 0  stale "),
            "{line}"
        );
        let mutex = format!("{name}mutex");
        let line = line_of(&listing, &mutex).unwrap_or_else(|| panic!("{mutex} not listed:\n{listing}"));
        assert!(line.contains(" mutex ") && line.contains(" stale "), "{line}");
    }
    let line = line_of(&listing, &live).unwrap_or_else(|| panic!("{live} not listed:\n{listing}"));
    assert!(line.contains(" 1  live "), "{line}");
    assert!(line.contains("(you)"), "{line}");

    let cleaned = inspect(&["--clean", "--dir", dir_arg]);
    for name in [&dead_a, &dead_b] {
        assert!(
            cleaned.contains(&format!("removed {name} (stale region)")),
            "{cleaned}"
        );
        assert!(
            cleaned.contains(&format!("removed {name}mutex (stale mutex)")),
            "{cleaned}"
        );
    }
    assert!(
        line_of(&cleaned, &live).is_some_and(|line| line.contains(" live ")),
        "{cleaned}"
    );
    let left = dir_entries(dir.path());
    assert!(left.iter().all(|file| file.contains(live.as_str())), "{left:?}");
    assert!(left.contains(&live), "the live region's file stays: {left:?}");
    // Nothing stale is left: a second clean removes nothing.
    assert!(inspect(&["--clean", "--dir", dir_arg]).starts_with("removed nothing"));
    drop(alive);
}

/// A user who runs the programs, and a neighbour.
const ME: u32 = 1001;
const STRANGER: u32 = 1002;

/// `program` as user `uid` (its own group, no other).
fn as_user(uid: u32, program: &Path) -> Command {
    let mut command = Command::new("setpriv");
    let id = uid.to_string();
    command
        .args(["--reuid", &id, "--regid", &id, "--clear-groups", "--"])
        .arg(program);
    command
}

#[test]
fn another_users_stale_region_is_listed_but_never_removed() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0);
    if !root || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("SKIPPED another_users_stale_region_is_listed_but_never_removed: needs root and setpriv to play two users");
        return;
    }
    // A world-writable, sticky directory, as /dev/shm is.
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let (mine, theirs) = (unique_name("mine"), unique_name("theirs"));
    kill(serving(&mut as_user(ME, &message_server()), &mine, dir_arg));
    kill(serving(
        &mut as_user(STRANGER, &message_server()),
        &theirs,
        dir_arg,
    ));
    let inspect_as_me = |args: &[&str]| {
        let out = as_user(ME, &inspector()).args(args).output().expect("inspector");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cleaned = inspect_as_me(&["--clean", "--dir", dir_arg]);
    assert!(
        cleaned.contains(&format!("removed {mine} (stale region)")),
        "{cleaned}"
    );
    assert!(!cleaned.contains(&format!("removed {theirs}")), "{cleaned}");
    // Listed as what can be seen of it: stale, the stranger's, its
    // companion unreadable to this user.
    let line = line_of(&cleaned, &theirs).unwrap_or_else(|| panic!("{theirs} not listed:\n{cleaned}"));
    assert!(
        line.contains(" unread ") && line.contains(" stale ") && line.contains(&format!("uid {STRANGER}")),
        "{line}"
    );
    let left = dir_entries(dir.path());
    assert!(left.contains(&theirs), "the stranger's region stays: {left:?}");
    assert!(!left.iter().any(|file| file.contains(mine.as_str())), "{left:?}");
}
