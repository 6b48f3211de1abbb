//! The host states: how far apart the host has put this VM's two CPUs.
//!
//! On a shared host the hypervisor moves the virtual CPUs: the round trip of
//! one cache line between CPU 0 and CPU 1 sits in one of four clusters, about
//! 30 ns (the two vCPUs on one physical core), 65–90 ns, 150–210 ns and
//! 450–1000 ns on the project's machine (two vCPUs of a Firecracker VM), and
//! the host switches between them every few seconds to minutes. Everything
//! that crosses cores follows it, so a ratio of ours (bound by that latency)
//! to a baseline or a peer bound by system calls is a different number in
//! each state. Both harnesses bracket every cross-core measurement with two
//! probes of that round trip and report a ratio per state.

/// Bounds of the host states, in ns per core-to-core round trip of one
/// cache line: below `CORE_BELOW_NS` is `core`, from it to `NEAR_BELOW_NS` is
/// `near`, from there to `FAR_FROM_NS` is `mid`, from `FAR_FROM_NS` up is
/// `far`; each bound lies in a gap between two clusters (see the module
/// documentation).
pub const CORE_BELOW_NS: f64 = 50.0;
/// See [`CORE_BELOW_NS`].
pub const NEAR_BELOW_NS: f64 = 120.0;
/// See [`CORE_BELOW_NS`].
pub const FAR_FROM_NS: f64 = 300.0;
/// Fewest rounds in one host state for a ratio to be reported for it (with
/// fewer, one odd round would be the median).
pub const MIN_STATE_ROUNDS: usize = 3;

/// The host's state during a probe or a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostState {
    Core,
    Near,
    Mid,
    Far,
    /// The probes before and after the round fell in different states.
    Changed,
}

impl HostState {
    /// The states a probe can find, in order (not [`HostState::Changed`]).
    pub const BINS: [HostState; 4] = [HostState::Core, HostState::Near, HostState::Mid, HostState::Far];

    /// The state a probe of `ns` per round trip found.
    pub fn of(ns: f64) -> HostState {
        if ns < CORE_BELOW_NS {
            HostState::Core
        } else if ns < NEAR_BELOW_NS {
            HostState::Near
        } else if ns < FAR_FROM_NS {
            HostState::Mid
        } else {
            HostState::Far
        }
    }

    /// The state of a round probed `before` and `after` (ns).
    pub fn of_round([before, after]: [f64; 2]) -> HostState {
        let state = HostState::of(before);
        if HostState::of(after) == state {
            state
        } else {
            HostState::Changed
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HostState::Core => "core",
            HostState::Near => "near",
            HostState::Mid => "mid",
            HostState::Far => "far",
            HostState::Changed => "changed",
        }
    }

    /// The state's range of round trips, for the report.
    pub fn range(self) -> String {
        match self {
            HostState::Core => format!("< {CORE_BELOW_NS:.0} ns"),
            HostState::Near => format!("{CORE_BELOW_NS:.0}–{NEAR_BELOW_NS:.0} ns"),
            HostState::Mid => format!("{NEAR_BELOW_NS:.0}–{FAR_FROM_NS:.0} ns"),
            HostState::Far => format!(">= {FAR_FROM_NS:.0} ns"),
            HostState::Changed => "before and after in different states".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_starts_the_next_state() {
        assert_eq!(HostState::of(30.0), HostState::Core);
        assert_eq!(HostState::of(CORE_BELOW_NS), HostState::Near);
        assert_eq!(HostState::of(NEAR_BELOW_NS), HostState::Mid);
        assert_eq!(HostState::of(FAR_FROM_NS), HostState::Far);
        assert_eq!(HostState::of_round([70.0, 90.0]), HostState::Near);
        assert_eq!(HostState::of_round([70.0, 160.0]), HostState::Changed);
    }

    #[test]
    fn ranges_read_as_the_bounds() {
        let ranges: Vec<String> = HostState::BINS.iter().map(|s| s.range()).collect();
        assert_eq!(ranges, ["< 50 ns", "50–120 ns", "120–300 ns", ">= 300 ns"]);
    }
}
