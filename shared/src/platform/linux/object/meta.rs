//! The companion file `.NAME.meta`: what this crate keeps about a named object
//! (a region or a mutex) *outside* the object's own bytes.
//!
//! | offset | size | field | changes |
//! |---|---|---|---|
//! | 0 | 4 | magic `IMSH` ([`MAGIC`]) | written once, before the file gets its name |
//! | 4 | 4 | layout version ([`VERSION`]) | written once |
//! | 8 | 4 | kind: 1 region, 2 mutex | written once |
//! | 12 | 4 | 1 when the object is a persistent file (kept after the last user) | written once |
//! | 16 | 8 | size of the object in bytes (`u64`) | written once |
//! | 24 | 8 | device of the object file (`u64`) | written once |
//! | 32 | 8 | inode of the object file (`u64`) | written once |
//! | 64 | 4 | mutex: pid of the holder, 0 when free | atomic |
//! | 68 | 4 | mutex: release counter | atomic; futex word |
//! | 72 | 4 | mutex: processes sleeping for a release | atomic |
//! | 128 | 4 | region: whose turn it is (see [`crate::sync::Turn`]) | atomic; futex word |
//! | 132 | 4 | region: processes sleeping for a turn | atomic |
//! | 136 | 52 | region: the turn's mailbox | written by the turn's holder |
//! | 188 | 4 | region: the CPUs the last two passes of the turn came from, plus 1, 16 bits each (low: the last; 0: unknown) | written with the turn; a hint (see `sync/cpu_hints.rs`) |
//!
//! Integers are little-endian. The device and inode say which file the
//! companion vouches for: a file at the object's path that is not that file is
//! someone else's, and is refused and never written to. Every user of the
//! object holds a shared `flock` on the companion for as long as it uses the
//! object (see [`super::lifetime`]).

use std::fmt;
use std::fs::File;
use std::os::unix::fs::MetadataExt;

use byteorder::{ByteOrder, LittleEndian};

use crate::platform::mapping::Mapping;

/// `IMSH` read as a little-endian `u32`: marks a companion file of this crate.
pub(crate) const MAGIC: u32 = u32::from_le_bytes(*b"IMSH");
/// Version of the layout above.
pub(crate) const VERSION: u32 = 3;
use crate::platform::meta_words::BACKEND_WORDS;
pub(crate) use crate::platform::meta_words::{Meta, META_LEN};
/// Offset of the mutex holder's pid (a mutex's meta words).
pub(crate) const HOLDER_PID: u64 = BACKEND_WORDS;
/// Offset of the mutex release counter.
pub(crate) const RELEASE_COUNT: u64 = BACKEND_WORDS + 4;
/// Offset of the count of processes sleeping for a mutex release.
pub(crate) const RELEASE_SLEEPERS: u64 = BACKEND_WORDS + 8;
/// Length of the part written once at creation.
pub(crate) const HEADER_LEN: usize = 40;

/// What kind of object a companion file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A shared-memory region.
    Region = 1,
    /// A named mutex.
    Mutex = 2,
}

impl Kind {
    /// The kind in words, with its article: "a shared-memory region".
    fn described(self) -> &'static str {
        match self {
            Kind::Region => "a shared-memory region",
            Kind::Mutex => "a mutex",
        }
    }

    fn from_u32(value: u32) -> Option<Kind> {
        match value {
            1 => Some(Kind::Region),
            2 => Some(Kind::Mutex),
            _ => None,
        }
    }
}

/// The fixed part of a companion file: what it vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kind: Kind,
    pub(crate) persistent: bool,
    pub(crate) size: u64,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// Why a companion file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// Not [`META_LEN`] bytes long.
    BadLength(u64),
    /// The magic is not `IMSH`.
    BadMagic(u32),
    /// A layout version this build does not know.
    UnsupportedVersion(u32),
    /// An unknown kind, or another kind than expected.
    WrongKind {
        /// The kind word found.
        found: u32,
        /// The kind asked for.
        expected: Kind,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::BadLength(n) => write!(f, "it has {n} bytes, not a companion file's {META_LEN}"),
            HeaderError::BadMagic(m) => {
                write!(f, "no companion magic (found {m:#010x}, expected {MAGIC:#010x})")
            }
            HeaderError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "companion layout version {v}, but this build reads version {VERSION}"
                )
            }
            HeaderError::WrongKind { found, expected } => match Kind::from_u32(*found) {
                Some(kind) => write!(
                    f,
                    "its companion describes {}, not {}",
                    kind.described(),
                    expected.described()
                ),
                None => write!(f, "its companion describes an unknown kind of object ({found})"),
            },
        }
    }
}

impl Header {
    /// The header of a new object of `kind`, `size` bytes, stored in `file`.
    pub(crate) fn describing(kind: Kind, persistent: bool, size: u64, file: &File) -> std::io::Result<Self> {
        let meta = file.metadata()?;
        Ok(Header {
            kind,
            persistent,
            size,
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Encodes the header as it is stored at offset 0.
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        LittleEndian::write_u32(&mut bytes[0..4], MAGIC);
        LittleEndian::write_u32(&mut bytes[4..8], VERSION);
        LittleEndian::write_u32(&mut bytes[8..12], self.kind as u32);
        LittleEndian::write_u32(&mut bytes[12..16], u32::from(self.persistent));
        LittleEndian::write_u64(&mut bytes[16..24], self.size);
        LittleEndian::write_u64(&mut bytes[24..32], self.dev);
        LittleEndian::write_u64(&mut bytes[32..40], self.ino);
        bytes
    }

    /// Decodes and checks a header of `kind`. Never panics, whatever the bytes.
    pub(crate) fn decode(bytes: &[u8; HEADER_LEN], kind: Kind) -> Result<Self, HeaderError> {
        let magic = LittleEndian::read_u32(&bytes[0..4]);
        if magic != MAGIC {
            return Err(HeaderError::BadMagic(magic));
        }
        let version = LittleEndian::read_u32(&bytes[4..8]);
        if version != VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let raw_kind = LittleEndian::read_u32(&bytes[8..12]);
        match Kind::from_u32(raw_kind) {
            Some(found) if found == kind => {}
            _ => {
                return Err(HeaderError::WrongKind {
                    found: raw_kind,
                    expected: kind,
                })
            }
        }
        Ok(Header {
            kind,
            persistent: LittleEndian::read_u32(&bytes[12..16]) != 0,
            size: LittleEndian::read_u64(&bytes[16..24]),
            dev: LittleEndian::read_u64(&bytes[24..32]),
            ino: LittleEndian::read_u64(&bytes[32..40]),
        })
    }

    /// Whether `file` is the object this header vouches for.
    pub(crate) fn vouches_for(&self, file: &File) -> bool {
        file.metadata()
            .is_ok_and(|meta| meta.dev() == self.dev && meta.ino() == self.ino)
    }
}

/// Reads and checks the header of an open companion file, without mapping it.
pub(crate) fn read_header(file: &File, kind: Kind) -> std::io::Result<Result<Header, HeaderError>> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len != META_LEN {
        return Ok(Err(HeaderError::BadLength(len)));
    }
    let mut bytes = [0u8; HEADER_LEN];
    file.read_exact_at(&mut bytes, 0)?;
    Ok(Header::decode(&bytes, kind))
}

impl Meta {
    /// Maps an open, checked companion file (writable unless `writable` is false).
    pub(crate) fn map(file: &File, writable: bool) -> std::io::Result<Meta> {
        Ok(Meta::of(Mapping::map(file, META_LEN, writable)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            kind: Kind::Region,
            persistent: true,
            size: 10_000,
            dev: 7,
            ino: 42,
        }
    }

    #[test]
    fn a_header_round_trips() {
        let bytes = header().encode();
        assert_eq!(&bytes[0..4], b"IMSH");
        assert_eq!(Header::decode(&bytes, Kind::Region), Ok(header()));
    }

    #[test]
    fn foreign_or_other_kinds_are_refused() {
        assert_eq!(
            Header::decode(&[0u8; HEADER_LEN], Kind::Region),
            Err(HeaderError::BadMagic(0))
        );
        let mut bytes = header().encode();
        bytes[4] = 9;
        assert_eq!(
            Header::decode(&bytes, Kind::Region),
            Err(HeaderError::UnsupportedVersion(9))
        );
        let wrong = Header::decode(&header().encode(), Kind::Mutex);
        assert_eq!(
            wrong,
            Err(HeaderError::WrongKind {
                found: 1,
                expected: Kind::Mutex
            })
        );
        assert_eq!(
            wrong.map_err(|e| e.to_string()),
            Err("its companion describes a shared-memory region, not a mutex".to_owned())
        );
    }
}
