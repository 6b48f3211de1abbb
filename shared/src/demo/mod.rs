//! The demo's own pieces: the first user of the library, kept apart from it.
//!
//! The C# article's layout ([`layout`]), its 16-byte record ([`ServiceMsg`]),
//! .NET ticks ([`ticks`]), and the handshake the two programs keep in the
//! bytes the original leaves unused ([`handshake`]), and how to recognise
//! the original C# programs, which write none of it ([`original_peer`]). With the `console`
//! feature, also the two programs' shared command line, prompts, transcript
//! and wait indicator.

#[cfg(feature = "console")]
pub mod cli;
#[cfg(feature = "console")]
pub mod console;
pub mod handshake;
pub mod layout;
pub mod original_peer;
#[cfg(feature = "console")]
pub mod output;
mod service_msg;
pub mod ticks;
#[cfg(feature = "console")]
pub mod transcript;
#[cfg(feature = "console")]
pub mod wait_indicator;

pub use service_msg::ServiceMsg;
