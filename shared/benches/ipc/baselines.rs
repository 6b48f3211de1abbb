//! The baselines' sides, each what one of our figures is read against: a
//! Unix socket (the round trip and the stream, [`uds_pingpong`] and
//! [`uds_stream`]), a bare cache line ([`CacheLine`]), a bare byte ring
//! between two cores ([`BareRing`]) and the raw system calls that create a
//! region ([`raw_region_cycle`]). memcpy, the accessor's baseline, is in
//! [`crate::pairs::accessor`], beside the buffers both sides copy.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::hint::black_box;

use bench_support::placement::Placement;
use shared::demo::layout::DEFAULT_REGION_SIZE;
use shared::demo::ServiceMsg;

use crate::files::{bench_dir, map_bench_file, unique, RemoveOnDrop};
use crate::harness::Side;
use crate::peer::{start_peer, Connected};
use crate::stream_shape::{RING_CAPACITY, STREAM_BATCH};

/// A Unix-socket echo: 16 bytes there, 16 back.
pub fn uds_pingpong<'a>(placement: Placement) -> Side<'a> {
    let mut conn = Connected::start("uds-echo", placement, &[]);
    Box::new(move |iters| {
        let Connected { stream, .. } = &mut conn;
        let mut buf = [0u8; 16];
        let start = Instant::now();
        for i in 0..iters {
            let msg = ServiceMsg::new(i as i32, i as i64).encode();
            stream
                .write_all(&msg)
                .and_then(|_| stream.read_exact(&mut buf))
                .unwrap_or_else(|e| panic!("echo: {e}"));
        }
        black_box(buf);
        start.elapsed()
    })
}

/// The baseline for spinning: one bare atomic on a shared cache line, no
/// region, no record, no library.
pub struct CacheLine {
    map: memmap2::MmapRaw,
}

impl CacheLine {
    pub fn open(path: &Path, create: bool) -> CacheLine {
        CacheLine {
            map: map_bench_file(path, create, 4096),
        }
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: the mapping is 4096 bytes, page-aligned, lives as long as
        // `self`, and both processes access this word only atomically.
        unsafe { &*self.map.as_ptr().cast::<AtomicU32>() }
    }

    pub fn round_trips(&self, iters: u64) -> Duration {
        self.round_trips_pausing(iters, std::hint::spin_loop)
    }

    /// [`CacheLine::round_trips`] with `sched_yield` at every look instead of
    /// a pause: on one CPU a round trip is two system calls and two context
    /// switches and nothing else, the cheapest hand-over there is.
    fn round_trips_yielding(&self, iters: u64) -> Duration {
        self.round_trips_pausing(iters, std::thread::yield_now)
    }

    /// Sends `iters` times, calling `pause` between looks for the answer.
    fn round_trips_pausing(&self, iters: u64, pause: impl Fn()) -> Duration {
        let word = self.word();
        let start = Instant::now();
        for _ in 0..iters {
            let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
            word.store(sent, Ordering::Release);
            while word.load(Ordering::Acquire) == sent {
                pause();
            }
        }
        start.elapsed()
    }

    /// The peer's side: answers `n` round trips, calling `pause` between looks.
    pub fn answer(&self, n: u64, pause: impl Fn()) {
        let word = self.word();
        for _ in 0..n {
            let mut seen = word.load(Ordering::Acquire);
            while seen.is_multiple_of(2) {
                pause();
                seen = word.load(Ordering::Acquire);
            }
            word.store(seen.wrapping_add(1), Ordering::Release);
        }
    }
}

/// The bare cache line, its waiters spinning, or yielding at every look.
pub fn cacheline_pingpong<'a>(placement: Placement, yielding: bool) -> Side<'a> {
    let path = bench_dir().join(unique("cacheline").as_str());
    let line = CacheLine::open(&path, true);
    let file = RemoveOnDrop(path);
    let mut peer = start_peer(
        if yielding { "yield-floor" } else { "cacheline" },
        file.0.to_str().unwrap_or_default(),
        placement.cpus().1,
        &[],
    );
    Box::new(move |iters| {
        let _keep = &file;
        peer.command(iters);
        let took = if yielding {
            line.round_trips_yielding(iters)
        } else {
            line.round_trips(iters)
        };
        peer.done();
        took
    })
}

/// The floor for a stream between cores: a byte ring in a shared file with
/// nothing but a head and a tail counter, both sides busy-waiting. It moves
/// the same bytes from one core to the other as our ring, without its
/// records, batches, wake-ups or liveness checks.
///
/// How fast bytes cross between the cores of this machine changes with the
/// host (a bare ring in C took 0.55 ms or 1.6–2.0 ms a million records,
/// switching every few seconds, with the core-to-core probe unchanged), so a
/// one-core memcpy is no floor for it: the ratio to memcpy followed the host,
/// the ratio to this one does not.
pub struct BareRing {
    map: memmap2::MmapRaw,
    /// The reader's counter as the writer last read it: read again only
    /// when the ring looks full, as any ring written by hand does (rtrb,
    /// the peers' hand-written ring), so that a send touches no line the
    /// reader writes.
    tail_seen: std::cell::Cell<u64>,
}

/// Where the bare ring's bytes start (the counters have the page before).
const BARE_DATA: usize = 4096;
/// The bare ring's bytes: as many as our ring's records take.
const BARE_LEN: usize = RING_CAPACITY as usize * 16;
/// Where the bare ring's tail counter lies (its own cache line).
const BARE_TAIL: usize = 64;

impl BareRing {
    pub fn open(path: &Path, create: bool) -> BareRing {
        BareRing {
            map: map_bench_file(path, create, BARE_DATA + BARE_LEN),
            tail_seen: std::cell::Cell::new(0),
        }
    }

    /// Bytes written so far (`0`) or read so far (`BARE_TAIL`).
    fn counter(&self, at: usize) -> &AtomicU64 {
        // SAFETY: `at` is 0 or BARE_TAIL, 8-aligned offsets in the first page
        // of a page-aligned mapping that lives as long as `self`; both
        // processes access the counters only atomically.
        unsafe { &*self.map.as_ptr().add(at).cast::<AtomicU64>() }
    }

    /// Copies one 16-byte record in, waiting for room: a copy of a size the
    /// compiler knows (one store), as a hand-written ring of records does.
    #[inline(always)]
    fn send_record(&self, record: &[u8; 16]) {
        let (head, tail) = (self.counter(0), self.counter(BARE_TAIL));
        let at = head.load(Ordering::Relaxed);
        while at + 16 - self.tail_seen.get() > BARE_LEN as u64 {
            self.tail_seen.set(tail.load(Ordering::Acquire));
            std::hint::spin_loop();
        }
        // 16-byte records in a ring of a multiple of 16 bytes never wrap.
        let offset = BARE_DATA + (at % BARE_LEN as u64) as usize;
        // SAFETY: the 16 bytes at `offset` lie in the mapping (BARE_LEN is a
        // multiple of 16), and the reader has released them and reads nothing
        // beyond the head, which moves past them only after the copy.
        unsafe {
            self.map
                .as_mut_ptr()
                .add(offset)
                .cast::<[u8; 16]>()
                .write_unaligned(*record)
        };
        head.store(at + 16, Ordering::Release);
    }

    /// Copies `bytes` in, waiting for room; `bytes` fits the ring and its
    /// length divides the ring's (one copy never wraps).
    fn send(&self, bytes: &[u8]) {
        let (head, tail) = (self.counter(0), self.counter(BARE_TAIL));
        let at = head.load(Ordering::Relaxed);
        while at + bytes.len() as u64 - self.tail_seen.get() > BARE_LEN as u64 {
            self.tail_seen.set(tail.load(Ordering::Acquire));
            std::hint::spin_loop();
        }
        let offset = BARE_DATA + (at % BARE_LEN as u64) as usize;
        assert!(offset + bytes.len() <= BARE_DATA + BARE_LEN, "a copy would wrap");
        // SAFETY: the range lies in the mapping (asserted), and the reader has
        // released it (the tail is past it) and reads nothing beyond the
        // head, which moves past it only after the copy.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.as_mut_ptr().add(offset), bytes.len())
        };
        head.store(at + bytes.len() as u64, Ordering::Release);
    }

    /// Copies `count` bytes out through `buf`, waiting for them.
    pub fn receive(&self, buf: &mut [u8], count: u64) {
        let (head, tail) = (self.counter(0), self.counter(BARE_TAIL));
        let mut at = tail.load(Ordering::Relaxed);
        let end = at + count;
        while at < end {
            let mut written = head.load(Ordering::Acquire);
            while written == at {
                std::hint::spin_loop();
                written = head.load(Ordering::Acquire);
            }
            let offset = (at % BARE_LEN as u64) as usize;
            let n = ((written - at) as usize).min(buf.len()).min(BARE_LEN - offset);
            // SAFETY: the range lies in the mapping (offset + n <= BARE_LEN),
            // and the writer published it (the head is past it) and does not
            // touch it again until the tail moves past it.
            unsafe {
                std::ptr::copy_nonoverlapping(self.map.as_ptr().add(BARE_DATA + offset), buf.as_mut_ptr(), n)
            };
            black_box(&buf[..n]);
            let caught_up = at + n as u64 == written;
            at += n as u64;
            tail.store(at, Ordering::Release);
            if caught_up && (n as u64) < BARE_SLIP {
                let_writer_get_ahead(head, at);
            }
        }
    }
}

/// How far a bare reader that caught up lets the writer get ahead: as our
/// ring's consumer does (16 KiB, at most 16 looks of 16 pauses, and not a
/// look longer than the writer keeps writing), so that the floor does not
/// fall into the lockstep a ring with a reader close behind its writer
/// falls into (see `Ring::let_peer_get_ahead` in shared/src/ring.rs): that
/// made the floor 5x slower than ours, a floor of nothing.
const BARE_SLIP: u64 = 16 * 1024;

/// Waits while the writer keeps moving `head`, until it is [`BARE_SLIP`]
/// bytes past `at` (at most 16 looks).
fn let_writer_get_ahead(head: &AtomicU64, at: u64) {
    let mut seen = head.load(Ordering::Relaxed);
    for _ in 0..16 {
        if seen - at >= BARE_SLIP {
            return;
        }
        for _ in 0..16 {
            std::hint::spin_loop();
        }
        let now = head.load(Ordering::Relaxed);
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// The bare ring: `bytes`, `repeat` times per operation.
pub fn bare_ring_stream<'a>(bytes: &'a [u8], repeat: usize, placement: Placement) -> Side<'a> {
    bare_ring_stream_in(bytes, bytes.len(), repeat, placement)
}

/// The bare ring, one 16-byte record per publish: the floor of a stream
/// sent one record at a time (the same copy and the same index store per
/// record as ours, nothing else).
pub fn bare_ring_stream_per_record<'a>(bytes: &'a [u8], repeat: usize, placement: Placement) -> Side<'a> {
    bare_ring_stream_in(bytes, 16, repeat, placement)
}

/// The bare ring: `bytes` in sends of `chunk` bytes, `repeat` times per operation.
fn bare_ring_stream_in<'a>(bytes: &'a [u8], chunk: usize, repeat: usize, placement: Placement) -> Side<'a> {
    let path = bench_dir().join(unique("bare-ring").as_str());
    let ring = BareRing::open(&path, true);
    let file = RemoveOnDrop(path);
    let count = [("SHM_BENCH_COUNT", (bytes.len() * repeat).to_string())];
    let mut peer = start_peer(
        "bare-ring-consumer",
        file.0.to_str().unwrap_or_default(),
        placement.cpus().1,
        &count,
    );
    Box::new(move |iters| {
        let _keep = &file;
        peer.command(iters);
        let start = Instant::now();
        for _ in 0..iters {
            for _ in 0..repeat {
                if chunk == 16 {
                    for record in bytes.chunks_exact(16) {
                        ring.send_record(record.try_into().unwrap_or_else(|_| unreachable!()));
                    }
                } else {
                    for piece in bytes.chunks(chunk) {
                        ring.send(piece);
                    }
                }
            }
            peer.expect("ok");
        }
        let took = start.elapsed();
        peer.done();
        took
    })
}

/// The same bytes through a Unix socket: one write per record, or in
/// chunks the size of the ring's batches.
pub fn uds_stream<'a>(bytes: &'a [u8], repeat: usize, batched: bool, placement: Placement) -> Side<'a> {
    let count = [("SHM_BENCH_COUNT", (bytes.len() * repeat).to_string())];
    let mut conn = Connected::start("uds-sink", placement, &count);
    let chunk = if batched { STREAM_BATCH * 16 } else { 16 };
    Box::new(move |iters| {
        let Connected { stream, peer, .. } = &mut conn;
        let start = Instant::now();
        for _ in 0..iters {
            for _ in 0..repeat {
                for piece in bytes.chunks(chunk) {
                    stream.write_all(piece).unwrap_or_else(|e| panic!("{e}"));
                }
            }
            peer.expect("ok");
        }
        start.elapsed()
    })
}

/// The baseline for creating a region: create a file, give it the region's
/// size (with `posix_fallocate` when `reserve`, as the library does, else
/// `ftruncate`), map it, unmap it, remove it.
pub fn raw_region_cycle(reserve: bool) {
    let path = bench_dir().join(unique("raw").as_str());
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    let len = DEFAULT_REGION_SIZE;
    if reserve {
        // SAFETY: a plain system call on a file descriptor we own.
        let rc =
            unsafe { libc::posix_fallocate(std::os::fd::AsRawFd::as_raw_fd(&file), 0, len as libc::off_t) };
        assert_eq!(rc, 0, "posix_fallocate");
    } else {
        file.set_len(len).unwrap_or_else(|e| panic!("{e}"));
    }
    let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
    black_box(map.len());
    drop(map);
    let _ = std::fs::remove_file(&path);
}
