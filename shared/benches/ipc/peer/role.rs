//! The peer processes, the peer's side: what this executable does when
//! run as a peer (`SHM_BENCH_PEER=<role>`, see [`crate::peer`]), one role
//! per kind of side: the turn and mutex round trips, the bare ring's and our
//! ring's consumers, the cache line's answerer, the sockets' echo and sink,
//! and the one-way latency's receivers (our ring's and the bare floors').

use std::io::{BufRead, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::hint::black_box;

use bench_support::placement::{current_cpu, pin};
use shared::demo::layout::RECORDS_OFFSET;
use shared::demo::ServiceMsg;
use shared::os::linux::RegionOptionsExt;
use shared::ring::RecordReceiver;
use shared::{MutexOptions, NamedMutex, Region, RegionName, RegionOptions};

use crate::baselines::{BareRing, CacheLine};
use crate::files::{bench_dir, turn_of};
use crate::pairs::latency::{consume, consume_bare, OneWayLine};
use crate::pairs::latest::{Mode, Writer, WRITES_PER_SEC};
use crate::peer::{CHILD, PARENT, PATIENCE};
use crate::stream_shape::STREAM_BATCH;

/// The turn at which a side of the mutex turns stops taking turns.
const STOP: u32 = u32::MAX;

/// Runs this process as the peer in `role`: pins itself as told, sets up,
/// says `ready CPUS` and serves until the parent closes its stdin or socket.
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
            let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).unwrap_or_else(|e| panic!("{e}"));
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
        // A lone record's receiver (see `pairs/latency.rs`): ours through
        // `recv`, acknowledging on the shared line named by SHM_BENCH_CONTROL.
        "one-way-ring" => {
            let options = region_options().unwrap_or_else(|e| panic!("{e}"));
            let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).unwrap_or_else(|e| panic!("{e}"));
            let control =
                std::env::var("SHM_BENCH_CONTROL").unwrap_or_else(|e| panic!("SHM_BENCH_CONTROL: {e}"));
            let line = OneWayLine::open(Path::new(&control), false);
            ready();
            let mut received = 0;
            on_command(|n| {
                consume(&line, n, &mut received, || {
                    let msg = receiver
                        .recv()
                        .unwrap_or_else(|e| panic!("{e}"))
                        .unwrap_or_else(|| panic!("the producer closed the ring"));
                    msg.now_time as u64
                })
            });
        }
        // The floors' receivers: the bare record line, spinning or asleep
        // on its futex.
        "one-way-spin" | "one-way-futex" => {
            let line = OneWayLine::open(Path::new(&name), false);
            ready();
            let futex = role == "one-way-futex";
            let (mut received, mut seen) = (0, 0);
            on_command(|n| consume_bare(&line, n, &mut received, &mut seen, futex));
        }
        // The latest-value pairs' writer (see `pairs/latest.rs`).
        "latest-writer" => {
            let region = region_options()
                .ok()
                .and_then(|o| o.open_existing().ok())
                .unwrap_or_else(|| panic!("region"));
            let mode = std::env::var("SHM_BENCH_MODE").unwrap_or_default();
            let rate = std::env::var("SHM_BENCH_RATE")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(WRITES_PER_SEC);
            let mut writer = Writer::new(region, Mode::from_label(&mode), rate);
            ready();
            on_command(|_| writer.write_while_told());
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
pub fn take_turn(region: &Region, mutex: &NamedMutex, me: u32, other: u32, naive: bool, value: i32) -> bool {
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
