//! Streams records to `ring_consumer` through a ring in shared memory.
//!
//! ```text
//! cargo run --release -p shared --features console --example ring_producer -- --name demo-ring --count 1000000
//! cargo run --release -p shared --features console --example ring_consumer -- --name demo-ring   # another terminal
//! ```
//!
//! The records are the demo's [`ServiceMsg`] (any plain-old-data type would
//! do: `RecordSender<T>`). Record `i` has `id = i` (wrapping) and
//! `now_time = i`, so the consumer can check that nothing was lost,
//! duplicated or reordered.
//!
//! With `--wait-consumer SECS` it keeps going across a consumer's death
//! (or close): it waits up to SECS for the next consumer to take its place,
//! and sends on from where the ring stands. It ends with `delivered all N
//! records`, or says how many were not delivered.
//!
//! Ctrl-C, `SIGTERM` and `SIGHUP` leave as a normal exit would (exit code
//! 130): the last of the two out removes the ring's files.

#[path = "support/in_dir.rs"]
mod in_dir;
#[path = "support/signals.rs"]
mod signals;

use in_dir::InDir;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use shared::demo::ServiceMsg;
use shared::ring::{RecordSender, RingError};
use shared::{RegionName, RegionOptions};

/// Stream numbered records through a shared-memory ring.
#[derive(Debug, Parser)]
struct Cli {
    /// Ring region name. Example: --name demo-ring
    #[arg(long, value_parser = RegionName::new, default_value = "demo-ring")]
    name: RegionName,
    /// Region directory [default: /dev/shm]. Example: --dir /tmp
    #[arg(long)]
    dir: Option<PathBuf>,
    /// How many records to send. Example: --count 1000000
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Ring capacity in records (a power of two). Example: --capacity 65536
    #[arg(long, default_value_t = 65_536)]
    capacity: u32,
    /// Pause before sending, in milliseconds (lets a consumer attach and
    /// start waiting). Example: --delay-ms 100
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Records per send call (1: one `send` per record, else `send_batch`).
    /// Example: --batch 256
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// How long to wait, after the last send, for the consumer to take
    /// every record (it may start later than this program), in seconds.
    /// Example: --finish 30
    #[arg(long, default_value_t = 10.0)]
    finish: f64,
    /// When the consumer dies or closes, wait up to this long for another
    /// to take its place and go on, in seconds (without it, the stream
    /// ends there). Example: --wait-consumer 30
    #[arg(long)]
    wait_consumer: Option<f64>,
}

fn main() {
    let cli = Cli::parse();
    signals::leave_cleanly_on_signals();
    if let Err(error) = run(&cli) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut options = RegionOptions::named(&cli.name);
    if let Some(dir) = &cli.dir {
        options = options.in_dir(dir);
    }
    let mut sender = RecordSender::<ServiceMsg>::create(&options, cli.capacity)?;
    println!(
        "ready: streaming {} records on {} (start ring_consumer)",
        cli.count, cli.name
    );
    std::thread::sleep(std::time::Duration::from_millis(cli.delay_ms));
    let batch = cli.batch.max(1) as u64;
    let replace = cli
        .wait_consumer
        .map(|secs| Duration::from_secs_f64(secs.max(0.0)));
    let started = Instant::now();
    if batch == 1 {
        // One `send` per record, built just before: how most programs send.
        let mut i = 0;
        while i < cli.count {
            match sender.send(&ServiceMsg::new(i as i32, i as i64)) {
                Ok(()) => i += 1,
                Err(error) => wait_for_another_consumer(&sender, error, replace)?,
            }
        }
    } else {
        let mut buf = Vec::with_capacity(batch as usize);
        let mut next = 0u64;
        while next < cli.count {
            buf.clear();
            buf.extend((next..cli.count.min(next + batch)).map(|i| ServiceMsg::new(i as i32, i as i64)));
            // On an error, part of the batch may have been sent.
            let before = sender.written();
            match sender.send_batch(&buf) {
                Ok(()) => next += buf.len() as u64,
                Err(error) => {
                    next += u64::from(sender.written().wrapping_sub(before));
                    wait_for_another_consumer(&sender, error, replace)?;
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sent {} records in {secs:.3} s ({:.1} M records/s)",
        cli.count,
        cli.count as f64 / secs / 1e6
    );
    // Waits for the consumer to take them all: without it, records sent
    // before any consumer attached would go with this process, unsaid.
    let finish = Duration::from_secs_f64(cli.finish.max(0.0));
    if replace.is_some() {
        while let Err(error) = sender.wait_until_taken(finish) {
            wait_for_another_consumer(&sender, error, replace)?;
        }
    }
    let undelivered = sender.finish(finish)?;
    if undelivered > 0 {
        return Err(format!(
            "{undelivered} of {} records were never taken by a consumer (start ring_consumer, or give --finish more time)",
            cli.count
        )
        .into());
    }
    println!("delivered all {} records", cli.count);
    Ok(())
}

/// After a send that failed with `error`: when the consumer died or closed
/// and `replace` is set, waits that long for another to take its place;
/// otherwise (or when none came) fails with what went wrong.
fn wait_for_another_consumer(
    sender: &RecordSender<ServiceMsg>,
    error: RingError,
    replace: Option<Duration>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (
        RingError::PeerGone { .. }
        | RingError::PeerClosed {
            found_corrupt: false, ..
        },
        Some(wait),
    ) = (&error, replace)
    else {
        return Err(error.into());
    };
    println!(
        "{error}\nwaiting up to {:.1} s for another consumer",
        wait.as_secs_f64()
    );
    sender.wait_for_consumer(wait)?;
    println!("another consumer took its place");
    Ok(())
}
