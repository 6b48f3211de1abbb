//! One turn each under the named mutex, the demo's pattern, against the
//! socket round trip: with the futex wait (free, on one CPU) and the naive
//! scheme (on one CPU, an illustration). The futex pairs' turns are also
//! sampled one by one for their percentiles (the naive one's turns are
//! time slices).

use std::time::Instant;

use bench_support::placement::Placement;
use shared::MutexOptions;

use crate::baselines::uds_pingpong;
use crate::files::{demo_region, turn_of, unique};
use crate::harness::{Baseline, Bench, Figure, Pair, Sampler, Side};
use crate::pairs::latency::{each, sample_each, uds_sampler};
use crate::pairs::pingpong::round_trips;
use crate::peer::role::take_turn;
use crate::peer::{start_peer, CHILD, PARENT};

/// One turn each under the named mutex, the demo's pattern, vs the socket
/// round trip. The naive scheme on one CPU is an illustration, not a
/// headline: it waits out a time slice per turn (see the documentation in
/// `main.rs`).
pub fn turns(bench: &mut Bench<'_>) {
    for (ratio, kind, placement) in [
        ("turns_free_vs_uds", "futex", Placement::Free),
        ("turns_one_cpu_vs_uds", "futex", Placement::OneCpu),
        ("turns_naive_one_cpu_vs_uds", "naive", Placement::OneCpu),
    ] {
        let pair = Pair {
            ratio,
            ours: format!("turns/{kind}/{}", placement.label()),
            baseline: format!("pingpong/uds/{}", placement.label()),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: if kind == "naive" {
                Figure::TimeSlice
            } else {
                Figure::Headline
            },
        };
        if kind == "naive" {
            bench.compare(pair, || (mutex_turns(placement, true), uds_pingpong(placement)));
        } else {
            bench.compare_sampled(pair, || {
                (
                    mutex_turns(placement, false),
                    uds_pingpong(placement),
                    round_trips(mutex_turn_sampler(placement), uds_sampler(placement)),
                )
            });
        }
    }
}

/// Our side's turns one by one (the futex wait), with a region, a mutex and
/// a peer of its own.
fn mutex_turn_sampler<'a>(placement: Placement) -> Sampler<'a> {
    let region_name = unique("futex-lat");
    let region = demo_region(&region_name);
    let mutex = MutexOptions::for_region(&region)
        .create(false)
        .unwrap_or_else(|e| panic!("{e}"))
        .mutex;
    turn_of(&region).pass_turn(PARENT);
    let mut peer = start_peer("mutex-futex", region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |n, samples| {
        peer.command(n + 1);
        let took = sample_each(samples, n, |ends| {
            each(n, ends, |i| {
                assert!(
                    take_turn(&region, &mutex, PARENT, CHILD, false, i as i32),
                    "the peer went quiet"
                );
            })
        });
        peer.done();
        took
    })
}

fn mutex_turns<'a>(placement: Placement, naive: bool) -> Side<'a> {
    let region_name = unique(if naive { "naive" } else { "futex" });
    let region = demo_region(&region_name);
    let mutex = MutexOptions::for_region(&region)
        .create(false)
        .unwrap_or_else(|e| panic!("{e}"))
        .mutex;
    turn_of(&region).pass_turn(PARENT);
    let role = if naive { "mutex-naive" } else { "mutex-futex" };
    let mut peer = start_peer(role, region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |iters| {
        peer.command(iters);
        let start = Instant::now();
        for i in 0..iters {
            take_turn(&region, &mutex, PARENT, CHILD, naive, i as i32);
        }
        let took = start.elapsed();
        peer.done();
        took
    })
}
