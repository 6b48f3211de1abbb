//! Helpers for the cross-process tests: unique names, the two built programs,
//! and a watchdog on every wait so that a hang fails the test instead of CI.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "../../../shared/tests/common/relaunch.rs"]
mod relaunch;

pub mod article;

use relaunch::{never_started, Relaunch};

/// How long any single wait in a test may take before the test fails.
pub const WATCHDOG: Duration = Duration::from_secs(30);

/// A region name no other test (or test run) uses.
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "t{}-{}-{label}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The built `message-server`.
pub fn message_server() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_message-server"))
}

/// The built `state-server`: it sits beside `message-server` in the target
/// directory (wherever cargo put it: `CARGO_TARGET_DIR`, `build.target-dir`).
pub fn state_server() -> PathBuf {
    sibling_binary("state-server", &["-p", "state-server", "--bin", "state-server"])
}

/// The built inspector, a binary of `shared` behind its `console` feature,
/// beside `message-server`.
pub fn inspector() -> PathBuf {
    sibling_binary(
        "inspect",
        &["-p", "shared", "--features", "console", "--bin", "inspect"],
    )
}

/// The binary `name` beside `message-server`, built with `cargo build
/// <build_args>` in the same profile, once per test run, so that it is never
/// older than its source (`cargo test -p message-server` builds only this
/// package's binary).
fn sibling_binary(name: &str, build_args: &[&str]) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let path = message_server().with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Under Wine (the Windows target's tests) cargo is a Linux program this
    // process cannot start: `cargo test --workspace` has built every binary.
    if cfg!(windows) {
        assert!(
            path.exists(),
            "{} is missing: run the Windows tests with cargo test --workspace",
            path.display()
        );
        return path;
    }
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = message_server()
            .parent()
            .and_then(|dir| dir.file_name())
            .is_some_and(|profile| profile == "release");
        let mut command = Command::new(cargo);
        command.arg("build").args(build_args);
        if release {
            command.arg("--release");
        }
        let status = command.status().expect("run cargo build");
        assert!(status.success(), "cargo build {build_args:?} failed");
        built.push(name.to_owned());
    }
    assert!(
        path.exists(),
        "cargo build {build_args:?} did not make {}",
        path.display()
    );
    path
}

/// The workspace root (where `scripts/` is).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// A running program with piped stdin and its stdout/stderr collected line by line.
///
/// A program that never started (Wine's `STATUS_DLL_INIT_FAILED`, see
/// `relaunch.rs`) is started again, at most three times, and given again
/// all the input sent so far; a program that printed a line has run and is
/// never started again.
pub struct Program {
    pub label: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pub stdout: Vec<String>,
    stderr_reader: Option<std::thread::JoinHandle<String>>,
    again: Relaunch,
    sent: String,
    starts: u32,
}

/// A started program's pipes: stdin, its stdout lines, its whole stderr.
type Pipes = (
    Child,
    Option<ChildStdin>,
    Receiver<String>,
    std::thread::JoinHandle<String>,
);

impl Program {
    pub fn spawn(label: &'static str, exe: &Path, args: &[&str]) -> Program {
        Self::spawn_with(label, Command::new(exe).args(args))
    }

    pub fn spawn_with(label: &'static str, command: &mut Command) -> Program {
        let command = command
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES");
        let again = Relaunch::of(command);
        let (child, stdin, lines, stderr_reader) = Self::launch(label, command);
        Program {
            label,
            stdin,
            child,
            lines,
            stdout: Vec::new(),
            stderr_reader: Some(stderr_reader),
            again,
            sent: String::new(),
            starts: 1,
        }
    }

    fn launch(label: &'static str, command: &mut Command) -> Pipes {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {label}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let stdin = child.stdin.take();
        (child, stdin, lines, stderr_reader)
    }

    /// Starts the program again if it never started (and has printed
    /// nothing), with the input sent so far; whether it did.
    fn started_again(&mut self) -> bool {
        if !self.stdout.is_empty() || self.starts >= 3 {
            return false;
        }
        let Ok(status) = self.child.wait() else {
            return false;
        };
        if !never_started(status) {
            return false;
        }
        eprintln!("note: {} never started ({status}); starting it again", self.label);
        let (child, stdin, lines, stderr_reader) = Self::launch(self.label, &mut self.again.command());
        (self.child, self.stdin, self.lines) = (child, stdin, lines);
        self.stderr_reader = Some(stderr_reader);
        self.starts += 1;
        if !self.sent.is_empty() {
            let sent = std::mem::take(&mut self.sent);
            self.send(&sent);
        }
        true
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the program at once (SIGKILL; TerminateProcess on Windows).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Sends one line (an Enter press).
    pub fn enter(&mut self) {
        self.send("\n");
    }

    pub fn send(&mut self, text: &str) {
        self.sent.push_str(text);
        let stdin = self.stdin.as_mut().expect("stdin still open");
        let written = stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush());
        if let Err(error) = written {
            // Gone before reading it: started again, it was given it all.
            if !self.started_again() {
                panic!("{}: write to program: {error}", self.label);
            }
        }
    }

    /// Closes stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for a stdout line containing `needle`; fails the test after the watchdog.
    pub fn expect_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: no line containing {needle:?} within {WATCHDOG:?}; got:\n{}",
                        self.label,
                        self.stdout.join("\n")
                    )
                }
                Err(RecvTimeoutError::Disconnected) if self.started_again() => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let stderr = self.stderr_now();
                    panic!(
                        "{}: exited without a line containing {needle:?}; got:\n{}\nstderr: {stderr}",
                        self.label,
                        self.stdout.join("\n"),
                    )
                }
            }
        }
    }

    /// The next stdout line, or `None` if none comes within `wait`.
    pub fn try_line(&mut self, wait: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(wait).ok()?;
        self.stdout.push(line.clone());
        Some(line)
    }

    fn stderr_now(&mut self) -> String {
        let _ = self.child.kill();
        self.stderr_reader
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default()
    }

    /// Waits for the program to exit (watchdog: killed and failed after
    /// [`WATCHDOG`]); returns its status, the rest of stdout, and stderr.
    pub fn finish(self) -> Finished {
        self.collect(true)
    }

    /// Like [`Program::finish`] but keeps stdin open until the program has
    /// exited (for programs ended by a signal, not by end of input).
    pub fn wait_for_exit(self) -> Finished {
        self.collect(false)
    }

    fn collect(mut self, end_input: bool) -> Finished {
        if end_input {
            self.close_stdin();
        }
        let deadline = Instant::now() + WATCHDOG;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll child") {
                if never_started(status) && self.started_again() {
                    if end_input {
                        self.close_stdin();
                    }
                    continue;
                }
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{}: still running after {WATCHDOG:?}; stdout so far:\n{}",
                    self.label,
                    self.stdout.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.stdout.push(line);
        }
        let stderr = self
            .stderr_reader
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default();
        Finished {
            status,
            stdout: std::mem::take(&mut self.stdout),
            stderr,
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program that exited.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs a program to completion with `input` on stdin.
pub fn run(label: &'static str, exe: &Path, args: &[&str], input: &str) -> Finished {
    let mut program = Program::spawn(label, exe, args);
    if !input.is_empty() {
        program.send(input);
    }
    program.finish()
}

/// The names in `dir`, sorted.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The data lines of a transcript (what the contract fixes), in order.
pub fn data_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("position ") || l.contains("\tNowTime: ") || l.starts_with("Test: "))
        .cloned()
        .collect()
}
