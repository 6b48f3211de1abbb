//! Where the two processes of a measurement run ([`Placement`]), and pinning
//! the calling thread to a CPU and reading back what the kernel granted
//! (`sched_setaffinity` / `sched_getaffinity`, Linux only).
//!
//! Every function here acts on the calling thread (pid 0 in the system
//! calls), which for a process that pins itself before starting any thread
//! is the whole process.

/// Where the two processes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Wherever the scheduler puts them.
    Free,
    /// Both pinned to CPU 0.
    OneCpu,
    /// CPU 0 and CPU 1.
    Apart,
}

impl Placement {
    /// How it stands in the figures' names: `free`, `one-cpu`, `apart`.
    pub fn label(self) -> &'static str {
        match self {
            Placement::Free => "free",
            Placement::OneCpu => "one-cpu",
            Placement::Apart => "apart",
        }
    }

    /// The first process's CPU and the second's (`None`: not pinned).
    pub fn cpus(self) -> (Option<usize>, Option<usize>) {
        match self {
            Placement::Free => (None, None),
            Placement::OneCpu => (Some(0), Some(0)),
            Placement::Apart => (Some(0), Some(1)),
        }
    }
}

/// CPUs online (not the affinity mask, which pinning narrows).
pub fn cpu_count() -> usize {
    // SAFETY: sysconf only reads a system value.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Pins the calling thread to `cpu` (modulo the CPUs online), or lets it run
/// on every online CPU (`None`); returns the CPUs the kernel actually
/// granted, read back ([`granted_cpus`]).
pub fn pin(cpu: Option<usize>) -> String {
    let cpus = cpu_count();
    // SAFETY: `cpu_set_t` is plain data for which all-zero is the empty set;
    // CPU_SET only touches inside it; sched_setaffinity(0, ...) only reads
    // it, for the calling thread. A refusal leaves the thread where it was,
    // which the read-back reports.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        match cpu {
            Some(cpu) => libc::CPU_SET(cpu % cpus, &mut set),
            None => (0..cpus).for_each(|c| libc::CPU_SET(c, &mut set)),
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    granted_cpus()
}

/// The CPUs the calling thread may run on, read back from the kernel, as a
/// list (`0`, `1`, `0,1`), or `unknown` when the kernel does not say.
pub fn granted_cpus() -> String {
    // SAFETY: all-zero is the empty set; sched_getaffinity(0, ...) writes
    // the calling thread's mask into it; CPU_ISSET only reads inside it.
    unsafe {
        let mut granted: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut granted) != 0 {
            return "unknown".to_owned();
        }
        let list: Vec<String> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &granted))
            .map(|c| c.to_string())
            .collect();
        list.join(",")
    }
}

/// The CPU this thread runs on now (-1 if unknown).
pub fn current_cpu() -> i64 {
    // SAFETY: sched_getcpu takes nothing and only reads.
    i64::from(unsafe { libc::sched_getcpu() })
}

/// What `pin(cpu)` should have granted.
pub fn wanted(cpu: Option<usize>) -> String {
    match cpu {
        Some(cpu) => (cpu % cpu_count()).to_string(),
        None => (0..cpu_count())
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The calling thread's CPU mask.
pub fn affinity() -> libc::cpu_set_t {
    // SAFETY: all-zero is the empty set; sched_getaffinity(0, ...) writes
    // the calling thread's mask into it (left empty if it fails).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set);
        set
    }
}

/// Gives the calling thread back a mask read by [`affinity`].
pub fn set_affinity(set: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity(0, ...) only reads the set, for the calling thread.
    unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
    }
}
