//! The report: a table of the systems, one of each workload's medians and
//! spreads, the host states of the run, a `ratio` line (or a `state` line)
//! per peer and workload, per host state across cores, and the notes and
//! flags.

use bench_support::host_state::{HostState, MIN_STATE_ROUNDS};
use bench_support::placement::Placement;
use bench_support::spread::{Spread, MAX_SPREAD};
use bench_support::text::{ratio_text, time_text, TimeStyle};

use crate::systems::{System, Wait};
use crate::Workload;

/// How the report writes a time: whole nanoseconds, and seconds from a
/// second up.
pub const TIME: TimeStyle = TimeStyle {
    seconds: true,
    ns_decimals: 0,
};

/// Prints `ratio NAME V (… rounds MIN – MAX …)` from (ours, theirs) per
/// round, and flags a side whose rounds spread over [`MAX_SPREAD`].
fn ratio_line(
    name: &str,
    (ours, theirs): (&str, &str),
    pairs: &[(f64, f64)],
    extra: &str,
    flags: &mut Vec<String>,
) {
    let ratios: Vec<f64> = pairs.iter().map(|(a, b)| a / b).collect();
    let r = Spread::of(&ratios);
    let mut flagged = "";
    for (label, values) in [
        (ours, pairs.iter().map(|p| p.0).collect::<Vec<_>>()),
        (theirs, pairs.iter().map(|p| p.1).collect()),
    ] {
        let sp = Spread::of(&values);
        if sp.factor() > MAX_SPREAD {
            flagged = "  FLAGGED";
            flags.push(format!(
                "FLAG {name} {label}: spread {:.2}x over {MAX_SPREAD}x in the rounds this ratio uses",
                sp.factor()
            ));
        }
    }
    println!(
        "ratio {name} {}   ({ours} ÷ {theirs}; rounds {} – {}{extra}){flagged}",
        ratio_text(r.median),
        ratio_text(r.min),
        ratio_text(r.max)
    );
}

/// One line: how often each host state held through a whole measurement.
fn host_summary(probes: &[f64]) {
    if probes.is_empty() {
        return;
    }
    let mut counts = [0usize; 4];
    let mut changed = 0;
    for pair in probes.chunks(2) {
        match pair {
            [a, b] if HostState::of(*a) == HostState::of(*b) => counts[HostState::of(*a) as usize] += 1,
            _ => changed += 1,
        }
    }
    let sp = Spread::of(probes);
    println!(
        "host core-to-core: core {} measurements, near {}, mid {}, far {}, changed {changed} (probe {} – {}, median {})",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        time_text(sp.min, TIME),
        time_text(sp.max, TIME),
        time_text(sp.median, TIME)
    );
    println!();
}

pub type Results<'s> = std::collections::BTreeMap<(String, &'s str), Vec<f64>>;
/// The host state of each round of each measurement (`None`: not probed, or
/// the state changed during the measurement).
pub type States<'s> = std::collections::BTreeMap<(String, &'s str), Vec<Option<HostState>>>;

/// Everything one run measured.
pub struct Measurements<'m, 's> {
    pub results: &'m Results<'s>,
    pub states: &'m States<'s>,
    pub probes: &'m [f64],
    pub errors: &'m Errors<'s>,
}

/// Whether a workload crosses cores, so that its rounds are bracketed by
/// host-state probes and its ratios reported per state.
pub fn probed(w: Workload) -> bool {
    w != Workload::RoundTrip(Placement::OneCpu)
}
pub type Errors<'s> = std::collections::BTreeMap<(String, &'s str), Vec<String>>;

/// The rounds that succeeded, or the first error when none did.
fn rounds_of(results: &Results, errors: &Errors, key: &(String, &str)) -> Option<Result<Vec<f64>, String>> {
    let all = results.get(key)?;
    let ok: Vec<f64> = all.iter().copied().filter(|v| !v.is_nan()).collect();
    match errors.get(key).and_then(|e| e.first()) {
        Some(e) if ok.is_empty() => Some(Err(format!("failed in every round: {e}"))),
        _ => Some(Ok(ok)),
    }
}

pub fn report(
    systems: &[&System],
    workloads: &[Workload],
    m: &Measurements,
    notes: &[String],
    rounds: usize,
) {
    let (results, errors) = (m.results, m.errors);
    println!();
    println!("== peers == ({rounds} rounds, interleaved; median (fastest – slowest) of the rounds)");
    println!();
    println!("| system | library | waits | how it waits |");
    println!("|---|---|---|---|");
    for s in systems {
        let wait = match s.wait {
            Wait::Block => "blocking / event",
            Wait::Busy => "busy-poll",
        };
        println!("| {} | {} | {wait} | {} |", s.key, s.library, s.how);
    }
    for &w in workloads {
        println!();
        println!(
            "| {} ({}) | median | fastest – slowest | spread |",
            w.label(),
            w.unit()
        );
        println!("|---|---|---|---|");
        for s in systems {
            match rounds_of(results, errors, &(w.label(), s.key)) {
                Some(Ok(v)) => {
                    let sp = Spread::of(&v);
                    println!(
                        "| {} | {} | {} – {} | {:.2}x |",
                        s.key,
                        time_text(sp.median, TIME),
                        time_text(sp.min, TIME),
                        time_text(sp.max, TIME),
                        sp.factor()
                    );
                }
                Some(Err(e)) => println!("| {} | FAILED: {e} | | |", s.key),
                None if s.floor => {}
                None => println!("| {} | not measured (see notes) | | |", s.key),
            }
        }
    }
    println!();
    host_summary(m.probes);
    let mut flags = Vec::new();
    // Ratios: ours in the same waiting class ÷ the peer, round by round.
    for &w in workloads {
        for s in systems.iter().filter(|s| !s.key.starts_with("ours")) {
            let ours_key = match (w, s.wait) {
                (Workload::Stream, _) => "ours-block",
                (_, Wait::Block) => "ours-block",
                (_, Wait::Busy) => "ours-spin",
            };
            let name = format!("{}_vs_{}", w.label(), s.key.replace('-', "_"));
            let ours_key_t = (w.label(), ours_key);
            let key_t = (w.label(), s.key);
            match (
                rounds_of(results, errors, &ours_key_t),
                rounds_of(results, errors, &key_t),
            ) {
                (Some(Ok(_)), Some(Ok(_))) => {
                    // Round by round, only rounds where both sides succeeded
                    // (and, across cores, both ran in the same host state).
                    let both: Vec<(f64, f64, Option<HostState>, Option<HostState>)> = results[&ours_key_t]
                        .iter()
                        .zip(&results[&key_t])
                        .zip(m.states[&ours_key_t].iter().zip(&m.states[&key_t]))
                        .map(|((&a, &b), (&sa, &sb))| (a, b, sa, sb))
                        .filter(|(a, b, _, _)| !a.is_nan() && !b.is_nan())
                        .collect();
                    let sides = (ours_key, s.key);
                    if !probed(w) {
                        let pairs: Vec<(f64, f64)> = both.iter().map(|&(a, b, _, _)| (a, b)).collect();
                        ratio_line(&name, sides, &pairs, "", &mut flags);
                        continue;
                    }
                    for state in HostState::BINS {
                        let pairs: Vec<(f64, f64)> = both
                            .iter()
                            .filter(|&&(_, _, sa, sb)| sa == Some(state) && sb == Some(state))
                            .map(|&(a, b, _, _)| (a, b))
                            .collect();
                        let state_name = format!("{name}@{}", state.label());
                        match pairs.len() {
                            0 => {}
                            n if n < MIN_STATE_ROUNDS => println!(
                                "state {state_name} only {n} rounds (core-to-core {}): not reported",
                                state.range()
                            ),
                            n => {
                                let extra =
                                    format!("; {n} of {} rounds, core-to-core {}", both.len(), state.range());
                                ratio_line(&state_name, sides, &pairs, &extra, &mut flags);
                            }
                        }
                    }
                }
                (_, Some(Err(e))) => println!("ratio {name} n/a   ({} failed: {e})", s.key),
                (Some(Err(e)), _) => println!("ratio {name} n/a   ({ours_key} failed: {e})"),
                _ if s.floor => {}
                _ => {
                    let why = match w {
                        Workload::RoundTrip(Placement::OneCpu) => {
                            "busy-waiting on one CPU hands over once per time slice: not measured"
                        }
                        Workload::Stream => "one stream per system, measured in its other mode",
                        _ => "not measured",
                    };
                    println!("ratio {name} n/a   ({why})");
                }
            }
        }
    }
    for ((workload, key), errs) in errors {
        if let Some(first) = errs.first() {
            flags.push(format!(
                "FAILED {workload} {key}: {} of {rounds} rounds failed; first error: {first}",
                errs.len()
            ));
        }
    }
    println!();
    for note in notes.iter().chain(&flags) {
        println!("{note}");
    }
}
