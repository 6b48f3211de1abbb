//! What the two demo programs share on their command lines: where the region
//! is, how long to wait, which language to speak, and how failures end.
//!
//! The top of the demo's console pieces: it uses the errors, the transcript,
//! the output, the console and the wait indicator, and none of them uses it.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::console::Console;
use super::error::{ConsoleError, DemoError, WaitedFor};
use super::layout::{DEFAULT_REGION_NAME, DEFAULT_REGION_SIZE, MIN_REGION_SIZE};
use super::platform_flags;
use super::transcript::{Lang, Transcript};
use super::wait_indicator::WaitIndicator;
use crate::{
    Acquired, CreatedMutex, Failure, FileMode, MutexOptions, NamedMutex, ObjectError, Region, RegionName,
    RegionOptions,
};

/// The language flag's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// The original article's Chinese lines.
    Zh,
}

/// Makes Ctrl-C, `SIGTERM` and `SIGHUP` leave like a normal exit: says so in
/// the transcript's language, closes every open region (the last process out
/// removes it, see [`exit_closing_regions`](crate::exit_closing_regions)), and
/// exits with code 130. A mutex held at that moment is released by the system
/// and reported to its next owner as abandoned, since what it protected may be
/// half-written.
pub fn exit_cleanly_on_signals(out: Transcript) {
    // Failing to install the handler (one is already installed) only loses the
    // clean-up on signals; stale regions are still treated as gone later.
    let _ = ctrlc::set_handler(move || leave_interrupted(&out));
}

/// Says once that the program was interrupted, closes every open region and
/// exits with 130. Both the signal handler and a prompt that read Ctrl-C
/// come here, and often both for one Ctrl-C (the signal also ends the
/// prompt's read): the first says it and leaves, the other waits for the
/// exit, so the line is printed once.
fn leave_interrupted(out: &Transcript) -> ! {
    static LEAVING: AtomicBool = AtomicBool::new(false);
    if LEAVING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    // A terminal has just echoed `^C` (or shows the prompt): start on a line
    // of our own. (`eprintln!` would panic on a terminal that has hung up.)
    if std::io::stderr().is_terminal() {
        let _ = writeln!(std::io::stderr());
    }
    super::output::error(out, out.interrupted());
    crate::exit_closing_regions(130);
}

/// The message server's open: `MemoryMappedFile.CreateOrOpen(name, size)`,
/// or `CreateFromFile(path, FileMode.OpenOrCreate, ..., size)` with `--file`;
/// within `budget`, showing a lock another process holds for long
/// ([`WaitBudget::open`]).
///
/// # Errors
/// As [`RegionOptions::create_or_open`] / [`RegionOptions::create_from_file`].
pub fn create_or_open(
    options: &RegionOptions,
    budget: &WaitBudget,
    out: &Transcript,
) -> Result<Region, DemoError> {
    open_within(options, budget, out, |options| {
        if options.is_file() {
            options.create_from_file()
        } else {
            options.create_or_open()
        }
    })
}

/// The state server's open: `MemoryMappedFile.OpenExisting(name)`, or
/// `CreateFromFile(path, FileMode.Open)` at the file's size with `--file`;
/// within `budget`, as [`create_or_open`].
///
/// # Errors
/// As [`RegionOptions::open_existing`] / [`RegionOptions::create_from_file`].
pub fn open_existing(
    options: &RegionOptions,
    budget: &WaitBudget,
    out: &Transcript,
) -> Result<Region, DemoError> {
    open_within(options, budget, out, |options| {
        if options.is_file() {
            options.file_mode(FileMode::Open).size(0).create_from_file()
        } else {
            options.open_existing()
        }
    })
}

/// `open` with `options` whose lock waits [`WaitBudget::open`] bounds.
fn open_within(
    options: &RegionOptions,
    budget: &WaitBudget,
    out: &Transcript,
    open: impl Fn(RegionOptions) -> Result<Region, ObjectError>,
) -> Result<Region, DemoError> {
    budget.open(out, |wait| open(options.clone().timeout(wait)))
}

/// Flags both programs take.
#[derive(Debug, Clone, clap::Args)]
pub struct RegionArgs {
    /// Region name; without it a prompt asks (Enter = `testmap`).
    /// Example: --name testmap
    #[arg(long, value_name = "NAME", value_parser = parse_name)]
    pub name: Option<RegionName>,

    /// Directory of the region files [default: /dev/shm, or the temp dir].
    /// Example: --dir /tmp
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    pub dir: Option<PathBuf>,

    /// Use a persistent region over this file (kept, with its data, after both
    /// programs exit) instead of a named one. Example: --file ./im.dat
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Size in bytes of a region this program creates (an existing region at
    /// least this large is used at its own size; a smaller one is refused)
    /// [default: 1024000]. Example: --size 65536
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub size: Option<u64>,

    /// Permission bits, in octal, of the files this program creates
    /// [default: 0600, owner only]; 0660 shares the region with the group.
    /// Example: --mode 0660
    #[arg(long, value_name = "MODE", value_parser = parse_mode)]
    pub mode: Option<u32>,

    /// Print only the data lines (values, records, closing line).
    /// Example: --quiet
    #[arg(long, short)]
    pub quiet: bool,

    /// Give up any wait (for the mutex or the other program) after SECS seconds,
    /// with exit code 1. Example: --timeout 30
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,

    /// Language of the transcript [default: zh when LC_ALL/LANG starts with zh,
    /// else en]. Example: --lang zh
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,

    /// Meet .NET programs on Linux (the article's, on .NET for Linux): the
    /// region is the file .NET maps, /dev/shm/NAME (or --file), and the mutex
    /// .NET's own named mutex NAMEmutex. On Windows both are .NET's already.
    /// Example: --dotnet
    #[arg(long)]
    pub dotnet: bool,

    /// With --dotnet: the login session whose .NET mutex to use. A .NET
    /// program looks only in its own terminal's session; `ps -o sid= -p $$`
    /// there prints it [default: this terminal's; state-server also finds
    /// the mutex in another one]. Example: --dotnet-session 4242
    #[arg(long, value_name = "SID", requires = "dotnet")]
    pub dotnet_session: Option<u32>,
}

fn parse_name(text: &str) -> Result<RegionName, String> {
    RegionName::new(text).map_err(|error| super::error::name_error_text(&error))
}

fn parse_size(text: &str) -> Result<u64, String> {
    let size: u64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of bytes"))?;
    if size >= MIN_REGION_SIZE {
        Ok(size)
    } else {
        Err(format!(
            "a region of {size} bytes cannot hold the demo's layout: use at least {MIN_REGION_SIZE}"
        ))
    }
}

fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    let mode =
        u32::from_str_radix(digits, 8).map_err(|_| format!("`{text}` is not an octal mode such as 0600"))?;
    if mode > 0o777 || mode & 0o600 != 0o600 {
        return Err(format!(
            "mode {text} must be at most 0777 and let the owner read and write (0600, 0640, 0660, ...)"
        ));
    }
    Ok(mode)
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_nan() || secs < 0.0 {
        return Err(format!(
            "`{text}` is not a usable number of seconds (use 0 or more)"
        ));
    }
    // Beyond what a Duration holds: as good as forever.
    Ok(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

impl RegionArgs {
    /// What both programs' `main` does around their exchange: applies the
    /// output flags, makes signals leave cleanly, asks for the region name
    /// (unless a flag gave it), runs `exchange`, and turns its outcome into
    /// one line and an exit code.
    pub fn run(
        &self,
        exchange: impl FnOnce(&Transcript, &Console, RegionOptions) -> Result<(), DemoError>,
    ) -> ExitCode {
        super::output::set_quiet(self.quiet);
        // The Chinese lines need a UTF-8 console on Windows (no-op elsewhere).
        super::console::use_utf8_output();
        let out = self.transcript();
        for flag in platform_flags::without_meaning(self.dir.is_some(), self.mode.is_some(), self.dotnet) {
            super::output::warn(&out, &out.flag_without_meaning_on_windows(flag));
        }
        exit_cleanly_on_signals(out);
        let console = Console::detect();
        let result = self
            .region_options(&console, &out)
            .and_then(|options| exchange(&out, &console, options));
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => report(&error, &out),
        }
    }

    /// The transcript in the chosen (or the environment's) language.
    pub fn transcript(&self) -> Transcript {
        Transcript::new(match self.lang {
            Some(LangArg::En) => Lang::En,
            Some(LangArg::Zh) => Lang::Zh,
            None => Lang::from_env(),
        })
    }

    /// Where the region is: asks for the name at the console unless `--name`
    /// or `--file` says.
    ///
    /// # Errors
    /// [`DemoError::Console`] when the answer cannot be read or is not a valid name.
    pub fn region_options(
        &self,
        console: &Console,
        transcript: &Transcript,
    ) -> Result<RegionOptions, DemoError> {
        if let Some(file) = &self.file {
            return Ok(self.file_options(file));
        }
        let name = match &self.name {
            Some(name) => name.clone(),
            None => console.ask_region_name(transcript, DEFAULT_REGION_NAME)?,
        };
        // .NET on Linux maps no named regions: the article's programs there
        // map the file /dev/shm/NAME.
        if let Some(file) = self
            .dotnet
            .then(|| platform_flags::dotnet_region_file(self.dir.as_deref(), &name))
            .flatten()
        {
            return Ok(self.file_options(&file));
        }
        Ok(self
            .with_flags(RegionOptions::named(&name))
            .size(self.size.unwrap_or(DEFAULT_REGION_SIZE)))
    }

    /// `CreateFromFile(path, FileMode.OpenOrCreate, ..., 1024000)`: a larger
    /// file keeps its size, a smaller or new one grows to it.
    fn file_options(&self, file: &Path) -> RegionOptions {
        let wanted = self.size.unwrap_or(DEFAULT_REGION_SIZE);
        let len = std::fs::metadata(file).map_or(0, |meta| meta.len());
        let capacity = if len > wanted { 0 } else { wanted };
        let options = RegionOptions::file(file).file_mode(FileMode::OpenOrCreate);
        self.with_flags(options).size(capacity)
    }

    /// `--dir`, `--mode` (what they mean on this platform) and `--timeout`
    /// applied to `options`.
    fn with_flags(&self, options: RegionOptions) -> RegionOptions {
        let options = platform_flags::apply(options, self.dir.as_deref(), self.mode);
        match self.timeout {
            Some(timeout) => options.timeout(timeout),
            None => options,
        }
    }

    /// The demo's mutex beside `region` (`<name>mutex`; with `--dotnet`
    /// .NET's own), its setup-lock wait bounded by what is left of `budget`.
    pub fn mutex_options(&self, region: &Region, budget: &WaitBudget) -> MutexOptions {
        self.mutex_options_in(region, budget, self.dotnet_session)
    }

    fn mutex_options_in(&self, region: &Region, budget: &WaitBudget, session: Option<u32>) -> MutexOptions {
        let mut options = MutexOptions::for_region(region);
        if self.dotnet {
            options = platform_flags::dotnet_mutex(options, session);
        }
        match budget.remaining() {
            Some(left) => options.timeout(left),
            None => options,
        }
    }

    /// `new Mutex(initially_owned, "<name>mutex", out created)`:
    /// [`RegionArgs::mutex_options`] and [`MutexOptions::create`], within
    /// `budget` as [`create_or_open`].
    ///
    /// # Errors
    /// As [`MutexOptions::create`].
    pub fn create_mutex(
        &self,
        region: &Region,
        initially_owned: bool,
        budget: &WaitBudget,
        out: &Transcript,
    ) -> Result<CreatedMutex, DemoError> {
        budget.open(out, |wait| {
            self.mutex_options(region, budget)
                .timeout(wait)
                .create(initially_owned)
        })
    }

    /// `Mutex.OpenExisting("<name>mutex")`: [`RegionArgs::mutex_options`] and
    /// [`MutexOptions::open_existing`]. With `--dotnet` (and no
    /// `--dotnet-session`), a .NET mutex that is not in this login session is
    /// looked for in the others: a .NET program in another terminal made it
    /// in its own. Found in one, it is used, and said so.
    ///
    /// # Errors
    /// As [`MutexOptions::open_existing`]; [`DemoError::DotnetSessions`] when
    /// several other sessions have it.
    pub fn open_existing_mutex(
        &self,
        region: &Region,
        budget: &WaitBudget,
        out: &Transcript,
    ) -> Result<NamedMutex, DemoError> {
        let open_in = |session| {
            budget.open(out, |wait| {
                self.mutex_options_in(region, budget, session)
                    .timeout(wait)
                    .open_existing()
            })
        };
        let not_found = match open_in(self.dotnet_session) {
            Err(DemoError::Object(error)) if matches!(error.failure(), Failure::NotFound { .. }) => error,
            opened => return opened,
        };
        if !self.dotnet || self.dotnet_session.is_some() {
            return Err(not_found.into());
        }
        match platform_flags::dotnet_sessions(&region.mutex_name())[..] {
            [] => Err(not_found.into()),
            [session] => {
                let mutex = open_in(Some(session))?;
                super::output::note(&out.dotnet_mutex_elsewhere(mutex.path()));
                Ok(mutex)
            }
            ref several => Err(DemoError::DotnetSessions {
                name: region.mutex_name(),
                sessions: several.to_vec(),
            }),
        }
    }

    /// With `--dotnet`, where the mutex just made is, for a .NET program in
    /// another terminal (nothing without it, or on Windows).
    pub fn say_where_dotnet_finds(&self, mutex: &NamedMutex, out: &Transcript) {
        if self.dotnet && cfg!(target_os = "linux") {
            super::output::note(&out.dotnet_mutex_here(mutex.path(), self.dotnet_session));
        }
    }

    /// The time the waits from now on may take together, if `--timeout` was
    /// given: one budget for every wait until the person's next Enter,
    /// however many locks and peers those waits are for.
    pub fn wait_budget(&self) -> WaitBudget {
        WaitBudget {
            // A timeout too large for the clock means "no limit".
            at: self.timeout.and_then(|t| Instant::now().checked_add(t)),
            timeout: self.timeout,
        }
    }
}

/// How long a create or open waits in silence for a lock another process
/// holds before the wait is shown ([`WaitBudget::open`]).
pub const QUIET_OPEN_WAIT: Duration = Duration::from_secs(1);

/// The time set by `--timeout` for the waits until the person's next Enter
/// press, shared by all of them ([`RegionArgs::wait_budget`]): it ends at one
/// instant, however many waits spend it.
#[derive(Debug, Clone, Copy)]
pub struct WaitBudget {
    at: Option<Instant>,
    timeout: Option<Duration>,
}

impl WaitBudget {
    /// No limit: wait as long as it takes.
    pub fn unlimited() -> Self {
        WaitBudget {
            at: None,
            timeout: None,
        }
    }

    /// Time left, `None` when there is no limit.
    pub fn remaining(&self) -> Option<Duration> {
        self.at.map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// .NET `WaitOne()` within the budget: takes the mutex at once if it is
    /// free; otherwise shows the wait (who holds it, for how long) until it is.
    ///
    /// # Errors
    /// [`DemoError::TimedOut`] when the budget runs out first;
    /// [`DemoError::Object`] when the lock call fails.
    pub fn acquire(&self, mutex: &NamedMutex, out: &Transcript) -> Result<Acquired, DemoError> {
        if let Some(acquired) = mutex.try_wait()? {
            return Ok(acquired);
        }
        let indicator = WaitIndicator::start(&out.waiting_for_mutex(mutex.holder_pid()));
        let acquired = self.wait(mutex)?;
        indicator.done(out, out.got_mutex());
        Ok(acquired)
    }

    /// .NET `WaitOne()` within the budget, without showing anything.
    ///
    /// # Errors
    /// As [`WaitBudget::acquire`].
    pub fn wait(&self, mutex: &NamedMutex) -> Result<Acquired, DemoError> {
        match self.remaining() {
            None => Ok(mutex.wait()?),
            Some(left) => mutex
                .wait_timeout(left)?
                .ok_or_else(|| self.expired(WaitedFor::Mutex)),
        }
    }

    /// Runs `open`, a create or open that may wait for a lock another
    /// process holds (a setup lock, .NET's creation lock), passing it how
    /// long it may wait (`Duration::MAX`: as long as it takes): within the
    /// budget, but at first only
    /// [`QUIET_OPEN_WAIT`]. Such locks are held for a moment; one held
    /// longer (by a stopped or hostile process) is shown as a wait, with who
    /// holds it, and `open` runs again for the rest of the budget. Without
    /// it, an open without `--timeout` waited in silence.
    ///
    /// # Errors
    /// What `open` returns, [`DemoError::Object`]: past the budget,
    /// [`Failure::TimedOut`].
    pub fn open<T>(
        &self,
        out: &Transcript,
        open: impl Fn(Duration) -> Result<T, ObjectError>,
    ) -> Result<T, DemoError> {
        let quietly = match self.remaining() {
            Some(left) if left <= QUIET_OPEN_WAIT => return Ok(open(left)?),
            _ => QUIET_OPEN_WAIT,
        };
        let began = Instant::now();
        let (what, path, holder) = match open(quietly) {
            Err(error) => match error.failure() {
                Failure::TimedOut { what, path, holder } => (*what, path.clone(), *holder),
                _ => return Err(error.into()),
            },
            opened => return Ok(opened?),
        };
        let indicator = WaitIndicator::start_at(&out.waiting_for_lock(what, &path, holder), began);
        let opened = open(self.remaining().unwrap_or(Duration::MAX));
        match &opened {
            Err(error) if matches!(error.failure(), Failure::TimedOut { .. }) => drop(indicator),
            // Free at last, whatever the open then found.
            _ => indicator.done(out, out.lock_is_free()),
        }
        Ok(opened?)
    }

    /// The error for a wait for `what` that ran out of time.
    pub fn expired(&self, what: WaitedFor) -> DemoError {
        DemoError::TimedOut {
            what,
            secs: self.timeout.map_or(0.0, |t| t.as_secs_f64()),
        }
    }
}

/// Prints `error: ...` on stderr in the transcript's language (unless a
/// signal ended the program: the handler has reported it) and returns the
/// exit code ([`DemoError::exit_code`]).
fn report(error: &DemoError, out: &Transcript) -> ExitCode {
    if matches!(error, DemoError::Console(ConsoleError::Interrupted)) {
        leave_interrupted(out);
    }
    if !error.ended_by_signal() {
        super::output::error(out, &out.error(error));
    }
    error.exit_code()
}
