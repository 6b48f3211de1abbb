//! Shared helpers of the library's cross-process tests: unique names, the
//! built examples, and a helper process with a watchdog.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use shared::RegionName;

pub fn unique(label: &str) -> RegionName {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    RegionName::new(&format!("r{}-{n}-{label}", std::process::id())).expect("valid name")
}

pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A built example of this crate, built (once per test run, a no-op when
/// fresh) so that a filtered `cargo test --test ...` never runs a stale one.
pub fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "shared", "--examples"])
            .stderr(Stdio::null())
            .status()
            .expect("run cargo build for the examples");
        assert!(status.success(), "building the examples failed");
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

/// A helper process, killed (-9) on drop.
pub struct Helper(pub Child);

impl Helper {
    pub fn start(args: &[&str]) -> Helper {
        let mut child = Command::new(helper_path())
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn helper (built by cargo test as an example)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("watchdog: helper never got ready");
        assert_eq!(line.trim(), "ready");
        Helper(child)
    }

    /// The `stream_consumer` example on `name` in `dir`, once it has started.
    pub fn start_stream_consumer(name: &str, dir: &str) -> Helper {
        let child = Command::new(example("stream_consumer"))
            .args(["--name", name, "--dir", dir])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn stream_consumer");
        Helper(child)
    }

    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill();
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
