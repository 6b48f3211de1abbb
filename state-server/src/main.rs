//! `state-server`: the IM state service of the shared-memory demo.
//!
//! The C# original (`IMServer_State`), step by step, with each call's Rust
//! counterpart:
//!
//! 1. prompt for the region name → [`RegionArgs::run`] asks through
//!    [`Console::ask_region_name`] (unless `--name` or `--file` says)
//! 2. `MemoryMappedFile.OpenExisting(name)` → [`shared::demo::cli::open_existing`]:
//!    [`RegionOptions::open_existing`] ([`RegionOptions::create_from_file`] with `--file`);
//!    `Mutex.OpenExisting("<name>mutex")` → [`RegionArgs::open_existing_mutex`]:
//!    [`RegionArgs::mutex_options`] + [`shared::MutexOptions::open_existing`] (both fail
//!    plainly when no message server is running; with `--dotnet`, .NET's own mutex,
//!    found in another terminal's login session too)
//! 3. `WaitOne()` → [`WaitBudget::acquire`] ([`NamedMutex::try_wait`], then
//!    [`NamedMutex::wait`], or [`NamedMutex::wait_timeout`] with `--timeout`)
//! 4. `CreateViewStream(20, 0)` + `BinaryWriter.Write(i)` for i = 5..9 → [`write_state_ints`]
//!    ([`Region::create_view_stream`] + `write_i32`)
//! 5. `CreateViewAccessor(1024, 10240)` + `Write(offset, ref msg)` five times,
//!    sleeping after each → [`write_records`] ([`Region::create_view_accessor`] + `write`)
//! 6. sleep still holding the mutex, `ReleaseMutex()` → drop the [`Acquired`](shared::Acquired);
//!    print the closing line, wait for Enter to exit → [`Console::wait_for_enter`]

use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant};

use byteorder::{LittleEndian, WriteBytesExt};
use clap::Parser;
use shared::demo::cli::{RegionArgs, WaitBudget};
use shared::demo::console::Console;
use shared::demo::error::DemoError;
use shared::demo::handshake::{Flags, Handshake};
use shared::demo::layout::{
    record_view_offset, INTS_PER_SERVER, RECORDS_OFFSET, RECORDS_VIEW_LEN, RECORD_COUNT, STATE_INTS_OFFSET,
};
use shared::demo::original_peer;
use shared::demo::output::{data, note, warn};
use shared::demo::transcript::Transcript;
use shared::demo::ServiceMsg;
use shared::{Failure, NamedMutex, Region, RegionOptions};

/// How long to wait for a message service that has created the region but
/// not yet written its numbers.
const MESSAGE_SETUP_WAIT: Duration = Duration::from_secs(5);

/// How often the wait for the message service looks for an original one,
/// which sets no flag to wake us.
const ORIGINAL_PEER_LOOK: Duration = Duration::from_millis(100);

/// The IM state service: opens the region the message service created, and
/// under its mutex writes 5..9 and five timestamped records.
///
/// Start `message-server` first, then this with the same name.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = "Example: state-server --name testmap --interval-ms 200 --hold-ms 1000")]
struct Cli {
    #[command(flatten)]
    region: RegionArgs,

    /// Pause after each record, in milliseconds. Example: --interval-ms 200
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    interval_ms: u64,

    /// How long to keep holding the mutex after the last record, in
    /// milliseconds. Example: --hold-ms 1000
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    hold_ms: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Prompts for the name (step 1) unless --name or --file gave it.
    cli.region
        .run(|out, console, options| run(&cli, out, console, &options))
}

fn run(cli: &Cli, out: &Transcript, console: &Console, options: &RegionOptions) -> Result<(), DemoError> {
    // --timeout bounds all the waits until the next Enter together.
    let budget = cli.region.wait_budget();
    let (region, mutex) = open_region_and_mutex(options, &cli.region, &budget, out)?;
    let acquired = budget.acquire(&mutex, out)?; // WaitOne()
    if acquired.is_abandoned() {
        warn(out, &out.previous_holder_died(acquired.abandoned_by()));
    }
    let handshake = Handshake::of(&region)?;
    handshake.set_flags(Flags::STATE_STARTED);
    write_state_ints(&region, out)?;
    write_records(&region, out, Duration::from_millis(cli.interval_ms))?;
    sleep(Duration::from_millis(cli.hold_ms));
    handshake.set_flags(Flags::STATE_WRITTEN);
    drop(acquired); // ReleaseMutex()

    data(out.state_started());
    console.wait_for_enter(out.press_enter_to_exit())?;
    Ok(())
}

/// `OpenExisting` the region and its mutex; says to start message-server
/// first when there is none.
fn open_region_and_mutex(
    options: &RegionOptions,
    args: &RegionArgs,
    budget: &WaitBudget,
    out: &Transcript,
) -> Result<(Region, NamedMutex), DemoError> {
    let region = shared::demo::cli::open_existing(options, budget, out).map_err(|error| match error {
        DemoError::Object(error) => match error.failure() {
            Failure::NotFound { path } | Failure::NoSuchFile { path } => DemoError::StartMessageServerFirst {
                // The region's own name (on Windows `Global\` included), or the file's.
                name: match options.name() {
                    Some(name) => name.as_str().to_owned(),
                    None => path
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                },
            },
            _ => error.into(),
        },
        error => error,
    })?;
    wait_for_message_service(&region, budget, out)?;
    let mutex = args
        .open_existing_mutex(&region, budget, out)
        .map_err(|error| match error {
            // With --dotnet-session the session may be the wrong one: the
            // library's line names the file looked for.
            DemoError::Object(error)
                if matches!(error.failure(), Failure::NotFound { .. }) && args.dotnet_session.is_none() =>
            {
                DemoError::StartMessageServerFirst {
                    name: region.name().to_owned(),
                }
            }
            error => error,
        })?;
    Ok((region, mutex))
}

/// The message service writes first (it created the mutex already owned):
/// waits for that, so this side never goes first even if started at once.
/// The original `IMServer_Message` writes no handshake: met, it is said so,
/// and its mutex alone orders the two, as in the article.
fn wait_for_message_service(region: &Region, budget: &WaitBudget, out: &Transcript) -> Result<(), DemoError> {
    let setup_wait = budget
        .remaining()
        .map_or(MESSAGE_SETUP_WAIT, |left| left.min(MESSAGE_SETUP_WAIT));
    let until = Instant::now() + setup_wait;
    let handshake = Handshake::of(region)?;
    loop {
        let slice = until
            .saturating_duration_since(Instant::now())
            .min(ORIGINAL_PEER_LOOK);
        if handshake
            .wait_for_flags(Flags::MESSAGE_WRITTEN, slice)
            .contains(Flags::MESSAGE_WRITTEN)
        {
            return Ok(());
        }
        if original_peer::is_original_message_service(region)? {
            note(out.original_message_peer());
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(DemoError::StartMessageServerFirst {
                name: region.name().to_owned(),
            });
        }
    }
}

/// Writes 5..9 as `int32` at offset 20 through a stream view (`BinaryWriter`).
fn write_state_ints(region: &Region, out: &Transcript) -> Result<(), DemoError> {
    let mut stream = region.create_view_stream(STATE_INTS_OFFSET, 0)?;
    for i in INTS_PER_SERVER..2 * INTS_PER_SERVER {
        let value = i as i32;
        stream.write_i32::<LittleEndian>(value)?;
        data(&out.wrote(i, value));
    }
    Ok(())
}

/// Writes five `ServiceMsg` at view offsets 0, 16, ..., 64 of the records
/// accessor, `Id` = the offset, `NowTime` = now, pausing after each.
fn write_records(region: &Region, out: &Transcript, interval: Duration) -> Result<(), DemoError> {
    let accessor = region.create_view_accessor(RECORDS_OFFSET, RECORDS_VIEW_LEN)?;
    let handshake = Handshake::of(region)?;
    for k in 0..RECORD_COUNT {
        let offset = record_view_offset(k);
        let msg = ServiceMsg::now(offset as i32);
        accessor.write(offset, &msg)?; // accessor.Write(offset, ref msg)
        handshake.set_record_count(k as u32 + 1);
        data(&out.record(&msg));
        sleep(interval);
    }
    Ok(())
}
