//! How fast the library is, next to the baseline each figure must be read
//! against (`cargo bench -p shared --bench ipc`, or `scripts/bench.sh` for
//! the summary and `scripts/bench.sh --repeat 3` for the repeatability table).
//!
//! Every headline ratio is one [`Pair`]: ours and its baseline. The run has
//! two phases. First [`Bench::compare`] sets up every wanted pair, one after
//! the other: buffers allocated and touched, peer processes started and
//! parked on a blocking read so that an idle side costs no CPU, and each
//! side timed once to size its timings. Then [`Bench::run_rounds`] times
//! them all in [`ROUNDS`] rounds spread over the whole run: each round goes
//! round-robin through every pair, ours then the baseline, about [`TIMING`]
//! each (the median of [`SLICES`] slices, see [`sliced`]; the iterations
//! follow the median of the side's rounds so far, so a timing stays near
//! [`TIMING`]). A pair's rounds are thus seconds apart, so every pair samples
//! the host states described below rather than falling wholly in one. The
//! summary gives each side's median per operation with its fastest–slowest
//! spread, and the ratio (ours ÷ baseline) of each round with its median and
//! spread. A `FLAG` line (and `FLAGGED` on the ratio) marks a figure not to
//! trust: a side whose slowest round is more than [`MAX_SPREAD`] times its
//! fastest, a floor (a baseline that does strictly less work than ours) that
//! came out more than [`FLOOR_TOLERANCE`] times slower than ours, a copy
//! faster than any machine can copy, or pinning the kernel refused.
//!
//! Host states. On a shared host (this one: two vCPUs of a Firecracker VM)
//! the host moves the vCPUs, and the time one cache line takes to go from
//! CPU 0 to CPU 1 and back jumps between clusters (about 30–90 ns, 150–210
//! ns and 450–1000 ns), changing every few seconds to minutes. Every
//! cross-core figure follows it, and not alike: ours waits on that latency,
//! a Unix socket mostly on system calls, so their ratio moves up to tenfold
//! with the host and no number of rounds makes one ratio repeat. So the
//! bench measures the host: a [`CoreProbe`] (a helper thread pinned to CPU
//! 1, parked between probes, and this thread pinned to CPU 0 for the probe)
//! bounces one cache line for about 2 ms and gives the ns per round trip.
//! Every round of every cross-core pair (placement `free` or `apart`) is
//! probed just before ours is timed and just after the baseline is; the
//! round belongs to the state `core` (under [`CORE_BELOW_NS`]: the two
//! vCPUs on one physical core), `near` (under [`NEAR_BELOW_NS`]), `mid` or
//! `far` (from [`FAR_FROM_NS`]) when both probes fall in it, else to
//! `changed`, which is counted but in no state's ratio. Such a pair reports
//! one ratio per state that held for at least [`MIN_STATE_ROUNDS`] of its
//! rounds (`ratio NAME@near ...`), each a figure that can repeat whenever the
//! host is in that state again; a state seen in fewer rounds gets a `state`
//! line instead. Pairs on one CPU or without a second process do not depend
//! on the host's latency and report one ratio as before. The line `host
//! core-to-core:` says how many rounds fell in each state in this run.
//!
//! A pair that is not a headline ([`Pair::figure`]) is printed as an
//! `illustration` line instead of a `ratio` line, so that
//! `scripts/bench.sh --repeat` leaves it out of its repeatability table. Its
//! spread is not flagged, being what it shows. There are three:
//! - `turns_naive_one_cpu_vs_uds`, the naive scheme (take the mutex, check
//!   whose turn it is, release, retry) with both processes on one CPU, waits
//!   out the scheduler's time slice on every turn. It measures the time
//!   slice, not work, and cannot repeat; it shows what the blocking wait
//!   avoids. Its timings do at most [`ILLUSTRATION_ITERS`] turns (a turn
//!   costs a time slice, or a few microseconds when the two processes fall
//!   into step).
//! - `stream_ring_vs_uds_batched`: bytes cross between this machine's two
//!   cores at one of two speeds that the host switches between (see
//!   [`BareRing`]), which moves the ring's time threefold and the socket's,
//!   bound by its system calls, hardly at all. The ratio to the bare ring,
//!   `stream_ring_vs_bare_ring`, is the headline for the batched ring.
//! - `pingpong_blocking_vs_uds` and `_apart`: a socket's round trip between
//!   two CPUs is two wake-ups of a sleeping thread on the other CPU, and on
//!   this VM that cost drifts continuously, 9–23 µs for a bare futex
//!   ping-pong within one minute (the socket stays at 1.2–1.45× it), while
//!   ours, handing over within its spin, follows the cache line. The ratio
//!   moved 0.0046–0.0062 across three runs. `pingpong_blocking_vs_cacheline`
//!   and `_apart`, against the bare cache line, are the headlines for it.
//!
//! Cross-process cases start one peer process (this executable, re-run with
//! `SHM_BENCH_PEER=<role>`). Placements: `free` (the scheduler decides),
//! `one-cpu` (both pinned to CPU 0) and `apart` (CPU 0 and CPU 1); each side
//! reads back the CPUs the kernel actually granted, and this process pins
//! itself again before each pair's timings in every round.
//!
//! Arguments: `--test` (what `cargo bench -- --test` runs: every pair in
//! [`TEST_ROUNDS`] rounds of short timings, nothing asserted about speed),
//! and any other word filters the pairs by name (`scripts/bench.sh pingpong`).

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use std::hint::black_box;

use shared::demo::layout::{DEFAULT_REGION_SIZE, RECORDS_OFFSET};
use shared::demo::ServiceMsg;
use shared::stream::{RecordReceiver, RecordSender};
use shared::sync::Turn;
use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
use shared::{MutexOptions, NamedMutex, Region, RegionName, RegionOptions};

const PEER_ENV: &str = "SHM_BENCH_PEER";
const RECORDS_PER_STREAM: usize = 1_000_000;
const STREAM_BATCH: usize = 4096;
const RECORDS_PER_RECORD_STREAM: usize = 100_000;
/// Ring capacity in records: 65,536 records of 16 bytes, a 1 MiB record area.
const RING_CAPACITY: u32 = 1 << 16;
const ACCESSOR_RECORDS: usize = 1024;
const STOP: u32 = u32::MAX;
const PARENT: u32 = 1;
const CHILD: u32 = 2;
const PATIENCE: Duration = Duration::from_secs(30);

/// Rounds of every comparison, spread over the run (at least 5; odd, so
/// that the median is one round's value).
const ROUNDS: usize = 11;
/// Rounds under `--test` (more than one, so that the round-robin is exercised).
const TEST_ROUNDS: usize = 3;
/// About how long each side's timing in a round lasts (1 ms under `--test`).
const TIMING: Duration = Duration::from_millis(40);
/// The fastest any copy can go: one 64-byte store per cycle at 6 GHz. A
/// measurement above it did not do the copy (the compiler removed it).
const MAX_COPY_BYTES_PER_NS: f64 = 64.0 * 6.0;
/// Slowest round ÷ fastest round above which a side is flagged as too noisy.
const MAX_SPREAD: f64 = 3.0;
/// A floor is flagged when it comes out slower than ours by more than this
/// factor (two sides that run at the same speed differ by a few percent from
/// round to round; ours at its floor is a result, not an error).
const FLOOR_TOLERANCE: f64 = 1.1;

/// Where the two processes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Free,
    OneCpu,
    Apart,
}

impl Placement {
    fn label(self) -> &'static str {
        match self {
            Placement::Free => "free",
            Placement::OneCpu => "one-cpu",
            Placement::Apart => "apart",
        }
    }

    /// This process's CPU and the peer's.
    fn cpus(self) -> (Option<usize>, Option<usize>) {
        match self {
            Placement::Free => (None, None),
            Placement::OneCpu => (Some(0), Some(0)),
            Placement::Apart => (Some(0), Some(1)),
        }
    }
}

/// CPUs online (not the affinity mask, which pinning narrows).
fn cpu_count() -> usize {
    // SAFETY: sysconf only reads a system value.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Pins the calling thread to `cpu`, or lets it run on every online CPU
/// (`None`); returns the CPUs the kernel actually granted, read back.
fn pin(cpu: Option<usize>) -> String {
    let cpus = cpu_count();
    // SAFETY: `cpu_set_t` is plain data for which all-zero is the empty set;
    // CPU_SET/CPU_ISSET only touch inside it; sched_setaffinity and
    // sched_getaffinity(0, ...) read or write it for the calling thread. A
    // refusal leaves the thread where it was, which the read-back reports.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        match cpu {
            Some(cpu) => libc::CPU_SET(cpu % cpus, &mut set),
            None => (0..cpus).for_each(|c| libc::CPU_SET(c, &mut set)),
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        let mut granted: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut granted) != 0 {
            return "unknown".to_owned();
        }
        let list: Vec<String> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &granted))
            .map(|c| c.to_string())
            .collect();
        list.join(",")
    }
}

/// The CPU this thread runs on now (-1 if unknown).
fn current_cpu() -> i64 {
    // SAFETY: sched_getcpu takes nothing and only reads.
    i64::from(unsafe { libc::sched_getcpu() })
}

/// What `pin(cpu)` should have granted.
fn wanted(cpu: Option<usize>) -> String {
    match cpu {
        Some(cpu) => (cpu % cpu_count()).to_string(),
        None => (0..cpu_count())
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The calling thread's CPU mask.
fn affinity() -> libc::cpu_set_t {
    // SAFETY: all-zero is the empty set; sched_getaffinity(0, ...) writes
    // the calling thread's mask into it (left empty if it fails).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set);
        set
    }
}

/// Gives the calling thread back a mask read by [`affinity`].
fn set_affinity(set: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity(0, ...) only reads the set, for the calling thread.
    unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
    }
}

/// Bounds of the host states, in ns per core-to-core round trip of one
/// cache line. Measured on this machine (two vCPUs of a Firecracker VM on a
/// shared host): the round trip sits in one of four clusters, about 30 ns
/// (the two vCPUs on one physical core), 65–90 ns, 150–210 ns and 450–1000
/// ns, and the host switches between them every few seconds to minutes.
/// Below `CORE_BELOW_NS` is `core`, from it to `NEAR_BELOW_NS` is `near`,
/// from there to `FAR_FROM_NS` is `mid`, from `FAR_FROM_NS` up is `far`;
/// each bound lies in a gap between two clusters.
const CORE_BELOW_NS: f64 = 50.0;
/// See [`CORE_BELOW_NS`].
const NEAR_BELOW_NS: f64 = 120.0;
/// See [`CORE_BELOW_NS`].
const FAR_FROM_NS: f64 = 300.0;
/// Fewest rounds in one host state for a pair to report a ratio for it.
const MIN_STATE_ROUNDS: usize = 3;

/// The host's state during a round, from the core-to-core probes around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostState {
    Core,
    Near,
    Mid,
    Far,
    /// The probes before and after the round fell in different states.
    Changed,
}

impl HostState {
    const BINS: [HostState; 4] = [HostState::Core, HostState::Near, HostState::Mid, HostState::Far];

    fn of(ns: f64) -> HostState {
        if ns < CORE_BELOW_NS {
            HostState::Core
        } else if ns < NEAR_BELOW_NS {
            HostState::Near
        } else if ns < FAR_FROM_NS {
            HostState::Mid
        } else {
            HostState::Far
        }
    }

    /// The state of a round probed `before` and `after` (ns).
    fn of_round([before, after]: [f64; 2]) -> HostState {
        let state = HostState::of(before);
        if HostState::of(after) == state {
            state
        } else {
            HostState::Changed
        }
    }

    fn label(self) -> &'static str {
        match self {
            HostState::Core => "core",
            HostState::Near => "near",
            HostState::Mid => "mid",
            HostState::Far => "far",
            HostState::Changed => "changed",
        }
    }
}

/// Warm-up of a probe (the helper wakes and both caches settle).
const PROBE_WARMUP: Duration = Duration::from_micros(300);
/// The timed part of a probe, the median of [`SLICES`] slices.
const PROBE_TIMING: Duration = Duration::from_millis(2);
/// Written to the probe's word to send the helper back to its channel.
const PROBE_STOP: u32 = u32::MAX;

/// The word the probe bounces, alone on its cache line.
#[repr(C, align(64))]
struct ProbeLine(AtomicU32);

/// The core-to-core probe: a helper thread pinned to CPU 1 for the whole
/// run, parked on a channel between probes (no CPU used), and one cache
/// line it and the calling thread, pinned to CPU 0 while it probes, pass
/// back and forth as [`CacheLine::round_trips`] does between processes.
struct CoreProbe {
    line: Arc<ProbeLine>,
    start: Option<mpsc::Sender<()>>,
    done: mpsc::Receiver<()>,
    helper: Option<std::thread::JoinHandle<()>>,
}

impl CoreProbe {
    /// Starts the helper; `Err` says why there is nothing to probe.
    fn start() -> Result<CoreProbe, String> {
        if cpu_count() < 2 {
            return Err("one CPU online, no second core".to_owned());
        }
        let line = Arc::new(ProbeLine(AtomicU32::new(0)));
        let (start, started) = mpsc::channel::<()>();
        let (finished, done) = mpsc::channel::<()>();
        let (granted_tx, granted_rx) = mpsc::channel::<String>();
        let theirs = Arc::clone(&line);
        let helper = std::thread::Builder::new()
            .name("core-probe".to_owned())
            .spawn(move || {
                let _ = granted_tx.send(pin(Some(1)));
                // Parked here between probes; ends when the sender drops.
                for () in started {
                    let word = &theirs.0;
                    loop {
                        let seen = word.load(Ordering::Acquire);
                        if seen == PROBE_STOP {
                            break;
                        }
                        if !seen.is_multiple_of(2) {
                            word.store(seen.wrapping_add(1), Ordering::Release);
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                    if finished.send(()).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| format!("the probe thread did not start: {e}"))?;
        let probe = CoreProbe {
            line,
            start: Some(start),
            done,
            helper: Some(helper),
        };
        let theirs = granted_rx.recv().unwrap_or_else(|_| "unknown".to_owned());
        let saved = affinity();
        let mine = pin(Some(0));
        set_affinity(&saved);
        if theirs != wanted(Some(1)) || mine != wanted(Some(0)) {
            return Err(format!(
                "pinning refused: the probe asked for CPUs 0 and 1 and was granted {mine} and {theirs}"
            ));
        }
        Ok(probe)
    }

    /// ns per core-to-core round trip now: about [`PROBE_WARMUP`], then
    /// about [`PROBE_TIMING`] in [`SLICES`] slices, the median slice. The
    /// calling thread is pinned to CPU 0 meanwhile and gets its own mask
    /// back afterwards.
    fn round_trip_ns(&self) -> f64 {
        let saved = affinity();
        pin(Some(0));
        let word = &self.line.0;
        word.store(0, Ordering::Release);
        if let Some(start) = &self.start {
            start
                .send(())
                .unwrap_or_else(|_| panic!("the probe thread ended"));
        }
        let round_trips = |n: u64| {
            for _ in 0..n {
                let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
                word.store(sent, Ordering::Release);
                while word.load(Ordering::Acquire) == sent {
                    std::hint::spin_loop();
                }
            }
        };
        // The first round trip waits for the helper to wake.
        round_trips(1);
        let warm = Instant::now();
        let mut warmed = 0u64;
        while warm.elapsed() < PROBE_WARMUP {
            round_trips(16);
            warmed += 16;
        }
        let per = warm.elapsed().as_nanos() as f64 / warmed as f64;
        let slice = PROBE_TIMING.as_nanos() as f64 / SLICES as f64;
        let iters = ((slice / per.max(1.0)) as u64).max(16);
        let mut ns: Vec<f64> = (0..SLICES)
            .map(|_| {
                let start = Instant::now();
                round_trips(iters);
                start.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect();
        word.store(PROBE_STOP, Ordering::Release);
        self.done
            .recv()
            .unwrap_or_else(|_| panic!("the probe thread ended"));
        set_affinity(&saved);
        ns.sort_by(f64::total_cmp);
        ns[ns.len() / 2]
    }
}

impl Drop for CoreProbe {
    fn drop(&mut self) {
        drop(self.start.take());
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
    }
}

fn unique(label: &str) -> RegionName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    RegionName::new(&format!("bench-{}-{n}-{label}", std::process::id())).unwrap_or_else(|e| panic!("{e}"))
}

fn bench_dir() -> PathBuf {
    shared::default_dir()
}

/// A new region the size of the demo's (1,024,000 bytes, as every region in
/// these benchmarks had before sizes became explicit).
fn demo_region(name: &RegionName) -> Region {
    RegionOptions::named(name)
        .size(DEFAULT_REGION_SIZE)
        .create_new()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The region's turn word (in its companion file).
fn turn_of(region: &Region) -> Turn<'_> {
    region.turn().unwrap_or_else(|e| panic!("turn: {e}"))
}

/// A peer process: this executable in role `role`.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The CPUs the peer's kernel granted it (read back by the peer).
    granted: String,
}

impl Peer {
    fn start(role: &str, name: &str, cpu: Option<usize>, extra: &[(&str, String)]) -> Peer {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("bench exe: {e}"));
        let mut command = Command::new(exe);
        command
            .env(PEER_ENV, role)
            .env("SHM_BENCH_NAME", name)
            .env("SHM_BENCH_DIR", bench_dir())
            .env("SHM_BENCH_CPU", cpu.map(|c| c.to_string()).unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn peer {role}: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("peer stdout")));
        let mut peer = Peer {
            child,
            stdin,
            stdout,
            granted: String::new(),
        };
        let ready = peer.line();
        peer.granted = ready
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("peer {role} said {ready:?}"))
            .to_owned();
        peer
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("peer: {e}"));
        line.trim().to_owned()
    }

    fn expect(&mut self, word: &str) {
        let line = self.line();
        assert_eq!(line, word, "peer said {line:?}");
    }

    /// Waits for a command-driven peer's `done CPU`, and notes whether it
    /// ran on the CPU this process ran on.
    fn done(&mut self) {
        let line = self.line();
        let theirs = line
            .strip_prefix("done ")
            .unwrap_or_else(|| panic!("peer said {line:?}"));
        let shared = theirs.parse::<i64>().ok() == Some(current_cpu());
        SHARED_CPU.with(|s| s.borrow_mut().push(shared));
    }

    /// Tells a command-driven peer to do `n` units of its work.
    fn command(&mut self, n: u64) {
        let stdin = self.stdin.as_mut().unwrap_or_else(|| panic!("peer stdin"));
        writeln!(stdin, "{n}")
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("peer: {e}"));
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One side of a comparison: does `iters` operations, returns how long they took.
type Side<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// What a baseline is to ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Baseline {
    /// Does strictly less of the same work (a bare cache line, memcpy, the raw
    /// system calls): ours cannot be faster, so a floor slower than ours
    /// measured something else and is flagged.
    Floor,
    /// Another way to do the same job (a socket): either may win.
    Rival,
}

/// Whether a pair's ratio is a headline, and if not, why it cannot repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    /// A ratio that must repeat within ±20% over three runs.
    Headline,
    /// Measures the scheduler's time slice, not work.
    TimeSlice,
    /// Follows the host's cross-core copy speed, which our side depends on
    /// and the baseline hardly.
    CopySpeed,
    /// Follows the host's cost of waking a thread on the other CPU, which the
    /// baseline pays twice per round trip and ours (spinning) does not.
    WakeCost,
}

/// One headline ratio: how it is named and what its baseline is.
struct Pair {
    ratio: &'static str,
    ours: String,
    baseline: String,
    kind: Baseline,
    /// Bytes one operation copies (for the faster-than-possible check).
    bytes: Option<usize>,
    /// Where the two processes ran (`None` when there is no second process).
    placement: Option<Placement>,
    /// A headline ratio (`ratio` line), or an illustration that cannot repeat
    /// (`illustration` line, kept out of the repeatability table; see the
    /// module documentation).
    figure: Figure,
}

impl Pair {
    /// Whether its figures depend on the host's core-to-core latency: a
    /// second process on a CPU of its own or wherever the scheduler puts it.
    fn cross_core(&self) -> bool {
        matches!(self.placement, Some(Placement::Free | Placement::Apart))
    }
}

/// A pair after its rounds.
struct Measured {
    pair: Pair,
    ours_ns: Vec<f64>,
    baseline_ns: Vec<f64>,
    /// How the CPUs were asked for and granted, and whether pinning was refused.
    placement_note: Option<(String, bool)>,
    /// For ours and the baseline: in how many of how many timings the
    /// command-driven peer ended on the same CPU as this process.
    shared_cpu: [(usize, usize); 2],
    /// Per round, the core-to-core probe before ours and after the baseline
    /// (ns per round trip); empty when the pair was not probed.
    probes: Vec<[f64; 2]>,
}

impl Measured {
    /// Ours ÷ the baseline, round by round.
    fn ratios(&self) -> Vec<f64> {
        self.ours_ns
            .iter()
            .zip(&self.baseline_ns)
            .map(|(a, b)| a / b)
            .collect()
    }

    /// The rounds (indices) whose host state was `state`.
    fn rounds_in(&self, state: HostState) -> Vec<usize> {
        (0..self.probes.len())
            .filter(|&r| HostState::of_round(self.probes[r]) == state)
            .collect()
    }
}

/// The values of `rounds` (indices) among `values`.
fn pick(values: &[f64], rounds: &[usize]) -> Vec<f64> {
    rounds.iter().map(|&r| values[r]).collect()
}

/// Median, fastest and slowest of some per-round values.
#[derive(Debug, Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Spread {
            median,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// Slowest ÷ fastest.
    fn factor(&self) -> f64 {
        self.max / self.min
    }
}

/// How the run is configured from the command line.
struct Config {
    filters: Vec<String>,
    rounds: usize,
    timing: Duration,
}

impl Config {
    fn from_args() -> Config {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--test");
        let filters = args.iter().filter(|a| !a.starts_with("--")).cloned().collect();
        Config {
            filters,
            rounds: if quick { TEST_ROUNDS } else { ROUNDS },
            timing: if quick { Duration::from_millis(1) } else { TIMING },
        }
    }

    /// Whether the pair named `ratio` (with sides `ours` and `baseline`) runs.
    fn wants(&self, names: &[&str]) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| names.iter().any(|n| n.contains(f.as_str())))
    }
}

/// A pair set up by [`Bench::compare`], waiting for its rounds.
struct Pending<'a> {
    pair: Pair,
    /// Ours and the baseline.
    sides: [Side<'a>; 2],
    /// Iterations of each side's next timing.
    iters: [u64; 2],
    /// Each side's ns per operation, round by round.
    ns: [Vec<f64>; 2],
    placement_note: Option<(String, bool)>,
    shared_cpu: [(usize, usize); 2],
    probes: Vec<[f64; 2]>,
}

/// The pairs: set up, then timed in rounds spread over the run, then measured.
struct Bench<'a> {
    config: Config,
    /// Set up, not yet timed.
    pending: Vec<Pending<'a>>,
    measured: Vec<Measured>,
    /// Why the cross-core pairs were not probed, if they were not.
    unprobed: Option<String>,
}

impl<'a> Bench<'a> {
    fn new(config: Config) -> Bench<'a> {
        Bench {
            config,
            pending: Vec::new(),
            measured: Vec::new(),
            unprobed: None,
        }
    }

    /// Sets up `pair` for [`Bench::run_rounds`]: pins this process per the
    /// pair's placement, runs `setup` (only when the pair is wanted; it
    /// returns the two sides, everything they need already allocated,
    /// touched and started), notes the CPUs this process and the peers were
    /// granted, and sizes each side's timings (doubling the iterations until
    /// a timing lasts a quarter of [`Config::timing`]).
    fn compare(&mut self, pair: Pair, setup: impl FnOnce() -> (Side<'a>, Side<'a>)) {
        if !self.config.wants(&[pair.ratio, &pair.ours, &pair.baseline]) {
            return;
        }
        let (mine, theirs_cpu) = pair.placement.map(|p| p.cpus()).unwrap_or((None, None));
        let granted_here = pin(mine);
        PEER_CPUS.with(|p| p.borrow_mut().clear());
        let (mut ours, mut baseline) = setup();
        // The peers pinned themselves while `setup` started them; they say
        // what they got in `ready`, collected by the setup in PEER_CPUS.
        let peer_granted: Vec<String> = PEER_CPUS.with(|p| std::mem::take(&mut *p.borrow_mut()));
        let placement_note = pair.placement.map(|p| {
            let mut refused = granted_here != wanted(mine);
            let mut text = format!(
                "{}: this process asked for CPUs {} and was granted {granted_here}",
                p.label(),
                wanted(mine)
            );
            for granted in &peer_granted {
                refused |= *granted != wanted(theirs_cpu);
                text.push_str(&format!(
                    "; a peer asked for {} and was granted {granted}",
                    wanted(theirs_cpu)
                ));
            }
            (text, refused)
        });
        let timing = self.config.timing;
        let most = most_iters(&pair);
        let iters_for = |side: &mut Side<'a>| -> u64 {
            let mut iters = 1u64;
            loop {
                let took = side(iters);
                if took >= timing / 4 || iters >= most.min(1 << 26) {
                    return iters_lasting(timing, took.as_nanos() as f64 / iters as f64, most);
                }
                iters *= 2;
            }
        };
        let iters = [iters_for(&mut ours), iters_for(&mut baseline)];
        eprintln!(
            "  measured {}: set up, timings sized ({} ÷ {})",
            pair.ratio, pair.ours, pair.baseline
        );
        self.pending.push(Pending {
            pair,
            sides: [ours, baseline],
            iters,
            ns: [Vec::new(), Vec::new()],
            placement_note,
            shared_cpu: [(0, 0), (0, 0)],
            probes: Vec::new(),
        });
    }

    /// Times every pair set up: [`Config::rounds`] rounds, each going through
    /// every pair in turn, ours then the baseline; then ends the peers and
    /// files the results. A cross-core pair's round is probed (see
    /// [`CoreProbe`]) first, then this process is pinned per the pair's
    /// placement and both sides are timed, then probed again (the probe pins
    /// to CPU 0 and gives back the pair's mask).
    fn run_rounds(&mut self) {
        let (rounds, timing) = (self.config.rounds, self.config.timing);
        let take = || SHARED_CPU.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let probe = if self.pending.iter().any(|p| p.pair.cross_core()) {
            CoreProbe::start()
        } else {
            Err("no cross-core pair in this run".to_owned())
        };
        if let Err(why) = &probe {
            self.unprobed = Some(why.clone());
        }
        for round in 1..=rounds {
            let mut states = Vec::new();
            for p in &mut self.pending {
                let probe = probe.as_ref().ok().filter(|_| p.pair.cross_core());
                let before = probe.map(CoreProbe::round_trip_ns);
                pin(p.pair.placement.and_then(|placement| placement.cpus().0));
                for side in 0..2 {
                    let _ = take();
                    let ns = sliced(&mut p.sides[side], p.iters[side]);
                    let seen = take();
                    p.shared_cpu[side].0 += seen.iter().filter(|&&s| s).count();
                    p.shared_cpu[side].1 += seen.len();
                    p.ns[side].push(ns);
                    let median = Spread::of(&p.ns[side]).median;
                    p.iters[side] = iters_lasting(timing, median, most_iters(&p.pair));
                }
                if let (Some(probe), Some(before)) = (probe, before) {
                    let probes = [before, probe.round_trip_ns()];
                    states.push(format!(
                        "{} {:.0}/{:.0}",
                        HostState::of_round(probes).label(),
                        probes[0],
                        probes[1]
                    ));
                    p.probes.push(probes);
                }
            }
            eprintln!(
                "  measured round {round} of {rounds} ({} pairs, ours then baseline in each)",
                self.pending.len()
            );
            if !states.is_empty() {
                eprintln!(
                    "  probed round {round}: host state, ns before/after, per cross-core pair: {}",
                    states.join(", ")
                );
            }
        }
        drop(probe);
        for p in self.pending.drain(..) {
            let Pending {
                pair,
                sides,
                ns: [ours_ns, baseline_ns],
                placement_note,
                shared_cpu,
                probes,
                ..
            } = p;
            // The peers end here (their stdin or socket closes).
            drop(sides);
            self.measured.push(Measured {
                pair,
                ours_ns,
                baseline_ns,
                placement_note,
                shared_cpu,
                probes,
            });
        }
        pin(None);
    }
}

/// Iterations that take about `timing` at `ns` per operation (at least one,
/// at most `most`).
fn iters_lasting(timing: Duration, ns: f64, most: u64) -> u64 {
    ((timing.as_nanos() as f64 / ns.max(1.0)) as u64).clamp(1, most)
}

/// Most operations a timing of an illustration does. The naive turns on one
/// CPU have two modes: a turn per time slice (milliseconds), or a few
/// microseconds when the two processes fall into step on the mutex. Sized in
/// the fast mode, a timing that meets the slow one would last minutes (seen:
/// 15,000 turns at 16 ms); ten turns last at most a few hundred ms.
const ILLUSTRATION_ITERS: u64 = 10;

/// The cap on a pair's iterations per timing.
fn most_iters(pair: &Pair) -> u64 {
    if pair.figure == Figure::TimeSlice {
        ILLUSTRATION_ITERS
    } else {
        u64::MAX
    }
}

/// Slices of one side's timing in a round.
const SLICES: u64 = 5;

/// ns per op of `iters` ops, timed in [`SLICES`] slices (when there are that
/// many ops): the median slice, so that another process taking the CPU for a
/// few milliseconds does not decide the round.
fn sliced(side: &mut Side<'_>, iters: u64) -> f64 {
    if iters < SLICES {
        return side(iters).as_nanos() as f64 / iters as f64;
    }
    let per = iters / SLICES;
    let mut ns: Vec<f64> = (0..SLICES)
        .map(|_| side(per).as_nanos() as f64 / per as f64)
        .collect();
    ns.sort_by(f64::total_cmp);
    ns[ns.len() / 2]
}

thread_local! {
    /// For each timing of a command-driven peer since the last look: whether
    /// the peer ended it on the same CPU as this process.
    static SHARED_CPU: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    /// CPUs granted to the peers a setup started (drained by `Bench::compare`).
    static PEER_CPUS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Starts a peer and notes the CPUs it was granted for the placement report.
fn start_peer(role: &str, name: &str, cpu: Option<usize>, extra: &[(&str, String)]) -> Peer {
    let peer = Peer::start(role, name, cpu, extra);
    PEER_CPUS.with(|p| p.borrow_mut().push(peer.granted.clone()));
    peer
}

fn main() {
    if let Ok(role) = std::env::var(PEER_ENV) {
        peer::run(&role);
        return;
    }
    let config = Config::from_args();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // What the sides borrow lives longer than the bench that holds them.
    let streams = Streams::new();
    let accessor_region = config
        .wants(&ACCESSOR_NAMES)
        .then(|| demo_region(&unique("accessor")));
    let accessor_case = accessor_region
        .as_ref()
        .map(|region| RefCell::new(AccessorCase::new(region)));
    let mut bench = Bench::new(config);
    eprintln!(
        "{} rounds spread over the run, each through every pair (ours then baseline), about {:?} per timing",
        bench.config.rounds, bench.config.timing
    );
    pingpong(&mut bench);
    turns(&mut bench);
    streaming(&mut bench, &streams);
    if let Some(case) = &accessor_case {
        accessor(&mut bench, case);
    }
    region_lifecycle(&mut bench);
    bench.run_rounds();
    report(&bench);
}

/// Round trip of one 16-byte record between two processes: ours blocking vs
/// a Unix socket and (on one CPU) vs a bare word yielding at every look, ours
/// blocking and spinning vs a bare cache line between two cores.
fn pingpong(bench: &mut Bench<'_>) {
    for (ratio, placement) in [
        ("pingpong_blocking_vs_uds", Placement::Free),
        ("pingpong_blocking_vs_uds_apart", Placement::Apart),
        ("pingpong_blocking_vs_uds_one_cpu", Placement::OneCpu),
    ] {
        if placement == Placement::Apart && cpu_count() < 2 {
            continue;
        }
        let pair = Pair {
            ratio,
            ours: format!("pingpong/region-block/{}", placement.label()),
            baseline: format!("pingpong/uds/{}", placement.label()),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: if placement == Placement::OneCpu {
                Figure::Headline
            } else {
                Figure::WakeCost
            },
        };
        bench.compare(pair, || {
            (turn_pingpong(placement, false), uds_pingpong(placement))
        });
    }
    // The one-CPU blocking round trip next to the cheapest hand-over on one
    // CPU: a bare word whose waiters yield at every look (two context
    // switches per round trip and nothing else).
    let placement = Placement::OneCpu;
    bench.compare(
        Pair {
            ratio: "pingpong_blocking_one_cpu_vs_yield_floor",
            ours: format!("pingpong/region-block/{}", placement.label()),
            baseline: format!("pingpong/yield-floor/{}", placement.label()),
            kind: Baseline::Floor,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                turn_pingpong(placement, false),
                cacheline_pingpong(placement, true),
            )
        },
    );
    // Between cores both waits hand over while they spin: their floor is the
    // bare cache line. (Two spinners on one CPU hand over once per time
    // slice: not measured.)
    for (ratio, placement, spin) in [
        ("pingpong_blocking_vs_cacheline", Placement::Free, false),
        ("pingpong_blocking_vs_cacheline_apart", Placement::Apart, false),
        ("pingpong_spin_vs_cacheline", Placement::Free, true),
        ("pingpong_spin_vs_cacheline_apart", Placement::Apart, true),
    ] {
        if placement == Placement::Apart && cpu_count() < 2 {
            continue;
        }
        let wait = if spin { "spin" } else { "block" };
        let pair = Pair {
            ratio,
            ours: format!("pingpong/region-{wait}/{}", placement.label()),
            baseline: format!("pingpong/cacheline/{}", placement.label()),
            kind: Baseline::Floor,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        };
        bench.compare(pair, || {
            (
                turn_pingpong(placement, spin),
                cacheline_pingpong(placement, false),
            )
        });
    }
}

/// Our side: the record travels in the turn's mailbox, the peer answers.
fn turn_pingpong<'a>(placement: Placement, spin: bool) -> Side<'a> {
    let region_name = unique(if spin { "spin" } else { "block" });
    let region = demo_region(&region_name);
    let role = if spin { "turns-spin" } else { "turns-block" };
    let mut peer = start_peer(role, region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |iters| {
        peer.command(iters);
        let took = region_round_trips(&region, iters, spin);
        peer.done();
        took
    })
}

fn region_round_trips(region: &Region, iters: u64, spin: bool) -> Duration {
    let turn = turn_of(region);
    let start = Instant::now();
    for i in 0..iters {
        turn.pass_turn_with(CHILD, &ServiceMsg::new(i as i32, i as i64));
        let back = if spin {
            turn.spin_for_turn(PARENT, PATIENCE)
        } else {
            turn.wait_for_turn(PARENT, PATIENCE)
        };
        assert!(back, "peer did not answer");
        black_box(turn.mailbox::<ServiceMsg>());
    }
    start.elapsed()
}

/// A Unix-socket echo: 16 bytes there, 16 back.
fn uds_pingpong<'a>(placement: Placement) -> Side<'a> {
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

/// A peer connected by a Unix socket. The fields drop in order: the socket
/// closes first, so the peer, which ends at the end of the stream, is ending
/// when its `Drop` waits for it (the other way round, that `Drop` waited its
/// full 5 s and then killed the peer).
struct Connected {
    stream: UnixStream,
    peer: Peer,
    _dir: tempfile::TempDir,
}

impl Connected {
    fn start(role: &str, placement: Placement, extra: &[(&str, String)]) -> Connected {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(format!("{role}.sock"));
        let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
        let peer = start_peer(role, path.to_str().unwrap_or_default(), placement.cpus().1, extra);
        let (stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
        Connected {
            stream,
            peer,
            _dir: dir,
        }
    }
}

/// The baseline for spinning: one bare atomic on a shared cache line, no
/// region, no record, no library.
struct CacheLine {
    map: memmap2::MmapRaw,
}

/// Maps the file at `path` for reading and writing, creating it `len`
/// bytes long first when `create` (the peer opens what this process made).
fn map_bench_file(path: &Path, create: bool, len: usize) -> memmap2::MmapRaw {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(create)
        .open(path)
        .unwrap_or_else(|e| panic!("{e}"));
    if create {
        file.set_len(len as u64).unwrap_or_else(|e| panic!("{e}"));
    }
    let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(map.len() >= len, "{} is shorter than {len} bytes", path.display());
    map
}

impl CacheLine {
    fn open(path: &Path, create: bool) -> CacheLine {
        CacheLine {
            map: map_bench_file(path, create, 4096),
        }
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: the mapping is 4096 bytes, page-aligned, lives as long as
        // `self`, and both processes access this word only atomically.
        unsafe { &*self.map.as_ptr().cast::<AtomicU32>() }
    }

    fn round_trips(&self, iters: u64) -> Duration {
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
    fn answer(&self, n: u64, pause: impl Fn()) {
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
struct BareRing {
    map: memmap2::MmapRaw,
}

/// Where the bare ring's bytes start (the counters have the page before).
const BARE_DATA: usize = 4096;
/// The bare ring's bytes: as many as our ring's records take.
const BARE_LEN: usize = RING_CAPACITY as usize * 16;
/// Where the bare ring's tail counter lies (its own cache line).
const BARE_TAIL: usize = 64;

impl BareRing {
    fn open(path: &Path, create: bool) -> BareRing {
        BareRing {
            map: map_bench_file(path, create, BARE_DATA + BARE_LEN),
        }
    }

    /// Bytes written so far (`0`) or read so far (`BARE_TAIL`).
    fn counter(&self, at: usize) -> &AtomicU64 {
        // SAFETY: `at` is 0 or BARE_TAIL, 8-aligned offsets in the first page
        // of a page-aligned mapping that lives as long as `self`; both
        // processes access the counters only atomically.
        unsafe { &*self.map.as_ptr().add(at).cast::<AtomicU64>() }
    }

    /// Copies `bytes` in, waiting for room; `bytes` fits the ring and its
    /// length divides the ring's (one copy never wraps).
    fn send(&self, bytes: &[u8]) {
        let (head, tail) = (self.counter(0), self.counter(BARE_TAIL));
        let at = head.load(Ordering::Relaxed);
        while at + bytes.len() as u64 - tail.load(Ordering::Acquire) > BARE_LEN as u64 {
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
    fn receive(&self, buf: &mut [u8], count: u64) {
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
            at += n as u64;
            tail.store(at, Ordering::Release);
        }
    }
}

/// The bare ring: `bytes`, `repeat` times per operation.
fn bare_ring_stream<'a>(bytes: &'a [u8], repeat: usize, placement: Placement) -> Side<'a> {
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
                ring.send(bytes);
            }
            peer.expect("ok");
        }
        let took = start.elapsed();
        peer.done();
        took
    })
}

/// Removes a file when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The bare cache line, its waiters spinning, or yielding at every look.
fn cacheline_pingpong<'a>(placement: Placement, yielding: bool) -> Side<'a> {
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

/// One turn each under the named mutex, the demo's pattern, vs the socket
/// round trip. The naive scheme on one CPU is an illustration, not a
/// headline: it waits out a time slice per turn (see the module documentation).
fn turns(bench: &mut Bench<'_>) {
    for (ratio, kind, placement) in [
        ("turns_free_vs_uds", "futex", Placement::Free),
        ("turns_one_cpu_vs_uds", "futex", Placement::OneCpu),
        ("turns_naive_one_cpu_vs_uds", "naive", Placement::OneCpu),
    ] {
        let pair = Pair {
            ratio,
            ours: format!("turns/{kind}/{}", placement.label()),
            baseline: format!("pingpong/uds/{}", placement.label()),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: if kind == "naive" {
                Figure::TimeSlice
            } else {
                Figure::Headline
            },
        };
        bench.compare(pair, || {
            (mutex_turns(placement, kind == "naive"), uds_pingpong(placement))
        });
    }
}

fn mutex_turns<'a>(placement: Placement, naive: bool) -> Side<'a> {
    let region_name = unique(if naive { "naive" } else { "futex" });
    let region = demo_region(&region_name);
    let mutex = MutexOptions::for_region(&region)
        .create(false)
        .unwrap_or_else(|e| panic!("{e}"))
        .mutex;
    turn_of(&region).pass_turn(PARENT);
    let role = if naive { "mutex-naive" } else { "mutex-futex" };
    let mut peer = start_peer(role, region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |iters| {
        peer.command(iters);
        let start = Instant::now();
        for i in 0..iters {
            peer::take_turn(&region, &mutex, PARENT, CHILD, naive, i as i32);
        }
        let took = start.elapsed();
        peer.done();
        took
    })
}

/// Records from one process to another: the ring vs a Unix socket (one
/// record per send, and batched), and the batched ring vs a bare byte ring
/// between the same two cores ([`BareRing`]).
///
/// The batched pairs send one batch of [`STREAM_BATCH`] records (64 KiB) over
/// and over until [`RECORDS_PER_STREAM`] have gone, so that the source stays
/// in cache and what is measured is the transport. Even so, bytes cross
/// between this machine's cores at one of two speeds (a million records in
/// about 0.6 ms or about 1.6 ms), switching every few seconds with the host:
/// the ratio to the bare ring, which crosses the same way, holds through
/// both; the ratio to a socket and the records per second do not.
fn streaming<'a>(bench: &mut Bench<'a>, streams: &'a Streams) {
    // Producer and consumer on CPUs of their own where there are two: where
    // the scheduler puts them decides a stream's speed more than the code.
    let placement = if cpu_count() >= 2 {
        Placement::Apart
    } else {
        Placement::Free
    };
    let (records, bytes) = (&streams.records[..], &streams.bytes[..]);
    let few = RECORDS_PER_RECORD_STREAM;
    let (batch, batch_bytes) = (&records[..STREAM_BATCH], &bytes[..STREAM_BATCH * 16]);
    let batches = RECORDS_PER_STREAM / STREAM_BATCH;
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_uds",
            ours: "stream/ring-per-record".to_owned(),
            baseline: "stream/uds-per-record".to_owned(),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                ring_stream(&records[..few], 1, false, placement),
                uds_stream(&bytes[..few * 16], 1, false, placement),
            )
        },
    );
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_uds_batched",
            ours: "stream/ring".to_owned(),
            baseline: "stream/uds".to_owned(),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: Figure::CopySpeed,
        },
        || {
            (
                ring_stream(batch, batches, true, placement),
                uds_stream(batch_bytes, batches, true, placement),
            )
        },
    );
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_bare_ring",
            ours: "stream/ring".to_owned(),
            baseline: "stream/bare-ring".to_owned(),
            kind: Baseline::Floor,
            bytes: Some(batch_bytes.len() * batches),
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                ring_stream(batch, batches, true, placement),
                bare_ring_stream(batch_bytes, batches, placement),
            )
        },
    );
}

/// The records every stream pair sends, and the same as bytes.
struct Streams {
    records: Vec<ServiceMsg>,
    bytes: Vec<u8>,
}

impl Streams {
    fn new() -> Streams {
        let records: Vec<ServiceMsg> = (0..RECORDS_PER_STREAM)
            .map(|i| ServiceMsg::new(i as i32, i as i64))
            .collect();
        let bytes = records.iter().flat_map(|m| m.encode()).collect();
        Streams { records, bytes }
    }
}

/// Our ring: all of `records` per operation, one `send` each or in batches,
/// until the consumer says it has them all.
fn ring_stream<'a>(
    records: &'a [ServiceMsg],
    repeat: usize,
    batched: bool,
    placement: Placement,
) -> Side<'a> {
    let ring_name = unique("ring");
    let mut sender = RecordSender::<ServiceMsg>::create(&RegionOptions::named(&ring_name), RING_CAPACITY)
        .unwrap_or_else(|e| panic!("{e}"));
    let count = [("SHM_BENCH_COUNT", (records.len() * repeat).to_string())];
    let mut peer = start_peer("ring-consumer", ring_name.as_str(), placement.cpus().1, &count);
    Box::new(move |iters| {
        peer.command(iters);
        let start = Instant::now();
        for _ in 0..iters {
            for _ in 0..repeat {
                if batched {
                    for chunk in records.chunks(STREAM_BATCH) {
                        sender.send_batch(chunk).unwrap_or_else(|e| panic!("{e}"));
                    }
                } else {
                    for msg in records {
                        sender.send(msg).unwrap_or_else(|e| panic!("{e}"));
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
fn uds_stream<'a>(bytes: &'a [u8], repeat: usize, batched: bool, placement: Placement) -> Side<'a> {
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

/// Bytes each accessor operation copies: 1,024 records of 16 bytes.
const ACCESSOR_BYTES: usize = ACCESSOR_RECORDS * ServiceMsg::SIZE;

/// Where in its page each buffer of the accessor benchmarks starts. A copy
/// whose destination lies just past its source modulo 4096 (as two 16 KiB
/// heap blocks allocated one after the other do, 16 bytes apart) runs many
/// times slower on x86 (4K aliasing: each load waits for an unrelated store),
/// so the offsets are fixed rather than left to the allocator: the region's
/// records view starts at 1024 in its page, the baseline's stand-in for it
/// too, and the records on the heap at 0, 1024 bytes from either.
const VIEW_PAGE_OFFSET: usize = (RECORDS_OFFSET % 4096) as usize;
const HEAP_PAGE_OFFSET: usize = 0;

/// 64 plain bytes aligned like a cache line.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// [`ACCESSOR_BYTES`] on the heap, starting at a chosen offset in a page,
/// every byte written once (so every page is touched).
struct Buffer {
    lines: Vec<Line>,
    start: usize,
}

impl Buffer {
    fn at_page_offset(page_offset: usize, fill: u8) -> Buffer {
        const PAGE_LINES: usize = 4096 / 64;
        let lines = vec![Line([fill; 64]); ACCESSOR_BYTES / 64 + PAGE_LINES];
        let address = lines.as_ptr() as usize; // 64-aligned: a whole number of lines
        let start = (page_offset + 4096 - address % 4096) % 4096 / 64;
        let buffer = Buffer { lines, start };
        assert_eq!(buffer.bytes().as_ptr() as usize % 4096, page_offset);
        buffer
    }

    fn bytes(&self) -> &[u8] {
        self.lines[self.start..][..ACCESSOR_BYTES / 64].as_bytes()
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        self.lines[self.start..][..ACCESSOR_BYTES / 64].as_mut_bytes()
    }

    fn records(&self) -> &[ServiceMsg] {
        <[ServiceMsg]>::ref_from_bytes(self.bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn records_mut(&mut self) -> &mut [ServiceMsg] {
        <[ServiceMsg]>::mut_from_bytes(self.bytes_mut()).unwrap_or_else(|e| panic!("{e:?}"))
    }
}

/// One of the four copies the accessor benchmarks time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `write_array` of the records into the region.
    WriteArray,
    /// Its baseline: memcpy of the same bytes into a heap buffer of the same
    /// size, at the same offset in its page as the region's view.
    MemcpyIn,
    /// `read_array` of the records out of the region.
    ReadArray,
    /// Its baseline: memcpy of the same bytes out of that heap buffer.
    MemcpyOut,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::WriteArray => "write_array",
            Op::MemcpyIn => "memcpy-in",
            Op::ReadArray => "read_array",
            Op::MemcpyOut => "memcpy-out",
        }
    }
}

/// The accessor and its baseline, every buffer allocated and touched before
/// anything is timed. Both sides copy from and to the same heap buffers; the
/// only difference is the region (ours) or a plain heap buffer at the same
/// page offset (the baseline) on the other side of the copy.
struct AccessorCase<'r> {
    /// The demo's records view (region offset 1024, to the end of the region).
    view: shared::AccessorView<'r>,
    /// The records both sides copy in.
    msgs: Buffer,
    /// Where both sides copy the records out to.
    back: Buffer,
    /// The baseline's region.
    plain: Buffer,
}

impl<'r> AccessorCase<'r> {
    fn new(region: &'r Region) -> AccessorCase<'r> {
        let view = region
            .create_view_accessor(RECORDS_OFFSET, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut msgs = Buffer::at_page_offset(HEAP_PAGE_OFFSET, 0);
        for (i, msg) in msgs.records_mut().iter_mut().enumerate() {
            *msg = ServiceMsg::new(i as i32, i as i64);
        }
        let mut case = AccessorCase {
            view,
            msgs,
            back: Buffer::at_page_offset(HEAP_PAGE_OFFSET, 0xa5),
            plain: Buffer::at_page_offset(VIEW_PAGE_OFFSET, 0xa5),
        };
        // Touch every page of every buffer and of the region's view, and check
        // that each copy copies.
        case.run(Op::WriteArray, 2);
        case.run(Op::ReadArray, 2);
        assert_eq!(
            case.back.records(),
            case.msgs.records(),
            "read_array gave back other records"
        );
        case.back.bytes_mut().fill(0xa5);
        case.run(Op::MemcpyIn, 2);
        case.run(Op::MemcpyOut, 2);
        assert_eq!(
            case.back.records(),
            case.msgs.records(),
            "memcpy gave back other records"
        );
        case
    }

    /// Runs `op` `iters` times; the time it took.
    fn run(&mut self, op: Op, iters: u64) -> Duration {
        let start = Instant::now();
        match op {
            Op::WriteArray => {
                let msgs = self.msgs.records();
                for _ in 0..iters {
                    black_box(&self.view)
                        .write_array(0, black_box(msgs))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
            Op::MemcpyIn => {
                let (msgs, plain) = (self.msgs.bytes(), self.plain.bytes_mut());
                for _ in 0..iters {
                    black_box(&mut *plain).copy_from_slice(black_box(msgs));
                    black_box(&*plain);
                }
            }
            Op::ReadArray => {
                let back = self.back.records_mut();
                for _ in 0..iters {
                    let read = black_box(&self.view)
                        .read_array(0, black_box(&mut *back))
                        .unwrap_or_else(|e| panic!("{e}"));
                    black_box((read, &*back));
                }
            }
            Op::MemcpyOut => {
                let (plain, back) = (self.plain.bytes(), self.back.bytes_mut());
                for _ in 0..iters {
                    black_box(&mut *back).copy_from_slice(black_box(plain));
                    black_box(&*back);
                }
            }
        }
        start.elapsed()
    }
}

/// The accessor pairs' names (their buffers are set up only when one is wanted).
const ACCESSOR_NAMES: [&str; 4] = [
    "accessor_write_array_vs_memcpy",
    "accessor_read_array_vs_memcpy",
    "accessor_vs_memcpy",
    "accessor/",
];

/// `write_array` / `read_array` of 1,024 `ServiceMsg` (16 KiB) through the
/// accessor vs memcpy of the same bytes into / out of a heap buffer of the
/// same size at the same offset in its page.
fn accessor<'a>(bench: &mut Bench<'a>, case: &'a RefCell<AccessorCase<'_>>) {
    let side = |ops: &'static [Op]| -> Side<'a> {
        Box::new(move |iters| ops.iter().map(|&op| case.borrow_mut().run(op, iters)).sum())
    };
    for (ratio, ours, baseline, bytes) in [
        (
            "accessor_write_array_vs_memcpy",
            &[Op::WriteArray][..],
            &[Op::MemcpyIn][..],
            ACCESSOR_BYTES,
        ),
        (
            "accessor_read_array_vs_memcpy",
            &[Op::ReadArray][..],
            &[Op::MemcpyOut][..],
            ACCESSOR_BYTES,
        ),
        // The round trip the earlier encode + decode benchmark measured.
        (
            "accessor_vs_memcpy",
            &[Op::WriteArray, Op::ReadArray][..],
            &[Op::MemcpyIn, Op::MemcpyOut][..],
            2 * ACCESSOR_BYTES,
        ),
    ] {
        let label = |ops: &[Op]| {
            let labels: Vec<&str> = ops.iter().map(|op| op.label()).collect();
            format!("accessor/{}", labels.join("+"))
        };
        let pair = Pair {
            ratio,
            ours: label(ours),
            baseline: label(baseline),
            kind: Baseline::Floor,
            bytes: Some(bytes),
            placement: None,
            figure: Figure::Headline,
        };
        bench.compare(pair, || (side(ours), side(baseline)));
    }
}

/// Creating, mapping and removing a 1 MB region vs the raw system calls.
fn region_lifecycle(bench: &mut Bench<'_>) {
    let ours_create = || -> Side<'static> {
        Box::new(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let region = demo_region(&unique("life"));
                black_box(region.size());
            }
            start.elapsed()
        })
    };
    let raw_create = |reserve: bool| -> Side<'static> {
        Box::new(move |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                raw_region_cycle(reserve);
            }
            start.elapsed()
        })
    };
    bench.compare(
        Pair {
            ratio: "region_create_vs_raw",
            ours: "region/create+close".to_owned(),
            baseline: "region/raw".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || (ours_create(), raw_create(false)),
    );
    bench.compare(
        Pair {
            ratio: "region_create_vs_raw_fallocate",
            ours: "region/create+close".to_owned(),
            baseline: "region/raw+fallocate".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || (ours_create(), raw_create(true)),
    );
    bench.compare(
        Pair {
            ratio: "region_open_vs_raw",
            ours: "region/open+close".to_owned(),
            baseline: "region/raw-open".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || {
            let kept = demo_region(&unique("kept"));
            let options =
                RegionOptions::named(&RegionName::new(kept.name()).unwrap_or_else(|e| panic!("{e}")));
            let ours: Side<'static> = Box::new(move |iters| {
                let _keep = &kept;
                let start = Instant::now();
                for _ in 0..iters {
                    let region = options.open_existing().unwrap_or_else(|e| panic!("{e}"));
                    black_box(region.size());
                }
                start.elapsed()
            });
            let existing = RemoveOnDrop(bench_dir().join(unique("rawopen").as_str()));
            std::fs::File::create(&existing.0)
                .and_then(|f| f.set_len(DEFAULT_REGION_SIZE))
                .unwrap_or_else(|e| panic!("{e}"));
            let raw: Side<'static> = Box::new(move |iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let file = std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&existing.0)
                        .unwrap_or_else(|e| panic!("{e}"));
                    let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
                    black_box(map.len());
                }
                start.elapsed()
            });
            (ours, raw)
        },
    );
}

/// The baseline for creating a region: create a file, give it the region's
/// size (with `posix_fallocate` when `reserve`, as the library does, else
/// `ftruncate`), map it, unmap it, remove it.
fn raw_region_cycle(reserve: bool) {
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

/// A ratio with three significant digits (0.00612, 0.149, 24.4).
fn ratio_text(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        return format!("{r}");
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

/// `ns` with a unit that keeps it readable.
fn time_text(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Why the ratio of some of a pair's rounds (indices) is not to be trusted,
/// if it is not: a side too noisy over those rounds, a floor slower than
/// ours. A probed pair is judged per host state, on that state's rounds.
fn round_flags(m: &Measured, rounds: &[usize]) -> Vec<String> {
    let mut flags = Vec::new();
    let pair = &m.pair;
    let (ours, baseline) = (pick(&m.ours_ns, rounds), pick(&m.baseline_ns, rounds));
    for (label, ns) in [(&pair.ours, &ours), (&pair.baseline, &baseline)] {
        let spread = Spread::of(ns);
        // An illustration's spread is what it shows (time slices, the host's
        // copy speed or wake-up cost), not noise.
        if pair.figure == Figure::Headline && spread.factor() > MAX_SPREAD {
            flags.push(format!(
                "{label}: spread {:.2}x (slowest round ÷ fastest) is over {MAX_SPREAD}x: something moved it between rounds (load, or a host state no probe sees)",
                spread.factor()
            ));
        }
    }
    let (ours, baseline) = (Spread::of(&ours).median, Spread::of(&baseline).median);
    if pair.kind == Baseline::Floor && baseline > ours * FLOOR_TOLERANCE {
        flags.push(format!(
            "{}: the floor ({}) came out slower than ours ({}), which does strictly more work: \
             it measured something else (placement, frequency, page faults)",
            pair.baseline,
            time_text(baseline),
            time_text(ours)
        ));
    }
    flags
}

/// Why none of a pair's ratios is to be trusted, if so: a copy faster than
/// any machine can copy, a free placement the scheduler kept on one CPU,
/// pinning refused.
fn pair_flags(m: &Measured) -> Vec<String> {
    let mut flags = Vec::new();
    let pair = &m.pair;
    if let Some(bytes) = pair.bytes {
        for (label, ns) in [(&pair.ours, &m.ours_ns), (&pair.baseline, &m.baseline_ns)] {
            let fastest_ns = Spread::of(ns).min;
            let fastest = bytes as f64 / fastest_ns;
            if fastest > MAX_COPY_BYTES_PER_NS {
                flags.push(format!(
                    "{label}: {bytes} bytes in {fastest_ns:.1} ns is {fastest:.0} GB/s, faster than any copy \
                     (one 64-byte store per cycle at 6 GHz is {MAX_COPY_BYTES_PER_NS:.0} GB/s): the copy was optimised away"
                ));
            }
        }
    }
    let share = |(shared, of): (usize, usize)| {
        if of == 0 {
            f64::NAN
        } else {
            shared as f64 / of as f64
        }
    };
    let (ours_share, baseline_share) = (share(m.shared_cpu[0]), share(m.shared_cpu[1]));
    if pair.placement == Some(Placement::Free) {
        for (label, share) in [(&pair.ours, ours_share), (&pair.baseline, baseline_share)] {
            if share >= 0.5 {
                flags.push(format!(
                    "{label}: the scheduler left the two processes on one CPU in {:.0}% of its timings, \
                     so this free-placement figure measures that placement (see the one-cpu pair)",
                    share * 100.0
                ));
            }
        }
    }
    if let Some((note, true)) = &m.placement_note {
        flags.push(format!("placement refused: {note}"));
    }
    flags
}

/// One ratio a pair reports: its name (`NAME` or `NAME@STATE`), its rounds
/// (indices) and, for a host state, that state.
struct Reported {
    name: String,
    rounds: Vec<usize>,
    state: Option<HostState>,
}

/// The ratios `m` reports: one over all its rounds when it was not probed,
/// else one per host state held in at least [`MIN_STATE_ROUNDS`] rounds.
/// Also the states seen in fewer rounds, with their counts.
fn reported(m: &Measured) -> (Vec<Reported>, Vec<(HostState, usize)>) {
    if m.probes.is_empty() {
        let all = Reported {
            name: m.pair.ratio.to_owned(),
            rounds: (0..m.ours_ns.len()).collect(),
            state: None,
        };
        return (vec![all], Vec::new());
    }
    let (mut reported, mut few) = (Vec::new(), Vec::new());
    for state in HostState::BINS {
        let rounds = m.rounds_in(state);
        if rounds.len() >= MIN_STATE_ROUNDS {
            reported.push(Reported {
                name: format!("{}@{}", m.pair.ratio, state.label()),
                rounds,
                state: Some(state),
            });
        } else if !rounds.is_empty() {
            few.push((state, rounds.len()));
        }
    }
    (reported, few)
}

/// Median of the probes (before and after) of some rounds, in ns.
fn probe_median(m: &Measured, rounds: &[usize]) -> f64 {
    let probes: Vec<f64> = rounds.iter().flat_map(|&r| m.probes[r]).collect();
    Spread::of(&probes).median
}

/// The summary: each pair's sides and ratio, the placements, the host
/// states, the flags.
fn report(bench: &Bench<'_>) {
    println!();
    println!(
        "== summary == ({} rounds per pair, spread over the run: each round times every pair in turn, ours then baseline; \
         per op: median (fastest – slowest, spread); ratio: ours ÷ baseline round by round, lower is better; \
         a pair across cores (free, apart) is reported per host state, NAME@core/@near/@mid/@far, from the rounds whose \
         core-to-core probes before and after fell in that state (core under {CORE_BELOW_NS:.0} ns, near under \
         {NEAR_BELOW_NS:.0} ns, far from \
         {FAR_FROM_NS:.0} ns), when there are at least {MIN_STATE_ROUNDS}; \
         illustration: a ratio that cannot repeat and is no headline, because it measures the scheduler's time slice \
         (the naive turns), follows the host's cross-core copy speed (the batched ring against a socket) \
         or its cost of waking a thread on the other CPU (the blocking round trip against a socket))",
        bench.config.rounds
    );
    let mut all_flags = Vec::new();
    for m in &bench.measured {
        let pair = &m.pair;
        println!("{}", pair.ratio);
        for (label, ns) in [(&pair.ours, &m.ours_ns), (&pair.baseline, &m.baseline_ns)] {
            let s = Spread::of(ns);
            println!(
                "  {label:<40} {:>10} ({} – {}, {:.2}x)",
                time_text(s.median),
                time_text(s.min),
                time_text(s.max),
                s.factor()
            );
        }
        let r = Spread::of(&m.ratios());
        println!(
            "  {:<40} {:>10.3} ({:.3} – {:.3})",
            "ratio, round by round", r.median, r.min, r.max
        );
        let of = m.probes.len();
        for state in HostState::BINS.into_iter().chain([HostState::Changed]) {
            let rounds = m.rounds_in(state);
            if rounds.is_empty() {
                continue;
            }
            if state == HostState::Changed {
                println!(
                    "  host changed: {} of {of} rounds (the probes before and after disagree; in no state's ratio)",
                    rounds.len()
                );
                continue;
            }
            let ours = Spread::of(&pick(&m.ours_ns, &rounds)).median;
            let baseline = Spread::of(&pick(&m.baseline_ns, &rounds)).median;
            let r = Spread::of(&pick(&m.ratios(), &rounds));
            println!(
                "  host {}: {} of {of} rounds, probe median {:.0} ns: ours {}, baseline {}, ratio {} ({} – {}){}",
                state.label(),
                rounds.len(),
                probe_median(m, &rounds),
                time_text(ours),
                time_text(baseline),
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                if rounds.len() < MIN_STATE_ROUNDS {
                    "; too few rounds to report"
                } else {
                    ""
                }
            );
        }
        if let Some((note, _)) = &m.placement_note {
            println!("  placement {note}");
        }
        for (label, (shared, of)) in [(&pair.ours, m.shared_cpu[0]), (&pair.baseline, m.shared_cpu[1])] {
            if of > 0 {
                println!("  cpu {label}: the peer ended {shared} of {of} timings on this process's CPU");
            }
        }
        for flag in pair_flags(m) {
            all_flags.push(format!("FLAG {}: {flag}", pair.ratio));
        }
        for reported in reported(m).0 {
            for flag in round_flags(m, &reported.rounds) {
                all_flags.push(format!("FLAG {}: {flag}", reported.name));
            }
        }
    }
    println!();
    let probed: Vec<&Measured> = bench.measured.iter().filter(|m| !m.probes.is_empty()).collect();
    match &bench.unprobed {
        Some(why) if probed.is_empty() => println!("host core-to-core: not probed ({why})"),
        _ => {
            let count = |state| probed.iter().map(|m| m.rounds_in(state).len()).sum::<usize>();
            let all: Vec<f64> = probed
                .iter()
                .flat_map(|m| m.probes.iter().flatten().copied())
                .collect();
            let range = Spread::of(&all);
            println!(
                "host core-to-core: core {} rounds, near {}, mid {}, far {}, changed {} (probe min–max {:.0} – {:.0} ns)",
                count(HostState::Core),
                count(HostState::Near),
                count(HostState::Mid),
                count(HostState::Far),
                count(HostState::Changed),
                range.min,
                range.max
            );
        }
    }
    for m in &bench.measured {
        let ratios = m.ratios();
        let flagged_pair = !pair_flags(m).is_empty();
        let (reported, few) = reported(m);
        // `scripts/bench.sh --repeat` tabulates only the `ratio` lines.
        let kind = if m.pair.figure == Figure::Headline {
            "ratio"
        } else {
            "illustration"
        };
        for state in HostState::BINS {
            if let Some(&(_, n)) = few.iter().find(|(s, _)| *s == state) {
                println!(
                    "state {}@{} only {n} rounds: not reported",
                    m.pair.ratio,
                    state.label()
                );
            }
            let Some(reported) = reported.iter().find(|r| r.state == Some(state)) else {
                continue;
            };
            let r = Spread::of(&pick(&ratios, &reported.rounds));
            let flagged = flagged_pair || !round_flags(m, &reported.rounds).is_empty();
            println!(
                "{kind} {} {}   (rounds {} – {}; {} of {} rounds, probe median {:.0} ns){}",
                reported.name,
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                reported.rounds.len(),
                m.probes.len(),
                probe_median(m, &reported.rounds),
                if flagged { "  FLAGGED" } else { "" }
            );
        }
        for reported in reported.iter().filter(|r| r.state.is_none()) {
            let r = Spread::of(&pick(&ratios, &reported.rounds));
            let flagged = flagged_pair || !round_flags(m, &reported.rounds).is_empty();
            println!(
                "{kind} {} {}   (rounds {} – {}){}",
                reported.name,
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                if flagged { "  FLAGGED" } else { "" }
            );
        }
    }
    for m in bench
        .measured
        .iter()
        .filter(|m| m.pair.baseline == "stream/bare-ring")
    {
        for (name, ns) in [("stream/ring", &m.ours_ns), ("stream/bare-ring", &m.baseline_ns)] {
            let per_record = Spread::of(ns).median / RECORDS_PER_STREAM as f64;
            println!(
                "{name}: {:.1} M records/s, {:.2} GB/s",
                1e3 / per_record,
                16.0 / per_record
            );
        }
    }
    for flag in all_flags {
        println!("{flag}");
    }
}

/// What the peer process does in each role.
mod peer {
    use super::*;

    pub fn run(role: &str) {
        let cpu = std::env::var("SHM_BENCH_CPU").ok().and_then(|c| c.parse().ok());
        let granted = pin(cpu);
        let name = std::env::var("SHM_BENCH_NAME").unwrap_or_default();
        let dir = std::env::var("SHM_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| bench_dir());
        let count: usize = std::env::var("SHM_BENCH_COUNT")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let region_options = || RegionName::new(&name).map(|n| RegionOptions::named(&n).dir(&dir));
        let ready = || say(&format!("ready {granted}"));
        match role {
            "turns-block" | "turns-spin" => {
                let region = region_options()
                    .ok()
                    .and_then(|o| o.open_existing().ok())
                    .unwrap_or_else(|| panic!("region"));
                ready();
                let spin = role == "turns-spin";
                let turn = turn_of(&region);
                on_command(|n| {
                    for _ in 0..n {
                        let mine = if spin {
                            turn.spin_for_turn(CHILD, PATIENCE)
                        } else {
                            turn.wait_for_turn(CHILD, PATIENCE)
                        };
                        assert!(mine, "the parent went quiet");
                        let msg: ServiceMsg = turn.mailbox();
                        turn.pass_turn_with(PARENT, &ServiceMsg::new(msg.id.wrapping_add(1), msg.now_time));
                    }
                });
            }
            "mutex-naive" | "mutex-futex" => {
                let region = region_options()
                    .ok()
                    .and_then(|o| o.open_existing().ok())
                    .unwrap_or_else(|| panic!("region"));
                let mutex = MutexOptions::for_region(&region)
                    .open_existing()
                    .unwrap_or_else(|e| panic!("{e}"));
                ready();
                let naive = role == "mutex-naive";
                on_command(|n| {
                    for i in 0..n {
                        assert!(
                            take_turn(&region, &mutex, CHILD, PARENT, naive, i as i32),
                            "the parent went quiet"
                        );
                    }
                });
            }
            "bare-ring-consumer" => {
                let ring = BareRing::open(Path::new(&name), false);
                ready();
                let mut buf = vec![0u8; STREAM_BATCH * 16];
                on_command(|n| {
                    for _ in 0..n {
                        ring.receive(&mut buf, count as u64);
                        say("ok");
                    }
                });
            }
            // The cache line's peer: pausing between looks, or yielding at
            // every look (one CPU's floor).
            "cacheline" | "yield-floor" => {
                let line = CacheLine::open(Path::new(&name), false);
                ready();
                if role == "yield-floor" {
                    on_command(|n| line.answer(n, std::thread::yield_now));
                } else {
                    on_command(|n| line.answer(n, std::hint::spin_loop));
                }
            }
            "uds-echo" => {
                let stream = UnixStream::connect(&name).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let mut reader = stream.try_clone().unwrap_or_else(|e| panic!("{e}"));
                let mut writer = stream;
                let mut buf = [0u8; 16];
                while reader.read_exact(&mut buf).is_ok() {
                    if writer.write_all(&buf).and_then(|_| writer.flush()).is_err() {
                        return;
                    }
                }
            }
            "ring-consumer" => {
                let options = region_options().unwrap_or_else(|e| panic!("{e}"));
                let mut receiver =
                    RecordReceiver::<ServiceMsg>::open(&options).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let mut buf = vec![ServiceMsg::default(); STREAM_BATCH];
                // Told how many streams to take, not waiting in `recv_batch`
                // between timings: an idle receiver there wakes every 100 ms
                // to see whether the producer lives (a spin and a membarrier
                // each time, about 1.4 ms of CPU a second), which would
                // disturb the other pairs' timings.
                on_command(|n| {
                    for _ in 0..n {
                        let mut received = 0;
                        while received < count {
                            let got = receiver.recv_batch(&mut buf).unwrap_or_else(|e| panic!("{e}"));
                            assert!(got > 0, "the producer closed mid-stream");
                            black_box(&buf[..got]);
                            received += got;
                        }
                        assert_eq!(received, count, "more records than sent");
                        say("ok");
                    }
                });
            }
            "uds-sink" => {
                let mut stream = UnixStream::connect(&name).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let mut buf = vec![0u8; 1 << 16];
                let mut received = 0;
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    received += n;
                    if received == count {
                        say("ok");
                        received = 0;
                    }
                }
            }
            other => panic!("unknown peer role {other}"),
        }
    }

    fn say(word: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{word}");
        let _ = out.flush();
    }

    /// Parks on stdin (no CPU used) until told `N`, does `work(N)`, says
    /// `done`; returns when the parent closes stdin.
    fn on_command(mut work: impl FnMut(u64)) {
        let stdin = std::io::stdin();
        let mut line = String::new();
        loop {
            line.clear();
            match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let n = line
                .trim()
                .parse()
                .unwrap_or_else(|e| panic!("command {line:?}: {e}"));
            work(n);
            say(&format!("done {}", current_cpu()));
        }
    }

    /// One turn under the mutex; `false` when told to stop or the other side
    /// went quiet.
    pub fn take_turn(
        region: &Region,
        mutex: &NamedMutex,
        me: u32,
        other: u32,
        naive: bool,
        value: i32,
    ) -> bool {
        let turn = turn_of(region);
        let records = region
            .create_view_accessor(RECORDS_OFFSET, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + PATIENCE;
        loop {
            if turn.current() == STOP {
                return false;
            }
            if !naive && !turn.wait_for_turn(me, Duration::from_millis(100)) {
                if Instant::now() > deadline {
                    return false;
                }
                continue;
            }
            let owned = mutex.wait().unwrap_or_else(|e| panic!("{e}"));
            if turn.current() == me {
                let _ = records.write(
                    u64::from(me) * ServiceMsg::SIZE as u64,
                    &ServiceMsg::new(value, 0),
                );
                drop(owned);
                turn.pass_turn(other);
                return true;
            }
            drop(owned);
            if Instant::now() > deadline {
                return false;
            }
        }
    }
}
