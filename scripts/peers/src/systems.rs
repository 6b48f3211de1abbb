//! Each system's two sides (`shm-peers role KEY WORKLOAD first|second`).
//!
//! Protocol with the driver, on stdout: `ready CPUS [INFO]` once set up (the
//! driver passes INFO to the second side as SHM_PEER_INFO), then, after `go`
//! on stdin, `result NS` (round-trip client), `start NS` (stream producer) or
//! `end NS COUNT` (stream consumer), or `error TEXT`.

use std::io::{BufRead, Write};
use std::sync::atomic::{compiler_fence, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{monotonic_ns, pin, System, Workload, STOP, STREAM_RECORDS};

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
    let cpus = pin(cpu);
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

mod ours {
    use super::*;
    use shared::demo::ServiceMsg;
    use shared::stream::{RecordReceiver, RecordSender};
    use shared::{Region, RegionName, RegionOptions};

    const CLIENT: u32 = 1;
    const SERVER: u32 = 2;
    const PATIENCE: Duration = Duration::from_secs(30);
    const RING_CAPACITY: u32 = 1 << 16;

    fn options(name: &str) -> Res<RegionOptions> {
        let name = RegionName::new(name).map_err(err("region name"))?;
        Ok(RegionOptions::named(&name))
    }

    struct TurnClient<'r> {
        turn: shared::sync::Turn<'r>,
        spin: bool,
    }

    impl Client for TurnClient<'_> {
        fn call(&mut self, v: i64) -> Res<i64> {
            self.turn.pass_turn_with(SERVER, &ServiceMsg::new(0, v));
            let back = if self.spin {
                self.turn.spin_for_turn(CLIENT, PATIENCE)
            } else {
                self.turn.wait_for_turn(CLIENT, PATIENCE)
            };
            if !back {
                return Err("the server did not answer".to_owned());
            }
            Ok(self.turn.mailbox::<ServiceMsg>().now_time)
        }
    }

    pub fn round_trip(name: &str, first: bool, spin: bool, cpus: &str) -> Res<()> {
        let region: Region = if first {
            options(name)?
                .size(4096)
                .create_new()
                .map_err(err("create region"))?
        } else {
            options(name)?.open_existing().map_err(err("open region"))?
        };
        let turn = region.turn().map_err(err("turn"))?;
        say(&format!("ready {cpus}"));
        let mut client = TurnClient {
            turn: region.turn().map_err(err("turn"))?,
            spin,
        };
        let result = run_round_trip(first, Some(&mut client), || loop {
            let mine = if spin {
                turn.spin_for_turn(SERVER, PATIENCE)
            } else {
                turn.wait_for_turn(SERVER, PATIENCE)
            };
            if !mine {
                return Err("the client went quiet".to_owned());
            }
            let msg: ServiceMsg = turn.mailbox();
            if msg.now_time == STOP {
                return Ok(());
            }
            turn.pass_turn_with(CLIENT, &ServiceMsg::new(msg.id, msg.now_time + 1));
        });
        if !first {
            client.turn.pass_turn_with(SERVER, &ServiceMsg::new(0, STOP));
        }
        result
    }

    pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
        if first {
            let mut sender = RecordSender::<ServiceMsg>::create(&options(name)?, RING_CAPACITY)
                .map_err(err("create ring"))?;
            say(&format!("ready {cpus}"));
            wait_go()?;
            let start = monotonic_ns();
            for i in 0..n {
                sender
                    .send(&ServiceMsg::new(i as i32, i as i64))
                    .map_err(err("send"))?;
            }
            say(&format!("start {start}"));
            // Keep the ring until the consumer has counted.
            let _ = wait_go();
            Ok(())
        } else {
            let mut receiver =
                RecordReceiver::<ServiceMsg>::open(&options(name)?).map_err(err("open ring"))?;
            say(&format!("ready {cpus}"));
            wait_go()?;
            let mut buf = vec![ServiceMsg::default(); 4096];
            let mut check = Checker::new(n);
            while check.next < n {
                let got = receiver.recv_batch(&mut buf).map_err(err("recv"))?;
                if got == 0 {
                    return Err(format!("stream closed after {} records", check.next));
                }
                for msg in &buf[..got] {
                    check.see(msg.now_time as u64)?;
                }
            }
            check.done();
            Ok(())
        }
    }
}

mod ice {
    use super::*;
    use iceoryx2::port::backpressure_strategy::BackpressureStrategy;
    use iceoryx2::prelude::*;

    type Msg = [u64; 2];

    fn service_name(name: &str, dir: &str) -> Res<ServiceName> {
        ServiceName::new(&format!("{name}/{dir}")).map_err(err("service name"))
    }

    pub fn round_trip(name: &str, first: bool, event: bool, cpus: &str) -> Res<()> {
        let node = NodeBuilder::new().create::<ipc::Service>().map_err(err("node"))?;
        let pubsub = |dir: &str| -> Res<_> {
            node.service_builder(&service_name(name, dir)?)
                .publish_subscribe::<Msg>()
                .max_publishers(1)
                .max_subscribers(1)
                .history_size(0)
                .subscriber_max_buffer_size(1)
                .enable_safe_overflow(true)
                .open_or_create()
                .map_err(err("pub-sub service"))
        };
        let events = |dir: &str| -> Res<_> {
            node.service_builder(&service_name(name, dir)?)
                .event()
                .open_or_create()
                .map_err(err("event service"))
        };
        // The server receives on a2b and answers on b2a; the client the other way.
        let (inbound, outbound) = if first { ("a2b", "b2a") } else { ("b2a", "a2b") };
        let subscriber = pubsub(inbound)?
            .subscriber_builder()
            .create()
            .map_err(err("subscriber"))?;
        let publisher = pubsub(outbound)?
            .publisher_builder()
            .create()
            .map_err(err("publisher"))?;
        let (listener, notifier) = if event {
            (
                Some(
                    events(inbound)?
                        .listener_builder()
                        .create()
                        .map_err(err("listener"))?,
                ),
                Some(
                    events(outbound)?
                        .notifier_builder()
                        .create()
                        .map_err(err("notifier"))?,
                ),
            )
        } else {
            (None, None)
        };
        let send = |m: Msg| -> Res<()> {
            publisher.send_copy(m).map_err(err("send"))?;
            if let Some(n) = &notifier {
                n.notify().map_err(err("notify"))?;
            }
            Ok(())
        };
        let receive = || -> Res<Msg> {
            loop {
                if let Some(sample) = subscriber.receive().map_err(err("receive"))? {
                    return Ok(*sample.payload());
                }
                match &listener {
                    Some(l) => {
                        l.blocking_wait(|_| {}).map_err(err("wait"))?;
                    }
                    None => std::hint::spin_loop(),
                }
            }
        };
        say(&format!("ready {cpus}"));
        struct C<'a> {
            send: &'a dyn Fn(Msg) -> Res<()>,
            receive: &'a dyn Fn() -> Res<Msg>,
        }
        impl Client for C<'_> {
            fn call(&mut self, v: i64) -> Res<i64> {
                (self.send)([0, v as u64])?;
                Ok((self.receive)()?[1] as i64)
            }
        }
        let mut client = C {
            send: &send,
            receive: &receive,
        };
        let result = run_round_trip(first, Some(&mut client), || loop {
            let m = receive()?;
            if m[1] as i64 == STOP {
                return Ok(());
            }
            send([m[0], m[1] + 1])?;
        });
        if !first {
            send([0, STOP as u64])?;
        }
        result
    }

    pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
        const BUFFER: usize = 4096;
        let node = NodeBuilder::new().create::<ipc::Service>().map_err(err("node"))?;
        let service = node
            .service_builder(&service_name(name, "stream")?)
            .publish_subscribe::<Msg>()
            .max_publishers(1)
            .max_subscribers(1)
            .history_size(0)
            .subscriber_max_buffer_size(BUFFER)
            .enable_safe_overflow(false)
            .open_or_create()
            .map_err(err("pub-sub service"))?;
        if first {
            let subscriber = service
                .subscriber_builder()
                .buffer_size(BUFFER)
                .create()
                .map_err(err("subscriber"))?;
            say(&format!("ready {cpus}"));
            wait_go()?;
            let mut check = Checker::new(n);
            while check.next < n {
                match subscriber.receive().map_err(err("receive"))? {
                    Some(sample) => check.see(sample.payload()[0])?,
                    None => std::hint::spin_loop(),
                }
            }
            check.done();
            Ok(())
        } else {
            let publisher = service
                .publisher_builder()
                .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
                .create()
                .map_err(err("publisher"))?;
            say(&format!("ready {cpus}"));
            wait_go()?;
            let start = monotonic_ns();
            for i in 0..n {
                publisher.send_copy([i, i * 3]).map_err(err("send"))?;
            }
            say(&format!("start {start}"));
            let _ = wait_go();
            Ok(())
        }
    }
}

mod ipcc {
    use super::*;
    use ipc_channel::ipc::{self, IpcOneShotServer, IpcReceiver, IpcSender};

    type Msg = [u64; 2];

    struct C {
        tx: IpcSender<Msg>,
        rx: IpcReceiver<Msg>,
    }

    impl Client for C {
        fn call(&mut self, v: i64) -> Res<i64> {
            self.tx.send([0, v as u64]).map_err(err("send"))?;
            Ok(self.rx.recv().map_err(err("recv"))?[1] as i64)
        }
    }

    pub fn round_trip(first: bool, info: &str, cpus: &str) -> Res<()> {
        if first {
            let (server, name) = IpcOneShotServer::<(IpcReceiver<Msg>, IpcSender<Msg>)>::new()
                .map_err(err("one-shot server"))?;
            say(&format!("ready {cpus} {name}"));
            wait_go()?;
            let (_, (rx, tx)) = server.accept().map_err(err("accept"))?;
            loop {
                let m = rx.recv().map_err(err("recv"))?;
                if m[1] as i64 == STOP {
                    return Ok(());
                }
                tx.send([m[0], m[1] + 1]).map_err(err("send"))?;
            }
        } else {
            let boot = IpcSender::<(IpcReceiver<Msg>, IpcSender<Msg>)>::connect(info.to_owned())
                .map_err(err("connect"))?;
            let (req_tx, req_rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
            let (resp_tx, resp_rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
            boot.send((req_rx, resp_tx)).map_err(err("send channels"))?;
            say(&format!("ready {cpus}"));
            let mut client = C {
                tx: req_tx,
                rx: resp_rx,
            };
            let result = run_round_trip(false, Some(&mut client), || Ok(()));
            let _ = client.tx.send([0, STOP as u64]);
            result
        }
    }

    pub fn stream(first: bool, info: &str, n: u64, cpus: &str) -> Res<()> {
        if first {
            let (server, name) =
                IpcOneShotServer::<IpcReceiver<Msg>>::new().map_err(err("one-shot server"))?;
            say(&format!("ready {cpus} {name}"));
            wait_go()?;
            let (_, rx) = server.accept().map_err(err("accept"))?;
            let mut check = Checker::new(n);
            while check.next < n {
                check.see(rx.recv().map_err(err("recv"))?[0])?;
            }
            check.done();
            Ok(())
        } else {
            let boot = IpcSender::<IpcReceiver<Msg>>::connect(info.to_owned()).map_err(err("connect"))?;
            let (tx, rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
            boot.send(rx).map_err(err("send channel"))?;
            say(&format!("ready {cpus}"));
            wait_go()?;
            let start = monotonic_ns();
            for i in 0..n {
                tx.send([i, i * 3]).map_err(err("send"))?;
            }
            say(&format!("start {start}"));
            let _ = wait_go();
            Ok(())
        }
    }
}

mod rawsync {
    use super::*;
    use raw_sync::events::{BusyEvent, Event, EventImpl, EventInit, EventState};
    use raw_sync::Timeout;
    use shared_memory::{Shmem, ShmemConf};

    const REQ: usize = 0;
    const RESP: usize = 256;
    const DATA: usize = 512;

    pub(super) fn map(name: &str, first: bool, size: usize) -> Res<Shmem> {
        if first {
            ShmemConf::new()
                .size(size)
                .os_id(name)
                .create()
                .map_err(err("create shmem"))
        } else {
            ShmemConf::new().os_id(name).open().map_err(err("open shmem"))
        }
    }

    fn event(shmem: &Shmem, at: usize, first: bool, busy: bool) -> Res<Box<dyn EventImpl>> {
        // SAFETY: `at` is inside the 4096-byte mapping, which outlives the
        // event (both live until the end of `round_trip`), and room enough
        // for either event kind (checked below).
        let ptr = unsafe { shmem.as_ptr().add(at) };
        let size = if busy {
            BusyEvent::size_of(None)
        } else {
            Event::size_of(Some(ptr))
        };
        if size > RESP {
            return Err(format!("event needs {size} bytes"));
        }
        // SAFETY: see above; the first side initialises, the second opens
        // what the first initialised before it said ready.
        let made = unsafe {
            match (busy, first) {
                (true, true) => BusyEvent::new(ptr, true),
                (true, false) => BusyEvent::from_existing(ptr),
                (false, true) => Event::new(ptr, true),
                (false, false) => Event::from_existing(ptr),
            }
        };
        made.map(|(e, _)| e).map_err(|e| format!("event: {e}"))
    }

    fn put(shmem: &Shmem, m: [u64; 2]) {
        compiler_fence(Ordering::SeqCst);
        // SAFETY: DATA..DATA+16 is inside the mapping and 8-aligned; the two
        // sides take turns through the events.
        unsafe { std::ptr::write_volatile(shmem.as_ptr().add(DATA).cast::<[u64; 2]>(), m) };
        compiler_fence(Ordering::SeqCst);
    }

    fn get(shmem: &Shmem) -> [u64; 2] {
        compiler_fence(Ordering::SeqCst);
        // SAFETY: as in `put`.
        let m = unsafe { std::ptr::read_volatile(shmem.as_ptr().add(DATA).cast::<[u64; 2]>()) };
        compiler_fence(Ordering::SeqCst);
        m
    }

    struct C<'a> {
        shmem: &'a Shmem,
        req: &'a dyn EventImpl,
        resp: &'a dyn EventImpl,
    }

    impl Client for C<'_> {
        fn call(&mut self, v: i64) -> Res<i64> {
            put(self.shmem, [0, v as u64]);
            self.req
                .set(EventState::Signaled)
                .map_err(|e| format!("set: {e}"))?;
            self.resp
                .wait(Timeout::Infinite)
                .map_err(|e| format!("wait: {e}"))?;
            Ok(get(self.shmem)[1] as i64)
        }
    }

    pub fn round_trip(name: &str, first: bool, busy: bool, cpus: &str) -> Res<()> {
        let shmem = map(name, first, 4096)?;
        let req = event(&shmem, REQ, first, busy)?;
        let resp = event(&shmem, RESP, first, busy)?;
        say(&format!("ready {cpus}"));
        let mut client = C {
            shmem: &shmem,
            req: &*req,
            resp: &*resp,
        };
        let result = run_round_trip(first, Some(&mut client), || loop {
            req.wait(Timeout::Infinite).map_err(|e| format!("wait: {e}"))?;
            let m = get(&shmem);
            if m[1] as i64 == STOP {
                return Ok(());
            }
            put(&shmem, [m[0], m[1] + 1]);
            resp.set(EventState::Signaled).map_err(|e| format!("set: {e}"))?;
        });
        if !first {
            put(&shmem, [0, STOP as u64]);
            let _ = req.set(EventState::Signaled);
        } else {
            // Stay until the client has stopped using the mapping.
            std::thread::sleep(Duration::from_millis(20));
        }
        result
    }

    /// Neither crate has a queue: the ring a user of them writes by hand.
    pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
        const CAP: u64 = 1 << 16;
        const HEAD: usize = 0;
        const TAIL: usize = 64;
        const RECORDS: usize = 128;
        let shmem = map(name, first, RECORDS + CAP as usize * 16)?;
        // SAFETY: both words lie in the mapping, 8-aligned, and are only
        // accessed atomically by both processes.
        let head = unsafe { &*shmem.as_ptr().add(HEAD).cast::<AtomicU64>() };
        // SAFETY: as above.
        let tail = unsafe { &*shmem.as_ptr().add(TAIL).cast::<AtomicU64>() };
        let slot = |i: u64| {
            // SAFETY: slot (i % CAP) lies in the record area of the mapping.
            unsafe {
                shmem
                    .as_ptr()
                    .add(RECORDS + (i % CAP) as usize * 16)
                    .cast::<[u64; 2]>()
            }
        };
        say(&format!("ready {cpus}"));
        wait_go()?;
        if first {
            // Consumer (creates the mapping).
            let mut check = Checker::new(n);
            let mut seen_tail = 0;
            while check.next < n {
                while seen_tail == check.next {
                    seen_tail = tail.load(Ordering::Acquire);
                    std::hint::spin_loop();
                }
                // SAFETY: published by the producer before `tail` moved past it.
                let m = unsafe { std::ptr::read_volatile(slot(check.next)) };
                check.see(m[0])?;
                head.store(check.next, Ordering::Release);
            }
            check.done();
            std::thread::sleep(Duration::from_millis(20));
            Ok(())
        } else {
            let start = monotonic_ns();
            let mut seen_head = 0;
            for i in 0..n {
                while i - seen_head >= CAP {
                    seen_head = head.load(Ordering::Acquire);
                    std::hint::spin_loop();
                }
                // SAFETY: the consumer is done with this slot (head moved past it).
                unsafe { std::ptr::write_volatile(slot(i), [i, i * 3]) };
                tail.store(i + 1, Ordering::Release);
            }
            say(&format!("start {start}"));
            let _ = wait_go();
            Ok(())
        }
    }
}

/// The floor for a round trip on one CPU: no library, a sequence word and
/// 16 bytes in shared memory, and `sched_yield` at every look. Every round
/// trip needs at least two context switches on one CPU; this does nothing else.
mod floor {
    use super::*;
    use std::sync::atomic::AtomicU64;

    const SEQ: usize = 0;
    const DATA: usize = 64;

    struct Floor {
        shmem: shared_memory::Shmem,
    }

    impl Floor {
        fn seq(&self) -> &AtomicU64 {
            // SAFETY: offset 0 of a 4096-byte page-aligned mapping that lives
            // as long as `self`; both processes access it only atomically.
            unsafe { &*self.shmem.as_ptr().add(SEQ).cast::<AtomicU64>() }
        }

        /// Yields until the sequence word is `want`.
        fn wait_for(&self, want: u64) {
            while self.seq().load(Ordering::Acquire) != want {
                std::thread::yield_now();
            }
        }

        fn put(&self, m: [u64; 2], seq: u64) {
            // SAFETY: DATA..DATA+16 lies in the mapping, 8-aligned; the sides
            // take turns through the sequence word.
            unsafe { std::ptr::write_volatile(self.shmem.as_ptr().add(DATA).cast::<[u64; 2]>(), m) };
            self.seq().store(seq, Ordering::Release);
        }

        fn get(&self) -> [u64; 2] {
            // SAFETY: as in `put`.
            unsafe { std::ptr::read_volatile(self.shmem.as_ptr().add(DATA).cast::<[u64; 2]>()) }
        }
    }

    struct C<'a> {
        floor: &'a Floor,
        seq: u64,
    }

    impl Client for C<'_> {
        fn call(&mut self, v: i64) -> Res<i64> {
            self.floor.put([0, v as u64], self.seq + 1);
            self.floor.wait_for(self.seq + 2);
            self.seq += 2;
            Ok(self.floor.get()[1] as i64)
        }
    }

    pub fn round_trip(name: &str, first: bool, cpus: &str) -> Res<()> {
        let floor = Floor {
            shmem: rawsync::map(name, first, 4096)?,
        };
        say(&format!("ready {cpus}"));
        let mut client = C {
            floor: &floor,
            seq: 0,
        };
        let result = run_round_trip(first, Some(&mut client), || {
            let mut seq = 1;
            loop {
                floor.wait_for(seq);
                let m = floor.get();
                if m[1] as i64 == STOP {
                    return Ok(());
                }
                floor.put([m[0], m[1] + 1], seq + 1);
                seq += 2;
            }
        });
        if !first {
            floor.put([0, STOP as u64], client.seq + 1);
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
        result
    }
}
