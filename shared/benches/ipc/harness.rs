//! The harness: the pairs (ours and its baseline), how the run is set up
//! from the command line, and the two phases of a run, [`Bench::compare`]
//! (each pair set up and its timings sized) and [`Bench::run_rounds`] (every
//! pair timed in rounds spread over the run, interleaved round-robin, each
//! timing the median of [`SLICES`] slices). A pair may also be sampled
//! ([`Bench::compare_sampled`]), and a latency pair is only sampled
//! ([`Bench::latency`]): each operation timed on its own into a histogram, for
//! the percentiles of its latency (see [`Latency`]).

use std::time::Duration;

use bench_support::host_state::HostState;
use bench_support::placement::{pin, wanted, Placement};
use bench_support::spread::Spread;
use hdrhistogram::Histogram;

use crate::peer::{PEER_CPUS, SHARED_CPU};
use crate::probe::CoreProbe;
use crate::slices::SLICES;

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

/// What one latency sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// There and back, timed by one process (a pingpong or a turn).
    RoundTrip,
    /// One record from the sender's clock to the receiver's.
    OneWay,
}

impl Span {
    pub fn label(self) -> &'static str {
        match self {
            Span::RoundTrip => "round trip",
            Span::OneWay => "one-way",
        }
    }
}

/// Whether the waiting side is meant to sleep while a sample is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Whatever its wait does (a round trip: it spins, yields or sleeps as it
    /// must); a sleep is then one reason a sample can take long.
    Any,
    /// Its spinning phase: a sample in which it slept is not of the phase
    /// (the sender was held up past the spin), and is left out.
    Spin,
    /// Its sleeping phase: a sample in which it did not sleep is not of the
    /// phase (its spin outlasted the delay), and is left out.
    Sleep,
}

/// One side's latency samples: each operation timed on its own (ns, in an
/// [`hdrhistogram`] of 3 significant digits), and what the waiting side's
/// kernel counted meanwhile.
pub struct Samples {
    pub hist: Histogram<u64>,
    /// Sleeps of the waiting side (voluntary context switches): for a round
    /// trip, this process's during the timed operations; one-way, the
    /// samples in which the receiver slept.
    pub sleeps: u64,
    /// Preemptions of the waiting side (involuntary context switches),
    /// counted the same way.
    pub preemptions: u64,
    /// Samplings whose command-driven peer ended on this process's CPU, of
    /// how many such samplings.
    pub shared_cpu: (u64, u64),
    /// Samples taken but left out of the histogram, not being of the phase
    /// they were taken for (see [`Phase`]).
    pub left_out: u64,
}

impl Default for Samples {
    fn default() -> Samples {
        Samples::new()
    }
}

impl Samples {
    pub fn new() -> Samples {
        Samples {
            hist: Histogram::new(3).unwrap_or_else(|e| panic!("histogram: {e:?}")),
            sleeps: 0,
            preemptions: 0,
            shared_cpu: (0, 0),
            left_out: 0,
        }
    }

    /// Records one sample of `ns` (the histogram grows to hold it: a
    /// saturating record would clamp it to the range it has).
    pub fn record(&mut self, ns: u64) {
        self.hist
            .record(ns.max(1))
            .unwrap_or_else(|e| panic!("histogram: {e:?}"));
    }

    /// Adds `other`'s samples and counts to these.
    pub fn add(&mut self, other: &Samples) {
        self.hist
            .add(&other.hist)
            .unwrap_or_else(|e| panic!("histogram: {e:?}"));
        self.sleeps += other.sleeps;
        self.preemptions += other.preemptions;
        self.shared_cpu.0 += other.shared_cpu.0;
        self.shared_cpu.1 += other.shared_cpu.1;
        self.left_out += other.left_out;
    }

    /// The value at `quantile` (0.5 for p50), in ns.
    pub fn at(&self, quantile: f64) -> u64 {
        self.hist.value_at_quantile(quantile)
    }
}

/// One side's sampler: takes `n` samples into the [`Samples`] (after a
/// warm-up of its own), and returns how long the whole sampling took (for
/// sizing the next).
pub type Sampler<'a> = Box<dyn FnMut(u64, &mut Samples) -> Duration + 'a>;

/// The latency distributions of a pair: ours and its baseline sampled in
/// every round, after the pair's timings, about `budget` each.
pub struct Latency<'a> {
    pub span: Span,
    pub phase: Phase,
    /// About how long each side samples in a round (scaled down under `--test`
    /// as the timings are).
    pub budget: Duration,
    /// Ours and the baseline.
    pub samplers: [Sampler<'a>; 2],
}

/// Names and kind of a pair's latency lines.
#[derive(Debug, Clone)]
pub struct LatencyPair {
    /// `latency NAME ...`: the ratio's name for a timed pair.
    pub name: &'static str,
    pub ours: String,
    pub baseline: String,
    pub kind: Baseline,
    pub placement: Option<Placement>,
    pub span: Span,
    pub phase: Phase,
}

impl LatencyPair {
    fn cross_core(&self) -> bool {
        matches!(self.placement, Some(Placement::Free | Placement::Apart))
    }
}

/// One host state's share of a latency pair's rounds.
pub struct StateSamples {
    /// `None` when the pair was not probed.
    pub state: Option<HostState>,
    pub rounds: usize,
    /// The probes around those rounds' samplings (ns per round trip).
    pub probes: Vec<f64>,
    /// Ours and the baseline, merged over those rounds.
    pub sides: [Samples; 2],
}

/// A pair's latency distributions after its rounds.
pub struct MeasuredLatency {
    pub pair: LatencyPair,
    pub rounds: usize,
    /// Per host state seen (in the order first seen), or one entry with
    /// `state: None` when the pair was not probed.
    pub states: Vec<StateSamples>,
    /// Ours and the baseline over every round.
    pub all: [Samples; 2],
    /// A latency pair's placement, asked for and granted, and whether
    /// pinning was refused (a sampled pair's is its timings').
    pub placement_note: Option<(String, bool)>,
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

/// A latency pair set up, waiting for its rounds.
struct PendingLatency<'a> {
    latency: Latency<'a>,
    /// Samples of each side's next sampling.
    n: [u64; 2],
    measured: MeasuredLatency,
}

impl<'a> PendingLatency<'a> {
    /// Sizes each side's samplings (doubling from one sample until a sampling
    /// lasts a quarter of the budget); the sizing's samples are dropped.
    fn new(pair: LatencyPair, mut latency: Latency<'a>, scale: f64) -> PendingLatency<'a> {
        let budget = latency.budget.mul_f64(scale);
        let n = [0, 1].map(|side| {
            let mut n = 1u64;
            loop {
                let took = (latency.samplers[side])(n, &mut Samples::new());
                if took >= budget / 4 || n >= 1 << 24 {
                    return iters_lasting(budget, took.as_nanos() as f64 / n as f64, u64::MAX);
                }
                n *= 2;
            }
        });
        let _ = take_shared_cpu();
        PendingLatency {
            measured: MeasuredLatency {
                pair,
                rounds: 0,
                states: Vec::new(),
                all: [Samples::new(), Samples::new()],
                placement_note: None,
            },
            latency,
            n,
        }
    }

    fn pair(&self) -> &LatencyPair {
        &self.measured.pair
    }

    /// One round's samplings, ours then the baseline; each sizes the next.
    fn sample(&mut self, scale: f64) -> [Samples; 2] {
        let budget = self.latency.budget.mul_f64(scale);
        [0, 1].map(|side| {
            let mut samples = Samples::new();
            let _ = take_shared_cpu();
            let took = (self.latency.samplers[side])(self.n[side], &mut samples);
            let seen = take_shared_cpu();
            samples.shared_cpu = (seen.iter().filter(|&&s| s).count() as u64, seen.len() as u64);
            self.n[side] = iters_lasting(budget, took.as_nanos() as f64 / self.n[side] as f64, u64::MAX);
            samples
        })
    }

    /// Files a round's samples under the host state its probes found.
    fn file(&mut self, sides: [Samples; 2], probes: Option<[f64; 2]>) {
        let m = &mut self.measured;
        m.rounds += 1;
        for (all, side) in m.all.iter_mut().zip(&sides) {
            all.add(side);
        }
        let state = probes.map(HostState::of_round);
        let at = match m.states.iter().position(|s| s.state == state) {
            Some(at) => at,
            None => {
                m.states.push(StateSamples {
                    state,
                    rounds: 0,
                    probes: Vec::new(),
                    sides: [Samples::new(), Samples::new()],
                });
                m.states.len() - 1
            }
        };
        let entry = &mut m.states[at];
        entry.rounds += 1;
        entry.probes.extend(probes.into_iter().flatten());
        for (merged, side) in entry.sides.iter_mut().zip(&sides) {
            merged.add(side);
        }
    }
}

/// Empties [`SHARED_CPU`], returning what it held.
fn take_shared_cpu() -> Vec<bool> {
    SHARED_CPU.with(|s| std::mem::take(&mut *s.borrow_mut()))
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
    /// Its latency, sampled after its timings in every round.
    latency: Option<PendingLatency<'a>>,
}

/// The pairs: set up, then timed in rounds spread over the run, then measured.
pub struct Bench<'a> {
    pub config: Config,
    /// Set up, not yet timed.
    pending: Vec<Pending<'a>>,
    /// Latency pairs set up (only sampled, no timings), not yet sampled.
    pending_latency: Vec<PendingLatency<'a>>,
    pub measured: Vec<Measured>,
    /// Every pair's latency distributions: the sampled pairs' in their order,
    /// then the latency pairs'.
    pub latencies: Vec<MeasuredLatency>,
    /// The probes around each probed round of a latency pair (ns per round
    /// trip), for the host line.
    pub latency_rounds: Vec<[f64; 2]>,
    /// Why the cross-core pairs were not probed, if they were not.
    pub unprobed: Option<String>,
    /// What one clock read costs (ns), measured when there are latencies:
    /// each latency sample holds about one.
    pub clock_read_ns: Option<f64>,
}

impl<'a> Bench<'a> {
    pub fn new(config: Config) -> Bench<'a> {
        Bench {
            config,
            pending: Vec::new(),
            pending_latency: Vec::new(),
            measured: Vec::new(),
            latencies: Vec::new(),
            latency_rounds: Vec::new(),
            unprobed: None,
            clock_read_ns: None,
        }
    }

    /// How much shorter than [`TIMING`] this run's timings are (1 but under
    /// `--test`), for the samplings' budgets.
    fn scale(&self) -> f64 {
        self.config.timing.as_secs_f64() / TIMING.as_secs_f64()
    }

    /// [`Bench::compare`], and the pair's latency sampled too: `setup` also
    /// returns the samplers (each with processes and files of its own), which
    /// run after the pair's timings in every round (see
    /// [`Bench::run_rounds`]).
    pub fn compare_sampled(&mut self, pair: Pair, setup: impl FnOnce() -> (Side<'a>, Side<'a>, Latency<'a>)) {
        let (name, ours, baseline) = (pair.ratio, pair.ours.clone(), pair.baseline.clone());
        let (kind, placement) = (pair.kind, pair.placement);
        let mut latency = None;
        let set_up = self.compare_inner(pair, || {
            let (ours, baseline, sampled) = setup();
            latency = Some(sampled);
            (ours, baseline)
        });
        if let (true, Some(latency)) = (set_up, latency) {
            let identity = LatencyPair {
                name,
                ours,
                baseline,
                kind,
                placement,
                span: latency.span,
                phase: latency.phase,
            };
            let pending = PendingLatency::new(identity, latency, self.scale());
            eprintln!("  measured {}: latency samplings sized", pending.pair().name);
            if let Some(last) = self.pending.last_mut() {
                last.latency = Some(pending);
            }
        }
    }

    /// Sets up a latency pair, sampled in every round and never timed: no
    /// ratio, only its `latency` lines (see the report).
    pub fn latency(&mut self, pair: LatencyPair, setup: impl FnOnce() -> Latency<'a>) {
        if !self.config.wants(&[pair.name, &pair.ours, &pair.baseline]) {
            return;
        }
        let (mine, theirs) = pair.placement.map(|p| p.cpus()).unwrap_or((None, None));
        let granted_here = pin(mine);
        PEER_CPUS.with(|p| p.borrow_mut().clear());
        let latency = setup();
        let peers: Vec<String> = PEER_CPUS.with(|p| std::mem::take(&mut *p.borrow_mut()));
        let placement_note = pair.placement.map(|p| {
            let refused = granted_here != wanted(mine) || peers.iter().any(|g| *g != wanted(theirs));
            let text = format!(
                "{}: this process asked for CPUs {} and was granted {granted_here}; its peers asked for {} and were granted {}",
                p.label(),
                wanted(mine),
                wanted(theirs),
                peers.join(" and ")
            );
            (text, refused)
        });
        let mut pending = PendingLatency::new(pair, latency, self.scale());
        pending.measured.placement_note = placement_note;
        eprintln!(
            "  measured {}: set up, samplings sized ({} ÷ {})",
            pending.pair().name,
            pending.pair().ours,
            pending.pair().baseline
        );
        self.pending_latency.push(pending);
    }

    /// Sets up `pair` for [`Bench::run_rounds`]: pins this process per the
    /// pair's placement, runs `setup` (only when the pair is wanted; it
    /// returns the two sides, everything they need already allocated,
    /// touched and started), notes the CPUs this process and the peers were
    /// granted, and sizes each side's timings (doubling the iterations until
    /// a timing lasts a quarter of [`Config::timing`]).
    pub fn compare(&mut self, pair: Pair, setup: impl FnOnce() -> (Side<'a>, Side<'a>)) {
        self.compare_inner(pair, setup);
    }

    /// [`Bench::compare`]; whether the pair was wanted (and set up).
    fn compare_inner(&mut self, pair: Pair, setup: impl FnOnce() -> (Side<'a>, Side<'a>)) -> bool {
        if !self.config.wants(&[pair.ratio, &pair.ours, &pair.baseline]) {
            return false;
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
            latency: None,
        });
        true
    }

    /// Times every pair set up: [`Config::rounds`] rounds, each going through
    /// every pair in turn, ours then the baseline; then ends the peers and
    /// files the results. A cross-core pair's round is probed (see
    /// [`CoreProbe`]) first, then this process is pinned per the pair's
    /// placement and both sides are timed, then probed again (the probe pins
    /// to CPU 0 and gives back the pair's mask). A sampled pair's latency is
    /// sampled next, ours then the baseline, and probed once more: its
    /// samples belong to the state of the probes just before and just after
    /// them, and the pair's ratio keeps the probes around its timings alone.
    /// Then the latency pairs, each probed before and after its samplings.
    pub fn run_rounds(&mut self) {
        let (rounds, timing, scale) = (self.config.rounds, self.config.timing, self.scale());
        let take = take_shared_cpu;
        let cross_core = self.pending.iter().any(|p| p.pair.cross_core())
            || self.pending_latency.iter().any(|l| l.pair().cross_core());
        let probe = if cross_core {
            CoreProbe::start()
        } else {
            Err("no cross-core pair in this run".to_owned())
        };
        if let Err(why) = &probe {
            self.unprobed = Some(why.clone());
        }
        if !self.pending_latency.is_empty() || self.pending.iter().any(|p| p.latency.is_some()) {
            self.clock_read_ns = Some(crate::clock::clock_read_ns());
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
                let after = probe.map(CoreProbe::round_trip_ns);
                if let (Some(before), Some(after)) = (before, after) {
                    let probes = [before, after];
                    states.push(format!(
                        "{} {:.0}/{:.0}",
                        HostState::of_round(probes).label(),
                        probes[0],
                        probes[1]
                    ));
                    p.probes.push(probes);
                }
                if let Some(latency) = &mut p.latency {
                    pin(p.pair.placement.and_then(|placement| placement.cpus().0));
                    let sides = latency.sample(scale);
                    let probes = after
                        .zip(probe.map(CoreProbe::round_trip_ns))
                        .map(|(a, b)| [a, b]);
                    if let Some(probes) = probes {
                        states.push(format!(
                            "latency {}/{:.0}",
                            HostState::of_round(probes).label(),
                            probes[1]
                        ));
                    }
                    latency.file(sides, probes);
                }
            }
            for l in &mut self.pending_latency {
                let probe = probe.as_ref().ok().filter(|_| l.pair().cross_core());
                let before = probe.map(CoreProbe::round_trip_ns);
                pin(l.pair().placement.and_then(|placement| placement.cpus().0));
                let sides = l.sample(scale);
                let probes = before
                    .zip(probe.map(CoreProbe::round_trip_ns))
                    .map(|(a, b)| [a, b]);
                if let Some(probes) = probes {
                    states.push(format!(
                        "{} {:.0}/{:.0}",
                        HostState::of_round(probes).label(),
                        probes[0],
                        probes[1]
                    ));
                    self.latency_rounds.push(probes);
                }
                l.file(sides, probes);
            }
            eprintln!(
                "  measured round {round} of {rounds} ({} pairs, ours then baseline in each{})",
                self.pending.len(),
                match self.pending_latency.len() {
                    0 => String::new(),
                    n => format!("; then {n} latency pairs"),
                }
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
                latency,
                ..
            } = p;
            // The peers end here (their stdin or socket closes).
            drop(sides);
            if let Some(latency) = latency {
                self.latencies.push(latency.measured);
            }
            self.measured.push(Measured {
                pair,
                ours_ns,
                baseline_ns,
                placement_note,
                shared_cpu,
                probes,
            });
        }
        for l in self.pending_latency.drain(..) {
            self.latencies.push(l.measured);
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
