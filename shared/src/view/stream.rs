//! The stream view: .NET `MemoryMappedViewStream`, a `Read + Write + Seek`
//! cursor confined to a window of the region.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::{refused, Window};
use crate::platform::mapping::Mapping;

/// A cursor over a window of a region, starting at view offset 0.
///
/// Reads stop at the end of the window (end of file). A write that does not
/// fit entirely fails with an [`io::ErrorKind::InvalidInput`] error wrapping a
/// [`ViewError`](crate::ViewError), and writes nothing; seeking before 0 or
/// past the end fails the same way. A write to a read-only view fails with
/// [`io::ErrorKind::PermissionDenied`] ([`ViewError::ReadOnly`](crate::ViewError::ReadOnly)).
/// [`Write::flush`] writes the window back to the region's file (`msync`).
///
/// ```
/// use byteorder::{LittleEndian, WriteBytesExt};
/// # let name = shared::RegionName::new(&format!("stream-doc-{}", std::process::id()))?;
/// # let region = shared::Region::create_or_open(&name, 10_000)?;
/// let mut stream = region.create_view_stream(0, 0)?;
/// stream.write_i32::<LittleEndian>(42)?; // BinaryWriter.Write(42)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StreamView<'r> {
    mapping: &'r Mapping,
    window: Window,
    position: u64,
    writable: bool,
}

impl<'r> StreamView<'r> {
    pub(crate) fn new(mapping: &'r Mapping, window: Window) -> Self {
        StreamView {
            mapping,
            window,
            position: 0,
            writable: mapping.is_writable(),
        }
    }

    /// The same view, read-only (.NET `MemoryMappedFileAccess.Read`).
    pub fn read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    /// Whether writes are allowed (.NET `CanWrite`).
    pub fn can_write(&self) -> bool {
        self.writable
    }

    /// Where the view starts in the region (.NET `PointerOffset`).
    pub fn offset(&self) -> u64 {
        self.window.start()
    }

    /// The view's length in bytes.
    pub fn len(&self) -> u64 {
        self.window.len()
    }

    /// Whether the view has length 0.
    pub fn is_empty(&self) -> bool {
        self.window.len() == 0
    }

    /// The cursor's position inside the view.
    pub fn position(&self) -> u64 {
        self.position
    }
}

impl Read for StreamView<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.window.len() - self.position;
        let n = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        let start = self.window.locate(self.position, n as u64)?;
        self.mapping
            .read(start, &mut buf[..n])
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Write for StreamView<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let start = self.window.locate(self.position, buf.len() as u64)?;
        if !self.writable {
            return Err(crate::ViewError::ReadOnly.into());
        }
        self.mapping
            .write(start, buf)
            .map_err(|r| refused(r, self.position, buf.len() as u64, self.window.len()))?;
        self.position += buf.len() as u64;
        Ok(buf.len())
    }

    /// Stores to a shared mapping are visible to other processes at once;
    /// this also writes the window back to the region's file (`msync`).
    fn flush(&mut self) -> io::Result<()> {
        self.mapping.flush_range(self.window.start(), self.window.len())
    }
}

impl Seek for StreamView<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
            SeekFrom::End(delta) => self.window.len().checked_add_signed(delta),
        };
        match target {
            Some(target) if target <= self.window.len() => {
                self.position = target;
                Ok(target)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot seek outside a view of {} bytes", self.window.len()),
            )),
        }
    }
}
