//! The meta words: the words this crate keeps beside a region or mutex,
//! never in its bytes (the turn, its sleepers and mailbox; on Linux also a
//! mutex's holder and release count, placed by the Linux backend). Both
//! backends use this layout: Linux after the header of the companion file
//! `.NAME.meta`, Windows in the named section `NAME@meta`.

use std::sync::atomic::AtomicU32;

use super::mapping::Mapping;

/// Length of a companion file.
pub(crate) const META_LEN: u64 = 256;
/// Where a backend may place words of its own (below the turn's cache
/// line): the Linux mutex keeps its holder and release count there.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Windows has the kernel's mutex
pub(crate) const BACKEND_WORDS: u64 = 64;
/// Offset of the turn word.
pub(crate) const TURN: u64 = 128;
/// Offset of the count of processes sleeping for a turn.
pub(crate) const TURN_SLEEPERS: u64 = 132;
/// Offset of the turn's mailbox (on the turn word's cache line).
pub(crate) const MAILBOX: u64 = 136;
/// Size of the turn's mailbox: the turn word's cache line up to [`TURN_CPU`].
pub(crate) const MAILBOX_LEN: usize = 52;
/// Offset of the CPUs the last two passes of the turn came from (on the turn
/// word's cache line, so that they travel with the turn).
pub(crate) const TURN_CPU: u64 = 188;

const _: () = assert!(MAILBOX + MAILBOX_LEN as u64 == TURN_CPU);
const _: () = assert!(TURN_CPU + 4 == TURN + 64);
const _: () = assert!(TURN + 64 <= META_LEN);
const _: () = assert!(BACKEND_WORDS + 64 <= TURN);

/// The mapped companion: the shared words of one object.
#[derive(Debug)]
pub(crate) struct Meta {
    mapping: Mapping,
}

impl Meta {
    /// The words of a companion the platform layer mapped.
    pub(crate) fn of(mapping: Mapping) -> Meta {
        Meta { mapping }
    }

    /// The atomic word at `offset` (one of the constants above); `None` in a
    /// read-only (observer's) mapping.
    pub(crate) fn word(&self, offset: u64) -> Option<&AtomicU32> {
        self.mapping.atomic_u32(offset).ok()
    }

    /// The mapped companion.
    pub(crate) fn mapping(&self) -> &Mapping {
        &self.mapping
    }
}
