//! Crash safety and abuse on Linux's files (the races of many processes at
//! once are in races.rs, on every platform): a full disk, permissions, file modes, companions that are not ours, links,
//! and decoding arbitrary bytes.
#![cfg(target_os = "linux")] // Linux only: it forges companion files, file modes and `/dev/shm` layouts that exist only in the Linux backend.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::tmpfs::SmallTmpfs;
use common::*;
use proptest::prelude::*;
use shared::ring::{RecordReceiver, RING_MAGIC, RING_VERSION};
use shared::{Failure, MutexOptions, RegionOptions};

#[test]
fn a_full_directory_gives_a_clear_no_space_error_and_leaves_nothing() {
    let Some(tmpfs) = SmallTmpfs::mount("64k") else {
        return;
    };
    let error = RegionOptions::named(&unique("full"))
        .dir(tmpfs.path())
        .size(1_024_000)
        .create_or_open()
        .err();
    assert!(
        matches!(error.failed(), Some(Failure::NoSpace { .. })),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("no space for a 1024000-byte shared-memory region"),
        "{message}"
    );
    assert_eq!(
        entries(tmpfs.path()),
        Vec::<String>::new(),
        "no region, .meta, .guard or temporary file left"
    );

    // A region that fits is fully reserved: writing its last page cannot SIGBUS.
    let region = RegionOptions::named(&unique("fits"))
        .dir(tmpfs.path())
        .size(32 * 1024)
        .create_or_open()
        .expect("a small region fits");
    let accessor = region.create_view_accessor(0, 0).expect("view");
    accessor.write_i64(32 * 1024 - 8, 1).expect("last bytes");
    let before = entries(tmpfs.path());
    let second = RegionOptions::named(&unique("nofit"))
        .dir(tmpfs.path())
        .size(48 * 1024)
        .create_or_open();
    assert!(
        matches!(second.failed(), Err(Failure::NoSpace { .. })),
        "{second:?}"
    );
    assert_eq!(entries(tmpfs.path()), before, "the failed one left nothing");

    // Without reserving, a sparse region larger than the space is allowed.
    let sparse = RegionOptions::named(&unique("sparse"))
        .dir(tmpfs.path())
        .size(1 << 20)
        .reserve(false)
        .create_or_open()
        .expect("a sparse region needs no space up front");
    assert_eq!(sparse.size(), 1 << 20);
}

/// Whether this process runs as root (from /proc, without libc).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `program args` as the unprivileged user `nobody` (we are root), or
/// `None` when that is not possible here.
fn as_nobody(program: &Path, args: &[&str]) -> Option<std::process::Output> {
    if !running_as_root() {
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
fn another_users_region_is_refused_naming_its_owner() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let name = unique("perm");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("region");
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(0, &records::pattern(3, 4096))
        .expect("write");
    let before = std::fs::read(region.path()).expect("read");
    let files_before = entries(dir.path());
    // The helper (as nobody) never got the helper example built: the test
    // builds it first, as root.
    let helper = helper_path();
    let Some(out) = as_nobody(&helper, &["hold", name.as_str(), arg(dir.path()), "4096"]) else {
        eprintln!("SKIPPED: not root, cannot run a process as another user here");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("belongs to user root (uid 0)"), "{stderr}");
    assert!(
        stderr.contains("share_with_group()") && !stderr.contains("--mode"),
        "the library's hint names its API, not a program's flag: {stderr}"
    );
    assert_eq!(std::fs::read(region.path()).expect("read"), before);
    assert_eq!(entries(dir.path()), files_before, "nothing added or removed");
    for observe in [false, true] {
        let command = if observe { "peek" } else { "poke" };
        let out =
            as_nobody(&helper, &[command, name.as_str(), arg(dir.path()), "0", "00"]).expect("as nobody");
        assert!(!out.status.success(), "{command}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("belongs to user root (uid 0)"),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(std::fs::read(region.path()).expect("read"), before);
}

#[test]
fn files_are_owner_only_unless_a_mode_is_asked_for() {
    let dir = tempfile::tempdir().expect("dir");
    let mode_of = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    let name = unique("mode");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("region");
    assert_eq!(region.mode(), 0o600);
    let _mutex = MutexOptions::for_region(&region).create(false).expect("mutex");
    let _alone = MutexOptions::named(&unique("alone"))
        .dir(dir.path())
        .create(false)
        .expect("stand-alone mutex");
    assert_eq!(entries(dir.path()).len(), 9, "three objects, three files each");
    for file in entries(dir.path()) {
        assert_eq!(mode_of(&dir.path().join(&file)), 0o600, "{file}");
    }

    let group_dir = tempfile::tempdir().expect("dir");
    let group = RegionOptions::named(&unique("group"))
        .dir(group_dir.path())
        .size(4096)
        .mode(0o660)
        .create_or_open()
        .expect("region");
    assert_eq!(group.mode(), 0o660);
    let _group_mutex = MutexOptions::for_region(&group).create(false).expect("mutex");
    let _wide = MutexOptions::named(&unique("wide"))
        .dir(group_dir.path())
        .mode(0o644)
        .create(false)
        .expect("mutex");
    // The library's own files never give others any permission (whoever
    // can open them can lock them): a 0644 mutex's files are 0640.
    for file in entries(group_dir.path()) {
        let expected = if file.contains("-wide") { 0o640 } else { 0o660 };
        assert_eq!(mode_of(&group_dir.path().join(&file)), expected, "{file}");
    }
}

/// The companion layout version this build writes (`meta.rs`: version 3
/// added the passer's CPU beside the turn).
const CURRENT: u32 = 3;

/// A companion `.NAME.meta` like the library's, of `version`, for a region
/// of `size` bytes stored in `object`.
fn companion(version: u32, size: u64, object: &Path) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    let stat = std::fs::metadata(object).expect("stat");
    let mut bytes = vec![0u8; 256];
    bytes[0..4].copy_from_slice(b"IMSH");
    bytes[4..8].copy_from_slice(&version.to_le_bytes());
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    bytes[16..24].copy_from_slice(&size.to_le_bytes());
    bytes[24..32].copy_from_slice(&stat.dev().to_le_bytes());
    bytes[32..40].copy_from_slice(&stat.ino().to_le_bytes());
    bytes
}

#[test]
fn a_companion_of_another_version_or_kind_or_garbage_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let user_bytes = records::pattern(9, 20_000);
    /// Label, the companion's bytes for the object at a path, the refusal's reason.
    type Case = (&'static str, fn(&Path) -> Vec<u8>, &'static str);
    let cases: [Case; 7] = [
        ("v1", |p| companion(1, 20_000, p), "layout version 1"),
        ("v2", |p| companion(2, 20_000, p), "layout version 2"),
        ("v4", |p| companion(4, 20_000, p), "layout version 4"),
        (
            "kind",
            |p| {
                let mut bytes = companion(CURRENT, 20_000, p);
                bytes[8] = 2; // describes a mutex
                bytes
            },
            "its companion describes a mutex, not a shared-memory region",
        ),
        ("garbage", |_| records::pattern(4, 256), "no companion magic"),
        ("short", |_| b"IMSH".to_vec(), "not a companion file's 256"),
        ("empty", |_| Vec::new(), "not a companion file's 256"),
    ];
    for (label, make, reason) in cases {
        let name = unique(label);
        let object = dir.path().join(name.as_str());
        let meta = dir.path().join(format!(".{name}.meta"));
        std::fs::write(&object, &user_bytes).expect("write");
        let meta_bytes = make(&object);
        std::fs::write(&meta, &meta_bytes).expect("write");
        let before = entries(dir.path());
        let options = RegionOptions::named(&name).dir(dir.path()).size(20_000);
        for (how, error) in [
            ("create_or_open", options.create_or_open().err()),
            ("open_existing", options.open_existing().err()),
            ("observe", options.observe().err()),
        ] {
            let message = error.as_ref().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                matches!(error.failed(), Some(Failure::NotOurs { .. })),
                "{label} {how}: {error:?}"
            );
            assert!(message.contains(reason), "{label} {how}: {message}");
            assert_eq!(std::fs::read(&object).expect("read"), user_bytes, "{label} {how}");
            assert_eq!(std::fs::read(&meta).expect("read"), meta_bytes, "{label} {how}");
            assert_eq!(
                entries(dir.path()),
                before,
                "{label} {how}: nothing added or removed"
            );
        }
    }
}

#[test]
fn a_valid_companion_left_by_dead_users_is_cleaned_but_a_foreign_one_never() {
    // The hand-made companion above, of this version: the library accepts it as
    // its own, finds no live user, and cleans up, as after a crash.
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("v3");
    let object = dir.path().join(name.as_str());
    std::fs::write(&object, records::pattern(5, 4096)).expect("write");
    std::fs::write(
        dir.path().join(format!(".{name}.meta")),
        companion(CURRENT, 4096, &object),
    )
    .expect("write");
    let observer = RegionOptions::named(&name)
        .dir(dir.path())
        .observe()
        .expect("observe");
    assert_eq!(observer.size(), 4096);
    assert_eq!(observer.attached_processes(), Some(0));
    drop(observer);
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("fresh");
    assert!(region.created_new(), "stale: started afresh");
    assert_eq!(std::fs::read(region.path()).expect("read"), vec![0u8; 4096]);
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    // A stale companion that vouches for another file: the companion (ours)
    // goes, the file at the path (not ours) is refused and stays as it was.
    let name = unique("elsewhere");
    let object = dir.path().join(name.as_str());
    let meta = dir.path().join(format!(".{name}.meta"));
    let user_bytes = records::pattern(6, 4096);
    std::fs::write(&object, &user_bytes).expect("write");
    let mut bytes = companion(CURRENT, 4096, &object);
    bytes[32] ^= 1; // another inode
    std::fs::write(&meta, &bytes).expect("write");
    let options = RegionOptions::named(&name).dir(dir.path()).size(4096);
    let observed = options.observe().err();
    assert!(
        matches!(observed.failed(), Some(Failure::NotOurs { .. })),
        "{observed:?}"
    );
    assert_eq!(std::fs::read(&meta).expect("an observer removes nothing"), bytes);
    let error = options.create_or_open().err();
    assert!(
        matches!(error.failed(), Some(Failure::NotOurs { .. })),
        "{error:?}"
    );
    assert_eq!(std::fs::read(&object).expect("read"), user_bytes);
    assert_eq!(entries(dir.path()), [name.to_string()]);
}

#[test]
fn symlinks_at_the_mutex_meta_or_guard_paths_are_never_removed_or_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("target.txt");
    std::fs::write(&target, b"keep me").expect("target");

    // At the region's mutex path.
    let name = unique("mlink");
    let mutex_path = dir.path().join(name.mutex_name());
    std::os::unix::fs::symlink(&target, &mutex_path).expect("symlink");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("region");
    let error = MutexOptions::for_region(&region).create(true).err();
    assert!(
        matches!(error.failed(), Some(Failure::NotOurs { .. })),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("left untouched"), "{message}");
    drop(region);
    assert!(
        std::fs::symlink_metadata(&mutex_path).is_ok(),
        "the link is not ours: left in place"
    );

    // At a region's companion and setup paths.
    for what in ["meta", "guard"] {
        let name = unique(what);
        let link = dir.path().join(format!(".{name}.{what}"));
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let error = RegionOptions::named(&name)
            .dir(dir.path())
            .size(4096)
            .create_or_open()
            .err();
        assert!(
            matches!(error.failed(), Some(Failure::NotOurs { .. })),
            "{what}: {error:?}"
        );
        assert!(
            error
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("symbolic link"),
            "{what}"
        );
        assert!(
            std::fs::symlink_metadata(&link).is_ok(),
            "{what}: link left in place"
        );
        assert!(
            !dir.path().join(name.as_str()).exists(),
            "{what}: no region created"
        );
    }
    assert_eq!(std::fs::read(&target).expect("target"), b"keep me");
    assert_eq!(
        std::fs::metadata(&target).expect("stat").permissions().mode() & 0o777,
        0o644,
        "no chmod through a link"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // The demo's record (behind the `demo` feature, which a workspace build
    // turns on).
    #[cfg(feature = "demo")]
    #[test]
    fn decoding_a_record_never_panics_and_round_trips(bytes in any::<[u8; 16]>()) {
        use shared::demo::ServiceMsg;
        let msg = ServiceMsg::decode(&bytes);
        let _ = msg.time_text();
        prop_assert_eq!(ServiceMsg::decode(&msg.encode()), msg);
    }

    #[test]
    fn any_bytes_in_a_companion_are_refused_and_left_unchanged(
        meta in proptest::collection::vec(any::<u8>(), 0..300),
        keep_magic in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let name = unique("fuzzmeta");
        let object = dir.path().join(name.as_str());
        let meta_path = dir.path().join(format!(".{name}.meta"));
        let mut meta = meta;
        if keep_magic && meta.len() >= 8 {
            meta[0..4].copy_from_slice(b"IMSH");
            meta[4..8].copy_from_slice(&7u32.to_le_bytes());
        }
        std::fs::write(&object, b"the user's").expect("write");
        std::fs::write(&meta_path, &meta).expect("write");
        let options = RegionOptions::named(&name).dir(dir.path()).size(4096);
        let opened = options.create_or_open();
        prop_assert!(matches!(opened.failed(), Err(Failure::NotOurs { .. })), "{:?}", opened.err());
        prop_assert!(options.observe().is_err());
        prop_assert_eq!(std::fs::read(&object).expect("read"), b"the user's".to_vec());
        prop_assert_eq!(std::fs::read(&meta_path).expect("read"), meta);
    }

    #[test]
    fn any_ring_header_is_refused_or_read_without_panicking(
        header in proptest::collection::vec(any::<u8>(), 192),
        current_version in any::<bool>(),
        record_size_16 in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let options = RegionOptions::named(&unique("fuzzring")).dir(dir.path()).size(192 + 16 * 4096);
        let region = options.create_new().expect("region");
        let mut header = header;
        header[0..4].copy_from_slice(&RING_MAGIC.to_le_bytes());
        // Half the cases get past the version check, and half of those past
        // the record layout check (Stamp's size and alignment), so that the
        // random words behind them are read too.
        if current_version {
            header[4..8].copy_from_slice(&RING_VERSION.to_le_bytes());
        }
        if record_size_16 {
            let stamp = std::mem::size_of::<records::Stamp>() as u32;
            let align = std::mem::align_of::<records::Stamp>() as u32;
            header[12..16].copy_from_slice(&stamp.to_le_bytes());
            header[40..44].copy_from_slice(&align.to_le_bytes());
        }
        region.create_view_accessor(0, 0).expect("view").write_bytes(0, &header).expect("write");
        if let Ok(mut receiver) = RecordReceiver::<records::Stamp>::open(&options) {
            let _ = receiver.try_recv();
        }
    }
}
