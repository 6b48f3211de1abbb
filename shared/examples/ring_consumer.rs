//! Receives the records of `ring_producer` and checks that none was lost,
//! duplicated or reordered. Prints `ready: ...` once it has attached to the
//! ring, `first K` when it receives its first record (K its number: a
//! consumer that takes a dead one's place starts mid-stream), and
//! `received M records in order ...` at the end. Exits 1 when the stream
//! ended any other way than by the producer closing a sound ring (the
//! producer died, or stopped because it found the ring corrupt: the stream
//! was cut).
//!
//! `--ack` receives at least once: each batch is acknowledged only after it
//! was checked, so a consumer that takes this one's place after it died
//! starts at or before the first record this one did not acknowledge
//! (without it, at most once: after the last record this one received).
//! `--stall-after N` plays a consumer that hangs: once it has received N
//! records it prints `stalled: received B, acknowledged A` (the last batch
//! received and not acknowledged) and waits, receiving nothing more, until
//! it is killed: a new consumer then starts at A with `--ack`, at B without.
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
use shared::ring::RecordReceiver;
use shared::{RegionName, RegionOptions};

/// Receive numbered records from a shared-memory ring and check them.
#[derive(Debug, Parser)]
struct Cli {
    /// Ring region name. Example: --name demo-ring
    #[arg(long, value_parser = RegionName::new, default_value = "demo-ring")]
    name: RegionName,
    /// Region directory [default: /dev/shm]. Example: --dir /tmp
    #[arg(long)]
    dir: Option<PathBuf>,
    /// How long to wait for the producer to appear, in seconds. Example: --wait 10
    #[arg(long, default_value_t = 10.0)]
    wait: f64,
    /// Receive at least once: acknowledge each batch after checking it.
    #[arg(long)]
    ack: bool,
    /// Once this many records were received, stop (the last batch not
    /// acknowledged) and wait to be killed. Example: --stall-after 5000
    #[arg(long)]
    stall_after: Option<u64>,
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
    // Either side may start first.
    let mut receiver =
        RecordReceiver::<ServiceMsg>::open_timeout(&options, Duration::from_secs_f64(cli.wait.max(0.0)))?;
    if cli.ack {
        receiver = receiver.acknowledging();
    }
    println!("ready: receiving from {}", cli.name);
    let started = Instant::now();
    let mut buf = vec![ServiceMsg::default(); 1024];
    let mut first = None;
    let mut expected = 0u64;
    loop {
        let n = match receiver.recv_batch(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) => {
                println!(
                    "received {} records in order before the error",
                    expected - first.unwrap_or(0)
                );
                return Err(error.into());
            }
        };
        if first.is_none() {
            // Where this consumer starts: 0, or where a dead one left off.
            expected = buf[0].now_time as u64;
            first = Some(expected);
            println!("first {expected}");
        }
        for msg in &buf[..n] {
            if msg.id != expected as i32 || msg.now_time != expected as i64 {
                return Err(
                    format!("record {expected} arrived as {msg:?}: lost, duplicated or reordered").into(),
                );
            }
            expected += 1;
        }
        if cli
            .stall_after
            .is_some_and(|n| expected - first.unwrap_or(0) >= n)
        {
            let acknowledged = expected - u64::from(receiver.unacknowledged());
            println!("stalled: received {expected}, acknowledged {acknowledged}");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        receiver.ack();
    }
    let secs = started.elapsed().as_secs_f64();
    let received = expected - first.unwrap_or(0);
    println!("received {received} records in order in {secs:.3} s");
    Ok(())
}
