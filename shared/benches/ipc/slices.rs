//! How a timing is cut: into [`SLICES`] slices, the median slice kept, both
//! for a side's timing in a round ([`crate::harness`]) and for a host probe
//! ([`crate::probe`]). Kept here, below both, so that their imports run one
//! way.

/// Slices of one side's timing in a round.
pub const SLICES: u64 = 5;
