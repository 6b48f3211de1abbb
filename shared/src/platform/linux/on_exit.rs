//! What runs when the process leaves: on a signal
//! ([`exit_closing_regions`](crate::exit_closing_regions)) or at any exit
//! (`std::process::exit`, or `main` returning), every object the process still
//! has open is closed as dropping it would: regions and lock-file mutexes
//! (their presence, in `object/lifetime.rs`), and the files of .NET's
//! mutexes (`dotnet_mutex/open_files.rs`).
//!
//! A process stopped by a signal runs no destructors: [`close_everything`]
//! closes each object this process registered ([`ClosesAtExit`]), so that
//! the last process out still removes the files. From the moment it starts,
//! lock waits of opens stop ([`exit_requested`]), the closes of every object
//! share one short deadline ([`exit_deadline`]), and a gate ([`open_gate`])
//! keeps any open from slipping between the clean-up and the end of the
//! process. One exit hook serves them all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, Weak};
use std::time::Duration;

use crate::platform::wait::Deadline;

/// How long all the closes of a process leaving on a signal wait together,
/// however many objects it has open: short, so that the exit stays prompt,
/// but long enough for another process's open or close. An object whose
/// turn comes after the time is spent still tries its lock once.
const EXIT_CLOSE_WAIT: Duration = Duration::from_millis(400);

/// Set when the process is leaving ([`exit_closing_regions`](crate::exit_closing_regions)): lock waits
/// stop, so that the exit is not held up by an open that waits.
static EXIT_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether the process is leaving ([`EXIT_REQUESTED`]).
pub(super) fn exit_requested() -> bool {
    EXIT_REQUESTED.load(Ordering::Acquire)
}

/// When the closes of a leaving process give up waiting ([`EXIT_CLOSE_WAIT`]
/// after the leaving began), for every close, on any thread.
static EXIT_DEADLINE: OnceLock<Deadline> = OnceLock::new();

/// When every close of a process that is leaving stops waiting: one
/// deadline for all of them, set when the first asks.
pub(super) fn exit_deadline() -> Deadline {
    *EXIT_DEADLINE.get_or_init(|| Deadline::after(EXIT_CLOSE_WAIT))
}

/// An object this process has open, as the leaving process closes it.
pub(super) trait ClosesAtExit: Send + Sync {
    /// The process that opened it: a child forked since shares its `flock`
    /// locks, and the parent's exit must not close them under the child.
    fn opener(&self) -> u32;

    /// Closes it as dropping it would, waiting for its locks no later than
    /// `until`; closing twice is a no-op.
    fn close_at_exit(&self, until: Deadline);
}

/// Every object this process has open, for [`exit_closing_regions`](crate::exit_closing_regions).
static OPEN: Mutex<Vec<Weak<dyn ClosesAtExit>>> = Mutex::new(Vec::new());

/// Records that this process has `object` open, for [`close_everything`];
/// the first object opened installs the exit hook.
pub(super) fn register<T: ClosesAtExit + 'static>(object: &Arc<T>) {
    install_exit_hook();
    let object: Arc<dyn ClosesAtExit> = object.clone();
    let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    open.push(Arc::downgrade(&object));
}

/// Takes `object` out of [`OPEN`] once closed: until then, a process that
/// is leaving waits for this close to end (see [`wait_for_closes_in_progress`]).
pub(super) fn unregister<T: ClosesAtExit>(object: &T) {
    OPEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|weak| !std::ptr::addr_eq(weak.as_ptr(), object));
}

/// Held (shared) by every open from its first file operation until the object
/// is registered; [`exit_closing_regions`](crate::exit_closing_regions) takes it exclusively, so no open
/// can slip between its clean-up and the end of the process.
static EXIT_GATE: RwLock<()> = RwLock::new(());

/// Enters the gate for one open.
pub(crate) fn open_gate() -> RwLockReadGuard<'static, ()> {
    EXIT_GATE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Leaves every object this process still has open, as dropping it would;
/// from then on, opens give up and no new open starts its file work.
pub(crate) fn close_everything() {
    EXIT_REQUESTED.store(true, Ordering::Release);
    let until = exit_deadline();
    let open: Vec<Arc<dyn ClosesAtExit>> = {
        // Waits for the opens and closes in progress inside the gate, and for
        // a closing that another thread started (it holds the gate until done).
        let _gate = EXIT_GATE.write().unwrap_or_else(PoisonError::into_inner);
        let me = std::process::id();
        let open: Vec<Arc<dyn ClosesAtExit>> = OPEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            // Inherited through `fork`: the locks are the opener's too.
            .filter(|object| object.opener() == me)
            .collect();
        for object in &open {
            object.close_at_exit(until);
        }
        open
    };
    wait_for_closes_in_progress();
    // Dropping `open` may drop last references: closing again is a no-op.
    drop(open);
}

/// Waits (bounded) until no destructor is still detaching an object: one
/// whose last reference went before the closing could take it over.
/// Outside the gate, since such a destructor may be waiting to enter it.
fn wait_for_closes_in_progress() {
    // Those closes wait no longer than the leaving's deadline; a little more
    // for their last try and their file removals.
    let until = Deadline::after(exit_deadline().left() + Duration::from_millis(100));
    loop {
        let dropping = OPEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|weak| weak.strong_count() == 0);
        if !dropping || until.passed() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The exit hook: an exit from any thread (`std::process::exit`, or `main`
/// returning) first finishes the closing. Without it, `main` returning while
/// a signal-handling thread was inside [`exit_closing_regions`](crate::exit_closing_regions) ended the
/// process halfway through a clean-up: the region file removed, its
/// companion and setup file left behind.
extern "C" fn close_everything_at_exit() {
    // A panic may not unwind out of an `extern "C"` function (it would abort
    // the exit): the files it leaves count as stale for the next open.
    let _ = std::panic::catch_unwind(close_everything);
}

/// Installs [`close_everything_at_exit`] once per process.
fn install_exit_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Without the hook (the C library refused it), objects still open at
        // exit leave files that the next open treats as stale.
        let _ = crate::platform::sys::at_process_exit(close_everything_at_exit);
    });
}
