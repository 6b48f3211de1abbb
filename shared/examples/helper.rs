//! A small helper process for the crate's cross-process tests (and for trying
//! things by hand). Each command prints `ready` once it is in place.
//!
//! ```text
//! helper hold  NAME DIR      open (create or open) the region, write a marker, wait forever
//! helper lock  NAME DIR      open the region, take its mutex, wait forever holding it
//! helper count NAME DIR N    add 1 to the counter at offset 2048, N times, under the mutex
//! helper race  NAME DIR I K  create_or_open together with K-1 others; write slot I, then
//!                            wait until all K slots are written (no one re-initialized)
//! ```

use std::error::Error;
use std::io::Write;

use shared::{NamedMutex, RegionName, RegionOptions};

/// Offset of the counter the `count` command increments.
const COUNTER_OFFSET: u64 = 2048;
/// Where the `race` command's slots start.
const RACE_SLOTS_OFFSET: u64 = 4096;
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
        "race" => {
            let [index, count] = [rest.first(), rest.get(1)].map(|arg| arg.map(|a| a.parse::<u64>()));
            let (Some(Ok(index)), Some(Ok(count))) = (index, count) else {
                return Err("race needs I and K".into());
            };
            let region = options.create_or_open()?;
            let accessor = region.create_view_accessor(RACE_SLOTS_OFFSET, count * 4)?;
            accessor.write_i32(index * 4, index as i32 + 1)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while (0..count).any(|k| accessor.read_i32(k * 4) != Ok(k as i32 + 1)) {
                if std::time::Instant::now() > deadline {
                    return Err("slots were lost: someone re-initialized the region".into());
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            println!("created={}", region.created_new());
            Ok(())
        }
        other => Err(format!("unknown command {other}").into()),
    }
}
