//! Making a wait visible: on a terminal a spinner with what is awaited, who
//! holds the mutex and the seconds elapsed; elsewhere one plain line when the
//! wait starts and one when it ends. The lines come from the
//! [`Transcript`], in its language.

use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::output::{self, Color};
use super::transcript::Transcript;

/// One visible wait. Create it when a wait starts, [`WaitIndicator::update`]
/// it when what is awaited changes, and [`WaitIndicator::done`] it at the end.
#[derive(Debug)]
pub struct WaitIndicator {
    spinner: Option<ProgressBar>,
    started: Instant,
}

impl WaitIndicator {
    /// Starts showing `text` (a transcript line such as
    /// [`Transcript::waiting_for_mutex`]).
    pub fn start(text: &str) -> Self {
        Self::start_at(text, Instant::now())
    }

    /// [`WaitIndicator::start`] for a wait that began at `began` (before it
    /// was worth showing): the time shown and reported counts from then.
    pub fn start_at(text: &str, began: Instant) -> Self {
        let spinner = if io::stdout().is_terminal() && !output::is_quiet() {
            let color = output::color_enabled(true);
            let template = format!(
                "{{spinner}} {{msg}} {}",
                output::paint("({elapsed})", Color::Cyan, color)
            );
            let style =
                ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_spinner());
            let spinner = ProgressBar::new_spinner()
                .with_style(style)
                .with_message(text.to_owned())
                .with_elapsed(began.elapsed());
            spinner.enable_steady_tick(Duration::from_millis(100));
            Some(spinner)
        } else {
            output::note(&format!("{text}..."));
            None
        };
        WaitIndicator {
            spinner,
            started: began,
        }
    }

    /// Changes what is shown as awaited (on a terminal only; elsewhere the
    /// first line stands).
    pub fn update(&self, text: &str) {
        if let Some(spinner) = &self.spinner {
            spinner.set_message(text.to_owned());
        }
    }

    /// Shows `text` as awaited: starts `slot`'s indicator, or updates it.
    pub fn show(slot: &mut Option<WaitIndicator>, text: &str) {
        match slot {
            Some(indicator) => indicator.update(text),
            None => *slot = Some(WaitIndicator::start(text)),
        }
    }

    /// Ends the wait with `outcome`, shown with the time waited
    /// ([`Transcript::waited`]).
    pub fn done(self, out: &Transcript, outcome: &str) {
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
        output::note(&out.waited(outcome, self.started.elapsed().as_secs_f64()));
    }
}

impl Drop for WaitIndicator {
    fn drop(&mut self) {
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
    }
}
