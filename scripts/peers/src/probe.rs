//! How far apart the host has put this VM's two CPUs right now.
//!
//! On a shared host the hypervisor moves virtual CPUs: the round trip of one
//! cache line between CPU 0 and CPU 1 was measured at about 30 ns (the two
//! vCPUs on one physical core), 65–90 ns, 150–210 ns and 450–1000 ns on the
//! project's machine, changing every
//! few seconds to minutes. Everything that crosses cores follows it, so a
//! ratio of ours (bound by that latency) to a peer bound by system calls is
//! a different number in each state. Each measurement is bracketed by two
//! probes, and ratios are reported per state.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// Probe round trips below this are `core` (one physical core).
const CORE_BELOW_NS: f64 = 50.0;
/// Probe round trips from [`CORE_BELOW_NS`] up to this are `near`.
const NEAR_BELOW_NS: f64 = 120.0;
/// Probe round trips from [`NEAR_BELOW_NS`] up to this are `mid`; above, `far`.
const MID_BELOW_NS: f64 = 300.0;

/// The host state a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HostState {
    Core,
    Near,
    Mid,
    Far,
}

impl HostState {
    pub fn of(ns: f64) -> HostState {
        if ns < CORE_BELOW_NS {
            HostState::Core
        } else if ns < NEAR_BELOW_NS {
            HostState::Near
        } else if ns < MID_BELOW_NS {
            HostState::Mid
        } else {
            HostState::Far
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HostState::Core => "core",
            HostState::Near => "near",
            HostState::Mid => "mid",
            HostState::Far => "far",
        }
    }

    pub const ALL: [HostState; 4] = [HostState::Core, HostState::Near, HostState::Mid, HostState::Far];

    /// The range, for the report.
    pub fn range(self) -> String {
        match self {
            HostState::Core => format!("< {CORE_BELOW_NS:.0} ns"),
            HostState::Near => format!("{CORE_BELOW_NS:.0}–{NEAR_BELOW_NS:.0} ns"),
            HostState::Mid => format!("{NEAR_BELOW_NS:.0}–{MID_BELOW_NS:.0} ns"),
            HostState::Far => format!(">= {MID_BELOW_NS:.0} ns"),
        }
    }
}

#[repr(align(64))]
struct Line(AtomicU32);

/// A thread parked on CPU 1 that answers ping-pongs from CPU 0 on request.
pub struct Probe {
    line: &'static Line,
    start: Sender<u64>,
    done: Receiver<()>,
}

impl Probe {
    pub fn new() -> Probe {
        let line: &'static Line = Box::leak(Box::new(Line(AtomicU32::new(0))));
        let (start, requests) = channel::<u64>();
        let (finished, done) = channel();
        std::thread::spawn(move || {
            crate::pin(Some(1));
            // Parked on the channel between probes: no CPU used while idle.
            while let Ok(n) = requests.recv() {
                for _ in 0..n {
                    let mut seen = line.0.load(Ordering::Acquire);
                    while seen.is_multiple_of(2) {
                        std::hint::spin_loop();
                        seen = line.0.load(Ordering::Acquire);
                    }
                    line.0.store(seen.wrapping_add(1), Ordering::Release);
                }
                if finished.send(()).is_err() {
                    return;
                }
            }
        });
        Probe { line, start, done }
    }

    /// Round trips of `n` on CPU 0 against the thread on CPU 1; ns each.
    fn round_trips(&self, n: u64) -> f64 {
        if self.start.send(n).is_err() {
            return f64::NAN;
        }
        let word = &self.line.0;
        let began = Instant::now();
        for _ in 0..n {
            let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
            word.store(sent, Ordering::Release);
            while word.load(Ordering::Acquire) == sent {
                std::hint::spin_loop();
            }
        }
        let ns = began.elapsed().as_nanos() as f64 / n as f64;
        let _ = self.done.recv_timeout(Duration::from_secs(5));
        ns
    }

    /// The cache-line round trip between CPUs 0 and 1 now (median of five
    /// slices of about 0.4 ms after a warm-up), with this thread back on
    /// every CPU afterwards so that the processes it starts are not pinned.
    pub fn measure(&self) -> f64 {
        crate::pin_all();
        crate::pin(Some(0));
        self.round_trips(2_000);
        let mut slices: Vec<f64> = (0..5).map(|_| self.round_trips(2_000)).collect();
        crate::pin_all();
        slices.sort_by(f64::total_cmp);
        slices[2]
    }
}
