//! Read-only access (`Access::Read`, `AccessorView::read_only`) refuses every
//! write and changes no byte; an observer (`RegionOptionsExt::observe`, Linux) reads a
//! region without joining it, also after every user was killed, and removes
//! nothing.

mod common;

use std::io::{Read, Write};

use common::records::{pattern, Sample};
use common::*;
use shared::{Access, Failure, FileMode, Region, RegionOptions, ViewError};

const SIZE: u64 = 8192;

fn all_bytes(region: &Region) -> Vec<u8> {
    let mut bytes = vec![0u8; region.size() as usize];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    bytes
}

/// Tries every way of writing through `region` (the turn included) and
/// checks that each is refused as read-only.
fn every_write_is_refused(region: &Region) {
    every_write_to_the_bytes_is_refused(region);
    assert!(matches!(region.turn(), Err(ViewError::ReadOnly)));
}

/// Tries every way of writing the region's bytes through `region` and checks
/// that each is refused as read-only.
fn every_write_to_the_bytes_is_refused(region: &Region) {
    let view = region.create_view_accessor(0, 0).expect("view");
    assert!(!view.can_write());
    assert_eq!(view.write_bytes(0, &[1, 2, 3]), Err(ViewError::ReadOnly));
    assert_eq!(view.write(8, &Sample::nth(1)), Err(ViewError::ReadOnly));
    assert_eq!(
        view.write_array(64, &[Sample::nth(2); 3]),
        Err(ViewError::ReadOnly)
    );
    assert_eq!(view.write_i32(4, 5), Err(ViewError::ReadOnly));
    assert_eq!(view.write_i64(16, 5), Err(ViewError::ReadOnly));
    let mut stream = region.create_view_stream(100, 0).expect("stream");
    assert!(!stream.can_write());
    let error = stream.write_all(b"no").expect_err("read-only stream");
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    let mut two = [0u8; 2];
    stream.read_exact(&mut two).expect("reads are fine");
    assert!(matches!(region.atomic_u32(0), Err(ViewError::ReadOnly)));
}

#[test]
fn a_read_only_region_refuses_every_write_and_changes_no_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("ro")).in_dir(dir.path()).size(SIZE);
    let writer = options.create_new().expect("writer");
    let bytes = pattern(11, SIZE as usize);
    writer
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(0, &bytes)
        .expect("write");

    let reader = options
        .clone()
        .access(Access::Read)
        .open_existing()
        .expect("reader");
    assert!(reader.is_read_only());
    #[cfg(target_os = "linux")] // Windows has no observers
    assert!(!reader.is_observer());
    assert_eq!(reader.size(), SIZE);
    #[cfg(target_os = "linux")] // Windows does not say who holds a section
    assert_eq!(
        reader.attached_processes(),
        Some(1),
        "one process, holding it twice"
    );
    assert_eq!(all_bytes(&reader), bytes, "it reads the user's bytes");
    every_write_is_refused(&reader);
    reader
        .flush()
        .expect("flushing a read-only region writes nothing and succeeds");
    assert_eq!(all_bytes(&writer), bytes, "no byte changed");

    // A read-only user is a user: the region lives on with it alone.
    drop(writer);
    #[cfg(target_os = "linux")] // the Linux backend's files
    assert_eq!(entries(dir.path()), object_files(reader.name()));
    assert_eq!(all_bytes(&reader), bytes);
    drop(reader);
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "the last user out, read-only, cleans up"
    );
}

#[test]
fn read_only_cannot_create_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("rocreate"))
        .in_dir(dir.path())
        .size(SIZE)
        .access(Access::Read);
    for (how, error) in [
        ("create_new", options.create_new().err()),
        ("create_or_open", options.create_or_open().err()),
    ] {
        assert!(
            matches!(error.failed(), Some(Failure::BadOptions { .. })),
            "{how}: {error:?}"
        );
    }
    assert!(matches!(
        options.open_existing().failed(),
        Err(Failure::NotFound { .. })
    ));
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    let path = dir.path().join("ro.dat");
    for mode in [FileMode::CreateNew, FileMode::OpenOrCreate, FileMode::Create] {
        let error = RegionOptions::file(&path)
            .file_mode(mode)
            .size(SIZE)
            .access(Access::Read)
            .create_from_file()
            .err();
        assert!(
            matches!(error.failed(), Some(Failure::BadOptions { .. })),
            "{mode:?}: {error:?}"
        );
    }
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_read_only_file_region_reads_the_file_and_never_writes_or_grows_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ro.dat");
    let bytes = pattern(12, 5000);
    std::fs::write(&path, &bytes).expect("write");
    let read_only = RegionOptions::file(&path).access(Access::Read);
    let region = read_only.create_from_file().expect("open read-only");
    assert!(region.is_read_only());
    assert_eq!(all_bytes(&region), bytes);
    every_write_to_the_bytes_is_refused(&region);
    drop(region);
    let grow = read_only.clone().size(6000).create_from_file().err();
    assert!(
        matches!(grow.failed(), Some(Failure::BadOptions { .. })),
        "{grow:?}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), bytes);
    assert_eq!(entries(dir.path()), ["ro.dat"]);
}

#[test]
fn a_read_only_file_region_refuses_the_turn_too() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ro.dat");
    std::fs::write(&path, pattern(16, 5000)).expect("write");
    let region = RegionOptions::file(&path)
        .access(Access::Read)
        .create_from_file()
        .expect("open read-only");
    assert!(matches!(region.turn(), Err(ViewError::ReadOnly)));
}

#[test]
fn a_read_only_file_region_joining_a_writer_refuses_the_turn() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ro.dat");
    std::fs::write(&path, pattern(17, 5000)).expect("write");
    let _writer = Region::create_from_file(&path).expect("writer");
    let region = RegionOptions::file(&path)
        .access(Access::Read)
        .create_from_file()
        .expect("open read-only");
    every_write_is_refused(&region);
}

#[test]
fn a_read_only_view_of_a_writable_region_refuses_writes() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("roview"))
        .in_dir(dir.path())
        .size(SIZE)
        .create_new()
        .expect("region");
    let bytes = pattern(13, SIZE as usize);
    let view = region.create_view_accessor(0, 0).expect("view");
    assert!(view.can_write());
    view.write_bytes(0, &bytes).expect("write");
    let view = view.read_only();
    assert!(!view.can_write());
    assert_eq!(view.write_bytes(0, &[0; 8]), Err(ViewError::ReadOnly));
    assert_eq!(view.write(0, &Sample::nth(3)), Err(ViewError::ReadOnly));
    assert_eq!(
        view.write_array(0, &[Sample::nth(4); 2]),
        Err(ViewError::ReadOnly)
    );
    assert_eq!(view.write_i32(0, 1), Err(ViewError::ReadOnly));
    assert_eq!(
        view.read_i32(0),
        region.create_view_accessor(0, 4).expect("view").read_i32(0)
    );
    let mut stream = region.create_view_stream(0, 0).expect("stream").read_only();
    assert!(!stream.can_write());
    let error = stream.write_all(&[0; 8]).expect_err("read-only stream");
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    assert_eq!(all_bytes(&region), bytes, "no byte changed");
    assert!(
        region.create_view_accessor(0, 0).expect("view").can_write(),
        "the region stays writable"
    );
}

#[test]
#[cfg(target_os = "linux")] // Linux only: on Windows an observer's handle keeps the section alive like any other
fn an_observer_reads_a_live_region_without_being_a_user_and_after_its_users_were_killed() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("observe");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut helper = Helper::start(&["hold", name.as_str(), arg(dir.path()), &SIZE.to_string()]);

    let observer = options.observe().expect("observe a live region");
    assert!(observer.is_observer() && observer.is_read_only());
    assert_eq!(observer.size(), SIZE);
    assert_eq!(
        observer.attached_processes(),
        Some(1),
        "the helper only, not the observer"
    );
    let view = observer.create_view_accessor(0, 0).expect("view");
    assert_eq!(view.read_i64(1024), Ok(0x5EED_F00D), "the helper's marker");
    {
        let user = options.open_existing().expect("a user");
        assert_eq!(user.attached_processes(), Some(2));
        assert_eq!(observer.attached_processes(), Some(2));
        user.create_view_accessor(0, 0)
            .expect("view")
            .write_bytes(2000, b"written by a user")
            .expect("write");
    }
    assert_eq!(observer.attached_processes(), Some(1));
    let mut seen = [0u8; 17];
    view.read_bytes(2000, &mut seen).expect("read");
    assert_eq!(&seen, b"written by a user", "the observer sees live writes");
    every_write_is_refused(&observer);

    helper.kill(); // kill -9: every user is gone, nothing was cleaned
    assert_eq!(view.read_i64(1024), Ok(0x5EED_F00D), "its mapping stays readable");
    let after = options.observe().expect("observe after every user died");
    assert_eq!(after.attached_processes(), Some(0));
    let mut bytes = vec![0u8; SIZE as usize];
    after
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    assert_eq!(bytes[1024..1032], 0x5EED_F00Di64.to_le_bytes());
    assert_eq!(&bytes[2000..2017], b"written by a user");
    drop(observer);
    drop(after);
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "the observers removed nothing"
    );
    assert!(matches!(
        options.open_existing().failed(),
        Err(Failure::NotFound { .. })
    ));

    let fresh = options.size(SIZE).create_or_open().expect("a normal open");
    assert!(
        fresh.created_new(),
        "the stale region was cleaned and created afresh"
    );
    assert_eq!(all_bytes(&fresh), vec![0u8; SIZE as usize]);
    drop(fresh);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
#[cfg(target_os = "linux")] // Linux only: on Windows an observer's handle keeps the section alive like any other
fn an_observer_keeps_reading_after_the_last_user_closed_and_removed_the_files() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("outlive"))
        .in_dir(dir.path())
        .size(SIZE);
    let region = options.create_new().expect("region");
    let bytes = pattern(14, SIZE as usize);
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(0, &bytes)
        .expect("write");
    let observer = options.observe().expect("observe");
    drop(region);
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "the observer kept nothing alive"
    );
    assert_eq!(all_bytes(&observer), bytes);
    assert!(matches!(
        options.observe().failed(),
        Err(Failure::NotFound { .. })
    ));
}

#[test]
#[cfg(target_os = "linux")] // Linux only: plain files at a named region's path
fn observing_a_plain_file_or_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plain.dat");
    let bytes = pattern(15, 3000);
    std::fs::write(&path, &bytes).expect("write");
    let observer = RegionOptions::file(&path)
        .observe()
        .expect("a file needs no companion");
    assert_eq!(observer.size(), 3000);
    assert_eq!(all_bytes(&observer), bytes);
    drop(observer);
    assert_eq!(entries(dir.path()), ["plain.dat"], "nothing created");

    // A named region's path holding a file no companion vouches for is refused.
    let name = unique("foreign");
    std::fs::write(dir.path().join(name.as_str()), &bytes).expect("write");
    let error = RegionOptions::named(&name).in_dir(dir.path()).observe().err();
    assert!(
        matches!(error.failed(), Some(Failure::NotOurs { .. })),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read(dir.path().join(name.as_str())).expect("read"),
        bytes
    );

    let missing = RegionOptions::named(&unique("missing"))
        .in_dir(dir.path())
        .observe()
        .err();
    assert!(
        matches!(missing.failed(), Some(Failure::NotFound { .. })),
        "{missing:?}"
    );
    assert_eq!(entries(dir.path()).len(), 2, "nothing created");
}
