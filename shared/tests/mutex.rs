//! The stand-alone named mutex (.NET `System.Threading.Mutex`) across real
//! processes, on every platform: atomic create-and-own, blocking until
//! release, abandonment (with the holder's pid where the system knows it),
//! no self-deadlock, and nothing left with its last user. What only Linux
//! has (the lock file and its companion in the directory, the holder's pid)
//! is checked on Linux.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use shared::{Acquired, Failure, MutexOptions};

/// `open_existing` of the mutex `name` in `dir`, which must be
/// [`Failure::NotFound`]; the error, for more checks.
fn not_found(name: &shared::RegionName, dir: &std::path::Path) -> shared::ObjectError {
    let error = MutexOptions::named(name)
        .in_dir(dir)
        .open_existing()
        .expect_err("no such mutex");
    assert!(matches!(error.failure(), Failure::NotFound { .. }), "{error:?}");
    error
}

#[test]
fn create_owned_returns_created_new_and_the_guard_and_a_second_process_waits_for_the_release() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("owned");
    let created = MutexOptions::named(&name)
        .in_dir(dir.path())
        .create(true)
        .expect("create");
    assert!(created.created_new);
    let guard = created.guard.expect("the creator owns it");
    assert_eq!(guard.mutex_name(), name.as_str());
    assert_eq!(created.mutex.name(), name.as_str());
    assert_eq!(created.mutex.holder_pid(), pid_if_known(std::process::id()));
    #[cfg(target_os = "linux")]
    {
        assert_eq!(created.mutex.path(), dir.path().join(name.as_str()));
        assert_eq!(entries(dir.path()), object_files(name.as_str()));
    }

    let mut other =
        Helper::spawn(Command::new(helper_path()).args(["mutex-wait", name.as_str(), arg(dir.path())]));
    assert_eq!(
        other.line(),
        format!(
            "created_new=false guard=false holder={:?}",
            pid_if_known(std::process::id())
        ),
        "the second create(true) only opens it"
    );
    assert_eq!(other.line(), "ready");
    assert_eq!(
        other.line_within(Duration::from_millis(300)),
        None,
        "its wait blocks while this process owns the mutex"
    );
    drop(guard);
    assert_eq!(other.line(), "acquired abandoned_by=None", "a clean release");
    assert!(other.finish());
    match within("wait after the other process released", move || {
        created.mutex.wait().map(|a| a.abandoned_by())
    }) {
        Ok(None) => {}
        other => panic!("expected a clean acquisition, got {other:?}"),
    }
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "the last user removed its files"
    );
}

#[test]
fn open_existing_of_a_missing_mutex_is_not_found_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("nomutex");
    let error = not_found(&name, dir.path());
    assert!(
        error.to_string().contains(name.as_str()),
        "the message names the mutex: {error}"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    let created = MutexOptions::named(&name)
        .in_dir(dir.path())
        .create(false)
        .expect("create");
    assert!(
        created.created_new && created.guard.is_none(),
        "create(false) owns nothing"
    );
    let opened = MutexOptions::named(&name)
        .in_dir(dir.path())
        .open_existing()
        .expect("now it exists");
    assert_eq!(opened.path(), created.mutex.path());
    assert_eq!(opened.name(), name.as_str());
}

#[test]
fn a_wait_by_the_owner_is_already_owned_instead_of_a_deadlock() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("selfwait");
    let created = MutexOptions::named(&name)
        .in_dir(dir.path())
        .create(true)
        .expect("create");
    drop(created.guard.expect("owned"));
    let mutex = created.mutex;
    let again = MutexOptions::named(&name)
        .in_dir(dir.path())
        .open_existing()
        .expect("a second handle");
    // Ownership is the acquiring thread's: the waits below run on it, and
    // the guard (not `Send`) is dropped there.
    let (mutex, again) = within("a wait by the owner", move || {
        let guard = mutex.try_wait().expect("free").expect("taken").into_guard();
        assert!(matches!(mutex.wait().failed(), Err(Failure::AlreadyOwned { .. })));
        assert!(matches!(
            mutex.try_wait().failed(),
            Err(Failure::AlreadyOwned { .. })
        ));
        assert!(matches!(
            mutex.wait_timeout(Duration::from_secs(60)).failed(),
            Err(Failure::AlreadyOwned { .. })
        ));
        assert!(
            matches!(again.wait().failed(), Err(Failure::AlreadyOwned { .. })),
            "another handle in the owning thread too"
        );
        drop(guard);
        (mutex, again)
    });
    let owned = within("a wait after the release", move || {
        let acquired = again.wait().expect("free again");
        drop(mutex);
        matches!(acquired, Acquired::Owned(_))
    });
    assert!(owned);
}

#[test]
fn a_holder_killed_with_kill_9_leaves_an_abandoned_mutex_with_its_pid() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("abandoned");
    let mut helper = Helper::start(&["mutex-hold", name.as_str(), arg(dir.path())]);
    let mutex = MutexOptions::named(&name)
        .in_dir(dir.path())
        .open_existing()
        .expect("open");
    assert_eq!(mutex.holder_pid(), pid_if_known(helper.pid()));
    assert!(mutex.try_wait().expect("try").is_none(), "held by the helper");
    let pid = helper.pid();
    helper.kill();
    let acquired = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("the kernel released it");
    assert!(acquired.is_abandoned());
    assert_eq!(acquired.abandoned_by(), pid_if_known(pid));
    assert!(matches!(acquired, Acquired::Abandoned { holder_pid, .. } if holder_pid == pid_if_known(pid)));
    assert_eq!(mutex.holder_pid(), pid_if_known(std::process::id()));
    drop(acquired);
    assert_eq!(mutex.holder_pid(), None);
    let next = mutex.try_wait().expect("try").expect("free");
    assert!(
        matches!(next, Acquired::Owned(_)),
        "a clean release is not abandoned"
    );
    drop(next);
    drop(mutex);
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "the last user removed its files"
    );
}

#[test]
fn the_mutex_files_go_with_the_last_user_even_when_it_was_killed() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("lastmutex");
    let mut helper = Helper::start(&["mutex-hold", name.as_str(), arg(dir.path())]);
    let mutex = MutexOptions::named(&name)
        .in_dir(dir.path())
        .open_existing()
        .expect("open");
    drop(mutex);
    #[cfg(target_os = "linux")]
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "the helper still uses it"
    );
    helper.kill();
    #[cfg(target_os = "linux")]
    assert_eq!(
        entries(dir.path()),
        object_files(name.as_str()),
        "killed: no clean-up ran..."
    );
    not_found(&name, dir.path()); // ...but it counts as gone
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "and was cleaned");
    let created = MutexOptions::named(&name)
        .in_dir(dir.path())
        .create(true)
        .expect("fresh");
    assert!(created.created_new && created.guard.is_some());
    assert_eq!(
        created.mutex.holder_pid(),
        pid_if_known(std::process::id()),
        "no stale holder"
    );
}

#[test]
fn eight_processes_creating_an_owned_mutex_at_once_make_one_creator_that_owns_it_first() {
    const PROCESSES: usize = 8;
    const ROUNDS: usize = 5;
    let dir = tempfile::tempdir().expect("dir");
    for round in 0..ROUNDS {
        let name = unique("mrace");
        let marks = tempfile::tempdir().expect("marks dir");
        let count = PROCESSES.to_string();
        let children: Vec<_> = (0..PROCESSES)
            .map(|i| {
                Command::new(helper_path())
                    .args([
                        "mutex-race",
                        name.as_str(),
                        arg(dir.path()),
                        arg(marks.path()),
                        &i.to_string(),
                        &count,
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn helper")
            })
            .collect();
        let mut outcomes = Vec::new();
        for child in children {
            let out = wait_with_watchdog(child);
            let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert!(
                out.status.success(),
                "round {round}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            outcomes.push(stdout);
        }
        outcomes.sort();
        let mut expected = vec!["waited".to_owned(); PROCESSES - 1];
        expected.insert(0, "created".to_owned());
        assert_eq!(
            outcomes, expected,
            "round {round}: exactly one creator, and every other process acquired after its release"
        );
        assert_eq!(
            entries(dir.path()),
            Vec::<String>::new(),
            "round {round}: nothing left"
        );
    }
}

#[test]
fn another_thread_of_the_owning_process_waits_instead_of_failing() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("threads");
    let created = MutexOptions::named(&name)
        .in_dir(dir.path())
        .create(true)
        .expect("create owned");
    let owned = created.guard.expect("created, so owned");
    let other = created.mutex.clone();
    let waiter = std::thread::spawn(move || {
        let busy = other.wait_timeout(Duration::from_millis(100));
        assert!(
            matches!(busy, Ok(None)),
            "another thread waits, it is not the owner: {busy:?}"
        );
        let acquired = other.wait_timeout(Duration::from_secs(20));
        assert!(matches!(acquired, Ok(Some(_))), "{acquired:?}");
    });
    std::thread::sleep(Duration::from_millis(300));
    drop(owned);
    within("the waiting thread", move || {
        waiter.join().expect("waiter thread")
    });
    // Released on the owning thread, so that thread may wait again.
    let again = created.mutex.try_wait().expect("not AlreadyOwned any more");
    assert!(again.is_some());
}
