//! .NET `CreateFromFile` on real files: any existing file of any content is a
//! region whose bytes are the file's, changed in place and nothing else; the
//! file modes (`Open`, `CreateNew`, `OpenOrCreate`, `Create`) and capacities
//! behave as in .NET; flushing writes the bytes to the file.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use common::records::pattern;
use common::*;
use shared::{Failure, FileMode, ObjectError, Region, RegionOptions};

/// `len` random-looking bytes with no `IMSH` anywhere, so that finding one
/// later would mean the library wrote it.
fn user_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = pattern(seed, len);
    while let Some(at) = bytes.windows(4).position(|w| w == b"IMSH") {
        bytes[at] = b'i';
    }
    bytes
}

#[cfg(target_os = "linux")] // for the Linux-only companion checks
fn contains_imsh(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"IMSH")
}

fn from_file(path: &Path, mode: FileMode, capacity: u64) -> Result<Region, ObjectError> {
    RegionOptions::file(path)
        .file_mode(mode)
        .size(capacity)
        .create_from_file()
}

#[test]
#[cfg(target_os = "linux")] // Linux only: it checks the companion files beside the file
fn an_existing_six_megabyte_file_of_any_content_is_rewritten_in_place_and_only_there() {
    const LEN: usize = 6_000_000;
    const OFFSET: u64 = 4_000_000;
    const WINDOW: u64 = 2_000_000;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("image.data");
    let original = user_bytes(std::process::id().into(), LEN);
    std::fs::write(&path, &original).expect("write");

    let region = Region::create_from_file(&path).expect("FileMode::Open, capacity 0");
    assert_eq!(region.size(), LEN as u64, "capacity 0 means the file's size");
    assert!(region.is_persistent());
    assert!(!region.created_new());
    assert_eq!(region.path(), path);
    let view = region.create_view_accessor(OFFSET, WINDOW).expect("view");
    assert_eq!((view.offset(), view.capacity()), (OFFSET, WINDOW));
    let mut window = vec![0u8; WINDOW as usize];
    view.read_bytes(0, &mut window).expect("read");
    assert_eq!(
        window,
        original[OFFSET as usize..(OFFSET + WINDOW) as usize],
        "the view shows the file's bytes"
    );
    // The article's color inversion, one 4-byte color at a time.
    for i in (0..WINDOW).step_by(4) {
        let color: u32 = view.read(i).expect("read color");
        view.write(i, &!color).expect("write color");
    }
    assert_eq!(
        entries(dir.path()),
        object_files("image.data"),
        "while in use: the file and its companions"
    );
    drop(region);

    let mut expected = original.clone();
    for b in &mut expected[OFFSET as usize..(OFFSET + WINDOW) as usize] {
        *b = !*b;
    }
    let after = std::fs::read(&path).expect("read");
    assert_eq!(after.len(), LEN, "not resized");
    assert!(
        after == expected,
        "the window inverted, every other byte unchanged"
    );
    assert!(!contains_imsh(&after), "nothing of the library in the file");
    assert_eq!(entries(dir.path()), ["image.data"], "no companion left behind");
}

#[test]
fn open_on_a_missing_file_is_no_such_file_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("missing.dat");
    for capacity in [0, 4096] {
        let error = from_file(&path, FileMode::Open, capacity).err();
        assert!(
            matches!(error.failed(), Some(Failure::NoSuchFile { .. })),
            "{error:?}"
        );
    }
    assert!(matches!(
        Region::create_from_file(&path).failed(),
        Err(Failure::NoSuchFile { .. })
    ));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn create_new_on_an_existing_file_is_already_exists_and_the_file_is_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("there.dat");
    let original = user_bytes(1, 5000);
    std::fs::write(&path, &original).expect("write");
    for capacity in [0, 5000, 8192] {
        let error = from_file(&path, FileMode::CreateNew, capacity).err();
        assert!(
            matches!(error.failed(), Some(Failure::AlreadyExists { .. })),
            "{error:?}"
        );
    }
    assert_eq!(std::fs::read(&path).expect("read"), original);
    assert_eq!(entries(dir.path()), ["there.dat"]);

    let fresh = dir.path().join("fresh.dat");
    let region = from_file(&fresh, FileMode::CreateNew, 3000).expect("a missing file is created");
    assert!(region.created_new());
    assert_eq!(region.size(), 3000);
    drop(region);
    assert_eq!(std::fs::read(&fresh).expect("read"), vec![0u8; 3000]);
}

#[test]
fn open_or_create_makes_a_missing_file_of_the_capacity_and_keeps_an_existing_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("made.dat");
    let region = from_file(&path, FileMode::OpenOrCreate, 10_000).expect("create");
    assert!(region.created_new());
    assert_eq!(region.size(), 10_000);
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(9_990, b"0123456789")
        .expect("write the last bytes");
    drop(region);
    let mut expected = vec![0u8; 10_000];
    expected[9_990..].copy_from_slice(b"0123456789");
    assert_eq!(std::fs::read(&path).expect("read"), expected);
    assert_eq!(entries(dir.path()), ["made.dat"]);

    let again = from_file(&path, FileMode::OpenOrCreate, 0).expect("open");
    assert!(!again.created_new());
    assert_eq!(again.size(), 10_000);
    drop(again);
    assert_eq!(std::fs::read(&path).expect("read"), expected, "its bytes kept");
}

#[test]
fn create_truncates_an_existing_file_and_sizes_it_to_the_capacity() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("reset.dat");
    std::fs::write(&path, user_bytes(2, 20_000)).expect("write");
    let region = from_file(&path, FileMode::Create, 8192).expect("create");
    assert_eq!(region.size(), 8192);
    assert_eq!(
        region.create_view_accessor(0, 0).expect("view").read_i64(0),
        Ok(0),
        "the old bytes are gone"
    );
    drop(region);
    assert_eq!(std::fs::read(&path).expect("read"), vec![0u8; 8192]);
    assert_eq!(entries(dir.path()), ["reset.dat"]);
}

#[test]
fn a_larger_capacity_grows_the_file_keeping_its_bytes() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("grow.dat");
    let original = user_bytes(3, 5000);
    std::fs::write(&path, &original).expect("write");
    for mode in [FileMode::Open, FileMode::OpenOrCreate] {
        let region = from_file(&path, mode, 12_000).expect("grow");
        assert_eq!(region.size(), 12_000);
        drop(region);
    }
    let after = std::fs::read(&path).expect("read");
    assert_eq!(after.len(), 12_000);
    assert_eq!(after[..5000], original[..], "old bytes kept");
    assert!(after[5000..].iter().all(|&b| b == 0), "new bytes zero");
    assert_eq!(entries(dir.path()), ["grow.dat"]);
}

#[test]
fn a_smaller_capacity_or_nothing_to_map_is_bad_size_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep.dat");
    let original = user_bytes(4, 5000);
    std::fs::write(&path, &original).expect("write");
    for mode in [FileMode::Open, FileMode::OpenOrCreate] {
        let error = from_file(&path, mode, 4999).err();
        assert!(
            matches!(error.failed(), Some(Failure::BadSize { size: 4999, .. })),
            "{error:?}"
        );
    }
    assert_eq!(std::fs::read(&path).expect("read"), original, "unchanged");
    assert_eq!(entries(dir.path()), ["keep.dat"], "no companion left behind");

    let empty = dir.path().join("empty.dat");
    std::fs::write(&empty, b"").expect("write");
    for mode in [FileMode::Open, FileMode::OpenOrCreate] {
        let error = from_file(&empty, mode, 0).err();
        assert!(
            matches!(error.failed(), Some(Failure::BadSize { size: 0, .. })),
            "{error:?}"
        );
    }
    assert_eq!(std::fs::read(&empty).expect("read"), b"");
    let missing = dir.path().join("missing.dat");
    let error = from_file(&missing, FileMode::OpenOrCreate, 0).err();
    assert!(
        matches!(error.failed(), Some(Failure::BadSize { size: 0, .. })),
        "{error:?}"
    );
    let mut left = entries(dir.path());
    left.retain(|n| n != "missing.dat");
    assert_eq!(left, ["empty.dat", "keep.dat"], "no companion left behind");
}

#[test]
#[cfg(target_os = "linux")] // Linux only: the companion records the users' size
fn a_file_region_shared_by_two_processes_keeps_one_size() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("two.dat");
    std::fs::write(&path, user_bytes(5, 8192)).expect("write");
    let first = Region::create_from_file(&path).expect("first");
    let second = from_file(&path, FileMode::OpenOrCreate, 0).expect("second, capacity 0");
    assert_eq!(second.size(), 8192);
    let error = from_file(&path, FileMode::Open, 16_384).err();
    assert!(
        matches!(error.failed(), Some(Failure::BadSize { .. })),
        "no growing under a user: {error:?}"
    );
    let error = from_file(&path, FileMode::Create, 8192).err();
    assert!(
        matches!(error.failed(), Some(Failure::AlreadyExists { .. })),
        "no truncating under a user: {error:?}"
    );
    first
        .create_view_accessor(0, 0)
        .expect("view")
        .write_i32(8188, 77)
        .expect("write");
    assert_eq!(
        second.create_view_accessor(0, 0).expect("view").read_i32(8188),
        Ok(77)
    );
    assert_eq!(std::fs::metadata(&path).expect("stat").len(), 8192);
    drop(first);
    drop(second);
    assert_eq!(entries(dir.path()), ["two.dat"]);
}

#[test]
fn flushing_puts_the_bytes_in_the_file_while_the_region_is_open() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("flush.dat");
    let region = from_file(&path, FileMode::CreateNew, 3 * 4096 + 10).expect("create");
    let size = region.size();

    let accessor = region.create_view_accessor(100, 50).expect("accessor");
    accessor.write_bytes(0, b"through the accessor").expect("write");
    accessor.flush().expect("AccessorView::flush");
    let on_disk = std::fs::read(&path).expect("read");
    assert_eq!(&on_disk[100..120], b"through the accessor");

    let mut stream = region.create_view_stream(5000, 0).expect("stream");
    stream.seek(SeekFrom::Start(10)).expect("seek");
    stream.write_all(b"through the stream").expect("write");
    stream.flush().expect("StreamView flush");
    assert_eq!(
        &std::fs::read(&path).expect("read")[5010..5028],
        b"through the stream"
    );

    let whole = region.create_view_accessor(0, 0).expect("view");
    whole.write_bytes(size - 4, b"last").expect("write");
    region.flush().expect("Region::flush");
    whole.write_bytes(8192, b"ranged").expect("write");
    region.flush_range(8192, 6).expect("Region::flush_range");
    region.flush_range(size - 1, 1).expect("the last byte alone");
    let on_disk = std::fs::read(&path).expect("read");
    assert_eq!(&on_disk[(size - 4) as usize..], b"last");
    assert_eq!(&on_disk[8192..8198], b"ranged");

    let outside = region.flush_range(size - 1, 2).expect_err("past the end");
    assert_eq!(outside.kind(), std::io::ErrorKind::InvalidInput);
    let outside = region.flush_range(u64::MAX, 2).expect_err("overflow");
    assert_eq!(outside.kind(), std::io::ErrorKind::InvalidInput);
    drop(region);
    assert_eq!(entries(dir.path()), ["flush.dat"]);
}

#[test]
#[cfg(target_os = "linux")] // Linux only: it reads the named region's file
fn flushing_a_named_region_succeeds_too() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("flushnamed"))
        .in_dir(dir.path())
        .size(10_000)
        .create_new()
        .expect("region");
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_i32(9996, 5)
        .expect("write");
    region.flush().expect("flush");
    region
        .create_view_accessor(4096, 0)
        .expect("view")
        .flush()
        .expect("view flush");
    assert_eq!(
        &std::fs::read(region.path()).expect("read")[9996..],
        &5i32.to_le_bytes()
    );
}

#[test]
fn create_without_a_capacity_is_refused_before_the_file_is_emptied() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep.dat");
    let bytes = user_bytes(7, 4096);
    std::fs::write(&path, &bytes).expect("write");
    let error = from_file(&path, FileMode::Create, 0).err();
    assert!(
        matches!(error.failed(), Some(Failure::BadSize { size: 0, .. })),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes,
        "the user's bytes are intact"
    );
    assert_eq!(entries(dir.path()), ["keep.dat"]);
}
