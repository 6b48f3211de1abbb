//! The report: the summary of every pair after its rounds (each side's
//! median per operation and spread, the ratio round by round and per host
//! state, the placements, the latency percentiles), the host states of the
//! run, the `ratio`, `illustration`, `state` and `latency` lines that
//! `scripts/bench.sh` keeps, and the `FLAG` lines that say which figures not
//! to trust and why (among them a latency whose p99.9 is over
//! [`TAIL_FACTOR`] times its p50, with the reason the run's counts point to:
//! [`tail_flag`]). [`self_test`] checks those rules.

use bench_support::host_state::{HostState, CORE_BELOW_NS, FAR_FROM_NS, MIN_STATE_ROUNDS, NEAR_BELOW_NS};
use bench_support::placement::Placement;
use bench_support::spread::{Spread, MAX_SPREAD};
use bench_support::text::{ratio_text, time_text, TimeStyle};

use crate::clock::Clock;
use crate::harness::{pick, Baseline, Bench, Figure, Measured, MeasuredLatency, Phase, Samples, Span};
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

/// How the report writes a latency (whole nanoseconds: the histograms keep 3
/// significant digits).
const LATENCY_TIME: TimeStyle = TimeStyle {
    seconds: false,
    ns_decimals: 0,
};
/// A latency whose p99.9 is more than this many times its p50 is flagged,
/// with the reason ([`tail_flag`]).
pub const TAIL_FACTOR: u64 = 10;

/// What decides why a latency's tail is long: its p50 and p99.9 (ns), how
/// many samples, and what the waiting side's kernel counted meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Tail {
    pub p50: u64,
    pub p999: u64,
    pub samples: u64,
    /// Sleeps of the waiting side (see [`Samples::sleeps`]).
    pub sleeps: u64,
    /// Preemptions of the waiting side (see [`Samples::preemptions`]).
    pub preemptions: u64,
    /// The two processes shared one CPU: placed so, or put so by the
    /// scheduler in some samplings.
    pub shared_cpu: bool,
    pub phase: Phase,
    pub span: Span,
}

/// Why p99.9 is over [`TAIL_FACTOR`] times p50, if it is. The tail is the
/// samples at or above p99.9, one in a thousand: an event explains it when
/// it happened at least that often. In order:
/// - a sleep: the waiting side slept that often (not in its sleeping phase,
///   where every sample sleeps): a wake-up costs microseconds;
/// - the scheduler: the two processes shared one CPU, or the waiting side
///   was preempted that often;
/// - the host: nothing inside this VM happened that often, so the time was
///   lost outside it (the host took a vCPU away, or an interrupt).
pub fn tail_flag(t: &Tail) -> Option<String> {
    if t.samples == 0 || t.p999 <= TAIL_FACTOR * t.p50 {
        return None;
    }
    let tail = t.samples.div_ceil(1000);
    let tail_is = format!(
        "the slowest 0.1% are {tail} sample{}",
        if tail == 1 { "" } else { "s" }
    );
    let head = format!(
        "p99.9 {} is {:.0}x p50 {}",
        time_text(t.p999 as f64, LATENCY_TIME),
        t.p999 as f64 / t.p50.max(1) as f64,
        time_text(t.p50 as f64, LATENCY_TIME)
    );
    let whose = match t.span {
        Span::RoundTrip => "this process's; the peer's are not counted",
        Span::OneWay => "the receiver's",
    };
    let (samples, sleeps, preemptions) = (t.samples, t.sleeps, t.preemptions);
    let why = if t.phase != Phase::Sleep && sleeps >= tail {
        format!(
            "a sleep: the waiting side went to sleep {sleeps} times in {samples} samples ({whose}; \
             {tail_is}), and a wake-up costs microseconds"
        )
    } else if t.shared_cpu {
        "the scheduler: the two processes shared one CPU, so a hand-over waits for a context switch, \
         at times for a time slice"
            .to_owned()
    } else if preemptions >= tail {
        format!(
            "the scheduler: another task preempted the waiting side {preemptions} times in {samples} samples \
             ({whose}; {tail_is})"
        )
    } else {
        format!(
            "the host: inside this VM the waiting side slept {sleeps} and was preempted {preemptions} times \
             in {samples} samples ({whose}; {tail_is}), too seldom to make the tail, so the time was lost \
             outside it (the host took a vCPU away, or an interrupt)"
        )
    };
    Some(format!("{head}: {why}"))
}

/// Samples left out of a phase's histogram, past which the percentiles are
/// flagged: they no longer describe every record sent in that phase.
pub const MAX_LEFT_OUT: f64 = 0.01;

/// Why a phase's percentiles are not to be trusted, if so: more than
/// [`MAX_LEFT_OUT`] of its samples were left out, the receiver having slept
/// in its spinning phase (the sender was held up past the spin) or not slept
/// in its sleeping phase (its spin outlasted the delay).
pub fn phase_flag(phase: Phase, recorded: u64, left_out: u64) -> Option<String> {
    let taken = recorded + left_out;
    if taken == 0 || (left_out as f64) <= MAX_LEFT_OUT * taken as f64 {
        return None;
    }
    let why = match phase {
        Phase::Any => return None,
        Phase::Spin => "the receiver slept in them, the record coming after its spin (the sender was held up)",
        Phase::Sleep => "the receiver had not gone to sleep yet, its spin outlasting the delay (slowed by yields to other tasks, or longer than it was)",
    };
    Some(format!(
        "{left_out} of {taken} samples were left out of this phase, more than {:.0}%: {why}",
        MAX_LEFT_OUT * 100.0
    ))
}

/// Why a free placement's samples measure something else, if they do: the
/// scheduler left the two processes on one CPU in at least half of the
/// samplings (`shared_cpu`: on one CPU, of how many), as [`pair_flags`] says
/// of timings.
pub fn free_placement_flag(placement: Option<Placement>, (shared, of): (u64, u64)) -> Option<String> {
    (placement == Some(Placement::Free) && of > 0 && 2 * shared >= of).then(|| {
        format!(
            "the scheduler left the two processes on one CPU in {:.0}% of its samplings, \
             so this free-placement distribution measures that placement (see the one-cpu pair)",
            100.0 * shared as f64 / of as f64
        )
    })
}

/// The flags of one latency line: each side's tail and phase.
fn latency_flags(l: &MeasuredLatency, sides: &[Samples; 2]) -> Vec<String> {
    let pair = &l.pair;
    let mut flags = Vec::new();
    for (label, s) in [(&pair.ours, &sides[0]), (&pair.baseline, &sides[1])] {
        let samples = s.hist.len();
        let tail = Tail {
            p50: s.at(0.5),
            p999: s.at(0.999),
            samples,
            sleeps: s.sleeps,
            preemptions: s.preemptions,
            shared_cpu: pair.placement == Some(Placement::OneCpu)
                || (pair.placement == Some(Placement::Free) && s.shared_cpu.0 > 0),
            phase: pair.phase,
            span: pair.span,
        };
        for flag in [
            tail_flag(&tail),
            phase_flag(pair.phase, samples, s.left_out),
            free_placement_flag(pair.placement, s.shared_cpu),
        ]
        .into_iter()
        .flatten()
        {
            flags.push(format!("{label}: {flag}"));
        }
    }
    flags
}

/// `p50 …, p99 …, p99.9 …, max …` of one side.
fn percentiles_text(s: &Samples) -> String {
    if s.hist.is_empty() {
        return "no samples".to_owned();
    }
    let t = |ns: u64| time_text(ns as f64, LATENCY_TIME);
    format!(
        "p50 {}, p99 {}, p99.9 {}, max {}",
        t(s.at(0.5)),
        t(s.at(0.99)),
        t(s.at(0.999)),
        t(s.hist.max())
    )
}

/// `p50 OURS / BASE (RATIO), …` of the two sides, percentile by percentile.
fn beside_text(sides: &[Samples; 2]) -> String {
    let t = |ns: u64| time_text(ns as f64, LATENCY_TIME);
    let at = |s: &Samples, q: Option<f64>| q.map_or_else(|| s.hist.max(), |q| s.at(q));
    [
        ("p50", Some(0.5)),
        ("p99", Some(0.99)),
        ("p99.9", Some(0.999)),
        ("max", None),
    ]
    .iter()
    .map(|&(label, q)| {
        let (ours, base) = (at(&sides[0], q), at(&sides[1], q));
        format!(
            "{label} {} / {} ({})",
            t(ours),
            t(base),
            ratio_text(ours as f64 / base.max(1) as f64)
        )
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// The summary's lines of a pair's latency: each side over every round.
fn latency_summary(l: &MeasuredLatency) {
    let pair = &l.pair;
    println!(
        "  latency ({}, each sample one operation and one clock read; {} rounds):",
        pair.span.label(),
        l.rounds
    );
    for (label, s) in [(&pair.ours, &l.all[0]), (&pair.baseline, &l.all[1])] {
        let cpu = match s.shared_cpu {
            (_, 0) => String::new(),
            (shared, of) => format!("; the peer ended {shared} of {of} samplings on this process's CPU"),
        };
        let left_out = match pair.phase {
            Phase::Any => String::new(),
            _ => format!(", {} left out (not of the phase)", s.left_out),
        };
        println!(
            "    {label:<38} {} ({} samples{left_out}; the waiting side slept {} and was preempted {} times{cpu})",
            percentiles_text(s),
            s.hist.len(),
            s.sleeps,
            s.preemptions
        );
    }
    if let Some((note, _)) = &l.placement_note {
        println!("    placement {note}");
    }
    for st in &l.states {
        if let Some(state) = st.state {
            println!(
                "    host {}: {} of {} rounds, probe median {:.0} ns",
                state.label(),
                st.rounds,
                l.rounds,
                Spread::of(&st.probes).median
            );
        }
    }
}

/// The `latency` lines of a pair, one per host state held in at least
/// [`MIN_STATE_ROUNDS`] rounds (or one over every round when not probed);
/// its flags go to `flags`.
fn latency_lines(l: &MeasuredLatency, flags: &mut Vec<String>) {
    let pair = &l.pair;
    let kind = match pair.kind {
        Baseline::Floor => "floor",
        Baseline::Rival => "rival",
    };
    for st in &l.states {
        let name = match st.state {
            None => pair.name.to_owned(),
            Some(HostState::Changed) => continue,
            Some(state) if st.rounds < MIN_STATE_ROUNDS => {
                println!(
                    "latency {}@{} only {} rounds: not reported",
                    pair.name,
                    state.label(),
                    st.rounds
                );
                continue;
            }
            Some(state) => format!("{}@{}", pair.name, state.label()),
        };
        let mut line_flags = latency_flags(l, &st.sides);
        if let Some((note, true)) = &l.placement_note {
            line_flags.push(format!("placement refused: {note}"));
        }
        let rounds = match st.state {
            None => String::new(),
            Some(_) => format!(
                "; {} of {} rounds, probe median {:.0} ns",
                st.rounds,
                l.rounds,
                Spread::of(&st.probes).median
            ),
        };
        println!(
            "latency {name} ({}, ours / {kind}): {}   (samples {} / {}{rounds}){}",
            pair.span.label(),
            beside_text(&st.sides),
            st.sides[0].hist.len(),
            st.sides[1].hist.len(),
            if line_flags.is_empty() { "" } else { "  FLAGGED" }
        );
        flags.extend(line_flags.into_iter().map(|f| format!("FLAG {name}: {f}")));
    }
}

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
    if let Some(ns) = bench.clock_read_ns {
        println!(
            "latency clock: {}, about {ns:.0} ns a read; each latency sample is one operation timed alone, \
             into an hdrhistogram of 3 significant digits",
            Clock::of_run().text()
        );
    }
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
        if let Some(l) = bench.latencies.iter().find(|l| l.pair.name == pair.ratio) {
            latency_summary(l);
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
    let timed: Vec<&str> = bench.measured.iter().map(|m| m.pair.ratio).collect();
    for l in bench.latencies.iter().filter(|l| !timed.contains(&l.pair.name)) {
        println!(
            "{} (latency only: {} ÷ {})",
            l.pair.name, l.pair.ours, l.pair.baseline
        );
        latency_summary(l);
    }
    println!();
    let probed: Vec<&Measured> = bench.measured.iter().filter(|m| !m.probes.is_empty()).collect();
    let latency_rounds = &bench.latency_rounds;
    match &bench.unprobed {
        Some(why) if probed.is_empty() && latency_rounds.is_empty() => {
            println!("host core-to-core: not probed ({why})")
        }
        _ => {
            let count = |state| {
                probed.iter().map(|m| m.rounds_in(state).len()).sum::<usize>()
                    + latency_rounds
                        .iter()
                        .filter(|&&p| HostState::of_round(p) == state)
                        .count()
            };
            let all: Vec<f64> = probed
                .iter()
                .flat_map(|m| m.probes.iter().flatten().copied())
                .chain(latency_rounds.iter().flatten().copied())
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
    for l in &bench.latencies {
        latency_lines(l, &mut all_flags);
    }
    for flag in all_flags {
        println!("{flag}");
    }
}

/// Checks of the report's rules (`cargo bench -p shared --features demo
/// --bench ipc -- --self-test`, and first thing under `--test`): this
/// benchmark has no test harness (`harness = false`), so `#[test]`
/// functions in it would never run. Prints each check and `self-test: N
/// passed, M failed`; whether all passed.
pub fn self_test() -> bool {
    let checks = checks::ALL;
    let mut failed = 0;
    for (name, check) in checks {
        match check() {
            Ok(()) => println!("self-test {name}: ok"),
            Err(why) => {
                failed += 1;
                println!("self-test {name}: FAILED: {why}");
            }
        }
    }
    println!("self-test: {} passed, {failed} failed", checks.len() - failed);
    failed == 0
}

/// The checks [`self_test`] runs: the latency flags' decisions.
mod checks {
    use bench_support::placement::Placement;

    use super::{free_placement_flag, phase_flag, tail_flag, Tail};
    use crate::harness::{Phase, Span};

    type Check = (&'static str, fn() -> Result<(), String>);

    pub const ALL: [Check; 8] = [
        ("a_short_tail_is_not_flagged", a_short_tail_is_not_flagged),
        (
            "sleeps_enough_for_the_tail_are_the_reason",
            sleeps_enough_for_the_tail_are_the_reason,
        ),
        ("a_shared_cpu_is_the_scheduler", a_shared_cpu_is_the_scheduler),
        (
            "preemptions_enough_for_the_tail_are_the_scheduler",
            preemptions_enough_for_the_tail_are_the_scheduler,
        ),
        ("too_few_events_leave_the_host", too_few_events_leave_the_host),
        (
            "the_sleeping_phase_does_not_blame_its_sleeps",
            the_sleeping_phase_does_not_blame_its_sleeps,
        ),
        (
            "samples_outside_their_phase_are_flagged",
            samples_outside_their_phase_are_flagged,
        ),
        (
            "a_free_placement_on_one_cpu_is_flagged",
            a_free_placement_on_one_cpu_is_flagged,
        ),
    ];

    /// A spinning round trip's tail: p50 100 ns, p99.9 `p999`, 10,000
    /// samples (a tail of 10), nothing counted.
    fn tail(p999: u64) -> Tail {
        Tail {
            p50: 100,
            p999,
            samples: 10_000,
            sleeps: 0,
            preemptions: 0,
            shared_cpu: false,
            phase: Phase::Any,
            span: Span::RoundTrip,
        }
    }

    /// That the flag of `t` starts its reason with `reason`.
    fn reason_is(t: Tail, reason: &str) -> Result<(), String> {
        match tail_flag(&t) {
            Some(flag) if flag.contains(&format!(": {reason}:")) => Ok(()),
            other => Err(format!("{t:?}: expected the reason {reason:?}, got {other:?}")),
        }
    }

    fn a_short_tail_is_not_flagged() -> Result<(), String> {
        for t in [
            tail(1_000),
            tail(500),
            Tail {
                samples: 0,
                ..tail(5_000)
            },
        ] {
            if let Some(flag) = tail_flag(&t) {
                return Err(format!("{t:?} flagged: {flag}"));
            }
        }
        // Just over ten times.
        reason_is(tail(1_001), "the host")
    }

    fn sleeps_enough_for_the_tail_are_the_reason() -> Result<(), String> {
        reason_is(
            Tail {
                sleeps: 10,
                preemptions: 50,
                shared_cpu: true,
                ..tail(5_000)
            },
            "a sleep",
        )?;
        // Fewer sleeps than the tail's samples do not explain it.
        reason_is(
            Tail {
                sleeps: 9,
                ..tail(5_000)
            },
            "the host",
        )
    }

    fn a_shared_cpu_is_the_scheduler() -> Result<(), String> {
        reason_is(
            Tail {
                shared_cpu: true,
                ..tail(5_000)
            },
            "the scheduler",
        )
    }

    fn preemptions_enough_for_the_tail_are_the_scheduler() -> Result<(), String> {
        reason_is(
            Tail {
                preemptions: 10,
                sleeps: 3,
                ..tail(5_000)
            },
            "the scheduler",
        )
    }

    fn too_few_events_leave_the_host() -> Result<(), String> {
        // 100 samples: a tail of one; none counted.
        reason_is(
            Tail {
                samples: 100,
                span: Span::OneWay,
                ..tail(5_000)
            },
            "the host",
        )
    }

    fn the_sleeping_phase_does_not_blame_its_sleeps() -> Result<(), String> {
        let asleep = Tail {
            p50: 20_000,
            p999: 300_000,
            samples: 2_000,
            sleeps: 2_000,
            phase: Phase::Sleep,
            span: Span::OneWay,
            ..tail(0)
        };
        reason_is(asleep, "the host")?;
        reason_is(
            Tail {
                preemptions: 2,
                ..asleep
            },
            "the scheduler",
        )
    }

    fn samples_outside_their_phase_are_flagged() -> Result<(), String> {
        let cases = [
            (Phase::Spin, 1_000, 0, false),
            (Phase::Spin, 990, 10, false),
            (Phase::Spin, 989, 11, true),
            (Phase::Sleep, 900, 100, true),
            (Phase::Sleep, 0, 0, false),
            (Phase::Any, 500, 500, false),
        ];
        for (phase, recorded, left_out, flagged) in cases {
            let flag = phase_flag(phase, recorded, left_out);
            if flag.is_some() != flagged {
                return Err(format!(
                    "{phase:?}, {left_out} left out, {recorded} recorded: {flag:?}"
                ));
            }
        }
        Ok(())
    }

    fn a_free_placement_on_one_cpu_is_flagged() -> Result<(), String> {
        let cases = [
            (Some(Placement::Free), (6, 11), true),
            (Some(Placement::Free), (5, 10), true),
            (Some(Placement::Free), (5, 11), false),
            (Some(Placement::Free), (0, 0), false),
            (Some(Placement::OneCpu), (11, 11), false),
            (Some(Placement::Apart), (11, 11), false),
        ];
        for (placement, shared, flagged) in cases {
            let flag = free_placement_flag(placement, shared);
            if flag.is_some() != flagged {
                return Err(format!("{placement:?}, {shared:?}: {flag:?}"));
            }
        }
        Ok(())
    }
}
