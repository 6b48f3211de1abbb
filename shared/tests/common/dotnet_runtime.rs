//! Microsoft's .NET runtime for the tests that run C# programs on Linux
//! (`shared/tests/dotnet_mutex.rs`, `message-server/tests/originals_linux.rs`):
//! where `scripts/dotnet/setup.sh` put it, C# compiled for it with `mcs`, and
//! what a test does when it is missing (skip, or fail under
//! `SHM_REQUIRE_DOTNET=1`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The runtime: its `dotnet` host, and the `runtimeconfig.json` every
/// compiled program needs beside it.
pub struct Runtime {
    /// `dotnetcore2/bin/dotnet`.
    pub dotnet: PathBuf,
    config: String,
}

impl Runtime {
    /// The runtime at `$SHM_DOTNET`, or at `target/dotnet` of the workspace
    /// at `workspace_root`; why not, when it is not there.
    pub fn find(workspace_root: &Path) -> Result<Runtime, String> {
        let root = std::env::var_os("SHM_DOTNET")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root.join("target/dotnet"));
        let dotnet = root.join("dotnetcore2/bin/dotnet");
        if !dotnet.is_file() {
            return Err(format!(
                "no .NET runtime at {} (run scripts/dotnet/setup.sh, or set SHM_DOTNET to its --dir)",
                dotnet.display()
            ));
        }
        let config = fs::read_to_string(root.join("runtimeconfig.json")).map_err(|e| {
            format!(
                "no runtimeconfig.json in {} ({e}): run scripts/dotnet/setup.sh",
                root.display()
            )
        })?;
        Ok(Runtime { dotnet, config })
    }

    /// Compiles `source` with `mcs` (and `-r:` each of `references`) into
    /// `out_dir/NAME.exe`, NAME the source's stem, with its runtimeconfig
    /// beside it; returns the program's path.
    pub fn compile(&self, source: &Path, references: &[&str], out_dir: &Path) -> Result<PathBuf, String> {
        let stem = source
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| format!("{} names no program", source.display()))?;
        fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
        let program = out_dir.join(format!("{stem}.exe"));
        let compiled = Command::new("mcs")
            .args(references.iter().map(|reference| format!("-r:{reference}")))
            .arg(format!("-out:{}", program.display()))
            .arg(source)
            .output()
            .map_err(|e| format!("cannot run mcs ({e}): install mono-mcs (scripts/dotnet/setup.sh does)"))?;
        if !compiled.status.success() {
            return Err(format!(
                "mcs failed on {}: {}",
                source.display(),
                String::from_utf8_lossy(&compiled.stdout)
            ));
        }
        fs::write(out_dir.join(format!("{stem}.runtimeconfig.json")), &self.config)
            .map_err(|e| format!("{}: {e}", out_dir.display()))?;
        Ok(program)
    }
}

/// What a test found: the thing it needs, or `None` after printing
/// `SKIPPED: why`; under `SHM_REQUIRE_DOTNET=1` (as `.ci/run` sets once the
/// runtime is installed) a missing runtime fails the test instead.
pub fn found_or_skipped<T>(found: &Result<T, String>) -> Option<&T> {
    match found {
        Ok(found) => Some(found),
        Err(why) if std::env::var_os("SHM_REQUIRE_DOTNET").is_some_and(|v| v == "1") => {
            panic!("SHM_REQUIRE_DOTNET=1, but: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}
