//! The same two workloads through `shared` and through the IPC libraries
//! people pick instead, measured in one run, interleaved round by round.
//!
//! `shm-peers bench [--quick] [--rounds N]` is the driver (run by
//! `scripts/bench.sh --peers`). For every measurement it starts two fresh
//! processes (this executable again, or `peer.py` for Python), pinned as the
//! placement says, waits until both are set up, says "go", and reads the
//! result back:
//!
//! 1. round trip of a 16-byte message: the client sends, the server answers
//!    with the value plus one, the client checks it; timed by the client;
//! 2. one-way stream of 1,000,000 16-byte records: the producer sends them one
//!    by one, the consumer checks their order and count; timed from the
//!    producer's first send to the consumer's last receive (both read
//!    CLOCK_MONOTONIC, which every process on the machine shares).
//!
//! Every round measures every system once, ours and the peers one after the
//! other; a ratio is ours ÷ theirs within a round, reported as the median of
//! the rounds with its min–max spread.
//!
//! The files: [`harness`] (the run: arguments, rounds, every system in
//! turn), [`process`] (one measurement: its two processes and what they
//! say), [`systems`] (the systems measured and each one's two sides),
//! [`probe`] (the host probe) and [`report`] (the tables, the ratios, the
//! flags). Placement and pinning, ending a child process, the host states,
//! the spread of rounds and the ratio and time text are in
//! `scripts/bench-support`, shared with the benchmarks
//! (`shared/benches/ipc/`).

mod harness;
mod probe;
mod process;
mod report;
mod systems;

use bench_support::placement::Placement;

/// How many records the stream carries.
pub const STREAM_RECORDS: u64 = 1_000_000;
/// The id a client sends to tell a round-trip server to stop.
pub const STOP: i64 = -1;

/// What one measurement does: the round trip in a placement, or the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    RoundTrip(Placement),
    Stream,
}

impl Workload {
    pub fn label(self) -> String {
        match self {
            // Ratio names are words joined by `_`: `roundtrip_one_cpu`.
            Workload::RoundTrip(p) => format!("roundtrip_{}", p.label().replace('-', "_")),
            Workload::Stream => "stream".to_owned(),
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Workload::RoundTrip(_) => "per round trip",
            Workload::Stream => "per 1,000,000 records, CPUs 0 and 1; median tenth × 10",
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => harness::bench(&args[1..]),
        Some("role") => systems::role(&args[1..]),
        _ => Err("usage: shm-peers bench [--quick] [--rounds N] [--only KEY,KEY] [--workloads roundtrip_free,roundtrip_one_cpu,stream]".to_owned()),
    };
    if let Err(e) = result {
        eprintln!("shm-peers: {e}");
        std::process::exit(1);
    }
}

/// CLOCK_MONOTONIC in ns: one clock for every process on the machine.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
