//! The record ring: correct data across processes (nothing lost, duplicated
//! or reordered), the full and empty edges, a peer that dies, and bad input.
// On Linux and Windows alike. The records are the demo's `ServiceMsg`, as the
// `ring_producer` and `ring_consumer` examples send them: the `demo` feature
// (which a workspace build turns on; `cargo test -p shared --test ring` alone
// runs none of them, `--features demo` does).
#![cfg(feature = "demo")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::records::Tick;
use common::*;
use shared::demo::ServiceMsg;
use shared::ring::{
    RecordReceiver, RecordSender, RingError, CONSUMER_PID_OFFSET, HEAD_OFFSET, PRODUCER_PID_OFFSET,
    RING_VERSION, TAIL_OFFSET,
};
use shared::{Failure, RegionOptions};

fn msg(i: u64) -> ServiceMsg {
    ServiceMsg::new(i as i32, i as i64)
}

/// Starts the `ring_producer` example and waits for its `ready` line.
fn start_producer(name: &str, dir: &str, count: u64, capacity: u32, batch: usize) -> Helper {
    start_producer_after(name, dir, count, capacity, batch, 0)
}

/// [`start_producer`], the producer pausing `delay_ms` before it sends.
fn start_producer_after(
    name: &str,
    dir: &str,
    count: u64,
    capacity: u32,
    batch: usize,
    delay_ms: u64,
) -> Helper {
    let numbers = [
        count.to_string(),
        capacity.to_string(),
        batch.to_string(),
        delay_ms.to_string(),
    ];
    let mut command = Command::new(example("ring_producer"));
    command.args(["--name", name, "--dir", dir]).args([
        "--count",
        &numbers[0],
        "--capacity",
        &numbers[1],
        "--batch",
        &numbers[2],
        "--delay-ms",
        &numbers[3],
    ]);
    let mut producer = Helper::spawn(&mut command);
    let line = producer.line();
    assert!(line.starts_with("ready"), "{line}");
    producer
}

/// Streams `count` records from the `ring_producer` example (`batch` per
/// send call, 1: one `send` each) to the `ring_consumer` example through a
/// ring of `capacity`: both must say every record crossed in order, and
/// nothing may be left behind.
fn stream_between_the_examples(count: u64, capacity: u32, batch: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("stream");
    let mut producer = start_producer(name.as_str(), arg(dir.path()), count, capacity, batch);
    let consumer = start(Command::new(example("ring_consumer")).args([
        "--name",
        name.as_str(),
        "--dir",
        arg(dir.path()),
    ]));
    let consumed = consumer.output();
    assert!(
        consumed.status.success(),
        "{}",
        String::from_utf8_lossy(&consumed.stderr)
    );
    let said = String::from_utf8_lossy(&consumed.stdout);
    assert!(
        said.contains(&format!("received {count} records in order in ")),
        "{said}"
    );
    assert!(producer.finish());
    let rest = producer.line();
    assert!(rest.starts_with(&format!("sent {count} records")), "{rest}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn records_cross_processes_in_order_through_a_small_wrapping_ring() {
    stream_between_the_examples(300_000, 1024, 100);
}

#[test]
fn ten_million_records_sent_one_send_each_cross_processes_in_order() {
    stream_between_the_examples(10_000_000, 65536, 1);
}

#[test]
fn a_users_own_24_byte_records_cross_processes_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("ticks");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<Tick>::create(&options, 2048).expect("sender");
    #[cfg(target_os = "linux")] // the region's file (Windows rounds a section to pages)
    {
        use shared::ring::DATA_OFFSET;
        let region_size = std::fs::metadata(dir.path().join(name.as_str()))
            .expect("stat")
            .len();
        assert_eq!(region_size, DATA_OFFSET + 2048 * 24, "sized for 24-byte records");
    }
    let mut consumer = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
    let ticks: Vec<Tick> = (0..200_000).map(Tick::nth).collect();
    for chunk in ticks.chunks(777) {
        within_send(&mut sender, chunk);
    }
    drop(sender); // closes the ring
    assert_eq!(consumer.line(), "received 200000");
    assert!(consumer.finish());
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// Sends `chunk`, failing (not hanging) if the consumer stops taking records.
fn within_send(sender: &mut RecordSender<Tick>, chunk: &[Tick]) {
    let started = std::time::Instant::now();
    let mut left = chunk;
    while let Some((first, rest)) = left.split_first() {
        if sender.try_send(first).expect("send") {
            left = rest;
        } else {
            assert!(
                started.elapsed() < WATCHDOG,
                "watchdog: the consumer stopped taking records"
            );
            std::thread::yield_now();
        }
    }
}

#[test]
fn a_consumer_of_another_record_size_is_told_both_sizes() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("sizes");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let _sender = RecordSender::<Tick>::create(&options, 1024).expect("sender");
    let error = RecordReceiver::<ServiceMsg>::open(&options).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "the ring carries records of 24 bytes aligned to 8, but this end's record type has 16 bytes \
         aligned to 8: both ends must use the same record type"
    );

    // And across processes: a ring of 1024 16-byte records (a region too
    // small for 1024 of the consumer's 24-byte records) refused by a 24-byte
    // consumer for its record type, not for the region's size.
    let other = unique("sizes16");
    let _sender16 =
        RecordSender::<ServiceMsg>::create(&RegionOptions::named(&other).in_dir(dir.path()), 1024)
            .expect("sender");
    let out = start(Command::new(helper_path()).args(["ticks", other.as_str(), arg(dir.path())])).output();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the ring carries records of 16 bytes aligned to 8, but this end's record type has 24 \
             bytes aligned to 8: both ends must use the same record type"
        ),
        "{stderr}"
    );
}

#[test]
fn a_consumer_of_a_record_of_the_same_size_but_another_alignment_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("align")).in_dir(dir.path());
    let _sender = RecordSender::<[u64; 2]>::create(&options, 1024).expect("sender");
    let error = RecordReceiver::<[u32; 4]>::open(&options).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "the ring carries records of 16 bytes aligned to 8, but this end's record type has 16 bytes \
         aligned to 4: both ends must use the same record type"
    );
    // What the ring cannot tell apart (as its documentation says): record
    // types of the same size and alignment, whatever their fields.
    RecordReceiver::<[i64; 2]>::open(&options).expect("same size and alignment: not told apart");
}

#[test]
fn a_full_ring_refuses_try_send_and_an_empty_one_try_recv() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("edges")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    assert_eq!(receiver.try_recv().expect("empty"), None);
    for i in 0..1024 {
        assert!(sender.try_send(&msg(i)).expect("room"), "record {i}");
    }
    assert!(!sender.try_send(&msg(1024)).expect("full"));
    // Wrap around several times with uneven batches.
    let mut expected = 0;
    let mut next = 1024;
    let mut buf = vec![ServiceMsg::default(); 333];
    while expected < 10_000 {
        let n = receiver.recv_batch(&mut buf).expect("records");
        for m in &buf[..n] {
            assert_eq!(*m, msg(expected));
            expected += 1;
        }
        let batch: Vec<ServiceMsg> = (next..next + 300).map(msg).collect();
        if next < 10_000 {
            sender.send_batch(&batch).expect("send");
            next += 300;
        }
    }
    drop(sender);
    let mut rest = 0;
    while let Some(m) = receiver.recv().expect("drain") {
        assert_eq!(m, msg(expected + rest));
        rest += 1;
    }
    assert_eq!(
        expected + rest,
        next,
        "every record once, then the end of the ring"
    );
}

#[test]
fn two_threads_stream_a_million_records_without_loss() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("threads")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 4096).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    let producer = std::thread::spawn(move || {
        for i in 0..1_000_000u64 {
            sender.send(&msg(i)).expect("send");
        }
    });
    let mut expected = 0u64;
    while let Some(m) = receiver.recv().expect("recv") {
        assert_eq!(m, msg(expected));
        expected += 1;
    }
    producer.join().expect("producer thread");
    assert_eq!(expected, 1_000_000);
}

#[test]
fn a_killed_producer_ends_the_consumers_wait_with_peer_gone() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("killprod");
    let mut producer = start_producer(name.as_str(), arg(dir.path()), 100000000, 1024, 256);
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&RegionOptions::named(&name).in_dir(dir.path()))
        .expect("receiver");
    let mut buf = vec![ServiceMsg::default(); 100];
    receiver.recv_batch(&mut buf).expect("some records");
    producer.kill(); // kill -9
    let error = loop {
        match receiver.recv_batch(&mut buf) {
            Ok(n) => assert!(n > 0, "a dead producer is not a closed ring"),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(error, RingError::PeerGone { peer: "producer", .. }),
        "{error}"
    );
}

#[test]
fn a_killed_consumer_ends_the_producers_wait_with_peer_gone() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("killcons");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut consumer = Helper::start_ring_consumer(name.as_str(), arg(dir.path()));
    // Wait until it has attached: then a second consumer is refused.
    let deadline = std::time::Instant::now() + WATCHDOG;
    while sender.consumer_pid() != Some(consumer.pid()) {
        assert!(
            std::time::Instant::now() < deadline,
            "watchdog: the consumer never attached"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let taken = match RecordReceiver::<ServiceMsg>::open(&options) {
        Err(RingError::ConsumerTaken { pid }) => pid,
        other => panic!("expected the consumer to be taken, got {other:?}"),
    };
    assert_eq!(taken, consumer.pid());
    consumer.kill();
    let batch: Vec<ServiceMsg> = (0..1000).map(msg).collect();
    let error = loop {
        if let Err(error) = sender.send_batch(&batch) {
            break error;
        }
    };
    assert!(
        matches!(error, RingError::PeerGone { peer: "consumer", .. }),
        "{error}"
    );
}

#[test]
fn bad_capacities_foreign_regions_second_consumers_and_corrupt_indices_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    for capacity in [0, 1000, 512, 1 << 25] {
        let error = RecordSender::<ServiceMsg>::create(
            &RegionOptions::named(&unique("cap")).in_dir(dir.path()),
            capacity,
        )
        .err();
        assert!(
            matches!(error, Some(RingError::BadCapacity(_))),
            "{capacity}: {error:?}"
        );
    }
    let missing =
        RecordReceiver::<ServiceMsg>::open(&RegionOptions::named(&unique("none")).in_dir(dir.path())).err();
    assert!(
        matches!(&missing, Some(RingError::Region(e)) if matches!(e.failure(), Failure::NotFound { .. })),
        "{missing:?}"
    );

    // A region that holds no ring: the user's own bytes, or nothing yet
    // (all zeros: the open waits a moment for a producer still setting up).
    for garbage in [true, false] {
        let demo = RegionOptions::named(&unique("demo"))
            .in_dir(dir.path())
            .size(1_024_000);
        let demo_region = demo.create_or_open().expect("a demo region");
        if garbage {
            let view = demo_region.create_view_accessor(0, 0).expect("view");
            view.write_bytes(0, &records::pattern(2, 4096)).expect("write");
        }
        let foreign = RecordReceiver::<ServiceMsg>::open(&demo).err();
        assert!(matches!(foreign, Some(RingError::NotARing(_))), "{foreign:?}");
    }
    let small = RegionOptions::named(&unique("small"))
        .in_dir(dir.path())
        .size(1000);
    let _small_region = small.create_or_open().expect("a small region");
    let foreign = RecordReceiver::<ServiceMsg>::open(&small).err();
    assert!(matches!(foreign, Some(RingError::NotARing(_))), "{foreign:?}");

    let options = RegionOptions::named(&unique("ring")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("first consumer");
    sender.send(&msg(1)).expect("send");

    // Someone scribbles over the indices through a plain view.
    let scribbler = options.open_existing().expect("open the ring's region");
    let view = scribbler.create_view_accessor(0, 0).expect("view");
    view.write_i32(TAIL_OFFSET, 999_999).expect("scribble");
    assert!(matches!(receiver.try_recv(), Err(RingError::Corrupt { .. })));
    view.write_i32(TAIL_OFFSET, 1).expect("repair");
    view.write_i32(HEAD_OFFSET, 0).expect("repair");
    assert_eq!(receiver.try_recv().expect("repaired"), Some(msg(1)));
}

#[test]
fn a_producer_that_closes_and_exits_is_an_end_of_stream_never_peer_gone() {
    let dir = tempfile::tempdir().expect("dir");
    for round in 0..40 {
        let name = unique("close");
        // Pauses of 0, 5 and 30 ms catch the consumer spinning, yielding and
        // asleep when the producer closes and exits.
        let delay = [0, 5, 30][round as usize % 3];
        let mut producer =
            start_producer_after(name.as_str(), arg(dir.path()), 1 + round % 3, 1024, 1, delay);
        let options = RegionOptions::named(&name).in_dir(dir.path());
        // The producer may already have sent, closed and exited: then the
        // region is gone too, which is also a clean end.
        let mut receiver = match RecordReceiver::<ServiceMsg>::open(&options) {
            Ok(receiver) => receiver,
            Err(RingError::Region(e)) if matches!(e.failure(), Failure::NotFound { .. }) => {
                assert!(producer.finish());
                continue;
            }
            Err(error) => panic!("round {round}: {error}"),
        };
        let mut received = 0;
        loop {
            match receiver.recv() {
                Ok(Some(m)) => {
                    assert_eq!(m, msg(received));
                    received += 1;
                }
                Ok(None) => break,
                Err(error) => panic!("round {round}: a clean close reported as {error}"),
            }
        }
        assert!(producer.finish());
    }
}

#[test]
fn a_second_receiver_in_the_same_process_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("twice")).in_dir(dir.path());
    let _sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let first = RecordReceiver::<ServiceMsg>::open(&options).expect("first");
    let second = RecordReceiver::<ServiceMsg>::open(&options).err();
    assert!(
        matches!(second, Some(RingError::ConsumerTaken { pid }) if pid == std::process::id()),
        "{second:?}"
    );
    drop(first);
    RecordReceiver::<ServiceMsg>::open(&options).expect("the place is free again after a close");
}

#[test]
fn waits_with_a_timeout_end_when_it_runs_out_and_lose_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("timeouts")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");

    // Nothing sent: the receiver's wait ends at its timeout, not later.
    let started = std::time::Instant::now();
    let empty = receiver.recv_timeout(Duration::from_millis(200));
    assert!(matches!(empty, Err(RingError::TimedOut { done: 0 })), "{empty:?}");
    assert!(started.elapsed() >= Duration::from_millis(200));

    // A full ring: the sender's batch ends at its timeout, saying how many went.
    let batch: Vec<ServiceMsg> = (0..1500).map(msg).collect();
    let full = sender.send_batch_timeout(&batch, Duration::from_millis(200));
    assert!(
        matches!(full, Err(RingError::TimedOut { done: 1024 })),
        "{full:?}"
    );
    let late = sender.send_timeout(&msg(2000), Duration::from_millis(50));
    assert!(matches!(late, Err(RingError::TimedOut { done: 0 })), "{late:?}");

    // What went is all there, in order, and the ring goes on.
    for i in 0..1024 {
        let got = receiver.recv_timeout(Duration::from_secs(5)).expect("recv");
        assert_eq!(got, Some(msg(i)));
    }
    sender
        .send_timeout(&msg(7), Duration::from_secs(5))
        .expect("room again");
    assert_eq!(
        receiver.recv_timeout(Duration::from_secs(5)).expect("recv"),
        Some(msg(7))
    );
    drop(sender);
    assert_eq!(
        receiver.recv_timeout(Duration::from_secs(5)).expect("closed"),
        None
    );
}

/// Every record reaches a consumer that went to sleep on the empty ring
/// without waiting for the sleep's liveness slice (100 ms): the producer's
/// plain store is paired with the sleeper's heavy barrier, so no wake-up is
/// lost. The producer sends one record at a time and waits for the consumer
/// to acknowledge it before the next, so a lost wake-up cannot be rescued by
/// the next send; before each record it pauses between 20 microseconds and
/// 2 milliseconds, so the consumer goes to sleep for most records and some
/// arrive just as it stops spinning, where a lost wake-up would happen.
#[test]
fn a_sleeping_consumer_is_woken_for_every_record() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("wakeups")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    const RECORDS: u64 = 300;
    let acked = Arc::new(AtomicU64::new(0));
    let consumer = {
        let acked = Arc::clone(&acked);
        std::thread::spawn(move || {
            for i in 0..RECORDS {
                let m = receiver.recv().expect("recv").expect("a record");
                assert_eq!(m.id, i as i32);
                acked.store(i + 1, Ordering::Release);
            }
        })
    };
    let mut late = Vec::new();
    for i in 0..RECORDS {
        let until = Instant::now() + Duration::from_micros(20 + (i * 397) % 2000);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        let sent = Instant::now();
        sender.send(&msg(i)).expect("send");
        while acked.load(Ordering::Acquire) <= i {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "record {i} was never received"
            );
            std::thread::yield_now();
        }
        if sent.elapsed() >= Duration::from_millis(90) {
            late.push((i, sent.elapsed()));
        }
    }
    consumer.join().expect("consumer thread");
    // A lost wake-up shows as a record that waited out the 100 ms slice; a
    // busy machine may delay one or two by that much, never most of them.
    assert!(
        late.len() <= 2,
        "records that waited out the sleep slice: {late:?}"
    );
}

/// Runs an example to its end (watchdog), with its stdout and stderr.
fn run_example(name: &str, args: &[&str]) -> (std::process::ExitStatus, String, String) {
    let out = start(Command::new(example(name)).args(args)).output();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_producer_done_sending_before_its_consumer_opens_delivers_every_record() {
    // 24-byte records: every one sent before the consumer exists.
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("early");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<Tick>::create(&options, 4096).expect("sender");
    let ticks: Vec<Tick> = (0..3000).map(Tick::nth).collect();
    sender.send_batch(&ticks).expect("room for all");
    assert_eq!(sender.consumer_pid(), None);
    let mut consumer = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
    assert_eq!(sender.finish(WATCHDOG).expect("finish"), 0, "every record taken");
    assert_eq!(consumer.line(), "received 3000");
    assert!(consumer.finish());
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn the_ring_examples_start_in_either_order_and_say_what_was_never_delivered() {
    // 16-byte records (the demo's ServiceMsg), through the two examples.
    let dir = tempfile::tempdir().expect("dir");
    let dir_arg = arg(dir.path());
    // Nobody ever consumes: the producer says how many were lost, exit 1.
    let alone = unique("alone");
    let (status, _, stderr) = run_example(
        "ring_producer",
        &[
            "--name",
            alone.as_str(),
            "--dir",
            dir_arg,
            "--count",
            "10000",
            "--capacity",
            "16384",
            "--finish",
            "0.2",
        ],
    );
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("10000 of 10000 records were never taken"),
        "{stderr}"
    );
    // The consumer first, the producer later: everything arrives.
    let late = unique("late");
    let consumer = start(Command::new(example("ring_consumer")).args([
        "--name",
        late.as_str(),
        "--dir",
        dir_arg,
        "--wait",
        "30",
    ]));
    let (status, stdout, stderr) = run_example(
        "ring_producer",
        &[
            "--name",
            late.as_str(),
            "--dir",
            dir_arg,
            "--count",
            "5000",
            "--capacity",
            "1024",
            "--finish",
            "30",
        ],
    );
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("delivered all 5000 records"), "{stdout}");
    let consumed = consumer.output();
    assert!(consumed.status.success());
    assert!(String::from_utf8_lossy(&consumed.stdout).contains("received 5000 records in order in "));
    // A consumer that waits for a producer that never comes says so.
    let never = unique("never");
    let (status, _, stderr) = run_example(
        "ring_consumer",
        &["--name", never.as_str(), "--dir", dir_arg, "--wait", "0.1"],
    );
    assert!(!status.success());
    assert!(stderr.contains("no producer came within"), "{stderr}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_consumer_killed_mid_stream_is_reported_by_finish_with_what_it_never_took() {
    for round in 0..5u64 {
        let dir = tempfile::tempdir().expect("dir");
        let name = unique("midkill");
        let options = RegionOptions::named(&name).in_dir(dir.path());
        let mut sender = RecordSender::<Tick>::create(&options, 1024).expect("sender");
        let mut consumer = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
        sender.wait_for_consumer(WATCHDOG).expect("the consumer attached");
        let pid = consumer.pid();
        // Killed at a moment that differs from round to round, mid-stream.
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2 + round * 7));
            consumer.kill();
            consumer
        });
        let ticks: Vec<Tick> = (0..2_000_000).map(Tick::nth).collect();
        let sent = match sender.send_batch(&ticks) {
            Err(RingError::PeerGone {
                peer: "consumer",
                pid: gone,
            }) => {
                assert_eq!(gone, pid);
                false
            }
            Err(other) => panic!("round {round}: {other}"),
            Ok(()) => true,
        };
        drop(killer.join().expect("killer"));
        let undelivered = sender.finish(WATCHDOG).expect("finish");
        // Whatever sits in the ring was never taken: at most the capacity,
        // and something whenever the sends stopped on the dead consumer.
        assert!(undelivered <= 1024, "round {round}: {undelivered}");
        if !sent {
            assert!(undelivered > 0, "round {round}: a full ring stopped the sends");
        }
    }
}

/// Runs `f` on a thread of its own and returns what it returned, or fails
/// the test when it has not returned within `limit` (a wait that would never
/// end fails instead of hanging).
fn within_limit<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("watchdog: {what} had not ended after {limit:?}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// Stores `value` in the ring header's word at `offset`, through a region
/// of its own, as any other process of the user could.
fn poke(options: &RegionOptions, offset: u64, value: u32) {
    let region = options.open_existing().expect("open the ring's region");
    region
        .atomic_u32(offset)
        .expect("a header word")
        .store(value, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn a_consumer_ends_with_peer_gone_within_5_s_when_its_killed_producers_pid_word_reads_0() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("pid0prod");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut producer = start_producer(name.as_str(), arg(dir.path()), 100_000_000, 1024, 256);
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    let mut buf = vec![ServiceMsg::default(); 100];
    receiver.recv_batch(&mut buf).expect("some records");
    poke(&options, PRODUCER_PID_OFFSET, 0);
    producer.kill(); // kill -9, and reaped: it is gone before the wait starts
                     // 5 s is fifty liveness checks (one every 100 ms); without the fix the
                     // wait never ends.
    let message = within_limit(Duration::from_secs(5), "the consumer's wait", move || {
        let end = loop {
            match receiver.recv_batch(&mut buf) {
                Ok(0) => break "a dead producer reported as a closed ring".to_owned(),
                Ok(_) => {} // what it sent before it died
                Err(error @ RingError::PeerGone { peer: "producer", .. }) => break error.to_string(),
                Err(other) => break format!("not PeerGone: {other}"),
            }
        };
        drop(receiver);
        end
    });
    assert_eq!(
        message,
        "the producer is gone: the ring's producer pid word reads 0, which names no process \
         (something else wrote into the ring's region); no more records can come"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_producer_ends_with_peer_gone_within_5_s_when_its_killed_consumers_pid_word_reads_0() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("pid0cons");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<Tick>::create(&options, 1024).expect("sender");
    let mut consumer = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
    sender.wait_for_consumer(WATCHDOG).expect("the consumer attached");
    poke(&options, CONSUMER_PID_OFFSET, 0);
    consumer.kill();
    let message = within_limit(Duration::from_secs(5), "the producer's wait", move || {
        let ticks: Vec<Tick> = (0..1000).map(Tick::nth).collect();
        let end = loop {
            match sender.send_batch(&ticks) {
                Ok(()) => {}
                Err(error @ RingError::PeerGone { peer: "consumer", .. }) => break error.to_string(),
                Err(other) => break format!("not PeerGone: {other}"),
            }
        };
        drop(sender);
        end
    });
    assert_eq!(
        message,
        "the consumer is gone: the ring's consumer pid word reads 0, which names no process \
         (something else wrote into the ring's region); the records it did not take stay in the \
         ring: a new consumer can take its place (RecordSender::wait_for_consumer waits for one), \
         then send again"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_full_ring_that_no_consumer_has_attached_to_yet_waits_for_one_instead_of_calling_it_gone() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("notyet")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    for i in 0..1024 {
        assert!(sender.try_send(&msg(i)).expect("room"), "record {i}");
    }
    // The consumer's pid word reads 0: nobody has attached yet, which is no death.
    let waited = sender.send_timeout(&msg(1024), Duration::from_millis(300));
    assert!(
        matches!(waited, Err(RingError::TimedOut { done: 0 })),
        "{waited:?}"
    );
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    assert_eq!(receiver.recv().expect("recv"), Some(msg(0)));
    sender
        .send_timeout(&msg(1024), WATCHDOG)
        .expect("room once a consumer took one");
}

#[test]
fn wait_for_consumer_and_consumer_pid_count_only_a_live_consumer() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("livecons");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let sender = RecordSender::<Tick>::create(&options, 1024).expect("sender");
    let mut consumer = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
    sender.wait_for_consumer(WATCHDOG).expect("the consumer attached");
    assert_eq!(sender.consumer_pid(), Some(consumer.pid()));
    consumer.kill(); // its pid stays in the header, naming a dead process
    assert_eq!(sender.consumer_pid(), None);
    let waited = sender.wait_for_consumer(Duration::from_millis(200));
    assert!(
        matches!(waited, Err(RingError::NoPeer { peer: "consumer", .. })),
        "{waited:?}"
    );
    // A new consumer takes the dead one's place, and the wait ends.
    let again = Helper::start(&["ticks", name.as_str(), arg(dir.path())]);
    sender
        .wait_for_consumer(WATCHDOG)
        .expect("the new consumer attached");
    assert_eq!(sender.consumer_pid(), Some(again.pid()));
}

#[test]
fn a_producer_whose_consumer_closed_says_so_and_names_no_pid() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("closedcons")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    drop(receiver);
    let message = sender
        .send(&msg(0))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        "the consumer closed its end of the ring; the records it did not take stay in the ring: \
         a new consumer can take its place (RecordSender::wait_for_consumer waits for one), then \
         send again"
    );
}

#[test]
fn a_producer_whose_consumer_found_the_ring_corrupt_says_so_and_names_no_pid() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("corruptcons")).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options).expect("receiver");
    sender.send(&msg(0)).expect("send");
    poke(&options, TAIL_OFFSET, 999_999);
    assert!(matches!(receiver.try_recv(), Err(RingError::Corrupt { .. })));
    drop(receiver); // as a program does when it stops on the error
    let message = sender
        .send(&msg(1))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        "the consumer closed its end of the ring because it found the ring corrupt (something else \
         wrote into the ring's region): the stream was cut, no more records can pass"
    );
}

#[test]
fn the_ring_consumer_example_fails_when_its_producer_cut_the_stream_on_a_corrupt_ring() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("cut");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut producer = start_producer(name.as_str(), arg(dir.path()), 100_000_000, 1024, 256);
    // Kept open, so that the ring outlives its producer.
    let region = options.open_existing().expect("open the ring's region");
    let head = region.atomic_u32(HEAD_OFFSET).expect("the head word");
    // An impossible head: the producer finds it when the ring looks full
    // (no consumer takes anything), stops with `Corrupt` and closes its end.
    head.store(0x8000_0000, std::sync::atomic::Ordering::SeqCst);
    assert!(!producer.finish(), "the producer stops on the corrupt ring");
    head.store(0, std::sync::atomic::Ordering::SeqCst);
    // The consumer gets the 1024 records that were sent, then learns why no
    // more will come.
    let (status, stdout, stderr) = run_example(
        "ring_consumer",
        &["--name", name.as_str(), "--dir", arg(dir.path()), "--wait", "30"],
    );
    assert!(!status.success(), "{stdout}");
    assert!(
        stdout.contains("received 1024 records in order before the error"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "error: the producer closed its end of the ring because it found the ring corrupt \
             (something else wrote into the ring's region): the stream was cut, no more records can pass"
        ),
        "{stderr}"
    );
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// Waits for `child` to exit; fails the test (naming `what`) after `limit`.
#[cfg(target_os = "linux")]
fn exit_status_within(
    child: &mut std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "watchdog: the {what} had not exited after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Both ring examples, streaming to each other, get `signal` at once: each
/// leaves as a normal exit would, and nothing of the ring is left.
#[cfg(target_os = "linux")]
fn both_ring_examples_leave_nothing_on(signal: libc::c_int) {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("signal");
    let mut producer = start_producer(name.as_str(), arg(dir.path()), 1 << 40, 1024, 256);
    let mut consumer = Helper::start_ring_consumer(name.as_str(), arg(dir.path()));
    let line = consumer.line();
    assert!(line.starts_with("ready"), "{line}");
    for pid in [producer.pid(), consumer.pid()] {
        let pid = libc::pid_t::try_from(pid).expect("a pid");
        // SAFETY: kill takes plain values; the pids are our live children.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {pid}");
    }
    for (what, helper) in [("producer", &mut producer), ("consumer", &mut consumer)] {
        let status = exit_status_within(&mut helper.child, WATCHDOG, what);
        // Ended by its own exit (130 from the signal, or 1 when it saw its
        // peer go first), not killed by the signal.
        assert!(status.code().is_some(), "{what}: {status:?}");
    }
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[cfg(target_os = "linux")]
#[test]
fn the_ring_examples_leave_nothing_behind_on_sigterm() {
    both_ring_examples_leave_nothing_on(libc::SIGTERM);
}

#[cfg(target_os = "linux")]
#[test]
fn the_ring_examples_leave_nothing_behind_on_sighup() {
    both_ring_examples_leave_nothing_on(libc::SIGHUP);
}

#[test]
fn a_ring_of_another_layout_version_is_named_as_such_not_as_no_ring() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("version")).in_dir(dir.path());
    let _sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    // The layout version word (offset 4 in the module's table), as a ring
    // made by the previous version of the library holds it.
    poke(&options, 4, 3);
    let message = RecordReceiver::<ServiceMsg>::open(&options)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        format!(
            "the region holds a ring of layout version 3, and this library reads version {RING_VERSION}: \
             build both ends with the same version of shared"
        )
    );
}

#[cfg(target_os = "linux")] // (Windows rounds a section up to whole pages)
#[test]
fn a_region_smaller_than_a_ring_header_is_no_ring() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("tiny")).in_dir(dir.path()).size(100);
    let _region = options.create_new().expect("a region of 100 bytes");
    let message = RecordReceiver::<ServiceMsg>::open(&options)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        message,
        "the region holds no record ring (the region has only 100 bytes, fewer than a ring's 192-byte \
         header); create it with RecordSender::create first"
    );
}

/// The ring header's word at `offset`, read through a region of its own.
fn peek(options: &RegionOptions, offset: u64) -> u32 {
    let region = options.open_existing().expect("open the ring's region");
    region
        .atomic_u32(offset)
        .expect("a header word")
        .load(std::sync::atomic::Ordering::SeqCst)
}

/// A number in `range` that differs from run to run (the clock's
/// nanoseconds): where a consumer stops.
fn a_random_point(range: std::ops::Range<u32>) -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    range.start + nanos % (range.end - range.start)
}

/// The `ring_consumer` example on `name` in `dir`, `--ack` when `ack`,
/// with `extra` arguments; once it said `ready`.
fn start_consumer(name: &str, dir: &str, ack: bool, extra: &[&str]) -> Helper {
    let mut command = Command::new(example("ring_consumer"));
    command.args(["--name", name, "--dir", dir]).args(extra);
    if ack {
        command.arg("--ack");
    }
    let mut consumer = Helper::spawn(&mut command);
    let line = consumer.line();
    assert!(line.starts_with("ready"), "{line}");
    consumer
}

/// The two numbers of `stalled: received B, acknowledged A`.
fn stalled_at(line: &str) -> (u32, u32) {
    let numbers: Vec<u32> = line
        .strip_prefix("stalled: received ")
        .and_then(|rest| rest.split_once(", acknowledged "))
        .and_then(|(b, a)| Some(vec![b.parse().ok()?, a.parse().ok()?]))
        .unwrap_or_else(|| panic!("{line}"));
    (numbers[0], numbers[1])
}

/// A producer streams 2 million records, one `send` each, and waits for
/// consumers as they come (`ring_producer --wait-consumer`). The first
/// consumer stops at a random record (`--stall-after`, its last batch
/// received and not acknowledged) and is killed (-9); a second takes its
/// place. Returns what the first had received and acknowledged, the ring's
/// head after the kill, and where the second started (`first K`). Both
/// consumers check that what they received came in order, and the
/// producer that every record was delivered.
fn a_consumer_killed_then_replaced(ack: bool) -> (u32, u32, u32, u32) {
    const COUNT: u32 = 2_000_000;
    let dir = tempfile::tempdir().expect("dir");
    let name = unique(if ack { "ackkill" } else { "takekill" });
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut producer = Helper::spawn(Command::new(example("ring_producer")).args([
        "--name",
        name.as_str(),
        "--dir",
        arg(dir.path()),
        "--count",
        &COUNT.to_string(),
        "--capacity",
        "1024",
        "--batch",
        "1",
        "--wait-consumer",
        "120",
        "--finish",
        "120",
    ]));
    assert!(producer.line().starts_with("ready"));
    let stop = a_random_point(1..COUNT / 2).to_string();
    let mut first = start_consumer(name.as_str(), arg(dir.path()), ack, &["--stall-after", &stop]);
    assert_eq!(first.line(), "first 0");
    let (received, acknowledged) = stalled_at(&first.line());
    first.kill();
    let head = peek(&options, HEAD_OFFSET);
    let mut second = start_consumer(name.as_str(), arg(dir.path()), ack, &[]);
    let started = second.line();
    let start: u32 = started
        .strip_prefix("first ")
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("{started}"));
    let end = second.line();
    assert!(
        end.starts_with(&format!("received {} records in order", COUNT - start)),
        "{end}"
    );
    assert!(second.finish());
    let said = producer.remaining_lines().join("\n");
    assert!(producer.finish(), "{said}");
    assert!(said.contains(&format!("delivered all {COUNT} records")), "{said}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    (received, acknowledged, head, start)
}

#[test]
fn a_killed_consumers_replacement_gets_no_record_twice_at_most_once() {
    let (received, acknowledged, head, start) = a_consumer_killed_then_replaced(false);
    assert_eq!(acknowledged, received, "received is taken");
    // The new one starts right after the last record the dead one
    // received: the last batch, received and never handled, is lost.
    assert_eq!((head, start), (received, received));
}

#[test]
fn a_killed_consumers_replacement_gets_every_unacknowledged_record_at_least_once() {
    let (received, acknowledged, head, start) = a_consumer_killed_then_replaced(true);
    assert!(acknowledged < received, "the last batch was not acknowledged");
    // The new one starts at the first record the dead one did not
    // acknowledge: the last batch comes again.
    assert_eq!((head, start), (acknowledged, acknowledged));
}

#[test]
fn an_acknowledging_consumer_frees_slots_only_when_it_acknowledges() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("acks");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let all: Vec<ServiceMsg> = (0..1024).map(msg).collect();
    sender.send_batch(&all).expect("room for all");
    let mut receiver = RecordReceiver::<ServiceMsg>::open(&options)
        .expect("receiver")
        .acknowledging();
    let mut buf = vec![ServiceMsg::default(); 1024];
    assert_eq!(receiver.recv_batch(&mut buf).expect("records"), 1024);
    assert_eq!(receiver.unacknowledged(), 1024);
    // Received, not acknowledged: the slots are still taken.
    assert!(
        !sender.try_send(&msg(1024)).expect("try_send"),
        "the ring is full"
    );
    // Nothing more can come until it acknowledges: an error, never a hang.
    let error = within_limit(Duration::from_secs(60), "recv", move || {
        let error = receiver.recv().expect_err("nothing can come");
        (error, receiver)
    });
    let (error, mut receiver) = error;
    assert!(
        matches!(error, RingError::AckNeeded { unacknowledged: 1024 }),
        "{error}"
    );
    assert!(error.to_string().contains("RecordReceiver::ack"), "{error}");
    receiver.ack();
    assert_eq!(receiver.unacknowledged(), 0);
    assert!(sender.try_send(&msg(1024)).expect("try_send"), "room again");
    assert_eq!(receiver.recv().expect("record"), Some(msg(1024)));
    // Dropped unacknowledged: the record stays for the next consumer, and
    // finish counts it as never taken.
    drop(receiver);
    assert_eq!(sender.finish(Duration::ZERO).expect("finish"), 1);
}

#[test]
fn a_producer_waits_for_a_consumer_to_take_the_dead_ones_place_and_sends_on() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("takeover");
    let options = RegionOptions::named(&name).in_dir(dir.path());
    let mut sender = RecordSender::<ServiceMsg>::create(&options, 1024).expect("sender");
    let mut consumer = start_consumer(name.as_str(), arg(dir.path()), false, &[]);
    sender.wait_for_consumer(WATCHDOG).expect("the consumer attached");
    consumer.kill();
    let all: Vec<ServiceMsg> = (0..2048).map(msg).collect();
    let error = sender
        .send_batch(&all)
        .expect_err("a full ring and a dead consumer");
    assert!(
        matches!(error, RingError::PeerGone { peer: "consumer", .. }),
        "{error}"
    );
    let said = error.to_string();
    assert!(
        said.contains("a new consumer can take its place") && said.contains("wait_for_consumer"),
        "{said}"
    );
    let sent = sender.written();
    assert_eq!(sent, 1024, "what fit before the consumer died");
    let mut next = start_consumer(name.as_str(), arg(dir.path()), false, &[]);
    sender.wait_for_consumer(WATCHDOG).expect("a new consumer");
    sender.send_batch(&all[sent as usize..]).expect("sent on");
    assert_eq!(sender.wait_until_taken(WATCHDOG).expect("taken"), 0);
    drop(sender);
    assert_eq!(next.line(), "first 0");
    let end = next.line();
    assert!(end.starts_with("received 2048 records in order"), "{end}");
    assert!(next.finish());
}
