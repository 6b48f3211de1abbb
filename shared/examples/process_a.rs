//! The .NET docs' "non-persisted memory-mapped files" example, process A:
//! create a 10,000-byte region and a named mutex it owns from the start, write
//! `1` at offset 0, release the mutex; after Enter, take the mutex again and
//! read what process A and process B wrote.
//!
//! ```text
//! cargo run -p shared --example process_a -- [NAME] [DIR]   # terminal 1
//! cargo run -p shared --example process_b -- [NAME] [DIR]   # terminal 2, then Enter in 1
//! ```
//!
//! NAME defaults to `testmap-ab` (the docs say `testmap`, which is also the
//! demo's region, so the default keeps the two apart); DIR to `/dev/shm`. The
//! mutex is `NAMEmutex` (`testmapmutex` in the docs): a stand-alone named
//! mutex in the same directory, so its name must differ from the region's.
//! Being a name itself, it has at most 200 bytes, so NAME at most 195.
//!
//! Each C# line of the docs is quoted above its Rust counterpart.

#[path = "support/in_dir.rs"]
mod in_dir;

use in_dir::InDir;
use std::error::Error;
use std::io::{Read, Write};

use shared::{Failure, MutexOptions, RegionName, RegionOptions};

/// `MemoryMappedFile.CreateNew("testmap", 10000)`: the docs' capacity.
const REGION_SIZE: u64 = 10_000;
/// Used when no NAME is given.
const DEFAULT_NAME: &str = "testmap-ab";

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let name = RegionName::new(&args.next().unwrap_or_else(|| DEFAULT_NAME.into()))?;
    // Mutex mutex = new Mutex(true, "testmapmutex", ...): NAME followed by
    // `mutex`; refused, with the limit on NAME, past 200 bytes.
    let mutex_name = name.derived_mutex_name();
    let dir = args.next();
    let mut region_options = RegionOptions::named(&name).size(REGION_SIZE);
    let mut mutex_options = MutexOptions::named(&mutex_name);
    if let Some(dir) = &dir {
        region_options = region_options.in_dir(dir);
        mutex_options = mutex_options.in_dir(dir);
    }

    // using (MemoryMappedFile mmf = MemoryMappedFile.CreateNew("testmap", 10000))
    let mmf = region_options
        .create_new()
        .map_err(|error| match error.failure() {
            Failure::AlreadyExists { .. } => format!("{error} (is another process A running?)"),
            _ => error.to_string(),
        })?;
    // bool mutexCreated;
    // Mutex mutex = new Mutex(true, "testmapmutex", out mutexCreated);
    let created = mutex_options.create(true)?;
    // (.NET would hand an existing mutex back unowned and let ReleaseMutex
    // throw below; here `guard` is Some exactly when this call created it.)
    let owned = created
        .guard
        .ok_or_else(|| format!("the mutex {mutex_name} already exists: is another process A running?"))?;
    let mutex = created.mutex;
    {
        // using (MemoryMappedViewStream stream = mmf.CreateViewStream())
        let mut stream = mmf.create_view_stream(0, 0)?;
        // BinaryWriter writer = new BinaryWriter(stream);
        // writer.Write(1);                       // an int: bytes 01 00 00 00
        stream.write_all(&1i32.to_le_bytes())?;
    }
    // mutex.ReleaseMutex();
    drop(owned);

    // Console.WriteLine("Start Process B and press ENTER to continue.");
    // Console.ReadLine();
    println!("Start Process B and press ENTER to continue.");
    std::io::stdout().flush()?;
    std::io::stdin().read_line(&mut String::new())?;

    // mutex.WaitOne();
    let acquired = mutex.wait()?;
    if let Some(pid) = acquired.abandoned_by() {
        // .NET: AbandonedMutexException; the lock is ours all the same.
        eprintln!("note: process {pid} died holding {mutex_name}; what it wrote may be incomplete");
    }
    {
        // using (MemoryMappedViewStream stream = mmf.CreateViewStream())
        let mut stream = mmf.create_view_stream(0, 0)?;
        // BinaryReader reader = new BinaryReader(stream);
        // Console.WriteLine("Process A says: {0}", reader.ReadBoolean());
        // Console.WriteLine("Process B says: {0}", reader.ReadBoolean());
        let mut said = [0u8; 2];
        stream.read_exact(&mut said)?;
        println!("Process A says: {}", said[0] != 0);
        println!("Process B says: {}", said[1] != 0);
    }
    // mutex.ReleaseMutex();
    drop(acquired);
    // } (end of using): the last process to close the region removes it, and
    // the mutex's files with it.
    Ok(())
}
