//! The tests' own safety net under Wine, which now and then fails a
//! process's start (`STATUS_DLL_INIT_FAILED`) before any of its code runs:
//! such a process is started again, by the line-reading [`Helper`] and by
//! [`start`]. The helper's `start-fails-once` exits that way the first time.
#![cfg(windows)] // Windows only: the exit status is Windows'.

mod common;

use std::process::Command;

use common::*;

#[test]
fn a_helper_that_never_started_is_started_again() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("relaunch");
    let mut helper =
        Helper::spawn(Command::new(helper_path()).args(["start-fails-once", name.as_str(), arg(dir.path())]));
    assert_eq!(helper.line(), "ready", "the second start ran");
    assert!(
        dir.path().join(format!("{name}.started")).exists(),
        "the first start happened"
    );
}

#[test]
fn a_process_waited_for_that_never_started_is_started_again() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("relaunch-output");
    let out = start(Command::new(helper_path()).args(["start-fails-once", name.as_str(), arg(dir.path())]))
        .output();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ready");
}
