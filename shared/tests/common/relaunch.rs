//! Starting a process again when it never started: Wine 8 now and then
//! fails a process's start under load (`STATUS_DLL_INIT_FAILED`) before any
//! of its code runs. Shared by the test helpers of `shared` and of the
//! programs (`message-server/tests/common` includes this file).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a [`Command`] was: enough to start the same process once more.
pub struct Relaunch {
    program: std::ffi::OsString,
    args: Vec<std::ffi::OsString>,
    envs: Vec<(std::ffi::OsString, Option<std::ffi::OsString>)>,
    dir: Option<PathBuf>,
}

impl Relaunch {
    /// What `command` starts.
    pub fn of(command: &Command) -> Relaunch {
        Relaunch {
            program: command.get_program().to_owned(),
            args: command.get_args().map(ToOwned::to_owned).collect(),
            envs: command
                .get_envs()
                .map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned)))
                .collect(),
            dir: command.get_current_dir().map(Path::to_path_buf),
        }
    }

    /// A new command that starts the same process.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }
}

/// `STATUS_DLL_INIT_FAILED`: the exit code of a process whose start failed
/// before any of its code ran. Wine 8 gives it, rarely, to a process started
/// while the machine is loaded; such a helper never ran, so it is started
/// again.
const STATUS_DLL_INIT_FAILED: u32 = 0xC000_0142;

/// Whether `status` says the process never started (see [`STATUS_DLL_INIT_FAILED`]).
pub fn never_started(status: std::process::ExitStatus) -> bool {
    cfg!(windows) && status.code().map(|code| code as u32) == Some(STATUS_DLL_INIT_FAILED)
}
