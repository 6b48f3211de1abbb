//! The accessor view: .NET `MemoryMappedViewAccessor`, typed reads and writes
//! at offsets inside a window of the region.

use byteorder::{ByteOrder, LittleEndian};

use crate::error::ViewError;
use crate::layout::SERVICE_MSG_SIZE;
use crate::mapping::Mapping;
use crate::service_msg::ServiceMsg;
use crate::view::Window;

/// Bounds-checked, little-endian typed access to a window of a region.
/// An access that does not fit in the window fails and touches nothing.
///
/// ```no_run
/// use shared::{ServiceMsg, layout::{RECORDS_OFFSET, RECORDS_VIEW_LEN}};
/// # let region = shared::Region::create_or_open(&shared::RegionName::new("testmap")?)?;
/// let accessor = region.create_view_accessor(RECORDS_OFFSET, RECORDS_VIEW_LEN)?;
/// accessor.write_service_msg(16, &ServiceMsg::now(16))?; // accessor.Write(16, ref msg)
/// let msg = accessor.read_service_msg(16)?;             // accessor.Read(16, out msg)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AccessorView<'r> {
    mapping: &'r Mapping,
    window: Window,
}

impl<'r> AccessorView<'r> {
    pub(crate) fn new(mapping: &'r Mapping, window: Window) -> Self {
        AccessorView { mapping, window }
    }

    /// The view's length in bytes (.NET `Capacity`).
    pub fn capacity(&self) -> u64 {
        self.window.len()
    }

    /// Copies `buf.len()` bytes at view offset `offset` out of the region.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the bytes do not lie inside the view.
    pub fn read_bytes(&self, offset: u64, buf: &mut [u8]) -> Result<(), ViewError> {
        let start = self.window.locate(offset, buf.len() as u64)?;
        self.mapping
            .read(start, buf)
            .map_err(|_| self.outside(offset, buf.len()))
    }

    /// Copies `data` into the region at view offset `offset`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the bytes do not lie inside the view.
    pub fn write_bytes(&self, offset: u64, data: &[u8]) -> Result<(), ViewError> {
        let start = self.window.locate_write(offset, data.len() as u64)?;
        self.mapping
            .write(start, data)
            .map_err(|_| self.outside(offset, data.len()))
    }

    /// .NET `ReadInt32(offset)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn read_i32(&self, offset: u64) -> Result<i32, ViewError> {
        let mut bytes = [0u8; 4];
        self.read_bytes(offset, &mut bytes)?;
        Ok(LittleEndian::read_i32(&bytes))
    }

    /// .NET `Write(offset, int)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn write_i32(&self, offset: u64, value: i32) -> Result<(), ViewError> {
        self.write_bytes(offset, &value.to_le_bytes())
    }

    /// .NET `ReadInt64(offset)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn read_i64(&self, offset: u64) -> Result<i64, ViewError> {
        let mut bytes = [0u8; 8];
        self.read_bytes(offset, &mut bytes)?;
        Ok(LittleEndian::read_i64(&bytes))
    }

    /// .NET `Write(offset, long)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the value does not lie inside the view.
    pub fn write_i64(&self, offset: u64, value: i64) -> Result<(), ViewError> {
        self.write_bytes(offset, &value.to_le_bytes())
    }

    /// .NET `Read<ServiceMsg>(offset, out msg)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the record does not lie inside the view.
    pub fn read_service_msg(&self, offset: u64) -> Result<ServiceMsg, ViewError> {
        let mut bytes = [0u8; SERVICE_MSG_SIZE];
        self.read_bytes(offset, &mut bytes)?;
        Ok(ServiceMsg::decode(&bytes))
    }

    /// .NET `Write<ServiceMsg>(offset, ref msg)`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the record does not lie inside the view.
    pub fn write_service_msg(&self, offset: u64, msg: &ServiceMsg) -> Result<(), ViewError> {
        self.write_bytes(offset, &msg.encode())
    }

    /// Writes `msgs` as consecutive records starting at view offset `offset`
    /// (the bulk form of [`AccessorView::write_service_msg`], at copy speed).
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the records do not all fit; nothing is
    /// written then.
    pub fn write_service_msgs(&self, offset: u64, msgs: &[ServiceMsg]) -> Result<(), ViewError> {
        let size = msgs.len() * SERVICE_MSG_SIZE;
        let start = self.window.locate_write(offset, size as u64)?;
        self.mapping
            .write_service_msgs(start, msgs)
            .map_err(|_| self.outside(offset, size))
    }

    /// Reads consecutive records starting at view offset `offset` into `msgs`.
    ///
    /// # Errors
    /// [`ViewError::OutsideView`] when the records do not all lie in the view.
    pub fn read_service_msgs(&self, offset: u64, msgs: &mut [ServiceMsg]) -> Result<(), ViewError> {
        let size = msgs.len() * SERVICE_MSG_SIZE;
        let start = self.window.locate(offset, size as u64)?;
        self.mapping
            .read_service_msgs(start, msgs)
            .map_err(|_| self.outside(offset, size))
    }

    fn outside(&self, offset: u64, size: usize) -> ViewError {
        ViewError::OutsideView {
            offset,
            size: size as u64,
            view_len: self.window.len(),
        }
    }
}
