//! Shared helpers of the library's cross-process tests: unique names, the
//! built examples, a helper process with a watchdog, and the user types the
//! tests and the helper agree on.

#![allow(dead_code)]

#[cfg(target_os = "linux")]
pub mod dotnet_runtime;
#[path = "../../examples/support/in_dir.rs"]
mod in_dir;
pub mod records;
pub mod relaunch;
#[cfg(target_os = "linux")]
pub mod tmpfs;

use relaunch::{never_started, Relaunch};

// Each test program uses some of these.
#[allow(unused_imports)]
pub use in_dir::InDir;
/// The Linux settings (directory, mode, sharing, observing), for the tests
/// that are about them.
#[cfg(target_os = "linux")]
#[allow(unused_imports)]
pub use shared::os::linux::{MutexOptionsExt, RegionExt, RegionOptionsExt};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use shared::{Failure, ObjectError, RegionName};

/// The [`Failure`] inside a library result, for matching in asserts:
/// `matches!(options.open_existing().failed(), Err(Failure::NotFound { .. }))`.
pub trait Failed {
    /// The result or option with the error's failure in place of the error.
    type Output<'a>
    where
        Self: 'a;
    /// Borrows the failure of the error, if any.
    fn failed(&self) -> Self::Output<'_>;
}

impl<T> Failed for Result<T, ObjectError> {
    type Output<'a>
        = Result<&'a T, &'a Failure>
    where
        T: 'a;
    fn failed(&self) -> Result<&T, &Failure> {
        self.as_ref().map_err(ObjectError::failure)
    }
}

impl Failed for Option<ObjectError> {
    type Output<'a> = Option<&'a Failure>;
    fn failed(&self) -> Option<&Failure> {
        self.as_ref().map(ObjectError::failure)
    }
}

/// How long any single step of a cross-process test may take before the
/// test fails instead of hanging.
pub const WATCHDOG: Duration = Duration::from_secs(30);

/// `Some(pid)` where the system says who holds a mutex (Linux), `None`
/// where it does not (Windows): what `holder_pid()` and `abandoned_by()`
/// report for a holder `pid`.
pub fn pid_if_known(pid: u32) -> Option<u32> {
    cfg!(target_os = "linux").then_some(pid)
}

/// The size a named region created with `size` bytes reports: that size on
/// Linux, whole pages on Windows (the kernel rounds sections up).
pub fn reported_size(size: u64) -> u64 {
    if cfg!(windows) {
        size.div_ceil(4096) * 4096
    } else {
        size
    }
}

/// A region name of its own for each call: pid + counter + label.
pub fn unique(label: &str) -> RegionName {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    RegionName::new(&format!("r{}-{n}-{label}", std::process::id())).expect("valid name")
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The files a live named object `name` has in its directory: the object,
/// its companion `.NAME.meta` and its setup file `.NAME.guard`, sorted.
pub fn object_files(name: &str) -> Vec<String> {
    let mut names = vec![name.to_owned(), format!(".{name}.meta"), format!(".{name}.guard")];
    names.sort();
    names
}

/// `dir` as a command-line argument.
pub fn arg(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 temp dir")
}

/// A built example of this crate, built (once per test run, a no-op when
/// fresh) so that a filtered `cargo test --test ...` never runs a stale one.
/// The `console` feature is on: some examples need it.
pub fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        // Under Wine (the Windows target's tests) cargo is a Linux program
        // this process cannot start; `cargo test` has built the examples.
        if cfg!(windows) {
            return;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-p", "shared", "--examples", "--features", "console"])
            .output()
            .expect("run cargo build for the examples");
        assert!(
            out.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let exe = std::env::current_exe().expect("test exe");
    let debug = exe.parent().and_then(Path::parent).expect("target profile dir");
    debug
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

pub fn helper_path() -> PathBuf {
    example("helper")
}

/// A helper process whose stdout lines the test reads; killed (-9) on drop.
pub struct Helper {
    pub child: Child,
    lines: Receiver<String>,
    /// How to start it again, should Wine fail to start it (see
    /// [`Helper::line`]).
    again: Relaunch,
    /// Whether it has printed a line (it ran, so it is never started again).
    spoke: bool,
}

impl Helper {
    /// Starts `helper ARGS` and waits (under the watchdog) for its `ready` line.
    pub fn start(args: &[&str]) -> Helper {
        let mut helper = Helper::spawn(Command::new(helper_path()).args(args));
        let line = helper.line();
        assert_eq!(line.trim(), "ready", "helper {args:?}");
        helper
    }

    /// Starts `command` with its stdout piped into [`Helper::line`].
    pub fn spawn(command: &mut Command) -> Helper {
        let again = Relaunch::of(command);
        let (child, lines) = Self::launch(command);
        Helper {
            child,
            lines,
            again,
            spoke: false,
        }
    }

    fn launch(command: &mut Command) -> (Child, Receiver<String>) {
        let mut child = spawn_retrying_wine_flakes(command.stdout(Stdio::piped()))
            .expect("spawn helper (built by the tests as an example)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, lines)
    }

    /// The `ring_consumer` example on `name` in `dir`, once it has started.
    pub fn start_ring_consumer(name: &str, dir: &str) -> Helper {
        let mut command = Command::new(example("ring_consumer"));
        command.args(["--name", name, "--dir", dir]);
        Helper::spawn(&mut command)
    }

    /// The next line the helper prints; fails the test after [`WATCHDOG`].
    /// A helper that never started (Wine's [`STATUS_DLL_INIT_FAILED`]) is
    /// started again, at most three times.
    pub fn line(&mut self) -> String {
        let mut starts = 1;
        loop {
            match self.lines.recv_timeout(WATCHDOG) {
                Ok(line) => {
                    self.spoke = true;
                    return line;
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("watchdog: the helper printed nothing for {WATCHDOG:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().ok();
                    if !self.spoke && starts < 3 && status.is_some_and(never_started) {
                        eprintln!("note: the helper never started ({status:?}); starting it again");
                        (self.child, self.lines) = Self::launch(&mut self.again.command());
                        starts += 1;
                        continue;
                    }
                    panic!("the helper ended without printing the expected line ({status:?})")
                }
            }
        }
    }

    /// The next line if one comes within `wait`.
    pub fn line_within(&mut self, wait: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(wait).ok();
        self.spoke |= line.is_some();
        line
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line it printed and the test has not read yet, once its
    /// output has ended (after [`Helper::kill`] or its exit); fails the
    /// test when a line takes longer than [`WATCHDOG`].
    pub fn remaining_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.lines.recv_timeout(WATCHDOG) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => return lines,
                Err(RecvTimeoutError::Timeout) => panic!("watchdog: the helper's output did not end"),
            }
        }
    }

    /// Waits (under the watchdog) for the helper to exit; returns whether it succeeded.
    pub fn finish(&mut self) -> bool {
        let deadline = std::time::Instant::now() + WATCHDOG;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                _ => {
                    self.kill();
                    panic!("watchdog: the helper ran for {WATCHDOG:?}");
                }
            }
        }
    }

    /// kill -9: no clean-up runs in the helper.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `helper ARGS` to the end under the watchdog and returns its stdout;
/// fails the test (with its stderr) when it fails.
pub fn run_helper(args: &[&str]) -> String {
    let out = start(Command::new(helper_path()).args(args)).output();
    assert!(
        out.status.success(),
        "helper {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A process started by [`start`], to be waited for with [`Started::output`].
pub struct Started {
    child: Child,
    again: Relaunch,
}

/// Starts `command` with stdout and stderr piped and an empty stdin.
pub fn start(command: &mut Command) -> Started {
    let again = Relaunch::of(command);
    Started {
        child: launch_piped(command),
        again,
    }
}

fn launch_piped(command: &mut Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a built example or helper")
}

impl Started {
    /// Waits for the process to exit ([`wait_with_watchdog`]) and collects
    /// its output. A process that never started (Wine's
    /// `STATUS_DLL_INIT_FAILED`) is started again, at most twice, and
    /// waited for in its place.
    pub fn output(self) -> std::process::Output {
        let Started { mut child, again } = self;
        for _ in 0..2 {
            let out = wait_with_watchdog(child);
            if !never_started(out.status) {
                return out;
            }
            eprintln!(
                "note: a process never started ({}); starting it again",
                out.status
            );
            child = launch_piped(&mut again.command());
        }
        wait_with_watchdog(child)
    }
}

/// Waits for `child` to exit and collects its output; kills it and fails the
/// test if it runs longer than 60 s (a hang must fail, not block CI).
pub fn wait_with_watchdog(mut child: Child) -> std::process::Output {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().expect("collect output"),
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("collect output");
                panic!(
                    "watchdog: a helper ran for 60 s: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

/// Runs `f` on its own thread and returns its result; fails the test if it
/// takes longer than [`WATCHDOG`] (a call that would block forever must fail
/// the test, not hang it).
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!("watchdog: {what} did not return within {WATCHDOG:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// Pins the calling thread to `cpu`; returns whether the kernel agreed (a
/// container may allow fewer CPUs).
#[cfg(target_os = "linux")]
pub fn pin_this_thread(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, CPU_SET writes inside
    // it (cpu is below CPU_SETSIZE or the call is skipped), and
    // sched_setaffinity only reads it, for the calling thread (pid 0).
    unsafe {
        if cpu >= libc::CPU_SETSIZE as usize {
            return false;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Spawns `command`; under Wine, `CreateProcess` now and then fails with
/// `ERROR_INTERNAL_ERROR` (1359, "Internal error.") when many processes
/// start in a row (seen once in 40 quick spawns of a test under load), and
/// the same spawn a moment later succeeds: those are tried again, up to 5
/// times. Any other error is returned at once.
pub fn spawn_retrying_wine_flakes(command: &mut Command) -> std::io::Result<Child> {
    const ERROR_INTERNAL_ERROR: i32 = 1359;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(ERROR_INTERNAL_ERROR) && tries < 5 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
