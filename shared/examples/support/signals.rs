//! What the ring examples do on Ctrl-C, `SIGTERM` and `SIGHUP`: leave as
//! the demo programs do.

use std::io::Write;

/// Makes Ctrl-C, `SIGTERM` and `SIGHUP` leave as a normal exit would: every
/// open region is closed, so the last process out removes the ring's region
/// and its files ([`shared::exit_closing_regions`]), and the exit code is 130.
/// Without it a signal ends the process with no destructor run, and the
/// ring's files stay behind. (`ctrlc` with its `termination` feature, for
/// `SIGTERM` and `SIGHUP`; the handler runs on a thread of its own, not in
/// the signal handler.)
pub fn leave_cleanly_on_signals() {
    let installed = ctrlc::set_handler(|| {
        // (`eprintln!` would panic on a terminal that has hung up.)
        let _ = writeln!(std::io::stderr(), "interrupted: closing the ring and leaving");
        shared::exit_closing_regions(130);
    });
    if let Err(error) = installed {
        // Only the clean-up on signals is lost: a ring whose users all died
        // is treated as gone by the next open.
        let _ = writeln!(
            std::io::stderr(),
            "warning: Ctrl-C, SIGTERM and SIGHUP are not handled ({error}): a signal would leave the ring's files behind"
        );
    }
}
