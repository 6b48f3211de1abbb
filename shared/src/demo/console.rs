//! Talking to the person at the keyboard: the name prompt and "press Enter",
//! and the console's output code page on Windows (`use_utf8_output`).
//!
//! On a terminal the name prompt is a `dialoguer` input with a default that
//! re-asks, with the reason, until the name is valid. When stdin is not a
//! terminal (pipes, scripts, tests), each question reads one line instead: an
//! empty line takes the default, and end of input counts as Enter.

use std::io::{self, BufRead, IsTerminal, Write};

use super::error::ConsoleError;
use super::transcript::Transcript;
use crate::RegionName;

/// The person's side of the exchange.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    terminal: bool,
}

impl Console {
    /// Detects whether stdin is a terminal.
    pub fn detect() -> Self {
        Console {
            terminal: io::stdin().is_terminal(),
        }
    }

    /// Whether questions go through an interactive terminal prompt.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Asks for a region name (`Console.ReadLine()` with a default), with the
    /// transcript's prompt ([`Transcript::name_prompt`]).
    ///
    /// # Errors
    /// [`ConsoleError::InvalidName`] for an invalid name read from a pipe (a
    /// terminal re-asks instead); [`ConsoleError::Io`] when input fails.
    pub fn ask_region_name(&self, out: &Transcript, default: &str) -> Result<RegionName, ConsoleError> {
        let prompt = out.name_prompt(default);
        if self.terminal {
            let answer: String = dialoguer::Input::new()
                .with_prompt(prompt)
                .default(default.to_owned())
                .show_default(false)
                .validate_with(|input: &String| {
                    RegionName::new(input)
                        .map(|_| ())
                        .map_err(|e| out.invalid_name(&super::error::name_error_text(&e)))
                })
                .interact_text()
                .map_err(|dialoguer::Error::IO(error)| match error.kind() {
                    io::ErrorKind::Interrupted => ConsoleError::Interrupted,
                    _ => ConsoleError::Io(error),
                })?;
            return RegionName::new(&answer).map_err(ConsoleError::InvalidName);
        }
        if !super::output::is_quiet() {
            print_flush(&format!("{prompt}: "));
        }
        let line = read_line()?.unwrap_or_default();
        let answer = if line.is_empty() { default } else { line.as_str() };
        super::output::note(answer);
        RegionName::new(answer).map_err(ConsoleError::InvalidName)
    }

    /// Shows `message` and waits for Enter (`Console.ReadLine()`); end of input
    /// counts as Enter.
    ///
    /// # Errors
    /// [`ConsoleError::Io`] when stdin cannot be read.
    pub fn wait_for_enter(&self, message: &str) -> Result<(), ConsoleError> {
        super::output::note(message);
        read_line().map(|_| ())
    }
}

fn print_flush(text: &str) {
    let mut out = io::stdout().lock();
    // A closed stdout is not worth failing the exchange for.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// One line of stdin without its line ending; `None` at end of input.
fn read_line() -> Result<Option<String>, ConsoleError> {
    let _ = io::stdout().flush();
    let mut line = String::new();
    let read = io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(ConsoleError::Io)?;
    if read == 0 {
        return Ok(None);
    }
    let trimmed = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(trimmed);
    Ok(Some(line))
}

/// Makes the console show UTF-8 output (the Chinese lines of `--lang zh`):
/// Rust writes UTF-8, which a Windows console in a legacy code page shows as
/// `?`. Without a console (output to a pipe) the call fails harmlessly. A
/// no-op on Linux, whose terminals take UTF-8 as it comes.
pub(crate) fn use_utf8_output() {
    #[cfg(windows)]
    // SAFETY: SetConsoleOutputCP takes a plain code page number.
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleOutputCP(windows_sys::Win32::Globalization::CP_UTF8);
    }
}
