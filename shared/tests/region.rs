//! The public API across real processes (the `helper` example), on every
//! platform: opening modes, lifetime, views, persistence, the region's mutex,
//! and the article's snippets. What only Linux has is checked on Linux: the
//! region's files and companions in the directory, foreign files at a
//! region's path (FIFOs, links), and the users counted from `/proc/locks`.

mod common;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
#[cfg(target_os = "linux")]
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::records::Stamp;
use common::*;
use shared::{Acquired, Failure, FileMode, MutexOptions, Region, RegionOptions, ViewError};

const SIZE: u64 = 10_000;

#[test]
fn open_existing_fails_when_no_region_was_created() {
    let dir = tempfile::tempdir().expect("dir");
    let error = RegionOptions::named(&unique("none"))
        .in_dir(dir.path())
        .open_existing()
        .err();
    assert!(
        matches!(error.failed(), Some(Failure::NotFound { .. })),
        "{error:?}"
    );
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "a failed open leaves nothing"
    );
}

#[test]
fn create_new_fails_while_the_region_is_in_use() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("new")).in_dir(dir.path()).size(SIZE);
    let first = options.create_new().expect("first create");
    assert!(first.created_new());
    assert!(matches!(
        options.create_new().failed(),
        Err(Failure::AlreadyExists { .. })
    ));
    let second = options.open_existing().expect("open while in use");
    assert!(!second.created_new());
    assert_eq!(
        (first.size(), second.size()),
        (reported_size(SIZE), reported_size(SIZE))
    );
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
#[cfg(target_os = "linux")] // the files in the directory
fn an_existing_region_keeps_its_size_and_refuses_an_opener_asking_for_more() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("keepsize");
    let first = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(SIZE)
        .create_or_open()
        .expect("create");
    let larger = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(3 * SIZE)
        .create_or_open();
    assert!(
        matches!(larger.failed(), Err(Failure::BadSize { .. })),
        "{larger:?}"
    );
    let smaller = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(SIZE / 2)
        .create_or_open()
        .expect("a smaller size opens the region at its own size");
    assert!(!smaller.created_new());
    assert_eq!((first.size(), smaller.size()), (SIZE, SIZE));
    assert_eq!(
        std::fs::metadata(first.path()).expect("stat").len(),
        SIZE,
        "the file was not grown"
    );
}

#[test]
#[cfg(target_os = "linux")] // the files in the directory
fn the_last_close_removes_region_meta_guard_and_mutex_files() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("last");
    let options = RegionOptions::named(&name).in_dir(dir.path()).size(SIZE);
    let a = options.create_or_open().expect("a");
    let b = options.open_existing().expect("b");
    let mutex = MutexOptions::for_region(&a).create(false).expect("mutex");
    assert!(mutex.created_new);
    let mut expected = object_files(name.as_str());
    expected.extend(object_files(&name.mutex_name()));
    expected.sort();
    assert_eq!(entries(dir.path()), expected);
    drop(mutex);
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "the mutex's last user removed its files"
    );
    drop(a);
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "b still uses the region"
    );
    drop(b);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_fresh_region_is_all_zeros_and_every_byte_is_the_users() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("zeros"))
        .in_dir(dir.path())
        .size(SIZE)
        .create_new()
        .expect("region");
    let view = region.create_view_accessor(0, 0).expect("view");
    let mut bytes = vec![0xAAu8; SIZE as usize];
    view.read_bytes(0, &mut bytes).expect("read all");
    assert!(bytes.iter().all(|&b| b == 0), "nothing of the library inside");
    #[cfg(target_os = "linux")]
    assert_eq!(
        std::fs::read(region.path()).expect("read file"),
        vec![0u8; SIZE as usize],
        "the file holds no header either"
    );
    // Every byte, the first and the last included, can be written and read back.
    let all = records::pattern(1, SIZE as usize);
    view.write_bytes(0, &all).expect("write all");
    let mut back = vec![0u8; SIZE as usize];
    view.read_bytes(0, &mut back).expect("read all");
    assert_eq!(back, all);
    #[cfg(target_os = "linux")]
    {
        assert_eq!(std::fs::read(region.path()).expect("read file"), all);
        let companion =
            std::fs::read(dir.path().join(format!(".{}.meta", region.name()))).expect("companion");
        assert_eq!(
            &companion[0..4],
            b"IMSH",
            "the library's bookkeeping is in the companion"
        );
    }
}

#[test]
fn a_region_whose_users_all_died_is_gone_and_starts_fresh() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("dead");
    let size = SIZE.to_string();
    let options = RegionOptions::named(&name).in_dir(dir.path()).size(SIZE);
    let mut helper = Helper::start(&["hold", name.as_str(), arg(dir.path()), &size]);
    {
        let live = options.open_existing().expect("helper is alive");
        let view = live.create_view_accessor(0, 0).expect("view");
        assert_eq!(view.read_i64(1024), Ok(0x5EED_F00D));
        view.write_bytes(40, &[0xFF; 12]).expect("user bytes");
    }
    helper.kill(); // kill -9 (TerminateProcess): no clean-up ran
    #[cfg(target_os = "linux")]
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "the files are still there..."
    );
    assert!(
        matches!(options.open_existing().failed(), Err(Failure::NotFound { .. })),
        "...but count as gone"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "and were cleaned");

    let mut helper = Helper::start(&["hold", name.as_str(), arg(dir.path()), &size]);
    {
        let second = options.open_existing().expect("helper is alive again");
        let view = second.create_view_accessor(0, 0).expect("view");
        view.write_bytes(0, &[0xEE; 64]).expect("user bytes");
        view.write_i64(SIZE - 8, -1).expect("last bytes");
    }
    helper.kill();
    let fresh = options.create_or_open().expect("fresh region");
    assert!(fresh.created_new(), "a region whose users died is re-created");
    let counted = if cfg!(target_os = "linux") { Some(1) } else { None };
    assert_eq!(fresh.attached_processes(), counted);
    let mut bytes = vec![0xAAu8; SIZE as usize];
    fresh
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    assert!(bytes.iter().all(|&b| b == 0), "no old bytes, no marker");
}

#[test]
fn views_refuse_accesses_outside_their_window_and_write_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("views"))
        .in_dir(dir.path())
        .size(SIZE)
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
    assert!(matches!(
        region.create_view_accessor(u64::MAX, 2),
        Err(ViewError::OutsideRegion { .. })
    ));

    let mut stream = region.create_view_stream(20, 8).expect("stream");
    assert_eq!((stream.offset(), stream.len()), (20, 8));
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
    assert_eq!((accessor.offset(), accessor.capacity()), (1024, 32));
    accessor
        .write(16, &Stamp::new(16, 5))
        .expect("fits at the end of the view");
    assert!(matches!(
        accessor.write(17, &Stamp::new(-1, -1)),
        Err(ViewError::OutsideView { .. })
    ));
    assert!(matches!(
        accessor.read_i64(u64::MAX),
        Err(ViewError::OutsideView { .. })
    ));
    assert_eq!(
        accessor.read::<Stamp>(16),
        Ok(Stamp::new(16, 5)),
        "the refused write wrote nothing"
    );

    // No byte is the library's: the first 64 are written like any other.
    let whole = region.create_view_accessor(0, 0).expect("view");
    whole
        .write_bytes(0, &[0xAB; 64])
        .expect("bytes 0..64 are the user's");
    whole.write_i32(40, -2).expect("so are bytes 40..44");
    let mut stream = region.create_view_stream(36, 0).expect("stream");
    stream.write_all(&[1, 2, 3, 4, 5]).expect("and 36..41");
    let mut first = [0u8; 64];
    whole.read_bytes(0, &mut first).expect("read");
    let mut expected = [0xABu8; 64];
    expected[36..41].copy_from_slice(&[1, 2, 3, 4, 5]);
    expected[41..44].copy_from_slice(&(-2i32).to_le_bytes()[1..]);
    assert_eq!(first, expected);
}

#[test]
#[cfg(target_os = "linux")] // the files in the directory
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
        (
            "empty",
            Box::new(|p: &Path| std::fs::write(p, b"").expect("write")),
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
        let options = RegionOptions::named(&name).in_dir(dir.path()).size(SIZE);
        for (how, error) in [
            ("create_or_open", options.create_or_open().err()),
            ("open_existing", options.open_existing().err()),
            ("create_new", options.create_new().err()),
            ("observe", options.observe().err()),
        ] {
            assert!(
                matches!(error.failed(), Some(Failure::NotOurs { .. })),
                "{label} {how}: {error:?}"
            );
            assert!(
                error
                    .map(|e| e.to_string())
                    .unwrap_or_default()
                    .contains("left untouched"),
                "{label} {how}"
            );
            assert_eq!(
                entries(dir.path()),
                before,
                "{label} {how}: nothing added or removed"
            );
        }
    }
    let plain = entries(dir.path())
        .into_iter()
        .find(|n| n.ends_with("-plain"))
        .expect("file present");
    assert_eq!(std::fs::read(dir.path().join(plain)).expect("read"), foreign);
    let small = entries(dir.path())
        .into_iter()
        .find(|n| n.ends_with("-small"))
        .expect("file present");
    assert_eq!(std::fs::read(dir.path().join(small)).expect("read"), b"hello");
    let target = entries(dir.path())
        .into_iter()
        .find(|n| n.ends_with("-link.target"))
        .expect("link target present");
    assert_eq!(std::fs::read(dir.path().join(target)).expect("read"), b"target");
}

#[test]
fn a_persistent_region_keeps_its_data_and_only_its_file() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep.dat");
    {
        let region = RegionOptions::file(&path)
            .file_mode(FileMode::OpenOrCreate)
            .size(SIZE)
            .create_from_file()
            .expect("create from file");
        assert!(region.is_persistent());
        assert!(region.created_new());
        region
            .create_view_accessor(0, 0)
            .expect("view")
            .write_i32(4096, 42)
            .expect("write");
        let _mutex = MutexOptions::for_region(&region).create(false).expect("mutex");
        #[cfg(target_os = "linux")]
        {
            let mut expected = object_files("keep.dat");
            expected.extend(object_files("keep.datmutex"));
            expected.sort();
            assert_eq!(entries(dir.path()), expected);
        }
    }
    assert_eq!(entries(dir.path()), ["keep.dat"]);
    let region = Region::create_from_file(&path).expect("reopen");
    assert!(!region.created_new());
    assert_eq!(region.size(), SIZE);
    assert_eq!(
        region.create_view_accessor(0, 0).expect("view").read_i32(4096),
        Ok(42)
    );
    drop(region);
    let mut expected = vec![0u8; SIZE as usize];
    expected[4096..4100].copy_from_slice(&42i32.to_le_bytes());
    assert_eq!(
        std::fs::read(&path).expect("read"),
        expected,
        "only the user's bytes"
    );
}

#[test]
fn the_mutex_must_have_been_created_to_be_opened() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("mutex"))
        .in_dir(dir.path())
        .size(SIZE)
        .create_or_open()
        .expect("region");
    assert!(matches!(
        MutexOptions::for_region(&region).open_existing().failed(),
        Err(Failure::NotFound { .. })
    ));
    #[cfg(target_os = "linux")]
    assert_eq!(
        entries(dir.path()),
        object_files(region.name()),
        "nothing created"
    );
    let created = MutexOptions::for_region(&region).create(true).expect("create");
    assert!(created.created_new && created.guard.is_some());
    assert_eq!(created.mutex.name(), region.mutex_name());
    assert_eq!(created.mutex.holder_pid(), pid_if_known(std::process::id()));
    let again = MutexOptions::for_region(&region)
        .create(true)
        .expect("open again");
    assert!(
        !again.created_new && again.guard.is_none(),
        "only the creator owns it initially"
    );
    drop(created.guard);
    assert_eq!(again.mutex.holder_pid(), None, "released");
}

#[test]
fn a_held_mutex_blocks_others_and_an_abandoned_one_is_reported_with_the_pid() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("abandon");
    let mut helper = Helper::start(&["lock", name.as_str(), arg(dir.path()), "4096"]);
    let region = RegionOptions::named(&name)
        .in_dir(dir.path())
        .open_existing()
        .expect("region");
    let mutex = MutexOptions::for_region(&region).open_existing().expect("mutex");
    assert!(mutex.try_wait().expect("try").is_none(), "held by the helper");
    assert!(mutex
        .wait_timeout(Duration::from_millis(30))
        .expect("wait")
        .is_none());
    assert_eq!(mutex.holder_pid(), pid_if_known(helper.pid()));

    let pid = helper.pid();
    helper.kill();
    match mutex.wait_timeout(WATCHDOG).expect("wait") {
        Some(Acquired::Abandoned { holder_pid, .. }) => assert_eq!(holder_pid, pid_if_known(pid)),
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
    let dir_arg = arg(dir.path());
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
    let b = start(Command::new(example("process_b")).args([name.as_str(), dir_arg])).output();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    a.stdin.take().expect("stdin").write_all(b"\n").expect("enter");
    let mut rest = String::new();
    a_out.read_to_string(&mut rest).expect("read");
    assert!(wait_with_watchdog(a).status.success());
    assert_eq!(rest, "Process A says: true\nProcess B says: false\n");
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    // The persistent snippet: an existing file's window rewritten in place
    // (every 4-byte color inverted), and restored by a second run.
    let file = dir.path().join("p.dat");
    let original = records::pattern(8, 10_000);
    std::fs::write(&file, &original).expect("write");
    let inverted: Vec<u8> = original.iter().map(|b| !b).collect();
    for expected in [&inverted, &original] {
        let out = start(Command::new(example("persistent")).arg(&file)).output();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(&std::fs::read(&file).expect("read"), expected);
    }
    assert_eq!(entries(dir.path()), ["p.dat"]);
}
