//! The host probe: how long one cache line takes to go from CPU 0 to CPU 1
//! and back right now, measured around every round of every cross-core pair
//! so that the round can be filed under the host state it ran in (see
//! [`bench_support::host_state`] and the documentation in `main.rs`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use bench_support::placement::{affinity, cpu_count, pin, set_affinity, wanted};

use crate::slices::SLICES;

/// Warm-up of a probe (the helper wakes and both caches settle).
const PROBE_WARMUP: Duration = Duration::from_micros(300);
/// The timed part of a probe, the median of [`SLICES`] slices.
const PROBE_TIMING: Duration = Duration::from_millis(2);
/// Written to the probe's word to send the helper back to its channel.
const PROBE_STOP: u32 = u32::MAX;

/// The word the probe bounces, alone on its cache line.
#[repr(C, align(64))]
struct ProbeLine(AtomicU32);

/// The core-to-core probe: a helper thread pinned to CPU 1 for the whole
/// run, parked on a channel between probes (no CPU used), and one cache
/// line it and the calling thread, pinned to CPU 0 while it probes, pass
/// back and forth as [`CacheLine::round_trips`] does between processes.
///
/// [`CacheLine::round_trips`]: crate::baselines::CacheLine::round_trips
pub struct CoreProbe {
    line: Arc<ProbeLine>,
    start: Option<mpsc::Sender<()>>,
    done: mpsc::Receiver<()>,
    helper: Option<std::thread::JoinHandle<()>>,
}

impl CoreProbe {
    /// Starts the helper; `Err` says why there is nothing to probe.
    pub fn start() -> Result<CoreProbe, String> {
        if cpu_count() < 2 {
            return Err("one CPU online, no second core".to_owned());
        }
        let line = Arc::new(ProbeLine(AtomicU32::new(0)));
        let (start, started) = mpsc::channel::<()>();
        let (finished, done) = mpsc::channel::<()>();
        let (granted_tx, granted_rx) = mpsc::channel::<String>();
        let theirs = Arc::clone(&line);
        let helper = std::thread::Builder::new()
            .name("core-probe".to_owned())
            .spawn(move || {
                let _ = granted_tx.send(pin(Some(1)));
                // Parked here between probes; ends when the sender drops.
                for () in started {
                    let word = &theirs.0;
                    loop {
                        let seen = word.load(Ordering::Acquire);
                        if seen == PROBE_STOP {
                            break;
                        }
                        if !seen.is_multiple_of(2) {
                            word.store(seen.wrapping_add(1), Ordering::Release);
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                    if finished.send(()).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| format!("the probe thread did not start: {e}"))?;
        let probe = CoreProbe {
            line,
            start: Some(start),
            done,
            helper: Some(helper),
        };
        let theirs = granted_rx.recv().unwrap_or_else(|_| "unknown".to_owned());
        let saved = affinity();
        let mine = pin(Some(0));
        set_affinity(&saved);
        if theirs != wanted(Some(1)) || mine != wanted(Some(0)) {
            return Err(format!(
                "pinning refused: the probe asked for CPUs 0 and 1 and was granted {mine} and {theirs}"
            ));
        }
        Ok(probe)
    }

    /// ns per core-to-core round trip now: about [`PROBE_WARMUP`], then
    /// about [`PROBE_TIMING`] in [`SLICES`] slices, the median slice. The
    /// calling thread is pinned to CPU 0 meanwhile and gets its own mask
    /// back afterwards.
    pub fn round_trip_ns(&self) -> f64 {
        let saved = affinity();
        pin(Some(0));
        let word = &self.line.0;
        word.store(0, Ordering::Release);
        if let Some(start) = &self.start {
            start
                .send(())
                .unwrap_or_else(|_| panic!("the probe thread ended"));
        }
        let round_trips = |n: u64| {
            for _ in 0..n {
                let sent = word.load(Ordering::Relaxed).wrapping_add(1) | 1;
                word.store(sent, Ordering::Release);
                while word.load(Ordering::Acquire) == sent {
                    std::hint::spin_loop();
                }
            }
        };
        // The first round trip waits for the helper to wake.
        round_trips(1);
        let warm = Instant::now();
        let mut warmed = 0u64;
        while warm.elapsed() < PROBE_WARMUP {
            round_trips(16);
            warmed += 16;
        }
        let per = warm.elapsed().as_nanos() as f64 / warmed as f64;
        let slice = PROBE_TIMING.as_nanos() as f64 / SLICES as f64;
        let iters = ((slice / per.max(1.0)) as u64).max(16);
        let mut ns: Vec<f64> = (0..SLICES)
            .map(|_| {
                let start = Instant::now();
                round_trips(iters);
                start.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect();
        word.store(PROBE_STOP, Ordering::Release);
        self.done
            .recv()
            .unwrap_or_else(|_| panic!("the probe thread ended"));
        set_affinity(&saved);
        ns.sort_by(f64::total_cmp);
        ns[ns.len() / 2]
    }
}

impl Drop for CoreProbe {
    fn drop(&mut self) {
        drop(self.start.take());
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
    }
}
