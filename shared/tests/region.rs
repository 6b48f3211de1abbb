//! The public API on real files: opening modes, lifetime, views, foreign files,
//! persistence, and the mutex across real processes (the `helper` example).

mod common;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use shared::{Acquired, MutexError, NamedMutex, RegionError, RegionOptions, ServiceMsg, ViewError};

#[test]
fn open_existing_fails_when_no_region_was_created() {
    let dir = tempfile::tempdir().expect("dir");
    let error = RegionOptions::named(&unique("none"))
        .dir(dir.path())
        .open_existing()
        .err();
    assert!(matches!(error, Some(RegionError::NotFound { .. })), "{error:?}");
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "a failed open leaves nothing"
    );
}

#[test]
fn create_new_fails_while_the_region_is_in_use() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("new")).dir(dir.path());
    let first = options.create_new().expect("first create");
    assert!(matches!(
        options.create_new(),
        Err(RegionError::AlreadyExists { .. })
    ));
    let second = options.open_existing().expect("open while in use");
    second
        .create_view_accessor(0, 0)
        .expect("view")
        .write_i32(200, 7)
        .expect("write");
    assert_eq!(
        first.create_view_accessor(0, 0).expect("view").read_i32(200),
        Ok(7)
    );
}

#[test]
fn the_last_close_removes_region_mutex_and_setup_files() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("last");
    let options = RegionOptions::named(&name).dir(dir.path());
    let a = options.create_or_open().expect("a");
    let b = options.open_existing().expect("b");
    let mutex = NamedMutex::create(&a, false).expect("mutex");
    assert!(mutex.created_new);
    assert_eq!(
        entries(dir.path()),
        [format!(".{name}.guard"), name.to_string(), format!("{name}mutex")]
    );
    drop(mutex);
    drop(a);
    assert!(dir.path().join(name.as_str()).exists(), "b still uses it");
    drop(b);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_region_whose_users_all_died_is_gone_and_starts_fresh() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("dead");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let mut helper = Helper::start(&["hold", name.as_str(), dir_arg]);
    let options = RegionOptions::named(&name).dir(dir.path());
    {
        let live = options.open_existing().expect("helper is alive");
        assert_eq!(
            live.create_view_accessor(0, 0).expect("view").read_i64(1024),
            Ok(0x5EED_F00D)
        );
        live.control().set_flags(shared::control::Flags::MESSAGE_WRITTEN);
    }
    helper.kill(); // kill -9: no clean-up ran
    assert!(
        dir.path().join(name.as_str()).exists(),
        "the file is still there..."
    );
    assert!(
        matches!(options.open_existing(), Err(RegionError::NotFound { .. })),
        "...but counts as gone"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    let mut helper = Helper::start(&["hold", name.as_str(), dir_arg]);
    {
        let second = options.open_existing().expect("helper is alive again");
        second.control().set_flags(shared::control::Flags::STATE_WRITTEN);
        second.control().set_record_count(3);
    }
    helper.kill();
    let fresh = options.create_or_open().expect("fresh region");
    assert!(fresh.created_new(), "a region whose users died is re-created");
    let view = fresh.create_view_accessor(0, 0).expect("view");
    assert_eq!(view.read_i64(1024), Ok(0), "no old bytes");
    assert_eq!(fresh.control().flags().0, 0, "no stale flags");
    assert_eq!(fresh.control().record_count(), 0, "no stale record count");
}

#[test]
fn views_refuse_accesses_outside_their_window_and_write_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("views"))
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let size = region.size();
    assert!(matches!(
        region.create_view_stream(size + 1, 0),
        Err(ViewError::OutsideRegion { .. })
    ));
    assert!(matches!(
        region.create_view_accessor(size - 8, 16),
        Err(ViewError::OutsideRegion { .. })
    ));

    let mut stream = region.create_view_stream(20, 8).expect("stream");
    stream.write_all(&[1, 2, 3, 4]).expect("fits");
    let error = stream.write_all(&[5, 6, 7, 8, 9]).expect_err("does not fit");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("does not fit"), "{error}");
    stream.seek(SeekFrom::Start(0)).expect("seek");
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read");
    assert_eq!(all, [1, 2, 3, 4, 0, 0, 0, 0], "the failed write wrote nothing");
    assert!(stream.seek(SeekFrom::Start(9)).is_err());
    assert!(stream.seek(SeekFrom::Current(-100)).is_err());

    let accessor = region.create_view_accessor(1024, 32).expect("accessor");
    accessor
        .write_service_msg(16, &ServiceMsg { id: 16, now_time: 5 })
        .expect("fits");
    assert!(matches!(
        accessor.write_service_msg(17, &ServiceMsg::default()),
        Err(ViewError::OutsideView { .. })
    ));
    assert!(matches!(
        accessor.read_i64(u64::MAX),
        Err(ViewError::OutsideView { .. })
    ));

    // The control block is the library's: views may read it, never write it.
    let whole = region.create_view_accessor(0, 0).expect("view");
    assert!(matches!(
        whole.write_i32(40, 0),
        Err(ViewError::ControlBlock { .. })
    ));
    assert!(matches!(
        whole.write_bytes(0, &[0; 64]),
        Err(ViewError::ControlBlock { .. })
    ));
    let mut stream = region.create_view_stream(36, 0).expect("stream");
    assert!(stream.write_all(&[1, 2, 3, 4, 5]).is_err());
    let mut magic = [0u8; 4];
    whole.read_bytes(40, &mut magic).expect("reads are fine");
    assert_eq!(&magic, b"IMSH", "untouched");
    assert_eq!(
        accessor.read_service_msg(16),
        Ok(ServiceMsg { id: 16, now_time: 5 })
    );
}

#[test]
fn foreign_files_at_the_region_path_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let foreign: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    type Maker<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Maker)> = vec![
        (
            "plain",
            Box::new(|p: &Path| std::fs::write(p, &foreign).expect("write")),
        ),
        (
            "small",
            Box::new(|p: &Path| std::fs::write(p, b"hello").expect("write")),
        ),
        ("dir", Box::new(|p: &Path| std::fs::create_dir(p).expect("mkdir"))),
        (
            "fifo",
            Box::new(|p: &Path| {
                assert!(Command::new("mkfifo").arg(p).status().expect("mkfifo").success());
            }),
        ),
        (
            "link",
            Box::new(|p: &Path| {
                std::os::unix::fs::symlink(p.with_extension("target"), p).expect("symlink");
                std::fs::write(p.with_extension("target"), b"target").expect("target");
            }),
        ),
    ];
    for (label, make) in cases {
        let name = unique(label);
        let path = dir.path().join(name.as_str());
        make(&path);
        let before = entries(dir.path());
        let error = RegionOptions::named(&name).dir(dir.path()).create_or_open().err();
        assert!(
            matches!(error, Some(RegionError::NotARegion { .. })),
            "{label}: {error:?}"
        );
        assert!(error
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("left untouched"));
        assert_eq!(entries(dir.path()), before, "{label}: nothing added or removed");
    }
    assert_eq!(
        std::fs::read(dir.path().join(unique_prefix_of(dir.path(), "plain"))).expect("read"),
        foreign
    );
}

fn unique_prefix_of(dir: &Path, label: &str) -> String {
    entries(dir)
        .into_iter()
        .find(|n| n.ends_with(&format!("-{label}")))
        .expect("file present")
}

#[test]
fn a_persistent_region_keeps_its_data_and_only_its_file() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep.dat");
    {
        let region = RegionOptions::file(&path)
            .create_or_open()
            .expect("create from file");
        assert!(region.is_persistent());
        region
            .create_view_accessor(0, 0)
            .expect("view")
            .write_i32(4096, 42)
            .expect("write");
        let _mutex = NamedMutex::create(&region, false).expect("mutex");
    }
    assert_eq!(entries(dir.path()), ["keep.dat"]);
    let region = RegionOptions::file(&path).open_existing().expect("reopen");
    assert_eq!(
        region.create_view_accessor(0, 0).expect("view").read_i32(4096),
        Ok(42)
    );
}

#[test]
fn bad_sizes_are_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().expect("dir");
    for size in [0, 11_263, (1 << 30) + 1, u64::MAX] {
        let error = RegionOptions::named(&unique("size"))
            .dir(dir.path())
            .size(size)
            .create_or_open()
            .err();
        assert!(
            matches!(error, Some(RegionError::BadSize { .. })),
            "{size}: {error:?}"
        );
    }
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    let smallest = RegionOptions::named(&unique("min"))
        .dir(dir.path())
        .size(11_264)
        .create_or_open();
    assert_eq!(smallest.map(|r| r.size()).ok(), Some(11_264));
}

#[test]
fn the_mutex_must_have_been_created_to_be_opened() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("mutex"))
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    assert!(matches!(
        NamedMutex::open_existing(&region),
        Err(MutexError::NotFound { .. })
    ));
    let created = NamedMutex::create(&region, true).expect("create");
    assert!(created.created_new && created.guard.is_some());
    assert_eq!(region.control().creator_pid(), std::process::id());
    let again = NamedMutex::create(&region, true).expect("open again");
    assert!(
        !again.created_new && again.guard.is_none(),
        "only the creator owns it initially"
    );
}

#[test]
fn a_held_mutex_blocks_others_and_an_abandoned_one_is_reported_with_the_pid() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("abandon");
    let mut helper = Helper::start(&["lock", name.as_str(), dir.path().to_str().expect("utf-8")]);
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .open_existing()
        .expect("region");
    let mutex = NamedMutex::open_existing(&region).expect("mutex");
    assert!(mutex.try_wait().expect("try").is_none(), "held by the helper");
    assert!(mutex
        .wait_timeout(Duration::from_millis(30))
        .expect("wait")
        .is_none());
    assert_eq!(mutex.holder_pid(), helper.0.id());

    let pid = helper.0.id();
    helper.kill();
    match mutex.wait_timeout(Duration::from_secs(30)).expect("wait") {
        Some(Acquired::Abandoned { holder_pid, .. }) => assert_eq!(holder_pid, pid),
        other => panic!("expected an abandoned mutex, got {other:?}"),
    }
    match mutex.try_wait().expect("try again") {
        Some(Acquired::Owned(_)) => {}
        other => panic!("a clean release is not abandoned: {other:?}"),
    }
}

#[test]
fn the_article_snippets_run_end_to_end() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("ab");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let mut a = Command::new(example("process_a"))
        .args([name.as_str(), dir_arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("process_a");
    let mut a_out = BufReader::new(a.stdout.take().expect("stdout"));
    let mut line = String::new();
    a_out.read_line(&mut line).expect("read");
    assert!(line.contains("Start Process B"), "{line}");
    let b = Command::new(example("process_b"))
        .args([name.as_str(), dir_arg])
        .output()
        .expect("b");
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    a.stdin.take().expect("stdin").write_all(b"\n").expect("enter");
    let mut rest = String::new();
    a_out.read_to_string(&mut rest).expect("read");
    assert!(a.wait().expect("wait").success());
    assert_eq!(rest, "Process A says: true\nProcess B says: false\n");
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    let file = dir.path().join("p.dat");
    for expected in ["[1, 2, 3, 4]", "[2, 4, 6, 8]"] {
        let out = Command::new(example("persistent"))
            .arg(&file)
            .output()
            .expect("persistent");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains(expected));
    }
    assert_eq!(entries(dir.path()), ["p.dat"]);
}
