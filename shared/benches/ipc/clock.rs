//! The clock every latency sample reads, and what a read of it costs: below
//! both the harness, which reports that cost, and the latency pairs, which
//! read the clock.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The clock every latency sample is read from, the same in every process
/// of the run.
///
/// Where the kernel keeps its time with the TSC (its clocksource is `tsc`,
/// as on this host), `CLOCK_MONOTONIC` is that very counter, scaled, and
/// the kernel has found it in step on every CPU; the samples then read the
/// counter itself with a bare `rdtsc`. `clock_gettime` reads it behind an
/// ordering fence (`lfence` or `rdtscp`), and on this host that fence, read
/// between two hand-overs, made a bare cache line's round trip between the
/// two CPUs 240 ns instead of the 130 ns its timed loop takes (a bare
/// `rdtsc`: 130 ns; the fence's own cost is about 20 ns): the fence keeps
/// the next hand-over from starting while the last one ends, so it
/// measures another loop. Elsewhere, or with `SHM_BENCH_CLOCK=monotonic`,
/// the samples read `CLOCK_MONOTONIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Tsc,
    Monotonic,
}

impl Clock {
    /// The run's clock, decided alike in every process of the run (the
    /// peers inherit the environment and read the same file).
    pub fn of_run() -> Clock {
        static CLOCK: OnceLock<Clock> = OnceLock::new();
        *CLOCK.get_or_init(|| {
            let forced = std::env::var("SHM_BENCH_CLOCK").is_ok_and(|c| c == "monotonic");
            let source =
                std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
                    .unwrap_or_default();
            if cfg!(target_arch = "x86_64") && !forced && source.trim() == "tsc" {
                Clock::Tsc
            } else {
                Clock::Monotonic
            }
        })
    }

    /// How the report names it.
    pub fn text(self) -> String {
        match self {
            Clock::Tsc => format!(
                "the TSC, the kernel's clocksource, read bare ({:.3} ticks a ns)",
                ticks_per_ns()
            ),
            Clock::Monotonic => "CLOCK_MONOTONIC".to_owned(),
        }
    }
}

/// Now, in the run's clock's units (TSC ticks, or ns of `CLOCK_MONOTONIC`).
#[inline]
pub fn ticks() -> u64 {
    match Clock::of_run() {
        Clock::Tsc => tsc(),
        Clock::Monotonic => monotonic_ns(),
    }
}

/// The time-stamp counter, read without a fence.
#[cfg(target_arch = "x86_64")]
#[inline]
fn tsc() -> u64 {
    // SAFETY: `rdtsc` only reads the time-stamp counter, which every x86_64
    // CPU has; it touches no memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Never chosen off x86_64 ([`Clock::of_run`]).
#[cfg(not(target_arch = "x86_64"))]
fn tsc() -> u64 {
    monotonic_ns()
}

/// `CLOCK_MONOTONIC`, in ns.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the time into `ts`, which we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec * 1_000_000_000 + ts.tv_nsec).max(0) as u64
}

/// Ticks of the run's clock per ns: 1 for `CLOCK_MONOTONIC`; the TSC's
/// measured once against `CLOCK_MONOTONIC` over 20 ms.
pub fn ticks_per_ns() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| match Clock::of_run() {
        Clock::Monotonic => 1.0,
        Clock::Tsc => {
            let (ticks, ns) = (tsc(), monotonic_ns());
            std::thread::sleep(Duration::from_millis(20));
            (tsc() - ticks) as f64 / (monotonic_ns() - ns) as f64
        }
    })
}

/// `ticks` of the run's clock in ns.
pub fn to_ns(ticks: u64) -> u64 {
    (ticks as f64 / ticks_per_ns()).round() as u64
}

/// What one read of the run's clock costs here (ns; the median of five runs
/// of 10,000 reads back to back): each sample holds about one.
pub fn clock_read_ns() -> f64 {
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..10_000 {
                black_box(ticks());
            }
            start.elapsed().as_nanos() as f64 / 10_000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}
