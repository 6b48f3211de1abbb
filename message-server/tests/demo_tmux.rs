//! `scripts/demo.sh` in tmux, as a person (or a script) runs it: the
//! article's steps in two panes with the status line saying which pane is
//! next; leaving the demo; and a tmux pane no client is attached to. Every
//! tmux server here is private to the test (its own `TMUX_TMPDIR`) and killed
//! at the end; each demo's private directory is made in the test's own
//! `TMPDIR`, which must be empty afterwards. Skipped (with a note) without
//! tmux 3.0 or later.
#![cfg(target_os = "linux")] // Linux only: it drives tmux.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// How long the demo may take to build and open its session (a first build
/// of the binaries in a fresh target directory).
const BUILD_WATCHDOG: Duration = Duration::from_secs(300);

/// tmux servers private to one test: `tmux -L <socket>` with its own
/// `TMUX_TMPDIR`; every server is killed when this is dropped.
struct Tmux {
    sockets: tempfile::TempDir,
}

impl Tmux {
    /// `None` (after saying why) when tmux 3.0 or later is not installed.
    fn new() -> Option<Tmux> {
        let version = Command::new("tmux").arg("-V").output().ok()?;
        let text = String::from_utf8_lossy(&version.stdout).into_owned();
        let major: u32 = text
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if major < 3 {
            eprintln!("skipped: needs tmux 3.0 or later (found {text:?})");
            return None;
        }
        Some(Tmux {
            sockets: tempfile::tempdir().expect("tmux socket dir"),
        })
    }

    /// `tmux -L socket` ("default" is the socket the demo uses itself).
    fn command(&self, socket: &str) -> Command {
        let mut command = Command::new("tmux");
        command
            .args(["-L", socket])
            .env("TMUX_TMPDIR", self.sockets.path())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        command
    }

    fn run(&self, socket: &str, args: &[&str]) -> Output {
        self.command(socket).args(args).output().expect("run tmux")
    }

    fn ok(&self, socket: &str, args: &[&str]) -> String {
        let out = self.run(socket, args);
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The session names on `socket` (none when its server has exited).
    fn sessions(&self, socket: &str) -> Vec<String> {
        let out = self.run(socket, &["list-sessions", "-F", "#{session_name}"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// What `target` shows, with its history.
    fn screen(&self, socket: &str, target: &str) -> String {
        self.ok(socket, &["capture-pane", "-p", "-J", "-S", "-", "-t", target])
    }

    /// Waits until `target`'s screen contains every one of `wanted`.
    fn wait_for(&self, socket: &str, target: &str, wanted: &[&str], watchdog: Duration) -> String {
        let deadline = Instant::now() + watchdog;
        loop {
            let screen = self.screen(socket, target);
            if wanted.iter().all(|w| screen.contains(w)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{target} never showed {wanted:?} within {watchdog:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts a session `name` on `socket` running `script` in bash, in a
    /// 200x50 window, with the demo's temporary directories under `tmpdir`.
    fn start(&self, socket: &str, name: &str, tmpdir: &Path, script: &str) {
        let out = self
            .command(socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "200",
                "-y",
                "50",
            ])
            .args(["bash", "-c", script])
            .env("TMPDIR", tmpdir)
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .expect("start a tmux session");
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The name of the demo's own session on the default socket, once it is there.
    fn demo_session(&self) -> String {
        let deadline = Instant::now() + BUILD_WATCHDOG;
        loop {
            if let Some(session) = self
                .sessions("default")
                .into_iter()
                .find(|s| s.starts_with("shm-demo-"))
            {
                return session;
            }
            assert!(
                Instant::now() < deadline,
                "the demo opened no tmux session within {BUILD_WATCHDOG:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        for socket in ["default", "viewer", "host", "hup"] {
            let _ = self.run(socket, &["kill-server"]);
        }
    }
}

/// The shell line that runs the demo in a pane and then says how it ended.
fn demo_line(unset_tmux: bool) -> String {
    let demo: PathBuf = workspace_root().join("scripts/demo.sh");
    format!(
        "{}bash '{}' --fast --debug; echo \"demo exit $?\"; sleep 600",
        if unset_tmux { "unset TMUX TMUX_PANE; " } else { "" },
        demo.display()
    )
}

/// The bottom line of a screen: the demo's status line.
fn status_line(screen: &str) -> &str {
    screen.trim_end_matches('\n').lines().last().unwrap_or("")
}

/// Waits until the viewer's status line (the demo's, drawn by its client)
/// starts with `next: {wanted}`.
fn wait_for_status(tmux: &Tmux, wanted: &str) {
    let deadline = Instant::now() + WATCHDOG;
    loop {
        let screen = tmux.ok("viewer", &["capture-pane", "-p", "-t", "viewer"]);
        if status_line(&screen)
            .trim_start()
            .starts_with(&format!("next: {wanted}"))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the status line never said {wanted:?}; the screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_tmux_demo_follows_the_article_and_leaves_nothing_behind() {
    let Some(tmux) = Tmux::new() else { return };
    let tmpdir = tempfile::tempdir().expect("TMPDIR");
    // A person's terminal: a pane of another tmux server, whose screen
    // (the demo's two panes and its status line) the test reads.
    tmux.start("viewer", "viewer", tmpdir.path(), &demo_line(true));
    let session = tmux.demo_session();
    // The session exists a moment before its second pane does.
    let deadline = Instant::now() + WATCHDOG;
    let panes = loop {
        let panes = tmux.ok("default", &["list-panes", "-t", &session, "-F", "#{pane_id}"]);
        if panes.lines().count() == 2 {
            break panes;
        }
        assert!(
            Instant::now() < deadline,
            "the demo never split its window: {panes:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let panes: Vec<&str> = panes.lines().collect();
    let (left, right) = (panes[0], panes[1]);
    let enter = |pane: &str| {
        tmux.ok("default", &["send-keys", "-t", pane, "Enter"]);
    };

    // Each program at its name prompt, the message service's turn first.
    tmux.wait_for(
        "default",
        left,
        &["Shared memory name (default: testmap)"],
        WATCHDOG,
    );
    tmux.wait_for(
        "default",
        right,
        &["Shared memory name (default: testmap)"],
        WATCHDOG,
    );
    wait_for_status(
        &tmux,
        "LEFT pane (message-server): press Enter at its name prompt",
    );

    enter(left); // 1: message-server takes testmap, writes 0..4
    tmux.wait_for(
        "default",
        left,
        &["position 4: wrote 4", "Start the state service"],
        WATCHDOG,
    );
    wait_for_status(&tmux, "RIGHT pane (state-server): press Enter at its name prompt");

    enter(right); // 2: state-server takes testmap, writes under the mutex
    tmux.wait_for("default", right, &["position 9: wrote 9"], WATCHDOG);
    enter(left); // 3: message-server reads, waiting for the mutex first
    let screen = tmux.wait_for(
        "default",
        left,
        &["NowTime: ", "Test: I am the IM message service"],
        WATCHDOG,
    );
    assert!(
        screen.contains("The state service has written (waited "),
        "{screen}"
    );
    // tmux shows the record lines' tab as spaces.
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("64 ") && l.contains("NowTime: ")),
        "the fifth record is shown: {screen}"
    );
    tmux.wait_for(
        "default",
        right,
        &["Test: I am the IM state service", "Press Enter to exit"],
        WATCHDOG,
    );
    wait_for_status(&tmux, "Done! Press Enter in each pane to exit");

    // Enter in each pane: the programs exit, the panes close, the session ends.
    enter(right);
    enter(left);
    let screen = tmux.wait_for("viewer", "viewer", &["demo exit 0"], WATCHDOG);
    assert!(screen.contains("What the panes showed:"), "{screen}");
    assert!(
        screen.contains("[message] Test: I am the IM message service, and I have started!!!"),
        "{screen}"
    );
    assert!(screen.contains("0 files left"), "{screen}");
    assert_eq!(
        tmux.sessions("default"),
        Vec::<String>::new(),
        "no tmux session is left"
    );
    assert_eq!(
        dir_entries(tmpdir.path()),
        Vec::<String>::new(),
        "no files are left"
    );
}

#[test]
fn leaving_the_tmux_demo_ends_its_programs_and_leaves_nothing_behind() {
    let Some(tmux) = Tmux::new() else { return };
    let tmpdir = tempfile::tempdir().expect("TMPDIR");
    tmux.start("viewer", "viewer", tmpdir.path(), &demo_line(true));
    let session = tmux.demo_session();
    let left = format!("{session}:demo.0");
    tmux.wait_for("default", &left, &["Shared memory name"], WATCHDOG);
    tmux.ok("default", &["send-keys", "-t", &left, "Enter"]);
    tmux.wait_for("default", &left, &["Start the state service"], WATCHDOG);

    // Ctrl-b d: the client leaves; the script ends the session and its programs.
    let deadline = Instant::now() + WATCHDOG;
    let client = loop {
        let clients = tmux.ok(
            "default",
            &["list-clients", "-t", &session, "-F", "#{client_name}"],
        );
        if let Some(client) = clients.lines().next() {
            break client.to_owned();
        }
        assert!(Instant::now() < deadline, "no client attached to {session}");
        std::thread::sleep(Duration::from_millis(100));
    };
    tmux.ok("default", &["detach-client", "-t", &client]);
    let screen = tmux.wait_for("viewer", "viewer", &["demo exit 0"], WATCHDOG);
    assert!(
        screen.contains("You left the demo: closing its tmux session."),
        "{screen}"
    );
    assert!(screen.contains("0 files left"), "{screen}");
    assert_eq!(
        tmux.sessions("default"),
        Vec::<String>::new(),
        "no tmux session is left"
    );
    assert_eq!(
        dir_entries(tmpdir.path()),
        Vec::<String>::new(),
        "no files are left"
    );
}

#[test]
fn the_demo_in_a_tmux_pane_with_no_client_runs_as_batch_and_leaves_no_session() {
    let Some(tmux) = Tmux::new() else { return };
    let tmpdir = tempfile::tempdir().expect("TMPDIR");
    // A detached session, as a CI job or `tmux send-keys` from a script has:
    // the demo runs inside tmux, but no client could show a session of its own.
    tmux.start("default", "host", tmpdir.path(), &demo_line(false));
    let screen = tmux.wait_for("default", "host", &["demo exit "], BUILD_WATCHDOG);
    assert!(screen.contains("demo exit 0"), "{screen}");
    assert!(
        screen.contains("Inside tmux, but no client is attached to show a demo session: running as --batch."),
        "{screen}"
    );
    assert!(
        screen.contains("[message] Test: I am the IM message service, and I have started!!!"),
        "{screen}"
    );
    assert!(screen.contains("0 files left"), "{screen}");
    assert_eq!(
        tmux.sessions("default"),
        vec!["host".to_owned()],
        "only the test's own session"
    );
    assert_eq!(
        dir_entries(tmpdir.path()),
        Vec::<String>::new(),
        "no files are left"
    );
}

/// Whether process `pid` has ended (gone, or a zombie waiting to be reaped).
fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

#[test]
fn a_waiting_program_whose_terminal_closes_leaves_nothing_behind_50_times() {
    // Closing a terminal sends SIGHUP while the program's own stdin read ends
    // too: the main thread and the signal-handling thread then leave at once,
    // and the clean-up must complete whichever of them ends the process.
    let Some(tmux) = Tmux::new() else { return };
    let idle = tempfile::tempdir().expect("TMPDIR");
    // Keeps the server up between runs (a server whose last session ends
    // exits, and a session started meanwhile would race its exit).
    tmux.start("hup", "keep", idle.path(), "sleep 600");
    for run in 0..50 {
        let dir = tempfile::tempdir().expect("region directory");
        let name = unique_name("hup");
        let session = format!("hup{run}");
        let line = format!(
            "exec '{}' --dir '{}' --name {name}",
            message_server().display(),
            dir.path().display()
        );
        tmux.start("hup", &session, dir.path(), &line);
        tmux.wait_for("hup", &session, &["Start the state service"], WATCHDOG);
        let pid: u32 = tmux
            .ok("hup", &["display-message", "-p", "-t", &session, "#{pane_pid}"])
            .trim()
            .parse()
            .expect("the pane's pid");
        tmux.ok("hup", &["kill-session", "-t", &session]);
        let deadline = Instant::now() + WATCHDOG;
        while !has_ended(pid) {
            assert!(
                Instant::now() < deadline,
                "run {run}: message-server ({pid}) still runs {WATCHDOG:?} after its terminal closed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            dir_entries(dir.path()),
            Vec::<String>::new(),
            "run {run}: files left after the terminal closed"
        );
    }
}
