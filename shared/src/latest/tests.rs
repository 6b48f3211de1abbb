//! The cell within one process: what a read gives in each state the
//! counters can be in, a writer left mid-write, the claim, and a writer
//! thread racing reader threads.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::layout::{slot_start, WRITER_WORD};
use super::slot::word;
use super::{Latest, LatestError, LatestWriter, Pending};
use crate::error::ViewError;
use crate::{Access, Region, RegionName, RegionOptions};

/// Nine equal words (two cache lines): a torn copy mixes two values.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Nine([u64; 9]);

impl Nine {
    fn of(n: u64) -> Nine {
        Nine([n; 9])
    }

    fn is_whole(&self) -> bool {
        self.0.iter().all(|&word| word == self.0[0])
    }
}

/// A region of 4096 bytes under a name no other test uses.
fn region(test: &str) -> Region {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "latest-{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    RegionOptions::named(&RegionName::new(&name).expect("name"))
        .size(4096)
        .create_new()
        .expect("region")
}

/// The pid of a process that has ended (this test program, run again to
/// list its tests).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new(std::env::current_exe().expect("test exe"))
        .arg("--list")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

/// Puts `pid` in the cell's writer word, as a writer of that pid leaves it.
fn set_writer_word(region: &Region, offset: u64, pid: u32) {
    let words = region
        .mapping()
        .words(offset, super::cell_words::<Nine>())
        .expect("words");
    word(words, WRITER_WORD).store(u64::from(pid), Ordering::Release);
}

#[test]
fn a_reader_opened_before_any_writer_reads_empty_then_the_first_value() {
    let region = region("empty");
    let reader = Latest::<Nine>::open(&region, 64).expect("reader");
    assert_eq!(reader.read(), Err(LatestError::Empty));
    assert_eq!(reader.writer_pid(), None);
    let mut writer = LatestWriter::<Nine>::claim(&region, 64).expect("writer");
    assert_eq!(reader.read(), Err(LatestError::Empty));
    assert_eq!(writer.publish(&Nine::of(5)), 1);
    let snapshot = reader.read().expect("read");
    assert_eq!(
        (snapshot.value, snapshot.number, snapshot.pending),
        (Nine::of(5), 1, Pending::Nothing)
    );
    assert_eq!(reader.writer_pid(), Some(std::process::id()));
}

#[test]
fn each_read_gives_the_newest_value_and_its_number() {
    let region = region("newest");
    let mut writer = LatestWriter::<Nine>::claim(&region, 0).expect("writer");
    let reader = Latest::<Nine>::open(&region, 0).expect("reader");
    for n in 1..=100 {
        assert_eq!(writer.publish(&Nine::of(n * 3)), n);
        let snapshot = reader.read().expect("read");
        assert_eq!((snapshot.value, snapshot.number), (Nine::of(n * 3), n));
    }
    assert_eq!(writer.published(), 100);
}

#[test]
fn a_second_writer_is_refused_and_a_dead_writers_claim_is_taken_over() {
    let region = region("claim");
    let writer = LatestWriter::<Nine>::claim(&region, 0).expect("writer");
    assert_eq!(
        LatestWriter::<Nine>::claim(&region, 0).err(),
        Some(LatestError::WriterTaken {
            pid: std::process::id()
        })
    );
    drop(writer);
    let writer = LatestWriter::<Nine>::claim(&region, 0).expect("the claim was given back");
    assert_eq!(writer.took_over_from(), None);
    std::mem::forget(writer); // as a writer killed -9 leaves it, but of a live pid
    let dead = dead_pid();
    set_writer_word(&region, 0, dead);
    let writer = LatestWriter::<Nine>::claim(&region, 0).expect("a dead writer's claim is taken over");
    assert_eq!(writer.took_over_from(), Some(dead));
}

#[test]
fn a_writer_dead_mid_write_leaves_the_last_whole_value_and_the_next_writer_redoes_its_value() {
    let region = region("midwrite");
    let reader = Latest::<Nine>::open(&region, 128).expect("reader");
    let mut writer = LatestWriter::<Nine>::claim(&region, 128).expect("writer");
    writer.publish(&Nine::of(1));
    writer.publish(&Nine::of(2));
    let stopped = catch_unwind(AssertUnwindSafe(|| {
        writer.publish_interrupted(&Nine::of(3), || panic!("the writer stops between its two steps"))
    }));
    assert!(stopped.is_err());
    // Half of value 3 is in its slot, whose counter stays odd.
    let words = region
        .mapping()
        .words(128, super::cell_words::<Nine>())
        .expect("words");
    let slot = slot_start(size_of::<Nine>(), 1);
    assert_eq!(super::slot::load(words, slot), 5);
    assert_eq!(super::slot::load(words, slot + 1), 3);
    assert_eq!(
        super::slot::load(words, slot + 9),
        1,
        "the second half is still value 1's"
    );
    // Its process is alive: a newer value is being written.
    for _ in 0..3 {
        let snapshot = reader.read().expect("read");
        assert_eq!(
            (snapshot.value, snapshot.number, snapshot.pending),
            (Nine::of(2), 2, Pending::Writing)
        );
    }
    std::mem::forget(writer);
    let dead = dead_pid();
    set_writer_word(&region, 128, dead);
    // The first read that meets the dead writer's value says Writing, the
    // next ones that it died; the value stays the last whole one.
    let first = reader.read().expect("read");
    assert_eq!((first.value, first.number), (Nine::of(2), 2));
    for _ in 0..3 {
        let snapshot = reader.read().expect("read");
        assert_eq!(
            (snapshot.value, snapshot.number, snapshot.pending),
            (Nine::of(2), 2, Pending::WriterDied { pid: dead })
        );
    }
    let mut next = LatestWriter::<Nine>::claim(&region, 128).expect("takes over");
    assert_eq!(next.took_over_from(), Some(dead));
    assert_eq!(
        next.publish(&Nine::of(30)),
        3,
        "the unfinished value's number again"
    );
    let snapshot = reader.read().expect("read");
    assert_eq!(
        (snapshot.value, snapshot.number, snapshot.pending),
        (Nine::of(30), 3, Pending::Nothing)
    );
}

#[test]
fn a_cell_refuses_other_types_other_bytes_and_places_that_do_not_fit() {
    let region = region("refusals");
    let mut writer = LatestWriter::<Nine>::claim(&region, 0).expect("writer");
    writer.publish(&Nine::of(1));
    assert!(matches!(
        Latest::<u64>::open(&region, 0),
        Err(LatestError::TypeMismatch {
            cell_size: 72,
            cell_align: 8,
            size: 8,
            align: 8
        })
    ));
    assert!(matches!(
        LatestWriter::<[u8; 72]>::claim(&region, 0),
        Err(LatestError::WriterTaken { .. })
    ));
    drop(writer);
    assert!(matches!(
        LatestWriter::<[u8; 72]>::claim(&region, 0),
        Err(LatestError::TypeMismatch {
            cell_align: 8,
            align: 1,
            ..
        })
    ));
    // The refused writer gave its claim back.
    assert!(LatestWriter::<Nine>::claim(&region, 0).is_ok());
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write(1024, &7u64)
        .expect("write");
    assert!(matches!(
        Latest::<Nine>::open(&region, 1024),
        Err(LatestError::NotACell {
            offset: 1024,
            found: 7
        })
    ));
    assert!(matches!(
        Latest::<Nine>::open(&region, 12),
        Err(LatestError::Place(ViewError::Misaligned {
            offset: 12,
            align: 8,
            ..
        }))
    ));
    assert!(matches!(
        Latest::<Nine>::open(&region, 4096 - 64),
        Err(LatestError::Place(ViewError::OutsideView { .. }))
    ));
}

#[test]
fn a_read_only_region_reads_the_cell_but_cannot_hold_its_writer() {
    let region = region("readonly");
    let mut writer = LatestWriter::<Nine>::claim(&region, 64).expect("writer");
    writer.publish(&Nine::of(9));
    let name = RegionName::new(region.name()).expect("name");
    let read_only = RegionOptions::named(&name)
        .access(Access::Read)
        .open_existing()
        .expect("read-only");
    let reader = Latest::<Nine>::open(&read_only, 64).expect("reader");
    assert_eq!(reader.read().expect("read").value, Nine::of(9));
    assert_eq!(
        LatestWriter::<Nine>::claim(&read_only, 64).err(),
        Some(LatestError::Place(ViewError::ReadOnly))
    );
}

#[test]
fn readers_racing_a_writer_in_other_threads_never_see_a_torn_value() {
    const VALUES: u64 = 200_000;
    let region = region("race");
    let mut writer = LatestWriter::<Nine>::claim(&region, 0).expect("writer");
    writer.publish(&Nine::of(0));
    let done = Arc::new(AtomicBool::new(false));
    let all_reads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (region, done, all_reads) = (region.clone(), done.clone(), all_reads.clone());
            std::thread::spawn(move || {
                let reader = Latest::<Nine>::open(&region, 0).expect("reader");
                let (mut reads, mut torn, mut last) = (0u64, 0u64, 0u64);
                while !done.load(Ordering::Relaxed) {
                    let snapshot = reader.read().expect("read");
                    torn += u64::from(!snapshot.value.is_whole());
                    assert!(snapshot.number >= last, "numbers never go back");
                    assert_eq!(snapshot.value.0[0] + 1, snapshot.number, "value and number agree");
                    last = snapshot.number;
                    reads += 1;
                    all_reads.fetch_add(1, Ordering::Relaxed);
                }
                (reads, torn)
            })
        })
        .collect();
    // At least VALUES values, and on until the readers read as many (they
    // may start late), so that reads and writes overlap however the
    // threads are scheduled; a reader that failed ends the writing.
    let mut n = 1;
    while (n < VALUES || all_reads.load(Ordering::Relaxed) < VALUES)
        && !readers.iter().any(|reader| reader.is_finished())
    {
        writer.publish(&Nine::of(n));
        n += 1;
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        let (reads, torn) = reader.join().expect("reader");
        assert_eq!(torn, 0, "{torn} of {reads} reads were torn");
    }
}
