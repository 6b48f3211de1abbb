//! The peer processes, this process's side: a peer is this executable
//! again, run with `SHM_BENCH_PEER=<role>` (what it does in each role is in
//! [`role`]), pinned as the pair's placement says; it says `ready CPUS`
//! once set up, then does `N` units of its work each time it is told `N` on
//! its stdin and answers `done CPU`, and ends when its stdin closes.

pub mod role;

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use bench_support::child::end_child;
use bench_support::placement::{current_cpu, Placement};

use crate::files::bench_dir;

/// The variable that makes this executable a peer, naming its role.
pub const PEER_ENV: &str = "SHM_BENCH_PEER";
/// The turn of this process (the parent) in the turn-passing pairs.
pub const PARENT: u32 = 1;
/// The turn of the peer (the child) in the turn-passing pairs.
pub const CHILD: u32 = 2;
/// How long either side waits for the other before it gives up.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A peer process: this executable in role `role`.
pub struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The CPUs the peer's kernel granted it (read back by the peer).
    granted: String,
}

impl Peer {
    fn start(role: &str, name: &str, cpu: Option<usize>, extra: &[(&str, String)]) -> Peer {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("bench exe: {e}"));
        let mut command = Command::new(exe);
        command
            .env(PEER_ENV, role)
            .env("SHM_BENCH_NAME", name)
            .env("SHM_BENCH_DIR", bench_dir())
            .env("SHM_BENCH_CPU", cpu.map(|c| c.to_string()).unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn peer {role}: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("peer stdout")));
        let mut peer = Peer {
            child,
            stdin,
            stdout,
            granted: String::new(),
        };
        let ready = peer.line();
        peer.granted = ready
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("peer {role} said {ready:?}"))
            .to_owned();
        peer
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("peer: {e}"));
        line.trim().to_owned()
    }

    pub fn expect(&mut self, word: &str) {
        let line = self.line();
        assert_eq!(line, word, "peer said {line:?}");
    }

    /// Waits for a command-driven peer's `done CPU`, and notes whether it
    /// ran on the CPU this process ran on.
    pub fn done(&mut self) {
        let line = self.line();
        let theirs = line
            .strip_prefix("done ")
            .unwrap_or_else(|| panic!("peer said {line:?}"));
        let shared = theirs.parse::<i64>().ok() == Some(current_cpu());
        SHARED_CPU.with(|s| s.borrow_mut().push(shared));
    }

    /// Tells a command-driven peer to do `n` units of its work.
    pub fn command(&mut self, n: u64) {
        let stdin = self.stdin.as_mut().unwrap_or_else(|| panic!("peer stdin"));
        writeln!(stdin, "{n}")
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("peer: {e}"));
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        end_child(&mut self.child, Duration::from_secs(5), Duration::from_millis(5));
    }
}

thread_local! {
    /// For each timing of a command-driven peer since the last look: whether
    /// the peer ended it on the same CPU as this process.
    pub static SHARED_CPU: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    /// CPUs granted to the peers a setup started (drained by `Bench::compare`).
    pub static PEER_CPUS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Starts a peer and notes the CPUs it was granted for the placement report.
pub fn start_peer(role: &str, name: &str, cpu: Option<usize>, extra: &[(&str, String)]) -> Peer {
    let peer = Peer::start(role, name, cpu, extra);
    PEER_CPUS.with(|p| p.borrow_mut().push(peer.granted.clone()));
    peer
}

/// A peer connected by a Unix socket. The fields drop in order: the socket
/// closes first, so the peer, which ends at the end of the stream, is ending
/// when its `Drop` waits for it (the other way round, that `Drop` waited its
/// full 5 s and then killed the peer).
pub struct Connected {
    pub stream: UnixStream,
    pub peer: Peer,
    _dir: tempfile::TempDir,
}

impl Connected {
    pub fn start(role: &str, placement: Placement, extra: &[(&str, String)]) -> Connected {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(format!("{role}.sock"));
        let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
        let peer = start_peer(role, path.to_str().unwrap_or_default(), placement.cpus().1, extra);
        let (stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
        Connected {
            stream,
            peer,
            _dir: dir,
        }
    }
}
