//! Surviving a file shortened under its mapping.
//!
//! Another process of the same user can truncate a region's file (or a
//! companion) while this one maps it; the kernel then answers the next access
//! to a lost page with `SIGBUS`, which kills the process. Linux offers no way
//! to forbid it for these files: seals (`F_ADD_SEALS`) are refused with
//! `EPERM` on any tmpfs file that was not made by `memfd_create`, and a read
//! lease (`F_SETLEASE`) with `EAGAIN` while anyone has the file open for
//! writing, as every user of a region does.
//!
//! So this module turns the crash into an error. Every mapping of the crate
//! is registered here ([`Guard`]); a `SIGBUS` handler, installed with the
//! first registration, looks the faulting address up. Inside a registered
//! mapping it marks the mapping *cut* and puts private zero pages where the
//! lost ones were (from the faulting page to the mapping's end), so the
//! access that faulted completes on those. The copy that met the lost bytes
//! checks [`Guard::is_cut`] right after, and reports the truncation instead of
//! handing out zeros. Any other `SIGBUS` goes to the handler that was there
//! before (std's, which leaves it to the default action: the process ends as
//! it would have without this module).
//!
//! What stays: the cut pages are this process's alone from then on, so words
//! it keeps there as atomics (turns, ring indices, a mutex's holder) no longer
//! meet the other processes' (see `docs/reliability.md`).

use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// How many mappings can be guarded at once; a mapping beyond that works
/// unguarded, as it would have without this module.
const SLOTS: usize = 4096;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const LIVE: u8 = 2;

/// One registered mapping.
struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    len: AtomicUsize,
    cut: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // only to build the table below
const EMPTY: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    cut: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// The handler that was installed before ours, saved once before ours is.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
static INSTALL: Once = Once::new();
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// A mapping's registration; unregistered on drop (before the unmapping).
#[derive(Debug)]
pub(crate) struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Registers the mapping `start .. start + len`.
    pub(crate) fn register(start: *mut u8, len: usize) -> Guard {
        if len == 0 {
            return Guard { slot: None };
        }
        INSTALL.call_once(install);
        let slot = TABLE.iter().position(|slot| {
            slot.state
                .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        });
        if let Some(index) = slot {
            let slot = &TABLE[index];
            slot.start.store(start as usize, Ordering::Relaxed);
            slot.len.store(len, Ordering::Relaxed);
            slot.cut.store(false, Ordering::Relaxed);
            slot.state.store(LIVE, Ordering::Release);
        }
        Guard { slot }
    }

    /// Whether some access found the file shorter than the mapping (its
    /// lost pages are private zeros now). Call it after an access, to learn
    /// whether that access met lost bytes.
    #[inline]
    pub(crate) fn is_cut(&self) -> bool {
        // The handler runs on the faulting thread, in the middle of the
        // access: keep the compiler from reading the flag before the access.
        compiler_fence(Ordering::SeqCst);
        self.slot
            .is_some_and(|index| TABLE[index].cut.load(Ordering::Acquire))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(index) = self.slot {
            let slot = &TABLE[index];
            slot.state.store(CLAIMED, Ordering::Release);
            slot.len.store(0, Ordering::Relaxed);
            slot.state.store(FREE, Ordering::Release);
        }
    }
}

/// The live slot whose mapping holds `address`.
fn slot_of(address: usize) -> Option<&'static Slot> {
    TABLE.iter().find(|slot| {
        if slot.state.load(Ordering::Acquire) != LIVE {
            return false;
        }
        let start = slot.start.load(Ordering::Relaxed);
        address >= start && address - start < slot.len.load(Ordering::Relaxed)
    })
}

/// Installs [`on_sigbus`], keeping the handler it replaces in [`PREVIOUS`].
fn install() {
    // SAFETY: sysconf takes no pointers.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if let Ok(page) = usize::try_from(page) {
        if page.is_power_of_two() {
            PAGE.store(page, Ordering::Relaxed);
        }
    }
    // SAFETY: an all-zero `sigaction` is a valid value of the plain C struct.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_sigbus;
    action.sa_sigaction = handler as *const () as usize;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: a zeroed struct the call fills in.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `action.sa_mask` is ours to fill; both structs are valid for
    // the call, which records the new action and reports the old one. The old
    // one is stored before any `SIGBUS` can reach `on_sigbus` through a
    // registered mapping: the mapping is registered only after this returns.
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
            let _ = PREVIOUS.set(previous);
        }
    }
}

/// The `SIGBUS` handler: a fault inside a registered mapping cuts it (see
/// the module docs); anything else goes to the previous handler.
extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    if let Some(slot) = slot_of(address) {
        let page = PAGE.load(Ordering::Relaxed);
        let start = slot.start.load(Ordering::Relaxed);
        let end = start + slot.len.load(Ordering::Relaxed);
        let first = address & !(page - 1);
        let len = (end - first).div_ceil(page) * page;
        // Before the pages change: whoever reads a zero page afterwards (any
        // thread) finds the flag set when it looks.
        slot.cut.store(true, Ordering::SeqCst);
        // SAFETY: `first .. first + len` lies inside a live mapping of this
        // crate (the registration is dropped before the unmapping), rounded
        // out to whole pages; MAP_FIXED replaces those pages with private
        // zero pages, which no reference points into (the crate never hands
        // out references to mapped bytes). mmap is a plain system call, safe
        // to make from a signal handler.
        let replaced = unsafe {
            libc::mmap(
                first as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if replaced != libc::MAP_FAILED {
            return; // the access runs again, on the zero pages
        }
    }
    pass_on(signal, info, context);
}

/// Hands a `SIGBUS` that is not ours to the handler installed before ours,
/// or, where that was the default, restores the default so that the access
/// faults again and ends the process as it would have.
fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // Set before the handler could run; reading it takes no lock.
    let Some(previous) = PREVIOUS.get() else {
        restore_default(signal);
        return;
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        restore_default(signal);
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature, and it gets the arguments the kernel gave us.
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        handler(signal, info, context);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO takes the signal
        // number alone.
        let handler: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        handler(signal);
    }
}

/// Puts back the default action for `signal`.
fn restore_default(signal: libc::c_int) {
    // SAFETY: an all-zero sigaction with SIG_DFL (0) is the default action;
    // sigaction is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    #[test]
    fn a_file_shortened_under_its_mapping_cuts_it_instead_of_ending_the_process() {
        let file = tempfile::tempfile().expect("scratch file");
        file.set_len(3 * 4096).expect("size");
        // MappedView registers its mapping with a Guard.
        let view = super::super::MappedView::of_file(&file, 3 * 4096, true).expect("map");
        // SAFETY: in range of the live mapping.
        unsafe { view.as_ptr().add(4096).write_volatile(7) };
        assert!(!view.is_cut());
        // SAFETY: a plain system call on our own scratch file.
        assert_eq!(unsafe { libc::ftruncate(file.as_raw_fd(), 4096) }, 0);
        // SAFETY: in range of the live mapping; past the file's new end.
        let read = unsafe { view.as_ptr().add(4096).read_volatile() };
        assert_eq!(read, 0, "a private zero page");
        assert!(view.is_cut());
        // The bytes before the new end are still the file's.
        // SAFETY: in range of the live mapping, before the file's end.
        unsafe { view.as_ptr().write_volatile(9) };
        let mut first = [0u8; 1];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut first, 0).expect("read");
        assert_eq!(first, [9]);
    }

    #[test]
    fn a_sigbus_outside_every_mapping_still_ends_the_process() {
        // A child process (this test binary, filtered to the helper below)
        // raises a SIGBUS of its own: our handler must pass it on.
        let exe = std::env::current_exe().expect("exe");
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "platform::linux::bus_guard::tests::raise_a_foreign_sigbus",
                "--ignored",
            ])
            .env("BUS_GUARD_CHILD", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run child");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");
    }

    #[test]
    #[ignore = "run by a_sigbus_outside_every_mapping_still_ends_the_process"]
    fn raise_a_foreign_sigbus() {
        if std::env::var_os("BUS_GUARD_CHILD").is_none() {
            return;
        }
        let file = tempfile::tempfile().expect("scratch file");
        file.set_len(4096).expect("size");
        let _ours = super::super::MappedView::of_file(&file, 4096, true).expect("map"); // installs the handler
        let other = tempfile::tempfile().expect("scratch file");
        other.set_len(8192).expect("size");
        // A mapping the crate does not know of, then its file shortened.
        // SAFETY: plain system calls on our own scratch file.
        let foreign = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8192,
                libc::PROT_READ,
                libc::MAP_SHARED,
                other.as_raw_fd(),
                0,
            )
        };
        assert_ne!(foreign, libc::MAP_FAILED);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::ftruncate(other.as_raw_fd(), 0) }, 0);
        // SAFETY: inside the foreign mapping; the SIGBUS is the point.
        let _ = unsafe { foreign.cast::<u8>().add(4096).read_volatile() };
        unreachable!("the SIGBUS should have ended the process");
    }
}
