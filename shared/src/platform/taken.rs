//! What every backend's mutex returns when it takes the mutex, declared
//! once in the platform layer around the backend's own [`MutexLock`].

use super::MutexLock;

/// The mutex just taken (what a lock call returns): the ownership, and
/// whether its last holder died holding it, with its pid where the
/// platform knows it.
#[derive(Debug)]
pub(crate) struct Taken {
    /// The ownership, released by [`MutexInner::release`](super::MutexInner::release).
    pub(crate) lock: MutexLock,
    /// Whether the last holder died holding the mutex.
    pub(crate) abandoned: bool,
    /// That holder's pid, where the platform knows it.
    pub(crate) dead_holder: Option<u32>,
}
