//! The inspector: decodes a live region for a person, without writing to it
//! and without taking its mutex.
//!
//! ```text
//! cargo run -p shared --example inspect -- --name testmap [--dir DIR | --file PATH] [--watch]
//! ```
//!
//! Shows the control block (magic, version, size, flags, record count, mutex
//! holder and creator, attached processes), the ten integers, every record
//! written (raw ticks and local time), and hex dumps of bytes 0–63 and
//! 1024–1103. `--watch` redraws twice a second as the exchange runs;
//! `--hint` prints one line saying what to do next in the demo.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use shared::control::{Flags, Header, HEADER_LEN, MAGIC_OFFSET};
use shared::layout::{record_view_offset, RECORDS_OFFSET, RECORD_COUNT, TOTAL_INTS};
use shared::{Region, RegionError, RegionName, RegionOptions};

/// Decode a live shared-memory region of the demo (read-only, no mutex).
#[derive(Debug, Parser)]
#[command(after_help = "Example: cargo run -p shared --example inspect -- --name testmap --watch")]
struct Cli {
    /// Region name. Example: --name testmap
    #[arg(long, value_parser = RegionName::new, default_value = "testmap")]
    name: RegionName,
    /// Directory of the region [default: /dev/shm]. Example: --dir /tmp
    #[arg(long, conflicts_with = "file")]
    dir: Option<PathBuf>,
    /// A persistent region's file. Example: --file ./im.dat
    #[arg(long)]
    file: Option<PathBuf>,
    /// Redraw twice a second until Ctrl-C. Example: --watch
    #[arg(long)]
    watch: bool,
    /// Print one line: what to do next in the demo. Example: --hint
    #[arg(long, conflicts_with = "watch")]
    hint: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = match (&cli.file, &cli.dir) {
        (Some(file), _) => RegionOptions::file(file),
        (None, Some(dir)) => RegionOptions::named(&cli.name).dir(dir),
        (None, None) => RegionOptions::named(&cli.name),
    };
    if cli.hint {
        println!("{}", hint(&options));
        return ExitCode::SUCCESS;
    }
    if !cli.watch {
        return match options.open_existing() {
            Ok(region) => {
                print!("{}", report(&region));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    loop {
        // Join only for the moment of each read, so the inspector never keeps
        // a region alive after the demo's programs have left.
        let screen = match options.open_existing() {
            Ok(region) => report(&region),
            Err(RegionError::NotFound { path }) => {
                format!("no region at {} (yet, or any more)\n", path.display())
            }
            Err(error) => format!("error: {error}\n"),
        };
        // On a terminal redraw in place; elsewhere print one snapshot after another.
        let clear = if std::io::stdout().is_terminal() {
            "\x1b[2J\x1b[H"
        } else {
            "\n"
        };
        println!("{clear}{screen}(watching; Ctrl-C to stop)");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Everything the inspector shows about `region`.
fn report(region: &Region) -> String {
    let mut out = String::new();
    let kind = if region.is_persistent() {
        "persistent"
    } else {
        "removed when the last process closes it"
    };
    let _ = writeln!(
        out,
        "region          {} ({} bytes, {kind})",
        region.path().display(),
        region.size()
    );
    let others = region
        .attached_processes()
        .map_or("unknown".into(), |n| (n.saturating_sub(1)).to_string());
    let _ = writeln!(out, "attached        {others} processes besides this inspector");
    out.push_str(&decoded(region));
    let _ = writeln!(out, "hex 0..64");
    out.push_str(&hex_dump(region, 0, 64));
    let _ = writeln!(out, "hex 1024..1104");
    out.push_str(&hex_dump(region, RECORDS_OFFSET, 80));
    out
}

/// The decoded sections; `scripts/read_region.py` prints the same lines.
fn decoded(region: &Region) -> String {
    let mut out = String::new();
    let Ok(bytes) = region.create_view_accessor(0, 0) else {
        return out;
    };
    let mut header = [0u8; HEADER_LEN];
    let _ = bytes.read_bytes(MAGIC_OFFSET, &mut header);
    let control = region.control();
    let _ = writeln!(out, "control block (bytes 40..104)");
    let _ = writeln!(out, "  magic         {}", String::from_utf8_lossy(&header[0..4]));
    match Header::decode(&header) {
        Ok(h) => {
            let _ = writeln!(out, "  version       {}", h.version);
            let _ = writeln!(out, "  size          {}", h.size);
        }
        Err(error) => {
            let _ = writeln!(out, "  header        invalid: {error}");
        }
    }
    let flags = control.flags();
    let _ = writeln!(out, "  flags         {:#06x} {}", flags.0, flags.names());
    let _ = writeln!(out, "  record count  {}", control.record_count());
    let _ = writeln!(out, "  mutex holder  {}", pid_text(control.holder_pid()));
    let _ = writeln!(out, "  mutex creator {}", pid_text(control.creator_pid()));
    let _ = writeln!(out, "integers (bytes 0..40)");
    for i in 0..TOTAL_INTS {
        let value = bytes.read_i32((i * 4) as u64).unwrap_or_default();
        let _ = writeln!(out, "  position {i}: {value}");
    }
    let records = region.create_view_accessor(RECORDS_OFFSET, 0);
    let count = (control.record_count() as usize).min(RECORD_COUNT);
    let _ = writeln!(out, "records (bytes 1024.., {count} written)");
    for k in 0..count {
        if let Ok(msg) = records
            .as_ref()
            .map_err(|_| ())
            .and_then(|r| r.read_service_msg(record_view_offset(k)).map_err(|_| ()))
        {
            let _ = writeln!(
                out,
                "  [{k}] id {:<3} ticks {:<19} {}",
                msg.id,
                msg.now_time,
                msg.time_text()
            );
        }
    }
    if !flags.contains(Flags::STATE_WRITTEN) && control.holder_pid() != 0 {
        let _ = writeln!(
            out,
            "  (read while pid {} holds the mutex: values may be mid-write)",
            control.holder_pid()
        );
    }
    out
}

fn pid_text(pid: u32) -> String {
    if pid == 0 {
        "none".into()
    } else {
        format!("pid {pid}")
    }
}

fn hex_dump(region: &Region, offset: u64, len: usize) -> String {
    let mut bytes = vec![0u8; len];
    if let Ok(view) = region.create_view_accessor(offset, len as u64) {
        let _ = view.read_bytes(0, &mut bytes);
    }
    let mut out = String::new();
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        let _ = writeln!(
            out,
            "  {:08x}  {:<47}  |{text}|",
            offset as usize + row * 16,
            hex.join(" ")
        );
    }
    out
}

/// One line telling the person what to do next in the demo.
fn hint(options: &RegionOptions) -> String {
    let Ok(region) = options.open_existing() else {
        return "No region: both programs have exited and removed it. Ctrl-b d leaves tmux.".into();
    };
    let flags = region.control().flags();
    if flags.contains(Flags::MESSAGE_READ) {
        "Done! Press Enter in each pane to exit; the last one out removes the region.".into()
    } else if flags.contains(Flags::STATE_WRITTEN) {
        "LEFT pane (message-server): press Enter to read the shared memory.".into()
    } else if flags.contains(Flags::STATE_STARTED) {
        "RIGHT pane: state-server writes, holding the mutex ~10 s. LEFT pane: press Enter now, it will wait."
            .into()
    } else {
        "RIGHT pane (state-server): starting... LEFT pane: message-server wrote 0..4 and waits for Enter."
            .into()
    }
}
