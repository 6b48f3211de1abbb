//! `message-server`: the IM message service of the shared-memory demo.
//!
//! The C# original (`IMServer_Message`), step by step, with each call's Rust
//! counterpart:
//!
//! 1. prompt for the region name (`Console.ReadLine`) → [`RegionArgs::run`] asks
//!    through [`Console::ask_region_name`] (unless `--name` or `--file` says)
//! 2. `MemoryMappedFile.CreateOrOpen(name, 1024000)` → [`shared::demo::cli::create_or_open`]:
//!    [`RegionOptions::create_or_open`] ([`RegionOptions::create_from_file`] with `--file`);
//!    `new Mutex(true, "<name>mutex", out created)` → [`RegionArgs::create_mutex`]:
//!    [`RegionArgs::mutex_options`] + [`shared::MutexOptions::create`] (with `--dotnet`,
//!    .NET's own named mutex)
//! 3. `CreateViewStream(0, 0)` + `BinaryWriter.Write(i)` for i = 0..4 → [`write_message_ints`]
//!    ([`Region::create_view_stream`] + `write_i32`)
//! 4. `ReleaseMutex()` → drop the [`MutexGuard`]; wait for Enter → [`Console::wait_for_enter`]
//! 5. `WaitOne()`, waiting (visibly) until the state service has written → [`wait_for_state_service`]
//!    ([`NamedMutex::try_wait`], then [`WaitBudget::wait`]: [`NamedMutex::wait`], or
//!    [`NamedMutex::wait_timeout`] with `--timeout`)
//! 6. read ten `int32` from offset 0 → [`read_ints`]; every `ServiceMsg` → [`read_records`]
//!    ([`Region::create_view_accessor`] + `read`)
//! 7. `ReleaseMutex()` → drop the [`MutexGuard`]; print the closing line, wait for Enter
//!    to exit → [`Console::wait_for_enter`]

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use byteorder::{LittleEndian, ReadBytesExt, WriteBytesExt};
use clap::Parser;
use shared::demo::cli::{RegionArgs, WaitBudget};
use shared::demo::console::Console;
use shared::demo::error::{DemoError, WaitedFor};
use shared::demo::handshake::{Flags, Handshake};
use shared::demo::layout::{
    record_view_offset, INTS_PER_SERVER, MESSAGE_INTS_OFFSET, RECORDS_OFFSET, RECORDS_VIEW_LEN, RECORD_COUNT,
    TOTAL_INTS,
};
use shared::demo::original_peer;
use shared::demo::output::{data, note, warn};
use shared::demo::ticks::now_ticks;
use shared::demo::transcript::Transcript;
use shared::demo::wait_indicator::WaitIndicator;
use shared::demo::ServiceMsg;
use shared::{MutexGuard, NamedMutex, Region, RegionOptions};

/// How long one look for the state service sleeps at most before looking again.
const STATE_POLL_SLICE: Duration = Duration::from_millis(250);

/// The IM message service: creates the shared-memory region and its mutex,
/// writes 0..4, then shows what the state service wrote.
///
/// Start it first, then `state-server` with the same name, and press Enter here.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = "Example: message-server --name testmap   (then, in another terminal: state-server --name testmap)")]
struct Cli {
    #[command(flatten)]
    region: RegionArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Prompts for the name (step 1) unless --name or --file gave it.
    cli.region
        .run(|out, console, options| run(&cli, out, console, &options))
}

fn run(cli: &Cli, out: &Transcript, console: &Console, options: &RegionOptions) -> Result<(), DemoError> {
    // --timeout bounds all the waits until the next Enter together.
    // What an original state service writes now is stamped after this
    // (a persistent file may hold an earlier exchange's records).
    let exchange_start = now_ticks();
    let (region, mutex, owned) =
        create_region_and_mutex(options, &cli.region, cli.region.wait_budget(), out)?;
    cli.region.say_where_dotnet_finds(&mutex, out);
    write_message_ints(&region, out)?;
    drop(owned); // ReleaseMutex()

    console.wait_for_enter(out.start_state_then_enter())?;
    let (guard, peer) = wait_for_state_service(&region, &mutex, exchange_start, &cli.region, out)?;
    read_ints(&region, out)?;
    read_records(&region, peer, exchange_start, out)?;
    Handshake::of(&region)?.set_flags(Flags::MESSAGE_READ);
    drop(guard); // ReleaseMutex()

    data(out.message_started());
    console.wait_for_enter(out.press_enter_to_exit())?;
    Ok(())
}

/// `CreateOrOpen` the region and `new Mutex(true, "<name>mutex", out created)`.
/// Refuses to run when another message server serves the region.
fn create_region_and_mutex(
    options: &RegionOptions,
    args: &RegionArgs,
    budget: WaitBudget,
    out: &Transcript,
) -> Result<(Region, NamedMutex, MutexGuard), DemoError> {
    let region = shared::demo::cli::create_or_open(options, &budget, out)?;
    let created = args.create_mutex(&region, true, &budget, out)?;
    let owned = match created.guard {
        Some(owned) => owned,
        // The mutex outlived its creator (a state server kept it open).
        None => take_over_mutex(&region, &created.mutex, budget)?,
    };
    Handshake::of(&region)?.start_exchange();
    Ok((region, created.mutex, owned))
}

/// Takes over a mutex whose message server has left; refuses when one is
/// still running (the original crashed in `ReleaseMutex` instead).
fn take_over_mutex(region: &Region, mutex: &NamedMutex, budget: WaitBudget) -> Result<MutexGuard, DemoError> {
    let handshake = Handshake::of(region)?;
    let already_served = || DemoError::AlreadyServed {
        name: region.name().to_owned(),
        pid: handshake.message_pid(),
    };
    if handshake.message_server_running() {
        return Err(already_served());
    }
    let owned = budget.wait(mutex)?.into_guard();
    // Another message server may have started meanwhile: look again.
    if handshake.message_server_running() {
        return Err(already_served());
    }
    Ok(owned)
}

/// Writes 0..4 as `int32` at offset 0 through a stream view (`BinaryWriter`).
fn write_message_ints(region: &Region, out: &Transcript) -> Result<(), DemoError> {
    let mut stream = region.create_view_stream(MESSAGE_INTS_OFFSET, 0)?;
    for i in 0..INTS_PER_SERVER {
        let value = i as i32;
        stream.write_i32::<LittleEndian>(value)?;
        data(&out.wrote(i, value));
    }
    Handshake::of(region)?.set_flags(Flags::MESSAGE_WRITTEN);
    Ok(())
}

/// Which state service wrote: ours (with the handshake), or the article's
/// own `IMServer_State` (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatePeer {
    Ours,
    Original,
}

/// `WaitOne()`, and keep waiting (visibly) until the state service has
/// written everything, stopped early, or died holding the mutex. The
/// original `IMServer_State` writes no handshake: it is recognised by what it
/// wrote once its mutex is released.
fn wait_for_state_service(
    region: &Region,
    mutex: &NamedMutex,
    exchange_start: i64,
    args: &RegionArgs,
    out: &Transcript,
) -> Result<(MutexGuard, StatePeer), DemoError> {
    let budget = args.wait_budget();
    let handshake = Handshake::of(region)?;
    let place = match (args.dotnet, region.is_persistent()) {
        (true, _) if args.file.is_none() => format!("--dotnet --name {}", region.name()),
        (true, _) => format!("--dotnet --file {}", region.path().display()),
        (false, true) => format!("--file {}", region.path().display()),
        (false, false) => format!("--name {}", region.name()),
    };
    let mut waiting: Option<WaitIndicator> = None;
    loop {
        let acquired = match mutex.try_wait()? {
            Some(acquired) => acquired,
            None => {
                let holder = mutex.holder_pid();
                WaitIndicator::show(&mut waiting, &out.waiting_for_state_to_finish(holder));
                budget.wait(mutex)?
            }
        };
        let flags = handshake.flags();
        let peer = if original_peer::is_original_state_service(region, exchange_start)? {
            StatePeer::Original
        } else {
            StatePeer::Ours
        };
        let warning = if acquired.is_abandoned() {
            Some(out.state_died_holding_mutex(acquired.abandoned_by()))
        } else if flags.contains(Flags::STATE_STARTED) && !flags.contains(Flags::STATE_WRITTEN) {
            Some(out.state_stopped_early().to_owned())
        } else {
            None
        };
        if flags.contains(Flags::STATE_STARTED) || warning.is_some() || peer == StatePeer::Original {
            if let Some(indicator) = waiting.take() {
                let outcome = match warning {
                    Some(_) => out.state_has_stopped(),
                    None => out.state_has_written(),
                };
                indicator.done(out, outcome);
            }
            if peer == StatePeer::Original {
                note(out.original_state_peer());
            }
            if let Some(warning) = warning {
                warn(out, &warning);
            }
            return Ok((acquired.into_guard(), peer));
        }
        drop(acquired); // not written yet: let the state service in
        WaitIndicator::show(&mut waiting, &out.waiting_for_state_to_start(&place));
        let slice = budget
            .remaining()
            .map_or(STATE_POLL_SLICE, |left| left.min(STATE_POLL_SLICE));
        handshake.wait_for_flags(Flags::STATE_STARTED, slice);
        if budget.remaining() == Some(Duration::ZERO) {
            return Err(budget.expired(WaitedFor::StateService));
        }
    }
}

/// Reads the ten `int32` at offset 0 through a stream view (`BinaryReader`).
fn read_ints(region: &Region, out: &Transcript) -> Result<(), DemoError> {
    let mut stream = region
        .create_view_stream(MESSAGE_INTS_OFFSET, 0)?
        .take((TOTAL_INTS * 4) as u64);
    for i in 0..TOTAL_INTS {
        let value = stream.read_i32::<LittleEndian>()?;
        data(&out.read(i, value));
    }
    Ok(())
}

/// Reads every record the state service wrote, through an accessor view:
/// as many as ours counted in the handshake, or as the original stamped.
fn read_records(
    region: &Region,
    peer: StatePeer,
    exchange_start: i64,
    out: &Transcript,
) -> Result<(), DemoError> {
    let accessor = region.create_view_accessor(RECORDS_OFFSET, RECORDS_VIEW_LEN)?;
    let written = match peer {
        StatePeer::Ours => (Handshake::of(region)?.record_count() as usize).min(RECORD_COUNT),
        StatePeer::Original => original_peer::records_written_by_original(region, exchange_start)?,
    };
    for k in 0..written {
        let msg: ServiceMsg = accessor.read(record_view_offset(k))?; // accessor.Read(i, out msg)
        data(&out.record(&msg));
    }
    Ok(())
}
