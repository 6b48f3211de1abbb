//! Whose files we trust. `/dev/shm` and `/tmp` are writable by every local
//! user, so anyone can create a file at a region's path first. A file owned
//! by another user is an attack until shown otherwise: it is refused before
//! any byte of it is read or written and before any lock on it is taken
//! (a stranger holding a lock on a file we wait for could stall us).
//!
//! Sharing is opt-in: with [`Trust::Group`], a file of another user is
//! accepted when it belongs to one of this process's groups, is group
//! readable and writable, and is not writable by everyone. A world-writable
//! file of someone else is never trusted, and root gets no exception.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub(crate) use super::settings::Trust;
use crate::error::Refusal;

/// A file owned by someone this process does not trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stranger {
    /// The owner's uid.
    pub(crate) uid: u32,
    /// Why sharing does not cover it (empty when sharing was not asked for).
    pub(crate) why: &'static str,
}

/// Checks the owner of an open file against `trust`.
pub(crate) fn check(file: &File, trust: Trust) -> std::io::Result<Result<(), Stranger>> {
    let meta = file.metadata()?;
    Ok(judge(
        meta.uid(),
        meta.gid(),
        meta.mode(),
        trust,
        crate::platform::sys::effective_uid(),
        crate::platform::sys::effective_groups,
    ))
}

fn judge(
    uid: u32,
    gid: u32,
    mode: u32,
    trust: Trust,
    me: u32,
    my_groups: impl FnOnce() -> Vec<u32>,
) -> Result<(), Stranger> {
    if uid == me {
        return Ok(());
    }
    let why = match trust {
        Trust::Owner => "",
        Trust::Group if mode & 0o002 != 0 => "it is writable by every user",
        Trust::Group if mode & 0o060 != 0o060 => "it is not group readable and writable",
        Trust::Group if !my_groups().contains(&gid) => "its group is not one of yours",
        Trust::Group => return Ok(()),
    };
    Err(Stranger { uid, why })
}

/// The login name of `uid` from `/etc/passwd`, when it has one.
pub(crate) fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let found: u32 = fields.nth(1)?.parse().ok()?;
        (found == uid).then(|| name.to_owned())
    })
}

/// The real uid of process `pid`, from `/proc/PID/status`.
pub(crate) fn process_owner(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// "user NAME (uid N)" or "uid N".
pub(crate) fn describe(uid: u32) -> String {
    match user_name(uid) {
        Some(name) => format!("user {name} (uid {uid})"),
        None => format!("uid {uid}"),
    }
}

/// Why the file at `path` of `stranger` is refused.
pub(crate) fn refusal(path: &Path, stranger: &Stranger) -> Refusal {
    let path = path.to_owned();
    let owner = describe(stranger.uid);
    if stranger.why.is_empty() {
        Refusal::NotShared { path, owner }
    } else {
        Refusal::CannotShare {
            path,
            owner,
            why: stranger.why,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_files_are_trusted_whatever_the_mode() {
        assert_eq!(judge(1001, 1001, 0o666, Trust::Owner, 1001, Vec::new), Ok(()));
    }

    #[test]
    fn strangers_are_refused_unless_shared_with_our_group_safely() {
        let groups = || vec![100, 1001];
        assert!(judge(1002, 100, 0o660, Trust::Owner, 1001, groups).is_err());
        assert_eq!(judge(1002, 100, 0o660, Trust::Group, 1001, groups), Ok(()));
        assert!(judge(1002, 100, 0o666, Trust::Group, 1001, groups).is_err());
        assert!(judge(1002, 100, 0o640, Trust::Group, 1001, groups).is_err());
        assert!(judge(1002, 200, 0o660, Trust::Group, 1001, groups).is_err());
        assert!(
            judge(0, 0, 0o600, Trust::Owner, 1001, groups).is_err(),
            "root's files too"
        );
        assert!(
            judge(1001, 1001, 0o600, Trust::Owner, 0, groups).is_err(),
            "root gets no exception"
        );
    }

    #[test]
    fn refusals_say_whose_the_file_is_and_what_to_do() {
        let path = Path::new("/dev/shm/squatted");
        assert_eq!(
            refusal(path, &Stranger { uid: 0, why: "" }).to_string(),
            "/dev/shm/squatted belongs to user root (uid 0), not to you; it was neither read nor written (another user may be squatting the name): use another name or directory, or share deliberately with share_with_group() (RegionOptionsExt, MutexOptionsExt) on both sides"
        );
        let why = "it is writable by every user";
        assert_eq!(
            refusal(path, &Stranger { uid: 0, why }).to_string(),
            "/dev/shm/squatted belongs to user root (uid 0) and cannot be shared: it is writable by every user; it was neither read nor written"
        );
    }

    #[test]
    fn root_has_a_name() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(describe(0), "user root (uid 0)");
    }
}
