//! What the benchmarks (`shared/benches/ipc/`) and the peers harness
//! (`scripts/peers/`) both use, written once:
//!
//! - [`child`]: ending a child process of a measurement;
//! - [`placement`]: where the two processes of a measurement run, and
//!   pinning the calling thread there (Linux only);
//! - [`host_state`]: the host states, the clusters of the core-to-core round
//!   trip that every cross-core figure follows, and their bounds;
//! - [`spread`]: the median, fastest and slowest of a figure's rounds;
//! - [`text`]: how a ratio and a time are written in the report.
//!
//! Not part of the `shared` library: only its benchmarks and the peers use it.

pub mod child;
pub mod host_state;
#[cfg(target_os = "linux")]
pub mod placement;
pub mod spread;
pub mod text;
