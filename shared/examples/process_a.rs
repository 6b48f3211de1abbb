//! The article's first snippet, process A (.NET docs: "non-persisted memory-mapped
//! files"): `CreateNew` a region, `new Mutex(true, ...)`, write `true` at offset
//! 0, release; after Enter, read both processes' bools.
//!
//! ```text
//! cargo run -p shared --example process_a -- [NAME] [DIR]   # terminal 1
//! cargo run -p shared --example process_b -- [NAME] [DIR]   # terminal 2
//! ```

use std::error::Error;
use std::io::{Read, Write};

use shared::{NamedMutex, RegionName, RegionOptions};

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let name = RegionName::new(&args.next().unwrap_or_else(|| "testmap-ab".into()))?;
    let mut options = RegionOptions::named(&name);
    if let Some(dir) = args.next() {
        options = options.dir(dir);
    }

    // using (MemoryMappedFile mmf = MemoryMappedFile.CreateNew("testmap", 10000))
    let region = options.create_new()?;
    // Mutex mutex = new Mutex(true, "testmapmutex", out mutexCreated);
    let created = NamedMutex::create(&region, true)?;
    let owned = created
        .guard
        .ok_or("the mutex already exists: is another process A running?")?;
    {
        // using (MemoryMappedViewStream stream = mmf.CreateViewStream())
        //     new BinaryWriter(stream).Write(1);
        let mut stream = region.create_view_stream(0, 0)?;
        stream.write_all(&[1])?;
    }
    drop(owned); // mutex.ReleaseMutex();

    println!("Start Process B and press ENTER to continue.");
    std::io::stdin().read_line(&mut String::new())?;

    let acquired = created.mutex.wait()?; // mutex.WaitOne();
    let mut stream = region.create_view_stream(0, 0)?;
    let mut bools = [0u8; 2];
    stream.read_exact(&mut bools)?;
    println!("Process A says: {}", bools[0] != 0);
    println!("Process B says: {}", bools[1] != 0);
    drop(acquired); // mutex.ReleaseMutex();
    Ok(())
}
