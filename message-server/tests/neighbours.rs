//! Hostile neighbours: other local users in a shared, world-writable
//! directory (as `/dev/shm` and `/tmp` are) cannot stall the programs, make
//! them join a stranger's region, or make them write into a stranger's file;
//! and every wait ends when the user says (`--timeout`, Ctrl-C, SIGTERM).
//!
//! The other users are played with `setpriv --reuid=N --regid=G --clear-groups`,
//! which needs root: without it these tests say so and pass without running.
#![cfg(target_os = "linux")] // Linux only: other users are played with `setpriv` in a shared directory.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{data_lines, dir_entries, message_server, state_server, unique_name, Program};

/// The user the programs run as in these tests.
const ME: u32 = 1001;
/// The neighbour.
const STRANGER: u32 = 1002;
/// A group both users share for deliberate sharing.
const SHARED_GROUP: u32 = 1500;

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Runs the test body only as root (needed to become other users); otherwise
/// says visibly that it was skipped.
fn as_root_only(test: &str) -> bool {
    let root = is_root() && Path::new("/usr/bin/setpriv").exists();
    if !root {
        eprintln!("SKIPPED {test}: needs root and setpriv to play two users");
    }
    root
}

/// A world-writable, sticky directory like `/dev/shm`, removed afterwards.
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    dir
}

/// `program args...` as user `uid` with group `gid` and no other groups.
fn as_user(uid: u32, gid: u32, program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("setpriv");
    command
        .args([
            "--reuid",
            &uid.to_string(),
            "--regid",
            &gid.to_string(),
            "--clear-groups",
            "--",
        ])
        .arg(program)
        .args(args);
    command
}

fn spawn_as(label: &'static str, uid: u32, gid: u32, program: &Path, args: &[&str]) -> Program {
    Program::spawn_with(label, &mut as_user(uid, gid, program, args))
}

/// Runs `program args...` as user `uid` (group `uid`) with no input, to its
/// end; returns how it ended and how long it took.
fn run_as(label: &'static str, uid: u32, program: &Path, args: &[&str]) -> (common::Finished, Duration) {
    let started = Instant::now();
    let mut running = spawn_as(label, uid, uid, program, args);
    running.close_stdin();
    let finished = running.wait_for_exit();
    (finished, started.elapsed())
}

/// A file of the stranger's, mode 0666, at `path`, with some content.
fn squat(path: &Path) -> Vec<u8> {
    let content = format!("the stranger's own data at {}\n", path.display()).into_bytes();
    std::fs::write(path, &content).expect("write squatted file");
    std::os::unix::fs::chown(path, Some(STRANGER), Some(STRANGER)).expect("chown squatted file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).expect("chmod 0666");
    content
}

/// The stranger holding an exclusive `flock` on `path` until dropped.
struct HeldLock(std::process::Child);

impl HeldLock {
    fn take(uid: u32, path: &Path) -> HeldLock {
        let mut child = as_user(uid, uid, Path::new("/usr/bin/flock"), &[])
            .args(["--exclusive", path.to_str().expect("utf-8 path"), "sleep", "60"])
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn flock");
        // Wait until the lock is really held (it shows in /proc/locks).
        let deadline = Instant::now() + common::WATCHDOG;
        while !locked_by(child.id(), path) {
            assert!(Instant::now() < deadline, "flock never took {}", path.display());
            if let Ok(Some(status)) = child.try_wait() {
                panic!("flock exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        HeldLock(child)
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether a process in the tree of `pid` holds an flock on `path`.
fn locked_by(pid: u32, path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    let ino = format!(":{}", meta.ino());
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let pids: Vec<String> = std::iter::once(pid.to_string())
        .chain(children.split_whitespace().map(str::to_owned))
        .collect();
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 5
            && fields[1] == "FLOCK"
            && pids.iter().any(|p| p == fields[4])
            && fields[5].ends_with(&ino)
    })
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid}");
}

#[test]
fn squatted_companion_files_are_refused_at_once_and_never_written() {
    if !as_root_only("squatted_companion_files_are_refused_at_once_and_never_written") {
        return;
    }
    for (file, locked) in [
        (".{}.guard", true),
        (".{}.guard", false),
        (".{}.meta", true),
        ("{}", true),
        ("{}mutex", false),
        (".{}mutex.meta", true),
        (".{}mutex.guard", true),
    ] {
        let dir = shared_dir();
        let name = unique_name("squat");
        let path = dir.path().join(file.replace("{}", &name));
        let content = squat(&path);
        let _lock = locked.then(|| HeldLock::take(STRANGER, &path));
        let (result, took) = run_as(
            "message-server",
            ME,
            &message_server(),
            &[
                "--name",
                &name,
                "--dir",
                dir.path().to_str().expect("utf-8"),
                "--timeout",
                "3",
            ],
        );
        let case = format!("{} (locked: {locked})", path.display());
        assert_eq!(result.code(), Some(1), "{case}: {}", result.stderr);
        assert!(
            took < Duration::from_secs(4),
            "{case}: took {took:?}, past --timeout 3 + 1 s"
        );
        assert!(
            result.stderr.contains("belongs to uid 1002"),
            "{case}: the error names the owner: {}",
            result.stderr
        );
        assert!(
            result.stderr.contains("--mode 0660 on both sides")
                && !result.stderr.contains("share_with_group"),
            "{case}: the program names its flag: {}",
            result.stderr
        );
        assert_eq!(
            std::fs::read(&path).expect("squatted file"),
            content,
            "{case}: never written"
        );
        let meta = std::fs::metadata(&path).expect("squatted file");
        assert_eq!(
            (meta.uid(), meta.mode() & 0o777),
            (STRANGER, 0o666),
            "{case}: untouched"
        );
        let left: Vec<String> = common::dir_entries(dir.path());
        assert_eq!(
            left,
            [path.file_name().expect("name").to_string_lossy().into_owned()],
            "{case}"
        );
    }
}

#[test]
fn a_strangers_live_region_is_refused_and_left_unchanged() {
    if !as_root_only("a_strangers_live_region_is_refused_and_left_unchanged") {
        return;
    }
    let dir = shared_dir();
    let dir_arg = dir.path().to_str().expect("utf-8");
    let name = unique_name("stranger");
    let mut theirs = spawn_as(
        "stranger's message-server",
        STRANGER,
        STRANGER,
        &message_server(),
        &["--name", &name, "--dir", dir_arg, "--mode", "0666"],
    );
    theirs.expect_line("Start the state service");
    let region = dir.path().join(&name);
    let before = std::fs::read(&region).expect("their region");

    let (refused, _) = run_as(
        "state-server",
        ME,
        &state_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir_arg,
            "--timeout",
            "3",
            "--interval-ms",
            "1",
            "--hold-ms",
            "1",
        ],
    );
    assert_eq!(refused.code(), Some(1), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("belongs to") && refused.stderr.contains("uid 1002"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stdout.iter().all(|l| !l.contains("wrote")),
        "{:?}",
        refused.stdout
    );
    assert_eq!(
        std::fs::read(&region).expect("their region"),
        before,
        "nothing was written"
    );
}

#[test]
fn two_users_who_share_a_group_deliberately_run_the_exchange() {
    if !as_root_only("two_users_who_share_a_group_deliberately_run_the_exchange") {
        return;
    }
    let dir = shared_dir();
    let dir_arg = dir.path().to_str().expect("utf-8");
    let name = unique_name("group");
    let args = ["--name", name.as_str(), "--dir", dir_arg, "--mode", "0660"];
    let mut message = spawn_as("message-server", ME, SHARED_GROUP, &message_server(), &args);
    message.expect_line("Start the state service");
    let mut state_args = args.to_vec();
    state_args.extend(["--interval-ms", "1", "--hold-ms", "1"]);
    let mut state = spawn_as(
        "state-server",
        STRANGER,
        SHARED_GROUP,
        &state_server(),
        &state_args,
    );
    state.expect_line("Test: I am the IM state service");
    message.enter();
    message.expect_line("Test: I am the IM message service");
    let state = state.finish();
    let message = message.finish();
    assert_eq!(state.code(), Some(0), "{}", state.stderr);
    assert_eq!(message.code(), Some(0), "{}", message.stderr);
    let lines = data_lines(&message.stdout);
    assert_eq!(
        lines.len(),
        21,
        "five written, ten read, five records, the closing line: {lines:?}"
    );
    assert_eq!(lines[14], "position 9: 9", "the state server's values arrived");
}

/// Starts a message server as this test's own user and returns it with the
/// time the signal is sent, once it is blocked (no ready line within 300 ms).
fn blocked_message_server(dir: &Path, name: &str, extra: &[&str]) -> Program {
    let mut args = vec!["--name", name, "--dir", dir.to_str().expect("utf-8")];
    args.extend(extra);
    let mut message = Program::spawn("message-server", &message_server(), &args);
    assert_eq!(
        message.try_line(Duration::from_millis(300)),
        None,
        "it should be blocked"
    );
    message
}

fn assert_sigterm_ends_it_within_a_second(message: Program, case: &str) {
    let started = Instant::now();
    signal(message.pid(), "TERM");
    let result = message.wait_for_exit();
    let took = started.elapsed();
    assert_eq!(result.code(), Some(130), "{case}: {}", result.stderr);
    assert!(took < Duration::from_secs(1), "{case}: took {took:?}");
}

fn own_lock(path: &Path) -> HeldLock {
    let uid = std::fs::metadata("/proc/self").expect("/proc/self").uid();
    HeldLock::take(uid, path)
}

#[test]
fn a_held_setup_lock_ends_at_the_timeout_with_the_holder_named_or_at_sigterm() {
    if !as_root_only("a_held_setup_lock_ends_at_the_timeout_with_the_holder_named_or_at_sigterm") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("setup");
    let guard: PathBuf = dir.path().join(format!(".{name}.guard"));
    let lock = own_lock(&guard);

    let started = Instant::now();
    let mut timed = Program::spawn(
        "message-server",
        &message_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir.path().to_str().expect("utf-8"),
            "--timeout",
            "1",
        ],
    );
    timed.close_stdin();
    let result = timed.wait_for_exit();
    assert_eq!(result.code(), Some(1), "{}", result.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        result.stderr.contains("gave up waiting for the setup lock") && result.stderr.contains("held by pid"),
        "{}",
        result.stderr
    );

    let message = blocked_message_server(dir.path(), &name, &[]);
    assert_sigterm_ends_it_within_a_second(message, "setup lock");
    drop(lock);
}

#[test]
fn a_setup_lock_held_for_long_is_shown_with_its_holder_and_the_exchange_goes_on_once_it_is_free() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("slow-setup");
    // Held by this process (a `flock` child would pass the lock on to its
    // own child, which outlives it).
    let lock = std::fs::File::create(dir.path().join(format!(".{name}.guard"))).expect("setup file");
    lock.lock().expect("take the setup lock");
    // No --timeout: the wait has no end, and says what it waits for.
    shows_the_wait_and_goes_on(
        &["--name", &name, "--dir", dir.path().to_str().expect("utf-8")],
        lock,
        "Waiting for the setup lock",
    );
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

/// Starts `message-server ARGS` while this process holds `lock`: it shows
/// `waiting`, naming this process as the holder, and goes on once `lock` is
/// dropped; then SIGTERM ends it with 130.
fn shows_the_wait_and_goes_on(args: &[&str], lock: std::fs::File, waiting: &str) {
    let mut message = Program::spawn("message-server", &message_server(), args);
    let shown = message.expect_line(waiting);
    assert!(
        shown.contains(&format!("held by pid {}", std::process::id())),
        "{shown}"
    );
    drop(lock);
    message.expect_line("The lock is free (waited");
    message.expect_line("position 4: wrote 4");
    signal(message.pid(), "TERM");
    let result = message.wait_for_exit();
    assert_eq!(result.code(), Some(130), "{}", result.stderr);
}

#[test]
fn dotnets_creation_lock_held_for_long_is_shown_with_its_holder_and_the_exchange_goes_on_once_it_is_free() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("slow-dotnet");
    let region = dir.path().join(&name);
    // .NET's directories, made by a first use, then its creation lock held
    // by this process.
    let first = Program::spawn(
        "message-server",
        &message_server(),
        &[
            "--dotnet",
            "--name",
            &name,
            "--file",
            region.to_str().expect("utf-8"),
            "--timeout",
            "0.1",
        ],
    );
    let first = first.finish();
    assert!(first.stderr.contains("gave up"), "{}", first.stderr);
    let lock = std::fs::File::open("/tmp/.dotnet/shm").expect(".NET's directory");
    lock.lock().expect("take .NET's creation lock");
    shows_the_wait_and_goes_on(
        &[
            "--dotnet",
            "--name",
            &name,
            "--file",
            region.to_str().expect("utf-8"),
        ],
        lock,
        "Waiting for .NET's creation lock on /tmp/.dotnet/shm",
    );
}

#[test]
fn a_held_presence_lock_or_mutex_ends_at_sigterm_within_a_second() {
    if !as_root_only("a_held_presence_lock_or_mutex_ends_at_sigterm_within_a_second") {
        return;
    }
    // Presence: a region left by a killed user, its companion locked by
    // someone else, so joining waits for the shared lock.
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("presence");
    let mut first = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", &name, "--dir", dir.path().to_str().expect("utf-8")],
    );
    first.expect_line("Start the state service");
    signal(first.pid(), "KILL");
    let _ = first.wait_for_exit();
    let lock = own_lock(&dir.path().join(format!(".{name}.meta")));
    let message = blocked_message_server(dir.path(), &name, &[]);
    assert_sigterm_ends_it_within_a_second(message, "presence lock");
    drop(lock);

    // The mutex: the state server holds it (a long hold) while the message
    // server waits for it after Enter.
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let name = unique_name("mutex");
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", &name, "--dir", dir_arg],
    );
    message.expect_line("Start the state service");
    let mut state = Program::spawn(
        "state-server",
        &state_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir_arg,
            "--interval-ms",
            "1",
            "--hold-ms",
            "20000",
        ],
    );
    state.expect_line("NowTime");
    message.enter();
    message.expect_line("Waiting for the state service");
    assert_sigterm_ends_it_within_a_second(message, "mutex");
}

#[test]
fn a_strangers_file_at_the_file_path_is_never_written_or_grown() {
    if !as_root_only("a_strangers_file_at_the_file_path_is_never_written_or_grown") {
        return;
    }
    let dir = shared_dir();
    let path = dir.path().join("im.dat");
    let content = squat(&path);
    for uid in [ME, 0] {
        let (result, _) = run_as(
            "message-server",
            uid,
            &message_server(),
            &["--file", path.to_str().expect("utf-8"), "--timeout", "3"],
        );
        assert_eq!(result.code(), Some(1), "uid {uid}: {}", result.stderr);
        assert!(
            result.stderr.contains("belongs to uid 1002"),
            "uid {uid}: {}",
            result.stderr
        );
        assert_eq!(
            std::fs::read(&path).expect("their file"),
            content,
            "uid {uid}: never written"
        );
        let meta = std::fs::metadata(&path).expect("their file");
        assert_eq!(
            meta.mode() & 0o777,
            0o666,
            "uid {uid}: its mode untouched (root too)"
        );
    }
    assert_eq!(common::dir_entries(dir.path()), ["im.dat"]);
}

#[test]
fn a_hard_link_at_the_setup_file_is_refused_and_the_linked_file_untouched() {
    if !as_root_only("a_hard_link_at_the_setup_file_is_refused_and_the_linked_file_untouched") {
        return;
    }
    let dir = shared_dir();
    let name = unique_name("hardlink");
    // A file of the victim's own, which a neighbour links to the setup path.
    let own = dir.path().join("notes.txt");
    std::fs::write(&own, b"my notes\n").expect("write");
    std::os::unix::fs::chown(&own, Some(ME), Some(ME)).expect("chown");
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    std::fs::hard_link(&own, dir.path().join(format!(".{name}.guard"))).expect("link");
    let (result, _) = run_as(
        "message-server",
        ME,
        &message_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir.path().to_str().expect("utf-8"),
            "--timeout",
            "3",
        ],
    );
    assert_eq!(result.code(), Some(1), "{}", result.stderr);
    assert!(result.stderr.contains("hard link"), "{}", result.stderr);
    let meta = std::fs::metadata(&own).expect("own file");
    assert_eq!(meta.mode() & 0o777, 0o666, "never chmod'ed");
    assert_eq!(std::fs::read(&own).expect("own file"), b"my notes\n");
}

#[test]
fn one_timeout_bounds_several_waits_in_a_row() {
    if !as_root_only("one_timeout_bounds_several_waits_in_a_row") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let name = unique_name("budget");
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", &name, "--dir", dir_arg],
    );
    message.expect_line("Start the state service");
    let mut holder = Program::spawn(
        "state-server",
        &state_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir_arg,
            "--interval-ms",
            "1",
            "--hold-ms",
            "60000",
        ],
    );
    holder.expect_line("NowTime");
    // The setup lock is busy for 2 s, then the mutex for a minute: two waits,
    // one budget of 3 s.
    let lock = own_lock(&dir.path().join(format!(".{name}.guard")));
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        drop(lock);
    });
    let started = Instant::now();
    let mut late = Program::spawn(
        "state-server",
        &state_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir_arg,
            "--timeout",
            "3",
            "--interval-ms",
            "1",
            "--hold-ms",
            "1",
        ],
    );
    late.close_stdin();
    let result = late.wait_for_exit();
    let took = started.elapsed();
    release.join().expect("release thread");
    assert_eq!(result.code(), Some(1), "{}", result.stderr);
    assert!(result.stderr.contains("gave up"), "{}", result.stderr);
    assert!(
        took < Duration::from_secs(4),
        "took {took:?}: past --timeout 3 + 1 s"
    );
    assert!(
        took >= Duration::from_secs(2),
        "took {took:?}: it did wait for the setup lock"
    );
}
