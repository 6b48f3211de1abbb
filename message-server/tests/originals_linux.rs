//! Live interoperability with the article's own C# programs on Microsoft's
//! .NET Core 3.1 for Linux, without Wine: the two programs of
//! `../shared/original/linux/` (the article's, with the one line .NET on
//! Linux forces: the region is the file `/dev/shm/testmap`) against our
//! programs run with `--dotnet`, on one file and .NET's own named mutex
//! `testmapmutex`, abandonment included both ways.
//!
//! The .NET programs run in login sessions of their own (`setsid`), as from
//! another terminal: .NET scopes a named mutex to its session, so each test
//! also shows how `--dotnet` meets a peer across terminals.
//!
//! Needs the runtime `scripts/dotnet/setup.sh` installs (at `$SHM_DOTNET`,
//! or `target/dotnet`) and `mcs`. Without them each test prints `SKIPPED`
//! and passes, unless `SHM_REQUIRE_DOTNET=1` (as `.ci/run` sets once the
//! runtime is installed) makes that a failure.
#![cfg(target_os = "linux")]

mod common;
#[path = "../../shared/tests/common/dotnet_runtime.rs"]
mod dotnet_runtime;

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use dotnet_runtime::{found_or_skipped, Runtime};

/// The originals hard-code `/dev/shm/testmap` and `testmapmutex`: one test
/// at a time, in this run and in any other run of these tests on the
/// machine (another checkout's, say), through a file lock.
const ARTICLE_NAMES_LOCK: &str = "/tmp/shm-tests-article-names.lock";

/// The region file the originals map.
const REGION_FILE: &str = "/dev/shm/testmap";

/// The runtime and the compiled originals.
struct Originals {
    dotnet: PathBuf,
    dir: PathBuf,
}

fn originals() -> Option<&'static Originals> {
    static FOUND: OnceLock<Result<Originals, String>> = OnceLock::new();
    found_or_skipped(FOUND.get_or_init(find_and_compile))
}

fn find_and_compile() -> Result<Originals, String> {
    let runtime = Runtime::find(&workspace_root())?;
    let sources = std::env::var_os("SHM_ORIGINAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/original"))
        .join("linux");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("originals-linux");
    for name in ["IMServer_Message", "IMServer_State"] {
        runtime.compile(&sources.join(format!("{name}.cs")), &["System.Core.dll"], &dir)?;
    }
    Ok(Originals {
        dotnet: runtime.dotnet,
        dir,
    })
}

/// One test at a time on the article's names, each starting from no region
/// file (the originals keep it, as `CreateFromFile` does) and leaving none.
struct ArticleNames {
    /// Holds `flock(LOCK_EX)` on [`ARTICLE_NAMES_LOCK`].
    _one_at_a_time: fs::File,
}

impl ArticleNames {
    fn take() -> ArticleNames {
        let lock = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o666)
            .open(ARTICLE_NAMES_LOCK)
            .unwrap_or_else(|e| panic!("open {ARTICLE_NAMES_LOCK}: {e}"));
        // Another run's four tests take under a minute: five is a hang.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while lock.try_lock().is_err() {
            assert!(
                std::time::Instant::now() < until,
                "another process has held {ARTICLE_NAMES_LOCK} for 5 minutes"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = fs::remove_file(REGION_FILE);
        ArticleNames { _one_at_a_time: lock }
    }
}

impl Drop for ArticleNames {
    fn drop(&mut self) {
        let _ = fs::remove_file(REGION_FILE);
    }
}

/// `dotnet IMServer_X.exe` in a login session of its own, as if started
/// from another terminal; its first line is `sid SID`, and it starts the
/// program at the first line it is sent (so the test can learn the session
/// first).
fn original_in_own_session(originals: &Originals, which: &'static str) -> (Program, u32) {
    let mut command = Command::new("setsid");
    command
        .args(["sh", "-c", "echo sid $$; read go; exec \"$0\" \"$@\""])
        .arg(&originals.dotnet)
        .arg(originals.dir.join(format!("{which}.exe")))
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
    let mut program = Program::spawn_with(which, &mut command);
    let line = program.expect_line("sid ");
    let session = line
        .trim()
        .strip_prefix("sid ")
        .and_then(|sid| sid.parse().ok())
        .unwrap_or_else(|| panic!("not a session: {line:?}"));
    (program, session)
}

/// The original state service in a login session of its own (not started
/// yet: it waits for a line), and our `message-server --dotnet` told that
/// session.
fn ours_and_the_original_state_service(originals: &Originals) -> (Program, u32, Program) {
    let (state, session) = original_in_own_session(originals, "IMServer_State");
    let message = Program::spawn(
        "message-server",
        &message_server(),
        &[
            "--dotnet",
            "--name",
            "testmap",
            "--dotnet-session",
            &session.to_string(),
        ],
    );
    (state, session, message)
}

/// The original message service in a login session of its own, started
/// and waiting for Enter after writing 0..4, and our `state-server --dotnet`
/// holding the mutex `hold_ms` after its last record; with the message
/// service's session.
fn the_original_message_service_and_ours(originals: &Originals, hold_ms: &str) -> (Program, u32, Program) {
    let (mut message, session) = original_in_own_session(originals, "IMServer_Message");
    message.enter(); // go
    message.enter(); // its name prompt: Enter = testmap
    message.expect_line("4位置写入流:4"); // then it waits for Enter
    let state = Program::spawn(
        "state-server",
        &state_server(),
        &[
            "--dotnet",
            "--name",
            "testmap",
            "--interval-ms",
            "1",
            "--hold-ms",
            hold_ms,
        ],
    );
    (message, session, state)
}

/// (a) The original message service, in another terminal's session, and our
/// `state-server --dotnet`, which finds .NET's mutex there.
#[test]
fn the_original_message_service_on_linux_reads_what_our_state_server_wrote() {
    let Some(originals) = originals() else { return };
    let _names = ArticleNames::take();
    let (mut message, session, mut state) = the_original_message_service_and_ours(originals, "1");
    state.expect_line("it is the original IMServer_Message. Relying on the mutex alone");
    state.expect_line("The .NET mutex is in another login session");
    state.expect_line("64\tNowTime: ");
    state.expect_line("Test: I am the IM state service, and I have started!!!");

    message.enter(); // the original's WaitOne, then it reads
    message.expect_line("我是 即时通讯 - 消息服务 我启动啦");
    article::assert_original_read_ours(&message.stdout, "位置:", "01/01/0001");
    drop(message.finish()); // its closing ReadKey throws on a pipe: any exit code
    state.enter();
    assert_eq!(state.finish().code(), Some(0));
    // The original dies of its closing ReadKey on a pipe without closing the
    // mutex: should ours have left first, the file stays, as .NET leaves it.
    remove_session_mutex(session);
}

/// (b) Our `message-server --dotnet`, told the session of the terminal the
/// original state service runs in, and the original in that session.
#[test]
fn our_message_server_shows_everything_the_original_state_service_on_linux_wrote() {
    let Some(originals) = originals() else { return };
    let _names = ArticleNames::take();
    let (mut state, session, mut message) = ours_and_the_original_state_service(originals);
    message.expect_line(&format!(
        "a .NET program started in login session {session} finds it"
    ));
    message.expect_line("Start the state service");
    state.enter(); // go
    state.enter(); // its name prompt: Enter = testmap
    state.expect_line("5位置写入流:5"); // it holds the mutex now, for about 10 s

    message.enter();
    article::expect_ours_showing_the_originals(&mut message, &[0, 16, 32, 48, 64]);
    message.enter();
    assert_eq!(message.finish().code(), Some(0));
    let state = state.finish();
    assert!(
        state.stdout.iter().any(|line| line.starts_with("64\tNowTime:")),
        "{:#?}",
        state.stdout
    );
    remove_session_mutex(session); // a .NET program that died leaves it
}

/// (c) The original state service killed with kill -9 while it holds .NET's
/// mutex: ours says the holder died, and shows what it wrote.
#[test]
fn our_message_server_reports_the_original_state_service_killed_holding_the_mutex() {
    let Some(originals) = originals() else { return };
    let _names = ArticleNames::take();
    let (mut state, session, mut message) = ours_and_the_original_state_service(originals);
    message.expect_line("Start the state service");
    state.enter(); // go
    state.enter(); // its name prompt
                   // Its first record is written (then it sleeps a second, holding the mutex).
    state.expect_line("0\tNowTime:");
    let holder = state.pid();
    state.kill(); // kill -9, holding the mutex
    message.enter();
    let warning = message.expect_line("died holding the mutex");
    assert!(
        warning.contains(&holder.to_string()),
        "names the dead holder {holder}: {warning}"
    );
    for i in 0..10 {
        message.expect_line(&format!("position {i}: {i}"));
    }
    let record = message.expect_line("0\tNowTime: ");
    assert!(!record.contains("0001-01-01"), "{record}");
    message.expect_line("Test: I am the IM message service, and I have started!!!");
    message.enter();
    assert_eq!(message.finish().code(), Some(0));
    remove_session_mutex(session); // a .NET program that died leaves it
}

/// (d) Our state server killed with kill -9 while it holds .NET's mutex:
/// the original message service gets .NET's `AbandonedMutexException`.
#[test]
fn the_original_message_service_gets_abandoned_mutex_exception_when_ours_is_killed_holding_it() {
    let Some(originals) = originals() else { return };
    let _names = ArticleNames::take();
    let (mut message, session, mut state) = the_original_message_service_and_ours(originals, "600000");
    state.expect_line("64\tNowTime: "); // written; it holds the mutex for ten minutes
    message.enter(); // the original's WaitOne: it waits for ours
    state.kill();
    let message = message.finish();
    assert!(
        message
            .stderr
            .contains("System.Threading.AbandonedMutexException"),
        "stdout: {:#?}\nstderr: {}",
        message.stdout,
        message.stderr
    );
    assert_ne!(message.code(), Some(0));
    // Both users died: .NET leaves the file, as it does for any process
    // that ends without closing it.
    remove_session_mutex(session);
}

/// Removes `testmapmutex` from a login session of a test's own, and the
/// session's directory: what a .NET program that died without closing it
/// leaves behind.
fn remove_session_mutex(session: u32) {
    let dir = PathBuf::from(format!("/tmp/.dotnet/shm/session{session}"));
    let _ = fs::remove_file(dir.join("testmapmutex"));
    let _ = fs::remove_dir(dir);
}
