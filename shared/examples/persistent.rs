//! The article's persistent snippet: `MemoryMappedFile.CreateFromFile` over a
//! file on disk, and a window of it rewritten in place. The data stays in the
//! file after the process exits: run it twice and the counters go on counting.
//!
//! ```text
//! cargo run -p shared --example persistent -- [PATH]     # default ./persistent.dat
//! ```

use std::error::Error;

use shared::{NamedMutex, Region};

/// Where the window starts and how many `i32` counters it holds.
const WINDOW_OFFSET: u64 = 4096;
const COUNTERS: u64 = 4;

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "persistent.dat".into());
    // using (var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.OpenOrCreate, ...))
    let region = Region::create_from_file(&path)?;
    let mutex = NamedMutex::create(&region, false)?.mutex;
    let _owned = mutex.wait()?;
    // using (var accessor = mmf.CreateViewAccessor(offset, length))
    let accessor = region.create_view_accessor(WINDOW_OFFSET, COUNTERS * 4)?;
    let mut after = Vec::new();
    for i in 0..COUNTERS {
        let value = accessor.read_i32(i * 4)?;
        accessor.write_i32(i * 4, value.wrapping_add(1 + i as i32))?; // rewrite in place
        after.push(accessor.read_i32(i * 4)?);
    }
    println!("{path}: counters now {after:?} (run again: they keep counting)");
    Ok(())
}
