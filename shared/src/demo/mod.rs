//! The demo's own pieces: the first user of the library, kept apart from it.
//!
//! The C# article's layout ([`layout`]), its 16-byte record ([`ServiceMsg`]),
//! .NET ticks ([`ticks`]), and the handshake the two programs keep in the
//! bytes the original leaves unused ([`handshake`]), and how to recognise
//! the original C# programs, which write none of it ([`original_peer`]). With the `console`
//! feature, also the two programs' shared command line, prompts, transcript
//! and wait indicator.
//!
//! The console pieces stand on one another, each using only those below it
//! (so none of them imports another in a circle):
//!
//! | layer | module | uses of the demo's console pieces |
//! |---|---|---|
//! | 0 | `platform_flags`: what `--dir` and `--mode` mean here | none |
//! | 1 | `error`: `DemoError`, `WaitedFor`, `ConsoleError`, their English lines | none |
//! | 2 | `transcript`: every line in each language | `error` |
//! | 3 | `output`: data, note, warning and error lines | `transcript` |
//! | 4 | `console`: the prompts, and the console's code page on Windows | `error`, `transcript`, `output` |
//! | 4 | `wait_indicator`: the spinner of a wait | `transcript`, `output` |
//! | 5 | `cli`: the command line, and how a program ends | all of the above |

#[cfg(feature = "console")]
pub mod cli;
#[cfg(feature = "console")]
pub mod console;
#[cfg(feature = "console")]
pub mod error;
pub mod handshake;
pub mod layout;
pub mod original_peer;
#[cfg(feature = "console")]
pub mod output;
#[cfg(feature = "console")]
mod platform_flags;
mod service_msg;
pub mod ticks;
#[cfg(feature = "console")]
pub mod transcript;
#[cfg(feature = "console")]
pub mod wait_indicator;

pub use service_msg::ServiceMsg;
