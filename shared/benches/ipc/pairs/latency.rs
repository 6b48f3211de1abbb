//! Latency as a distribution: a lone record's one-way latency (ours and a
//! bare floor, the receiver spinning or asleep), and the per-operation
//! sampling that every latency distribution of the run is made of.
//!
//! One-way. One record goes into an idle ring, [`RecordSender::send`] in this
//! process and `RecordReceiver::recv` in a peer on the other CPU (placement
//! `apart`, as the streams), and the receiver is already waiting:
//! - in its spinning phase: the record is sent [`SPIN_DELAY`] after the
//!   receiver began to wait, well within the ring's spin before it sleeps
//!   (2,000 pauses, tens of microseconds);
//! - in its sleeping phase: sent [`SLEEP_DELAY`] after, when it sleeps on
//!   its futex.
//!
//! The record carries its send time, read just before `send`; the receiver
//! reads the same clock as soon as `recv` returns it, so one sample is one
//! record's trip, not half a round trip. The clock is the kernel's monotonic
//! clock: on this host the TSC it keeps `CLOCK_MONOTONIC` with, read bare,
//! else `CLOCK_MONOTONIC` itself ([`Clock`] says why; each sample includes
//! about one read). The receiver then tells this process the latency
//! through an acknowledgement line ([`OneWayLine`]), with whether it slept
//! or was preempted meanwhile (its own `getrusage(RUSAGE_THREAD)`), and
//! starts waiting for the next record; this process waits for that, then
//! the delay, then sends the next.
//!
//! The floors do the same hand-over with nothing else: a bare sequence word
//! and the send time on one cache line of a shared file, the receiver
//! spinning on it (a pause between looks) for the spinning phase, or asleep
//! in a bare `FUTEX_WAIT` on it, woken by a bare `FUTEX_WAKE` after the
//! store, for the sleeping phase.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::hint::black_box;

use bench_support::placement::{cpu_count, Placement};
use shared::demo::ServiceMsg;
use shared::ring::{RecordSender, MIN_CAPACITY};
use shared::RegionOptions;

use crate::clock::{ticks, to_ns};
use crate::files::{bench_dir, map_bench_file, unique, RemoveOnDrop};
use crate::harness::{Baseline, Bench, Latency, LatencyPair, Phase, Sampler, Samples, Span};
use crate::peer::{start_peer, Connected, PATIENCE};

/// How long after the receiver began to wait a record is sent in its
/// spinning phase.
pub const SPIN_DELAY: Duration = Duration::from_micros(2);
/// How long after the receiver began to wait a record is sent in its
/// sleeping phase: many times the ring's spin (2,000 pauses, tens of
/// microseconds), and each sample says whether the receiver did sleep.
pub const SLEEP_DELAY: Duration = Duration::from_micros(500);
/// About how long each side of a round-trip pair samples in a round.
pub const ROUND_TRIP_BUDGET: Duration = Duration::from_millis(5);
/// About how long each side of the one-way spinning pair samples in a round.
const SPIN_BUDGET: Duration = Duration::from_millis(20);
/// About how long each side of the one-way sleeping pair samples in a round
/// (a sample takes [`SLEEP_DELAY`] and more: about 150 samples).
const SLEEP_BUDGET: Duration = Duration::from_millis(100);

/// A lone record's one-way latency, ours against the bare floor, the
/// receiver spinning and asleep.
pub fn one_way(bench: &mut Bench<'_>) {
    let placement = if cpu_count() >= 2 {
        Placement::Apart
    } else {
        Placement::Free
    };
    for (name, phase, floor, budget) in [
        (
            "latency_one_way_spin_vs_cacheline",
            Phase::Spin,
            "cacheline",
            SPIN_BUDGET,
        ),
        (
            "latency_one_way_sleep_vs_futex",
            Phase::Sleep,
            "futex",
            SLEEP_BUDGET,
        ),
    ] {
        let wait = if phase == Phase::Sleep { "sleep" } else { "spin" };
        let pair = LatencyPair {
            name,
            ours: format!("latency/ring-{wait}/{}", placement.label()),
            baseline: format!("latency/{floor}/{}", placement.label()),
            kind: Baseline::Floor,
            placement: Some(placement),
            span: Span::OneWay,
            phase,
        };
        bench.latency(pair, || Latency {
            span: Span::OneWay,
            phase,
            budget,
            samplers: [ring_one_way(placement, phase), line_one_way(placement, phase)],
        });
    }
}

/// The calling thread's context switches so far, as the kernel counts them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Switches {
    /// It gave up its CPU to wait (a futex sleep, a blocking read).
    pub voluntary: u64,
    /// The scheduler took its CPU away (another task ran).
    pub involuntary: u64,
}

/// Bits of a one-way sample's events: the receiver slept meanwhile.
const SLEPT: u64 = 1;
/// Bits of a one-way sample's events: the receiver was preempted meanwhile.
const PREEMPTED: u64 = 2;

impl Switches {
    pub fn now() -> Switches {
        // SAFETY: `rusage` is plain data for which all-zero is valid;
        // getrusage only writes the calling thread's counts into it.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
            usage
        };
        Switches {
            voluntary: usage.ru_nvcsw.max(0) as u64,
            involuntary: usage.ru_nivcsw.max(0) as u64,
        }
    }

    /// The switches since `before`.
    pub fn since(self, before: Switches) -> Switches {
        Switches {
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
        }
    }

    /// As a one-way sample's event bits.
    fn events(self) -> u64 {
        let mut events = 0;
        if self.voluntary > 0 {
            events |= SLEPT;
        }
        if self.involuntary > 0 {
            events |= PREEMPTED;
        }
        events
    }
}

/// Times `n` operations one by one into `samples`: `run` does `1 + n` of
/// them (the first a warm-up: a command-driven peer may still be on its way
/// from its stdin) and pushes a read of the run's clock ([`ticks`]) after
/// each; sample `i` is the time between the reads after operations `i - 1`
/// and `i`, so each holds one operation and one clock read
/// ([`clock_read_ns`]), and the samples add up to the time the operations
/// took. They go into the histogram afterwards, with this thread's sleeps
/// and preemptions over the run. Returns how long it all took.
pub fn sample_each(samples: &mut Samples, n: u64, run: impl FnOnce(&mut Vec<u64>)) -> Duration {
    let start = Instant::now();
    let mut ends = Vec::with_capacity(n as usize + 1);
    let before = Switches::now();
    run(&mut ends);
    let switches = Switches::now().since(before);
    for pair in ends.windows(2) {
        samples.record(to_ns(pair[1].saturating_sub(pair[0])));
    }
    samples.sleeps += switches.voluntary;
    samples.preemptions += switches.involuntary;
    start.elapsed()
}

/// `1 + n` calls of `op`, the clock read after each into `ends` (for
/// [`sample_each`]).
pub fn each(n: u64, ends: &mut Vec<u64>, mut op: impl FnMut(u64)) {
    for i in 0..=n {
        op(i);
        ends.push(ticks());
    }
}

/// A page of a shared file, read and written only through atomics.
struct SharedPage {
    map: memmap2::MmapRaw,
}

impl SharedPage {
    fn open(path: &Path, create: bool) -> SharedPage {
        SharedPage {
            map: map_bench_file(path, create, 4096),
        }
    }

    fn u32_at(&self, at: usize) -> &AtomicU32 {
        assert!(at.is_multiple_of(4) && at + 4 <= 4096, "a word at {at}");
        // SAFETY: the mapping is at least 4096 bytes, page-aligned, and lives
        // as long as `self`; `at` is 4-aligned and inside it (asserted); both
        // processes access the page only atomically.
        unsafe { &*self.map.as_ptr().add(at).cast::<AtomicU32>() }
    }

    fn u64_at(&self, at: usize) -> &AtomicU64 {
        assert!(at.is_multiple_of(8) && at + 8 <= 4096, "a word at {at}");
        // SAFETY: as in `u32_at`, 8-aligned.
        unsafe { &*self.map.as_ptr().add(at).cast::<AtomicU64>() }
    }
}

/// Panics when `deadline` has passed: the peer stopped answering.
fn check(deadline: Instant, what: &str) {
    assert!(Instant::now() < deadline, "{what}: no answer within {PATIENCE:?}");
}

/// Spins while `word` holds less than `want`, looking at the clock for the
/// deadline only every so often.
fn spin_until_at_least(word: &AtomicU64, want: u64, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    let mut looks = 0u32;
    while word.load(Ordering::Acquire) < want {
        std::hint::spin_loop();
        looks = looks.wrapping_add(1);
        if looks.is_multiple_of(1 << 16) {
            check(deadline, what);
        }
    }
}

/// One bare round trip on `word`, the same hand-over as the bare cache line's
/// (`CacheLine` in `baselines.rs`, whose peer roles answer it): an odd value
/// there, the peer's even one back, a pause or a yield between looks.
fn bare_round_trip(word: &AtomicU32, yielding: bool) {
    let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
    word.store(sent, Ordering::Release);
    while word.load(Ordering::Acquire) == sent {
        if yielding {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// The bare cache line's round trips one by one (the peer answers as in the
/// ratio's floor: `cacheline` pausing, `yield-floor` yielding at every look).
pub fn cacheline_sampler<'a>(placement: Placement, yielding: bool) -> Sampler<'a> {
    let path = bench_dir().join(unique("cacheline-lat").as_str());
    let page = SharedPage::open(&path, true);
    let file = RemoveOnDrop(path);
    let mut peer = start_peer(
        if yielding { "yield-floor" } else { "cacheline" },
        file.0.to_str().unwrap_or_default(),
        placement.cpus().1,
        &[],
    );
    Box::new(move |n, samples| {
        let _keep = &file;
        let word = page.u32_at(0);
        peer.command(n + 1);
        let took = sample_each(samples, n, |ends| {
            each(n, ends, |_| bare_round_trip(word, yielding))
        });
        peer.done();
        took
    })
}

/// A Unix socket's 16-byte echoes one by one.
pub fn uds_sampler<'a>(placement: Placement) -> Sampler<'a> {
    let mut conn = Connected::start("uds-echo", placement, &[]);
    Box::new(move |n, samples| {
        let Connected { stream, .. } = &mut conn;
        let mut buf = [0u8; 16];
        let took = sample_each(samples, n, |ends| {
            each(n, ends, |i| {
                let msg = ServiceMsg::new(i as i32, i as i64).encode();
                stream
                    .write_all(&msg)
                    .and_then(|_| stream.read_exact(&mut buf))
                    .unwrap_or_else(|e| panic!("echo: {e}"));
            })
        });
        black_box(buf);
        took
    })
}

/// The shared page of a one-way pair: the receiver's acknowledgement on its
/// first cache line (records received so far, the last one's latency and
/// events), the bare floor's record on its second (a sequence word, which is
/// also the futex word, and the send time).
pub struct OneWayLine {
    page: SharedPage,
}

const ACKED: usize = 0;
const ACK_LATENCY: usize = 8;
const ACK_EVENTS: usize = 16;
const SEQ: usize = 64;
const STAMP: usize = 72;

impl OneWayLine {
    pub fn open(path: &Path, create: bool) -> OneWayLine {
        OneWayLine {
            page: SharedPage::open(path, create),
        }
    }

    /// The receiver: `acked` records received so far, the last one's latency
    /// and events; it waits for the next one now.
    fn ack(&self, acked: u64, latency_ns: u64, events: u64) {
        self.page.u64_at(ACK_LATENCY).store(latency_ns, Ordering::Relaxed);
        self.page.u64_at(ACK_EVENTS).store(events, Ordering::Relaxed);
        self.page.u64_at(ACKED).store(acked, Ordering::Release);
    }

    /// This process: waits until `acked` records are acknowledged; the last
    /// one's latency and events.
    fn wait_ack(&self, acked: u64) -> (u64, u64) {
        spin_until_at_least(self.page.u64_at(ACKED), acked, "the one-way receiver");
        (
            self.page.u64_at(ACK_LATENCY).load(Ordering::Relaxed),
            self.page.u64_at(ACK_EVENTS).load(Ordering::Relaxed),
        )
    }

    /// The floor's send: the time, then the sequence word (and a futex wake
    /// when the receiver sleeps on it).
    fn send_bare(&self, stamp: u64, futex: bool) {
        let seq = self.page.u32_at(SEQ);
        self.page.u64_at(STAMP).store(stamp, Ordering::Relaxed);
        seq.store(seq.load(Ordering::Relaxed).wrapping_add(1), Ordering::Release);
        if futex {
            futex_wake(seq);
        }
    }

    /// The floor's receive: waits while the sequence word holds `seen`
    /// (spinning, or asleep on it); the new value and the record's send time.
    fn receive_bare(&self, seen: u32, futex: bool) -> (u32, u64) {
        let seq = self.page.u32_at(SEQ);
        let deadline = Instant::now() + PATIENCE;
        let mut looks = 0u32;
        loop {
            let now = seq.load(Ordering::Acquire);
            if now != seen {
                return (now, self.page.u64_at(STAMP).load(Ordering::Relaxed));
            }
            if futex {
                futex_wait(seq, seen, Duration::from_millis(100));
                check(deadline, "the one-way sender");
            } else {
                std::hint::spin_loop();
                looks = looks.wrapping_add(1);
                if looks.is_multiple_of(1 << 16) {
                    check(deadline, "the one-way sender");
                }
            }
        }
    }
}

/// Sleeps while `word` holds `seen`, at most `timeout` (a shared futex: the
/// word lies in a file both processes map).
fn futex_wait(word: &AtomicU32, seen: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
    };
    // SAFETY: FUTEX_WAIT only reads the aligned word, which lives in a
    // mapping that outlives the call, and the timespec, which lives across
    // it; it changes no memory.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            seen,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0u32,
        )
    };
}

/// Wakes one sleeper on `word`.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the word's address as a key; it reads and
    // writes no memory.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            1i32,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        )
    };
}

/// This process's side of one one-way sampling: `n` + 1 records (the first a
/// warm-up: the receiver may still be on its way from its command), each
/// sent the phase's delay after the receiver acknowledged the one before
/// (spinning on the clock for the spinning phase, asleep for the sleeping
/// one), stamped just before `send`; each acknowledgement gives the latency
/// of the record before, and whether the receiver slept or was preempted
/// meanwhile: a sample not of the phase (see [`Phase`]) is counted as left
/// out, not recorded. `acked` counts the records of all samplings so far.
fn produce(
    line: &OneWayLine,
    acked: &mut u64,
    n: u64,
    phase: Phase,
    samples: &mut Samples,
    mut send: impl FnMut(u64),
) {
    let take = |k: u64, samples: &mut Samples| {
        let (latency, events) = line.wait_ack(*acked + k);
        if k < 2 {
            return;
        }
        let slept = events & SLEPT != 0;
        if (phase == Phase::Spin && slept) || (phase == Phase::Sleep && !slept) {
            samples.left_out += 1;
            return;
        }
        samples.record(to_ns(latency));
        samples.sleeps += u64::from(slept);
        samples.preemptions += u64::from(events & PREEMPTED != 0);
    };
    for k in 0..=n {
        if k > 0 {
            take(k, samples);
            if phase == Phase::Sleep {
                std::thread::sleep(SLEEP_DELAY);
            } else {
                let until = Instant::now() + SPIN_DELAY;
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            }
        }
        send(ticks());
    }
    take(n + 1, samples);
    *acked += n + 1;
}

/// Ours: one record at a time through a ring of the smallest capacity, the
/// peer receiving with `recv`.
fn ring_one_way<'a>(placement: Placement, phase: Phase) -> Sampler<'a> {
    let ring_name = unique("ring-lat");
    let mut sender = RecordSender::<ServiceMsg>::create(&RegionOptions::named(&ring_name), MIN_CAPACITY)
        .unwrap_or_else(|e| panic!("{e}"));
    let path = bench_dir().join(unique("one-way-ack").as_str());
    let line = OneWayLine::open(&path, true);
    let file = RemoveOnDrop(path);
    let control = [("SHM_BENCH_CONTROL", file.0.to_string_lossy().into_owned())];
    let mut peer = start_peer("one-way-ring", ring_name.as_str(), placement.cpus().1, &control);
    let mut acked = 0;
    Box::new(move |n, samples| {
        let _keep = &file;
        let start = Instant::now();
        peer.command(n + 1);
        let mut id = 0i32;
        produce(&line, &mut acked, n, phase, samples, |stamp| {
            id = id.wrapping_add(1);
            sender
                .send(&ServiceMsg::new(id, stamp as i64))
                .unwrap_or_else(|e| panic!("{e}"));
        });
        peer.done();
        start.elapsed()
    })
}

/// The floor: the bare record line, the peer spinning on it or asleep in
/// `FUTEX_WAIT`.
fn line_one_way<'a>(placement: Placement, phase: Phase) -> Sampler<'a> {
    let path = bench_dir().join(unique("one-way-line").as_str());
    let line = OneWayLine::open(&path, true);
    let file = RemoveOnDrop(path);
    let futex = phase == Phase::Sleep;
    let role = if futex { "one-way-futex" } else { "one-way-spin" };
    let mut peer = start_peer(role, file.0.to_str().unwrap_or_default(), placement.cpus().1, &[]);
    let mut acked = 0;
    Box::new(move |n, samples| {
        let _keep = &file;
        let start = Instant::now();
        peer.command(n + 1);
        produce(&line, &mut acked, n, phase, samples, |stamp| {
            line.send_bare(stamp, futex)
        });
        peer.done();
        start.elapsed()
    })
}

/// The receiver's side of one sampling (the peer): `n` records, each
/// awaited with `receive` (which returns its send time) right after
/// acknowledging the one before; its latency (in the run's clock's ticks)
/// and events are in the next acknowledgement, the last one's in a final
/// one. `received` counts the records of all samplings so far.
pub fn consume(line: &OneWayLine, n: u64, received: &mut u64, mut receive: impl FnMut() -> u64) {
    let (mut latency, mut events) = (0, 0);
    for _ in 0..n {
        let before = Switches::now();
        line.ack(*received, latency, events);
        let stamp = receive();
        let at = ticks();
        events = Switches::now().since(before).events();
        latency = at.saturating_sub(stamp);
        *received += 1;
    }
    line.ack(*received, latency, events);
}

/// The floor's receiver (the peer), spinning on the record line or asleep
/// on it: `n` records.
pub fn consume_bare(line: &OneWayLine, n: u64, received: &mut u64, seen: &mut u32, futex: bool) {
    consume(line, n, received, || {
        let (now, stamp) = line.receive_bare(*seen, futex);
        *seen = now;
        stamp
    });
}
