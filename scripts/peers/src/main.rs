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

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

mod probe;
mod systems;

use probe::{HostState, Probe};

/// How many records the stream carries.
pub const STREAM_RECORDS: u64 = 1_000_000;
/// The id a client sends to tell a round-trip server to stop.
pub const STOP: i64 = -1;
/// How long a client times round trips in one measurement (after a warm-up).
const ROUND_TRIP_TIMING: Duration = Duration::from_millis(200);
const QUICK_TIMING: Duration = Duration::from_millis(20);
/// Slowest round ÷ fastest round above which a figure is flagged as noisy.
const MAX_SPREAD: f64 = 3.0;
/// Rounds of a full run. Every measurement starts fresh processes, and a
/// cross-core ratio is reported per host state from at least
/// [`MIN_STATE_ROUNDS`] rounds: with 9, a run in which the host spent a
/// third of its time outside `near` had too few `near` rounds for some
/// systems; 15 take about 3 minutes.
const ROUNDS: usize = 15;

/// How two processes wait for each other in one measured system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Sleeps in the kernel (futex, condition variable, socket, semaphore)
    /// when the other side has not answered yet.
    Block,
    /// Never sleeps: polls shared memory.
    Busy,
}

/// One system in one waiting mode.
#[derive(Debug, Clone, Copy)]
pub struct System {
    /// Short name, used in the ratio lines.
    pub key: &'static str,
    /// The library's name and version, for the table.
    pub library: &'static str,
    pub wait: Wait,
    /// How it waits, in words, for the table.
    pub how: &'static str,
    /// Whether its stream is measured in this mode (one stream per system).
    pub streams: bool,
    /// Whether it is Python (`peer.py`) rather than this executable.
    pub python: bool,
    /// Not a library but the floor: the least work the job can take (only
    /// measured where it says something, the round trip on one CPU).
    pub floor: bool,
}

pub const SYSTEMS: &[System] = &[
    System {
        key: "ours-block",
        library: "shared (this repository)",
        wait: Wait::Block,
        how: "Turn::wait_for_turn: up to 2,000 looks at the turn word (yielding every 8), then futex; stream: RecordSender::send (a plain store per record) / recv_batch, spin then futex (membarrier before sleeping)",
        streams: true,
        python: false,
        floor: false,
    },
    System {
        key: "ours-spin",
        library: "shared (this repository)",
        wait: Wait::Busy,
        how: "Turn::spin_for_turn: polls the turn word, never sleeps",
        streams: false,
        python: false,
        floor: false,
    },
    System {
        key: "iceoryx2-event",
        library: "iceoryx2 0.10.0",
        wait: Wait::Block,
        how: "pub-sub [u64;2] + event service per direction: send_copy, notify; Listener::blocking_wait then receive (its event benchmark's way); stream: not measured in this mode (see iceoryx2-busy)",
        streams: false,
        python: false,
        floor: false,
    },
    System {
        key: "iceoryx2-busy",
        library: "iceoryx2 0.10.0",
        wait: Wait::Busy,
        how: "pub-sub [u64;2] per direction, receive() polled in a loop (its publish-subscribe benchmark's way); stream: one sample per record, RetryUntilDelivered, buffer 4096, consumer polls receive()",
        streams: true,
        python: false,
        floor: false,
    },
    System {
        key: "ipc-channel",
        library: "ipc-channel 0.23.1",
        wait: Wait::Block,
        how: "IpcSender<[u64;2]>::send / IpcReceiver::recv (Unix socket, blocking); no busy-wait mode (try_recv is a system call too)",
        streams: true,
        python: false,
        floor: false,
    },
    System {
        key: "raw_sync-event",
        library: "shared_memory 0.12.4 + raw_sync 0.1.5",
        wait: Wait::Block,
        how: "16 bytes in a Shmem + two auto-reset raw_sync::events::Event (process-shared pthread mutex + condvar); stream: no queue in either crate, so a hand-written ring in the Shmem, both sides spinning on its indices",
        streams: true,
        python: false,
        floor: false,
    },
    System {
        key: "raw_sync-busy",
        library: "shared_memory 0.12.4 + raw_sync 0.1.5",
        wait: Wait::Busy,
        how: "16 bytes in a Shmem + two auto-reset raw_sync::events::BusyEvent (compare-and-swap loop)",
        streams: false,
        python: false,
        floor: false,
    },
    System {
        key: "python-event",
        library: "Python multiprocessing (stdlib)",
        wait: Wait::Block,
        how: "multiprocessing.shared_memory 16 bytes + two multiprocessing.Event (semaphore-backed); stream: no queue in the stdlib, so a ring in shared_memory with a full/empty byte per slot, time.sleep(0) while empty/full",
        streams: true,
        python: true,
        floor: false,
    },
    System {
        key: "python-busy",
        library: "Python multiprocessing (stdlib)",
        wait: Wait::Busy,
        how: "multiprocessing.shared_memory 16 bytes + a sequence byte polled in a loop",
        streams: false,
        python: true,
        floor: false,
    },
    System {
        key: "floor-yield",
        library: "none: the floor for one CPU",
        wait: Wait::Block,
        how: "no library: 16 bytes and a sequence word in a Shmem; the waiter calls sched_yield at every look, so a round trip is two system calls and two context switches and nothing else; one CPU only",
        streams: false,
        python: false,
        floor: true,
    },
];

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
            Placement::OneCpu => "one_cpu",
            Placement::Apart => "apart",
        }
    }

    /// The first side's CPU and the second side's.
    fn cpus(self) -> (Option<usize>, Option<usize>) {
        match self {
            Placement::Free => (None, None),
            Placement::OneCpu => (Some(0), Some(0)),
            Placement::Apart => (Some(0), Some(1)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    RoundTrip(Placement),
    Stream,
}

impl Workload {
    fn label(self) -> String {
        match self {
            Workload::RoundTrip(p) => format!("roundtrip_{}", p.label()),
            Workload::Stream => "stream".to_owned(),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Workload::RoundTrip(_) => "per round trip",
            Workload::Stream => "per 1,000,000 records, CPUs 0 and 1; median tenth × 10",
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
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

/// Pins this process to `cpu` (when given) and returns the CPUs it may
/// actually run on, read back from the kernel.
pub fn pin(cpu: Option<usize>) -> String {
    // SAFETY: cpu_set_t is plain data (all zero = empty set); the calls only
    // read or write that set for the calling process.
    unsafe {
        if let Some(cpu) = cpu {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
        let mut got: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut got) != 0 {
            return "unknown".to_owned();
        }
        let cpus: Vec<String> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &got))
            .map(|c| c.to_string())
            .collect();
        cpus.join(",")
    }
}

/// Lets the calling thread run on every online CPU again.
pub fn pin_all() {
    // SAFETY: sysconf reads a value; cpu_set_t is plain data (all zero = the
    // empty set) and sched_setaffinity only reads it, for the calling thread.
    unsafe {
        let cpus = usize::try_from(libc::sysconf(libc::_SC_NPROCESSORS_ONLN)).unwrap_or(1);
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (0..cpus.max(1)).for_each(|c| libc::CPU_SET(c, &mut set));
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A process taking part in one measurement.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn start(
        system: &System,
        workload: Workload,
        side: &str,
        env: &[(&str, String)],
    ) -> Result<Proc, String> {
        let mut command = if system.python {
            let script = std::env::var("SHM_PEERS_PY").unwrap_or_else(|_| "peer.py".to_owned());
            let mut c = Command::new("python3");
            c.arg(script);
            c
        } else {
            let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
            let mut c = Command::new(exe);
            c.arg("role");
            c
        };
        let workload_arg = match workload {
            Workload::RoundTrip(_) => "roundtrip",
            Workload::Stream => "stream",
        };
        command
            .args([system.key, workload_arg, side])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("start {} {side}: {e}", system.key))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Proc { child, stdin, stdout })
    }

    /// The next line the process prints; an error when it exits first.
    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("exited without answering (see its stderr above)".to_owned()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Reads lines until one starts with `word`; returns the rest.
    fn expect(&mut self, word: &str) -> Result<String, String> {
        loop {
            let line = self.line()?;
            if let Some(rest) = line.strip_prefix(word) {
                return Ok(rest.trim().to_owned());
            }
            if let Some(e) = line.strip_prefix("error") {
                return Err(e.trim().to_owned());
            }
        }
    }

    fn go(&mut self) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "go")
            .and_then(|_| stdin.flush())
            .map_err(|e| e.to_string())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measurement: ns per unit, and the CPUs each side was granted.
struct Measured {
    ns: f64,
    affinity: (String, String),
}

fn measure(system: &System, workload: Workload, timing: Duration, run: u32) -> Result<Measured, String> {
    let (cpu, second_cpu) = match workload {
        Workload::RoundTrip(p) => p.cpus(),
        // Producer and consumer on CPUs of their own: where the scheduler
        // puts them decides a stream's speed more than the library does.
        Workload::Stream => Placement::Apart.cpus(),
    };
    let name = format!("shmpeers{}r{run}", std::process::id());
    let mut env = vec![
        ("SHM_PEER_NAME", name),
        ("SHM_PEER_CPU", cpu.map(|c| c.to_string()).unwrap_or_default()),
        (
            "SHM_PEER_CPU2",
            second_cpu.map(|c| c.to_string()).unwrap_or_default(),
        ),
        ("SHM_PEER_TIMING_NS", timing.as_nanos().to_string()),
        ("SHM_PEER_RECORDS", STREAM_RECORDS.to_string()),
    ];
    if system.python {
        // peer.py starts its own second process (multiprocessing), pins both,
        // and prints the same lines as the client / producer side.
        let mut p = Proc::start(system, workload, "both", &env)?;
        let a = p.expect("ready")?;
        p.go()?;
        let b = p.expect("affinity")?;
        let ns: f64 = p.expect("result")?.parse().map_err(|e| format!("result: {e}"))?;
        return Ok(Measured { ns, affinity: (a, b) });
    }
    // The first side sets up (creates the region, service or server) and
    // says what the second needs to find it.
    let mut first = Proc::start(system, workload, "first", &env)?;
    let ready = first.expect("ready")?;
    let (a, info) = ready.split_once(' ').unwrap_or((ready.as_str(), ""));
    let a = a.to_owned();
    env.push(("SHM_PEER_INFO", info.to_owned()));
    env[1].1 = env[2].1.clone();
    let mut second = Proc::start(system, workload, "second", &env)?;
    let b = second.expect("ready")?;
    let b = b.split(' ').next().unwrap_or_default().to_owned();
    // The client / producer is the first side for our ring (the sender
    // creates it) and the second side everywhere else.
    let (driver, other) = if systems::first_drives(system, workload) {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    driver.go()?;
    other.go()?;
    let ns = match workload {
        Workload::RoundTrip(_) => driver
            .expect("result")?
            .parse()
            .map_err(|e| format!("result: {e}"))?,
        Workload::Stream => {
            let start: u64 = driver
                .expect("start")?
                .parse()
                .map_err(|e| format!("start: {e}"))?;
            let end = other.expect("end")?;
            let mut parts = end.split(' ');
            let _end: u64 = parts
                .next()
                .unwrap_or("")
                .parse()
                .map_err(|e| format!("end: {e}"))?;
            let count = parts.next().unwrap_or("");
            if count != STREAM_RECORDS.to_string() {
                return Err(format!("consumer counted {count} records"));
            }
            // Ten tenths of the stream, each timed from the previous mark
            // (the first from the producer's start); the median tenth times
            // ten, so that another process taking a CPU for a few
            // milliseconds does not decide the figure.
            let mut marks = vec![start];
            for mark in parts.next().unwrap_or("").split(',') {
                marks.push(mark.parse().map_err(|e| format!("mark: {e}"))?);
            }
            let mut tenths: Vec<f64> = marks
                .windows(2)
                .map(|w| w[1].saturating_sub(w[0]) as f64)
                .collect();
            tenths.sort_by(f64::total_cmp);
            if tenths.is_empty() {
                return Err("the consumer gave no marks".to_owned());
            }
            let n = tenths.len();
            (tenths[(n - 1) / 2] + tenths[n / 2]) / 2.0 * n as f64
        }
    };
    Ok(Measured { ns, affinity: (a, b) })
}

/// Median, fastest and slowest.
#[derive(Debug, Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Spread {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n == 0 {
            f64::NAN
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Spread {
            median,
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }

    fn factor(&self) -> f64 {
        self.max / self.min
    }
}

/// A ratio with three significant digits (0.00612, 0.149, 14.0).
fn ratio_text(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        return format!("{r}");
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

fn time_text(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick" || a == "--test");
    let mut rounds = if quick { 1 } else { ROUNDS };
    let mut only: Option<Vec<String>> = None;
    let mut workload_filter: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|r| r.parse().ok())
                    .ok_or("--rounds needs a number")?
            }
            "--only" => only = it.next().map(|s| s.split(',').map(str::to_owned).collect()),
            "--workloads" => workload_filter = it.next().map(|s| s.split(',').map(str::to_owned).collect()),
            _ => {}
        }
    }
    let timing = if quick { QUICK_TIMING } else { ROUND_TRIP_TIMING };
    let systems: Vec<&System> = SYSTEMS
        .iter()
        .filter(|s| {
            s.key.starts_with("ours")
                || s.floor
                || only
                    .as_ref()
                    .is_none_or(|o| o.iter().any(|k| s.key.starts_with(k.as_str())))
        })
        .collect();
    let mut workloads = vec![
        Workload::RoundTrip(Placement::Free),
        Workload::RoundTrip(Placement::OneCpu),
        Workload::RoundTrip(Placement::Apart),
        Workload::Stream,
    ];
    if quick {
        workloads.truncate(1);
    }
    if let Some(filter) = &workload_filter {
        workloads.retain(|w| filter.contains(&w.label()));
    }
    let applies = |s: &System, w: Workload| match w {
        _ if s.floor => w == Workload::RoundTrip(Placement::OneCpu),
        // Two busy-waiters on one CPU hand over once per scheduler time
        // slice: that measures the scheduler, not the library.
        Workload::RoundTrip(Placement::OneCpu) => s.wait == Wait::Block,
        Workload::RoundTrip(Placement::Free | Placement::Apart) => true,
        Workload::Stream => s.streams,
    };
    // results[(workload, system)] = per-round ns (NaN for a round that
    // failed), errors[...] = what went wrong in those rounds.
    let mut results: Results = Default::default();
    let mut states: States = Default::default();
    let mut probes: Vec<f64> = Vec::new();
    let probe = Probe::new();
    let mut errors: Errors = Default::default();
    let mut affinity_notes: Vec<String> = Vec::new();
    let mut run = 0u32;
    eprintln!("peers: {rounds} rounds; every round measures every system once, in turn");
    for round in 0..rounds {
        for &workload in &workloads {
            for system in systems.iter().filter(|s| applies(s, workload)) {
                let key = (workload.label(), system.key);
                run += 1;
                let began = Instant::now();
                // Cross-core workloads: the host state before and after.
                let before = probed(workload).then(|| probe.measure());
                let outcome = measure(system, workload, timing, run);
                let state = before.and_then(|before| {
                    let after = probe.measure();
                    probes.extend([before, after]);
                    let state = HostState::of(before);
                    (state == HostState::of(after)).then_some(state)
                });
                states.entry(key.clone()).or_default().push(state);
                match outcome {
                    Ok(m) => {
                        let (want_a, want_b) = match workload {
                            Workload::RoundTrip(Placement::OneCpu) => (Some("0"), Some("0")),
                            Workload::RoundTrip(Placement::Apart) | Workload::Stream => {
                                (Some("0"), Some("1"))
                            }
                            _ => (None, None),
                        };
                        for (granted, want) in [(&m.affinity.0, want_a), (&m.affinity.1, want_b)] {
                            if let Some(want) = want {
                                if granted != want {
                                    affinity_notes.push(format!(
                                        "FLAG {} {}: asked for CPU {want}, granted CPUs {granted} (pinning refused)",
                                        workload.label(),
                                        system.key
                                    ));
                                }
                            }
                        }
                        if round == 0 {
                            affinity_notes.push(format!(
                                "placement {} {}: CPUs granted {} / {}",
                                workload.label(),
                                system.key,
                                m.affinity.0,
                                m.affinity.1
                            ));
                        }
                        eprintln!(
                            "  round {} {:<18} {:<15} {:>10} ({:.1} s)",
                            round + 1,
                            workload.label(),
                            system.key,
                            time_text(m.ns),
                            began.elapsed().as_secs_f64()
                        );
                        results.entry(key).or_default().push(m.ns);
                    }
                    Err(e) => {
                        eprintln!(
                            "  round {} {} {}: FAILED: {e}",
                            round + 1,
                            workload.label(),
                            system.key
                        );
                        results.entry(key.clone()).or_default().push(f64::NAN);
                        errors.entry(key).or_default().push(e);
                    }
                }
            }
        }
    }
    report(
        &systems,
        &workloads,
        &Measurements {
            results: &results,
            states: &states,
            probes: &probes,
            errors: &errors,
        },
        &affinity_notes,
        rounds,
    );
    Ok(())
}

/// A cross-core ratio is reported for a host state seen in at least this
/// many rounds (with fewer, one odd round would be the median).
const MIN_STATE_ROUNDS: usize = 3;

/// Prints `ratio NAME V (… rounds MIN – MAX …)` from (ours, theirs) per
/// round, and flags a side whose rounds spread over [`MAX_SPREAD`].
fn ratio_line(
    name: &str,
    (ours, theirs): (&str, &str),
    pairs: &[(f64, f64)],
    extra: &str,
    flags: &mut Vec<String>,
) {
    let ratios: Vec<f64> = pairs.iter().map(|(a, b)| a / b).collect();
    let r = Spread::of(&ratios);
    let mut flagged = "";
    for (label, values) in [
        (ours, pairs.iter().map(|p| p.0).collect::<Vec<_>>()),
        (theirs, pairs.iter().map(|p| p.1).collect()),
    ] {
        let sp = Spread::of(&values);
        if sp.factor() > MAX_SPREAD {
            flagged = "  FLAGGED";
            flags.push(format!(
                "FLAG {name} {label}: spread {:.2}x over {MAX_SPREAD}x in the rounds this ratio uses",
                sp.factor()
            ));
        }
    }
    println!(
        "ratio {name} {}   ({ours} ÷ {theirs}; rounds {} – {}{extra}){flagged}",
        ratio_text(r.median),
        ratio_text(r.min),
        ratio_text(r.max)
    );
}

/// One line: how often each host state held through a whole measurement.
fn host_summary(probes: &[f64]) {
    if probes.is_empty() {
        return;
    }
    let mut counts = [0usize; 4];
    let mut changed = 0;
    for pair in probes.chunks(2) {
        match pair {
            [a, b] if HostState::of(*a) == HostState::of(*b) => counts[HostState::of(*a) as usize] += 1,
            _ => changed += 1,
        }
    }
    let sp = Spread::of(probes);
    println!(
        "host core-to-core: core {} measurements, near {}, mid {}, far {}, changed {changed} (probe {} – {}, median {})",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        time_text(sp.min),
        time_text(sp.max),
        time_text(sp.median)
    );
    println!();
}

type Results<'s> = std::collections::BTreeMap<(String, &'s str), Vec<f64>>;
/// The host state of each round of each measurement (`None`: not probed, or
/// the state changed during the measurement).
type States<'s> = std::collections::BTreeMap<(String, &'s str), Vec<Option<HostState>>>;

/// Everything one run measured.
struct Measurements<'m, 's> {
    results: &'m Results<'s>,
    states: &'m States<'s>,
    probes: &'m [f64],
    errors: &'m Errors<'s>,
}

/// Whether a workload crosses cores, so that its rounds are bracketed by
/// host-state probes and its ratios reported per state.
fn probed(w: Workload) -> bool {
    w != Workload::RoundTrip(Placement::OneCpu)
}
type Errors<'s> = std::collections::BTreeMap<(String, &'s str), Vec<String>>;

/// The rounds that succeeded, or the first error when none did.
fn rounds_of(results: &Results, errors: &Errors, key: &(String, &str)) -> Option<Result<Vec<f64>, String>> {
    let all = results.get(key)?;
    let ok: Vec<f64> = all.iter().copied().filter(|v| !v.is_nan()).collect();
    match errors.get(key).and_then(|e| e.first()) {
        Some(e) if ok.is_empty() => Some(Err(format!("failed in every round: {e}"))),
        _ => Some(Ok(ok)),
    }
}

fn report(systems: &[&System], workloads: &[Workload], m: &Measurements, notes: &[String], rounds: usize) {
    let (results, errors) = (m.results, m.errors);
    println!();
    println!("== peers == ({rounds} rounds, interleaved; median (fastest – slowest) of the rounds)");
    println!();
    println!("| system | library | waits | how it waits |");
    println!("|---|---|---|---|");
    for s in systems {
        let wait = match s.wait {
            Wait::Block => "blocking / event",
            Wait::Busy => "busy-poll",
        };
        println!("| {} | {} | {wait} | {} |", s.key, s.library, s.how);
    }
    for &w in workloads {
        println!();
        println!(
            "| {} ({}) | median | fastest – slowest | spread |",
            w.label(),
            w.unit()
        );
        println!("|---|---|---|---|");
        for s in systems {
            match rounds_of(results, errors, &(w.label(), s.key)) {
                Some(Ok(v)) => {
                    let sp = Spread::of(&v);
                    println!(
                        "| {} | {} | {} – {} | {:.2}x |",
                        s.key,
                        time_text(sp.median),
                        time_text(sp.min),
                        time_text(sp.max),
                        sp.factor()
                    );
                }
                Some(Err(e)) => println!("| {} | FAILED: {e} | | |", s.key),
                None if s.floor => {}
                None => println!("| {} | not measured (see notes) | | |", s.key),
            }
        }
    }
    println!();
    host_summary(m.probes);
    let mut flags = Vec::new();
    // Ratios: ours in the same waiting class ÷ the peer, round by round.
    for &w in workloads {
        for s in systems.iter().filter(|s| !s.key.starts_with("ours")) {
            let ours_key = match (w, s.wait) {
                (Workload::Stream, _) => "ours-block",
                (_, Wait::Block) => "ours-block",
                (_, Wait::Busy) => "ours-spin",
            };
            let name = format!("{}_vs_{}", w.label(), s.key.replace('-', "_"));
            let ours_key_t = (w.label(), ours_key);
            let key_t = (w.label(), s.key);
            match (
                rounds_of(results, errors, &ours_key_t),
                rounds_of(results, errors, &key_t),
            ) {
                (Some(Ok(_)), Some(Ok(_))) => {
                    // Round by round, only rounds where both sides succeeded
                    // (and, across cores, both ran in the same host state).
                    let both: Vec<(f64, f64, Option<HostState>, Option<HostState>)> = results[&ours_key_t]
                        .iter()
                        .zip(&results[&key_t])
                        .zip(m.states[&ours_key_t].iter().zip(&m.states[&key_t]))
                        .map(|((&a, &b), (&sa, &sb))| (a, b, sa, sb))
                        .filter(|(a, b, _, _)| !a.is_nan() && !b.is_nan())
                        .collect();
                    let sides = (ours_key, s.key);
                    if !probed(w) {
                        let pairs: Vec<(f64, f64)> = both.iter().map(|&(a, b, _, _)| (a, b)).collect();
                        ratio_line(&name, sides, &pairs, "", &mut flags);
                        continue;
                    }
                    for state in HostState::ALL {
                        let pairs: Vec<(f64, f64)> = both
                            .iter()
                            .filter(|&&(_, _, sa, sb)| sa == Some(state) && sb == Some(state))
                            .map(|&(a, b, _, _)| (a, b))
                            .collect();
                        let state_name = format!("{name}@{}", state.label());
                        match pairs.len() {
                            0 => {}
                            n if n < MIN_STATE_ROUNDS => println!(
                                "state {state_name} only {n} rounds (core-to-core {}): not reported",
                                state.range()
                            ),
                            n => {
                                let extra =
                                    format!("; {n} of {} rounds, core-to-core {}", both.len(), state.range());
                                ratio_line(&state_name, sides, &pairs, &extra, &mut flags);
                            }
                        }
                    }
                }
                (_, Some(Err(e))) => println!("ratio {name} n/a   ({} failed: {e})", s.key),
                (Some(Err(e)), _) => println!("ratio {name} n/a   ({ours_key} failed: {e})"),
                _ if s.floor => {}
                _ => {
                    let why = match w {
                        Workload::RoundTrip(Placement::OneCpu) => {
                            "busy-waiting on one CPU hands over once per time slice: not measured"
                        }
                        Workload::Stream => "one stream per system, measured in its other mode",
                        _ => "not measured",
                    };
                    println!("ratio {name} n/a   ({why})");
                }
            }
        }
    }
    for ((workload, key), errs) in errors {
        if let Some(first) = errs.first() {
            flags.push(format!(
                "FAILED {workload} {key}: {} of {rounds} rounds failed; first error: {first}",
                errs.len()
            ));
        }
    }
    println!();
    for note in notes.iter().chain(&flags) {
        println!("{note}");
    }
}
