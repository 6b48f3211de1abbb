//! Ending a child process of a measurement: it is given time to end on its
//! own (its stdin has closed, so it is on its way out), then killed.

use std::process::Child;
use std::time::{Duration, Instant};

/// Waits up to `patience` for `child` to exit, looking every `poll`; kills
/// it if it has not by then. Either way it is reaped (no zombie is left).
pub fn end_child(child: &mut Child, patience: Duration, poll: Duration) {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(poll);
    }
    let _ = child.kill();
    let _ = child.wait();
}
