//! The latest-value cell's read of a 64-byte value against three other
//! reads of 64 bytes, each with a writer running in a peer process on the
//! other CPU: a bare volatile load of a shared mapping's bytes (which can
//! tear, and does nothing else: the floor), the library's plain read
//! through the accessor (which can tear: what the user first
//! tried, a rival), and a read under the named mutex (the safe way without
//! the cell, a rival). Our side of the pairs, the baselines', and the
//! peer's writer (the role `latest-writer`).
//!
//! Each timing runs while the writer writes: this process sets the region's
//! run word, tells the peer to write, waits until the peer says (its
//! running word) that it is writing, times its reads, then clears the run
//! word and waits for the peer's `done`. Between timings the peer is parked
//! on its stdin, so that it costs the other pairs nothing. The writer
//! publishes [`WRITES_PER_SEC`] values a second, as in the issue that asked
//! for the cell (a board written 10,000 times a second), asleep between
//! writes (a writer spinning on a CPU that shares a core with the reader's
//! slowed both sides' reads up to twofold, and not alike from round to
//! round).

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bench_support::placement::{cpu_count, Placement};
use shared::latest::{Latest, LatestWriter};
use shared::{MutexOptions, NamedMutex, Region, RegionOptions};

use crate::files::{bench_dir, map_bench_file, unique, RemoveOnDrop};
use crate::harness::{Baseline, Bench, Figure, Pair, Side};
use crate::peer::{start_peer, PATIENCE};

/// The value: 64 bytes, every word the same (a torn read mixes two).
pub type Board = [u64; 8];

/// Values the peer's writer publishes a second.
pub const WRITES_PER_SEC: u64 = 10_000;
// Where things sit in the bench's region, each on a cache line of its
// own: the run word (this process sets it to 1 while the writer must
// write), the peer's running word (1 while it writes), the plain read's
// value, the value read and written under the named mutex, and the cell.
const RUN_OFFSET: u64 = 0;
const RUNNING_OFFSET: u64 = 64;
const PLAIN_OFFSET: u64 = 128;
const LOCKED_OFFSET: u64 = 192;
const CELL_OFFSET: u64 = 256;

/// How a side reads, and its writer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Through the latest-value cell.
    Cell,
    /// A volatile load / store of the 64 bytes in a plain shared mapping.
    Bare,
    /// `AccessorView::read` / `write` of the same 64 bytes, no lock.
    Plain,
    /// `AccessorView::read` / `write` under the named mutex.
    Locked,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Cell => "cell",
            Mode::Bare => "bare",
            Mode::Plain => "plain",
            Mode::Locked => "mutex",
        }
    }

    pub fn from_label(label: &str) -> Mode {
        match label {
            "cell" => Mode::Cell,
            "bare" => Mode::Bare,
            "plain" => Mode::Plain,
            "mutex" => Mode::Locked,
            other => panic!("unknown latest-writer mode {other}"),
        }
    }
}

/// The pairs: the cell's read against the bare load (a floor: it does
/// less, and tears), the accessor's plain read (a rival: it tears, but
/// checks its window and copies through `memcpy`) and the read under the
/// named mutex (a rival), the writer on the other CPU.
pub fn latest(bench: &mut Bench<'_>) {
    if cpu_count() < 2 {
        return;
    }
    let placement = Placement::Apart;
    for (ratio, baseline, kind) in [
        ("latest_read_vs_bare_read", Mode::Bare, Baseline::Floor),
        ("latest_read_vs_plain_read", Mode::Plain, Baseline::Rival),
        ("latest_read_vs_mutex_read", Mode::Locked, Baseline::Rival),
    ] {
        let pair = Pair {
            ratio,
            ours: format!("latest/{}-read/{}", Mode::Cell.label(), placement.label()),
            baseline: format!("latest/{}-read/{}", baseline.label(), placement.label()),
            kind,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        };
        bench.compare(pair, || {
            (reads(Mode::Cell, placement), reads(baseline, placement))
        });
    }
}

/// The bare value's offset in its file.
const BARE_OFFSET: usize = 128;

/// The bare side's file, beside the regions, named after its region.
fn bare_file(name: &str) -> std::path::PathBuf {
    bench_dir().join(format!("{name}-bare"))
}

/// The bench's region: the words, the two plain values and the cell.
fn region_size() -> u64 {
    CELL_OFFSET + Latest::<Board>::SIZE
}

/// One side: reads in `mode` while a peer writes in `mode`, with a region
/// (and for the mutex, a mutex) of its own.
fn reads<'a>(mode: Mode, placement: Placement) -> Side<'a> {
    let name = unique(&format!("latest-{}", mode.label()));
    let region = RegionOptions::named(&name)
        .size(region_size())
        .create_new()
        .unwrap_or_else(|e| panic!("{e}"));
    let mutex = (mode == Mode::Locked).then(|| {
        MutexOptions::for_region(&region)
            .create(false)
            .unwrap_or_else(|e| panic!("{e}"))
            .mutex
    });
    let cell = Latest::<Board>::open(&region, CELL_OFFSET).unwrap_or_else(|e| panic!("{e}"));
    let bare_path = bare_file(name.as_str());
    let bare =
        (mode == Mode::Bare).then(|| (map_bench_file(&bare_path, true, 4096), RemoveOnDrop(bare_path)));
    let rate = WRITES_PER_SEC.to_string();
    let mut peer = start_peer(
        "latest-writer",
        name.as_str(),
        placement.cpus().1,
        &[
            ("SHM_BENCH_MODE", mode.label().to_owned()),
            ("SHM_BENCH_RATE", rate),
        ],
    );
    Box::new(move |iters| {
        let run = region.atomic_u32(RUN_OFFSET).unwrap_or_else(|e| panic!("{e}"));
        let running = region
            .atomic_u32(RUNNING_OFFSET)
            .unwrap_or_else(|e| panic!("{e}"));
        let view = region
            .create_view_accessor(0, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        run.store(1, Ordering::Release);
        peer.command(1);
        let deadline = Instant::now() + PATIENCE;
        while running.load(Ordering::Acquire) == 0 {
            assert!(
                Instant::now() < deadline,
                "the latest-writer peer never started writing"
            );
            std::hint::spin_loop();
        }
        let start = Instant::now();
        match (mode, &mutex) {
            (Mode::Cell, _) => {
                for _ in 0..iters {
                    let snapshot = black_box(&cell).read().unwrap_or_else(|e| panic!("{e}"));
                    black_box(snapshot);
                }
            }
            (Mode::Bare, _) => {
                let Some((map, _)) = &bare else {
                    unreachable!("a bare side has its file")
                };
                let value = map.as_ptr().wrapping_add(BARE_OFFSET).cast::<Board>();
                for _ in 0..iters {
                    // SAFETY: the 4096-byte mapping lives as long as `bare`;
                    // the value lies inside it, 64-aligned. The peer writes
                    // it meanwhile: a volatile load that can tear, which is
                    // what this floor measures.
                    black_box(unsafe { std::ptr::read_volatile(black_box(value)) });
                }
            }
            (Mode::Plain, _) => {
                for _ in 0..iters {
                    let value: Board = black_box(&view)
                        .read(PLAIN_OFFSET)
                        .unwrap_or_else(|e| panic!("{e}"));
                    black_box(value);
                }
            }
            (Mode::Locked, Some(mutex)) => {
                for _ in 0..iters {
                    let guard = black_box(mutex).wait().unwrap_or_else(|e| panic!("{e}"));
                    let value: Board = black_box(&view)
                        .read(LOCKED_OFFSET)
                        .unwrap_or_else(|e| panic!("{e}"));
                    drop(guard);
                    black_box(value);
                }
            }
            (Mode::Locked, None) => unreachable!("a mutex side has its mutex"),
        }
        let took = start.elapsed();
        run.store(0, Ordering::Release);
        peer.done();
        took
    })
}

/// The peer's writer: publishes values at `rate` a second in `mode` while
/// the run word is 1; its running word says when it writes.
pub struct Writer {
    region: Region,
    mode: Mode,
    rate: u64,
    cell: Option<LatestWriter<Board>>,
    bare: Option<memmap2::MmapRaw>,
    mutex: Option<NamedMutex>,
    written: u64,
}

impl Writer {
    /// The writer of `region` in `mode` (the cell claimed, the mutex
    /// opened).
    pub fn new(region: Region, mode: Mode, rate: u64) -> Writer {
        let cell = (mode == Mode::Cell)
            .then(|| LatestWriter::<Board>::claim(&region, CELL_OFFSET).unwrap_or_else(|e| panic!("{e}")));
        let mutex = (mode == Mode::Locked).then(|| {
            MutexOptions::for_region(&region)
                .open_existing()
                .unwrap_or_else(|e| panic!("{e}"))
        });
        let bare = (mode == Mode::Bare).then(|| map_bench_file(&bare_file(region.name()), false, 4096));
        let mut writer = Writer {
            region,
            mode,
            rate,
            cell,
            bare,
            mutex,
            written: 0,
        };
        writer.write_one(); // every side reads a value from its first read on
        writer
    }

    /// Writes at the rate until the run word goes back to 0.
    pub fn write_while_told(&mut self) {
        // (A clone, cheap, so that the words do not borrow `self`.)
        let region = self.region.clone();
        let run = region.atomic_u32(RUN_OFFSET).unwrap_or_else(|e| panic!("{e}"));
        let running = region
            .atomic_u32(RUNNING_OFFSET)
            .unwrap_or_else(|e| panic!("{e}"));
        running.store(1, Ordering::Release);
        let started = Instant::now();
        let mut done = 0u64;
        let period = Duration::from_secs(1) / self.rate.max(1) as u32;
        while run.load(Ordering::Acquire) == 1 {
            let due = period * done as u32;
            match due.checked_sub(started.elapsed()) {
                // Asleep between writes: a peer spinning on a CPU that
                // shares a core with the reader's would slow the reader.
                Some(wait) if !wait.is_zero() => std::thread::sleep(wait),
                _ => {
                    self.write_one();
                    done += 1;
                }
            }
        }
        running.store(0, Ordering::Release);
    }

    /// Writes the next value.
    fn write_one(&mut self) {
        self.written += 1;
        let value: Board = [self.written; 8];
        let offset = match self.mode {
            Mode::Cell => {
                if let Some(cell) = &mut self.cell {
                    cell.publish(&value);
                }
                return;
            }
            Mode::Bare => {
                if let Some(map) = &self.bare {
                    // SAFETY: as for the bare read: inside the live
                    // 4096-byte mapping, 64-aligned; a volatile store that
                    // a reader may see half done.
                    unsafe {
                        std::ptr::write_volatile(map.as_mut_ptr().add(BARE_OFFSET).cast::<Board>(), value)
                    };
                }
                return;
            }
            Mode::Plain => PLAIN_OFFSET,
            Mode::Locked => LOCKED_OFFSET,
        };
        let view = self
            .region
            .create_view_accessor(0, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let guard = self
            .mutex
            .as_ref()
            .map(|m| m.wait().unwrap_or_else(|e| panic!("{e}")));
        view.write(offset, &value).unwrap_or_else(|e| panic!("{e}"));
        drop(guard);
    }
}
