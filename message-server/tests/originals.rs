//! Live interoperability with the article's own C# programs, unchanged, on
//! Microsoft's .NET runtime for Windows: the original `IMServer_Message` with
//! our `state-server`, and our `message-server` with the original
//! `IMServer_State`, on the very same kernel objects `testmap` and
//! `testmapmutex`.
//!
//! Windows only (under Wine on Linux): `scripts/windows/test.sh` installs the
//! runtime, compiles the originals from `../shared/original/` and says where
//! they are (`SHM_DOTNET_EXE`, `SHM_ORIGINAL_MESSAGE`, `SHM_ORIGINAL_STATE`).
//! Through a pipe the originals' Chinese text arrives as `?`, so their lines
//! are matched by their ASCII parts (`9??:9` is `9位置:9`).
#![cfg(windows)]

mod common;

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use common::*;

/// The originals hard-code `testmapmutex`, so both pairings use the default
/// name `testmap`: one at a time.
static ARTICLE_NAMES: Mutex<()> = Mutex::new(());

fn article_names() -> MutexGuard<'static, ()> {
    ARTICLE_NAMES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the Windows tests through scripts/windows/test.sh, which installs the .NET runtime and builds the originals")
    })
}

/// `dotnet.exe IMServer_X.exe`, the article's program on .NET for Windows.
fn original(which: &str) -> Command {
    let mut command = Command::new(env("SHM_DOTNET_EXE"));
    command.arg(env(which));
    command
}

#[test]
fn the_original_message_service_reads_what_our_state_server_wrote() {
    let _names = article_names();
    let mut message = Program::spawn_with("IMServer_Message", &mut original("SHM_ORIGINAL_MESSAGE"));
    message.enter(); // its name prompt: Enter = testmap
    message.expect_line("4?????:4"); // 4位置写入流:4, then it waits for Enter
    let mut state = Program::spawn(
        "state-server",
        &state_server(),
        &["--name", "testmap", "--interval-ms", "1", "--hold-ms", "1"],
    );
    state.expect_line("it is the original IMServer_Message. Relying on the mutex alone");
    state.expect_line("64\tNowTime: ");
    state.expect_line("Test: I am the IM state service, and I have started!!!");

    message.enter(); // the original's WaitOne, then it reads
    let message = message.finish(); // its closing ReadKey throws on a pipe: any exit code
    article::assert_original_read_ours(&message.stdout, "??:", "0001");
    state.enter();
    assert_eq!(state.finish().code(), Some(0));
}

#[test]
fn our_message_server_shows_everything_the_original_state_service_wrote() {
    let _names = article_names();
    let mut message = Program::spawn("message-server", &message_server(), &["--name", "testmap"]);
    message.expect_line("Start the state service");
    let mut state = Program::spawn_with("IMServer_State", &mut original("SHM_ORIGINAL_STATE"));
    state.enter(); // its name prompt: Enter = testmap
    state.expect_line("5?????:5"); // it holds the mutex now, for about 10 s

    message.enter();
    article::expect_ours_showing_the_originals(&mut message, &[0, 16, 32, 48, 64]);
    message.enter();
    assert_eq!(message.finish().code(), Some(0));
    let state = state.finish();
    assert!(
        state.stdout.iter().any(|line| line.starts_with("64\tNowTime:")),
        "{:#?}",
        state.stdout
    );
}
