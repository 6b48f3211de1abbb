//! Crash safety and abuse: concurrent creation, mutual exclusion under load,
//! a full disk, permissions, file modes, and decoding arbitrary bytes.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use proptest::prelude::*;
use shared::control::Header;
use shared::{NamedMutex, RegionError, RegionOptions, ServiceMsg};

#[test]
fn eight_processes_creating_at_once_initialize_exactly_once() {
    const PROCESSES: usize = 8;
    const ROUNDS: usize = 20;
    let dir = tempfile::tempdir().expect("dir");
    let dir_arg = dir.path().to_str().expect("utf-8");
    for round in 0..ROUNDS {
        let name = unique("race");
        let count = PROCESSES.to_string();
        let children: Vec<_> = (0..PROCESSES)
            .map(|i| {
                Command::new(helper_path())
                    .args(["race", name.as_str(), dir_arg, &i.to_string(), &count])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn helper")
            })
            .collect();
        let mut created = 0;
        for child in children {
            let out = wait_with_watchdog(child);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "round {round}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            created += usize::from(stdout.trim() == "created=true");
        }
        assert_eq!(created, 1, "round {round}: exactly one process initializes");
        assert_eq!(
            entries(dir.path()),
            Vec::<String>::new(),
            "round {round}: nothing left"
        );
    }
}

#[test]
fn eight_processes_counting_under_the_mutex_lose_no_increment() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("count8");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(helper_path())
                .args(["count", name.as_str(), dir_arg, "10000"])
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        assert!(wait_with_watchdog(child).status.success());
    }
    let accessor = region.create_view_accessor(0, 0).expect("view");
    assert_eq!(accessor.read_i32(2048), Ok(80_000));
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop; `None`
/// (and a visible note) where this machine does not allow mounting.
struct SmallTmpfs(tempfile::TempDir);

impl SmallTmpfs {
    fn mount(size: &str) -> Option<SmallTmpfs> {
        let dir = tempfile::tempdir().expect("dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some(SmallTmpfs(dir)),
            _ => {
                eprintln!("SKIPPED: cannot mount a small tmpfs on this machine (needs root); the no-space test did not run");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_directory_gives_a_clear_no_space_error_and_leaves_nothing() {
    let Some(tmpfs) = SmallTmpfs::mount("64k") else {
        return;
    };
    let error = RegionOptions::named(&unique("full"))
        .dir(tmpfs.path())
        .create_or_open()
        .err();
    assert!(matches!(error, Some(RegionError::NoSpace { .. })), "{error:?}");
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("no space for a 1024000-byte region"),
        "{message}"
    );
    assert_eq!(entries(tmpfs.path()), Vec::<String>::new());

    // A region that fits is fully reserved: writing its last page cannot SIGBUS.
    let region = RegionOptions::named(&unique("fits"))
        .dir(tmpfs.path())
        .size(32 * 1024)
        .create_or_open()
        .expect("a small region fits");
    let accessor = region.create_view_accessor(0, 0).expect("view");
    accessor.write_i64(32 * 1024 - 8, 1).expect("last bytes");
    let second = RegionOptions::named(&unique("nofit"))
        .dir(tmpfs.path())
        .size(48 * 1024)
        .create_or_open();
    assert!(matches!(second, Err(RegionError::NoSpace { .. })), "{second:?}");
}

/// Runs `program args` as the unprivileged user `nobody` (we are root), or
/// `None` when that is not possible here.
fn as_nobody(program: &Path, args: &[&str]) -> Option<std::process::Output> {
    // The effective uid of this process, from /proc.
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        return None;
    }
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(program)
        .args(args)
        .output()
        .ok()
}

#[test]
fn another_users_region_is_refused_with_permission_denied() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let name = unique("perm");
    let _region = RegionOptions::named(&name)
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let before = std::fs::read(dir.path().join(name.as_str())).expect("read");
    let Some(out) = as_nobody(
        &helper_path(),
        &["hold", name.as_str(), dir.path().to_str().expect("utf-8")],
    ) else {
        eprintln!("SKIPPED: not root, cannot run a process as another user here");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join(name.as_str())).expect("read"),
        before
    );
}

#[test]
fn files_are_owner_only_unless_a_mode_is_asked_for() {
    let dir = tempfile::tempdir().expect("dir");
    let mode_of = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    let name = unique("mode");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let _mutex = NamedMutex::create(&region, false).expect("mutex");
    for file in entries(dir.path()) {
        assert_eq!(mode_of(&dir.path().join(&file)), 0o600, "{file}");
    }
    let shared_name = unique("group");
    let group = RegionOptions::named(&shared_name)
        .dir(dir.path())
        .mode(0o660)
        .create_or_open()
        .expect("region");
    let _mutex = NamedMutex::create(&group, false).expect("mutex");
    assert_eq!(mode_of(group.path()), 0o660);
    assert_eq!(mode_of(group.mutex_path()), 0o660);
}

#[test]
fn a_region_of_another_layout_version_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("version");
    let path = dir.path().join(name.as_str());
    let mut bytes = vec![7u8; 20_000];
    let mut header = Header::new(20_000).encode();
    header[4] = 2; // layout version 2
    bytes[40..56].copy_from_slice(&header);
    std::fs::write(&path, &bytes).expect("write");
    let error = RegionOptions::named(&name).dir(dir.path()).create_or_open().err();
    assert!(error
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("layout version 2"));
    assert_eq!(std::fs::read(&path).expect("read"), bytes);
}

#[test]
fn a_symlink_or_region_at_the_mutex_path_is_never_removed_or_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("mlink");
    let target = dir.path().join("target.txt");
    std::fs::write(&target, b"keep me").expect("target");
    let mutex_path = dir.path().join(format!("{name}mutex"));
    std::os::unix::fs::symlink(&target, &mutex_path).expect("symlink");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let error = NamedMutex::create(&region, true).err();
    assert!(error
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("symbolic link"));
    drop(region);
    assert!(
        std::fs::symlink_metadata(&mutex_path).is_ok(),
        "the link is not ours: left in place"
    );
    assert_eq!(std::fs::read(&target).expect("target"), b"keep me");
}

proptest! {
    #[test]
    fn decoding_a_header_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Header::decode(&bytes);
    }

    #[test]
    fn decoding_a_record_never_panics_and_round_trips(bytes in any::<[u8; 16]>()) {
        let msg = ServiceMsg::decode(&bytes);
        let _ = msg.time_text();
        prop_assert_eq!(ServiceMsg::decode(&msg.encode()), msg);
    }

    #[test]
    fn a_valid_header_round_trips(size in 11_264u64..=(1 << 30)) {
        prop_assert_eq!(Header::decode(&Header::new(size).encode()), Ok(Header::new(size)));
    }
}
