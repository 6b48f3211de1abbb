//! The accessor view: .NET `MemoryMappedViewAccessor`, typed reads and writes
//! at offsets inside a window of the region.

use std::io;

use byteorder::{ByteOrder, LittleEndian};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::{refused, Window};
use crate::error::ViewError;
use crate::platform::mapping::Mapping;

/// Bounds-checked typed access to a window of a region. An access that does
/// not fit in the window, or a write to a read-only view, fails and touches
/// nothing.
///
/// Any plain-old-data type works: derive zerocopy's
/// [`FromBytes`], [`IntoBytes`] and [`Immutable`] on a `#[repr(C)]` struct
/// (the derive refuses a struct with padding, so no uninitialised byte can
/// reach another process: make padding an explicit field). Values are copied
/// in their in-memory (native-endian) representation, which on little-endian
/// machines is the C# layout's; offsets need no alignment.
///
/// The derive needs `#[zerocopy(crate = "shared::zerocopy")]` when your
/// crate uses zerocopy through `shared` (without a `zerocopy` dependency of
/// its own): without it, the derive fails with a dozen "cannot find
/// `zerocopy` in the crate root" errors.
///
/// ```
/// use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
/// #[zerocopy(crate = "shared::zerocopy")]
/// #[repr(C)]
/// struct Point { x: f64, y: f64, tag: u32, _padding: u32 }
///
/// # let name = shared::RegionName::new(&format!("points-doc-{}", std::process::id()))?;
/// # let region = shared::Region::create_or_open(&name, 4096)?;
/// let accessor = region.create_view_accessor(0, 0)?;           // CreateViewAccessor()
/// let p = Point { x: 1.0, y: 2.0, tag: 7, _padding: 0 };
/// accessor.write(16, &p)?;                                      // accessor.Write(16, ref p)
/// assert_eq!(accessor.read::<Point>(16)?, p);                   // accessor.Read(16, out p)
/// accessor.write_array(64, &[p, p, p])?;                        // accessor.WriteArray(64, points, 0, 3)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AccessorView<'r> {
    mapping: &'r Mapping,
    window: Window,
    writable: bool,
}

impl<'r> AccessorView<'r> {
    pub(crate) fn new(mapping: &'r Mapping, window: Window) -> Self {
        AccessorView {
            mapping,
            window,
            writable: mapping.is_writable(),
        }
    }

    /// The same view, read-only (.NET `MemoryMappedFileAccess.Read`): every
    /// write through it fails with [`ViewError::ReadOnly`].
    pub fn read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    /// The view's length in bytes (.NET `Capacity`).
    pub fn capacity(&self) -> u64 {
        self.window.len()
    }

    /// Where the view starts in the region (.NET `PointerOffset`).
    pub fn offset(&self) -> u64 {
        self.window.start()
    }

    /// Whether writes are allowed (.NET `CanWrite`).
    pub fn can_write(&self) -> bool {
        self.writable
    }

    /// Copies `buf.len()` bytes at view offset `offset` out of the region.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the bytes do not lie inside the view.
    pub fn read_bytes(&self, offset: u64, buf: &mut [u8]) -> Result<(), ViewError> {
        let start = self.window.locate(offset, buf.len() as u64)?;
        self.mapping
            .read(start, buf)
            .map_err(|r| refused(r, offset, buf.len() as u64, self.window.len()))
    }

    /// Copies `data` into the region at view offset `offset`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the bytes do not lie inside the view;
    /// [`ViewError::ReadOnly`] for a read-only view.
    pub fn write_bytes(&self, offset: u64, data: &[u8]) -> Result<(), ViewError> {
        let start = self.window.locate(offset, data.len() as u64)?;
        if !self.writable {
            return Err(ViewError::ReadOnly);
        }
        self.mapping
            .write(start, data)
            .map_err(|r| refused(r, offset, data.len() as u64, self.window.len()))
    }

    /// .NET `Read<T>(position, out T)`: a copy of the value at view offset `offset`.
    ///
    /// A copy of bytes, nothing more: a value that another process is
    /// writing at the same moment can come out torn, part old bytes and
    /// part new (a value across a cache line, or any value larger than the
    /// processor writes at once). For a value one process publishes and
    /// others read, use the latest-value cell
    /// ([`shared::latest`](crate::latest): whole values, no lock); for
    /// anything else, write and read under the named mutex
    /// ([`NamedMutex`](crate::NamedMutex)).
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn read<T: FromBytes + IntoBytes>(&self, offset: u64) -> Result<T, ViewError> {
        let mut value = T::new_zeroed();
        self.read_bytes(offset, value.as_mut_bytes())?;
        Ok(value)
    }

    /// .NET `Write<T>(position, ref T)`: copies `value` to view offset `offset`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not fit inside the view;
    /// [`ViewError::ReadOnly`] for a read-only view.
    pub fn write<T: IntoBytes + Immutable>(&self, offset: u64, value: &T) -> Result<(), ViewError> {
        self.write_bytes(offset, value.as_bytes())
    }

    /// .NET `ReadArray<T>(position, array, 0, array.Length)`: fills `items`
    /// with consecutive values from view offset `offset`, as many as the view
    /// holds, in one copy; returns how many were read (fewer than
    /// `items.len()` at the end of the view, as in .NET).
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when `offset` is past the end of the view.
    pub fn read_array<T: FromBytes + IntoBytes>(
        &self,
        offset: u64,
        items: &mut [T],
    ) -> Result<usize, ViewError> {
        let left = self.window.len().checked_sub(offset).ok_or_else(|| {
            refused(
                crate::platform::mapping::Refused::OutOfRange,
                offset,
                0,
                self.window.len(),
            )
        })?;
        let size = std::mem::size_of::<T>().max(1) as u64;
        let count = usize::try_from(left / size).map_or(items.len(), |fit| fit.min(items.len()));
        self.read_bytes(offset, items[..count].as_mut_bytes())?;
        Ok(count)
    }

    /// .NET `WriteArray<T>(position, array, 0, array.Length)`: copies `items`
    /// as consecutive values from view offset `offset`, in one copy.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when they do not all fit (nothing is
    /// written then); [`ViewError::ReadOnly`] for a read-only view.
    pub fn write_array<T: IntoBytes + Immutable>(&self, offset: u64, items: &[T]) -> Result<(), ViewError> {
        self.write_bytes(offset, items.as_bytes())
    }

    /// .NET `ReadInt32(position)`, little-endian on every machine.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn read_i32(&self, offset: u64) -> Result<i32, ViewError> {
        let mut bytes = [0u8; 4];
        self.read_bytes(offset, &mut bytes)?;
        Ok(LittleEndian::read_i32(&bytes))
    }

    /// .NET `Write(position, int)`, little-endian on every machine.
    ///
    /// # Errors
    /// As [`AccessorView::write`].
    pub fn write_i32(&self, offset: u64, value: i32) -> Result<(), ViewError> {
        self.write_bytes(offset, &value.to_le_bytes())
    }

    /// .NET `ReadInt64(position)`, little-endian on every machine.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn read_i64(&self, offset: u64) -> Result<i64, ViewError> {
        let mut bytes = [0u8; 8];
        self.read_bytes(offset, &mut bytes)?;
        Ok(LittleEndian::read_i64(&bytes))
    }

    /// .NET `Write(position, long)`, little-endian on every machine.
    ///
    /// # Errors
    /// As [`AccessorView::write`].
    pub fn write_i64(&self, offset: u64, value: i64) -> Result<(), ViewError> {
        self.write_bytes(offset, &value.to_le_bytes())
    }

    /// .NET `Flush()`: writes the view's bytes back to the region's file
    /// (`msync`), for a region over a file on disk.
    ///
    /// # Errors
    /// The system's error when the write-back fails.
    pub fn flush(&self) -> io::Result<()> {
        self.mapping.flush_range(self.window.start(), self.window.len())
    }
}
