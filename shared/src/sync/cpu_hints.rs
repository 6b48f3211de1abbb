//! Where the users of a turn run, as far as this process knows. A waiter
//! whose peer last ran on the waiter's own CPU yields at every look: the peer
//! can answer only while the waiter is off the CPU, and every pause spent
//! looking first is lost (7 pauses cost about 0.2 µs of a 2 µs hand-over
//! here). A waiter whose peer runs elsewhere looks with pauses between, as
//! the answer usually comes within a fraction of a microsecond.
//!
//! Each pass of the turn publishes the passer's CPU on the turn's cache line
//! (see [`crate::object::meta`]); the waiter notes it when its turn comes. It
//! is a hint: a wrong one costs time, never correctness.

use std::sync::atomic::{AtomicU32, Ordering};

/// What this process knows about where the turn's users run: its own CPU
/// when it last began to wait, and the CPU of the process that last passed
/// it the turn. Process-local; CPUs are stored plus 1, so that 0 is unknown.
#[derive(Debug, Default)]
pub(crate) struct CpuHints {
    here: AtomicU32,
    peer: AtomicU32,
}

impl CpuHints {
    /// Notes which CPU this process runs on now, and says whether the process
    /// that last passed it the turn ran on the same one.
    pub(crate) fn peer_shares_this_cpu(&self) -> bool {
        let here = crate::sys::current_cpu().map_or(0, |cpu| cpu.saturating_add(1));
        self.here.store(here, Ordering::Relaxed);
        here != 0 && self.peer.load(Ordering::Relaxed) == here
    }

    /// This process's CPU as last noted, plus 1 (0: unknown), to publish
    /// with a pass of the turn.
    pub(crate) fn published(&self) -> u32 {
        self.here.load(Ordering::Relaxed)
    }

    /// Notes the CPU a passer published with the turn (plus 1; 0: unknown).
    pub(crate) fn note_peer(&self, published: u32) {
        self.peer.store(published, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_on_this_cpu_is_recognised_and_an_unknown_one_is_not() {
        let hints = CpuHints::default();
        assert!(!hints.peer_shares_this_cpu(), "nothing known yet");
        let here = hints.published();
        if here == 0 {
            return; // no way to ask for the CPU on this system
        }
        hints.note_peer(here);
        // Not the same only if the thread moved to another CPU meanwhile.
        assert!(hints.peer_shares_this_cpu() || hints.published() != here);
        hints.note_peer(0);
        assert!(!hints.peer_shares_this_cpu(), "unknown is never the same");
    }
}
