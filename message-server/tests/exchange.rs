//! The whole exchange of DEMO.md across the two real programs on a real region.

mod common;

use std::path::Path;

use common::*;
use shared::demo::layout::{record_view_offset, RECORDS_OFFSET, RECORD_COUNT, SERVICE_MSG_SIZE, TOTAL_INTS};
use shared::demo::ServiceMsg;

const FAST: [&str; 4] = ["--interval-ms", "20", "--hold-ms", "50"];

fn ints_in(bytes: &[u8]) -> Vec<i32> {
    (0..TOTAL_INTS)
        .map(|i| i32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().expect("4 bytes")))
        .collect()
}

fn records_in(bytes: &[u8]) -> Vec<ServiceMsg> {
    (0..RECORD_COUNT)
        .map(|k| {
            let at = (RECORDS_OFFSET + record_view_offset(k)) as usize;
            ServiceMsg::decode(bytes[at..at + SERVICE_MSG_SIZE].try_into().expect("16 bytes"))
        })
        .collect()
}

fn expected_message_lines(records: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = (0..5).map(|i| format!("position {i}: wrote {i}")).collect();
    lines.extend((0..10).map(|i| format!("position {i}: {i}")));
    lines.extend(records.iter().cloned());
    lines.push("Test: I am the IM message service, and I have started!!!".into());
    lines
}

fn start_message_server(dir: &Path, name: &str) -> Program {
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", name, "--dir", dir.to_str().expect("utf-8 dir")],
    );
    message.expect_line("Start the state service");
    message
}

#[test]
fn the_whole_exchange_runs_in_order_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("exchange");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut message = start_message_server(dir.path(), &name);

    let mut state_args = vec!["--name", name.as_str(), "--dir", dir_arg];
    state_args.extend(FAST);
    let mut state = Program::spawn("state-server", &state_server(), &state_args);
    state.expect_line("Test: I am the IM state service, and I have started!!!");

    message.enter();
    message.expect_line("Test: I am the IM message service, and I have started!!!");

    // Both programs now wait for their final Enter: the region is still there.
    let bytes = region_bytes(dir.path(), &name);
    assert_eq!(bytes.len(), 1_024_000);
    assert_eq!(ints_in(&bytes), (0..10).collect::<Vec<i32>>());
    // Bytes 40..52 hold the demo's own handshake: every flag set, five
    // records, the message server's pid; the library wrote nothing anywhere.
    let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    assert_eq!((word(40), word(44)), (15, 5));
    assert_eq!(word(48), message.pid());
    assert!(bytes[52..RECORDS_OFFSET as usize].iter().all(|&b| b == 0));
    assert!(
        !bytes.windows(4).any(|w| w == b"IMSH"),
        "no library header in the user's bytes"
    );
    #[cfg(target_os = "linux")] // the Linux backend's files; Windows has kernel objects
    {
        let entries = dir_entries(dir.path());
        for companion in [format!(".{name}.meta"), format!(".{name}mutex.meta")] {
            assert!(entries.contains(&companion), "{companion} in {entries:?}");
        }
    }
    let records = records_in(&bytes);
    assert_eq!(
        records.iter().map(|r| r.id).collect::<Vec<_>>(),
        [0, 16, 32, 48, 64]
    );
    assert!(
        records.iter().all(|r| r.now_time > 638_664_392_280_000_000),
        "{records:?}"
    );
    assert!(records.windows(2).all(|w| w[0].now_time <= w[1].now_time));
    assert!(
        bytes[RECORDS_OFFSET as usize + 4..RECORDS_OFFSET as usize + 8]
            .iter()
            .all(|&b| b == 0),
        "padding is zero"
    );
    #[cfg(target_os = "linux")] // the mutex is a kernel object on Windows
    assert!(dir_entries(dir.path()).contains(&format!("{name}mutex")));

    let record_lines: Vec<String> = records
        .iter()
        .map(|r| format!("{}\tNowTime: {}", r.id, r.time_text()))
        .collect();
    let state = state.finish();
    let message = message.finish();
    assert_eq!(state.code(), Some(0), "state stderr: {}", state.stderr);
    assert_eq!(message.code(), Some(0), "message stderr: {}", message.stderr);

    let mut expected_state: Vec<String> = (5..10).map(|i| format!("position {i}: wrote {i}")).collect();
    expected_state.extend(record_lines.iter().cloned());
    expected_state.push("Test: I am the IM state service, and I have started!!!".into());
    assert_eq!(data_lines(&state.stdout), expected_state);
    assert_eq!(data_lines(&message.stdout), expected_message_lines(&record_lines));

    assert_eq!(
        dir_entries(dir.path()),
        Vec::<String>::new(),
        "region, mutex and setup files are removed"
    );
}

#[test]
fn enter_before_the_state_server_waits_visibly_then_shows_all_five_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("early-enter");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut message = start_message_server(dir.path(), &name);
    message.enter();
    message.expect_line("Waiting for the state service");

    let mut state_args = vec!["--name", name.as_str(), "--dir", dir_arg];
    state_args.extend(FAST);
    let state = run("state-server", &state_server(), &state_args, "\n");
    assert_eq!(state.code(), Some(0), "{}", state.stderr);

    message.expect_line("Test: I am the IM message service");
    let message = message.finish();
    assert_eq!(message.code(), Some(0));
    let records: Vec<&String> = message
        .stdout
        .iter()
        .filter(|l| l.contains("\tNowTime: "))
        .collect();
    assert_eq!(records.len(), 5, "{:?}", message.stdout);
    assert!(records[4].starts_with("64\t"));
    assert!(
        !message.stdout.iter().any(|l| l.contains("0001-01-01")),
        "never shows unwritten records"
    );
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn the_whole_exchange_reads_its_answers_from_piped_stdin() {
    // `printf '\n\n\n' | message-server` style: names and Enter presses from a pipe.
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let name = unique_name("piped");
    let mut message = Program::spawn("message-server", &message_server(), &["--dir", dir_arg]);
    message.send(&format!("{name}\n"));
    message.expect_line("Start the state service");
    let mut state_args = vec!["--dir", dir_arg];
    state_args.extend(FAST);
    let state = run(
        "state-server",
        &state_server(),
        &state_args,
        &format!("{name}\n\n"),
    );
    assert_eq!(state.code(), Some(0), "{}", state.stderr);
    message.enter();
    message.expect_line("Test: I am the IM message service");
    message.close_stdin(); // end of input counts as Enter
    let message = message.finish();
    assert_eq!(message.code(), Some(0));
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_persistent_file_region_keeps_its_data_after_both_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("im.dat");
    let file_arg = file.to_str().expect("utf-8 path");
    let mut message = Program::spawn("message-server", &message_server(), &["--file", file_arg]);
    message.expect_line("Start the state service");
    let mut state_args = vec!["--file", file_arg];
    state_args.extend(FAST);
    let state = run("state-server", &state_server(), &state_args, "\n");
    assert_eq!(state.code(), Some(0), "{}", state.stderr);
    message.enter();
    message.expect_line("Test: I am the IM message service");
    assert_eq!(message.finish().code(), Some(0));

    assert_eq!(dir_entries(dir.path()), ["im.dat"], "only the data file stays");
    let bytes = std::fs::read(&file).expect("persistent file");
    assert_eq!(ints_in(&bytes), (0..10).collect::<Vec<i32>>());
    assert_eq!(
        records_in(&bytes).iter().map(|r| r.id).collect::<Vec<_>>(),
        [0, 16, 32, 48, 64]
    );

    // Opening it again keeps the data, but starts a new exchange: Enter
    // without a state server waits (here: times out) instead of showing the
    // last run's records as if they were new.
    let mut again = Program::spawn(
        "message-server",
        &message_server(),
        &["--file", file_arg, "--timeout", "0.3"],
    );
    again.expect_line("Start the state service");
    let kept = std::fs::read(&file).expect("persistent file");
    assert_eq!(records_in(&kept), records_in(&bytes));
    again.enter();
    let again = again.finish();
    assert_eq!(again.code(), Some(1), "{:?}", again.stdout);
    assert!(again.stderr.contains("gave up"), "{}", again.stderr);
    assert!(
        !again.stdout.iter().any(|l| l.contains("\tNowTime: ")),
        "{:?}",
        again.stdout
    );
    assert_eq!(dir_entries(dir.path()), ["im.dat"]);
}

#[test]
fn starting_the_state_server_first_says_so_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("state-first");
    let state = run(
        "state-server",
        &state_server(),
        &["--name", &name, "--dir", dir.path().to_str().expect("utf-8 dir")],
        "",
    );
    assert_eq!(state.code(), Some(1));
    assert!(
        state.stderr.contains("start message-server first"),
        "{}",
        state.stderr
    );
    assert_eq!(
        state.stderr.lines().count(),
        1,
        "one clear line: {}",
        state.stderr
    );
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_second_message_server_on_the_same_name_is_refused_with_the_first_ones_pid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("second");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut first = start_message_server(dir.path(), &name);
    let second = run(
        "second message-server",
        &message_server(),
        &["--name", &name, "--dir", dir_arg],
        "",
    );
    assert_eq!(second.code(), Some(1));
    assert!(
        second.stderr.contains(&format!("pid {}", first.pid())),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("already served"), "{}", second.stderr);

    // The first one is unharmed: the exchange still completes.
    let mut state_args = vec!["--name", name.as_str(), "--dir", dir_arg];
    state_args.extend(FAST);
    assert_eq!(
        run("state-server", &state_server(), &state_args, "\n").code(),
        Some(0)
    );
    first.enter();
    first.expect_line("Test: I am the IM message service");
    assert_eq!(first.finish().code(), Some(0));
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_new_message_server_takes_over_from_one_that_exited_while_the_state_server_stayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("takeover");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut first = start_message_server(dir.path(), &name);
    let mut state_args = vec!["--name", name.as_str(), "--dir", dir_arg];
    state_args.extend(FAST);
    let mut state = Program::spawn("state-server", &state_server(), &state_args);
    state.expect_line("Test: I am the IM state service");
    first.enter();
    first.expect_line("Test: I am the IM message service");
    assert_eq!(first.finish().code(), Some(0));

    // The state server still holds the region open; a new message server is
    // not refused in the name of the one that left, and starts a new exchange.
    let mut second = start_message_server(dir.path(), &name);
    second.enter();
    second.expect_line("Waiting for the state service");
    assert_eq!(state.finish().code(), Some(0));
    let third_state = run("state-server", &state_server(), &state_args, "\n");
    assert_eq!(third_state.code(), Some(0), "{}", third_state.stderr);
    second.expect_line("64\tNowTime: ");
    assert_eq!(second.finish().code(), Some(0));
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_huge_timeout_means_wait_as_long_as_it_takes_not_a_crash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("huge");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", &name, "--dir", dir_arg, "--timeout", "1e19"],
    );
    message.expect_line("Start the state service");
    let mut state_args = vec!["--name", name.as_str(), "--dir", dir_arg, "--timeout", "1e300"];
    state_args.extend(FAST);
    assert_eq!(
        run("state-server", &state_server(), &state_args, "\n").code(),
        Some(0)
    );
    message.enter();
    message.expect_line("64\tNowTime: ");
    let message = message.finish();
    assert_eq!(message.code(), Some(0), "{}", message.stderr);
}

#[test]
fn a_timeout_ends_the_wait_for_a_state_server_that_never_comes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("timeout");
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &[
            "--name",
            &name,
            "--dir",
            dir.path().to_str().expect("utf-8 dir"),
            "--timeout",
            "0.3",
        ],
    );
    message.expect_line("Start the state service");
    message.enter();
    let message = message.finish();
    assert_eq!(message.code(), Some(1));
    assert!(
        message.stderr.starts_with("error: gave up after 0.3 s"),
        "{}",
        message.stderr
    );
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn bad_names_and_flags_are_usage_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let long_name = "n".repeat(300);
    for args in [
        vec!["--name", "a/b", "--dir", dir_arg],
        vec!["--name", "", "--dir", dir_arg],
        vec!["--name", "..", "--dir", dir_arg],
        vec!["--timeout", "soon", "--dir", dir_arg],
        vec!["--timeout", "-1", "--dir", dir_arg],
        vec!["--name", "a\\b", "--dir", dir_arg],
        vec!["--name", "tab\there", "--dir", dir_arg],
        vec!["--name", ".hidden", "--dir", dir_arg],
        vec!["--name", &long_name, "--dir", dir_arg],
        vec!["--size", "100", "--dir", dir_arg],
        vec!["--size", "big", "--dir", dir_arg],
        vec!["--mode", "0400", "--dir", dir_arg],
        vec!["--mode", "rw", "--dir", dir_arg],
    ] {
        let result = run("message-server", &message_server(), &args, "");
        assert_eq!(result.code(), Some(2), "{args:?}: {}", result.stderr);
        assert!(result.stderr.starts_with("error:"), "{}", result.stderr);
    }
    let huge = run(
        "message-server",
        &message_server(),
        &["--size", "99999999999999", "--dir", dir_arg],
        "",
    );
    assert_eq!(huge.code(), Some(1), "{}", huge.stderr);
    assert!(
        huge.stderr
            .contains("no space for a 99999999999999-byte shared-memory region"),
        "{}",
        huge.stderr
    );
    let piped = run(
        "message-server",
        &message_server(),
        &["--dir", dir_arg],
        "bad/name\n",
    );
    assert_eq!(piped.code(), Some(2));
    assert!(piped.stderr.contains("may not contain `/`"), "{}", piped.stderr);
    let state = run("state-server", &state_server(), &["--interval-ms", "x"], "");
    assert_eq!(state.code(), Some(2));
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn help_and_version_work_on_both_programs() {
    for exe in [message_server(), state_server()] {
        let help = run("help", &exe, &["--help"], "");
        assert_eq!(help.code(), Some(0));
        let text = help.stdout.join("\n");
        assert!(
            text.contains("--name") && text.contains("--timeout") && text.contains("Example"),
            "{text}"
        );
        let version = run("version", &exe, &["--version"], "");
        assert_eq!(version.code(), Some(0));
        assert!(version.stdout.join("").contains(env!("CARGO_PKG_VERSION")));
    }
}

/// Every byte of the live region `name`: its file on Linux, the kernel's
/// section (opened read-only through the library) on Windows.
fn region_bytes(dir: &std::path::Path, name: &str) -> Vec<u8> {
    if cfg!(target_os = "linux") {
        return std::fs::read(dir.join(name)).expect("region file while both run");
    }
    let name = shared::RegionName::new(name).expect("name");
    let region = shared::RegionOptions::named(&name)
        .access(shared::Access::Read)
        .open_existing()
        .expect("the region while both run");
    let mut bytes = vec![0u8; region.size() as usize];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    bytes
}

#[test]
fn the_inspector_shows_a_live_region_on_either_platform() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique_name("inspected");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut message = start_message_server(dir.path(), &name);
    // On Windows `--dir` means nothing to the inspector either: a named
    // region is a kernel object.
    let inspected = run("inspect", &inspector(), &["--name", &name, "--dir", dir_arg], "");
    assert_eq!(inspected.code(), Some(0), "{}", inspected.stderr);
    let screen = inspected.stdout.join("\n");
    for shown in [
        "position 0: 0",
        "position 4: 4",
        "position 5: 0",
        "message-written",
    ] {
        assert!(screen.contains(shown), "{shown:?} missing:\n{screen}");
    }
    assert!(
        screen.contains(&format!("message pid   {} (alive)", message.pid())),
        "{screen}"
    );
    assert!(screen.contains(&format!("{name}mutex")), "{screen}");
    message.enter();
    message.expect_line("Waiting for the state service");
}
