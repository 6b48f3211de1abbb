//! Where a side on its way to sleep is: the points between which the other
//! side's publication can fall (see `Ring::wait`). Tests stop a side there
//! (see `tests.rs`); elsewhere this is nothing.

/// A point on the way to sleep.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The spin ended without a change; the sleeping flag is not set yet.
    SpinEnded,
    /// The flag is set (and the heavy barrier issued); the word is not
    /// looked at again yet.
    Announced,
}

#[cfg(not(test))]
#[inline(always)]
pub(super) fn step(_: Step) {}

/// What a thread does at a step (tests only).
#[cfg(test)]
pub(super) type Hook = Box<dyn FnMut(Step)>;

#[cfg(test)]
thread_local! {
    /// What this thread does at each step (tests only).
    pub(super) static AT_STEP: std::cell::RefCell<Option<Hook>> = const { std::cell::RefCell::new(None) };
}

#[cfg(test)]
pub(super) fn step(step: Step) {
    AT_STEP.with(|hook| {
        if let Some(hook) = hook.borrow_mut().as_mut() {
            hook(step);
        }
    });
}
