//! The round trip of one 16-byte record between two processes: ours
//! blocking against a Unix socket (free, apart, on one CPU) and against a
//! bare word yielding at every look (on one CPU), ours blocking and spinning
//! against a bare cache line between two cores; and our side of them, the
//! record passed in the turn's mailbox. Every pair's round trips are also
//! sampled one by one for their percentiles (see [`crate::pairs::latency`]).

use std::time::{Duration, Instant};

use std::hint::black_box;

use bench_support::placement::{cpu_count, Placement};
use shared::demo::ServiceMsg;
use shared::sync::Turn;
use shared::Region;

use crate::baselines::{cacheline_pingpong, uds_pingpong};
use crate::clock::ticks;
use crate::files::{demo_region, turn_of, unique};
use crate::harness::{Baseline, Bench, Figure, Latency, Pair, Phase, Sampler, Side, Span};
use crate::pairs::latency::{cacheline_sampler, sample_each, uds_sampler, ROUND_TRIP_BUDGET};
use crate::peer::{start_peer, CHILD, PARENT, PATIENCE};

/// The latency of a round-trip pair: ours and `baseline` sampled one round
/// trip at a time.
pub fn round_trips<'a>(ours: Sampler<'a>, baseline: Sampler<'a>) -> Latency<'a> {
    Latency {
        span: Span::RoundTrip,
        phase: Phase::Any,
        budget: ROUND_TRIP_BUDGET,
        samplers: [ours, baseline],
    }
}

/// Round trip of one 16-byte record between two processes: ours blocking vs
/// a Unix socket and (on one CPU) vs a bare word yielding at every look, ours
/// blocking and spinning vs a bare cache line between two cores.
pub fn pingpong(bench: &mut Bench<'_>) {
    for (ratio, placement) in [
        ("pingpong_blocking_vs_uds", Placement::Free),
        ("pingpong_blocking_vs_uds_apart", Placement::Apart),
        ("pingpong_blocking_vs_uds_one_cpu", Placement::OneCpu),
    ] {
        if placement == Placement::Apart && cpu_count() < 2 {
            continue;
        }
        let pair = Pair {
            ratio,
            ours: format!("pingpong/region-block/{}", placement.label()),
            baseline: format!("pingpong/uds/{}", placement.label()),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: if placement == Placement::OneCpu {
                Figure::Headline
            } else {
                Figure::WakeCost
            },
        };
        bench.compare_sampled(pair, || {
            (
                turn_pingpong(placement, false),
                uds_pingpong(placement),
                round_trips(turn_sampler(placement, false), uds_sampler(placement)),
            )
        });
    }
    // The one-CPU blocking round trip next to the cheapest hand-over on one
    // CPU: a bare word whose waiters yield at every look (two context
    // switches per round trip and nothing else).
    let placement = Placement::OneCpu;
    bench.compare_sampled(
        Pair {
            ratio: "pingpong_blocking_one_cpu_vs_yield_floor",
            ours: format!("pingpong/region-block/{}", placement.label()),
            baseline: format!("pingpong/yield-floor/{}", placement.label()),
            kind: Baseline::Floor,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                turn_pingpong(placement, false),
                cacheline_pingpong(placement, true),
                round_trips(turn_sampler(placement, false), cacheline_sampler(placement, true)),
            )
        },
    );
    // Between cores both waits hand over while they spin: their floor is the
    // bare cache line. (Two spinners on one CPU hand over once per time
    // slice: not measured.)
    for (ratio, placement, spin) in [
        ("pingpong_blocking_vs_cacheline", Placement::Free, false),
        ("pingpong_blocking_vs_cacheline_apart", Placement::Apart, false),
        ("pingpong_spin_vs_cacheline", Placement::Free, true),
        ("pingpong_spin_vs_cacheline_apart", Placement::Apart, true),
    ] {
        if placement == Placement::Apart && cpu_count() < 2 {
            continue;
        }
        let wait = if spin { "spin" } else { "block" };
        let pair = Pair {
            ratio,
            ours: format!("pingpong/region-{wait}/{}", placement.label()),
            baseline: format!("pingpong/cacheline/{}", placement.label()),
            kind: Baseline::Floor,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        };
        bench.compare_sampled(pair, || {
            (
                turn_pingpong(placement, spin),
                cacheline_pingpong(placement, false),
                round_trips(turn_sampler(placement, spin), cacheline_sampler(placement, false)),
            )
        });
    }
}

/// Our side: the record travels in the turn's mailbox, the peer answers.
fn turn_pingpong<'a>(placement: Placement, spin: bool) -> Side<'a> {
    let region_name = unique(if spin { "spin" } else { "block" });
    let region = demo_region(&region_name);
    let role = if spin { "turns-spin" } else { "turns-block" };
    let mut peer = start_peer(role, region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |iters| {
        peer.command(iters);
        let took = region_round_trips(&region, iters, spin);
        peer.done();
        took
    })
}

/// Our side's round trips one by one, with a region and a peer of its own.
fn turn_sampler<'a>(placement: Placement, spin: bool) -> Sampler<'a> {
    let region_name = unique(if spin { "spin-lat" } else { "block-lat" });
    let region = demo_region(&region_name);
    let role = if spin { "turns-spin" } else { "turns-block" };
    let mut peer = start_peer(role, region_name.as_str(), placement.cpus().1, &[]);
    Box::new(move |n, samples| {
        peer.command(n + 1);
        let took = sample_each(samples, n, |ends| region_round_trips_each(&region, n, spin, ends));
        peer.done();
        took
    })
}

/// [`region_round_trips`], `1 + iters` of them (the first a warm-up: the
/// peer may still be on its way from its command), the clock read after
/// each into `ends` (for [`sample_each`]). The read and the store of it cost
/// this loop 40–80 ns a round trip between cores, where the bare cache
/// line's does not notice them (see `docs/performance.md`).
fn region_round_trips_each(region: &Region, iters: u64, spin: bool, ends: &mut Vec<u64>) {
    let turn = turn_of(region);
    for i in 0..=iters {
        round_trip(&turn, i, spin);
        ends.push(ticks());
    }
}

/// One round trip through the turn: record `i` to the peer in the
/// mailbox, then its answer, waited for spinning or blocking.
#[inline(always)]
fn round_trip(turn: &Turn<'_>, i: u64, spin: bool) {
    turn.pass_turn_with(CHILD, &ServiceMsg::new(i as i32, i as i64));
    let back = if spin {
        turn.spin_for_turn(PARENT, PATIENCE)
    } else {
        turn.wait_for_turn(PARENT, PATIENCE)
    };
    assert!(back, "peer did not answer");
    black_box(turn.mailbox::<ServiceMsg>());
}

fn region_round_trips(region: &Region, iters: u64, spin: bool) -> Duration {
    let turn = turn_of(region);
    let start = Instant::now();
    for i in 0..iters {
        round_trip(&turn, i, spin);
    }
    start.elapsed()
}
