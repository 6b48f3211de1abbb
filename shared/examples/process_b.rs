//! The article's first snippet, process B: `OpenExisting` the region, wait for
//! the mutex, write `false` at offset 1, release. Run after `process_a`.

use std::error::Error;
use std::io::{Seek, SeekFrom, Write};

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

    // using (MemoryMappedFile mmf = MemoryMappedFile.OpenExisting("testmap"))
    let region = options.open_existing()?;
    // Mutex mutex = Mutex.OpenExisting("testmapmutex"); mutex.WaitOne();
    let mutex = NamedMutex::open_existing(&region)?;
    let acquired = mutex.wait()?;
    // using (MemoryMappedViewStream stream = mmf.CreateViewStream(1, 0))
    //     new BinaryWriter(stream).Write(0);
    let mut stream = region.create_view_stream(0, 0)?;
    stream.seek(SeekFrom::Start(1))?;
    stream.write_all(&[0])?;
    drop(acquired); // mutex.ReleaseMutex();
    println!("Process B wrote false at offset 1; press ENTER in Process A.");
    Ok(())
}
