//! One measurement: the two processes of a system's round trip or stream
//! (this executable again in a role, or `peer.py` for Python), started and
//! pinned as the placement says, told "go" once both are set up, and what
//! they answer read back into ns per round trip or per stream.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use bench_support::child::end_child;
use bench_support::placement::Placement;

use crate::systems::{self, System};
use crate::{Workload, STREAM_RECORDS};

/// A process taking part in one measurement.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn start(
        system: &System,
        workload: Workload,
        side: &str,
        env: &[(&str, String)],
    ) -> Result<Proc, String> {
        let mut command = if system.python {
            let script = std::env::var("SHM_PEERS_PY").unwrap_or_else(|_| "peer.py".to_owned());
            let mut c = Command::new("python3");
            c.arg(script);
            c
        } else {
            let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
            let mut c = Command::new(exe);
            c.arg("role");
            c
        };
        let workload_arg = match workload {
            Workload::RoundTrip(_) => "roundtrip",
            Workload::Stream => "stream",
        };
        command
            .args([system.key, workload_arg, side])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("start {} {side}: {e}", system.key))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Proc { child, stdin, stdout })
    }

    /// The next line the process prints; an error when it exits first.
    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("exited without answering (see its stderr above)".to_owned()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Reads lines until one starts with `word`; returns the rest.
    fn expect(&mut self, word: &str) -> Result<String, String> {
        loop {
            let line = self.line()?;
            if let Some(rest) = line.strip_prefix(word) {
                return Ok(rest.trim().to_owned());
            }
            if let Some(e) = line.strip_prefix("error") {
                return Err(e.trim().to_owned());
            }
        }
    }

    fn go(&mut self) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "go")
            .and_then(|_| stdin.flush())
            .map_err(|e| e.to_string())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        end_child(&mut self.child, Duration::from_secs(10), Duration::from_millis(2));
    }
}

/// One measurement: ns per unit, and the CPUs each side was granted.
pub struct Measured {
    pub ns: f64,
    pub affinity: (String, String),
}

pub fn measure(system: &System, workload: Workload, timing: Duration, run: u32) -> Result<Measured, String> {
    let (cpu, second_cpu) = match workload {
        Workload::RoundTrip(p) => p.cpus(),
        // Producer and consumer on CPUs of their own: where the scheduler
        // puts them decides a stream's speed more than the library does.
        Workload::Stream => Placement::Apart.cpus(),
    };
    let name = format!("shmpeers{}r{run}", std::process::id());
    let mut env = vec![
        ("SHM_PEER_NAME", name),
        ("SHM_PEER_CPU", cpu.map(|c| c.to_string()).unwrap_or_default()),
        (
            "SHM_PEER_CPU2",
            second_cpu.map(|c| c.to_string()).unwrap_or_default(),
        ),
        ("SHM_PEER_TIMING_NS", timing.as_nanos().to_string()),
        ("SHM_PEER_RECORDS", STREAM_RECORDS.to_string()),
    ];
    if system.python {
        // peer.py starts its own second process (multiprocessing), pins both,
        // and prints the same lines as the client / producer side.
        let mut p = Proc::start(system, workload, "both", &env)?;
        let a = p.expect("ready")?;
        p.go()?;
        let b = p.expect("affinity")?;
        let ns: f64 = p.expect("result")?.parse().map_err(|e| format!("result: {e}"))?;
        return Ok(Measured { ns, affinity: (a, b) });
    }
    // The first side sets up (creates the region, service or server) and
    // says what the second needs to find it.
    let mut first = Proc::start(system, workload, "first", &env)?;
    let ready = first.expect("ready")?;
    let (a, info) = ready.split_once(' ').unwrap_or((ready.as_str(), ""));
    let a = a.to_owned();
    env.push(("SHM_PEER_INFO", info.to_owned()));
    env[1].1 = env[2].1.clone();
    let mut second = Proc::start(system, workload, "second", &env)?;
    let b = second.expect("ready")?;
    let b = b.split(' ').next().unwrap_or_default().to_owned();
    // The client / producer is the first side for our ring (the sender
    // creates it) and the second side everywhere else.
    let (driver, other) = if systems::first_drives(system, workload) {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    driver.go()?;
    other.go()?;
    let ns = match workload {
        Workload::RoundTrip(_) => driver
            .expect("result")?
            .parse()
            .map_err(|e| format!("result: {e}"))?,
        Workload::Stream => {
            let start: u64 = driver
                .expect("start")?
                .parse()
                .map_err(|e| format!("start: {e}"))?;
            let end = other.expect("end")?;
            let mut parts = end.split(' ');
            let _end: u64 = parts
                .next()
                .unwrap_or("")
                .parse()
                .map_err(|e| format!("end: {e}"))?;
            let count = parts.next().unwrap_or("");
            if count != STREAM_RECORDS.to_string() {
                return Err(format!("consumer counted {count} records"));
            }
            // Ten tenths of the stream, each timed from the previous mark
            // (the first from the producer's start); the median tenth times
            // ten, so that another process taking a CPU for a few
            // milliseconds does not decide the figure.
            let mut marks = vec![start];
            for mark in parts.next().unwrap_or("").split(',') {
                marks.push(mark.parse().map_err(|e| format!("mark: {e}"))?);
            }
            let mut tenths: Vec<f64> = marks
                .windows(2)
                .map(|w| w[1].saturating_sub(w[0]) as f64)
                .collect();
            tenths.sort_by(f64::total_cmp);
            if tenths.is_empty() {
                return Err("the consumer gave no marks".to_owned());
            }
            let n = tenths.len();
            (tenths[(n - 1) / 2] + tenths[n / 2]) / 2.0 * n as f64
        }
    };
    Ok(Measured { ns, affinity: (a, b) })
}
