//! What a person sees: the batch demo, the inspector and the Python reader,
//! the original's Chinese lines, `--quiet`, and colour only where it belongs.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use rexpect::session::spawn_command;

const FAST: [&str; 4] = ["--interval-ms", "1", "--hold-ms", "1"];

fn dir_str(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 dir")
}

/// Runs the exchange and returns the message server waiting at its final Enter.
fn exchange_until_final_enter(dir: &Path, name: &str, extra: &[&str]) -> (Program, Finished) {
    let mut args = vec!["--name", name, "--dir", dir_str(dir)];
    args.extend_from_slice(extra);
    let mut message = Program::spawn("message-server", &message_server(), &args);
    let mut state_args = args.clone();
    state_args.extend(FAST);
    message.expect_line(if extra.contains(&"zh") {
        "4位置写入流:4"
    } else {
        "wrote 4"
    });
    let state = run("state-server", &state_server(), &state_args, "\n");
    message.enter();
    (message, state)
}

#[test]
fn the_batch_demo_runs_both_programs_and_labels_their_lines() {
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/demo.sh"))
        .args(["--batch", "--fast", "--debug"])
        .output()
        .expect("run scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in [
        "[message] position 0: wrote 0",
        "[state  ] position 9: wrote 9",
        "[state  ] 64\tNowTime: ",
        "[message] position 9: 9",
        "[message] 64\tNowTime: ",
        "[message] Test: I am the IM message service, and I have started!!!",
        "[state  ] Test: I am the IM state service, and I have started!!!",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(stderr.contains("0 files left"), "{stderr}");
}

#[test]
fn the_inspector_and_the_python_reader_decode_the_same_values() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique_name("inspect");
    let (mut message, state) = exchange_until_final_enter(dir.path(), &name, &[]);
    assert_eq!(state.code(), Some(0));
    message.expect_line("Test: I am the IM message service");

    let inspect = Command::new(shared_example("inspect"))
        .args(["--name", &name, "--dir", dir_str(dir.path())])
        .output()
        .expect("inspector");
    assert!(
        inspect.status.success(),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    let inspected = String::from_utf8_lossy(&inspect.stdout).into_owned();
    for expected in [
        format!("region          {}", dir.path().join(&name).display()),
        "(1024000 bytes, removed when the last process closes it)".to_owned(),
        "users           1 process attached".to_owned(),
        format!("companions      .{name}.meta .{name}.guard"),
        format!("mutex           {name}mutex present"),
        "flags         0x000f message-written state-started state-written message-read".to_owned(),
        "record count  5".to_owned(),
        format!("message pid   {} (alive)", message.pid()),
        "position 9: 9".to_owned(),
        "[4] id 64 ".to_owned(),
        "00000020  08 00 00 00 09 00 00 00 0f 00 00 00 05 00 00 00  |................|".to_owned(),
        "hex 1024..1104".to_owned(),
    ] {
        assert!(
            inspected.contains(&expected),
            "missing {expected:?} in:\n{inspected}"
        );
    }

    let python = Command::new("python3")
        .arg(workspace_root().join("scripts/read_region.py"))
        .arg(dir.path().join(&name))
        .output()
        .expect("python3 scripts/read_region.py");
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let decoded: String = inspected
        .lines()
        .skip_while(|l| !l.starts_with("handshake"))
        .take_while(|l| !l.starts_with("hex "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&python.stdout),
        decoded,
        "Python and Rust agree line for line"
    );

    message.enter();
    assert_eq!(message.finish().code(), Some(0));
    assert_eq!(
        dir_entries(dir.path()),
        Vec::<String>::new(),
        "the inspector left nothing behind"
    );
}

#[test]
fn lang_zh_prints_the_originals_chinese_lines_with_the_same_values() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique_name("zh");
    let (mut message, state) = exchange_until_final_enter(dir.path(), &name, &["--lang", "zh"]);
    assert_eq!(state.code(), Some(0));
    message.expect_line("测试: 我是 即时通讯 - 消息服务 我启动啦!!!");
    let message = message.finish();
    let stdout = message.stdout.join("\n");
    for line in [
        "0位置写入流:0",
        "4位置写入流:4",
        "启动状态服务,按【回车】读取共享内存数据",
        "9位置:9",
        "64\tNowTime:2",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    let state_out = state.stdout.join("\n");
    assert!(
        state_out.contains("5位置写入流:5")
            && state_out.contains("测试: 我是 即时通讯 - 状态服务 我启动啦!!!")
    );

    // A Chinese locale chooses the same lines without the flag.
    let zh = Command::new(message_server())
        .args([
            "--name",
            &unique_name("zh-env"),
            "--dir",
            dir_str(dir.path()),
            "--timeout",
            "0.1",
        ])
        .env("LANG", "zh_CN.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("message-server");
    assert!(String::from_utf8_lossy(&zh.stdout).contains("0位置写入流:0"));
}

#[test]
fn quiet_prints_only_the_data_lines() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique_name("quiet");
    let (mut message, state) = exchange_until_final_enter(dir.path(), &name, &["--quiet"]);
    message.expect_line("Test: I am the IM message service");
    let message = message.finish();
    for transcript in [&message.stdout, &state.stdout] {
        assert_eq!(
            data_lines(transcript),
            *transcript,
            "only data lines: {transcript:?}"
        );
    }
    assert_eq!(message.stdout.len(), 5 + 10 + 5 + 1);
    assert_eq!(state.stdout.len(), 5 + 5 + 1);
}

#[test]
fn errors_are_red_on_a_terminal_and_plain_with_no_color() {
    let dir = tempfile::tempdir().expect("dir");
    for (no_color, colored) in [(None, true), (Some("1"), false)] {
        let mut command = Command::new(state_server());
        command
            .args(["--name", "nobody-here", "--dir", dir_str(dir.path())])
            .env("TERM", "xterm");
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let mut session = spawn_command(command, Some(30_000)).expect("spawn in a pty");
        let (before, _) = session
            .exp_regex("start message-server first")
            .expect("error line");
        assert_eq!(before.contains("\x1b[1;31merror:\x1b[0m"), colored, "{before:?}");
        assert!(before.contains("error:"));
    }
    // Not a terminal: never colour.
    let piped = run(
        "state-server",
        &state_server(),
        &["--name", "x", "--dir", dir_str(dir.path())],
        "",
    );
    assert!(piped.stderr.starts_with("error: "), "{:?}", piped.stderr);
}
