//! A small helper process for the crate's cross-process tests (and for trying
//! things by hand). Each command prints `ready` once it is in place.
//!
//! ```text
//! helper hold  NAME DIR      open (create or open) the region, write a marker, wait forever
//! helper lock  NAME DIR      open the region, take its mutex, wait forever holding it
//! helper count NAME DIR N    add 1 to the counter at offset 2048, N times, under the mutex
//! ```

use std::error::Error;
use std::io::Write;

use shared::{NamedMutex, RegionName, RegionOptions};

/// Offset of the counter the `count` command increments.
const COUNTER_OFFSET: u64 = 2048;
/// Marker the `hold` command writes at offset 1024.
const MARKER: i64 = 0x5EED_F00D;

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn ready() {
    println!("ready");
    let _ = std::io::stdout().flush();
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, name, dir, rest @ ..] = args.as_slice() else {
        return Err("usage: helper hold|lock|count NAME DIR [N]".into());
    };
    let options = RegionOptions::named(&RegionName::new(name)?).dir(dir);
    match command.as_str() {
        "hold" => {
            let region = options.create_or_open()?;
            region.create_view_accessor(0, 0)?.write_i64(1024, MARKER)?;
            ready();
            loop {
                std::thread::park();
            }
        }
        "lock" => {
            let region = options.create_or_open()?;
            let mutex = NamedMutex::create(&region, false)?.mutex;
            let _owned = mutex.wait()?;
            ready();
            loop {
                std::thread::park();
            }
        }
        "count" => {
            let times: u32 = rest.first().ok_or("count needs N")?.parse()?;
            let region = options.create_or_open()?;
            let mutex = NamedMutex::create(&region, false)?.mutex;
            let accessor = region.create_view_accessor(0, 0)?;
            ready();
            for _ in 0..times {
                let _owned = mutex.wait()?;
                let value = accessor.read_i32(COUNTER_OFFSET)?;
                accessor.write_i32(COUNTER_OFFSET, value + 1)?;
            }
            Ok(())
        }
        other => Err(format!("unknown command {other}").into()),
    }
}
