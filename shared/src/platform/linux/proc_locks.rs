//! Who holds an `flock` on a file, read from `/proc/locks`: how many users a
//! companion has (their shared presence locks), and who holds a lock an open
//! timed out on (a setup lock, .NET's creation lock).

use std::fs::File;
use std::os::unix::fs::MetadataExt;

/// How many times [`lock_holders`] reads `/proc/locks`. The kernel hands the
/// listing out a page per `read`, each page found again by its place in a
/// list that other processes' locks change meanwhile: a line can be skipped
/// in one reading (seen here while parallel tests took and dropped locks).
/// A holder is one that some reading shows.
const LOCK_LISTINGS: usize = 3;

/// The pids holding an `flock` of `kind` (`READ` or `WRITE`) on `file`, from
/// `/proc/locks`; `None` where that is not available.
pub(crate) fn lock_holders(file: &File, kind: &str) -> Option<Vec<u32>> {
    let meta = file.metadata().ok()?;
    lock_holders_of(meta.dev(), meta.ino(), kind)
}

/// [`lock_holders`] of the file with device `dev` and inode `ino` (which
/// this process need not be able to open).
pub(crate) fn lock_holders_of(dev: u64, ino: u64, kind: &str) -> Option<Vec<u32>> {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let id = format!("{major:02x}:{minor:02x}:{ino}");
    let mut pids = Vec::new();
    for _ in 0..LOCK_LISTINGS {
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        pids.extend(holders_in(&locks, kind, &id));
    }
    pids.sort_unstable();
    pids.dedup();
    Some(pids)
}

/// The pids of the `flock`s of `kind` on the file `id` (`MAJOR:MINOR:INODE`)
/// in one reading of `/proc/locks`.
fn holders_in<'a>(locks: &'a str, kind: &'a str, id: &'a str) -> impl Iterator<Item = u32> + 'a {
    locks
        .lines()
        .filter(|line| !line.contains("->"))
        .filter_map(move |line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "1: FLOCK ADVISORY READ 1234 00:1a:5678 0 EOF"
            match fields.as_slice() {
                [_, "FLOCK", _, found, pid, file_id, ..] if *found == kind && *file_id == id => {
                    pid.parse().ok()
                }
                _ => None,
            }
        })
}
