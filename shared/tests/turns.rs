//! Turn-taking: two sides hand the region back and forth with the mailbox,
//! sleeping while it is not their turn; a side that never answers ends the
//! other's wait at its timeout instead of hanging it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use shared::{NamedMutex, RegionOptions, ServiceMsg};

const A: u32 = 1;
const B: u32 = 2;

#[test]
fn two_sides_take_ten_thousand_turns_and_see_every_record() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("turns")).dir(dir.path());
    let region = options.create_or_open().expect("region");
    let mutex = NamedMutex::create(&region, false).expect("mutex").mutex;
    let other = options.open_existing().expect("second handle");
    region.control().pass_turn(A);
    let b_side = std::thread::spawn(move || {
        let control = other.control();
        for i in 0..10_000 {
            assert!(
                control.wait_for_turn(B, Duration::from_secs(30)),
                "watchdog: turn {i} never came"
            );
            let msg = control.mailbox();
            assert_eq!(
                msg,
                ServiceMsg {
                    id: i,
                    now_time: i64::from(i) * 2
                }
            );
            control.pass_turn_with(
                A,
                &ServiceMsg {
                    id: i,
                    now_time: i64::from(i) * 3,
                },
            );
        }
    });
    let control = region.control();
    for i in 0..10_000 {
        assert!(
            control.wait_for_turn(A, Duration::from_secs(30)),
            "watchdog: turn {i} never came"
        );
        let owned = mutex.wait().expect("mutex");
        if i > 0 {
            assert_eq!(
                control.mailbox(),
                ServiceMsg {
                    id: i - 1,
                    now_time: i64::from(i - 1) * 3
                }
            );
        }
        drop(owned);
        control.pass_turn_with(
            B,
            &ServiceMsg {
                id: i,
                now_time: i64::from(i) * 2,
            },
        );
    }
    b_side.join().expect("other side");
}

#[test]
fn a_turn_that_never_comes_ends_at_the_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("noturn"))
        .dir(dir.path())
        .create_or_open()
        .expect("region");
    let control = region.control();
    control.pass_turn(B);
    let started = Instant::now();
    assert!(!control.wait_for_turn(A, Duration::from_millis(50)));
    assert!(!control.spin_for_turn(A, Duration::from_millis(50)));
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "both waited their full timeout"
    );
    assert!(
        control.wait_for_turn(B, Duration::ZERO),
        "a turn that is already ours returns at once"
    );
    assert!(control.wait_for_turn(B, Duration::MAX), "a huge timeout is fine");
}
