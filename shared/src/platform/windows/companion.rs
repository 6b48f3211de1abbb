//! The companion on Windows: the crate's shared words of a region (the turn,
//! its mailbox) in a small named section `NAME@meta` beside it, never in the
//! region's bytes. Like every kernel object it lives while a handle is open.

use std::io;

use super::handle::{os_error, wide};
use super::mapped_view::{create_or_open_section, MappedView};
use crate::companion::{Meta, META_LEN};
use crate::mapping::Mapping;

/// Creates or opens the companion section of the object called `base`.
pub(crate) fn open(base: &str) -> io::Result<Meta> {
    let section = create_or_open_section(&wide(&format!("{base}@meta")), META_LEN).map_err(os_error)?;
    let view = MappedView::of_section(section, META_LEN as usize, true)?;
    Ok(Meta::of(Mapping::of(view, true)))
}
