//! The state server's command line on its own (the exchange with the message
//! server is tested in `message-server/tests`). Being an integration test of
//! this package, it also makes `cargo test` build the `state-server` binary
//! that those tests run.

use std::process::Command;

fn state_server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_state-server"))
}

#[test]
fn help_shows_every_flag_with_an_example() {
    let out = state_server()
        .arg("--help")
        .output()
        .expect("run state-server --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--name",
        "--dir",
        "--file",
        "--interval-ms",
        "--hold-ms",
        "--timeout",
        "--lang",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(
        help.matches("Example:").count() >= 9,
        "an example for every flag:\n{help}"
    );
}

#[test]
fn without_a_message_server_it_says_what_to_do_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let out = state_server()
        .args(["--name", "lonely", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run state-server");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: no message service is running on region `lonely`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn bad_pauses_are_usage_errors() {
    for value in ["soon", "-5", "1.5"] {
        let out = state_server()
            .args(["--interval-ms", value])
            .output()
            .expect("run state-server");
        assert_eq!(out.status.code(), Some(2), "--interval-ms {value}");
    }
}
