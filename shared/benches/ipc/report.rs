//! The report: the summary of every pair after its rounds (each side's
//! median per operation and spread, the ratio round by round and per host
//! state, the placements), the host states of the run, the `ratio`,
//! `illustration` and `state` lines that `scripts/bench.sh` keeps, and the
//! `FLAG` lines that say which figures not to trust and why.

use bench_support::host_state::{HostState, CORE_BELOW_NS, FAR_FROM_NS, MIN_STATE_ROUNDS, NEAR_BELOW_NS};
use bench_support::placement::Placement;
use bench_support::spread::{Spread, MAX_SPREAD};
use bench_support::text::{ratio_text, time_text, TimeStyle};

use crate::harness::{pick, Baseline, Bench, Figure, Measured};
use crate::pairs::stream::RECORDS_PER_STREAM;

/// The fastest any copy can go: one 64-byte store per cycle at 6 GHz. A
/// measurement above it did not do the copy (the compiler removed it).
pub const MAX_COPY_BYTES_PER_NS: f64 = 64.0 * 6.0;
/// A floor is flagged when it comes out slower than ours by more than this
/// factor (two sides that run at the same speed differ by a few percent from
/// round to round; ours at its floor is a result, not an error).
pub const FLOOR_TOLERANCE: f64 = 1.1;
/// How the report writes a time per operation: tenths of a nanosecond, and
/// milliseconds however long.
const TIME: TimeStyle = TimeStyle {
    seconds: false,
    ns_decimals: 1,
};

/// Why the ratio of some of a pair's rounds (indices) is not to be trusted,
/// if it is not: a side too noisy over those rounds, a floor slower than
/// ours. A probed pair is judged per host state, on that state's rounds.
fn round_flags(m: &Measured, rounds: &[usize]) -> Vec<String> {
    let mut flags = Vec::new();
    let pair = &m.pair;
    let (ours, baseline) = (pick(&m.ours_ns, rounds), pick(&m.baseline_ns, rounds));
    for (label, ns) in [(&pair.ours, &ours), (&pair.baseline, &baseline)] {
        let spread = Spread::of(ns);
        // An illustration's spread is what it shows (time slices, the host's
        // copy speed or wake-up cost), not noise.
        if pair.figure == Figure::Headline && spread.factor() > MAX_SPREAD {
            flags.push(format!(
                "{label}: spread {:.2}x (slowest round ÷ fastest) is over {MAX_SPREAD}x: something moved it between rounds (load, or a host state no probe sees)",
                spread.factor()
            ));
        }
    }
    let (ours, baseline) = (Spread::of(&ours).median, Spread::of(&baseline).median);
    if pair.kind == Baseline::Floor && baseline > ours * FLOOR_TOLERANCE {
        flags.push(format!(
            "{}: the floor ({}) came out slower than ours ({}), which does strictly more work: \
             it measured something else (placement, frequency, page faults)",
            pair.baseline,
            time_text(baseline, TIME),
            time_text(ours, TIME)
        ));
    }
    flags
}

/// Why none of a pair's ratios is to be trusted, if so: a copy faster than
/// any machine can copy, a free placement the scheduler kept on one CPU,
/// pinning refused.
fn pair_flags(m: &Measured) -> Vec<String> {
    let mut flags = Vec::new();
    let pair = &m.pair;
    if let Some(bytes) = pair.bytes {
        for (label, ns) in [(&pair.ours, &m.ours_ns), (&pair.baseline, &m.baseline_ns)] {
            let fastest_ns = Spread::of(ns).min;
            let fastest = bytes as f64 / fastest_ns;
            if fastest > MAX_COPY_BYTES_PER_NS {
                flags.push(format!(
                    "{label}: {bytes} bytes in {fastest_ns:.1} ns is {fastest:.0} GB/s, faster than any copy \
                     (one 64-byte store per cycle at 6 GHz is {MAX_COPY_BYTES_PER_NS:.0} GB/s): the copy was optimised away"
                ));
            }
        }
    }
    let share = |(shared, of): (usize, usize)| {
        if of == 0 {
            f64::NAN
        } else {
            shared as f64 / of as f64
        }
    };
    let (ours_share, baseline_share) = (share(m.shared_cpu[0]), share(m.shared_cpu[1]));
    if pair.placement == Some(Placement::Free) {
        for (label, share) in [(&pair.ours, ours_share), (&pair.baseline, baseline_share)] {
            if share >= 0.5 {
                flags.push(format!(
                    "{label}: the scheduler left the two processes on one CPU in {:.0}% of its timings, \
                     so this free-placement figure measures that placement (see the one-cpu pair)",
                    share * 100.0
                ));
            }
        }
    }
    if let Some((note, true)) = &m.placement_note {
        flags.push(format!("placement refused: {note}"));
    }
    flags
}

/// One ratio a pair reports: its name (`NAME` or `NAME@STATE`), its rounds
/// (indices) and, for a host state, that state.
struct Reported {
    name: String,
    rounds: Vec<usize>,
    state: Option<HostState>,
}

/// The ratios `m` reports: one over all its rounds when it was not probed,
/// else one per host state held in at least [`MIN_STATE_ROUNDS`] rounds.
/// Also the states seen in fewer rounds, with their counts.
fn reported(m: &Measured) -> (Vec<Reported>, Vec<(HostState, usize)>) {
    if m.probes.is_empty() {
        let all = Reported {
            name: m.pair.ratio.to_owned(),
            rounds: (0..m.ours_ns.len()).collect(),
            state: None,
        };
        return (vec![all], Vec::new());
    }
    let (mut reported, mut few) = (Vec::new(), Vec::new());
    for state in HostState::BINS {
        let rounds = m.rounds_in(state);
        if rounds.len() >= MIN_STATE_ROUNDS {
            reported.push(Reported {
                name: format!("{}@{}", m.pair.ratio, state.label()),
                rounds,
                state: Some(state),
            });
        } else if !rounds.is_empty() {
            few.push((state, rounds.len()));
        }
    }
    (reported, few)
}

/// Median of the probes (before and after) of some rounds, in ns.
fn probe_median(m: &Measured, rounds: &[usize]) -> f64 {
    let probes: Vec<f64> = rounds.iter().flat_map(|&r| m.probes[r]).collect();
    Spread::of(&probes).median
}

/// The summary: each pair's sides and ratio, the placements, the host
/// states, the flags.
pub fn report(bench: &Bench<'_>) {
    println!();
    println!(
        "== summary == ({} rounds per pair, spread over the run: each round times every pair in turn, ours then baseline; \
         per op: median (fastest – slowest, spread); ratio: ours ÷ baseline round by round, lower is better; \
         a pair across cores (free, apart) is reported per host state, NAME@core/@near/@mid/@far, from the rounds whose \
         core-to-core probes before and after fell in that state (core under {CORE_BELOW_NS:.0} ns, near under \
         {NEAR_BELOW_NS:.0} ns, far from \
         {FAR_FROM_NS:.0} ns), when there are at least {MIN_STATE_ROUNDS}; \
         illustration: a ratio that cannot repeat and is no headline, because it measures the scheduler's time slice \
         (the naive turns), follows the host's cross-core copy speed (the batched ring against a socket) \
         or its cost of waking a thread on the other CPU (the blocking round trip against a socket))",
        bench.config.rounds
    );
    let mut all_flags = Vec::new();
    for m in &bench.measured {
        let pair = &m.pair;
        println!("{}", pair.ratio);
        for (label, ns) in [(&pair.ours, &m.ours_ns), (&pair.baseline, &m.baseline_ns)] {
            let s = Spread::of(ns);
            println!(
                "  {label:<40} {:>10} ({} – {}, {:.2}x)",
                time_text(s.median, TIME),
                time_text(s.min, TIME),
                time_text(s.max, TIME),
                s.factor()
            );
        }
        let r = Spread::of(&m.ratios());
        println!(
            "  {:<40} {:>10.3} ({:.3} – {:.3})",
            "ratio, round by round", r.median, r.min, r.max
        );
        let of = m.probes.len();
        for state in HostState::BINS.into_iter().chain([HostState::Changed]) {
            let rounds = m.rounds_in(state);
            if rounds.is_empty() {
                continue;
            }
            if state == HostState::Changed {
                println!(
                    "  host changed: {} of {of} rounds (the probes before and after disagree; in no state's ratio)",
                    rounds.len()
                );
                continue;
            }
            let ours = Spread::of(&pick(&m.ours_ns, &rounds)).median;
            let baseline = Spread::of(&pick(&m.baseline_ns, &rounds)).median;
            let r = Spread::of(&pick(&m.ratios(), &rounds));
            println!(
                "  host {}: {} of {of} rounds, probe median {:.0} ns: ours {}, baseline {}, ratio {} ({} – {}){}",
                state.label(),
                rounds.len(),
                probe_median(m, &rounds),
                time_text(ours, TIME),
                time_text(baseline, TIME),
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                if rounds.len() < MIN_STATE_ROUNDS {
                    "; too few rounds to report"
                } else {
                    ""
                }
            );
        }
        if let Some((note, _)) = &m.placement_note {
            println!("  placement {note}");
        }
        for (label, (shared, of)) in [(&pair.ours, m.shared_cpu[0]), (&pair.baseline, m.shared_cpu[1])] {
            if of > 0 {
                println!("  cpu {label}: the peer ended {shared} of {of} timings on this process's CPU");
            }
        }
        for flag in pair_flags(m) {
            all_flags.push(format!("FLAG {}: {flag}", pair.ratio));
        }
        for reported in reported(m).0 {
            for flag in round_flags(m, &reported.rounds) {
                all_flags.push(format!("FLAG {}: {flag}", reported.name));
            }
        }
    }
    println!();
    let probed: Vec<&Measured> = bench.measured.iter().filter(|m| !m.probes.is_empty()).collect();
    match &bench.unprobed {
        Some(why) if probed.is_empty() => println!("host core-to-core: not probed ({why})"),
        _ => {
            let count = |state| probed.iter().map(|m| m.rounds_in(state).len()).sum::<usize>();
            let all: Vec<f64> = probed
                .iter()
                .flat_map(|m| m.probes.iter().flatten().copied())
                .collect();
            let range = Spread::of(&all);
            println!(
                "host core-to-core: core {} rounds, near {}, mid {}, far {}, changed {} (probe min–max {:.0} – {:.0} ns)",
                count(HostState::Core),
                count(HostState::Near),
                count(HostState::Mid),
                count(HostState::Far),
                count(HostState::Changed),
                range.min,
                range.max
            );
        }
    }
    for m in &bench.measured {
        let ratios = m.ratios();
        let flagged_pair = !pair_flags(m).is_empty();
        let (reported, few) = reported(m);
        // `scripts/bench.sh --repeat` tabulates only the `ratio` lines.
        let kind = if m.pair.figure == Figure::Headline {
            "ratio"
        } else {
            "illustration"
        };
        for state in HostState::BINS {
            if let Some(&(_, n)) = few.iter().find(|(s, _)| *s == state) {
                println!(
                    "state {}@{} only {n} rounds: not reported",
                    m.pair.ratio,
                    state.label()
                );
            }
            let Some(reported) = reported.iter().find(|r| r.state == Some(state)) else {
                continue;
            };
            let r = Spread::of(&pick(&ratios, &reported.rounds));
            let flagged = flagged_pair || !round_flags(m, &reported.rounds).is_empty();
            println!(
                "{kind} {} {}   (rounds {} – {}; {} of {} rounds, probe median {:.0} ns){}",
                reported.name,
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                reported.rounds.len(),
                m.probes.len(),
                probe_median(m, &reported.rounds),
                if flagged { "  FLAGGED" } else { "" }
            );
        }
        for reported in reported.iter().filter(|r| r.state.is_none()) {
            let r = Spread::of(&pick(&ratios, &reported.rounds));
            let flagged = flagged_pair || !round_flags(m, &reported.rounds).is_empty();
            println!(
                "{kind} {} {}   (rounds {} – {}){}",
                reported.name,
                ratio_text(r.median),
                ratio_text(r.min),
                ratio_text(r.max),
                if flagged { "  FLAGGED" } else { "" }
            );
        }
    }
    for m in bench
        .measured
        .iter()
        .filter(|m| m.pair.baseline == "stream/bare-ring")
    {
        for (name, ns) in [("stream/ring", &m.ours_ns), ("stream/bare-ring", &m.baseline_ns)] {
            let per_record = Spread::of(ns).median / RECORDS_PER_STREAM as f64;
            println!(
                "{name}: {:.1} M records/s, {:.2} GB/s",
                1e3 / per_record,
                16.0 / per_record
            );
        }
    }
    for flag in all_flags {
        println!("{flag}");
    }
}
