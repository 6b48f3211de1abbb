//! The plain requests the portable layer hands a backend, and the rules
//! every backend applies to them the same way. Nothing here imports from
//! above the platform layer but the error vocabulary.

/// What the demo's convention appends to a region name for its mutex:
/// `testmap` has the mutex `testmapmutex`.
pub(crate) const MUTEX_SUFFIX: &str = "mutex";

/// The demo's mutex beside the object named `base`: `<base>mutex` (so the
/// default `testmap` keeps the original's `testmapmutex`). The one rule for
/// that name, used by [`RegionName`](crate::RegionName) and by every
/// backend's regions.
pub(crate) fn mutex_name(base: &str) -> String {
    format!("{base}{MUTEX_SUFFIX}")
}
