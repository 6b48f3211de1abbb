//! Another language attaches to a live region by name: Python's
//! `multiprocessing.shared_memory.SharedMemory(name=NAME, create=False)` (the
//! standard library only) sees exactly the user's bytes, nothing of the
//! library, and its writes come back.

#![cfg(target_os = "linux")] // Linux only: Python's shared_memory finds POSIX shared memory in /dev/shm; on Windows the C# originals attach instead (message-server/tests/originals.rs).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::records::{from_hex, pattern};
use common::*;
use shared::os::linux::default_dir;
use shared::RegionOptions;

/// Attaches to the POSIX shared memory `argv[1]`, prints its size and its
/// bytes as hex, writes `PYTH` at offset 100, and detaches without removing
/// it (`track=False` from Python 3.13; before, unregister from the resource
/// tracker, which would otherwise unlink the segment at exit: see "From
/// Python" in docs/library.md, whose snippets `python_attach.rs` runs).
const PYTHON: &str = r#"
import sys
from multiprocessing import shared_memory, resource_tracker
name = sys.argv[1]
try:
    shm = shared_memory.SharedMemory(name=name, create=False, track=False)
except TypeError:
    shm = shared_memory.SharedMemory(name=name, create=False)
    resource_tracker.unregister(shm._name, "shared_memory")
data = bytes(shm.buf)
print(len(data))
print(data.hex())
shm.buf[100:104] = b"PYTH"
shm.close()
"#;

#[test]
fn python_attaches_to_a_live_region_and_sees_only_the_users_bytes() {
    const SIZE: u64 = 10_000;
    let dir = default_dir();
    if dir != Path::new("/dev/shm") {
        eprintln!("SKIPPED: no /dev/shm here, so Python's shared_memory cannot find a region by name");
        return;
    }
    match Command::new("python3")
        .args(["-c", "import multiprocessing.shared_memory"])
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(_) => {
            eprintln!("SKIPPED: this python3 has no multiprocessing.shared_memory (Python 3.8 and later)");
            return;
        }
        Err(_) => {
            eprintln!("SKIPPED: no python3 on this machine");
            return;
        }
    }
    let name = unique("python");
    let region = RegionOptions::named(&name)
        .size(SIZE)
        .create_new()
        .expect("region in /dev/shm");
    assert_eq!(region.dir(), dir);
    let view = region.create_view_accessor(0, 0).expect("view");
    let first: Vec<u8> = pattern(21, 64);
    view.write_bytes(0, &first).expect("the first 64 bytes");
    view.write_i64(5000, -2).expect("a word in the middle");
    view.write_bytes(SIZE - 3, b"end").expect("the last bytes");
    let mut expected = vec![0u8; SIZE as usize];
    expected[..64].copy_from_slice(&first);
    expected[5000..5008].copy_from_slice(&(-2i64).to_le_bytes());
    expected[SIZE as usize - 3..].copy_from_slice(b"end");

    let python = Command::new("python3")
        .args(["-c", PYTHON, name.as_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let out = wait_with_watchdog(python);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stderr}");
    assert!(stderr.is_empty(), "python complained: {stderr}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(SIZE.to_string().as_str()),
        "Python sees the region's size"
    );
    let seen = lines.next().and_then(from_hex).expect("hex bytes");
    assert_eq!(
        seen[..64],
        first[..],
        "the first 64 bytes are exactly what was written"
    );
    assert!(seen == expected, "Python sees the user's bytes and nothing else");

    let mut back = [0u8; 4];
    view.read_bytes(100, &mut back).expect("read");
    assert_eq!(&back, b"PYTH", "Python's write is seen here");
    assert!(
        region.path().exists(),
        "Python detached without removing the region"
    );
    assert_eq!(region.attached_processes(), Some(1));
    let path = region.path().to_owned();
    drop(region);
    for file in object_files(name.as_str()) {
        assert!(!dir.join(&file).exists(), "{file} left in /dev/shm");
    }
    assert!(!path.exists());
}
