//! How fast the library is, next to the baseline each figure must be read
//! against (`cargo bench -p shared --features demo --bench ipc`, since it
//! measures the demo's record and layout; or `scripts/bench.sh` for the
//! summary and `scripts/bench.sh --repeat 3` for the repeatability table).
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
//! Latency percentiles. Every round-trip pair (the pingpongs, the futex
//! turns) is also sampled: after its two timings in each round, ours and
//! then the baseline take round trips one at a time, each timed alone into
//! an `hdrhistogram` ([`Latency`]), with processes of their own so that the
//! timings stay as they were; a probe after the samplings files them under
//! a host state, as a ratio's rounds are. Two latency pairs are only
//! sampled (no timings, no ratio; [`one_way`]): a lone record's one-way
//! latency through our ring against a bare floor, its receiver spinning
//! (`latency_one_way_spin_vs_cacheline`) or asleep
//! (`latency_one_way_sleep_vs_futex`), the send time carried in the record
//! (the kernel's monotonic clock, see [`Clock`]). The report gives p50,
//! p99, p99.9 and max, ours beside the baseline, per host state (`latency
//! NAME@STATE ...` lines), and a `FLAG` when p99.9 is over [`TAIL_FACTOR`]
//! times p50, saying which of a sleep, the scheduler or the host the counts
//! point to ([`tail_flag`]). The medians are the ratio lines': timing each
//! round trip slows ours more than the bare line (see `docs/performance.md`).
//!
//! Cross-process cases start one peer process (this executable, re-run with
//! `SHM_BENCH_PEER=<role>`). Placements: `free` (the scheduler decides),
//! `one-cpu` (both pinned to CPU 0) and `apart` (CPU 0 and CPU 1); each side
//! reads back the CPUs the kernel actually granted, and this process pins
//! itself again before each pair's timings in every round.
//!
//! Arguments: `--test` (what `cargo bench -- --test` runs: every pair in
//! [`TEST_ROUNDS`] rounds of short timings, nothing asserted about speed,
//! after [`self_test`]), `--self-test` (only the checks of the report's
//! rules, [`self_test`]: this program has no test harness, so `#[test]`
//! functions would never run; `cargo test -p shared --features demo --bench
//! ipc -- --self-test` runs them too), and any other word filters the pairs
//! by name (`scripts/bench.sh pingpong`, `scripts/bench.sh latency`).
//!
//! The files: [`harness`] (the pairs, their rounds, the command line),
//! [`probe`] (the core-to-core probe), [`peer`] (the peer processes and
//! their roles), [`pairs`] (each workload's pairs and our sides),
//! [`baselines`] (the baselines' sides), [`files`] (names, files and
//! regions the sides create) and [`report`] (the summary and its flags).
//! Placement and pinning, ending a peer process, the host states, the
//! spread of rounds and the ratio and time text are in
//! `scripts/bench-support`, shared with `scripts/peers`. The benchmarks run
//! on Linux only (CPU pinning, futexes, `/dev/shm`); elsewhere this program
//! only says so.
//!
//! [`Pair`]: harness::Pair
//! [`Pair::figure`]: harness::Pair::figure
//! [`Bench::compare`]: harness::Bench::compare
//! [`Bench::run_rounds`]: harness::Bench::run_rounds
//! [`ROUNDS`]: harness::ROUNDS
//! [`TEST_ROUNDS`]: harness::TEST_ROUNDS
//! [`TIMING`]: harness::TIMING
//! [`SLICES`]: slices::SLICES
//! [`sliced`]: harness::sliced
//! [`ILLUSTRATION_ITERS`]: harness::ILLUSTRATION_ITERS
//! [`MAX_SPREAD`]: bench_support::spread::MAX_SPREAD
//! [`FLOOR_TOLERANCE`]: report::FLOOR_TOLERANCE
//! [`CoreProbe`]: probe::CoreProbe
//! [`CORE_BELOW_NS`]: bench_support::host_state::CORE_BELOW_NS
//! [`NEAR_BELOW_NS`]: bench_support::host_state::NEAR_BELOW_NS
//! [`FAR_FROM_NS`]: bench_support::host_state::FAR_FROM_NS
//! [`MIN_STATE_ROUNDS`]: bench_support::host_state::MIN_STATE_ROUNDS
//! [`BareRing`]: baselines::BareRing
//! [`Latency`]: harness::Latency
//! [`one_way`]: pairs::latency::one_way
//! [`Clock`]: clock::Clock
//! [`TAIL_FACTOR`]: report::TAIL_FACTOR
//! [`tail_flag`]: report::tail_flag
//! [`self_test`]: report::self_test

#[cfg(target_os = "linux")]
mod baselines;
#[cfg(target_os = "linux")]
mod clock;
#[cfg(target_os = "linux")]
mod files;
#[cfg(target_os = "linux")]
mod harness;
#[cfg(target_os = "linux")]
mod pairs;
#[cfg(target_os = "linux")]
mod peer;
#[cfg(target_os = "linux")]
mod probe;
#[cfg(target_os = "linux")]
mod report;
#[cfg(target_os = "linux")]
mod slices;
#[cfg(target_os = "linux")]
mod stream_shape;

#[cfg(target_os = "linux")]
fn main() {
    use std::cell::RefCell;

    use files::{demo_region, unique};
    use harness::{Bench, Config};
    use pairs::accessor::{AccessorCase, ACCESSOR_NAMES};
    use pairs::stream::Streams;

    if let Ok(role) = std::env::var(peer::PEER_ENV) {
        peer::role::run(&role);
        return;
    }
    let config = Config::from_args();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let self_test = std::env::args().any(|a| a == "--self-test");
    if self_test || std::env::args().any(|a| a == "--test") {
        let passed = report::self_test();
        if !passed {
            std::process::exit(1);
        }
        if self_test {
            return;
        }
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
    pairs::pingpong::pingpong(&mut bench);
    pairs::turns::turns(&mut bench);
    pairs::latency::one_way(&mut bench);
    pairs::stream::streaming(&mut bench, &streams);
    if let Some(case) = &accessor_case {
        pairs::accessor::accessor(&mut bench, case);
    }
    pairs::latest::latest(&mut bench);
    pairs::region::region_lifecycle(&mut bench);
    bench.run_rounds();
    report::report(&bench);
}

/// Elsewhere the benchmarks do not build (they pin CPUs, wait on futexes and
/// map files in `/dev/shm`): this program only says so.
#[cfg(not(target_os = "linux"))]
fn main() {
    println!("the ipc benchmarks run on Linux only");
}
