//! The system calls this crate needs beyond std: futex wait/wake on a word of
//! shared memory (Linux), process-wide memory barriers (`membarrier`), and
//! reserving a file's blocks up front.

use std::fs::File;
use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// Sleeps until another process calls [`futex_wake_all`] on `word`, `word` no
/// longer holds `expected`, or `timeout` passes (spurious wake-ups are possible).
#[cfg(target_os = "linux")]
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let timeout = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    // SAFETY: `word` is a valid, aligned 4-byte atomic for the duration of the
    // call; FUTEX_WAIT (not the private variant, because the word is in shared
    // memory) only reads it and sleeps. `timeout` is a valid relative timespec
    // living on the stack for the call. Errors (EAGAIN when the value already
    // changed, EINTR, ETIMEDOUT) all mean "go and look again", which every
    // caller does.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &timeout as *const libc::timespec,
        );
    }
}

/// Wakes every process sleeping in [`futex_wait`] on `word`.
#[cfg(target_os = "linux")]
pub(crate) fn futex_wake_all(word: &AtomicU32) {
    // SAFETY: `word` is a valid, aligned 4-byte atomic; FUTEX_WAKE does not
    // touch memory, it only wakes waiters queued on this address.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// This process's session id (`getsid(0)`; -1 when the system refuses).
pub(crate) fn session_id() -> i32 {
    // SAFETY: getsid(0) takes no pointers and only reads this process's
    // session id.
    unsafe { libc::getsid(0) }
}

/// The calling thread's id, as the kernel numbers threads (`gettid`).
pub(crate) fn thread_id() -> u32 {
    // SAFETY: gettid takes no arguments and cannot fail.
    let tid = unsafe { libc::gettid() };
    tid as u32
}

/// Has the C library run `hook` when the process exits normally (`exit`, or
/// `main` returning), before it ends; `false` when it refused.
pub(crate) fn at_process_exit(hook: extern "C" fn()) -> bool {
    // SAFETY: atexit only records the function pointer; `hook` is a function
    // of this program, valid for the program's whole life, taking nothing.
    unsafe { libc::atexit(hook) == 0 }
}

/// The CPU the calling thread runs on now (it may move at any moment: use
/// it as a hint); `None` when the system cannot say.
#[cfg(target_os = "linux")]
pub(crate) fn current_cpu() -> Option<u32> {
    // SAFETY: sched_getcpu takes no arguments and touches no memory of ours
    // (glibc answers from the vDSO, a few nanoseconds); -1 means an error.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).ok()
}

/// The CPU the calling thread runs on now; `None` when the system cannot say.
#[cfg(not(target_os = "linux"))]
pub(crate) fn current_cpu() -> Option<u32> {
    None
}

/// Whether the calling thread may run on more than one CPU (its affinity
/// allows several); `false` when pinned to one, or when the system cannot say.
#[cfg(target_os = "linux")]
pub(crate) fn may_run_elsewhere() -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity
    // writes at most its size into it, for the calling thread (pid 0), and
    // CPU_COUNT only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0
            && libc::CPU_COUNT(&set) > 1
    }
}

/// Whether the calling thread may run on more than one CPU: not known here.
#[cfg(not(target_os = "linux"))]
pub(crate) fn may_run_elsewhere() -> bool {
    false
}

/// Pins the calling thread to `cpu` (for tests); returns whether the kernel
/// agreed (a container may allow fewer CPUs).
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn pin_this_thread(cpu: usize) -> bool {
    if cpu >= libc::CPU_SETSIZE as usize {
        return false;
    }
    // SAFETY: a zeroed cpu_set_t is a valid empty set, CPU_SET writes inside
    // it (cpu is below CPU_SETSIZE), and sched_setaffinity only reads it, for
    // the calling thread (pid 0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// `membarrier` commands (linux/membarrier.h).
#[cfg(target_os = "linux")]
const MEMBARRIER_CMD_GLOBAL_EXPEDITED: libc::c_long = 1 << 1;
#[cfg(target_os = "linux")]
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: libc::c_long = 1 << 2;

/// Registers this process as a target of [`heavy_barrier`]; returns whether
/// the kernel accepted (Linux 4.16 and later, unless a seccomp filter refuses
/// `membarrier`). A registered process may pair a compiler-only barrier on
/// its hot path with another process's [`heavy_barrier`]. The registration
/// lasts until the process ends or execs (a forked child inherits it), and
/// while it lasts the process takes an interrupt whenever any process issues
/// a heavy barrier while it runs. Asking again is harmless (well under a
/// microsecond), so it is asked at every stream end rather than remembered;
/// the first registration of a multi-threaded process waits for an RCU grace
/// period (milliseconds).
#[cfg(target_os = "linux")]
pub(crate) fn register_for_heavy_barriers() -> bool {
    // SAFETY: membarrier with a command and flags 0 passes no memory; the
    // registration only changes how this process handles later barriers.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
            0,
            0,
        )
    };
    rc == 0
}

/// Makes every thread of every registered process that is running right now
/// execute a full memory barrier before this returns (the others pass one
/// when they are next scheduled). Returns whether the kernel did it.
#[cfg(target_os = "linux")]
pub(crate) fn heavy_barrier() -> bool {
    // SAFETY: as above: a command and flags 0, no memory passed.
    let rc = unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) };
    rc == 0
}

/// Reserves the blocks of the first `len` bytes of `file` (growing it to
/// `len` when shorter; a longer file keeps its length and its bytes), so that
/// later accesses through a mapping can never fail for lack of space (which
/// would be a `SIGBUS`, not an error): holes are filled, written blocks stay
/// as they are. Fails with `StorageFull` (`ENOSPC`) when the file system
/// cannot hold the file, having changed nothing on tmpfs, which gives back
/// what a failed call allocated.
#[cfg(target_os = "linux")]
pub(crate) fn reserve(file: &File, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: plain system call on a file descriptor we own for the duration of
    // the call; no memory is passed.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    match rc {
        0 => Ok(()),
        // File systems without fallocate support: fall back to a plain
        // length, never shortening a longer file.
        libc::EOPNOTSUPP | libc::EINVAL if file.metadata()?.len() < len as u64 => file.set_len(len as u64),
        libc::EOPNOTSUPP | libc::EINVAL => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// Portable fallback: set the length (blocks are allocated on first touch).
#[cfg(not(target_os = "linux"))]
pub(crate) fn reserve(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)
}

/// Whether a process with this pid exists (it may be another process that
/// reused the pid; callers use this only to stop waiting on a peer).
pub(crate) fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 performs only the existence and permission checks; no
    // signal is sent and no memory is passed.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The effective user id of this process.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory and cannot fail.
    unsafe { libc::geteuid() }
}

/// The groups this process acts with: its effective group and its
/// supplementary groups.
pub(crate) fn effective_groups() -> Vec<u32> {
    // SAFETY: getegid takes no arguments, touches no memory and cannot fail.
    let mut groups = vec![unsafe { libc::getegid() }];
    let mut supplementary = vec![0 as libc::gid_t; 256];
    // SAFETY: the buffer holds `supplementary.len()` gids and the kernel
    // writes at most that many; it returns how many it wrote, or -1.
    let n = unsafe { libc::getgroups(supplementary.len() as libc::c_int, supplementary.as_mut_ptr()) };
    if let Ok(n) = usize::try_from(n) {
        groups.extend_from_slice(&supplementary[..n.min(supplementary.len())]);
    }
    groups
}
