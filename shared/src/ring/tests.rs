//! The ring's publication logic, exactly: who sees what, and who wakes whom.
//!
//! In these tests a sleeping side sleeps an hour at a time (the liveness
//! slice, 100 ms otherwise): a record or a freed slot whose wake-up were
//! lost would hang the test until its watchdog fails it, instead of arriving
//! one slice late and passing. No assertion here is about time: the
//! watchdog only catches a wait that never ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::both_ends::Ring;
use super::layout::{CONSUMER_SLEEPING_OFFSET, MIN_CAPACITY, PRODUCER_SLEEPING_OFFSET};
use super::wakeups::{LIVENESS_SLICE, PAUSES_PER_LOOK, SPIN_PAUSES};
use super::{way_to_sleep, RecordReceiver, RecordSender};
use crate::{RegionName, RegionOptions};

/// A record of the ring under test: a sequence number and its complement.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Numbered {
    seq: u64,
    check: u64,
}

fn numbered(seq: u64) -> Numbered {
    Numbered { seq, check: !seq }
}

/// A ring of `capacity` records under a name no other test uses, its
/// sender and its receiver (the receiver attached, the ring empty).
fn ring(test: &str, capacity: u32) -> (RecordSender<Numbered>, RecordReceiver<Numbered>) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "ringpub-{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let options = RegionOptions::named(&RegionName::new(&name).expect("name"));
    let sender = RecordSender::create(&options, capacity).expect("sender");
    let receiver = RecordReceiver::open(&options).expect("receiver");
    (sender, receiver)
}

/// Runs `f` on a thread of its own; fails the test when it has not ended
/// after a minute (a lost wake-up: the sleeper sleeps an hour).
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(value) => value,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} never ended: a wake-up was lost")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// Waits (yielding) until the ring word at `offset` reads `value`; fails
/// the test when it has not after a minute.
fn until_word_is<T>(ring: &Ring<T>, offset: u64, value: u32, what: &str) {
    let watchdog = std::time::Instant::now();
    while ring.word(offset).load(Ordering::SeqCst) != value {
        assert!(watchdog.elapsed() < Duration::from_secs(60), "{what} never came");
        std::thread::yield_now();
    }
}

/// Pauses `n` times (a delay that does not leave the CPU).
fn pause(n: u32) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

#[test]
fn the_slice_is_an_hour_in_these_tests() {
    assert!(LIVENESS_SLICE >= Duration::from_secs(3600));
}

#[test]
fn a_lone_record_reaches_a_consumer_that_sleeps() {
    let (mut sender, mut receiver) = ring("lone", MIN_CAPACITY);
    let consumer = std::thread::spawn(move || receiver.recv().expect("recv"));
    // The consumer says it sleeps once it is past its spin.
    until_word_is(&sender.ring, CONSUMER_SLEEPING_OFFSET, 1, "the consumer's sleep");
    sender.send(&numbered(7)).expect("send");
    let got = within_a_minute("the sleeping consumer's recv", move || {
        consumer.join().expect("consumer")
    });
    assert_eq!(got, Some(numbered(7)));
}

/// Makes this thread, at `at` on its next way to sleep, tell the test
/// (`reached`) and wait until the test has done its part (`go`).
fn stop_at(at: way_to_sleep::Step) -> (std::sync::mpsc::Receiver<()>, std::sync::mpsc::Sender<()>) {
    let (reached_tx, reached) = std::sync::mpsc::channel();
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    let mut once = Some((reached_tx, go_rx));
    way_to_sleep::AT_STEP.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move |step| {
            if step == at {
                if let Some((reached, go)) = once.take() {
                    let _ = reached.send(());
                    let _ = go.recv();
                }
            }
        }));
    });
    (reached, go)
}

/// The consumer stops at `at` on its way to sleep; the producer publishes
/// one record there; the consumer must take it (not sleep past it).
fn a_record_published_at(at: way_to_sleep::Step) {
    let (mut sender, mut receiver) = ring("step", MIN_CAPACITY);
    let (steps_tx, steps) = std::sync::mpsc::channel();
    let consumer = std::thread::spawn(move || {
        let _ = steps_tx.send(stop_at(at));
        receiver.recv().expect("recv")
    });
    let (reached, go) = steps.recv().expect("the consumer's steps");
    within_a_minute("the consumer's way to sleep", move || {
        reached.recv().expect("reached")
    });
    sender.send(&numbered(3)).expect("send");
    go.send(()).expect("go");
    let got = within_a_minute("the consumer", move || consumer.join().expect("consumer"));
    assert_eq!(got, Some(numbered(3)));
}

#[test]
fn a_record_published_after_the_consumers_last_look_before_its_flag_is_taken() {
    a_record_published_at(way_to_sleep::Step::SpinEnded);
}

#[test]
fn a_record_published_after_the_consumer_set_its_flag_is_taken() {
    a_record_published_at(way_to_sleep::Step::Announced);
}

/// The producer, on a full ring, stops at `at` on its way to sleep; the
/// consumer frees a slot there; the producer's send must go through.
fn a_slot_freed_at(at: way_to_sleep::Step) {
    let (mut sender, mut receiver) = ring("fullstep", MIN_CAPACITY);
    for seq in 0..u64::from(MIN_CAPACITY) {
        sender.send(&numbered(seq)).expect("send");
    }
    let (steps_tx, steps) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        let _ = steps_tx.send(stop_at(at));
        sender.send(&numbered(u64::from(MIN_CAPACITY))).expect("send");
        sender
    });
    let (reached, go) = steps.recv().expect("the producer's steps");
    within_a_minute("the producer's way to sleep", move || {
        reached.recv().expect("reached")
    });
    assert_eq!(receiver.try_recv().expect("recv"), Some(numbered(0)));
    go.send(()).expect("go");
    drop(within_a_minute("the producer", move || {
        producer.join().expect("producer")
    }));
}

#[test]
fn a_slot_freed_after_the_producers_last_look_before_its_flag_lets_it_send() {
    a_slot_freed_at(way_to_sleep::Step::SpinEnded);
}

#[test]
fn a_slot_freed_after_the_producer_set_its_flag_lets_it_send() {
    a_slot_freed_at(way_to_sleep::Step::Announced);
}

#[test]
fn the_last_record_of_a_burst_reaches_a_consumer_on_its_way_to_sleep() {
    const BURSTS: u64 = 2_000;
    let (mut sender, mut receiver) = ring("burst", MIN_CAPACITY);
    let taken = Arc::new(AtomicU64::new(0));
    let consumer = {
        let taken = Arc::clone(&taken);
        std::thread::spawn(move || {
            let mut next = 0;
            while let Some(record) = receiver.recv().expect("recv") {
                assert_eq!(record, numbered(next), "records in order");
                next += 1;
                taken.store(next, Ordering::Release);
            }
            next
        })
    };
    let sent = within_a_minute("the bursts", move || {
        let mut next = 0;
        for burst in 0..BURSTS {
            // A burst of 1 to 8 records, then wait until the consumer has
            // them all and is spinning, then the next burst's first record
            // after a delay that sweeps across the end of its spin (where it
            // announces its sleep, looks once more and sleeps).
            for _ in 0..=burst % 8 {
                sender.send(&numbered(next)).expect("send");
                next += 1;
            }
            while taken.load(Ordering::Acquire) < next {
                std::hint::spin_loop();
            }
            pause(SPIN_PAUSES - 400 + (burst * 7 % 800) as u32);
        }
        drop(sender);
        next
    });
    let received = within_a_minute("the consumer", move || consumer.join().expect("consumer"));
    assert_eq!(received, sent);
}

#[test]
fn a_producer_that_stops_after_one_record_has_it_delivered_without_another_send() {
    let (mut sender, mut receiver) = ring("stops", MIN_CAPACITY);
    // First a fast stream: the consumer then is close behind the producer
    // and lets it get ahead before it takes again; then one record more,
    // and the producer goes quiet (its sender stays open: no close, no
    // flush).
    for seq in 0..500 {
        sender.send(&numbered(seq)).expect("send");
    }
    let consumer = std::thread::spawn(move || {
        let mut buf = [numbered(0); 64];
        let mut next = 0;
        while next < 501 {
            let n = receiver.recv_batch(&mut buf).expect("recv");
            for record in &buf[..n] {
                assert_eq!(*record, numbered(next));
                next += 1;
            }
        }
        receiver
    });
    sender.send(&numbered(500)).expect("send");
    let receiver = within_a_minute("the consumer of a producer gone quiet", move || {
        consumer.join().expect("consumer")
    });
    // And once more with the consumer asleep when the lone record comes.
    let mut receiver = receiver;
    let consumer = std::thread::spawn(move || receiver.recv().expect("recv"));
    until_word_is(&sender.ring, CONSUMER_SLEEPING_OFFSET, 1, "the consumer's sleep");
    sender.send(&numbered(501)).expect("send");
    let got = within_a_minute("the sleeping consumer", move || {
        consumer.join().expect("consumer")
    });
    assert_eq!(got, Some(numbered(501)));
    drop(sender);
}

#[test]
fn a_producer_asleep_on_a_full_ring_is_woken_by_the_first_record_taken() {
    let (mut sender, mut receiver) = ring("full", MIN_CAPACITY);
    for seq in 0..u64::from(MIN_CAPACITY) {
        sender.send(&numbered(seq)).expect("send");
    }
    let producer = std::thread::spawn(move || {
        sender
            .send(&numbered(u64::from(MIN_CAPACITY)))
            .expect("send into a full ring");
        sender
    });
    until_word_is(
        &receiver.ring,
        PRODUCER_SLEEPING_OFFSET,
        1,
        "the producer's sleep",
    );
    assert_eq!(receiver.try_recv().expect("recv"), Some(numbered(0)));
    let sender = within_a_minute("the sleeping producer", move || {
        producer.join().expect("producer")
    });
    let mut buf = vec![numbered(0); MIN_CAPACITY as usize];
    assert_eq!(receiver.try_recv_all(&mut buf), MIN_CAPACITY as usize);
    assert_eq!(buf.last(), Some(&numbered(u64::from(MIN_CAPACITY))));
    drop(sender);
}

#[test]
fn a_consumer_close_behind_takes_every_record_in_order_at_any_pace() {
    // Records at paces around the consumer's look (bursts, trickles, and a
    // producer that keeps just ahead): whatever the consumer waits for when
    // it is close behind, it takes every record once and in order.
    let (mut sender, mut receiver) = ring("paces", MIN_CAPACITY);
    const RECORDS: u64 = 200_000;
    let consumer = std::thread::spawn(move || {
        let mut buf = [numbered(0); 37];
        let mut next = 0;
        loop {
            let n = receiver.recv_batch(&mut buf).expect("recv");
            if n == 0 {
                return next;
            }
            for record in &buf[..n] {
                assert_eq!(*record, numbered(next));
                next += 1;
            }
        }
    });
    within_a_minute("the producer", move || {
        for seq in 0..RECORDS {
            sender.send(&numbered(seq)).expect("send");
            pause(match seq / 1000 % 4 {
                0 => 0,
                1 => (seq % 64) as u32,
                2 => PAUSES_PER_LOOK,
                _ => u32::from(seq % 97 == 0) * 400,
            });
        }
    });
    assert_eq!(
        within_a_minute("the consumer", move || consumer.join().expect("consumer")),
        RECORDS
    );
}

impl RecordReceiver<Numbered> {
    /// Takes what is there without waiting (for the full-ring test).
    fn try_recv_all(&mut self, buf: &mut [Numbered]) -> usize {
        self.take(buf).expect("take")
    }
}
