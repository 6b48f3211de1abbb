//! The run (`shm-peers bench`): its arguments, the systems and workloads
//! chosen, and the rounds, each measuring every system once in turn, a
//! cross-core measurement bracketed by two host probes.

use std::time::{Duration, Instant};

use bench_support::host_state::HostState;
use bench_support::placement::Placement;
use bench_support::text::time_text;

use crate::probe::Probe;
use crate::process::measure;
use crate::report::{probed, report, Errors, Measurements, Results, States, TIME};
use crate::systems::{System, Wait, SYSTEMS};
use crate::Workload;

/// How long a client times round trips in one measurement (after a warm-up).
const ROUND_TRIP_TIMING: Duration = Duration::from_millis(200);
const QUICK_TIMING: Duration = Duration::from_millis(20);
/// Rounds of a full run. Every measurement starts fresh processes, and a
/// cross-core ratio is reported per host state from at least
/// [`MIN_STATE_ROUNDS`] rounds: with 9, a run in which the host spent a
/// third of its time outside `near` had too few `near` rounds for some
/// systems; 15 take about 3 minutes.
///
/// [`MIN_STATE_ROUNDS`]: bench_support::host_state::MIN_STATE_ROUNDS
const ROUNDS: usize = 15;

/// `shm-peers bench [--quick] [--rounds N] [--only KEY,KEY] [--workloads W,W]`:
/// every round measures every chosen system in every chosen workload once,
/// then the report.
pub fn bench(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick" || a == "--test");
    let mut rounds = if quick { 1 } else { ROUNDS };
    let mut only: Option<Vec<String>> = None;
    let mut workload_filter: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|r| r.parse().ok())
                    .ok_or("--rounds needs a number")?
            }
            "--only" => only = it.next().map(|s| s.split(',').map(str::to_owned).collect()),
            "--workloads" => workload_filter = it.next().map(|s| s.split(',').map(str::to_owned).collect()),
            _ => {}
        }
    }
    let timing = if quick { QUICK_TIMING } else { ROUND_TRIP_TIMING };
    let systems: Vec<&System> = SYSTEMS
        .iter()
        .filter(|s| {
            s.key.starts_with("ours")
                || s.floor
                || only
                    .as_ref()
                    .is_none_or(|o| o.iter().any(|k| s.key.starts_with(k.as_str())))
        })
        .collect();
    let mut workloads = vec![
        Workload::RoundTrip(Placement::Free),
        Workload::RoundTrip(Placement::OneCpu),
        Workload::RoundTrip(Placement::Apart),
        Workload::Stream,
    ];
    if quick {
        workloads.truncate(1);
    }
    if let Some(filter) = &workload_filter {
        workloads.retain(|w| filter.contains(&w.label()));
    }
    let applies = |s: &System, w: Workload| match w {
        _ if s.floor => w == Workload::RoundTrip(Placement::OneCpu),
        // Two busy-waiters on one CPU hand over once per scheduler time
        // slice: that measures the scheduler, not the library.
        Workload::RoundTrip(Placement::OneCpu) => s.wait == Wait::Block,
        Workload::RoundTrip(Placement::Free | Placement::Apart) => true,
        Workload::Stream => s.streams,
    };
    // results[(workload, system)] = per-round ns (NaN for a round that
    // failed), errors[...] = what went wrong in those rounds.
    let mut results: Results = Default::default();
    let mut states: States = Default::default();
    let mut probes: Vec<f64> = Vec::new();
    let probe = Probe::new();
    let mut errors: Errors = Default::default();
    let mut affinity_notes: Vec<String> = Vec::new();
    let mut run = 0u32;
    eprintln!("peers: {rounds} rounds; every round measures every system once, in turn");
    for round in 0..rounds {
        for &workload in &workloads {
            for system in systems.iter().filter(|s| applies(s, workload)) {
                let key = (workload.label(), system.key);
                run += 1;
                let began = Instant::now();
                // Cross-core workloads: the host state before and after.
                let before = probed(workload).then(|| probe.measure());
                let outcome = measure(system, workload, timing, run);
                let state = before.and_then(|before| {
                    let after = probe.measure();
                    probes.extend([before, after]);
                    let state = HostState::of(before);
                    (state == HostState::of(after)).then_some(state)
                });
                states.entry(key.clone()).or_default().push(state);
                match outcome {
                    Ok(m) => {
                        let (want_a, want_b) = match workload {
                            Workload::RoundTrip(Placement::OneCpu) => (Some("0"), Some("0")),
                            Workload::RoundTrip(Placement::Apart) | Workload::Stream => {
                                (Some("0"), Some("1"))
                            }
                            _ => (None, None),
                        };
                        for (granted, want) in [(&m.affinity.0, want_a), (&m.affinity.1, want_b)] {
                            if let Some(want) = want {
                                if granted != want {
                                    affinity_notes.push(format!(
                                        "FLAG {} {}: asked for CPU {want}, granted CPUs {granted} (pinning refused)",
                                        workload.label(),
                                        system.key
                                    ));
                                }
                            }
                        }
                        if round == 0 {
                            affinity_notes.push(format!(
                                "placement {} {}: CPUs granted {} / {}",
                                workload.label(),
                                system.key,
                                m.affinity.0,
                                m.affinity.1
                            ));
                        }
                        eprintln!(
                            "  round {} {:<18} {:<15} {:>10} ({:.1} s)",
                            round + 1,
                            workload.label(),
                            system.key,
                            time_text(m.ns, TIME),
                            began.elapsed().as_secs_f64()
                        );
                        results.entry(key).or_default().push(m.ns);
                    }
                    Err(e) => {
                        eprintln!(
                            "  round {} {} {}: FAILED: {e}",
                            round + 1,
                            workload.label(),
                            system.key
                        );
                        results.entry(key.clone()).or_default().push(f64::NAN);
                        errors.entry(key).or_default().push(e);
                    }
                }
            }
        }
    }
    report(
        &systems,
        &workloads,
        &Measurements {
            results: &results,
            states: &states,
            probes: &probes,
            errors: &errors,
        },
        &affinity_notes,
        rounds,
    );
    Ok(())
}
