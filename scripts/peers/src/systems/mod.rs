//! The systems measured ([`SYSTEMS`]: ours and the peers, each in a
//! waiting mode) and each one's two sides (`shm-peers role KEY WORKLOAD
//! first|second`), one file per library: [`ours`], [`ice`] (iceoryx2),
//! [`ipcc`] (ipc-channel), [`rawsync`] (shared_memory + raw_sync) and
//! [`floor`] (no library: one CPU's floor). Python's sides are `peer.py`.
//!
//! Protocol with the driver, on stdout: `ready CPUS [INFO]` once set up (the
//! driver passes INFO to the second side as SHM_PEER_INFO), then, after `go`
//! on stdin, `result NS` (round-trip client), `start NS` (stream producer) or
//! `end NS COUNT` (stream consumer), or `error TEXT`.

mod floor;
mod ice;
mod ipcc;
mod ours;
mod rawsync;

use std::io::{BufRead, Write};
use std::sync::atomic::{compiler_fence, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_support::placement::{granted_cpus, pin};

use crate::{monotonic_ns, Workload, STOP, STREAM_RECORDS};

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

type Res<T> = Result<T, String>;

fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Whether the first side is the one that sends (client / producer).
pub fn first_drives(system: &System, workload: Workload) -> bool {
    matches!(workload, Workload::Stream) && system.key.starts_with("ours")
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn wait_go() -> Res<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(err("stdin"))?;
    if line.trim() == "go" {
        Ok(())
    } else {
        Err("the driver went away".to_owned())
    }
}

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_default()
}

/// A round-trip client: sends `v`, returns the answer.
trait Client {
    fn call(&mut self, v: i64) -> Res<i64>;
}

/// Warms up, then times round trips for about SHM_PEER_TIMING_NS; ns per round trip.
fn time_client(client: &mut dyn Client) -> Res<f64> {
    let timing = Duration::from_nanos(env("SHM_PEER_TIMING_NS").parse().unwrap_or(250_000_000));
    let mut v = 0i64;
    let one = |client: &mut dyn Client, v: &mut i64| -> Res<()> {
        let back = client.call(*v)?;
        if back != *v + 1 {
            return Err(format!("sent {v}, got {back} back"));
        }
        *v += 1;
        Ok(())
    };
    let warm = Instant::now();
    while warm.elapsed() < timing / 5 {
        for _ in 0..64 {
            one(client, &mut v)?;
        }
    }
    // Ten slices of the timing; the median slice, so that another process
    // taking the CPU for a few milliseconds does not decide the figure.
    let mut slices = Vec::new();
    for _ in 0..CHUNKS {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < timing / CHUNKS {
            for _ in 0..64 {
                one(client, &mut v)?;
            }
            n += 64;
        }
        slices.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    slices.sort_by(f64::total_cmp);
    Ok((slices[CHUNKS as usize / 2 - 1] + slices[CHUNKS as usize / 2]) / 2.0)
}

/// Slices of a round-trip timing.
const CHUNKS: u32 = 10;

pub fn role(args: &[String]) -> Res<()> {
    let [key, workload, side] = args else {
        return Err("role KEY roundtrip|stream first|second".to_owned());
    };
    let cpu = env("SHM_PEER_CPU").parse().ok();
    // Not told a CPU: stays where the driver left it.
    let cpus = cpu.map_or_else(granted_cpus, |cpu| pin(Some(cpu)));
    let name = env("SHM_PEER_NAME");
    let info = env("SHM_PEER_INFO");
    let n = env("SHM_PEER_RECORDS").parse().unwrap_or(STREAM_RECORDS);
    let first = side == "first";
    let outcome = match (key.as_str(), workload.as_str()) {
        ("ours-block" | "ours-spin", "roundtrip") => {
            ours::round_trip(&name, first, key == "ours-spin", &cpus)
        }
        ("ours-block", "stream") => ours::stream(&name, first, n, &cpus),
        ("iceoryx2-event" | "iceoryx2-busy", "roundtrip") => {
            ice::round_trip(&name, first, key == "iceoryx2-event", &cpus)
        }
        ("iceoryx2-busy", "stream") => ice::stream(&name, first, n, &cpus),
        ("ipc-channel", "roundtrip") => ipcc::round_trip(first, &info, &cpus),
        ("ipc-channel", "stream") => ipcc::stream(first, &info, n, &cpus),
        ("raw_sync-event" | "raw_sync-busy", "roundtrip") => {
            rawsync::round_trip(&name, first, key == "raw_sync-busy", &cpus)
        }
        ("raw_sync-event", "stream") => rawsync::stream(&name, first, n, &cpus),
        ("floor-yield", "roundtrip") => floor::round_trip(&name, first, &cpus),
        _ => Err(format!("{key} cannot do {workload}")),
    };
    if let Err(e) = &outcome {
        say(&format!("error {e}"));
    }
    outcome
}

/// Runs one side of a round trip: the client times and reports; the server
/// answers until told to stop.
fn run_round_trip(first: bool, client: Option<&mut dyn Client>, serve: impl FnOnce() -> Res<()>) -> Res<()> {
    wait_go()?;
    match client {
        Some(client) if !first => {
            let ns = time_client(client)?;
            say(&format!("result {ns}"));
            Ok(())
        }
        _ => serve(),
    }
}

/// Checks a stream's records as they arrive.
struct Checker {
    next: u64,
    /// Records per tenth of the stream.
    tenth: u64,
    /// CLOCK_MONOTONIC when each tenth of the stream had arrived.
    marks: Vec<u64>,
}

impl Checker {
    fn new(n: u64) -> Checker {
        Checker {
            next: 0,
            tenth: (n / 10).max(1),
            marks: Vec::with_capacity(10),
        }
    }

    fn see(&mut self, id: u64) -> Res<()> {
        if id != self.next {
            return Err(format!("record {} arrived where {} was due", id, self.next));
        }
        self.next += 1;
        if self.next.is_multiple_of(self.tenth) {
            self.marks.push(monotonic_ns());
        }
        Ok(())
    }

    fn done(&self) {
        let marks: Vec<String> = self.marks.iter().map(u64::to_string).collect();
        say(&format!(
            "end {} {} {}",
            monotonic_ns(),
            self.next,
            marks.join(",")
        ));
    }
}
