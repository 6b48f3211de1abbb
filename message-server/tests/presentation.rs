//! What a person sees: the batch demo, the inspector (its report and the demo's
//! status-line hint) and the Python reader, the original's Chinese lines and
//! this project's own lines in Chinese, `--quiet`, and colour only where it
//! belongs.
#![cfg(unix)] // Unix only: a pseudo-terminal through rexpect.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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
    // It builds into the same target directory as this test (CARGO_TARGET_DIR
    // or build.target-dir included) and asks cargo where the binaries are.
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/demo.sh"))
        .args(["--batch", "--fast", "--debug"])
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in [
        "[message] Shared memory name (default: testmap): testmap",
        "[state  ] Shared memory name (default: testmap): testmap",
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
    assert!(stderr.contains("Built in "), "the build time is shown: {stderr}");
}

#[test]
fn the_inspector_and_the_python_reader_decode_the_same_values() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique_name("inspect");
    let (mut message, state) = exchange_until_final_enter(dir.path(), &name, &[]);
    assert_eq!(state.code(), Some(0));
    message.expect_line("Test: I am the IM message service");

    let inspect = Command::new(inspector())
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

/// Whether `line` holds a CJK character.
fn has_chinese(line: &str) -> bool {
    line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn lang_zh_shows_this_projects_lines_in_chinese_and_the_data_lines_as_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir_str(dir.path());
    let name = unique_name("zh-own");

    // An error of the demo's own: the state service started first.
    let early = run(
        "state-server",
        &state_server(),
        &["--name", &name, "--dir", d, "--lang", "zh"],
        "",
    );
    assert_eq!(early.code(), Some(1), "{}", early.stderr);
    assert!(
        early.stderr.starts_with(&format!(
            "错误: 共享内存 `{name}` 上没有运行中的消息服务: 请先启动 message-server"
        )),
        "{}",
        early.stderr
    );
    // A library error: the Chinese line, then the library's English detail.
    let bad_name = run(
        "message-server",
        &message_server(),
        &["--dir", d, "--lang", "zh"],
        ".hidden\n",
    );
    assert_eq!(bad_name.code(), Some(2), "{}", bad_name.stderr);
    assert!(
        bad_name
            .stderr
            .starts_with("错误: 名称无效 — a region name may not start with `.`"),
        "{}",
        bad_name.stderr
    );

    // The exchange: Enter pressed early (a visible wait), and the state
    // service killed while it holds the mutex (a warning).
    let mut message = Program::spawn(
        "message-server",
        &message_server(),
        &["--name", &name, "--dir", d, "--lang", "zh"],
    );
    message.expect_line("4位置写入流:4");
    message.enter();
    let wait = message.expect_line("正在等待状态服务启动");
    assert_eq!(
        wait,
        format!("正在等待状态服务启动(请运行: state-server --name {name})...")
    );
    let mut state = Program::spawn(
        "state-server",
        &state_server(),
        &[
            "--name",
            &name,
            "--dir",
            d,
            "--lang",
            "zh",
            "--interval-ms",
            "60000",
        ],
    );
    state.expect_line("0\tNowTime:");
    let state_pid = state.pid();
    drop(state); // SIGKILL while it holds the mutex
    let stopped = message.expect_line("状态服务已停止(等待了 ");
    assert!(stopped.ends_with(" 秒)"), "{stopped}");
    let warning = message.expect_line("警告:");
    assert!(
        warning.starts_with(&format!("警告: 状态服务 (pid {state_pid}) 在持有互斥体时终止")),
        "{warning}"
    );
    message.expect_line("测试: 我是 即时通讯 - 消息服务 我启动啦!!!");
    let message = message.finish();
    assert_eq!(message.code(), Some(0), "{}", message.stderr);

    // The data lines, exactly the original's; every other line is Chinese too.
    let is_data = |line: &str| {
        line.contains("位置写入流:")
            || line.contains("位置:")
            || line.contains("\tNowTime:")
            || line.starts_with("测试: ")
    };
    let data: Vec<&str> = message
        .stdout
        .iter()
        .map(String::as_str)
        .filter(|l| is_data(l))
        .collect();
    let mut expected: Vec<String> = (0..5).map(|i| format!("{i}位置写入流:{i}")).collect();
    expected.extend((0..5).map(|i| format!("{i}位置:{i}")));
    expected.extend((5..10).map(|i| format!("{i}位置:{i}")));
    assert_eq!(data[..15], expected[..], "{:?}", message.stdout);
    assert_eq!(data.len(), 17, "one record, then the closing line: {data:?}");
    let record = data[15];
    let time = record
        .strip_prefix("0\tNowTime:")
        .unwrap_or_else(|| panic!("the original's record line: {record:?}"));
    assert!(
        time.len() == 19 && time.starts_with("20") && !time.starts_with(' '),
        "{record:?}"
    );
    assert_eq!(data[16], "测试: 我是 即时通讯 - 消息服务 我启动啦!!!");
    for line in message.stdout.iter().filter(|l| !is_data(l)) {
        assert!(
            has_chinese(line),
            "a line of this project's, not in Chinese: {line:?}"
        );
    }
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn the_status_line_hint_names_the_pane_that_wants_enter_at_every_stage() {
    let dir = tempfile::tempdir().expect("dir");
    let shm = dir.path().join("shm");
    let marks = dir.path().join("marks");
    std::fs::create_dir(&shm).expect("region dir");
    std::fs::create_dir(&marks).expect("marks dir");
    let shm_arg = dir_str(&shm).to_owned();
    // What scripts/demo.sh puts in the status line, once a second.
    let hint = |lang: &str| {
        let out = Command::new(inspector())
            .args(["--name", "testmap", "--dir", &shm_arg, "--hint", "--lang", lang])
            .arg("--demo-marks")
            .arg(&marks)
            .output()
            .expect("inspector --hint");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    };
    let mark = |program: &str, code: Option<i32>| {
        let path = marks.join(format!("{program}.status"));
        match code {
            Some(code) => std::fs::write(path, format!("{code}\n")).expect("write mark"),
            None => std::fs::remove_file(path).expect("remove mark"),
        }
    };
    let expect_hint = |wanted: &str| {
        // The programs move on by themselves between some stages: look again
        // for a while before failing.
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let line = hint("en");
            if line.starts_with(wanted) {
                return;
            }
            assert!(Instant::now() < deadline, "hint {line:?}, wanted {wanted:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // Before the region exists: the message service starts first.
    expect_hint("LEFT pane (message-server): press Enter at its name prompt (default testmap)");
    assert!(hint("zh").starts_with("左窗格(消息服务): 在名称提示处按回车"));
    // Enter pressed in the wrong pane first: state-server refused and waits.
    mark("state", Some(1));
    expect_hint("RIGHT pane: state-server needs the message service first. LEFT pane: press Enter");
    mark("state", None);

    // The person typed another name than the default at the message service's prompt.
    let mut message = Program::spawn("message-server", &message_server(), &["--dir", &shm_arg]);
    message.send("im\n");
    message.expect_line("wrote 4");
    expect_hint("RIGHT pane (state-server): type im at its name prompt, then press Enter.");
    mark("state", Some(1));
    expect_hint("RIGHT pane: press Enter to start state-server again");
    mark("state", None);

    let mut state = Program::spawn(
        "state-server",
        &state_server(),
        &["--dir", &shm_arg, "--interval-ms", "200", "--hold-ms", "200"],
    );
    state.send("im\n");
    state.expect_line("wrote 9");
    expect_hint("RIGHT pane: state-server writes, holding the mutex. LEFT pane: press Enter to read");
    state.expect_line("Test: I am the IM state service");
    expect_hint("LEFT pane (message-server): press Enter to read the shared memory.");
    message.enter();
    message.expect_line("Test: I am the IM message service");
    expect_hint("Done! Press Enter in each pane to exit");
    assert_eq!(state.finish().code(), Some(0));
    mark("state", Some(0));
    expect_hint("LEFT pane: press Enter to exit");
    assert_eq!(message.finish().code(), Some(0));
    mark("message", Some(0));
    expect_hint("Demo over: the region is gone (the last program out removed it).");
    assert_eq!(dir_entries(&shm), Vec::<String>::new());
}
