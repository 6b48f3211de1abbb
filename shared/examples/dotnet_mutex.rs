//! .NET's named mutex on Linux from Rust, driven by lines on stdin: the
//! twin of `tests/dotnet/MutexProbe.cs`, with the same commands and answers,
//! so the tests (`tests/dotnet_mutex.rs`) drive a Rust and a .NET process
//! alike (and kill either while it holds the mutex).
//!
//! ```text
//! open OWNED NAME    DotnetMutex::create(NAME, OWNED == 1) -> "opened created=True|False"
//! openexisting NAME  DotnetMutex::open_existing(NAME) -> "opened" | "notfound"
//! wait MS            wait_timeout(MS) (-1: wait()) -> "got" | "timeout" | "abandoned [PID]"
//! release            drop the guard -> "released"
//! close              drop the mutex -> "closed"
//! path NAME          where .NET keeps NAME for this session -> the path
//! sessions NAME      the sessions with a live NAME -> "sessions SID ..."
//! openin SID NAME    open_existing_in_session(NAME, SID) -> "opened" | "notfound"
//! exit               -> "bye"
//! ```
//! Starts with "ready PID"; errors print "error MESSAGE". Linux only.

#[cfg(target_os = "linux")]
fn main() {
    use std::io::BufRead;
    use std::time::Duration;

    use shared::os::linux::{DotnetGuard, DotnetMutex};

    println!("ready {}", std::process::id());
    let mut mutex: Option<DotnetMutex> = None;
    let mut guard: Option<DotnetGuard> = None;
    let capitalised = |yes: bool| if yes { "True" } else { "False" };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.splitn(3, ' ').collect();
        let answer = match (words.as_slice(), mutex.as_ref()) {
            (["open", owned, name], _) => match DotnetMutex::create(name, *owned == "1") {
                Ok(created) => {
                    let answer = format!("opened created={}", capitalised(created.created_new));
                    mutex = Some(created.mutex);
                    guard = created.guard;
                    answer
                }
                Err(error) => format!("error {error}"),
            },
            (["sessions", name], _) => match DotnetMutex::live_sessions(name) {
                Ok(sessions) => sessions
                    .iter()
                    .fold("sessions".to_owned(), |line, sid| format!("{line} {sid}")),
                Err(error) => format!("error {error}"),
            },
            (["openin", sid, name], _) => match sid
                .parse()
                .map_err(|_| None)
                .and_then(|sid| DotnetMutex::open_existing_in_session(name, sid).map_err(Some))
            {
                Ok(opened) => {
                    mutex = Some(opened);
                    "opened".to_owned()
                }
                Err(Some(shared::os::linux::DotnetMutexError::NotFound { .. })) => "notfound".to_owned(),
                Err(Some(error)) => format!("error {error}"),
                Err(None) => format!("error not a session id: {sid}"),
            },
            (["openexisting", name], _) => match DotnetMutex::open_existing(name) {
                Ok(opened) => {
                    mutex = Some(opened);
                    "opened".to_owned()
                }
                Err(shared::os::linux::DotnetMutexError::NotFound { .. }) => "notfound".to_owned(),
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
