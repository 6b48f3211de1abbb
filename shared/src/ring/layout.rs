//! Where everything sits in a ring's region: the table in the [module
//! documentation](super), as offsets and the values its words hold.

/// `IMRG` read as a little-endian `u32`: marks an initialized ring.
pub const RING_MAGIC: u32 = u32::from_le_bytes(*b"IMRG");
/// Version of the ring layout above (4 added the record's alignment at
/// offset 40, and "closed because it found the ring corrupt").
pub const RING_VERSION: u32 = 4;
/// Offset of the ring header in the ring's region.
pub const RING_OFFSET: u64 = 0;
/// Offset of the tail (producer index) word.
pub const TAIL_OFFSET: u64 = 64;
/// Offset of the head (consumer index) word.
pub const HEAD_OFFSET: u64 = 128;
/// Offset of the first record slot.
pub const DATA_OFFSET: u64 = 192;
/// Smallest capacity (records).
pub const MIN_CAPACITY: u32 = 1024;
/// Largest capacity (records).
pub const MAX_CAPACITY: u32 = 1 << 24;

/// Offset of the ring layout version word.
pub(super) const VERSION_OFFSET: u64 = RING_OFFSET + 4;
/// Offset of the capacity word (records).
pub(super) const CAPACITY_OFFSET: u64 = RING_OFFSET + 8;
/// Offset of the record size word (bytes).
pub(super) const RECORD_SIZE_OFFSET: u64 = RING_OFFSET + 12;
/// Offset of the producer's pid word.
pub const PRODUCER_PID_OFFSET: u64 = RING_OFFSET + 16;
/// Offset of the consumer's pid word (0 while no consumer is attached).
pub const CONSUMER_PID_OFFSET: u64 = RING_OFFSET + 20;
/// Offset of the producer's closed word ([`CLOSED`], [`CLOSED_CORRUPT`]).
pub(super) const PRODUCER_CLOSED_OFFSET: u64 = RING_OFFSET + 24;
/// Offset of the consumer's closed word ([`CLOSED`], [`CLOSED_CORRUPT`]).
pub(super) const CONSUMER_CLOSED_OFFSET: u64 = RING_OFFSET + 28;
/// Offset of the word that says how the producer publishes
/// ([`PUBLISHES_PLAIN`], [`PUBLISHES_LOCKED`]).
pub(super) const PRODUCER_PUBLISHES_OFFSET: u64 = RING_OFFSET + 32;
/// Offset of the word that says how the consumer publishes (0 until a
/// consumer first attaches).
pub(super) const CONSUMER_PUBLISHES_OFFSET: u64 = RING_OFFSET + 36;
/// Offset of the record alignment word (bytes).
pub(super) const RECORD_ALIGN_OFFSET: u64 = RING_OFFSET + 40;
/// What an end stores in its closed word: closed, or closed because it found
/// the ring corrupt (any other value but 0 also means closed).
pub(super) const CLOSED: u32 = 1;
/// What an end stores in its closed word when it closed because it found
/// the ring corrupt (see [`CLOSED`]).
pub(super) const CLOSED_CORRUPT: u32 = 2;
/// How an end publishes: a plain store paired with the sleeper's heavy
/// barrier, or a locked exchange that needs no pairing.
pub(super) const PUBLISHES_PLAIN: u32 = 1;
/// How an end publishes: a locked exchange (see [`PUBLISHES_PLAIN`]).
pub(super) const PUBLISHES_LOCKED: u32 = 2;
/// Offset of the consumer's sleeping flag (1 while it sleeps on the tail).
pub(super) const CONSUMER_SLEEPING_OFFSET: u64 = TAIL_OFFSET + 4;
/// Offset of the producer's sleeping flag (1 while it sleeps on the head).
pub(super) const PRODUCER_SLEEPING_OFFSET: u64 = HEAD_OFFSET + 4;
