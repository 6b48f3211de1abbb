//! The named section `NAME@meta` beside a Windows region: it holds the
//! crate's meta words of the region (the turn, its mailbox; the layout of
//! [`crate::platform::meta_words`]), never in the region's bytes. Like every
//! kernel object it lives while a handle is open.

use std::io;

use super::handle::{os_error, wide};
use super::mapped_view::{create_or_open_section, MappedView};
use crate::platform::mapping::Mapping;
use crate::platform::meta_words::{Meta, META_LEN};

/// Creates or opens the meta words' section of the object called `base`.
pub(crate) fn open(base: &str) -> io::Result<Meta> {
    let section = create_or_open_section(&wide(&format!("{base}@meta")), META_LEN).map_err(os_error)?;
    let view = MappedView::of_section(section, META_LEN as usize, true)?;
    Ok(Meta::of(Mapping::of(view, true)))
}
