//! Python attaching to a live region with the machine's `python3`: the two
//! safe ways `docs/library.md` shows under "From Python" (run as they are
//! written there), and `scripts/read_region.py`, leave the region in place
//! and working, and the holder opens it again afterwards; a plain
//! `SharedMemory(name=...)` removes it when Python exits, as the docs say.
//!
//! Each Python run is waited for to the end of its output: the resource
//! tracker Python starts shares its stderr (its warning below arrives
//! there), so the tracker has finished too when the output ends. No step
//! waits for a moment to pass.

#![cfg(target_os = "linux")] // Python's shared_memory finds POSIX shared memory in /dev/shm.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use shared::os::linux::default_dir;
use shared::{Region, RegionName, RegionOptions};

/// What `docs/library.md` puts before each Python block this file runs.
const MARKER: &str = "<!-- run by shared/tests/python_attach.rs -->";

/// The resource tracker's warning when it removes what it was given.
const TRACKER_WARNING: &str = "leaked shared_memory objects to clean up at shutdown";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// The Python blocks of `docs/library.md` that follow [`MARKER`], without
/// their indentation.
fn documented_python() -> Vec<String> {
    let text = std::fs::read_to_string(repository().join("docs/library.md")).expect("docs/library.md");
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        let fence = lines.next().expect("a block after the marker");
        assert_eq!(fence.trim(), "```python", "the marker precedes a Python block");
        let indent = fence.len() - fence.trim_start().len();
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|line| line.trim() != "```")
            .map(|line| line.get(indent..).unwrap_or(""))
            .collect();
        blocks.push(block.join("\n") + "\n");
    }
    blocks
}

/// The documented block containing `needle`.
fn documented_block(needle: &str) -> String {
    let blocks = documented_python();
    let mut found = blocks.into_iter().filter(|block| block.contains(needle));
    let block = found
        .next()
        .unwrap_or_else(|| panic!("docs/library.md runs no block with {needle}"));
    assert!(found.next().is_none(), "one block with {needle}");
    block
}

/// Why this machine cannot run a test, if it cannot: every test needs a
/// python3; those of `SharedMemory` also regions in /dev/shm and a Python
/// with `multiprocessing.shared_memory` (3.8 and later).
fn cannot_run(shared_memory: bool) -> Option<&'static str> {
    if shared_memory && default_dir() != Path::new("/dev/shm") {
        return Some("no /dev/shm here, so Python's shared_memory cannot find a region by name");
    }
    let import = if shared_memory {
        "import multiprocessing.shared_memory"
    } else {
        "import mmap"
    };
    match Command::new("python3").args(["-c", import]).output() {
        Ok(out) if out.status.success() => None,
        Ok(_) => Some("this python3 has no multiprocessing.shared_memory (Python 3.8 and later)"),
        Err(_) => Some("no python3 on this machine"),
    }
}

/// Runs `python3 ARGS` under the watchdog, to the end of its output (and so
/// of its resource tracker's).
fn python(args: Vec<String>) -> Output {
    within("python3", move || {
        Command::new("python3").args(&args).output().expect("run python3")
    })
}

/// A live region in /dev/shm of `size` bytes, its first 16 bytes known.
fn live_region(label: &str, size: u64) -> (RegionName, Region, Vec<u8>) {
    let name = unique(label);
    let region = RegionOptions::named(&name)
        .size(size)
        .create_new()
        .expect("region in /dev/shm");
    let first = common::records::pattern(7, 16);
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(0, &first)
        .expect("the first bytes");
    (name, region, first)
}

/// The holder's view after Python: the region is still at its name, with
/// `start` at offset 0, and the name opens the same region again.
fn still_in_place_and_working(name: &RegionName, region: &Region, size: u64, start: &[u8]) {
    assert!(region.path().exists(), "Python left the region in place");
    let mut seen = vec![0u8; start.len()];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut seen)
        .expect("read");
    assert_eq!(seen, start, "the holder sees what Python left");
    let again = RegionOptions::named(name)
        .open_existing()
        .expect("the holder opens the region again");
    assert_eq!(again.size(), size);
    again
        .create_view_accessor(0, 0)
        .expect("view")
        .write_i32(8, 1234)
        .expect("write through the new handle");
    assert_eq!(
        region.create_view_accessor(0, 0).expect("view").read_i32(8),
        Ok(1234),
        "the name opens the very region the holder has"
    );
    drop(again);
    assert_eq!(region.attached_processes(), Some(1), "Python no longer uses it");
}

/// Closes `region` (the last user) and checks that nothing of it is left.
fn close_and_check_nothing_left(name: &RegionName, region: Region) {
    drop(region);
    for file in object_files(name.as_str()) {
        assert!(!default_dir().join(&file).exists(), "{file} left in /dev/shm");
    }
}

fn success(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stderr}");
    assert!(stderr.is_empty(), "python complained: {stderr}");
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

#[test]
fn the_documented_shared_memory_attach_leaves_a_live_region_in_place_and_working() {
    if let Some(why) = cannot_run(true) {
        eprintln!("SKIPPED: {why}");
        return;
    }
    const SIZE: u64 = 10_000;
    let (name, region, first) = live_region("py-safe", SIZE);
    let block = documented_block("SharedMemory(");
    let out = python(vec!["-c".into(), block, name.as_str().into()]);
    let stdout = success(&out);
    assert_eq!(
        stdout.trim_end(),
        format!("{SIZE} {}", records::to_hex(&first)),
        "Python sees the region's size and bytes"
    );
    still_in_place_and_working(&name, &region, SIZE, b"PYTH");
    close_and_check_nothing_left(&name, region);
}

#[test]
fn the_documented_mmap_attach_leaves_a_live_region_in_place_and_working() {
    if let Some(why) = cannot_run(false) {
        eprintln!("SKIPPED: {why}");
        return;
    }
    const SIZE: u64 = 10_000;
    let (name, region, first) = live_region("py-mmap", SIZE);
    let block = documented_block("mmap.mmap(");
    let path = region.path().to_str().expect("utf-8 path").to_owned();
    let out = python(vec!["-c".into(), block, path]);
    let stdout = success(&out);
    assert_eq!(stdout.trim_end(), format!("{SIZE} {}", records::to_hex(&first)));
    still_in_place_and_working(&name, &region, SIZE, b"PYTH");
    close_and_check_nothing_left(&name, region);
}

#[test]
fn read_region_py_reads_a_live_region_and_leaves_it_in_place_and_working() {
    if let Some(why) = cannot_run(false) {
        eprintln!("SKIPPED: {why}");
        return;
    }
    // The demo's layout: ten int32 at 0, the handshake at 40, records at 1024.
    const SIZE: u64 = 1024 + 10_240;
    let (name, region, first) = live_region("py-reader", SIZE);
    let view = region.create_view_accessor(0, 0).expect("view");
    view.write_i32(20, 42).expect("position 5");
    let script = repository().join("scripts/read_region.py");
    let path = region.path().to_str().expect("utf-8 path").to_owned();
    let out = python(vec![script.to_str().expect("utf-8 path").into(), path]);
    let stdout = success(&out);
    assert!(stdout.starts_with("handshake"), "{stdout}");
    assert!(stdout.contains("  position 5: 42\n"), "{stdout}");
    still_in_place_and_working(&name, &region, SIZE, &first);
    close_and_check_nothing_left(&name, region);
}

#[test]
fn a_plain_shared_memory_attach_removes_a_live_region_when_python_exits_as_the_docs_say() {
    if let Some(why) = cannot_run(true) {
        eprintln!("SKIPPED: {why}");
        return;
    }
    // Python 3.13 added `track=False` but kept tracking on by default: a
    // plain attach removes the region there too, so this runs on every
    // version. Should a Python stop doing it, this fails and docs/library.md
    // ("What a plain attach does") needs saying so.
    const SIZE: u64 = 4096;
    let (name, region, _) = live_region("py-plain", SIZE);
    let plain = "import sys\n\
                 from multiprocessing import shared_memory\n\
                 shm = shared_memory.SharedMemory(name=sys.argv[1])\n\
                 print(shm.size)\n\
                 shm.close()\n";
    let out = python(vec!["-c".into(), plain.into(), name.as_str().into()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), SIZE.to_string());
    assert!(
        stderr.contains(TRACKER_WARNING),
        "the resource tracker says it removed the region: {stderr}"
    );
    let docs = std::fs::read_to_string(repository().join("docs/library.md")).expect("docs");
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        docs.contains(TRACKER_WARNING),
        "docs/library.md quotes the warning"
    );

    assert!(!region.path().exists(), "the tracker removed /dev/shm/NAME");
    // The holder keeps its mapping...
    let view = region.create_view_accessor(0, 0).expect("view");
    view.write_i32(0, 7).expect("the holder still writes");
    assert_eq!(view.read_i32(0), Ok(7));
    // ... but the name is gone: the next open fails, whichever way.
    assert!(RegionOptions::named(&name).open_existing().is_err());
    assert!(RegionOptions::named(&name).size(SIZE).create_or_open().is_err());
    // The last user's close removes what is left, and frees the name.
    close_and_check_nothing_left(&name, region);
    let fresh = RegionOptions::named(&name)
        .size(SIZE)
        .create_new()
        .expect("the name is free again");
    close_and_check_nothing_left(&name, fresh);
}
