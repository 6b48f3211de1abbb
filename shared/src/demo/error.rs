//! What can end a demo program early ([`DemoError`]), what a wait that ran
//! out of time was for ([`WaitedFor`]), and why reading the person's answer
//! failed ([`ConsoleError`]).
//!
//! The bottom of the demo's console pieces: this file imports none of them.
//! Each error's `Display` is its English line; the transcript
//! (`Transcript::error`, above this file) has it in each language.

use std::fmt;
use std::io;
use std::process::ExitCode;

use crate::NameError;
use crate::{Failure, ObjectError, ViewError};

/// Everything that can end a demo program early.
#[derive(Debug)]
#[non_exhaustive]
pub enum DemoError {
    /// Reading the person's answer failed.
    Console(ConsoleError),
    /// The region could not be created or opened, or the mutex could not be
    /// created, opened or taken ([`ObjectError::object`] says which).
    Object(ObjectError),
    /// A view access failed.
    View(ViewError),
    /// Other I/O (the stream view).
    Io(io::Error),
    /// The state server was started before any message server.
    StartMessageServerFirst {
        /// The region name.
        name: String,
    },
    /// A message server already serves this region.
    AlreadyServed {
        /// The region name.
        name: String,
        /// Pid of the message server that created the mutex.
        pid: u32,
    },
    /// `--dotnet`: .NET's mutex is open in several login sessions (several
    /// terminals), and none is this program's.
    DotnetSessions {
        /// The mutex name.
        name: String,
        /// The sessions that have it.
        sessions: Vec<u32>,
    },
    /// `--timeout` ran out.
    TimedOut {
        /// What was being waited for.
        what: WaitedFor,
        /// The timeout in seconds.
        secs: f64,
    },
}

/// What a wait that ran out of time ([`DemoError::TimedOut`]) was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitedFor {
    /// The demo's mutex.
    Mutex,
    /// The state server to write its part.
    StateService,
}

/// Reading the person's answer failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The name read from a pipe is not a valid region name.
    InvalidName(NameError),
    /// The person pressed Ctrl-C at a prompt.
    Interrupted,
    /// The terminal or stdin could not be read.
    Io(io::Error),
}

impl DemoError {
    /// The exit code: 2 for bad input (usage), 130 when a signal ended it,
    /// 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            DemoError::Console(ConsoleError::InvalidName(_)) => ExitCode::from(2),
            DemoError::Console(ConsoleError::Interrupted) => ExitCode::from(130),
            _ if self.ended_by_signal() => ExitCode::from(130),
            _ => ExitCode::from(1),
        }
    }

    /// Whether a signal ended a wait: the signal handler has already said so
    /// and is closing the regions.
    pub fn ended_by_signal(&self) -> bool {
        matches!(self, DemoError::Object(e) if matches!(e.failure(), Failure::Interrupted { .. }))
    }
}

impl fmt::Display for DemoError {
    /// The English line: the library's own line for wrapped errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Console(e) => e.fmt(f),
            DemoError::Object(e) => f.write_str(&super::platform_flags::object_error_text(e)),
            DemoError::View(e) => e.fmt(f),
            DemoError::Io(e) => write!(f, "shared-memory stream failed: {e}"),
            DemoError::StartMessageServerFirst { name } => write!(
                f,
                "no message service is running on region `{name}`: start message-server first, then state-server with the same name"
            ),
            DemoError::AlreadyServed { name, pid } => write!(
                f,
                "region `{name}` is already served by message-server (pid {pid}); use another name, or stop that one first"
            ),
            DemoError::DotnetSessions { name, sessions } => write!(
                f,
                "the .NET mutex `{name}` is open in several login sessions ({}), none of them this terminal's: pick one with --dotnet-session SID",
                session_list(sessions)
            ),
            DemoError::TimedOut { what, secs } => {
                let what = match what {
                    WaitedFor::Mutex => "the mutex",
                    WaitedFor::StateService => "the state service to write",
                };
                write!(
                    f,
                    "gave up after {secs} s waiting for {what} (--timeout); is the other program still running?"
                )
            }
        }
    }
}

/// "1, 2, 3": the sessions of [`DemoError::DotnetSessions`].
pub(crate) fn session_list(sessions: &[u32]) -> String {
    sessions.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::Console(e) => Some(e),
            DemoError::Object(e) => Some(e),
            DemoError::View(e) => Some(e),
            DemoError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConsoleError> for DemoError {
    fn from(e: ConsoleError) -> Self {
        DemoError::Console(e)
    }
}
impl From<ObjectError> for DemoError {
    fn from(e: ObjectError) -> Self {
        DemoError::Object(e)
    }
}
impl From<ViewError> for DemoError {
    fn from(e: ViewError) -> Self {
        DemoError::View(e)
    }
}
impl From<io::Error> for DemoError {
    fn from(e: io::Error) -> Self {
        DemoError::Io(e)
    }
}

impl fmt::Display for ConsoleError {
    /// The English line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleError::InvalidName(error) => f.write_str(&name_error_text(error)),
            ConsoleError::Interrupted => write!(f, "interrupted at the prompt; nothing was changed"),
            ConsoleError::Io(error) => write!(f, "could not read the keyboard: {error}"),
        }
    }
}

impl std::error::Error for ConsoleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConsoleError::InvalidName(error) => Some(error),
            ConsoleError::Io(error) => Some(error),
            ConsoleError::Interrupted => None,
        }
    }
}

/// A refused name explained in the programs' own terms: their flags where
/// the library's message names its API.
pub fn name_error_text(error: &NameError) -> String {
    match error {
        NameError::Separator(c) => format!(
            "a region name may not contain `{c}`: it is one name, not a path (use {} for a location)",
            super::platform_flags::LOCATION_FLAGS
        ),
        NameError::WindowsNamespace(prefix) => format!(
            "a region name may not start with `{prefix}`: on Windows that picks the session's or the machine's kernel namespace, but here a name is a file in one directory, which plays that role; drop the prefix (and use --dir for another directory)"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programs_name_their_flags_where_the_library_names_its_api() {
        let text = name_error_text(&NameError::Separator('/'));
        assert!(
            text.contains(crate::demo::platform_flags::LOCATION_FLAGS),
            "{text}"
        );
        assert!(!text.contains("RegionOptions"), "{text}");
        assert_eq!(name_error_text(&NameError::Empty), NameError::Empty.to_string());
    }
}
