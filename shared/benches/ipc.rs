//! How fast the library is, next to the baselines it must beat, all measured
//! side by side in one run (`cargo bench -p shared --bench ipc`, or
//! `scripts/bench.sh` for the short table and the ratios).
//!
//! Cross-process cases start one peer process per benchmark (this same
//! executable, re-run with `SHM_BENCH_PEER=<role>`), and time the work with
//! `iter_custom`. Placements: `free` (the scheduler decides), `one-cpu` (both
//! processes pinned to CPU 0) and `apart` (CPU 0 and CPU 1).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use shared::layout::RECORDS_OFFSET;
use shared::stream::{RecordReceiver, RecordSender};
use shared::{NamedMutex, Region, RegionName, RegionOptions, ServiceMsg};

const PEER_ENV: &str = "SHM_BENCH_PEER";
const RECORDS_PER_STREAM: usize = 1_000_000;
const STREAM_BATCH: usize = 4096;
const RECORDS_PER_RECORD_STREAM: usize = 100_000;
const ACCESSOR_RECORDS: usize = 1024;
const STOP: u32 = u32::MAX;
const PARENT: u32 = 1;
const CHILD: u32 = 2;
const PATIENCE: Duration = Duration::from_secs(30);

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

    fn cpus(self) -> (Option<usize>, Option<usize>) {
        match self {
            Placement::Free => (None, None),
            Placement::OneCpu => (Some(0), Some(0)),
            Placement::Apart => (Some(0), Some(1)),
        }
    }

    fn all() -> Vec<Placement> {
        let cpus = cpu_count();
        let mut all = vec![Placement::Free, Placement::OneCpu];
        if cpus >= 2 {
            all.push(Placement::Apart);
        }
        all
    }
}

/// CPUs online (not the affinity mask, which pinning narrows).
fn cpu_count() -> usize {
    // SAFETY: sysconf only reads a system value.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Pins the calling thread to `cpu`, or lets it run anywhere (`None`).
fn pin(cpu: Option<usize>) {
    let cpus = cpu_count();
    // SAFETY: `cpu_set_t` is plain data for which all-zero is the empty set;
    // CPU_SET/CPU_ZERO only write inside it, and sched_setaffinity(0, ...)
    // reads it for the calling thread. Failure only leaves the thread unpinned.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        match cpu {
            Some(cpu) => libc::CPU_SET(cpu % cpus, &mut set),
            None => (0..cpus).for_each(|c| libc::CPU_SET(c, &mut set)),
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Mean time per iteration of every benchmark, for the table and the ratios.
static RESULTS: Mutex<BTreeMap<String, (u64, Duration)>> = Mutex::new(BTreeMap::new());

fn record(name: &str, iters: u64, elapsed: Duration) -> Duration {
    let mut results = RESULTS.lock().unwrap_or_else(|e| e.into_inner());
    let entry = results.entry(name.to_owned()).or_insert((0, Duration::ZERO));
    entry.0 += iters;
    entry.1 += elapsed;
    elapsed
}

fn mean_ns(name: &str) -> Option<f64> {
    let results = RESULTS.lock().unwrap_or_else(|e| e.into_inner());
    results
        .get(name)
        .map(|(iters, total)| total.as_nanos() as f64 / (*iters).max(1) as f64)
}

fn unique(label: &str) -> RegionName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    RegionName::new(&format!("bench-{}-{n}-{label}", std::process::id())).unwrap_or_else(|e| panic!("{e}"))
}

fn bench_dir() -> PathBuf {
    shared::default_dir()
}

/// A peer process: this executable in role `role`.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
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
        let mut peer = Peer { child, stdin, stdout };
        peer.expect("ready");
        peer
    }

    fn expect(&mut self, word: &str) {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("peer: {e}"));
        assert_eq!(line.trim(), word, "peer said {line:?}");
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

fn main() {
    if let Ok(role) = std::env::var(PEER_ENV) {
        peer::run(&role);
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    pingpong(&mut c);
    turns(&mut c);
    streaming(&mut c);
    accessor(&mut c);
    region_lifecycle(&mut c);
    c.final_summary();
    report();
}

/// Round trip of one 16-byte record between two processes.
fn pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("pingpong");
    for placement in Placement::all() {
        let (mine, theirs) = placement.cpus();
        for (kind, role) in [("region-block", "turns-block"), ("region-spin", "turns-spin")] {
            if kind == "region-spin" && placement == Placement::OneCpu {
                continue; // two spinners on one CPU hand over once per time slice
            }
            let name = format!("pingpong/{kind}/{}", placement.label());
            let region_name = unique(kind);
            let region = RegionOptions::named(&region_name)
                .create_new()
                .unwrap_or_else(|e| panic!("{e}"));
            let peer = Peer::start(role, region_name.as_str(), theirs, &[]);
            pin(mine);
            let spin = kind == "region-spin";
            group.bench_function(format!("{kind}/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, region_round_trips(&region, iters, spin)))
            });
            region.control().pass_turn(STOP);
            drop(peer);
        }
        if placement != Placement::OneCpu {
            let name = format!("pingpong/cacheline/{}", placement.label());
            let path = bench_dir().join(unique("cacheline").as_str());
            let line = CacheLine::create(&path);
            let peer = Peer::start("cacheline", path.to_str().unwrap_or_default(), theirs, &[]);
            pin(mine);
            group.bench_function(format!("cacheline/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, line.round_trips(iters)))
            });
            line.stop();
            drop(peer);
            let _ = std::fs::remove_file(&path);
        }
        for kind in ["pipe", "uds"] {
            let name = format!("pingpong/{kind}/{}", placement.label());
            let mut channel = Channel::open(kind, theirs);
            pin(mine);
            group.bench_function(format!("{kind}/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, channel.round_trips(iters)))
            });
        }
        pin(None);
    }
    group.finish();
}

fn region_round_trips(region: &Region, iters: u64, spin: bool) -> Duration {
    let control = region.control();
    let start = Instant::now();
    for i in 0..iters {
        control.pass_turn_with(
            CHILD,
            &ServiceMsg {
                id: i as i32,
                now_time: i as i64,
            },
        );
        let back = if spin {
            control.spin_for_turn(PARENT, PATIENCE)
        } else {
            control.wait_for_turn(PARENT, PATIENCE)
        };
        assert!(back, "peer did not answer");
        black_box(control.mailbox());
    }
    start.elapsed()
}

/// The baseline for spinning: one bare atomic on a shared cache line, no
/// region, no record, no library.
struct CacheLine {
    map: memmap2::MmapRaw,
}

impl CacheLine {
    fn create(path: &Path) -> CacheLine {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        file.set_len(4096).unwrap_or_else(|e| panic!("{e}"));
        CacheLine {
            map: memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: the mapping is 4096 bytes, page-aligned, lives as long as
        // `self`, and both processes access this word only atomically.
        unsafe { &*self.map.as_ptr().cast::<AtomicU32>() }
    }

    fn round_trips(&self, iters: u64) -> Duration {
        let word = self.word();
        let start = Instant::now();
        for _ in 0..iters {
            let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
            word.store(sent, Ordering::Release);
            while word.load(Ordering::Acquire) == sent {
                std::hint::spin_loop();
            }
        }
        start.elapsed()
    }

    fn stop(&self) {
        self.word().store(STOP - 1, Ordering::Release);
    }
}

/// A pipe or Unix-socket echo peer.
enum Channel {
    /// The peer's stdin and stdout.
    Pipe(Peer),
    /// A connected Unix stream socket; the peer and the socket's directory
    /// are kept alive with it.
    Uds(UnixStream, #[allow(dead_code)] (Peer, tempfile::TempDir)),
}

impl Channel {
    fn open(kind: &str, cpu: Option<usize>) -> Channel {
        if kind == "pipe" {
            return Channel::Pipe(Peer::start("pipe-echo", "", cpu, &[]));
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("echo.sock");
        let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
        let peer = Peer::start("uds-echo", path.to_str().unwrap_or_default(), cpu, &[]);
        let (stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
        Channel::Uds(stream, (peer, dir))
    }

    fn round_trips(&mut self, iters: u64) -> Duration {
        let mut buf = [0u8; 16];
        let start = Instant::now();
        for i in 0..iters {
            let msg = ServiceMsg {
                id: i as i32,
                now_time: i as i64,
            }
            .encode();
            let done = match self {
                Channel::Pipe(peer) => match peer.stdin.as_mut() {
                    Some(stdin) => stdin
                        .write_all(&msg)
                        .and_then(|_| peer.stdout.read_exact(&mut buf)),
                    None => Err(std::io::ErrorKind::BrokenPipe.into()),
                },
                Channel::Uds(stream, _) => stream.write_all(&msg).and_then(|_| stream.read_exact(&mut buf)),
            };
            done.unwrap_or_else(|e| panic!("echo: {e}"));
        }
        black_box(buf);
        start.elapsed()
    }
}

/// One turn each under the named mutex, the demo's pattern.
fn turns(c: &mut Criterion) {
    let mut group = c.benchmark_group("turns");
    for placement in Placement::all() {
        let (mine, theirs) = placement.cpus();
        for kind in ["naive", "futex"] {
            let name = format!("turns/{kind}/{}", placement.label());
            let region_name = unique(kind);
            let region = RegionOptions::named(&region_name)
                .create_new()
                .unwrap_or_else(|e| panic!("{e}"));
            let mutex = NamedMutex::create(&region, false)
                .unwrap_or_else(|e| panic!("{e}"))
                .mutex;
            region.control().pass_turn(PARENT);
            let peer = Peer::start(&format!("mutex-{kind}"), region_name.as_str(), theirs, &[]);
            pin(mine);
            let naive = kind == "naive";
            group.bench_function(format!("{kind}/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, mutex_turns(&region, &mutex, iters, naive)))
            });
            region.control().pass_turn(STOP);
            drop(peer);
        }
        pin(None);
    }
    group.finish();
}

fn mutex_turns(region: &Region, mutex: &NamedMutex, iters: u64, naive: bool) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        peer::take_turn(region, mutex, PARENT, CHILD, naive, i as i32);
    }
    start.elapsed()
}

/// 1,000,000 records from one process to another.
fn streaming(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Elements(RECORDS_PER_STREAM as u64));
    let records: Vec<ServiceMsg> = (0..RECORDS_PER_STREAM)
        .map(|i| ServiceMsg {
            id: i as i32,
            now_time: i as i64,
        })
        .collect();
    let bytes: Vec<u8> = records.iter().flat_map(|m| m.encode()).collect();

    let ring_name = unique("ring");
    let mut sender =
        RecordSender::create(&RegionOptions::named(&ring_name), 1 << 16).unwrap_or_else(|e| panic!("{e}"));
    let count = [("SHM_BENCH_COUNT", RECORDS_PER_STREAM.to_string())];
    let mut peer = Peer::start("ring-consumer", ring_name.as_str(), None, &count);
    bench_stream(&mut group, "ring", &mut peer, || {
        for chunk in records.chunks(STREAM_BATCH) {
            sender.send_batch(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    drop(sender);
    drop(peer);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("stream.sock");
    let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
    let bytes_env = [("SHM_BENCH_COUNT", bytes.len().to_string())];
    let mut peer = Peer::start("uds-sink", path.to_str().unwrap_or_default(), None, &bytes_env);
    let (mut stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
    bench_stream(&mut group, "uds", &mut peer, || {
        for chunk in bytes.chunks(STREAM_BATCH * 16) {
            stream.write_all(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    drop(stream);
    drop(peer);

    // One record per send (message semantics), 100,000 records; both
    // receivers read in batches.
    let few = &records[..RECORDS_PER_RECORD_STREAM];
    let ring_name = unique("ring1");
    let mut sender =
        RecordSender::create(&RegionOptions::named(&ring_name), 1 << 16).unwrap_or_else(|e| panic!("{e}"));
    let count = [("SHM_BENCH_COUNT", RECORDS_PER_RECORD_STREAM.to_string())];
    let mut peer = Peer::start("ring-consumer", ring_name.as_str(), None, &count);
    group.throughput(Throughput::Elements(RECORDS_PER_RECORD_STREAM as u64));
    bench_stream(&mut group, "ring-per-record", &mut peer, || {
        for msg in few {
            sender.send(msg).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    drop(sender);
    drop(peer);
    let path = dir.path().join("stream1.sock");
    let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
    let bytes_env = [("SHM_BENCH_COUNT", (RECORDS_PER_RECORD_STREAM * 16).to_string())];
    let mut peer = Peer::start("uds-sink", path.to_str().unwrap_or_default(), None, &bytes_env);
    let (mut stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
    bench_stream(&mut group, "uds-per-record", &mut peer, || {
        for msg in few {
            stream.write_all(&msg.encode()).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    drop(stream);
    drop(peer);
    group.throughput(Throughput::Elements(RECORDS_PER_STREAM as u64));

    // The ceiling: memcpy of the same 16 MB through a 1 MiB buffer, the size
    // of the ring's record area (65,536 records), so both stay in cache alike.
    let mut window = vec![0u8; 1 << 20];
    group.bench_function("memcpy", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for chunk in black_box(&bytes).chunks(window.len()) {
                    window[..chunk.len()].copy_from_slice(chunk);
                }
                black_box(&window);
            }
            record("stream/memcpy", iters, start.elapsed())
        })
    });
    group.finish();
}

/// Times `send` (all of one iteration's records) until the peer says it
/// received them all.
fn bench_stream(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    peer: &mut Peer,
    mut send: impl FnMut(),
) {
    let name = format!("stream/{label}");
    group.bench_function(label, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                send();
                peer.expect("ok");
            }
            record(&name, iters, start.elapsed())
        })
    });
}

/// Bulk encode + decode through the accessor vs memcpy of the same bytes.
fn accessor(c: &mut Criterion) {
    let mut group = c.benchmark_group("accessor");
    group.throughput(Throughput::Bytes((ACCESSOR_RECORDS * 16 * 2) as u64));
    let region = RegionOptions::named(&unique("accessor"))
        .create_new()
        .unwrap_or_else(|e| panic!("{e}"));
    let view = region
        .create_view_accessor(RECORDS_OFFSET, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let msgs: Vec<ServiceMsg> = (0..ACCESSOR_RECORDS)
        .map(|i| ServiceMsg {
            id: i as i32,
            now_time: i as i64,
        })
        .collect();
    let mut back = vec![ServiceMsg::default(); ACCESSOR_RECORDS];
    group.bench_function("encode+decode", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                view.write_service_msgs(0, black_box(&msgs))
                    .unwrap_or_else(|e| panic!("{e}"));
                view.read_service_msgs(0, &mut back)
                    .unwrap_or_else(|e| panic!("{e}"));
                black_box(&back);
            }
            record("accessor/encode+decode", iters, start.elapsed())
        })
    });
    let bytes: Vec<u8> = msgs.iter().flat_map(|m| m.encode()).collect();
    let mut middle = vec![0u8; bytes.len()];
    let mut out = vec![0u8; bytes.len()];
    group.bench_function("memcpy", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                middle.copy_from_slice(black_box(&bytes));
                out.copy_from_slice(black_box(&middle));
                black_box(&out);
            }
            record("accessor/memcpy", iters, start.elapsed())
        })
    });
    group.finish();
}

/// Creating, mapping and removing a 1 MB region vs the raw system calls.
fn region_lifecycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("region");
    group.bench_function("create+close", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let region = RegionOptions::named(&unique("life"))
                    .create_new()
                    .unwrap_or_else(|e| panic!("{e}"));
                black_box(region.size());
            }
            record("region/create+close", iters, start.elapsed())
        })
    });
    let kept = RegionOptions::named(&unique("kept"))
        .create_new()
        .unwrap_or_else(|e| panic!("{e}"));
    let kept_options = RegionOptions::named(&RegionName::new(kept.name()).unwrap_or_else(|e| panic!("{e}")));
    group.bench_function("open+close", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let region = kept_options.open_existing().unwrap_or_else(|e| panic!("{e}"));
                black_box(region.size());
            }
            record("region/open+close", iters, start.elapsed())
        })
    });
    drop(kept);
    let existing = bench_dir().join(unique("rawopen").as_str());
    std::fs::File::create(&existing)
        .and_then(|f| f.set_len(shared::layout::DEFAULT_REGION_SIZE))
        .unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("raw-open+mmap", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&existing)
                    .unwrap_or_else(|e| panic!("{e}"));
                let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
                black_box(map.len());
            }
            record("region/raw-open", iters, start.elapsed())
        })
    });
    let _ = std::fs::remove_file(&existing);
    for (label, name, reserve) in [
        ("raw-open+ftruncate+mmap", "region/raw", false),
        ("raw+fallocate", "region/raw+fallocate", true),
    ] {
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    raw_region_cycle(reserve);
                }
                record(name, iters, start.elapsed())
            })
        });
    }
    group.finish();
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
    let len = shared::layout::DEFAULT_REGION_SIZE;
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

/// The short table and the headline ratios (ours ÷ baseline, lower is better).
fn report() {
    println!();
    println!("== summary == (mean time per operation; ratios: ours ÷ baseline, lower is better)");
    println!("{:<34} {:>14}", "benchmark", "mean per op");
    for (name, (iters, total)) in RESULTS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let ns = total.as_nanos() as f64 / (*iters).max(1) as f64;
        let (value, unit) = if ns >= 1e6 {
            (ns / 1e6, "ms")
        } else if ns >= 1e3 {
            (ns / 1e3, "µs")
        } else {
            (ns, "ns")
        };
        println!("{name:<34} {value:>11.2} {unit}");
    }
    println!();
    let ratios = [
        (
            "pingpong_blocking_vs_uds",
            "pingpong/region-block/free",
            "pingpong/uds/free",
        ),
        (
            "pingpong_blocking_vs_uds_apart",
            "pingpong/region-block/apart",
            "pingpong/uds/apart",
        ),
        (
            "pingpong_blocking_vs_uds_one_cpu",
            "pingpong/region-block/one-cpu",
            "pingpong/uds/one-cpu",
        ),
        (
            "pingpong_spin_vs_cacheline",
            "pingpong/region-spin/free",
            "pingpong/cacheline/free",
        ),
        (
            "pingpong_spin_vs_cacheline_apart",
            "pingpong/region-spin/apart",
            "pingpong/cacheline/apart",
        ),
        (
            "turns_one_cpu_vs_uds",
            "turns/futex/one-cpu",
            "pingpong/uds/one-cpu",
        ),
        (
            "turns_naive_one_cpu_vs_uds",
            "turns/naive/one-cpu",
            "pingpong/uds/one-cpu",
        ),
        ("turns_free_vs_uds", "turns/futex/free", "pingpong/uds/free"),
        (
            "stream_ring_vs_uds",
            "stream/ring-per-record",
            "stream/uds-per-record",
        ),
        ("stream_ring_vs_uds_batched", "stream/ring", "stream/uds"),
        ("stream_ring_vs_memcpy", "stream/ring", "stream/memcpy"),
        ("accessor_vs_memcpy", "accessor/encode+decode", "accessor/memcpy"),
        ("region_create_vs_raw", "region/create+close", "region/raw"),
        ("region_open_vs_raw", "region/open+close", "region/raw-open"),
        (
            "region_create_vs_raw_fallocate",
            "region/create+close",
            "region/raw+fallocate",
        ),
    ];
    for (ratio, ours, baseline) in ratios {
        if let (Some(ours), Some(baseline)) = (mean_ns(ours), mean_ns(baseline)) {
            println!("ratio {ratio} {:.3}", ours / baseline);
        }
    }
    if let Some(ns) = mean_ns("stream/ring") {
        let per_record = ns / RECORDS_PER_STREAM as f64;
        println!(
            "stream/ring: {:.1} M records/s, {:.2} GB/s",
            1e3 / per_record,
            16.0 / per_record
        );
    }
}

/// What the peer process does in each role.
mod peer {
    use super::*;

    pub fn run(role: &str) {
        let cpu = std::env::var("SHM_BENCH_CPU").ok().and_then(|c| c.parse().ok());
        pin(cpu);
        let name = std::env::var("SHM_BENCH_NAME").unwrap_or_default();
        let dir = std::env::var("SHM_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| bench_dir());
        let count: usize = std::env::var("SHM_BENCH_COUNT")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let region_options = || RegionName::new(&name).map(|n| RegionOptions::named(&n).dir(&dir));
        match role {
            "turns-block" | "turns-spin" => {
                let region = region_options()
                    .ok()
                    .and_then(|o| o.open_existing().ok())
                    .unwrap_or_else(|| panic!("region"));
                ready();
                answer_turns(&region, role == "turns-spin");
            }
            "mutex-naive" | "mutex-futex" => {
                let region = region_options()
                    .ok()
                    .and_then(|o| o.open_existing().ok())
                    .unwrap_or_else(|| panic!("region"));
                let mutex = NamedMutex::open_existing(&region).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let naive = role == "mutex-naive";
                let mut i = 0;
                while take_turn(&region, &mutex, CHILD, PARENT, naive, i) {
                    i += 1;
                }
            }
            "cacheline" => {
                let line = CacheLine::create_existing(Path::new(&name));
                ready();
                let word = line.word();
                loop {
                    let seen = word.load(Ordering::Acquire);
                    if seen == STOP - 1 {
                        return;
                    }
                    if seen % 2 == 1 {
                        word.store(seen.wrapping_add(1), Ordering::Release);
                    }
                    std::hint::spin_loop();
                }
            }
            "pipe-echo" => {
                ready();
                let mut stdin = std::io::stdin().lock();
                let mut stdout = std::io::stdout().lock();
                echo(&mut stdin, &mut stdout);
            }
            "uds-echo" => {
                let stream = UnixStream::connect(&name).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let mut reader = stream.try_clone().unwrap_or_else(|e| panic!("{e}"));
                let mut writer = stream;
                echo(&mut reader, &mut writer);
            }
            "ring-consumer" => {
                let options = region_options().unwrap_or_else(|e| panic!("{e}"));
                let mut receiver = RecordReceiver::open(&options).unwrap_or_else(|e| panic!("{e}"));
                ready();
                let mut buf = vec![ServiceMsg::default(); STREAM_BATCH];
                let mut received = 0;
                while let Ok(n) = receiver.recv_batch(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    black_box(&buf[..n]);
                    received += n;
                    if received == count {
                        say("ok");
                        received = 0;
                    }
                }
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

    fn ready() {
        say("ready");
    }

    fn answer_turns(region: &Region, spin: bool) {
        let control = region.control();
        loop {
            let mine = if spin {
                control.spin_for_turn(CHILD, PATIENCE)
            } else {
                control.wait_for_turn(CHILD, PATIENCE)
            };
            if !mine || control.turn() == STOP {
                return;
            }
            let msg = control.mailbox();
            control.pass_turn_with(
                PARENT,
                &ServiceMsg {
                    id: msg.id.wrapping_add(1),
                    now_time: msg.now_time,
                },
            );
        }
    }

    /// One turn under the mutex; `false` when told to stop.
    pub fn take_turn(
        region: &Region,
        mutex: &NamedMutex,
        me: u32,
        other: u32,
        naive: bool,
        value: i32,
    ) -> bool {
        let control = region.control();
        let records = region
            .create_view_accessor(RECORDS_OFFSET, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + PATIENCE;
        loop {
            if control.turn() == STOP {
                return false;
            }
            if !naive && !control.wait_for_turn(me, Duration::from_millis(100)) {
                if Instant::now() > deadline {
                    return false;
                }
                continue;
            }
            let owned = mutex.wait().unwrap_or_else(|e| panic!("{e}"));
            if control.turn() == me {
                let _ = records.write_service_msg(
                    u64::from(me) * 16,
                    &ServiceMsg {
                        id: value,
                        now_time: 0,
                    },
                );
                drop(owned);
                control.pass_turn(other);
                return true;
            }
            drop(owned);
            if Instant::now() > deadline {
                return false;
            }
        }
    }

    fn echo(reader: &mut dyn Read, writer: &mut dyn Write) {
        let mut buf = [0u8; 16];
        while reader.read_exact(&mut buf).is_ok() {
            if writer.write_all(&buf).and_then(|_| writer.flush()).is_err() {
                return;
            }
        }
    }
}

impl CacheLine {
    fn create_existing(path: &Path) -> CacheLine {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        CacheLine {
            map: memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}")),
        }
    }
}
