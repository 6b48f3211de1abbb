//! The host probe: how far apart the host has put this VM's two CPUs right
//! now, the round trip of one cache line between CPU 0 and CPU 1. Each
//! cross-core measurement is bracketed by two probes, and its ratios are
//! reported per host state (see [`bench_support::host_state`]).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use bench_support::placement::pin;

/// The word the probe bounces, alone on its cache line.
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
            pin(Some(1));
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
        pin(None);
        pin(Some(0));
        self.round_trips(2_000);
        let mut slices: Vec<f64> = (0..5).map(|_| self.round_trips(2_000)).collect();
        pin(None);
        slices.sort_by(f64::total_cmp);
        slices[2]
    }
}
