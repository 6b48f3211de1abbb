//! A board one process writes and any number read, through a latest-value
//! cell ([`shared::latest`]): the writer publishes a counter and a checksum
//! of the rest of the board; every reader checks every snapshot it reads.
//!
//! ```text
//! cargo run --release -p shared --features console --example latest_board -- write --name board --rate 10000 --secs 3
//! cargo run --release -p shared --features console --example latest_board -- read --name board --secs 3   # other terminals
//! cargo run --release -p shared --features console --example latest_board -- write --name board --die-mid-write
//! ```
//!
//! Either side may start first: both create the region or open it. A reader
//! prints `ready: ...` once it has the cell, reads until `--secs` pass or
//! the writer is gone (finished, or died), says what it saw, and ends with
//! the line `reads R torn T` (T: snapshots whose checksum did not match;
//! it exits 1 when T is not 0). A writer prints `ready: ...` once it holds
//! the cell and `wrote N values` when done. With `--die-mid-write` it dies
//! halfway through writing one more value, between the cell's two counter
//! steps (through the library's hidden test hook), as a writer killed
//! there would: it prints `dying mid-write: value #N half written` and
//! exits with code 137 without giving its claim back. Bad input gives one
//! line on stderr and exit code 1 (2 for a flag clap does not know).

#[path = "support/in_dir.rs"]
mod in_dir;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use in_dir::InDir;
use shared::latest::{Latest, LatestError, LatestWriter, Pending};
use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
use shared::{process_alive, Region, RegionName, RegionOptions};

/// The exit code of a writer that died mid-write on purpose (128 + 9, as a
/// shell reports a process killed -9).
const DIED_MID_WRITE: i32 = 137;
/// The cell's offset in the region.
const CELL_OFFSET: u64 = 0;
/// How many reads go by between two looks at whether the writer is still
/// there (each look is a system call).
const READS_PER_LOOK: u64 = 1024;

/// What the board holds: a counter, a checksum of it and the rest, and
/// the rest (64 bytes, two cache lines of its slot): a torn copy mixes
/// words of two writes, which the checksum catches.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
struct Board {
    counter: u64,
    checksum: u64,
    rest: [u64; 6],
}

impl Board {
    fn new(counter: u64) -> Board {
        let rest = std::array::from_fn(|i| {
            counter
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(i as u32 * 7)
        });
        Board {
            counter,
            checksum: checksum(counter, &rest),
            rest,
        }
    }

    /// Whether the checksum matches the rest: the board is from one write.
    fn is_whole(&self) -> bool {
        self.checksum == checksum(self.counter, &self.rest)
    }
}

fn checksum(counter: u64, rest: &[u64; 6]) -> u64 {
    rest.iter().fold(counter ^ 0xcbf2_9ce4_8422_2325, |sum, &word| {
        (sum ^ word).wrapping_mul(0x100_0000_01b3)
    })
}

/// Write a board through a latest-value cell, or read it and check every
/// snapshot.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    side: Side,
}

#[derive(Debug, Subcommand)]
enum Side {
    /// Publish a counter and a checksum of the rest, `--rate` times a second.
    Write(WriteArgs),
    /// Read the board until `--secs` pass or the writer is gone; check
    /// every snapshot.
    Read(ReadArgs),
}

#[derive(Debug, Args)]
struct Place {
    /// Region name. Example: --name board
    #[arg(long, value_parser = RegionName::new, default_value = "board")]
    name: RegionName,
    /// Region directory (Linux) [default: /dev/shm]. Example: --dir /tmp
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct WriteArgs {
    #[command(flatten)]
    place: Place,
    /// Values a second (0: as fast as it can). Example: --rate 10000
    #[arg(long, default_value_t = 10_000.0)]
    rate: f64,
    /// How long to write, in seconds. Example: --secs 3
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// After `--secs`, die halfway through writing one more value.
    #[arg(long)]
    die_mid_write: bool,
}

#[derive(Debug, Args)]
struct ReadArgs {
    #[command(flatten)]
    place: Place,
    /// How long to read at most, in seconds. Example: --secs 3
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// How long to wait for a first value, in seconds. Example: --wait 10
    #[arg(long, default_value_t = 10.0)]
    wait: f64,
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.side {
        Side::Write(args) => write(args),
        Side::Read(args) => read(args),
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// `secs` as a duration, or the line that says why it is not one.
fn seconds(flag: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{flag} {secs} is not a number of seconds: give 0 or more"))
}

/// The board's region: created by whichever side comes first.
fn region(place: &Place) -> Result<Region, Box<dyn std::error::Error>> {
    let mut options = RegionOptions::named(&place.name).size(Latest::<Board>::SIZE);
    if let Some(dir) = &place.dir {
        options = options.in_dir(dir);
    }
    Ok(options.create_or_open()?)
}

fn write(args: &WriteArgs) -> Result<(), Box<dyn std::error::Error>> {
    let secs = seconds("--secs", args.secs)?;
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        return Err(format!(
            "--rate {} is not a rate: give values a second, or 0 for as fast as it can",
            args.rate
        )
        .into());
    }
    let region = region(&args.place)?;
    let mut writer = LatestWriter::<Board>::claim(&region, CELL_OFFSET)?;
    println!(
        "ready: writing the board on {} (pid {})",
        args.place.name,
        std::process::id()
    );
    if let Some(dead) = writer.took_over_from() {
        println!("took over from writer pid {dead}, which died without giving the cell back");
    }
    let started = Instant::now();
    let mut written = 0u64;
    while started.elapsed() < secs {
        if args.rate > 0.0 {
            let due = (started.elapsed().as_secs_f64() * args.rate) as u64 + 1;
            if written >= due {
                std::thread::sleep(Duration::from_secs_f64(
                    ((written + 1) as f64 / args.rate - started.elapsed().as_secs_f64()).clamp(0.0, 0.001),
                ));
                continue;
            }
        }
        written += 1;
        writer.publish(&Board::new(written));
    }
    if args.die_mid_write {
        let number = writer.published() + 1;
        writer.publish_interrupted(&Board::new(written + 1), || {
            println!("dying mid-write: value #{number} half written");
            std::process::exit(DIED_MID_WRITE);
        });
    }
    println!(
        "wrote {written} values in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What a reader saw of the writer when it stopped.
enum Writer {
    StillWriting,
    Finished,
    DiedMidWrite(u32),
    Died(u32),
    DiedBeforeAnyValue(u32),
}

fn read(args: &ReadArgs) -> Result<(), Box<dyn std::error::Error>> {
    let secs = seconds("--secs", args.secs)?;
    let wait = seconds("--wait", args.wait)?;
    let region = region(&args.place)?;
    let cell = Latest::<Board>::open(&region, CELL_OFFSET)?;
    println!("ready: reading the board on {}", args.place.name);
    let started = Instant::now();
    let (mut reads, mut torn, mut went_back) = (0u64, 0u64, 0u64);
    let (mut first, mut last) = (None, 0u64);
    let mut pending_seen = 0u64;
    let writer = loop {
        let snapshot = match cell.read() {
            Ok(snapshot) => snapshot,
            Err(LatestError::Empty) if first.is_none() && started.elapsed() < wait => {
                if let Some(pid) = cell.writer_pid().filter(|&pid| !process_alive(pid)) {
                    break Writer::DiedBeforeAnyValue(pid);
                }
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            Err(LatestError::Empty) if first.is_none() => {
                return Err(format!(
                    "no value was published within {} s: start latest_board write",
                    args.wait
                )
                .into());
            }
            Err(error) => return Err(error.into()),
        };
        reads += 1;
        torn += u64::from(!snapshot.value.is_whole());
        went_back += u64::from(snapshot.number < last);
        first.get_or_insert(snapshot.number);
        last = snapshot.number;
        match snapshot.pending {
            Pending::WriterDied { pid } => break Writer::DiedMidWrite(pid),
            Pending::Writing => pending_seen += 1,
            _ => {}
        }
        if reads % READS_PER_LOOK == 0 {
            if started.elapsed() >= secs {
                break Writer::StillWriting;
            }
            match cell.writer_pid() {
                None => break Writer::Finished,
                Some(pid) if !process_alive(pid) => {
                    // Gone between two values, or in the middle of one:
                    // the next read says which.
                    match cell.read().map(|again| again.pending) {
                        Ok(Pending::Writing | Pending::WriterDied { .. }) => break Writer::DiedMidWrite(pid),
                        _ => break Writer::Died(pid),
                    }
                }
                Some(_) => {}
            }
        }
    };
    let first = first.unwrap_or(0);
    println!("saw values #{first} to #{last}, a newer one under way in {pending_seen} reads");
    match writer {
        Writer::StillWriting => println!("the writer was still writing after {} s", args.secs),
        Writer::Finished => println!("the writer finished: the last value #{last} stays readable"),
        Writer::DiedMidWrite(pid) => {
            println!("the writer (pid {pid}) died mid-write: the last whole value #{last} stays readable")
        }
        Writer::DiedBeforeAnyValue(pid) => {
            println!("the writer (pid {pid}) died before it published a whole value: there is none to read")
        }
        Writer::Died(pid) => {
            println!("the writer (pid {pid}) died between two values: the last value #{last} stays readable")
        }
    }
    if went_back > 0 {
        println!("{went_back} reads gave an older value than the read before");
    }
    println!("reads {reads} torn {torn}");
    if torn > 0 || went_back > 0 {
        return Err(format!("{torn} of {reads} snapshots were torn, {went_back} went back").into());
    }
    Ok(())
}
