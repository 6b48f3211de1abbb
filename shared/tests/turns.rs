//! Turn-taking: two sides hand the region back and forth with the mailbox,
//! sleeping while it is not their turn; a side that never answers ends the
//! other's wait at its timeout instead of hanging it. The turn word and the
//! mailbox live in the companion, never in the region's bytes.

mod common;

use std::time::{Duration, Instant};

use common::records::{Move, Stamp};
use common::*;
use shared::sync::MAILBOX_LEN;
use shared::{MutexOptions, RegionOptions};

const A: u32 = 1;
const B: u32 = 2;

#[test]
fn two_sides_take_ten_thousand_turns_and_see_every_record() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("turns"))
        .in_dir(dir.path())
        .size(4096);
    let region = options.create_or_open().expect("region");
    let mutex = MutexOptions::for_region(&region)
        .create(false)
        .expect("mutex")
        .mutex;
    let other = options.open_existing().expect("second handle");
    region.turn().expect("turn").pass_turn(A);
    let b_side = std::thread::spawn(move || {
        let turn = other.turn().expect("turn");
        for i in 0..10_000 {
            assert!(turn.wait_for_turn(B, WATCHDOG), "watchdog: turn {i} never came");
            let msg: Stamp = turn.mailbox();
            assert_eq!(msg, Stamp::new(i, i64::from(i) * 2));
            turn.pass_turn_with(A, &Stamp::new(i, i64::from(i) * 3));
        }
    });
    let turn = region.turn().expect("turn");
    for i in 0..10_000 {
        assert!(turn.wait_for_turn(A, WATCHDOG), "watchdog: turn {i} never came");
        let owned = mutex.wait().expect("mutex");
        if i > 0 {
            assert_eq!(turn.mailbox::<Stamp>(), Stamp::new(i - 1, i64::from(i - 1) * 3));
        }
        drop(owned);
        turn.pass_turn_with(B, &Stamp::new(i, i64::from(i) * 2));
    }
    b_side.join().expect("other side");
    let mut bytes = vec![0xAAu8; 4096];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    assert!(
        bytes.iter().all(|&b| b == 0),
        "20,000 turns and mailboxes wrote nothing into the region's bytes"
    );
}

#[test]
fn a_users_own_type_travels_with_the_turn_between_processes() {
    const TURNS: u64 = 2_000;
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("moves");
    let region = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(64)
        .create_or_open()
        .expect("region");
    assert!(std::mem::size_of::<Move>() <= MAILBOX_LEN);
    let mut side_b = Helper::start(&["turns", name.as_str(), arg(dir.path()), &TURNS.to_string()]);
    let turn = region.turn().expect("turn");
    turn.pass_turn_with(B, &Move::nth(0));
    for i in 0..TURNS {
        assert!(
            turn.wait_for_turn(A, WATCHDOG),
            "watchdog: turn {i} never came back"
        );
        assert_eq!(turn.mailbox::<Move>(), Move::nth(i).answer(), "turn {i}");
        if i + 1 < TURNS {
            turn.pass_turn_with(B, &Move::nth(i + 1));
        }
    }
    assert!(side_b.finish(), "side B saw every move as sent");
    let mut bytes = [0xAAu8; 64];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    assert_eq!(bytes, [0u8; 64], "the mailbox is not in the region's bytes");
}

/// Two sides pinned to one CPU: after the first hand-overs each sees that
/// the last two passes came from its own CPU and yields at every look
/// instead of pausing (see `cpu_hints.rs`; its unit test in `turn.rs` checks
/// that the path is taken). Every record still arrives in order, and a wait
/// for a turn that never comes still ends at its timeout on that path.
#[test]
#[cfg(target_os = "linux")] // pins threads to a CPU
fn two_sides_on_one_cpu_take_turns_and_a_wait_there_still_times_out() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("onecpu"))
        .in_dir(dir.path())
        .size(64);
    let region = options.create_or_open().expect("region");
    let other = options.open_existing().expect("second handle");
    if !pin_this_thread(0) {
        eprintln!("SKIPPED: cannot pin to CPU 0 here");
        return;
    }
    region.turn().expect("turn").pass_turn(A);
    // The second side inherits this thread's CPU.
    let b_side = std::thread::spawn(move || {
        let turn = other.turn().expect("turn");
        for i in 0..2_000 {
            assert!(turn.wait_for_turn(B, WATCHDOG), "watchdog: turn {i} never came");
            let got: u64 = turn.mailbox();
            assert_eq!(got, i * 2);
            turn.pass_turn_with(A, &(i * 2 + 1));
        }
    });
    let turn = region.turn().expect("turn");
    for i in 0..2_000u64 {
        assert!(turn.wait_for_turn(A, WATCHDOG), "watchdog: turn {i} never came");
        if i > 0 {
            assert_eq!(turn.mailbox::<u64>(), i * 2 - 1);
        }
        turn.pass_turn_with(B, &(i * 2));
    }
    b_side.join().expect("other side");
    assert!(turn.wait_for_turn(A, WATCHDOG), "the last answer");
    // The peer is gone; the hint still says it shares this CPU.
    turn.pass_turn(B);
    let started = Instant::now();
    assert!(!turn.wait_for_turn(A, Duration::from_millis(50)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(50),
        "waited its timeout: {waited:?}"
    );
    // At most one sleep slice (100 ms) past it, and a loaded machine's slack.
    assert!(
        waited < Duration::from_millis(1150),
        "and not much longer: {waited:?}"
    );
}

#[test]
fn a_turn_that_never_comes_ends_at_the_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("noturn"))
        .in_dir(dir.path())
        .size(1)
        .create_or_open()
        .expect("region");
    let turn = region.turn().expect("turn");
    assert_eq!(turn.current(), 0, "nobody's turn at first");
    turn.pass_turn(B);
    assert_eq!(turn.current(), B);
    let started = Instant::now();
    assert!(!turn.wait_for_turn(A, Duration::from_millis(50)));
    assert!(!turn.spin_for_turn(A, Duration::from_millis(50)));
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "both waited their full timeout"
    );
    assert!(
        turn.wait_for_turn(B, Duration::ZERO),
        "a turn that is already ours returns at once"
    );
    assert!(turn.wait_for_turn(B, Duration::MAX), "a huge timeout is fine");
    assert!(
        !turn.wait_for_turn(A, Duration::ZERO),
        "a zero timeout only looks, and the turn is B's"
    );
}
