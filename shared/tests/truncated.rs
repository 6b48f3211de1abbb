//! A file shortened under its mapping by another process of the same user
//! (Linux): the access that meets the lost bytes is an error, never a
//! `SIGBUS` that ends the process. Without the guard, each of these tests
//! would end this test program with "signal: 7, SIGBUS".
#![cfg(target_os = "linux")] // Linux only: a Windows section cannot be shrunk under its views.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use shared::{MutexOptions, RegionOptions, ViewError};

/// Shortens `path` to `len` bytes from another process, as a user would.
fn truncate(path: &Path, len: u64) {
    let status = Command::new("truncate")
        .args(["-s", &len.to_string()])
        .arg(path)
        .status()
        .expect("run truncate");
    assert!(status.success());
}

#[test]
fn a_region_shortened_by_another_process_is_an_error_for_every_later_access() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("cut");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(3 * 4096)
        .create_or_open()
        .expect("create");
    let view = region.create_view_accessor(0, 0).expect("view");
    view.write_i64(2 * 4096, 42).expect("write before the cut");
    truncate(&dir.path().join(name.as_str()), 4096);

    assert_eq!(view.read_i64(2 * 4096), Err(ViewError::Truncated));
    assert_eq!(view.write_i64(2 * 4096, 1), Err(ViewError::Truncated));
    // Bytes before the new end are still there, but nothing read through
    // this mapping can be trusted any more, so every access says so.
    assert_eq!(view.read_i64(0), Err(ViewError::Truncated));
    let message = ViewError::Truncated.to_string();
    assert!(
        message
            .starts_with("bytes of this region are gone from its file (another process shortened the file"),
        "{message}"
    );

    // A new view of the same mapping says so too.
    let again = region.create_view_accessor(0, 8).expect("view");
    assert_eq!(again.read_i64(0), Err(ViewError::Truncated));
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "closed as usual");
}

#[test]
fn companions_shortened_by_another_process_crash_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("cutmeta");
    let region = RegionOptions::named(&name)
        .dir(dir.path())
        .size(4096)
        .create_or_open()
        .expect("create");
    let mutex = MutexOptions::for_region(&region)
        .create(false)
        .expect("mutex")
        .mutex;
    truncate(&dir.path().join(format!(".{}.meta", name.as_str())), 0);
    truncate(&dir.path().join(format!(".{}mutex.meta", name.as_str())), 0);

    // The mutex's words and the turn live in the companions: using them
    // meets the lost page, and the process goes on.
    let owned = mutex.wait().expect("the lock file still locks");
    drop(owned);
    let turn = region.turn().expect("turn");
    turn.pass_turn(2);
    let _ = turn.wait_for_turn(2, std::time::Duration::from_millis(10));
    let view = region.create_view_accessor(0, 0).expect("view");
    view.write_i32(0, 5).expect("the region itself is whole");
    assert_eq!(view.read_i32(0), Ok(5));
    drop((mutex, region));
}

#[test]
fn a_file_region_shortened_by_another_process_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("image.data");
    std::fs::write(&path, vec![7u8; 4 * 4096]).expect("a file of four pages");
    let region = RegionOptions::file(&path)
        .file_mode(shared::FileMode::Open)
        .create_from_file()
        .expect("map it");
    let view = region.create_view_accessor(0, 0).expect("view");
    assert_eq!(view.read_i32(3 * 4096), Ok(0x0707_0707));
    truncate(&path, 0);
    assert_eq!(view.read_i32(3 * 4096), Err(ViewError::Truncated));
    drop(region);
    assert_eq!(
        entries(dir.path()),
        ["image.data"],
        "the file stays, as a file region's does"
    );
}
