//! Region names: what a user may type at the prompt or pass as `--name`.

use std::fmt;
use std::str::FromStr;

/// Longest name accepted, in bytes of UTF-8. File systems allow 255 bytes per
/// file name; the rest is kept for the files derived from the name
/// (`<name>mutex`, `.<name>mutex.meta`, `.<name>mutex.init-<pid>-<16 hex digits>`,
/// at most 236 bytes).
pub const MAX_NAME_BYTES: usize = 200;

/// A validated name of a region or a named mutex: usable as a file name in
/// its directory.
///
/// Any Unicode is welcome (the article's own example is `公用名`); refused are
/// the empty name, `.` and `..`, names starting with `.` (reserved for this
/// project's helper files), path separators, NUL and control characters, and
/// names longer than [`MAX_NAME_BYTES`].
///
/// On Windows the name goes to the kernel unchanged, as .NET passes it: a
/// bare name lives in the session's namespace, and a leading `Local\` or
/// `Global\` picks one explicitly (`Global\` needs the privilege to create
/// global objects). Linux refuses those prefixes, with an explanation: there
/// a name is a file, and the directory plays the namespace's role.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegionName(String);

/// Why a region name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing was typed.
    Empty,
    /// `.` or `..`, or a name starting with `.`.
    StartsWithDot,
    /// `/` or `\`: a name is one file name, not a path.
    Separator(char),
    /// NUL or another control character.
    ControlCharacter(char),
    /// Starts with .NET's `Global\` or `Local\` kernel-namespace prefix.
    WindowsNamespace(&'static str),
    /// Longer than [`MAX_NAME_BYTES`].
    TooLong {
        /// Length of the refused name in bytes.
        bytes: usize,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "the region name is empty; type a name such as `testmap`"),
            NameError::StartsWithDot => write!(
                f,
                "a region name may not start with `.` (those names are reserved); try `testmap`"
            ),
            NameError::Separator(c) => write!(
                f,
                "a region name may not contain `{c}`: it is one name, not a path (RegionOptions::file maps a file at any path; on Linux, RegionOptionsExt::dir places a named region in another directory)"
            ),
            NameError::WindowsNamespace(prefix) => write!(
                f,
                "a region name may not start with `{prefix}`: on Windows that picks the session's or the machine's kernel namespace, but here a name is a file in one directory, which plays that role; drop the prefix (RegionOptionsExt::dir places a region in another directory)"
            ),
            NameError::ControlCharacter(c) => write!(
                f,
                "a region name may not contain control characters (found U+{:04X})",
                u32::from(*c)
            ),
            NameError::TooLong { bytes } => write!(
                f,
                "the region name is {bytes} bytes long; the limit is {MAX_NAME_BYTES} bytes"
            ),
        }
    }
}

impl std::error::Error for NameError {}

impl RegionName {
    /// Validates `name`.
    ///
    /// # Errors
    /// A [`NameError`] saying which rule the name breaks.
    pub fn new(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        let (namespace, bare) = split_namespace(name);
        if let Some(prefix) = namespace {
            // Windows: the kernel namespace .NET passes on unchanged. Linux:
            // a name is a file, and the directory plays that role.
            if !crate::platform::HAS_KERNEL_NAMESPACES {
                return Err(NameError::WindowsNamespace(prefix));
            }
            if bare.is_empty() {
                return Err(NameError::Empty);
            }
        }
        if bare.starts_with('.') {
            return Err(NameError::StartsWithDot);
        }
        if let Some(c) = bare.chars().find(|c| matches!(c, '/' | '\\')) {
            return Err(NameError::Separator(c));
        }
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            return Err(NameError::ControlCharacter(c));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(NameError::TooLong { bytes: name.len() });
        }
        Ok(RegionName(name.to_owned()))
    }

    /// The name as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The demo's mutex name for this region name: `<name>mutex` (so the
    /// default `testmap` keeps the original's `testmapmutex`).
    pub fn mutex_name(&self) -> String {
        crate::platform::mutex_name(&self.0)
    }

    /// The demo's mutex name `<name>mutex` as a name of its own, for
    /// [`MutexOptions::named`](crate::MutexOptions::named) (the .NET
    /// example's `"testmapmutex"` beside `"testmap"`). Always valid: the
    /// region name is, `mutex` adds no character a name may not hold, and
    /// [`MAX_NAME_BYTES`] keeps room for those 5 bytes (a 200-byte region
    /// name has a 205-byte mutex name, as with
    /// [`MutexOptions::for_region`](crate::MutexOptions::for_region)).
    pub fn derived_mutex_name(&self) -> RegionName {
        RegionName(self.mutex_name())
    }
}

/// Splits off a leading `Global\` or `Local\` (any case): the kernel
/// namespace prefix and the name after it.
fn split_namespace(name: &str) -> (Option<&'static str>, &str) {
    for prefix in ["Global\\", "Local\\"] {
        if name
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
        {
            return (Some(prefix), &name[prefix.len()..]);
        }
    }
    (None, name)
}

impl FromStr for RegionName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionName::new(s)
    }
}

impl fmt::Display for RegionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_default_and_unicode_names() {
        assert_eq!(
            RegionName::new("testmap").map(|n| n.mutex_name()),
            Ok("testmapmutex".into())
        );
        assert!(RegionName::new("公用名").is_ok());
        assert!(RegionName::new("a.b-c_d 1").is_ok());
    }

    #[test]
    fn refuses_names_that_are_not_one_plain_file_name() {
        assert_eq!(RegionName::new(""), Err(NameError::Empty));
        assert_eq!(RegionName::new("."), Err(NameError::StartsWithDot));
        assert_eq!(RegionName::new(".."), Err(NameError::StartsWithDot));
        assert_eq!(RegionName::new(".hidden"), Err(NameError::StartsWithDot));
        assert_eq!(RegionName::new("a/b"), Err(NameError::Separator('/')));
        assert_eq!(RegionName::new("a\\b"), Err(NameError::Separator('\\')));
        assert_eq!(RegionName::new("a\0b"), Err(NameError::ControlCharacter('\0')));
        assert_eq!(RegionName::new("a\nb"), Err(NameError::ControlCharacter('\n')));
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(
            RegionName::new(&long),
            Err(NameError::TooLong {
                bytes: MAX_NAME_BYTES + 1
            })
        );
        assert!(RegionName::new(&"x".repeat(MAX_NAME_BYTES)).is_ok());
    }

    #[test]
    #[cfg(not(windows))]
    fn the_windows_namespaces_are_refused_with_their_explanation() {
        assert_eq!(
            RegionName::new("Global\\testmap"),
            Err(NameError::WindowsNamespace("Global\\"))
        );
        assert_eq!(
            RegionName::new("local\\testmap"),
            Err(NameError::WindowsNamespace("Local\\"))
        );
    }

    #[test]
    #[cfg(windows)]
    fn the_windows_namespaces_are_accepted_as_the_kernel_takes_them() {
        let name = RegionName::new("Local\\testmap").expect("Local");
        assert_eq!(name.mutex_name(), "Local\\testmapmutex");
        assert!(RegionName::new("Global\\testmap").is_ok());
        assert_eq!(RegionName::new("Global\\"), Err(NameError::Empty));
        assert_eq!(RegionName::new("Local\\a\\b"), Err(NameError::Separator('\\')));
    }

    #[test]
    fn the_library_names_its_own_api_not_a_programs_flags() {
        let text = NameError::Separator('/').to_string();
        assert!(text.contains("RegionOptionsExt::dir"), "{text}");
        assert!(!text.contains("--"), "{text}");
        let text = NameError::WindowsNamespace("Global\\").to_string();
        assert!(!text.contains("--"), "{text}");
    }

    #[test]
    fn the_mutex_name_derived_from_the_longest_region_name_is_valid() {
        let longest = RegionName::new(&"m".repeat(MAX_NAME_BYTES)).expect("valid");
        let derived = longest.derived_mutex_name();
        assert_eq!(
            derived.as_str().len(),
            MAX_NAME_BYTES + crate::platform::request::MUTEX_SUFFIX.len()
        );
        assert_eq!(derived.as_str(), longest.mutex_name());
    }

    #[test]
    fn every_refusal_says_what_to_do() {
        for bad in ["", ".", "a/b", "a\u{7}", &"y".repeat(300)] {
            let message = RegionName::new(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                message.starts_with("a region name") || message.starts_with("the region name"),
                "{message}"
            );
        }
    }
}
