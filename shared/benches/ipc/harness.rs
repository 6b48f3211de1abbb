//! The harness: the pairs (ours and its baseline), how the run is set up
//! from the command line, and the two phases of a run, [`Bench::compare`]
//! (each pair set up and its timings sized) and [`Bench::run_rounds`] (every
//! pair timed in rounds spread over the run, interleaved round-robin, each
//! timing the median of [`SLICES`] slices).

use std::time::Duration;

use bench_support::host_state::HostState;
use bench_support::placement::{pin, wanted, Placement};
use bench_support::spread::Spread;

use crate::peer::{PEER_CPUS, SHARED_CPU};
use crate::probe::CoreProbe;

/// Rounds of every comparison, spread over the run (at least 5; odd, so
/// that the median is one round's value).
pub const ROUNDS: usize = 11;
/// Rounds under `--test` (more than one, so that the round-robin is exercised).
pub const TEST_ROUNDS: usize = 3;
/// About how long each side's timing in a round lasts (1 ms under `--test`).
pub const TIMING: Duration = Duration::from_millis(40);

/// One side of a comparison: does `iters` operations, returns how long they took.
pub type Side<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// What a baseline is to ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Does strictly less of the same work (a bare cache line, memcpy, the raw
    /// system calls): ours cannot be faster, so a floor slower than ours
    /// measured something else and is flagged.
    Floor,
    /// Another way to do the same job (a socket): either may win.
    Rival,
}

/// Whether a pair's ratio is a headline, and if not, why it cannot repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// A ratio that must repeat within ±20% over three runs.
    Headline,
    /// Measures the scheduler's time slice, not work.
    TimeSlice,
    /// Follows the host's cross-core copy speed, which our side depends on
    /// and the baseline hardly.
    CopySpeed,
    /// Follows the host's cost of waking a thread on the other CPU, which the
    /// baseline pays twice per round trip and ours (spinning) does not.
    WakeCost,
}

/// One headline ratio: how it is named and what its baseline is.
pub struct Pair {
    pub ratio: &'static str,
    pub ours: String,
    pub baseline: String,
    pub kind: Baseline,
    /// Bytes one operation copies (for the faster-than-possible check).
    pub bytes: Option<usize>,
    /// Where the two processes ran (`None` when there is no second process).
    pub placement: Option<Placement>,
    /// A headline ratio (`ratio` line), or an illustration that cannot repeat
    /// (`illustration` line, kept out of the repeatability table; see the
    /// documentation in `main.rs`).
    pub figure: Figure,
}

impl Pair {
    /// Whether its figures depend on the host's core-to-core latency: a
    /// second process on a CPU of its own or wherever the scheduler puts it.
    fn cross_core(&self) -> bool {
        matches!(self.placement, Some(Placement::Free | Placement::Apart))
    }
}

/// A pair after its rounds.
pub struct Measured {
    pub pair: Pair,
    pub ours_ns: Vec<f64>,
    pub baseline_ns: Vec<f64>,
    /// How the CPUs were asked for and granted, and whether pinning was refused.
    pub placement_note: Option<(String, bool)>,
    /// For ours and the baseline: in how many of how many timings the
    /// command-driven peer ended on the same CPU as this process.
    pub shared_cpu: [(usize, usize); 2],
    /// Per round, the core-to-core probe before ours and after the baseline
    /// (ns per round trip); empty when the pair was not probed.
    pub probes: Vec<[f64; 2]>,
}

impl Measured {
    /// Ours ÷ the baseline, round by round.
    pub fn ratios(&self) -> Vec<f64> {
        self.ours_ns
            .iter()
            .zip(&self.baseline_ns)
            .map(|(a, b)| a / b)
            .collect()
    }

    /// The rounds (indices) whose host state was `state`.
    pub fn rounds_in(&self, state: HostState) -> Vec<usize> {
        (0..self.probes.len())
            .filter(|&r| HostState::of_round(self.probes[r]) == state)
            .collect()
    }
}

/// The values of `rounds` (indices) among `values`.
pub fn pick(values: &[f64], rounds: &[usize]) -> Vec<f64> {
    rounds.iter().map(|&r| values[r]).collect()
}

/// How the run is configured from the command line.
pub struct Config {
    filters: Vec<String>,
    pub rounds: usize,
    pub timing: Duration,
}

impl Config {
    pub fn from_args() -> Config {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--test");
        let filters = args.iter().filter(|a| !a.starts_with("--")).cloned().collect();
        Config {
            filters,
            rounds: if quick { TEST_ROUNDS } else { ROUNDS },
            timing: if quick { Duration::from_millis(1) } else { TIMING },
        }
    }

    /// Whether the pair named `ratio` (with sides `ours` and `baseline`) runs.
    pub fn wants(&self, names: &[&str]) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| names.iter().any(|n| n.contains(f.as_str())))
    }
}

/// A pair set up by [`Bench::compare`], waiting for its rounds.
struct Pending<'a> {
    pair: Pair,
    /// Ours and the baseline.
    sides: [Side<'a>; 2],
    /// Iterations of each side's next timing.
    iters: [u64; 2],
    /// Each side's ns per operation, round by round.
    ns: [Vec<f64>; 2],
    placement_note: Option<(String, bool)>,
    shared_cpu: [(usize, usize); 2],
    probes: Vec<[f64; 2]>,
}

/// The pairs: set up, then timed in rounds spread over the run, then measured.
pub struct Bench<'a> {
    pub config: Config,
    /// Set up, not yet timed.
    pending: Vec<Pending<'a>>,
    pub measured: Vec<Measured>,
    /// Why the cross-core pairs were not probed, if they were not.
    pub unprobed: Option<String>,
}

impl<'a> Bench<'a> {
    pub fn new(config: Config) -> Bench<'a> {
        Bench {
            config,
            pending: Vec::new(),
            measured: Vec::new(),
            unprobed: None,
        }
    }

    /// Sets up `pair` for [`Bench::run_rounds`]: pins this process per the
    /// pair's placement, runs `setup` (only when the pair is wanted; it
    /// returns the two sides, everything they need already allocated,
    /// touched and started), notes the CPUs this process and the peers were
    /// granted, and sizes each side's timings (doubling the iterations until
    /// a timing lasts a quarter of [`Config::timing`]).
    pub fn compare(&mut self, pair: Pair, setup: impl FnOnce() -> (Side<'a>, Side<'a>)) {
        if !self.config.wants(&[pair.ratio, &pair.ours, &pair.baseline]) {
            return;
        }
        let (mine, theirs_cpu) = pair.placement.map(|p| p.cpus()).unwrap_or((None, None));
        let granted_here = pin(mine);
        PEER_CPUS.with(|p| p.borrow_mut().clear());
        let (mut ours, mut baseline) = setup();
        // The peers pinned themselves while `setup` started them; they say
        // what they got in `ready`, collected by the setup in PEER_CPUS.
        let peer_granted: Vec<String> = PEER_CPUS.with(|p| std::mem::take(&mut *p.borrow_mut()));
        let placement_note = pair.placement.map(|p| {
            let mut refused = granted_here != wanted(mine);
            let mut text = format!(
                "{}: this process asked for CPUs {} and was granted {granted_here}",
                p.label(),
                wanted(mine)
            );
            for granted in &peer_granted {
                refused |= *granted != wanted(theirs_cpu);
                text.push_str(&format!(
                    "; a peer asked for {} and was granted {granted}",
                    wanted(theirs_cpu)
                ));
            }
            (text, refused)
        });
        let timing = self.config.timing;
        let most = most_iters(&pair);
        let iters_for = |side: &mut Side<'a>| -> u64 {
            let mut iters = 1u64;
            loop {
                let took = side(iters);
                if took >= timing / 4 || iters >= most.min(1 << 26) {
                    return iters_lasting(timing, took.as_nanos() as f64 / iters as f64, most);
                }
                iters *= 2;
            }
        };
        let iters = [iters_for(&mut ours), iters_for(&mut baseline)];
        eprintln!(
            "  measured {}: set up, timings sized ({} ÷ {})",
            pair.ratio, pair.ours, pair.baseline
        );
        self.pending.push(Pending {
            pair,
            sides: [ours, baseline],
            iters,
            ns: [Vec::new(), Vec::new()],
            placement_note,
            shared_cpu: [(0, 0), (0, 0)],
            probes: Vec::new(),
        });
    }

    /// Times every pair set up: [`Config::rounds`] rounds, each going through
    /// every pair in turn, ours then the baseline; then ends the peers and
    /// files the results. A cross-core pair's round is probed (see
    /// [`CoreProbe`]) first, then this process is pinned per the pair's
    /// placement and both sides are timed, then probed again (the probe pins
    /// to CPU 0 and gives back the pair's mask).
    pub fn run_rounds(&mut self) {
        let (rounds, timing) = (self.config.rounds, self.config.timing);
        let take = || SHARED_CPU.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let probe = if self.pending.iter().any(|p| p.pair.cross_core()) {
            CoreProbe::start()
        } else {
            Err("no cross-core pair in this run".to_owned())
        };
        if let Err(why) = &probe {
            self.unprobed = Some(why.clone());
        }
        for round in 1..=rounds {
            let mut states = Vec::new();
            for p in &mut self.pending {
                let probe = probe.as_ref().ok().filter(|_| p.pair.cross_core());
                let before = probe.map(CoreProbe::round_trip_ns);
                pin(p.pair.placement.and_then(|placement| placement.cpus().0));
                for side in 0..2 {
                    let _ = take();
                    let ns = sliced(&mut p.sides[side], p.iters[side]);
                    let seen = take();
                    p.shared_cpu[side].0 += seen.iter().filter(|&&s| s).count();
                    p.shared_cpu[side].1 += seen.len();
                    p.ns[side].push(ns);
                    let median = Spread::of(&p.ns[side]).median;
                    p.iters[side] = iters_lasting(timing, median, most_iters(&p.pair));
                }
                if let (Some(probe), Some(before)) = (probe, before) {
                    let probes = [before, probe.round_trip_ns()];
                    states.push(format!(
                        "{} {:.0}/{:.0}",
                        HostState::of_round(probes).label(),
                        probes[0],
                        probes[1]
                    ));
                    p.probes.push(probes);
                }
            }
            eprintln!(
                "  measured round {round} of {rounds} ({} pairs, ours then baseline in each)",
                self.pending.len()
            );
            if !states.is_empty() {
                eprintln!(
                    "  probed round {round}: host state, ns before/after, per cross-core pair: {}",
                    states.join(", ")
                );
            }
        }
        drop(probe);
        for p in self.pending.drain(..) {
            let Pending {
                pair,
                sides,
                ns: [ours_ns, baseline_ns],
                placement_note,
                shared_cpu,
                probes,
                ..
            } = p;
            // The peers end here (their stdin or socket closes).
            drop(sides);
            self.measured.push(Measured {
                pair,
                ours_ns,
                baseline_ns,
                placement_note,
                shared_cpu,
                probes,
            });
        }
        pin(None);
    }
}

/// Iterations that take about `timing` at `ns` per operation (at least one,
/// at most `most`).
fn iters_lasting(timing: Duration, ns: f64, most: u64) -> u64 {
    ((timing.as_nanos() as f64 / ns.max(1.0)) as u64).clamp(1, most)
}

/// Most operations a timing of an illustration does. The naive turns on one
/// CPU have two modes: a turn per time slice (milliseconds), or a few
/// microseconds when the two processes fall into step on the mutex. Sized in
/// the fast mode, a timing that meets the slow one would last minutes (seen:
/// 15,000 turns at 16 ms); ten turns last at most a few hundred ms.
pub const ILLUSTRATION_ITERS: u64 = 10;

/// The cap on a pair's iterations per timing.
fn most_iters(pair: &Pair) -> u64 {
    if pair.figure == Figure::TimeSlice {
        ILLUSTRATION_ITERS
    } else {
        u64::MAX
    }
}

/// Slices of one side's timing in a round.
pub const SLICES: u64 = 5;

/// ns per op of `iters` ops, timed in [`SLICES`] slices (when there are that
/// many ops): the median slice, so that another process taking the CPU for a
/// few milliseconds does not decide the round.
fn sliced(side: &mut Side<'_>, iters: u64) -> f64 {
    if iters < SLICES {
        return side(iters).as_nanos() as f64 / iters as f64;
    }
    let per = iters / SLICES;
    let mut ns: Vec<f64> = (0..SLICES)
        .map(|_| side(per).as_nanos() as f64 / per as f64)
        .collect();
    ns.sort_by(f64::total_cmp);
    ns[ns.len() / 2]
}
