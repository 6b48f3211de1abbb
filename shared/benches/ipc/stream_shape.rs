//! The shape of a stream that our side ([`crate::pairs::stream`]), the
//! baselines' sides ([`crate::baselines`]) and the receiving peer
//! ([`crate::peer::role`]) share: records per batch and the ring's capacity.
//! Kept here, below all three, so that their imports run one way.

/// Records per batch: 4,096 records of 16 bytes, 64 KiB.
pub const STREAM_BATCH: usize = 4096;
/// Ring capacity in records: 65,536 records of 16 bytes, a 1 MiB record area.
pub const RING_CAPACITY: u32 = 1 << 16;
