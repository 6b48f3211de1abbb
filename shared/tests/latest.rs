//! The latest-value cell across processes, through the `latest_board`
//! example: one writer and three readers read no torn value; a writer that
//! dies mid-write (on purpose, between the cell's two counter steps, or
//! killed -9 at a moment of its own) leaves readers that neither hang nor
//! tear, and a second writer is refused. On Linux and Windows alike. No
//! assertion is about time: readers read until the writer is gone, and the
//! watchdog only catches one that never ends.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use shared::latest::{Latest, LatestWriter};
use shared::{Region, RegionName, RegionOptions};

/// The board's value as the test sees it: 64 bytes aligned to 8, like the
/// example's `Board` (a cell tells types apart by size and alignment only).
type Value = [u64; 8];

/// A board of a test's own: a region name and a temporary directory, and
/// the `latest_board` processes on it.
struct Board {
    dir: tempfile::TempDir,
    name: RegionName,
}

impl Board {
    fn new(label: &str) -> Board {
        Board {
            dir: tempfile::tempdir().expect("dir"),
            name: unique(label),
        }
    }

    /// `latest_board SIDE --name NAME --dir DIR ARGS`.
    fn command(&self, side: &str, args: &[&str]) -> Command {
        let mut command = Command::new(example("latest_board"));
        command
            .args([side, "--name", self.name.as_str(), "--dir", arg(self.dir.path())])
            .args(args);
        command
    }

    /// `latest_board SIDE ARGS` started, once it said `ready`.
    fn start(&self, side: &str, args: &[&str]) -> Helper {
        let mut helper = Helper::spawn(&mut self.command(side, args));
        let line = helper.line();
        assert!(line.starts_with("ready"), "{line}");
        helper
    }

    /// `latest_board SIDE ARGS` run to its end.
    fn run(&self, side: &str, args: &[&str]) -> Output {
        start(&mut self.command(side, args)).output()
    }

    /// Three readers, each reading until the writer is gone (at most 20 s).
    fn readers(&self) -> Vec<Helper> {
        (0..3)
            .map(|_| self.start("read", &["--secs", "20", "--wait", "20"]))
            .collect()
    }

    /// A writer with `args`, once it holds the cell.
    fn writer(&self, args: &[&str]) -> Helper {
        self.start("write", args)
    }

    /// The board's region, opened by the test so that it outlives the
    /// examples' processes.
    fn region(&self) -> Region {
        RegionOptions::named(&self.name)
            .in_dir(self.dir.path())
            .size(Latest::<Value>::SIZE)
            .create_or_open()
            .expect("the board's region")
    }

    /// Checks that the examples left nothing in the directory.
    fn left_nothing(&self) {
        assert_eq!(entries(self.dir.path()), Vec::<String>::new());
    }
}

/// What a reader said after `ready`, up to its last line `reads R torn T`,
/// and R and T; fails unless it exited 0.
fn reader_report(mut reader: Helper) -> (Vec<String>, u64, u64) {
    let mut said = Vec::new();
    loop {
        let line = reader.line();
        said.push(line.clone());
        if let Some(counts) = line.strip_prefix("reads ") {
            let (reads, torn) = counts.split_once(" torn ").expect("reads R torn T");
            let reads = reads.parse().expect("R");
            let torn = torn.parse().expect("T");
            assert!(reader.finish(), "the reader failed after {said:?}");
            return (said, reads, torn);
        }
    }
}

/// Checks that every reader read, tore nothing, and said `expected` about
/// the writer.
fn readers_say(readers: Vec<Helper>, expected: &[&str]) {
    for reader in readers {
        let (said, reads, torn) = reader_report(reader);
        assert!(reads > 0, "{said:?}");
        assert_eq!(torn, 0, "{said:?}");
        assert!(
            said.iter().any(|line| expected.iter().any(|e| line.contains(e))),
            "expected one of {expected:?} in {said:?}"
        );
    }
}

#[test]
fn one_writer_and_three_readers_in_other_processes_read_no_torn_value() {
    let board = Board::new("board");
    let readers = board.readers();
    // As fast as it can: the most writes a read can meet.
    let mut writer = board.writer(&["--rate", "0", "--secs", "1"]);
    assert!(writer.finish());
    assert!(writer.line().starts_with("wrote "));
    readers_say(readers, &["the writer finished"]);
    board.left_nothing();
}

#[test]
fn a_writer_that_dies_mid_write_leaves_readers_the_last_whole_value_and_its_number_to_the_next_writer() {
    let board = Board::new("midwrite");
    let region = board.region();
    let readers = board.readers();
    let mut writer = board.writer(&["--rate", "10000", "--secs", "0.3", "--die-mid-write"]);
    let dying = writer.line();
    let number: u64 = dying
        .strip_prefix("dying mid-write: value #")
        .and_then(|rest| rest.strip_suffix(" half written"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{dying}"));
    let pid = writer.pid();
    writer.finish();
    assert_eq!(writer.child.wait().expect("status").code(), Some(137));
    let last_whole = format!(
        "the writer (pid {pid}) died mid-write: the last whole value #{} stays readable",
        number - 1
    );
    readers_say(readers, &[&last_whole]);
    // The next writer takes the dead one's claim over and writes its
    // unfinished value's number again.
    let mut next = LatestWriter::<Value>::claim(&region, 0).expect("a dead writer's claim is taken over");
    assert_eq!(next.took_over_from(), Some(pid));
    assert_eq!(next.publish(&[7; 8]), number);
    let reader = Latest::<Value>::open(&region, 0).expect("reader");
    assert_eq!(reader.read().expect("read").value, [7; 8]);
}

#[test]
fn a_writer_killed_at_any_moment_leaves_readers_that_neither_hang_nor_tear() {
    for round in 0..3u64 {
        let board = Board::new("killed");
        let region = board.region();
        let readers = board.readers();
        let mut writer = board.writer(&["--rate", "0", "--secs", "60"]);
        // Once it has published (however loaded the machine), so that the
        // readers have a value to keep.
        let cell = Latest::<Value>::open(&region, 0).expect("reader");
        within("the writer's first value", move || {
            while cell.read().is_err() {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        // A moment that differs from round to round and run to run.
        let moment = 1 + (u64::from(std::process::id()) * 7 + round * 13) % 40;
        std::thread::sleep(Duration::from_millis(moment));
        writer.kill();
        readers_say(readers, &["died mid-write", "died between two values"]);
        drop(region);
        board.left_nothing();
    }
}

#[test]
fn a_second_writer_is_refused_while_the_first_lives() {
    let board = Board::new("second");
    let mut first = board.writer(&["--rate", "100", "--secs", "60"]);
    let out = board.run("write", &["--secs", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: the cell already has a writer (pid {}, alive); a cell has one writer at a time: \
             stop that one, or publish through it",
            first.pid()
        )
    );
    first.kill();
}

#[test]
fn bad_input_to_latest_board_gives_one_line_and_a_failure() {
    let board = Board::new("bad");
    for (side, args, expected) in [
        (
            "read",
            &["--secs=-1"][..],
            "error: --secs -1 is not a number of seconds: give 0 or more",
        ),
        (
            "write",
            &["--rate=-5"][..],
            "error: --rate -5 is not a rate: give values a second, or 0 for as fast as it can",
        ),
        (
            "read",
            &["--wait", "0.05"][..],
            "error: no value was published within 0.05 s: start latest_board write",
        ),
    ] {
        let out = board.run(side, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{side} {args:?}: {stderr}");
        assert_eq!(stderr.trim(), expected, "{side} {args:?}");
    }
    board.left_nothing();
}
