//! The stream view: .NET `MemoryMappedViewStream`, a `Read + Write + Seek`
//! cursor confined to a window of the region.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::mapping::Mapping;
use crate::view::Window;

/// A cursor over a window of a region, starting at view offset 0.
///
/// Reads stop at the end of the window (end of file). A write that does not
/// fit entirely fails with an [`io::ErrorKind::InvalidInput`] error wrapping a
/// [`ViewError`](crate::ViewError), and writes nothing; seeking before 0 or
/// past the end fails the same way.
///
/// ```no_run
/// use byteorder::{LittleEndian, WriteBytesExt};
/// # let region = shared::Region::create_or_open(&shared::RegionName::new("testmap")?)?;
/// let mut stream = region.create_view_stream(0, 0)?;
/// stream.write_i32::<LittleEndian>(42)?; // BinaryWriter.Write(42)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StreamView<'r> {
    mapping: &'r Mapping,
    window: Window,
    position: u64,
}

impl<'r> StreamView<'r> {
    pub(crate) fn new(mapping: &'r Mapping, window: Window) -> Self {
        StreamView {
            mapping,
            window,
            position: 0,
        }
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
        let start = self.window.locate_write(self.position, buf.len() as u64)?;
        self.mapping
            .write(start, buf)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.position += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Stores to a shared mapping are visible to other processes at once.
        Ok(())
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
