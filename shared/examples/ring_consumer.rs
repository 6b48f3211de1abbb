//! Receives the records of `ring_producer` and checks that none was lost,
//! duplicated or reordered. Prints `ready: ...` once it has attached to the
//! ring, and exits 1 when the stream ended any other way than by the
//! producer closing a sound ring (the producer died, or stopped because it
//! found the ring corrupt: the stream was cut).
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
    println!("ready: receiving from {}", cli.name);
    let started = Instant::now();
    let mut buf = vec![ServiceMsg::default(); 1024];
    let mut expected = 0u64;
    loop {
        let n = match receiver.recv_batch(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) => {
                println!("received {expected} records in order before the error");
                return Err(error.into());
            }
        };
        for msg in &buf[..n] {
            if msg.id != expected as i32 || msg.now_time != expected as i64 {
                return Err(
                    format!("record {expected} arrived as {msg:?}: lost, duplicated or reordered").into(),
                );
            }
            expected += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("received {expected} records in order in {secs:.3} s");
    Ok(())
}
