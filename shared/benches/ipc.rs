//! How fast the library is, next to the baselines it must beat, all measured
//! side by side in one run (`cargo bench -p shared --bench ipc`, or
//! `scripts/bench.sh` for the short table and the ratios).
//!
//! Cross-process cases start one peer process per benchmark (this same
//! executable, re-run with `SHM_BENCH_PEER=<role>`), and time the work with
//! `iter_custom`. Placements: `free` (the scheduler decides), `one-cpu` (both
//! processes pinned to CPU 0) and `apart` (CPU 0 and CPU 1).
//!
//! The accessor's ratios to memcpy come from their own measurement, not from
//! criterion's: ours and the baseline timed back to back in 11 rounds, on
//! buffers allocated and touched beforehand, reported as median and spread,
//! with a `FLAG` line for any side that is too noisy or faster than possible.

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
            let region = demo_region(&region_name);
            let peer = Peer::start(role, region_name.as_str(), theirs, &[]);
            pin(mine);
            let spin = kind == "region-spin";
            group.bench_function(format!("{kind}/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, region_round_trips(&region, iters, spin)))
            });
            turn_of(&region).pass_turn(STOP);
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
            let msg = ServiceMsg::new(i as i32, i as i64).encode();
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
            let region = demo_region(&region_name);
            let mutex = MutexOptions::for_region(&region)
                .create(false)
                .unwrap_or_else(|e| panic!("{e}"))
                .mutex;
            turn_of(&region).pass_turn(PARENT);
            let peer = Peer::start(&format!("mutex-{kind}"), region_name.as_str(), theirs, &[]);
            pin(mine);
            let naive = kind == "naive";
            group.bench_function(format!("{kind}/{}", placement.label()), |b| {
                b.iter_custom(|iters| record(&name, iters, mutex_turns(&region, &mutex, iters, naive)))
            });
            turn_of(&region).pass_turn(STOP);
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
        .map(|i| ServiceMsg::new(i as i32, i as i64))
        .collect();
    let bytes: Vec<u8> = records.iter().flat_map(|m| m.encode()).collect();

    let ring_name = unique("ring");
    let mut sender = RecordSender::<ServiceMsg>::create(&RegionOptions::named(&ring_name), RING_CAPACITY)
        .unwrap_or_else(|e| panic!("{e}"));
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
    let mut sender = RecordSender::<ServiceMsg>::create(&RegionOptions::named(&ring_name), RING_CAPACITY)
        .unwrap_or_else(|e| panic!("{e}"));
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

/// Bytes each accessor benchmark copies: 1,024 records of 16 bytes.
const ACCESSOR_BYTES: usize = ACCESSOR_RECORDS * ServiceMsg::SIZE;
/// Rounds of the interleaved accessor comparison (at least 5; odd, so that
/// the median is one round's value).
const ACCESSOR_ROUNDS: usize = 11;
/// About how long each timing of a round lasts (1 ms under `--test`).
const ACCESSOR_TIMING: Duration = Duration::from_millis(20);
/// The fastest any copy can go: one 64-byte store per cycle at 6 GHz. A
/// measurement above it did not do the copy (the compiler removed it).
const MAX_COPY_BYTES_PER_NS: f64 = 64.0 * 6.0;
/// Slowest round ÷ fastest round above which a measurement is flagged as too
/// noisy to compare.
const MAX_SPREAD: f64 = 3.0;

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
    /// In the order of one interleaved round: ours, its baseline, ours, its baseline.
    const ALL: [Op; 4] = [Op::WriteArray, Op::MemcpyIn, Op::ReadArray, Op::MemcpyOut];

    fn label(self) -> &'static str {
        match self {
            Op::WriteArray => "write_array",
            Op::MemcpyIn => "memcpy-in",
            Op::ReadArray => "read_array",
            Op::MemcpyOut => "memcpy-out",
        }
    }

    fn name(self) -> String {
        format!("accessor/{}", self.label())
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

    /// A first estimate of one `op` in ns: doubles the iterations until a
    /// timing lasts `at_least`.
    fn estimate_ns(&mut self, op: Op, at_least: Duration) -> f64 {
        let mut iters = 1u64;
        loop {
            let took = self.run(op, iters);
            if took >= at_least || iters >= 1 << 24 {
                return took.as_nanos() as f64 / iters as f64;
            }
            iters *= 2;
        }
    }

    /// ns per op of each [`Op::ALL`] in `rounds` rounds, interleaved: every
    /// round times the four one after the other (ours, baseline, ours,
    /// baseline), the same number of iterations each, about `timing` each.
    fn interleaved(&mut self, rounds: usize, timing: Duration) -> [Vec<f64>; 4] {
        let slowest = Op::ALL
            .iter()
            .map(|&op| self.estimate_ns(op, timing / 4))
            .fold(1.0, f64::max);
        let iters = ((timing.as_nanos() as f64 / slowest) as u64).max(1);
        let mut ns: [Vec<f64>; 4] = Default::default();
        for _ in 0..rounds {
            for (k, op) in Op::ALL.into_iter().enumerate() {
                ns[k].push(self.run(op, iters).as_nanos() as f64 / iters as f64);
            }
        }
        ns
    }
}

/// Ours against a baseline, timed in interleaved rounds: per-op ns of each round.
#[derive(Debug)]
struct Comparison {
    /// The `ratio NAME` printed in the summary.
    ratio: &'static str,
    ours: String,
    baseline: String,
    ours_ns: Vec<f64>,
    baseline_ns: Vec<f64>,
    /// Bytes one op of either side copies.
    bytes: usize,
}

/// The interleaved comparisons, for the summary.
static COMPARISONS: Mutex<Vec<Comparison>> = Mutex::new(Vec::new());

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

impl Comparison {
    /// Ours ÷ baseline, round by round (each pair timed back to back).
    fn ratios(&self) -> Vec<f64> {
        self.ours_ns
            .iter()
            .zip(&self.baseline_ns)
            .map(|(ours, baseline)| ours / baseline)
            .collect()
    }

    /// What the summary must not let pass silently about one side.
    fn flags(&self, label: &str, spread: Spread) -> Vec<String> {
        let mut flags = Vec::new();
        if spread.factor() > MAX_SPREAD {
            flags.push(format!(
                "FLAG {label}: spread {:.2}x (slowest round ÷ fastest) is over {MAX_SPREAD}x: \
                 the machine was busy, so this ratio is unreliable; run it again",
                spread.factor()
            ));
        }
        let fastest = self.bytes as f64 / spread.min;
        if fastest > MAX_COPY_BYTES_PER_NS {
            flags.push(format!(
                "FLAG {label}: {} bytes in {:.1} ns is {fastest:.0} GB/s, faster than possible \
                 (one 64-byte store per cycle at 6 GHz is {MAX_COPY_BYTES_PER_NS:.0} GB/s): \
                 the copy was optimised away, so this ratio is meaningless",
                self.bytes, spread.min
            ));
        }
        flags
    }
}

/// `write_array` / `read_array` of 1,024 `ServiceMsg` (16 KiB) through the
/// accessor vs memcpy of the same bytes into / out of a heap buffer of the
/// same size. Criterion measures each of the four on its own; then, when any
/// of them ran, all four are timed again interleaved (write_array, memcpy-in,
/// read_array, memcpy-out, round after round) for the ratios in the summary.
fn accessor(c: &mut Criterion) {
    let region = demo_region(&unique("accessor"));
    let mut case = AccessorCase::new(&region);
    let mut group = c.benchmark_group("accessor");
    group.throughput(Throughput::Bytes(ACCESSOR_BYTES as u64));
    let mut ran = false;
    for op in Op::ALL {
        let name = op.name();
        group.bench_function(op.label(), |b| {
            ran = true;
            b.iter_custom(|iters| record(&name, iters, case.run(op, iters)))
        });
    }
    group.finish();
    if !ran {
        return; // filtered out, or only listed
    }
    let quick = std::env::args().any(|arg| arg == "--test");
    let timing = if quick {
        Duration::from_millis(1)
    } else {
        ACCESSOR_TIMING
    };
    let [write, memcpy_in, read, memcpy_out] = case.interleaved(ACCESSOR_ROUNDS, timing);
    let sum = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f64>>();
    let comparisons = [
        Comparison {
            ratio: "accessor_write_array_vs_memcpy",
            ours: Op::WriteArray.name(),
            baseline: Op::MemcpyIn.name(),
            ours_ns: write.clone(),
            baseline_ns: memcpy_in.clone(),
            bytes: ACCESSOR_BYTES,
        },
        Comparison {
            ratio: "accessor_read_array_vs_memcpy",
            ours: Op::ReadArray.name(),
            baseline: Op::MemcpyOut.name(),
            ours_ns: read.clone(),
            baseline_ns: memcpy_out.clone(),
            bytes: ACCESSOR_BYTES,
        },
        // The round trip the earlier encode + decode benchmark measured.
        Comparison {
            ratio: "accessor_vs_memcpy",
            ours: "accessor/write_array+read_array".to_owned(),
            baseline: "accessor/memcpy-in+memcpy-out".to_owned(),
            ours_ns: sum(&write, &read),
            baseline_ns: sum(&memcpy_in, &memcpy_out),
            bytes: 2 * ACCESSOR_BYTES,
        },
    ];
    COMPARISONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(comparisons);
}

/// Creating, mapping and removing a 1 MB region vs the raw system calls.
fn region_lifecycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("region");
    group.bench_function("create+close", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let region = demo_region(&unique("life"));
                black_box(region.size());
            }
            record("region/create+close", iters, start.elapsed())
        })
    });
    let kept = demo_region(&unique("kept"));
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
        .and_then(|f| f.set_len(DEFAULT_REGION_SIZE))
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

/// The short table and the headline ratios (ours ÷ baseline, lower is better).
fn report() {
    println!();
    println!("== summary == (mean time per operation; ratios: ours ÷ baseline, lower is better)");
    println!("{:<34} {:>14}", "benchmark", "mean per op");
    for (name, (iters, total)) in RESULTS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let ns = total.as_nanos() as f64 / (*iters).max(1) as f64;
        println!("{name:<34} {:>14}", time_text(ns));
    }
    println!();
    let comparisons = COMPARISONS.lock().unwrap_or_else(|e| e.into_inner());
    report_interleaved(&comparisons);
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
    for comparison in comparisons.iter() {
        println!(
            "ratio {} {:.3}",
            comparison.ratio,
            Spread::of(&comparison.ratios()).median
        );
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

/// `ns` with a unit that keeps it readable.
fn time_text(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

/// The interleaved comparisons: median and spread of each side and of the
/// round-by-round ratio, and a FLAG line for any measurement not to trust.
fn report_interleaved(comparisons: &[Comparison]) {
    let Some(first) = comparisons.first() else {
        return;
    };
    println!(
        "interleaved: {} rounds, ours then baseline back to back in each; per op: median (fastest – slowest, spread)",
        first.ours_ns.len()
    );
    let mut flags = Vec::new();
    for comparison in comparisons {
        let sides = [
            (&comparison.ours, &comparison.ours_ns),
            (&comparison.baseline, &comparison.baseline_ns),
        ];
        for (label, ns) in sides {
            let spread = Spread::of(ns);
            println!(
                "  {label:<34} {:>10} ({} – {}, {:.2}x)",
                time_text(spread.median),
                time_text(spread.min),
                time_text(spread.max),
                spread.factor()
            );
            flags.extend(comparison.flags(label, spread));
        }
        let ratio = Spread::of(&comparison.ratios());
        println!(
            "  {:<34} {:>10.3} ({:.3} – {:.3}) round by round",
            comparison.ratio, ratio.median, ratio.min, ratio.max
        );
    }
    for flag in flags {
        println!("{flag}");
    }
    println!();
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
                let mutex = MutexOptions::for_region(&region)
                    .open_existing()
                    .unwrap_or_else(|e| panic!("{e}"));
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
                let mut receiver =
                    RecordReceiver::<ServiceMsg>::open(&options).unwrap_or_else(|e| panic!("{e}"));
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
        let turn = turn_of(region);
        loop {
            let mine = if spin {
                turn.spin_for_turn(CHILD, PATIENCE)
            } else {
                turn.wait_for_turn(CHILD, PATIENCE)
            };
            if !mine || turn.current() == STOP {
                return;
            }
            let msg: ServiceMsg = turn.mailbox();
            turn.pass_turn_with(PARENT, &ServiceMsg::new(msg.id.wrapping_add(1), msg.now_time));
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
