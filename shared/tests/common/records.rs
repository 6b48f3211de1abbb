//! A user's own plain-old-data types, as a program using the library would
//! define them (none of them is the demo's `ServiceMsg`), and how the tests
//! and the `helper` example pass bytes to each other as text. One definition
//! for both sides: the helper includes this file with `#[path]`.

#![allow(dead_code)]

use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A 24-byte record for typed access through an accessor view: mixed field
/// sizes, no padding (zerocopy would refuse padding at compile time).
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
pub struct Sample {
    pub id: u32,
    pub flags: u16,
    pub kind: u8,
    pub tag: u8,
    pub value: f64,
    pub pos: [i16; 4],
}

const _: () = assert!(std::mem::size_of::<Sample>() == 24);

impl Sample {
    /// The `i`-th sample of a test: every field depends on `i`.
    pub fn nth(i: u32) -> Sample {
        let s = i as i16;
        Sample {
            id: i.wrapping_mul(2_654_435_761),
            flags: (i % 65_521) as u16,
            kind: (i % 7) as u8,
            tag: (i % 251) as u8,
            value: f64::from(i) * 1.5 - 1000.25,
            pos: [s, s.wrapping_neg(), s.wrapping_mul(3), i16::MIN.wrapping_add(s)],
        }
    }

    /// What the helper writes back for `self`: every field changed.
    pub fn answer(&self) -> Sample {
        Sample {
            id: !self.id,
            flags: self.flags.wrapping_add(1),
            kind: self.kind ^ 0x80,
            tag: self.tag.wrapping_add(3),
            value: -self.value,
            pos: self.pos.map(|p| p.wrapping_add(1)),
        }
    }

    /// One line of text, every field exactly (the float as its bits).
    pub fn to_line(self) -> String {
        let [a, b, c, d] = self.pos;
        format!(
            "{} {} {} {} {:016x} {a} {b} {c} {d}",
            self.id,
            self.flags,
            self.kind,
            self.tag,
            self.value.to_bits()
        )
    }

    /// Parses [`Sample::to_line`].
    pub fn from_line(line: &str) -> Option<Sample> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [id, flags, kind, tag, value, a, b, c, d] = fields.as_slice() else {
            return None;
        };
        Some(Sample {
            id: id.parse().ok()?,
            flags: flags.parse().ok()?,
            kind: kind.parse().ok()?,
            tag: tag.parse().ok()?,
            value: f64::from_bits(u64::from_str_radix(value, 16).ok()?),
            pos: [a.parse().ok()?, b.parse().ok()?, c.parse().ok()?, d.parse().ok()?],
        })
    }
}

/// A 16-byte record shaped like the demo's `ServiceMsg` (an `i32`, four
/// bytes of explicit padding, an `i64`), for the tests of the library that
/// need a record of that size without the `demo` feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
pub struct Stamp {
    pub id: i32,
    pub padding: [u8; 4],
    pub time: i64,
}

const _: () = assert!(std::mem::size_of::<Stamp>() == 16);

impl Stamp {
    /// A stamp with the given fields (padding zeroed).
    pub const fn new(id: i32, time: i64) -> Stamp {
        Stamp {
            id,
            padding: [0; 4],
            time,
        }
    }
}

/// A 24-byte record for the ring (the demo's `ServiceMsg` has 16).
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
pub struct Tick {
    pub seq: u64,
    pub price: f64,
    pub qty: u32,
    pub side: u32,
}

const _: () = assert!(std::mem::size_of::<Tick>() == 24);

impl Tick {
    /// The `i`-th tick of a test.
    pub fn nth(i: u64) -> Tick {
        Tick {
            seq: i,
            price: 100.0 + (i % 1000) as f64 / 8.0,
            qty: (i as u32).wrapping_mul(7),
            side: (i % 2) as u32,
        }
    }
}

/// A 48-byte value that travels with the turn (the mailbox holds up to 52).
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C)]
pub struct Move {
    pub seq: u64,
    pub x: f64,
    pub y: f64,
    pub note: [u8; 24],
}

impl Move {
    /// The `i`-th move side A sends.
    pub fn nth(i: u64) -> Move {
        let mut note = [0u8; 24];
        let text = format!("move {i}");
        note[..text.len()].copy_from_slice(text.as_bytes());
        Move {
            seq: i,
            x: i as f64 * 0.5,
            y: -(i as f64),
            note,
        }
    }

    /// Side B's answer to `self`.
    pub fn answer(&self) -> Move {
        let mut note = self.note;
        note.reverse();
        Move {
            seq: self.seq + 1_000_000,
            x: self.y,
            y: self.x,
            note,
        }
    }
}

/// Bytes as lowercase hexadecimal text.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses [`to_hex`]; `None` for anything else.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Deterministic test bytes: `len` bytes from `seed` (xorshift).
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
