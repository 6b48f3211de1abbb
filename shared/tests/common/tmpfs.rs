//! A small tmpfs for the tests of full file systems (Linux, as root).

use std::path::Path;
use std::process::{Command, Stdio};

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop; `None`
/// (and a visible note) where this machine does not allow mounting.
pub struct SmallTmpfs(tempfile::TempDir);

impl SmallTmpfs {
    pub fn mount(size: &str) -> Option<SmallTmpfs> {
        let dir = tempfile::tempdir().expect("dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some(SmallTmpfs(dir)),
            _ => {
                eprintln!(
                    "SKIPPED: cannot mount a small tmpfs on this machine (needs root); this test did not run"
                );
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}
