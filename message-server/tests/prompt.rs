//! The interactive prompt path, through a pseudo-terminal: the dialoguer name
//! prompt, its default, and its re-prompt on a bad name.
#![cfg(unix)] // Unix only: a pseudo-terminal through rexpect.

mod common;

use common::*;
use rexpect::session::{spawn_command, PtySession};
use std::process::Command;

const PTY_TIMEOUT_MS: u64 = 30_000;

/// `message-server ARGS` in a pseudo-terminal, in English, on a terminal
/// without colours or cursor moves.
fn message_server_in_a_pty(args: &[&str]) -> PtySession {
    let mut command = Command::new(message_server());
    command.args(args).env("LANG", "C").env("TERM", "dumb");
    spawn_command(command, Some(PTY_TIMEOUT_MS)).expect("spawn in a pty")
}

#[test]
fn the_terminal_prompt_takes_the_default_name_on_enter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let mut session = message_server_in_a_pty(&["--dir", dir_arg]);
    session
        .exp_string("Shared memory name (default: testmap)")
        .expect("name prompt");
    session.send_line("").expect("press Enter");
    session
        .exp_string("position 4: wrote 4")
        .expect("message ints written");
    session
        .exp_string("Start the state service")
        .expect("asks for Enter");
    assert!(dir.path().join("testmap").exists(), "default name used");
    assert!(
        dir.path().join("testmapmutex").exists(),
        "mutex named <name>mutex"
    );

    let state = run(
        "state-server",
        &state_server(),
        &[
            "--name",
            "testmap",
            "--dir",
            dir_arg,
            "--interval-ms",
            "10",
            "--hold-ms",
            "10",
        ],
        "\n",
    );
    assert_eq!(state.code(), Some(0), "{}", state.stderr);
    session.send_line("").expect("press Enter");
    session.exp_string("64\tNowTime: ").expect("fifth record shown");
    session
        .exp_string("Test: I am the IM message service")
        .expect("closing line");
    session.send_line("").expect("press Enter to exit");
    session.exp_eof().expect("exits");
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn the_terminal_prompt_explains_a_bad_name_and_asks_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8 dir");
    let name = unique_name("pty");
    let mut session = message_server_in_a_pty(&["--dir", dir_arg, "--timeout", "0.1"]);
    session.exp_string("Shared memory name").expect("name prompt");
    session.send_line("../etc").expect("type a bad name");
    session
        .exp_string("may not start with `.`")
        .expect("reason shown");
    session.send_line(&name).expect("type a good name");
    session
        .exp_string("position 0: wrote 0")
        .expect("exchange starts");
    assert!(dir.path().join(&name).exists());
    session.send_line("").expect("press Enter");
    session.exp_string("gave up after").expect("timeout reported");
    session.exp_eof().expect("exits");
}

#[test]
fn ctrl_c_at_the_terminal_prompt_says_so_once_and_exits_130() {
    // One Ctrl-C reaches the program twice: as a signal, and as the end of
    // the prompt's read. Either may come first; it must be said once.
    for round in 0..10 {
        let dir = tempfile::tempdir().expect("temp dir");
        let dir_arg = dir.path().to_str().expect("utf-8 dir");
        let mut session = message_server_in_a_pty(&["--dir", dir_arg]);
        session.exp_string("Shared memory name").expect("name prompt");
        session.send_control('c').expect("press Ctrl-C");
        let shown = session.exp_eof().expect("exits");
        let status = session.process().wait().expect("exit status");
        assert!(
            matches!(status, rexpect::process::WaitStatus::Exited(_, 130)),
            "round {round}: {status:?} {shown:?}"
        );
        assert_eq!(
            shown.matches("interrupted").count(),
            1,
            "round {round}: {shown:?}"
        );
        assert_eq!(shown.matches("error:").count(), 1, "round {round}: {shown:?}");
        assert_eq!(dir_entries(dir.path()), Vec::<String>::new(), "round {round}");
    }
}
