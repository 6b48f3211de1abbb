//! How the demo programs print: data lines always, other lines unless
//! `--quiet`, colour only on a terminal and never with `NO_COLOR`, and a
//! closed stdout (`| head -1`) ignored, because the other program still needs
//! this one to finish its part of the exchange.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use super::transcript::Transcript;

static QUIET: AtomicBool = AtomicBool::new(false);

/// With `true`, [`note`] and [`warn`] print nothing: only data lines remain.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` is in force.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether a stream that is (or is not) a terminal gets colour: only a
/// terminal, and never when `NO_COLOR` is set to anything but "".
pub fn color_enabled(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Colours of the few highlighted words.
#[derive(Debug, Clone, Copy)]
pub enum Color {
    /// Errors.
    Red,
    /// Warnings.
    Yellow,
    /// Progress.
    Cyan,
}

/// `text` in `color` when `enabled`, plain otherwise.
pub fn paint(text: &str, color: Color, enabled: bool) -> String {
    if !enabled {
        return text.to_owned();
    }
    let code = match color {
        Color::Red => "31",
        Color::Yellow => "33",
        Color::Cyan => "36",
    };
    format!("\x1b[1;{code}m{text}\x1b[0m")
}

fn write_line(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A data line (the exchange's values and closing line): always printed.
pub fn data(line: &str) {
    write_line(line);
}

/// A line for the person (instructions, progress); not with `--quiet`.
pub fn note(line: &str) {
    if !is_quiet() {
        write_line(line);
    }
}

/// A warning line on stdout, starting with a (yellow) `warning:` in the
/// transcript's language; not with `--quiet`.
pub fn warn(out: &Transcript, line: &str) {
    if !is_quiet() {
        let label = paint(
            out.warning_label(),
            Color::Yellow,
            color_enabled(io::stdout().is_terminal()),
        );
        write_line(&format!("{label} {line}"));
    }
}

/// An error line on stderr, starting with a (red) `error:` in the
/// transcript's language.
pub fn error(out: &Transcript, line: &str) {
    let label = paint(
        out.error_label(),
        Color::Red,
        color_enabled(io::stderr().is_terminal()),
    );
    let _ = writeln!(io::stderr(), "{label} {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_when_enabled() {
        assert_eq!(paint("error:", Color::Red, false), "error:");
        assert_eq!(paint("error:", Color::Red, true), "\x1b[1;31merror:\x1b[0m");
    }

    #[test]
    fn no_terminal_no_colour() {
        assert!(!color_enabled(false));
    }
}
