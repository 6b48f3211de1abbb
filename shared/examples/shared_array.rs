//! An array of your own struct in shared memory, written by one process and
//! read by another with the typed accessor (`write_array` / `read_array`,
//! .NET `WriteArray` / `ReadArray`), under a named mutex.
//!
//! ```text
//! cargo run -p shared --example shared_array -- write NAME [DIR]   # terminal 1: waits for Enter
//! cargo run -p shared --example shared_array -- read NAME [DIR]    # terminal 2
//! ```
//!
//! `write` creates the region (exactly `RECORDS * size_of::<Reading>()`
//! bytes), fills it with readings under the mutex `NAMEmutex`, prints a line
//! starting `ready:` and keeps the region alive until Enter (or the end of
//! its input). `read` opens it, takes the mutex, reads every reading in one
//! copy and prints a summary. The checksum both print is the same when the
//! bytes crossed intact.

#[path = "support/in_dir.rs"]
mod in_dir;

use in_dir::InDir;
use std::error::Error;
use std::io::Write;
use std::mem::size_of;

use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
use shared::{Failure, MutexOptions, RegionName, RegionOptions};

/// How many readings the writer shares.
const RECORDS: usize = 1000;

/// One sensor reading: the user's own plain-old-data type.
///
/// `#[repr(C)]` fixes the field order and offsets; the derives let the
/// accessor copy it to and from the region as bytes, and refuse to compile
/// if any byte were uninitialised padding. `sensor` is 4 bytes and `taken_ns`
/// must start at an 8-byte boundary, so the 4 bytes between them are an
/// explicit, zeroed field.
#[derive(Debug, Clone, Copy, PartialEq, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
struct Reading {
    /// Which sensor (here: the reading's index).
    sensor: u32,
    /// Explicit padding, always zero.
    _padding: u32,
    /// When it was taken: nanoseconds since the Unix epoch.
    taken_ns: u64,
    /// What it measured.
    celsius: f64,
}

// 24 bytes on every target: 4 + 4 + 8 + 8, no hidden padding.
const _: () = assert!(size_of::<Reading>() == 24);

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: shared_array write|read NAME [DIR]";
    let (command, name, dir) = match args.as_slice() {
        [command, name] => (command, name, None),
        [command, name, dir] => (command, name, Some(dir)),
        _ => return Err(usage.into()),
    };
    let name = RegionName::new(name)?;
    let mutex_name = name.derived_mutex_name();
    let mut region = RegionOptions::named(&name);
    let mut mutex = MutexOptions::named(&mutex_name);
    if let Some(dir) = dir {
        region = region.in_dir(dir);
        mutex = mutex.in_dir(dir);
    }
    match command.as_str() {
        "write" => write(&region, &mutex),
        "read" => read(&region, &mutex),
        _ => Err(usage.into()),
    }
}

/// Creates the region, writes the readings under the mutex, then waits for
/// Enter (or the end of input) while a reader may come.
fn write(region: &RegionOptions, mutex: &MutexOptions) -> Result<(), Box<dyn Error>> {
    let size = (RECORDS * size_of::<Reading>()) as u64;
    let region = region.clone().size(size).create_new()?;
    // Created and owned in one step: no reader can get in before the data.
    let created = mutex.create(true)?;
    let owned = created.guard.ok_or_else(|| {
        format!(
            "the mutex {} already exists: is another writer running?",
            created.mutex.name()
        )
    })?;
    let start_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let readings: Vec<Reading> = (0..RECORDS)
        .map(|i| Reading {
            sensor: i as u32,
            _padding: 0,
            taken_ns: start_ns + i as u64 * 1_000,
            celsius: 20.0 + (i % 100) as f64 / 10.0,
        })
        .collect();
    let accessor = region.create_view_accessor(0, 0)?;
    accessor.write_array(0, &readings)?; // accessor.WriteArray(0, readings, 0, readings.Length)
    drop(owned); // mutex.ReleaseMutex()

    println!(
        "ready: wrote {RECORDS} readings ({} bytes each, {size} bytes) to {}; checksum {:016x}; press Enter to exit",
        size_of::<Reading>(),
        region.path().display(),
        checksum(&readings)
    );
    std::io::stdout().flush()?;
    std::io::stdin().read_line(&mut String::new())?;
    Ok(())
}

/// Opens the region, reads every reading under the mutex, prints a summary.
fn read(region: &RegionOptions, mutex: &MutexOptions) -> Result<(), Box<dyn Error>> {
    let region = region.open_existing().map_err(|error| match error.failure() {
        Failure::NotFound { path } => format!(
            "no region at {}: start `shared_array write` with the same NAME and DIR first",
            path.display()
        ),
        _ => error.to_string(),
    })?;
    let mutex = mutex.open_existing().map_err(|error| match error.failure() {
        Failure::NotFound { path } => format!(
            "no mutex at {}: start `shared_array write` with the same NAME and DIR first",
            path.display()
        ),
        _ => error.to_string(),
    })?;
    let acquired = mutex.wait()?;
    if let Some(pid) = acquired.abandoned_by() {
        eprintln!("note: process {pid} died holding the mutex; the readings may be incomplete");
    }
    let accessor = region.create_view_accessor(0, 0)?;
    // As many as the region holds (a writer of another build could differ).
    let fits = (region.size() / size_of::<Reading>() as u64) as usize;
    let mut readings = vec![Reading::default(); fits];
    let count = accessor.read_array(0, &mut readings)?; // accessor.ReadArray(0, readings, 0, readings.Length)
    drop(acquired);
    readings.truncate(count);

    println!("ready: read {count} readings from {}", region.path().display());
    let (Some(first), Some(last)) = (readings.first(), readings.last()) else {
        return Err("the region holds no whole reading".into());
    };
    println!("first: {first:?}");
    println!("last:  {last:?}");
    println!("checksum {:016x}", checksum(&readings));
    Ok(())
}

/// FNV-1a over the readings' bytes: equal when the bytes crossed intact.
fn checksum(readings: &[Reading]) -> u64 {
    readings
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}
