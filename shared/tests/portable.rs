//! The library's behaviour that every backend keeps, run unchanged on Linux
//! and on Windows: regions by name (.NET's `CreateNew`, `OpenExisting`,
//! `CreateOrOpen`), bytes shared with another process, a named mutex created
//! owned, waits with timeouts, ownership by one thread, abandonment by a
//! killed holder, and an object of another kind at a name. Each test uses
//! its own unique names (on Linux in its own directory; Windows has no
//! directories for named objects and ignores it).

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::*;
use shared::{Acquired, Failure, MutexOptions, RegionOptions};

fn region_options(name: &shared::RegionName, dir: &std::path::Path) -> RegionOptions {
    RegionOptions::named(name).in_dir(dir)
}

fn mutex_options(name: &shared::RegionName, dir: &std::path::Path) -> MutexOptions {
    MutexOptions::named(name).in_dir(dir)
}

#[test]
fn create_new_open_existing_and_create_or_open_behave_as_in_dotnet() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("dispositions");
    let options = region_options(&name, dir.path()).size(64 * 1024);
    assert!(matches!(
        options.open_existing().failed(),
        Err(Failure::NotFound { .. })
    ));
    let first = options.create_new().expect("create_new");
    assert!(first.created_new());
    assert!(matches!(
        options.create_new().failed(),
        Err(Failure::AlreadyExists { .. })
    ));
    let second = options.create_or_open().expect("create_or_open");
    assert!(!second.created_new());
    let third = options.open_existing().expect("open_existing");
    assert_eq!(third.size(), first.size());
    first
        .create_view_accessor(0, 0)
        .expect("view")
        .write(100, &0x1234_5678u32)
        .expect("write");
    let seen: u32 = third
        .create_view_accessor(0, 0)
        .expect("view")
        .read(100)
        .expect("read");
    assert_eq!(seen, 0x1234_5678);
    drop((first, second, third));
    assert!(
        matches!(options.open_existing().failed(), Err(Failure::NotFound { .. })),
        "the region went with its last user"
    );
}

#[test]
fn another_process_sees_the_bytes_and_its_region_outlives_our_handle() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("shared-bytes");
    let mut helper = Helper::start(&["hold", name.as_str(), arg(dir.path()), "65536"]);
    let region = region_options(&name, dir.path()).open_existing().expect("open");
    let marker: i64 = region
        .create_view_accessor(0, 0)
        .expect("view")
        .read(1024)
        .expect("read");
    assert_eq!(marker, 0x5EED_F00D, "the helper's marker");
    drop(region);
    assert!(
        region_options(&name, dir.path()).open_existing().is_ok(),
        "the helper still holds it"
    );
    helper.kill();
}

#[test]
fn a_mutex_created_owned_is_owned_at_once_and_only_by_its_creator() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("owned");
    assert!(matches!(
        mutex_options(&name, dir.path()).open_existing().failed(),
        Err(Failure::NotFound { .. })
    ));
    let created = mutex_options(&name, dir.path()).create(true).expect("create");
    assert!(created.created_new);
    let guard = created.guard.expect("created owned");
    let again = mutex_options(&name, dir.path()).create(true).expect("open");
    assert!(!again.created_new);
    assert!(again.guard.is_none(), "an existing mutex is only opened");
    assert!(matches!(
        again.mutex.try_wait().failed(),
        Err(Failure::AlreadyOwned { .. })
    ));
    let other = again.mutex.clone();
    let waited = within("a wait by another thread", move || {
        other
            .wait_timeout(Duration::from_millis(50))
            .expect("wait")
            .is_none()
    });
    assert!(waited, "another thread times out while we hold it");
    drop(guard);
    let other = again.mutex.clone();
    let taken = within("a wait after the release", move || {
        matches!(
            other.wait_timeout(WATCHDOG).expect("wait"),
            Some(Acquired::Owned(_))
        )
    });
    assert!(taken);
}

#[test]
fn a_holder_killed_holding_the_mutex_hands_it_over_as_abandoned() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("abandon");
    let mut helper = Helper::start(&["mutex-hold", name.as_str(), arg(dir.path())]);
    let mutex = mutex_options(&name, dir.path()).open_existing().expect("open");
    assert!(mutex.try_wait().expect("try").is_none(), "held by the helper");
    let pid = helper.pid();
    helper.kill();
    let acquired = mutex
        .wait_timeout(WATCHDOG)
        .expect("wait")
        .expect("the system released it");
    assert!(acquired.is_abandoned(), "{acquired:?}");
    // Linux knows the dead holder; Windows does not say.
    let known = if cfg!(target_os = "linux") {
        Some(pid)
    } else {
        None
    };
    assert_eq!(acquired.abandoned_by(), known);
    drop(acquired);
    let next = mutex.try_wait().expect("try").expect("free");
    assert!(
        matches!(next, Acquired::Owned(_)),
        "a clean release is not abandoned"
    );
}

#[test]
fn a_mutex_at_a_regions_name_is_not_taken_for_the_region() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("kinds");
    let mutex = mutex_options(&name, dir.path()).create(false).expect("mutex");
    let region = region_options(&name, dir.path()).size(4096).create_or_open();
    assert!(
        matches!(region.failed(), Err(Failure::NotOurs { .. })),
        "{region:?}"
    );
    drop(mutex);
}

#[test]
fn an_existing_region_smaller_than_asked_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("smaller");
    let small = region_options(&name, dir.path())
        .size(8192)
        .create_or_open()
        .expect("small");
    let larger = region_options(&name, dir.path()).size(1 << 20).create_or_open();
    assert!(
        matches!(larger.failed(), Err(Failure::BadSize { .. })),
        "{larger:?}"
    );
    drop(small);
}

#[test]
#[cfg(windows)] // VirtualQuery reports whole pages, as .NET's capacity
fn a_windows_regions_size_is_its_views_whole_pages() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("pages");
    let region = region_options(&name, dir.path())
        .size(1000)
        .create_or_open()
        .expect("create");
    assert_eq!(region.size(), 4096);
    let opened = region_options(&name, dir.path()).open_existing().expect("open");
    assert_eq!(opened.size(), 4096);
}

#[test]
fn a_sleeper_on_a_regions_word_is_woken_when_it_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("notifier");
    let options = region_options(&name, dir.path()).size(4096);
    let region = options.create_or_open().expect("region");
    let sleeper = {
        let options = options.clone();
        std::thread::spawn(move || {
            let region = options.open_existing().expect("open");
            let notifier = region.notifier(128).expect("notifier");
            let started = Instant::now();
            while notifier.word().load(Ordering::Acquire) == 0 && started.elapsed() < WATCHDOG {
                // One long sleep: a lost wake-up would show as a wait of WATCHDOG.
                notifier.wait_while_equal(0, WATCHDOG);
            }
            (notifier.word().load(Ordering::Acquire), started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(50)); // most likely asleep by now
    let notifier = region.notifier(128).expect("notifier");
    notifier.word().store(7, Ordering::Release);
    notifier.wake_all();
    let (seen, waited) = sleeper.join().expect("sleeper");
    assert_eq!(seen, 7);
    assert!(waited < WATCHDOG / 2, "woken, not timed out: {waited:?}");
    assert!(matches!(
        region.notifier(4094),
        Err(shared::ViewError::OutsideView { .. })
    ));
}

#[test]
fn wake_ups_leave_no_spare_sleeps_behind() {
    // A thousand changes, each woken, with a sleeper alive all along; then
    // nobody writes: a wait must now sleep its time, not return at once on
    // wake-ups left over (a lower bound on time slept, which load cannot
    // break: a loaded machine only sleeps longer).
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("spare-wakes");
    let options = region_options(&name, dir.path()).size(4096);
    let region = options.create_or_open().expect("region");
    let sleeper = {
        let options = options.clone();
        std::thread::spawn(move || {
            let region = options.open_existing().expect("open");
            let notifier = region.notifier(256).expect("notifier");
            loop {
                let seen = notifier.word().load(Ordering::Acquire);
                if seen == 1000 {
                    return;
                }
                notifier.wait_while_equal(seen, Duration::from_millis(100));
            }
        })
    };
    let notifier = region.notifier(256).expect("notifier");
    for _ in 0..1000 {
        notifier.word().fetch_add(1, Ordering::AcqRel);
        notifier.wake_all();
    }
    sleeper.join().expect("sleeper");
    let started = Instant::now();
    for _ in 0..20 {
        notifier.wait_while_equal(1000, Duration::from_millis(20));
    }
    let slept = started.elapsed();
    // At most a couple of the twenty waits may end early (a wake-up the
    // sleeper was counted for but did not need).
    assert!(
        slept >= Duration::from_millis(300),
        "20 waits of 20 ms slept {slept:?}"
    );
}

#[test]
fn a_sleeper_killed_asleep_leaves_no_spare_sleeps_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("killed-sleeper");
    let region = region_options(&name, dir.path())
        .size(4096)
        .create_or_open()
        .expect("region");
    // Opened first, so that what the sleepers share outlives the helper.
    let notifier = region.notifier(512).expect("notifier");
    let mut helper = Helper::start(&["sleep-on", name.as_str(), arg(dir.path()), "512"]);
    // Most likely asleep (counted among the sleepers) by now; if not, the
    // test only asks less of the wake-ups.
    std::thread::sleep(Duration::from_millis(200));
    helper.kill();
    for _ in 0..100 {
        notifier.word().fetch_add(1, Ordering::AcqRel);
        notifier.wake_all();
    }
    let seen = notifier.word().load(Ordering::Acquire);
    let started = Instant::now();
    for _ in 0..20 {
        notifier.wait_while_equal(seen, Duration::from_millis(20));
    }
    let slept = started.elapsed();
    // The dead sleeper may cost one early return, not one per wake-up.
    assert!(
        slept >= Duration::from_millis(300),
        "20 waits of 20 ms slept {slept:?}"
    );
}
