//! The words this crate keeps beside a region or mutex, never in its bytes:
//! a mutex's holder and release count, the turn, its sleepers and mailbox.
//! Both backends use this layout: Linux after the header of the companion
//! file `.NAME.meta`, Windows in the named section `NAME@meta`.

use std::sync::atomic::AtomicU32;

use crate::mapping::Mapping;

/// Length of a companion file.
pub(crate) const META_LEN: u64 = 256;
/// Offset of the mutex holder's pid.
#[cfg_attr(windows, allow(dead_code))] // the Linux mutex's (Windows has the kernel's)
pub(crate) const HOLDER_PID: u64 = 64;
/// Offset of the mutex release counter.
#[cfg_attr(windows, allow(dead_code))] // the Linux mutex's (Windows has the kernel's)
pub(crate) const RELEASE_COUNT: u64 = 68;
/// Offset of the count of processes sleeping for a mutex release.
#[cfg_attr(windows, allow(dead_code))] // the Linux mutex's (Windows has the kernel's)
pub(crate) const RELEASE_SLEEPERS: u64 = 72;
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
