//! .NET's named mutex on Linux from Rust, as a [`shared::NamedMutex`] of the
//! .NET kind (`MutexOptionsExt::dotnet`), driven by lines on stdin: the twin
//! of `tests/dotnet/MutexProbe.cs`, with the same commands and answers, so
//! the tests (`tests/dotnet_mutex.rs`) drive a Rust and a .NET process alike
//! (and kill either while it holds the mutex).
//!
//! ```text
//! open OWNED NAME    new Mutex(OWNED == 1, NAME, out created) -> "opened created=True|False"
//! openexisting NAME  Mutex.OpenExisting(NAME) -> "opened" | "notfound"
//! wait MS            WaitOne(MS) (-1: forever) -> "got" | "timeout" | "abandoned [PID]"
//! release            ReleaseMutex() -> "released"
//! close              drop the mutex -> "closed"
//! path NAME          where .NET keeps NAME for this session -> the path
//! sessions NAME      the sessions with a live NAME -> "sessions SID ..."
//! openin SID NAME    OpenExisting(NAME) in login session SID -> "opened" | "notfound"
//! exit               -> "bye"
//! quit               std::process::exit(0) with everything still open -> "bye"
//! leave              exit_closing_regions(0), as a signal handler leaves -> "bye"
//! forkclose          fork; the child closes its copy and exits -> "kept" | "removed"
//!                    (whether the file is still there for this process)
//! dropleave          close the mutex on another thread, and 50 ms later (its
//!                    close still waiting, say, for the creation lock) leave
//!                    with exit_closing_regions(0) -> "leaving"
//! ```
//! NAME is .NET's: `Global\NAME` is the machine's, `Local\NAME` or a plain
//! name this login session's. Starts with "ready PID"; errors print
//! "error MESSAGE". Linux only.

#[cfg(target_os = "linux")]
fn main() {
    use std::io::BufRead;
    use std::time::Duration;

    use shared::os::linux::{DotnetMutex, DotnetScope, MutexOptionsExt};
    use shared::{Acquired, Failure, MutexOptions, NamedMutex, ObjectError, RegionName};

    /// The options for .NET's `name` in `scope` (its prefix, if any, decides).
    fn options(name: &str, session: Option<u32>) -> Result<MutexOptions, String> {
        let (scope, bare) = match (name.strip_prefix("Global\\"), name.strip_prefix("Local\\")) {
            (Some(bare), _) => (DotnetScope::Global, bare),
            (_, Some(bare)) => (DotnetScope::ThisSession, bare),
            _ => (DotnetScope::ThisSession, name),
        };
        let scope = session.map_or(scope, DotnetScope::Session);
        let name = RegionName::new(bare).map_err(|error| error.to_string())?;
        Ok(MutexOptions::named(&name).dotnet(scope))
    }

    fn opened(result: Result<NamedMutex, ObjectError>, mutex: &mut Option<NamedMutex>) -> String {
        match result {
            Ok(opened) => {
                *mutex = Some(opened);
                "opened".to_owned()
            }
            Err(error) if matches!(error.failure(), Failure::NotFound { .. }) => "notfound".to_owned(),
            Err(error) => format!("error {error}"),
        }
    }

    println!("ready {}", std::process::id());
    let mut mutex: Option<NamedMutex> = None;
    let mut guard: Option<Acquired> = None;
    let capitalised = |yes: bool| if yes { "True" } else { "False" };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.splitn(3, ' ').collect();
        let answer = match (words.as_slice(), mutex.as_ref()) {
            (["open", owned, name], _) => match options(name, None).map(|o| o.create(*owned == "1")) {
                Ok(Ok(created)) => {
                    let answer = format!("opened created={}", capitalised(created.created_new));
                    mutex = Some(created.mutex);
                    guard = created.guard.map(Acquired::Owned);
                    answer
                }
                Ok(Err(error)) => format!("error {error}"),
                Err(error) => format!("error {error}"),
            },
            (["openexisting", name], _) => match options(name, None) {
                Ok(options) => opened(options.open_existing(), &mut mutex),
                Err(error) => format!("error {error}"),
            },
            (["openin", sid, name], _) => match sid.parse().map(|sid| options(name, Some(sid))) {
                Ok(Ok(options)) => opened(options.open_existing(), &mut mutex),
                Ok(Err(error)) => format!("error {error}"),
                Err(_) => format!("error not a session id: {sid}"),
            },
            (["sessions", name], _) => match DotnetMutex::live_sessions(name) {
                Ok(sessions) => sessions
                    .iter()
                    .fold("sessions".to_owned(), |line, sid| format!("{line} {sid}")),
                Err(error) => format!("error {error}"),
            },
            (["wait", ms], Some(mutex)) => {
                let waited = match ms.parse::<i64>() {
                    Ok(ms) if ms < 0 => mutex.wait().map(Some),
                    Ok(ms) => mutex.wait_timeout(Duration::from_millis(ms.unsigned_abs())),
                    Err(_) => Ok(None),
                };
                match waited {
                    Ok(Some(got)) => {
                        let answer = match (got.is_abandoned(), got.abandoned_by()) {
                            (false, _) => "got".to_owned(),
                            (true, Some(pid)) => format!("abandoned {pid}"),
                            (true, None) => "abandoned".to_owned(),
                        };
                        guard = Some(got);
                        answer
                    }
                    Ok(None) => "timeout".to_owned(),
                    Err(error) => format!("error {error}"),
                }
            }
            (["release"], _) => match guard.take() {
                Some(_) => "released".to_owned(),
                None => "error not owned".to_owned(),
            },
            (["close"], _) => {
                guard = None;
                mutex = None;
                "closed".to_owned()
            }
            (["path", name], _) => match DotnetMutex::path_for(name) {
                Ok(path) => path.display().to_string(),
                Err(error) => format!("error {error}"),
            },
            (["exit"], _) => {
                println!("bye");
                return;
            }
            (["quit"], _) => {
                println!("bye");
                std::process::exit(0); // no destructor runs
            }
            (["forkclose"], Some(open)) => {
                let path = open.path().to_owned();
                // SAFETY: this process has one thread; the child only drops
                // its copies and leaves with `_exit`, running no exit hooks.
                let child = unsafe { libc::fork() };
                if child == 0 {
                    drop(guard.take());
                    drop(mutex.take());
                    // SAFETY: ends the child at once, as a forked child should.
                    unsafe { libc::_exit(0) };
                }
                let mut status = 0;
                // SAFETY: waits for the child just forked; `status` is a valid out-pointer.
                unsafe { libc::waitpid(child, &mut status, 0) };
                if path.exists() { "kept" } else { "removed" }.to_owned()
            }
            (["dropleave"], Some(_)) => {
                drop(guard.take());
                let open = mutex.take();
                std::thread::spawn(move || drop(open));
                std::thread::sleep(Duration::from_millis(50));
                println!("leaving");
                shared::exit_closing_regions(0);
            }
            (["leave"], _) => {
                println!("bye");
                shared::exit_closing_regions(0); // as a signal handler leaves
            }
            _ => format!("error unknown command or no mutex open: {line}"),
        };
        println!("{answer}");
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("dotnet_mutex: .NET's named mutex is matched on Linux only (on Windows, NamedMutex is the kernel's, the one .NET uses)");
    std::process::exit(2);
}
