//! A small helper process for the crate's cross-process tests (and for trying
//! things by hand). Commands that stay running print `ready` once in place.
//!
//! ```text
//! helper hold  NAME DIR SIZE        create or open the region, write a marker at 1024
//!                                   (when it fits), print ready, wait forever
//! helper lock  NAME DIR SIZE        open the region, take its mutex (<NAME>mutex), wait forever
//! helper count NAME DIR SIZE N      add 1 to the i32 at offset 2048, N times, under the mutex
//! helper race  NAME DIR SIZE I K    create_or_open together with K-1 others; write slot I, then
//!                                   wait until all K slots are written (no one re-initialized)
//! helper peek  NAME DIR OFF LEN     open the live region, print LEN bytes at OFF as hex
//! helper poke  NAME DIR OFF HEX     open the live region, write the bytes HEX at OFF
//! helper typed NAME DIR N           read N `Sample`s at 0 with read_array, print them one a
//!                                   line, write their answers with write_array right after
//! helper turns NAME DIR N           as side B, take N turns: read side A's `Move` from the
//!                                   mailbox, pass the turn back with its answer
//! helper ticks NAME DIR             receive `Tick` records from a ring until it closes,
//!                                   checking their order; print how many
//! helper sleep-on NAME DIR OFF      open the live region, print ready, then sleep on the word
//!                                   at OFF (a notifier) until it is killed
//! helper mutex-hold NAME DIR        create or open the stand-alone mutex, take it, wait forever
//! helper mutex-wait NAME DIR        create(true) the mutex: print what came back, ready, then
//!                                   wait for it and print how it was acquired
//! helper churn NAME DIR SIZE SECS  create_or_open and drop the region in a loop for SECS
//!                                   seconds; print `opens N errors E` and the first error
//! helper mutex-churn NAME DIR SECS  the same with the stand-alone mutex (create(false))
//! helper create NAME DIR SIZE       create_or_open the region, print ready, wait forever
//!                                   (for kills in the middle of a create)
//! helper start-fails-once NAME DIR the first time in DIR, exit as a process Wine failed to
//!                                   start (STATUS_DLL_INIT_FAILED, nothing printed); then
//!                                   print ready (for the tests of the tests' relaunch)
//! helper fork-drop NAME DIR        (Linux) create the region, fork; the child drops its
//!                                   copy and exits; print `kept` when the region's files
//!                                   are all still there (the parent still uses it), then drop
//! helper open-vs-leave NAME DIR US  four threads open and drop regions NAME0-0.. in a loop;
//!                                   after US microseconds leave with exit_closing_regions
//! helper mutex-race NAME DIR MARKS I K
//!                                   create(true) with K-1 others. The creator writes MARKS/marker
//!                                   while owning it and releases once the K-1 others have
//!                                   opened it; the others wait, and check the marker is there
//! ```

#[path = "support/in_dir.rs"]
mod in_dir;

use in_dir::InDir;
use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use shared::ring::RecordReceiver;
use shared::{MutexOptions, RegionName, RegionOptions};

#[path = "../tests/common/records.rs"]
mod records;

use records::{from_hex, to_hex, Move, Sample, Tick};

/// Offset of the counter the `count` command increments.
const COUNTER_OFFSET: u64 = 2048;
/// Where the `race` command's slots start.
const RACE_SLOTS_OFFSET: u64 = 4096;
/// Where the `hold` command writes its marker.
const MARKER_OFFSET: u64 = 1024;
/// The marker the `hold` command writes.
const MARKER: i64 = 0x5EED_F00D;
/// Side B of the `turns` command (side A, the test, is 1).
const SIDE_A: u32 = 1;
const SIDE_B: u32 = 2;
/// The longest any wait of the helper may take.
const PATIENCE: Duration = Duration::from_secs(20);

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn say(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

fn number<T: std::str::FromStr>(args: &[String], index: usize, what: &str) -> Result<T, Box<dyn Error>> {
    args.get(index)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("{what} must be a number").into())
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, name, dir, rest @ ..] = args.as_slice() else {
        return Err("usage: helper COMMAND NAME DIR [ARGS] (see the source)".into());
    };
    let name = RegionName::new(name)?;
    let options = RegionOptions::named(&name).in_dir(dir);
    let mutex_options = MutexOptions::named(&name).in_dir(dir);
    match command.as_str() {
        "hold" => {
            let region = options.size(number(rest, 0, "SIZE")?).create_or_open()?;
            if region.size() >= MARKER_OFFSET + 8 {
                region
                    .create_view_accessor(0, 0)?
                    .write_i64(MARKER_OFFSET, MARKER)?;
            }
            say("ready");
            park_forever()
        }
        "lock" => {
            let region = options.size(number(rest, 0, "SIZE")?).create_or_open()?;
            let mutex = MutexOptions::for_region(&region).create(false)?.mutex;
            let _owned = mutex.wait()?;
            say("ready");
            park_forever()
        }
        "count" => {
            let times: u32 = number(rest, 1, "N")?;
            let region = options.size(number(rest, 0, "SIZE")?).create_or_open()?;
            let mutex = MutexOptions::for_region(&region).create(false)?.mutex;
            let accessor = region.create_view_accessor(0, 0)?;
            for _ in 0..times {
                let _owned = mutex.wait()?;
                let value = accessor.read_i32(COUNTER_OFFSET)?;
                accessor.write_i32(COUNTER_OFFSET, value + 1)?;
            }
            Ok(())
        }
        "race" => {
            let index: u64 = number(rest, 1, "I")?;
            let count: u64 = number(rest, 2, "K")?;
            let region = options.size(number(rest, 0, "SIZE")?).create_or_open()?;
            let accessor = region.create_view_accessor(RACE_SLOTS_OFFSET, count * 4)?;
            accessor.write_i32(index * 4, index as i32 + 1)?;
            let deadline = Instant::now() + PATIENCE;
            while (0..count).any(|k| accessor.read_i32(k * 4) != Ok(k as i32 + 1)) {
                if Instant::now() > deadline {
                    return Err("slots were lost: someone re-initialized the region".into());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            say(&format!("created={}", region.created_new()));
            Ok(())
        }
        "sleep-on" => {
            let offset: u64 = number(rest, 0, "OFF")?;
            let region = options.open_existing()?;
            let notifier = region.notifier(offset)?;
            say("ready");
            loop {
                let seen = notifier.word().load(std::sync::atomic::Ordering::Acquire);
                notifier.wait_while_equal(seen, Duration::from_secs(3600));
            }
        }
        "peek" => {
            let offset: u64 = number(rest, 0, "OFF")?;
            let len: usize = number(rest, 1, "LEN")?;
            let region = options.open_existing()?;
            let mut bytes = vec![0u8; len];
            region
                .create_view_accessor(offset, len as u64)?
                .read_bytes(0, &mut bytes)?;
            say(&to_hex(&bytes));
            Ok(())
        }
        "poke" => {
            let offset: u64 = number(rest, 0, "OFF")?;
            let bytes = rest
                .get(1)
                .and_then(|h| from_hex(h))
                .ok_or("HEX must be hex bytes")?;
            let region = options.open_existing()?;
            region.create_view_accessor(offset, 0)?.write_bytes(0, &bytes)?;
            Ok(())
        }
        "typed" => {
            let count: usize = number(rest, 0, "N")?;
            let region = options.open_existing()?;
            let view = region.create_view_accessor(0, 0)?;
            let mut samples = vec![Sample::nth(0); count];
            let read = view.read_array(0, &mut samples)?;
            if read != count {
                return Err(format!("read_array read {read} of {count} samples").into());
            }
            for sample in &samples {
                say(&sample.to_line());
            }
            let answers: Vec<Sample> = samples.iter().map(Sample::answer).collect();
            view.write_array(std::mem::size_of_val(samples.as_slice()) as u64, &answers)?;
            say("done");
            Ok(())
        }
        "turns" => {
            let count: u64 = number(rest, 0, "N")?;
            let region = options.open_existing()?;
            let turn = region.turn()?;
            say("ready");
            for i in 0..count {
                if !turn.wait_for_turn(SIDE_B, PATIENCE) {
                    return Err(format!("turn {i} never came").into());
                }
                let got: Move = turn.mailbox();
                if got != Move::nth(i) {
                    return Err(format!("turn {i}: the mailbox held {got:?}").into());
                }
                turn.pass_turn_with(SIDE_A, &got.answer());
            }
            Ok(())
        }
        "ticks" => {
            let mut receiver = RecordReceiver::<Tick>::open(&options)?;
            say("ready");
            let mut buf = vec![Tick::nth(0); 500];
            let mut expected = 0u64;
            loop {
                let n = receiver.recv_batch(&mut buf)?;
                if n == 0 {
                    break;
                }
                for tick in &buf[..n] {
                    if *tick != Tick::nth(expected) {
                        return Err(format!("tick {expected} arrived as {tick:?}").into());
                    }
                    expected += 1;
                }
            }
            say(&format!("received {expected}"));
            Ok(())
        }
        "mutex-hold" => {
            let mutex = mutex_options.create(false)?.mutex;
            let _owned = mutex.wait()?;
            say("ready");
            park_forever()
        }
        "mutex-wait" => {
            let created = mutex_options.create(true)?;
            say(&format!(
                "created_new={} guard={} holder={:?}",
                created.created_new,
                created.guard.is_some(),
                created.mutex.holder_pid()
            ));
            drop(created.guard);
            say("ready");
            let acquired = created.mutex.wait()?;
            say(&format!("acquired abandoned_by={:?}", acquired.abandoned_by()));
            Ok(())
        }
        "mutex-race" => mutex_race(&mutex_options, rest),
        "churn" => {
            let options = options.size(number(rest, 0, "SIZE")?);
            churn(number(rest, 1, "SECS")?, || options.create_or_open().map(drop))
        }
        "mutex-churn" => churn(number(rest, 0, "SECS")?, || mutex_options.create(false).map(drop)),
        "create" => {
            let _region = options.size(number(rest, 0, "SIZE")?).create_or_open()?;
            say("ready");
            park_forever()
        }
        #[cfg(target_os = "linux")]
        "fork-drop" => fork_drop(&options),
        "open-vs-leave" => open_vs_leave(name.as_str(), dir, number(rest, 0, "US")?),
        "start-fails-once" => {
            let marker = Path::new(dir).join(format!("{name}.started"));
            if !marker.exists() {
                std::fs::write(&marker, b"")?;
                std::process::exit(0xC000_0142_u32 as i32);
            }
            say("ready");
            Ok(())
        }
        other => Err(format!("unknown command {other}").into()),
    }
}

/// The files in `dir`, sorted.
#[cfg(target_os = "linux")]
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `fork-drop`: a forked child that drops its copy of a region leaves the
/// parent's region alone.
#[cfg(target_os = "linux")]
fn fork_drop(options: &RegionOptions) -> Result<(), Box<dyn Error>> {
    let region = options.clone().size(4096).create_or_open()?;
    let dir = region.path().parent().ok_or("no directory")?.to_owned();
    let before = files_in(&dir);
    // SAFETY: this process has one thread; the child only drops its copy of
    // the region and leaves with `_exit`, running no exit hooks.
    let child = unsafe { libc::fork() };
    if child == 0 {
        drop(region);
        // SAFETY: ends the child at once, as a forked child should.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked; `status` is a valid out-pointer.
    unsafe { libc::waitpid(child, &mut status, 0) };
    let after = files_in(&dir);
    say(&if after == before {
        "kept".to_owned()
    } else {
        format!("changed: {before:?} -> {after:?}")
    });
    drop(region);
    Ok(())
}

/// `open-vs-leave`: opens in progress on other threads while the process
/// leaves on a signal leave no file behind.
fn open_vs_leave(name: &str, dir: &str, micros: u64) -> Result<(), Box<dyn Error>> {
    for thread in 0..4 {
        let (name, dir) = (name.to_owned(), dir.to_owned());
        std::thread::spawn(move || {
            for round in 0u64.. {
                let Ok(name) = RegionName::new(&format!("{name}{thread}-{}", round % 3)) else {
                    return;
                };
                drop(
                    RegionOptions::named(&name)
                        .in_dir(&dir)
                        .size(4096)
                        .create_or_open(),
                );
            }
        });
    }
    std::thread::sleep(Duration::from_micros(micros));
    say("leaving");
    shared::exit_closing_regions(0)
}

/// Runs `open_and_close` again and again for `secs` seconds; prints how many
/// opens there were, how many failed, and the first failure.
fn churn<E: std::fmt::Display>(
    secs: u64,
    open_and_close: impl Fn() -> Result<(), E>,
) -> Result<(), Box<dyn Error>> {
    let until = Instant::now() + Duration::from_secs(secs);
    let (mut opens, mut errors, mut first) = (0u64, 0u64, None);
    while Instant::now() < until {
        opens += 1;
        if let Err(error) = open_and_close() {
            errors += 1;
            first.get_or_insert_with(|| error.to_string());
        }
    }
    say(&format!("opens {opens} errors {errors}"));
    if let Some(first) = first {
        say(&format!("first error: {first}"));
    }
    Ok(())
}

fn mutex_race(options: &MutexOptions, rest: &[String]) -> Result<(), Box<dyn Error>> {
    let marks = Path::new(rest.first().ok_or("MARKS needed")?);
    let index: usize = number(rest, 1, "I")?;
    let count: usize = number(rest, 2, "K")?;
    let marker = marks.join("marker");
    let created = options.create(true)?;
    if created.created_new != created.guard.is_some() {
        return Err(format!(
            "created_new={} but guard={}",
            created.created_new,
            created.guard.is_some()
        )
        .into());
    }
    if let Some(owned) = created.guard {
        std::fs::write(&marker, b"written under the lock")?;
        // Keep owning it until every other process has opened the mutex
        // (and so may be waiting for it).
        let deadline = Instant::now() + PATIENCE;
        while std::fs::read_dir(marks)?.count() < count {
            if Instant::now() > deadline {
                return Err("the other processes never opened the mutex".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(owned);
        say("created");
        return Ok(());
    }
    std::fs::write(marks.join(format!("opened-{index}")), b"")?;
    let acquired = created.mutex.wait()?;
    if acquired.abandoned_by().is_some() {
        return Err("the creator released cleanly, yet the mutex was abandoned".into());
    }
    if std::fs::read(&marker).ok().as_deref() != Some(b"written under the lock".as_slice()) {
        return Err("acquired the mutex before its creator had released it: no marker".into());
    }
    say("waited");
    Ok(())
}
