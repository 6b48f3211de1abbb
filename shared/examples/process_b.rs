//! The .NET docs' "non-persisted memory-mapped files" example, process B:
//! open process A's region and mutex, wait for the mutex, write `0` at
//! offset 1, release. Run while `process_a` waits for Enter.
//!
//! ```text
//! cargo run -p shared --example process_b -- [NAME] [DIR]
//! ```
//!
//! NAME and DIR as for `process_a` (default `testmap-ab` in `/dev/shm`); the
//! mutex is `NAMEmutex` (so NAME has at most 195 bytes). Each C# line of the docs is quoted above its Rust
//! counterpart.

#[path = "support/in_dir.rs"]
mod in_dir;

use in_dir::InDir;
use std::error::Error;
use std::io::Write;

use shared::{Failure, MutexOptions, RegionName, RegionOptions};

/// Used when no NAME is given (as in `process_a`).
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
    // "testmapmutex": NAME followed by `mutex`; refused, with the limit on
    // NAME, past 200 bytes.
    let mutex_name = name.derived_mutex_name();
    let dir = args.next();
    let mut region_options = RegionOptions::named(&name);
    let mut mutex_options = MutexOptions::named(&mutex_name);
    if let Some(dir) = &dir {
        region_options = region_options.in_dir(dir);
        mutex_options = mutex_options.in_dir(dir);
    }

    // try {
    //     using (MemoryMappedFile mmf = MemoryMappedFile.OpenExisting("testmap"))
    // } catch (FileNotFoundException) {
    //     Console.WriteLine("Memory-mapped file does not exist. Run Process A first.");
    // }
    let mmf = region_options
        .open_existing()
        .map_err(|error| match error.failure() {
            Failure::NotFound { .. } => "Memory-mapped file does not exist. Run Process A first.".to_string(),
            _ => error.to_string(),
        })?;
    // Mutex mutex = Mutex.OpenExisting("testmapmutex");
    let mutex = mutex_options
        .open_existing()
        .map_err(|error| match error.failure() {
            Failure::NotFound { .. } => {
                format!("the mutex {mutex_name} does not exist. Run Process A first.")
            }
            _ => error.to_string(),
        })?;
    // mutex.WaitOne();
    let acquired = mutex.wait()?;
    if let Some(pid) = acquired.abandoned_by() {
        eprintln!("note: process {pid} died holding {mutex_name}; what it wrote may be incomplete");
    }
    {
        // using (MemoryMappedViewStream stream = mmf.CreateViewStream(1, 0))
        let mut stream = mmf.create_view_stream(1, 0)?;
        // BinaryWriter writer = new BinaryWriter(stream);
        // writer.Write(0);                       // an int: bytes 00 00 00 00 at offset 1
        stream.write_all(&0i32.to_le_bytes())?;
    }
    // mutex.ReleaseMutex();
    drop(acquired);
    println!("Process B wrote false at offset 1; press ENTER in Process A.");
    Ok(())
}
