//! One turn each under the named mutex, the demo's pattern, against the
//! socket round trip: with the futex wait (free, on one CPU) and the naive
//! scheme (on one CPU, an illustration).

use std::time::Instant;

use bench_support::placement::Placement;
use shared::MutexOptions;

use crate::baselines::uds_pingpong;
use crate::files::{demo_region, turn_of, unique};
use crate::harness::{Baseline, Bench, Figure, Pair, Side};
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
        bench.compare(pair, || {
            (mutex_turns(placement, kind == "naive"), uds_pingpong(placement))
        });
    }
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
