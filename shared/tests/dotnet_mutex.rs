//! `os::linux::DotnetMutex` against the real .NET runtime: Microsoft's .NET
//! Core 3.1 for Linux x64 runs `tests/dotnet/MutexProbe.cs` (compiled here
//! with `mcs`), and the two sides share one named mutex both ways round,
//! abandonment included.
//!
//! Needs the runtime `scripts/dotnet/setup.sh` installs: at `$SHM_DOTNET`,
//! or at `target/dotnet` of the workspace. Without it (or without `mcs`)
//! each test prints `SKIPPED: ...` and passes, unless `SHM_REQUIRE_DOTNET=1`
//! (as `.ci/run` sets once the runtime is installed) makes that a failure.
//!
//! Every step waits for the peer's answer line (under the watchdog of
//! `common::Helper`); nothing depends on how fast a process runs.

#![cfg(target_os = "linux")] // Linux only: .NET's named mutex on Windows is the kernel's (tests/mutex.rs).

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use common::dotnet_runtime::{found_or_skipped, Runtime};
use common::{example, Helper, WATCHDOG};
use shared::os::linux::{DotnetMutex, DotnetMutexError};

/// .NET's directory of the scopes, whose `flock` is its creation lock.
const SHM_DIR: &str = "/tmp/.dotnet/shm";

/// The runtime and the compiled probe, or why the tests skip.
struct Dotnet {
    dotnet: PathBuf,
    probe: PathBuf,
}

fn dotnet() -> Option<&'static Dotnet> {
    static FOUND: OnceLock<Result<Dotnet, String>> = OnceLock::new();
    found_or_skipped(FOUND.get_or_init(find_and_compile))
}

fn find_and_compile() -> Result<Dotnet, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runtime = Runtime::find(&manifest.join(".."))?;
    let probe = runtime.compile(
        &manifest.join("tests/dotnet/MutexProbe.cs"),
        &[],
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("dotnet-mutex-probe"),
    )?;
    Ok(Dotnet {
        dotnet: runtime.dotnet,
        probe,
    })
}

/// A unique mutex name for one test.
fn unique(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "shm-test-{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A process that holds one named mutex and answers one line per command:
/// the .NET probe or our `dotnet_mutex` example (same commands, same answers).
struct Peer {
    helper: Helper,
    stdin: ChildStdin,
    pid: u32,
}

impl Peer {
    fn dotnet(dotnet: &Dotnet) -> Peer {
        let mut command = Command::new(&dotnet.dotnet);
        command
            .arg(&dotnet.probe)
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        Peer::start(command)
    }

    /// The probe in a login session of its own (`setsid`: another terminal).
    fn dotnet_in_new_session(dotnet: &Dotnet) -> Peer {
        let mut command = Command::new("setsid");
        command
            .arg(&dotnet.dotnet)
            .arg(&dotnet.probe)
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        Peer::start(command)
    }

    fn ours() -> Peer {
        Peer::start(Command::new(example("dotnet_mutex")))
    }

    fn start(mut command: Command) -> Peer {
        let mut helper = Helper::spawn(command.stdin(Stdio::piped()));
        let stdin = helper.child.stdin.take().expect("piped stdin");
        let ready = helper.line();
        let pid = ready
            .strip_prefix("ready ")
            .and_then(|pid| pid.trim().parse().ok())
            .unwrap_or_else(|| panic!("the peer's first line is not 'ready PID': {ready:?}"));
        Peer { helper, stdin, pid }
    }

    /// Sends `command` and returns the answer line.
    fn say(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("write to the peer");
        self.stdin.flush().expect("flush to the peer");
        self.helper.line()
    }

    /// kill -9, with the mutex in whatever state it is.
    fn kill(&mut self) {
        self.helper.kill();
    }
}

/// Takes .NET's creation lock as .NET does (for files a test forges).
fn creation_lock() -> File {
    let dir = File::open(SHM_DIR).expect("open /tmp/.dotnet/shm");
    dir.lock().expect("flock /tmp/.dotnet/shm");
    dir
}

/// Writes `bytes` (padded to a page) as the mutex file of `name`, as a
/// process that died would have left it, under the creation lock.
fn forge(name: &str, bytes: &[u8]) -> PathBuf {
    // Opening any mutex first makes .NET's directories.
    drop(DotnetMutex::create(&unique("dirs"), false).expect("make .NET's directories"));
    let path = DotnetMutex::path_for(name).expect("valid name");
    let lock = creation_lock();
    let dir = path.parent().expect("session directory");
    let _ = fs::DirBuilder::new().mode(0o777).create(dir);
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o777));
    let mut page = bytes.to_vec();
    page.resize(4096, 0);
    fs::write(&path, page).expect("write the forged file");
    drop(lock);
    path
}

#[test]
fn dotnet_opens_the_mutex_ours_created_and_gets_it_once_ours_releases() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("ours-first");
    let created = DotnetMutex::create(&name, true).expect("create");
    assert!(created.created_new);
    let guard = created.guard.expect("initially owned, as it was created");
    assert!(!guard.is_abandoned());
    let path = created.mutex.path().to_owned();
    // The file is in this session's directory, session<getsid>.
    assert_eq!(path, DotnetMutex::path_for(&name).expect("valid"));
    assert!(
        path.starts_with(SHM_DIR)
            && path
                .parent()
                .expect("dir")
                .file_name()
                .expect("name")
                .to_string_lossy()
                .starts_with("session")
    );
    assert_eq!(created.mutex.holder_pid(), Some(std::process::id()));

    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=False");
    assert_eq!(
        peer.say("wait 0"),
        "timeout",
        ".NET must not get the mutex ours holds"
    );
    writeln!(peer.stdin, "wait -1").expect("ask .NET to wait");
    drop(guard); // ReleaseMutex(): .NET's infinite wait ends
    assert_eq!(peer.helper.line(), "got");
    assert_eq!(
        created.mutex.holder_pid(),
        Some(peer.pid),
        ".NET wrote its pid where ours reads it"
    );
    assert!(
        created.mutex.try_wait().expect("try").is_none(),
        "ours must not get what .NET holds"
    );
    assert_eq!(peer.say("release"), "released");
    let again = created
        .mutex
        .try_wait()
        .expect("try")
        .expect("free after .NET released it");
    assert!(!again.is_abandoned());
    drop(again);
    assert_eq!(peer.say("close"), "closed");
    drop(created.mutex);
    assert!(!path.exists(), "the last user out removes the file, as .NET does");
    assert_eq!(peer.say("exit"), "bye");
}

#[test]
fn ours_times_out_while_dotnet_holds_it_and_gets_it_after_release() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("dotnet-first");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 1 {name}")), "opened created=True");
    let opened = DotnetMutex::create(&name, true).expect("open");
    assert!(
        !opened.created_new,
        "a live .NET process has it: opened, not created"
    );
    assert!(opened.guard.is_none(), "initial ownership only for the creator");
    let mutex = opened.mutex;
    assert_eq!(mutex.holder_pid(), Some(peer.pid));
    assert!(mutex.try_wait().expect("try").is_none());
    assert!(
        mutex
            .wait_timeout(Duration::from_millis(100))
            .expect("wait")
            .is_none(),
        "timed out: .NET holds it until told to release"
    );
    assert_eq!(peer.say("release"), "released");
    let guard = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("free once .NET released it");
    assert!(!guard.is_abandoned());
    assert_eq!(peer.say("wait 0"), "timeout", "ours holds it now");
    drop(guard);
    assert_eq!(peer.say("wait 0"), "got");
    assert_eq!(peer.say("release"), "released");
    // Ours opened it: OpenExisting works the other way round too.
    let mut second = Peer::dotnet(dotnet);
    assert_eq!(second.say(&format!("openexisting {name}")), "opened");
    assert_eq!(second.say("exit"), "bye");
    assert_eq!(peer.say("exit"), "bye");
    assert!(
        peer.helper.finish() && second.helper.finish(),
        ".NET exits cleanly"
    );
    let path = mutex.path().to_owned();
    drop(mutex);
    assert!(!path.exists(), "ours was the last user: it removed the file");
}

#[test]
fn ours_reports_abandoned_when_the_dotnet_holder_is_killed() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("dotnet-dies");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 1 {name}")), "opened created=True");
    let mutex = DotnetMutex::open_existing(&name).expect("open what .NET created");
    let dead = peer.pid;
    peer.kill();
    let guard = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("the dead holder's mutex");
    assert!(guard.is_abandoned(), "EOWNERDEAD: the holder died holding it");
    assert_eq!(guard.abandoned_by(), Some(dead));
    drop(guard);
    let guard = mutex.try_wait().expect("try").expect("free");
    assert!(
        !guard.is_abandoned(),
        "made consistent: the next acquisition is clean"
    );
}

#[test]
fn ours_reports_abandoned_when_a_dotnet_thread_ends_holding_it() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("thread-ends");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=True");
    let mutex = DotnetMutex::open_existing(&name).expect("open what .NET created");
    // .NET releases it for the thread, and sets the is-abandoned byte (64).
    assert_eq!(peer.say("threadhold"), "thread ended");
    assert_eq!(mutex.holder_pid(), None, "the owner fields were cleared");
    let guard = mutex
        .try_wait()
        .expect("try")
        .expect("released by .NET at the thread's end");
    assert!(guard.is_abandoned(), "the abandoned byte is reported");
    assert_eq!(guard.abandoned_by(), None, "no process died");
    drop(guard);
    assert!(
        !mutex.try_wait().expect("try").expect("free").is_abandoned(),
        "and cleared"
    );
    assert_eq!(peer.say("exit"), "bye");
    assert!(peer.helper.finish(), ".NET exits cleanly");
}

#[test]
fn dotnet_gets_abandoned_mutex_exception_when_ours_is_killed_holding_it() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("ours-dies");
    let mut ours = Peer::ours();
    assert_eq!(ours.say(&format!("open 1 {name}")), "opened created=True");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=False");
    assert_eq!(peer.say("wait 0"), "timeout");
    ours.kill();
    assert_eq!(
        peer.say("wait -1"),
        "abandoned",
        "AbandonedMutexException in .NET"
    );
    assert_eq!(
        peer.say("release"),
        "released",
        ".NET owned it after the exception"
    );
    assert_eq!(peer.say("wait 0"), "got", "and the next acquisition is clean");
    assert_eq!(peer.say("release"), "released");
    assert_eq!(peer.say("exit"), "bye");
    assert!(
        peer.helper.finish(),
        ".NET exits cleanly (and, the last user, removes the file)"
    );
    assert!(!DotnetMutex::path_for(&name).expect("valid").exists());
}

#[test]
fn global_names_land_in_the_global_directory_and_local_is_the_session() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("scoped");
    let global = DotnetMutex::create(&format!("Global\\{name}"), false).expect("create global");
    assert_eq!(global.mutex.path(), Path::new(SHM_DIR).join("global").join(&name));
    assert!(global.mutex.path().exists());
    let local = DotnetMutex::create(&format!("Local\\{name}"), false).expect("create local");
    assert!(local.created_new, "Global\\ and the session are two scopes");
    assert_eq!(local.mutex.path(), DotnetMutex::path_for(&name).expect("valid"));

    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(
        peer.say(&format!("open 0 Global\\{name}")),
        "opened created=False"
    );
    assert_eq!(peer.say("close"), "closed");
    assert_eq!(
        peer.say(&format!("open 0 {name}")),
        "opened created=False",
        "a plain name is Local\\"
    );
    assert_eq!(peer.say("exit"), "bye");
}

#[test]
fn a_plain_name_is_per_session_and_another_session_can_be_opened_on_purpose() {
    let Some(dotnet) = dotnet() else { return };
    if Command::new("setsid")
        .arg("true")
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("SKIPPED: no setsid (util-linux) to start .NET in another session");
        return;
    }
    let name = unique("session");
    // A .NET program in another terminal: a session of its own, whose id
    // is its pid (setsid makes it the session leader).
    let mut peer = Peer::dotnet_in_new_session(dotnet);
    assert_eq!(peer.say(&format!("open 1 {name}")), "opened created=True");
    let theirs = Path::new(SHM_DIR)
        .join(format!("session{}", peer.pid))
        .join(&name);
    assert!(theirs.exists(), "{} should exist", theirs.display());
    assert!(
        matches!(
            DotnetMutex::open_existing(&name),
            Err(DotnetMutexError::NotFound { .. })
        ),
        "not in this session, as for a .NET program here"
    );
    assert_eq!(DotnetMutex::live_sessions(&name).expect("look"), vec![peer.pid]);
    let mutex = DotnetMutex::open_existing_in_session(&name, peer.pid).expect("open theirs");
    assert_eq!(mutex.path(), theirs);
    assert_eq!(mutex.holder_pid(), Some(peer.pid));
    assert!(
        mutex.try_wait().expect("try").is_none(),
        "one mutex: theirs, held"
    );
    let dead = peer.pid;
    peer.kill();
    let guard = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("the dead holder's");
    assert_eq!((guard.is_abandoned(), guard.abandoned_by()), (true, Some(dead)));
    drop(guard);
    drop(mutex);
    assert!(
        !theirs.exists(),
        "the last user removed it, in their session's directory"
    );
}

#[test]
fn a_file_nobody_holds_is_initialised_again_and_a_live_one_never() {
    let Some(dotnet) = dotnet() else { return };
    // Left by a process that died holding it: locked by a dead thread, owner
    // fields set, and even another version byte. Nobody holds LOCK_SH on it.
    let name = unique("stale");
    let mut left = vec![0u8, 7, 0, 0, 0, 0, 0, 0];
    left.extend_from_slice(&[0xAB; 64]);
    let path = forge(&name, &left);
    let created = DotnetMutex::create(&name, true).expect("create over a stale file");
    assert!(created.created_new, "a file without users is stale: created anew");
    let guard = created.guard.expect("initially owned");
    assert!(!guard.is_abandoned(), "a new mutex, not the dead one");
    let bytes = fs::read(&path).expect("read");
    assert_eq!(&bytes[..2], &[0, 1], "type 0, version 1");
    assert_eq!(bytes.len(), 4096);
    // .NET agrees it is live and ours.
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=False");
    assert_eq!(peer.say("wait 0"), "timeout");
    drop(guard);
    assert_eq!(peer.say("wait 0"), "got");
    // A live file is never initialised again: ours opens what .NET holds.
    let live = DotnetMutex::create(&name, true).expect("open the live file");
    assert!(!live.created_new && live.guard.is_none());
    assert_eq!(
        live.mutex.holder_pid(),
        Some(peer.pid),
        "the holder is still recorded"
    );
    assert!(
        live.mutex.try_wait().expect("try").is_none(),
        "and still holds it"
    );
    assert_eq!(peer.say("release"), "released");
    assert_eq!(peer.say("exit"), "bye");
    assert!(peer.helper.finish(), ".NET exits cleanly");
    drop((live, created.mutex));
    assert!(!path.exists());
}

#[test]
fn a_live_file_of_another_version_is_refused_and_left_alone() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("version");
    let mut other = vec![0u8, 2, 0, 0, 0, 0, 0, 0];
    other.extend_from_slice(&[0x5A; 64]);
    let path = forge(&name, &other);
    // A live user of that other version: it holds LOCK_SH, as .NET's users do.
    let user = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open");
    user.lock_shared().expect("LOCK_SH");
    let before = fs::read(&path).expect("read");
    match DotnetMutex::create(&name, false) {
        Err(error @ DotnetMutexError::LayoutMismatch { .. }) => {
            let message = error.to_string();
            assert!(message.contains("version 2"), "{message}");
            assert!(message.contains("use another name"), "{message}");
        }
        other => panic!("expected LayoutMismatch, got {other:?}"),
    }
    assert_eq!(fs::read(&path).expect("read"), before, "left exactly as it was");
    // .NET refuses it too.
    let mut peer = Peer::dotnet(dotnet);
    let answer = peer.say(&format!("open 0 {name}"));
    assert!(answer.starts_with("error "), ".NET also refuses it: {answer}");
    assert_eq!(peer.say("exit"), "bye");
    assert_eq!(fs::read(&path).expect("read"), before);
    drop(user);
    let lock = creation_lock();
    let _ = fs::remove_file(&path);
    drop(lock);
}

#[test]
fn open_existing_finds_only_a_live_mutex() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("existing");
    assert!(matches!(
        DotnetMutex::open_existing(&name),
        Err(DotnetMutexError::NotFound { .. })
    ));
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("openexisting {name}")), "notfound");
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=True");
    let opened = DotnetMutex::open_existing(&name).expect("open what .NET created");
    let path = opened.path().to_owned();
    assert_eq!(peer.say("exit"), "bye");
    assert!(peer.helper.finish(), ".NET exits cleanly");
    assert!(path.exists(), "ours still uses it: .NET's exit left the file");
    drop(opened);
    assert!(!path.exists());
    // A file its users all left (killed) is stale: OpenExisting finds nothing
    // and removes it, in both.
    let stale = forge(&name, &[0, 1]);
    assert!(matches!(
        DotnetMutex::open_existing(&name),
        Err(DotnetMutexError::NotFound { .. })
    ));
    assert!(!stale.exists());
}

#[test]
fn handles_go_to_other_threads_but_guards_stay_on_theirs() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<DotnetMutex>();
    send_and_sync::<DotnetMutexError>();
    // Two threads of one process exclude each other, as two .NET threads do.
    let name = unique("threads");
    let mutex = DotnetMutex::create(&name, false).expect("create").mutex;
    let held = mutex.try_wait().expect("try").expect("free");
    let other = mutex.clone();
    let waited = common::within("the other thread's try", move || {
        other
            .try_wait()
            .map(|got| got.is_some())
            .map_err(|e| e.to_string())
    });
    assert_eq!(
        waited,
        Ok(false),
        "another thread must not get what this one holds"
    );
    assert!(matches!(
        mutex.try_wait(),
        Err(DotnetMutexError::AlreadyOwned { .. })
    ));
    drop(held);
    let other = mutex.clone();
    let waited = common::within("the other thread's wait", move || {
        other
            .wait_timeout(WATCHDOG)
            .map(|got| got.is_some())
            .map_err(|e| e.to_string())
    });
    assert_eq!(waited, Ok(true));
}

/// `NamedMutex` of the .NET kind, in this session, for the unique `name`.
fn named_dotnet(name: &str) -> shared::MutexOptions {
    use shared::os::linux::{DotnetScope, MutexOptionsExt};
    let name = shared::RegionName::new(name).expect("a valid name");
    shared::MutexOptions::named(&name).dotnet(DotnetScope::ThisSession)
}

#[test]
fn a_named_mutex_of_the_dotnet_kind_is_the_mutex_a_dotnet_program_holds() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("named-kind");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 1 {name}")), "opened created=True");
    let created = named_dotnet(&name).create(true).expect("open what .NET created");
    assert!(!created.created_new, ".NET created it");
    assert!(created.guard.is_none(), "initial ownership only for its creator");
    let mutex = created.mutex;
    assert_eq!(mutex.path(), DotnetMutex::path_for(&name).expect("valid"));
    assert_eq!(
        mutex.holder_pid(),
        Some(peer.pid),
        ".NET wrote its pid as the owner"
    );
    assert!(mutex.try_wait().expect("try").is_none(), ".NET holds it");
    assert!(
        mutex
            .wait_timeout(Duration::from_millis(20))
            .expect("wait")
            .is_none(),
        "a bounded wait ends while .NET holds it"
    );
    assert_eq!(peer.say("release"), "released");
    let held = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("released by .NET");
    assert!(!held.is_abandoned());
    assert_eq!(mutex.holder_pid(), Some(std::process::id()));
    assert_eq!(peer.say("wait 0"), "timeout", "ours holds it now, for .NET too");
    drop(held); // ReleaseMutex()
    assert_eq!(peer.say("wait 0"), "got");
    assert_eq!(peer.say("release"), "released");
    assert_eq!(peer.say("exit"), "bye");
    assert!(peer.helper.finish());
    drop(mutex);
    assert!(
        !DotnetMutex::path_for(&name).expect("valid").exists(),
        "the last user removed it"
    );
}

#[test]
fn a_named_mutex_of_the_dotnet_kind_reports_a_dead_dotnet_holder_with_its_pid() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("named-dies");
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 1 {name}")), "opened created=True");
    let mutex = named_dotnet(&name)
        .open_existing()
        .expect("open what .NET created");
    let dead = peer.pid;
    peer.kill();
    let acquired = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("the dead holder's mutex");
    assert!(acquired.is_abandoned(), "EOWNERDEAD");
    assert_eq!(acquired.abandoned_by(), Some(dead));
    drop(acquired);
    assert!(!mutex.try_wait().expect("try").expect("free").is_abandoned());
}

#[test]
fn a_named_mutex_of_the_dotnet_kind_is_created_owned_and_open_existing_needs_a_live_one() {
    if dotnet().is_none() {
        return;
    }
    let name = unique("named-own");
    assert!(matches!(
        named_dotnet(&name)
            .open_existing()
            .expect_err("nobody has it")
            .failure(),
        shared::Failure::NotFound { .. }
    ));
    let created = named_dotnet(&name).create(true).expect("create");
    assert!(created.created_new && created.guard.is_some());
    let again = named_dotnet(&name).open_existing().expect("open the live one");
    // This thread owns it: a second wait by the owner is refused, not a deadlock.
    assert!(matches!(
        again
            .wait_timeout(Duration::ZERO)
            .expect_err("owned by this thread")
            .failure(),
        shared::Failure::AlreadyOwned { .. }
    ));
    let other = std::thread::spawn({
        let again = again.clone();
        move || again.try_wait().expect("try").is_none()
    });
    assert!(other.join().expect("thread"), "another thread finds it held");
    drop(created.guard);
    assert!(again.try_wait().expect("try").is_some(), "free once released");
}

#[test]
fn opening_a_dotnet_mutex_waits_for_dotnets_creation_lock_only_as_long_as_the_timeout() {
    if dotnet().is_none() {
        return;
    }
    let name = unique("creation-lock");
    drop(
        named_dotnet(&unique("dirs"))
            .create(false)
            .expect("make .NET's directories"),
    );
    let held = creation_lock();
    let error = named_dotnet(&name)
        .timeout(Duration::from_millis(50))
        .create(false)
        .expect_err("the creation lock is held");
    // The holder is named: this process holds the lock.
    assert!(
        matches!(error.failure(), shared::Failure::TimedOut { holder, .. } if *holder == Some(std::process::id())),
        "{error}"
    );
    drop(held);
    drop(named_dotnet(&name).create(false).expect("free again"));
}

#[test]
fn a_process_that_exits_with_the_mutex_open_still_closes_its_file_as_dotnet_does() {
    if dotnet().is_none() {
        return;
    }
    let name = unique("exits-open");
    let path = DotnetMutex::path_for(&name).expect("valid");
    let mut ours = Peer::ours();
    assert_eq!(ours.say(&format!("open 1 {name}")), "opened created=True");
    assert!(path.exists());
    // std::process::exit: no destructor runs, the exit hook closes the file.
    assert_eq!(ours.say("quit"), "bye");
    assert!(ours.helper.finish());
    assert!(!path.exists(), "the last user's exit removed {}", path.display());
    assert!(
        DotnetMutex::open_existing(&name).is_err(),
        "nobody has it open any more"
    );
}

#[test]
fn a_process_leaving_on_a_signal_while_it_holds_the_mutex_closes_its_file_as_dotnet_does() {
    let Some(dotnet) = dotnet() else { return };
    let name = unique("leaves-holding");
    let path = DotnetMutex::path_for(&name).expect("valid");
    let mut ours = Peer::ours();
    // Created owned: it holds the mutex.
    assert_eq!(ours.say(&format!("open 1 {name}")), "opened created=True");
    // exit_closing_regions, as the programs' signal handler calls it: the
    // guard is never dropped, the exit closes the file.
    assert_eq!(ours.say("leave"), "bye");
    assert!(ours.helper.finish());
    assert!(
        !path.exists(),
        "the last user's leaving removed {}",
        path.display()
    );
    // .NET, the next to create it, finds a new mutex: nothing abandoned.
    let mut peer = Peer::dotnet(dotnet);
    assert_eq!(peer.say(&format!("open 0 {name}")), "opened created=True");
    assert_eq!(peer.say("wait 0"), "got");
    assert_eq!(peer.say("exit"), "bye");
    // .NET's own exit closes its file (a kill would leave it).
    assert!(peer.helper.finish(), ".NET exits cleanly");
    assert!(!path.exists(), "{} left", path.display());
}

#[test]
fn a_forked_child_that_closes_its_copy_leaves_the_parents_dotnet_mutex_alone() {
    let name = unique("fork-close");
    let path = DotnetMutex::path_for(&name).expect("valid");
    let mut ours = Peer::ours();
    assert_eq!(ours.say(&format!("open 0 {name}")), "opened created=True");
    // The child's close once dropped the parent's LOCK_SH (one open file
    // description), found itself the last user and removed the file.
    assert_eq!(ours.say("forkclose"), "kept");
    assert_eq!(ours.say("exit"), "bye");
    assert!(ours.helper.finish());
    assert!(!path.exists(), "the parent, the last user, removes it");
}

#[test]
fn a_close_still_waiting_for_the_creation_lock_ends_before_the_process_leaves() {
    let name = unique("drop-leave");
    let path = DotnetMutex::path_for(&name).expect("valid");
    let mut ours = Peer::ours();
    assert_eq!(ours.say(&format!("open 0 {name}")), "opened created=True");
    // Its close, on another thread, waits for .NET's creation lock while
    // the process leaves: the leaving waits for that close, which ends once
    // the lock is free. It used to end the process in the middle of it.
    let held = creation_lock();
    assert_eq!(ours.say("dropleave"), "leaving");
    drop(held);
    assert!(ours.helper.finish());
    assert!(!path.exists(), "{} left", path.display());
}

/// A login session nobody has, unique to this test: its directory is the
/// test's own to plant things in.
fn planted_session(label: u32) -> (u32, PathBuf) {
    // Opening any mutex first makes .NET's directories.
    drop(DotnetMutex::create(&unique("dirs"), false).expect("make .NET's directories"));
    let session = 3_000_000_000 + std::process::id() % 100_000 * 10 + label;
    let dir = Path::new(SHM_DIR).join(format!("session{session}"));
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_file(&dir);
    (session, dir)
}

fn in_session(name: &str, session: u32) -> shared::MutexOptions {
    use shared::os::linux::{DotnetScope, MutexOptionsExt};
    let name = shared::RegionName::new(name).expect("a valid name");
    shared::MutexOptions::named(&name).dotnet(DotnetScope::Session(session))
}

#[test]
fn a_symbolic_link_at_the_mutex_path_is_refused_and_its_target_left_alone() {
    let (session, dir) = planted_session(1);
    fs::DirBuilder::new()
        .mode(0o777)
        .create(&dir)
        .expect("session dir");
    let victim = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("victim-{}", std::process::id()));
    fs::write(&victim, b"precious").expect("victim");
    let name = unique("symlinked");
    std::os::unix::fs::symlink(&victim, dir.join(&name)).expect("plant the link");
    let error = in_session(&name, session)
        .create(true)
        .expect_err("a link is never followed");
    assert!(
        matches!(error.failure(), shared::Failure::NotOurs { .. }),
        "{error}"
    );
    assert_eq!(
        fs::read(&victim).expect("victim"),
        b"precious",
        "the target was not written"
    );
    assert!(
        dir.join(&name).symlink_metadata().is_ok(),
        "the link was left where it was"
    );
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_file(&victim);
}

#[test]
fn a_fifo_at_the_mutex_path_is_refused_at_once_and_looking_for_sessions_never_blocks_on_it() {
    let (session, dir) = planted_session(2);
    fs::DirBuilder::new()
        .mode(0o777)
        .create(&dir)
        .expect("session dir");
    let name = unique("fifo");
    let fifo = dir.join(&name);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let error = in_session(&name, session)
        .create(false)
        .expect_err("a FIFO is no mutex");
    assert!(
        matches!(error.failure(), shared::Failure::NotOurs { .. }),
        "{error}"
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let looked_for = name.clone();
    std::thread::spawn(move || {
        let _ = tx.send(DotnetMutex::live_sessions(&looked_for));
    });
    let sessions = rx
        .recv_timeout(WATCHDOG)
        .expect("live_sessions returned")
        .expect("read");
    assert!(!sessions.contains(&session), "{sessions:?}");
    assert!(fifo.symlink_metadata().is_ok(), "another's FIFO is left alone");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_symbolic_link_as_session_directory_is_never_followed_or_opened_to_all() {
    let (session, dir) = planted_session(3);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("victim-dir-{}", std::process::id()));
    let _ = fs::remove_dir_all(&target);
    fs::DirBuilder::new()
        .mode(0o755)
        .create(&target)
        .expect("target dir");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).expect("0755");
    std::os::unix::fs::symlink(&target, &dir).expect("plant the link");
    let error = in_session(&unique("dirlink"), session)
        .create(false)
        .expect_err("a linked session directory is refused");
    let mode = fs::metadata(&target).expect("target").permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "the target was not opened to all users ({error})");
    assert_eq!(
        fs::read_dir(&target).expect("target").count(),
        0,
        "nothing made in it"
    );
    let _ = fs::remove_file(&dir);
    let _ = fs::remove_dir_all(&target);
}

#[test]
fn a_mutex_file_shortened_by_another_process_fails_every_wait_instead_of_excluding_nobody() {
    let name = unique("shortened");
    let mut holder = Peer::ours();
    assert_eq!(holder.say(&format!("open 1 {name}")), "opened created=True");
    let mutex = named_dotnet(&name).open_existing().expect("open the held mutex");
    assert!(mutex.try_wait().expect("try").is_none(), "held by the peer");
    // Another process (here: this one, through the path) shortens the file.
    OpenOptions::new()
        .write(true)
        .open(mutex.path())
        .expect("open the file")
        .set_len(0)
        .expect("truncate");
    let error = mutex.try_wait().expect_err("the mutex excludes nobody now");
    assert!(
        error.to_string().contains("shortened by another process"),
        "{error}"
    );
    assert!(
        mutex.wait_timeout(Duration::from_millis(10)).is_err(),
        "and stays refused"
    );
    let path = mutex.path().to_owned();
    drop(mutex);
    assert_eq!(holder.say("exit"), "bye");
    let exited = holder.helper.finish();
    // The shortened file is a stale one now, as .NET leaves a file its
    // users lost: the next create makes it anew. This test's own: removed.
    let _ = fs::remove_file(&path);
    assert!(
        exited,
        "the holder exited cleanly, its mutex file shortened under it"
    );
}
