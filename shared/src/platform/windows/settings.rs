//! What only a Windows named object has beyond the portable options:
//! nothing yet. Names, sizes and access are portable; a kernel object has
//! no directory, file mode or owner check of this crate's (its security is
//! the kernel's default, as .NET leaves it).

/// A named object's platform settings: none on Windows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ObjectSettings {}
