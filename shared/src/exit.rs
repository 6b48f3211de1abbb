//! Leaving the process cleanly from a signal-handling thread.

/// Ends the process with `code` after leaving every region and named mutex it
/// has open exactly as dropping them would (on Linux the last process out
/// removes their files; on Windows the kernel closes the handles of an
/// exiting process itself, so this only exits).
///
/// For a signal-handling *thread* (such as the `ctrlc` or `signal-hook`
/// crates provide; it is not async-signal-safe, so never call it inside a raw
/// signal handler): destructors do not run when a signal ends a process. Opens
/// waiting for a lock on other threads give up at once
/// ([`Failure::Interrupted`](crate::Failure::Interrupted)); opens
/// past their waits finish and are closed too; opens that have not started
/// never start.
///
/// On Linux, another thread may exit meanwhile (`main` returning, say): its
/// exit waits until this clean-up is complete. An exit from any thread also
/// closes what is still open (an exit hook), so regions are left as cleanly
/// when a program calls [`std::process::exit`] with regions in scope.
pub fn exit_closing_regions(code: i32) -> ! {
    crate::platform::close_everything();
    // The closing is complete before the exit starts. Should another thread
    // already be exiting, `exit` waits for it (and on Linux that thread's
    // exit hook waited for this closing).
    std::process::exit(code)
}
