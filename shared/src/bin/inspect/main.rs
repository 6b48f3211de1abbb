//! The inspector: shows a person what is in a region of the demo, as an
//! **observer**: it maps the region read-only, never joins it as a user,
//! never takes the mutex, never writes or removes anything, and also works
//! after the programs died (to see what they left).
//!
//! ```text
//! cargo run -p shared --features console --bin inspect -- --name testmap [--dir DIR | --file PATH] [--watch | --hint]
//! ```
//!
//! A binary of the `shared` package behind the `console` feature (no
//! dev-dependencies, nothing of the library's API): `scripts/demo.sh` builds
//! it beside `message-server` and `state-server`.
//!
//! Shows the region file, its size, how many processes use it, which of its
//! companion files and its mutex's files are there, the demo's handshake
//! (flags, records written, the message server's pid), the ten integers,
//! every record written (raw ticks and local time), and hex dumps of bytes
//! 0–63 and 1024–1103. `--watch` redraws twice a second (in place on a
//! terminal). `scripts/read_region.py` decodes the same bytes into the same
//! lines.
//!
//! `--hint` prints one line saying what to do next in the tmux demo (the
//! left pane runs message-server, the right one state-server), in `--lang`.
//! Given `--demo-marks DIR`, where the demo's panes leave `message.status`
//! and `state.status` (each program's exit code) when their program exits,
//! it tells "not started yet" from "over", and follows a region the person
//! named other than `--name` in the demo's own directory.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

mod demo_layout;
mod listing;
mod platform;

use clap::Parser;
use shared::demo::cli::LangArg;
use shared::demo::handshake::{read_snapshot, Flags, FLAGS_OFFSET, HANDSHAKE_LEN};
use shared::demo::layout::{
    record_view_offset, DEFAULT_REGION_NAME, HANDSHAKE_OFFSET, INT_SIZE, RECORDS_OFFSET, RECORD_COUNT,
    TOTAL_INTS,
};
use shared::demo::transcript::{Hint, Lang, Transcript};
use shared::demo::ServiceMsg;
use shared::{AccessorView, Failure, ObjectError, Region, RegionName, RegionOptions};

/// Bytes shown by each hex dump.
const HEX_LEN: u64 = 64;
/// Bytes shown by the hex dump of the records: the five records.
const RECORDS_HEX_LEN: u64 = 80;

/// Decode a region of the demo (read-only observer: no lock, no mutex, no writes).
#[derive(Debug, Parser)]
#[command(
    after_help = "Example: cargo run -p shared --features console --bin inspect -- --name testmap --watch"
)]
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
    /// With --hint: the directory where the demo's panes leave
    /// `message.status` and `state.status` when their program exits.
    /// Example: --demo-marks /tmp/shm-demo.x/marks
    #[arg(long, value_name = "DIR", requires = "hint")]
    demo_marks: Option<PathBuf>,
    /// Language of the --hint line [default: zh when LC_ALL/LANG starts with
    /// zh, else en]. Example: --lang zh
    #[arg(long, value_enum, value_name = "LANG")]
    lang: Option<LangArg>,
    /// First byte of the hex window shown for a region that is not the
    /// demo's (or, given, also for one that is). Example: --offset 4096
    #[arg(long, value_name = "BYTES")]
    offset: Option<u64>,
    /// Length of that hex window [default: 256]. Example: --len 64
    #[arg(long, value_name = "BYTES")]
    len: Option<u64>,
    /// List this library's regions and mutexes in --dir (Linux): name, kind,
    /// size, users, live or stale, owner. Touches none. Example: --list
    #[arg(long, conflicts_with_all = ["watch", "hint", "file"])]
    list: bool,
    /// Remove the stale objects in --dir that are yours, say which, then
    /// list (Linux). Example: --clean
    #[arg(long, conflicts_with_all = ["watch", "hint", "file"])]
    clean: bool,
}

/// Bytes of the hex window of a region that is not the demo's, unless `--len` says.
const WINDOW_LEN: u64 = 256;

/// The hex window `--offset` and `--len` ask for.
#[derive(Debug, Clone, Copy)]
struct Window {
    offset: u64,
    len: u64,
    /// Whether the person asked for it (a demo region then shows it too).
    asked: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list || cli.clean {
        return listing::run(cli.dir.as_deref(), cli.clean);
    }
    let options = platform::options(&cli.name, cli.dir.as_deref(), cli.file.as_deref());
    let window = Window {
        offset: cli.offset.unwrap_or(0),
        len: cli.len.unwrap_or(WINDOW_LEN),
        asked: cli.offset.is_some() || cli.len.is_some(),
    };
    if cli.hint {
        let lang = match cli.lang {
            Some(LangArg::En) => Lang::En,
            Some(LangArg::Zh) => Lang::Zh,
            None => Lang::from_env(),
        };
        println!("{}", hint(&cli, &options, &Transcript::new(lang)));
        return ExitCode::SUCCESS;
    }
    if !cli.watch {
        return match platform::look(&options) {
            Ok(region) => {
                print!("{}", report(&region, window));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // Redraw in place on a terminal; elsewhere print one snapshot after another.
    let clear = if std::io::stdout().is_terminal() {
        "\x1b[2J\x1b[H"
    } else {
        "\n"
    };
    loop {
        // Observe afresh each time: a region removed and created again under
        // the same name is a new file, and an old mapping would show the old one.
        let screen = match platform::look(&options) {
            Ok(region) => report(&region, window),
            Err(error) => match error.failure() {
                Failure::NotFound { path } => {
                    format!("no region at {} (yet, or any more)\n", path.display())
                }
                _ => format!("error: {error}\n"),
            },
        };
        println!("{clear}{screen}(watching; Ctrl-C to stop)");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Everything the inspector shows about `region`.
fn report(region: &Region, window: Window) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, region, window);
    out
}

fn write_report(out: &mut String, region: &Region, window: Window) -> fmt::Result {
    let lifetime = if region.is_persistent() {
        "persistent: kept after the last process exits"
    } else {
        "removed when the last process closes it"
    };
    writeln!(
        out,
        "region          {} ({} bytes, {lifetime})",
        region.path().display(),
        region.size()
    )?;
    let users = match region.attached_processes() {
        Some(0) if region.is_persistent() => "0: nobody maps the file now; showing its bytes".to_owned(),
        Some(0) => "0: no live users (they exited or died); showing what they left".to_owned(),
        Some(1) => "1 process attached (this inspector only observes)".to_owned(),
        Some(n) => format!("{n} processes attached (this inspector only observes)"),
        None => "unknown on this system".to_owned(),
    };
    writeln!(out, "users           {users}")?;
    platform::write_objects(out, region, &region.mutex_name())?;
    if let Some(why) = demo_layout::not_the_demos(region) {
        writeln!(
            out,
            "layout          not the demo's ({why}): its bytes, undecoded"
        )?;
        return write_window(out, region, window);
    }
    writeln!(out, "layout          the demo's")?;
    decoded(out, region)?;
    writeln!(out, "hex 0..{HEX_LEN}")?;
    hex_dump(out, region, 0, HEX_LEN)?;
    writeln!(out, "hex {RECORDS_OFFSET}..{}", RECORDS_OFFSET + RECORDS_HEX_LEN)?;
    hex_dump(out, region, RECORDS_OFFSET, RECORDS_HEX_LEN)?;
    if window.asked {
        write_window(out, region, window)?;
    }
    Ok(())
}

/// The hex window `--offset`/`--len` (what of it lies inside the region).
fn write_window(out: &mut String, region: &Region, window: Window) -> fmt::Result {
    let end = window.offset.saturating_add(window.len).min(region.size());
    if window.offset >= region.size() {
        return writeln!(
            out,
            "hex {}..: past the region's end ({} bytes)",
            window.offset,
            region.size()
        );
    }
    writeln!(out, "hex {}..{end}", window.offset)?;
    hex_dump(out, region, window.offset, end - window.offset)
}

/// The decoded sections; `scripts/read_region.py` prints the same lines.
fn decoded(out: &mut String, region: &Region) -> fmt::Result {
    let Ok(whole) = region.create_view_accessor(0, 0) else {
        return Ok(());
    };
    let handshake_end = HANDSHAKE_OFFSET + HANDSHAKE_LEN;
    writeln!(out, "handshake (bytes {FLAGS_OFFSET}..{handshake_end})")?;
    let (flags, records_written) = match read_snapshot(&whole) {
        Ok((flags, records, message_pid)) => {
            writeln!(out, "  flags         {:#06x} {}", flags.0, flags.names())?;
            writeln!(out, "  record count  {records}")?;
            writeln!(out, "  message pid   {}", pid_text(message_pid))?;
            (flags, records)
        }
        Err(_) => {
            writeln!(out, "  (the region ends before byte {handshake_end})")?;
            (Flags(0), 0)
        }
    };
    writeln!(out, "integers (bytes 0..{})", TOTAL_INTS * INT_SIZE)?;
    for i in 0..TOTAL_INTS {
        if let Ok(value) = whole.read_i32((i * INT_SIZE) as u64) {
            writeln!(out, "  position {i}: {value}")?;
        }
    }
    let count = (records_written as usize).min(RECORD_COUNT);
    writeln!(out, "records (bytes {RECORDS_OFFSET}.., {count} written)")?;
    if let Ok(records) = region.create_view_accessor(RECORDS_OFFSET, 0) {
        write_records(out, &records, count)?;
    }
    if flags.contains(Flags::STATE_STARTED) && !flags.contains(Flags::STATE_WRITTEN) {
        writeln!(
            out,
            "  (the state server started writing and has not finished: values may be partial)"
        )?;
    }
    Ok(())
}

fn write_records(out: &mut String, records: &AccessorView<'_>, count: usize) -> fmt::Result {
    for k in 0..count {
        if let Ok(msg) = records.read::<ServiceMsg>(record_view_offset(k)) {
            writeln!(
                out,
                "  [{k}] id {:<3} ticks {:<19} {}",
                msg.id,
                msg.now_time,
                msg.time_text()
            )?;
        }
    }
    Ok(())
}

/// A pid and whether that process is alive.
fn pid_text(pid: u32) -> String {
    if pid == 0 {
        return "none".to_owned();
    }
    let alive = if shared::process_alive(pid) {
        "alive"
    } else {
        "gone"
    };
    format!("{pid} ({alive})")
}

/// Rows of 16 bytes from region offset `offset` (as many of `len` as the region holds).
fn hex_dump(out: &mut String, region: &Region, offset: u64, len: u64) -> fmt::Result {
    let len = len.min(region.size().saturating_sub(offset));
    let mut bytes = vec![0u8; len as usize];
    if let Ok(view) = region.create_view_accessor(offset, len) {
        if view.read_bytes(0, &mut bytes).is_err() {
            bytes.clear();
        }
    }
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        writeln!(
            out,
            "  {:08x}  {:<47}  |{text}|",
            offset as usize + row * 16,
            hex.join(" ")
        )?;
    }
    Ok(())
}

/// How the demo's panes have ended, from `--demo-marks`: each program's
/// exit code once it has exited.
#[derive(Debug, Default)]
struct Marks {
    message: Option<i32>,
    state: Option<i32>,
}

impl Marks {
    fn read(dir: &Path) -> Marks {
        let code = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .ok()
                .map(|text| text.trim().parse().unwrap_or(-1))
        };
        Marks {
            message: code("message.status"),
            state: code("state.status"),
        }
    }
}

/// Whether the region is not there (yet, or any more).
fn is_not_found(error: &ObjectError) -> bool {
    matches!(error.failure(), Failure::NotFound { .. })
}

/// One line telling the person what to do next in the demo.
fn hint(cli: &Cli, options: &RegionOptions, out: &Transcript) -> String {
    let marks = cli.demo_marks.as_deref().map(Marks::read);
    let observed = match (platform::look(options), &marks, &cli.dir) {
        (Err(error), Some(_), Some(dir)) if is_not_found(&error) => {
            platform::only_region_in(dir).ok_or(error)
        }
        (observed, _, _) => observed,
    };
    let region = match observed {
        Ok(region) => region,
        Err(error) if is_not_found(&error) => {
            return out.hint(match marks {
                None => Hint::NoRegion {
                    name: cli.name.as_str(),
                },
                Some(Marks { message: Some(_), .. }) => Hint::Over,
                Some(Marks { state: Some(_), .. }) => Hint::MessageFirst,
                Some(_) => Hint::StartMessage {
                    default: DEFAULT_REGION_NAME,
                },
            });
        }
        Err(error) => {
            return out.hint(Hint::CannotInspect {
                error: &error.to_string(),
            })
        }
    };
    if region.attached_processes() == Some(0) {
        return out.hint(Hint::NoLiveUsers);
    }
    let flags = region
        .create_view_accessor(0, 0)
        .ok()
        .and_then(|view| read_snapshot(&view).ok())
        .map_or(Flags(0), |(flags, _, _)| flags);
    let marks = marks.unwrap_or_default();
    let hint = if marks.message.is_some() {
        // The message service has left: only the state service's pane remains.
        Hint::ExitRight
    } else if !flags.contains(Flags::MESSAGE_WRITTEN) {
        Hint::MessageSettingUp
    } else if !flags.contains(Flags::STATE_STARTED) {
        match marks.state {
            Some(code) if code != 0 => Hint::RestartState,
            _ => Hint::StartState {
                name: region.name(),
                default: DEFAULT_REGION_NAME,
            },
        }
    } else if !flags.contains(Flags::STATE_WRITTEN) && marks.state.is_none() {
        Hint::StateWriting
    } else if !flags.contains(Flags::MESSAGE_READ) {
        Hint::ReadNow
    } else if marks.state.is_some() {
        Hint::ExitLeft
    } else {
        Hint::Done
    };
    out.hint(hint)
}
