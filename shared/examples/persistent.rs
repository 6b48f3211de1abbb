//! The article's persistent snippet (.NET docs: "persisted memory-mapped
//! files"): map an existing file on disk with `MemoryMappedFile.CreateFromFile`
//! and rewrite a window of it in place. The article treats the file as an
//! image of 4-byte colors and inverts them; so does this example: every `u32`
//! in the window becomes its complement. The change stays in the file after
//! the process exits, and running it again restores the original bytes.
//!
//! ```text
//! cargo run -p shared --example persistent -- FILE [OFFSET [LEN]]
//! head -c 8000000 /dev/urandom > image.data      # something to try it on
//! cargo run -p shared --example persistent -- image.data
//! ```
//!
//! OFFSET and LEN default to the article's 4,000,000 and 2,000,000 when the
//! file reaches that far, otherwise to the whole file; OFFSET alone means "to
//! the end of the file". A trailing 1–3 bytes that do not make a whole color
//! are left alone. The file must exist: it is never created or resized.
//!
//! Each C# line of the article is quoted above its Rust counterpart. Like the
//! article it takes no lock; processes that rewrite the same file at the same
//! time would coordinate with a named mutex (`MutexOptions`).

use std::error::Error;
use std::path::PathBuf;

use shared::{Failure, FileMode, RegionOptions};

/// `long offset = 4000000;` in the article.
const ARTICLE_OFFSET: u64 = 4_000_000;
/// `long length = 2000000;` in the article.
const ARTICLE_LEN: u64 = 2_000_000;
/// Size of one color (`Marshal.SizeOf(typeof(MyColor))`).
const COLOR_SIZE: u64 = std::mem::size_of::<u32>() as u64;

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// The command line: the file and, optionally, the window.
struct Args {
    path: PathBuf,
    offset: Option<u64>,
    len: Option<u64>,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: persistent FILE [OFFSET [LEN]]   (FILE must exist; default window: the article's 4000000 2000000, or the whole file)";
    let path = PathBuf::from(args.next().ok_or(usage)?);
    let mut number = |what: &str| -> Result<Option<u64>, Box<dyn Error>> {
        match args.next() {
            None => Ok(None),
            Some(text) => {
                let text = text.to_string_lossy().into_owned();
                let value = text
                    .replace('_', "")
                    .parse::<u64>()
                    .map_err(|_| format!("{what} must be a number of bytes, not {text:?}; {usage}"))?;
                Ok(Some(value))
            }
        }
    };
    let offset = number("OFFSET")?;
    let len = number("LEN")?;
    if args.next().is_some() {
        return Err(usage.into());
    }
    Ok(Args { path, offset, len })
}

/// The window `(offset, len)` to rewrite in a file of `size` bytes.
fn window(args: &Args, size: u64) -> (u64, u64) {
    match (args.offset, args.len) {
        (Some(offset), Some(len)) => (offset, len),
        (Some(offset), None) => (offset, size.saturating_sub(offset)),
        (None, _) if size >= ARTICLE_OFFSET + ARTICLE_LEN => (ARTICLE_OFFSET, ARTICLE_LEN),
        (None, _) => (0, size),
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let path = &args.path;

    // using (var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, "ImgA"))
    // (capacity 0: the file's own size; the file is neither created nor grown)
    let mmf = RegionOptions::file(path)
        .file_mode(FileMode::Open)
        .size(0)
        .create_from_file()
        .map_err(|error| match error.failure() {
            Failure::NoSuchFile { .. } => format!(
                "no file at {}: persistent rewrites an existing file and never creates one",
                path.display()
            ),
            Failure::BadSize { size: 0, .. } => {
                format!("{} is empty: there is nothing to rewrite", path.display())
            }
            _ => error.to_string(),
        })?;
    let (offset, len) = window(&args, mmf.size());
    if len == 0 {
        return Err(format!(
            "the window at offset {offset} of {} is empty: nothing to do",
            path.display()
        )
        .into());
    }

    // using (var accessor = mmf.CreateViewAccessor(offset, length))
    let accessor = mmf.create_view_accessor(offset, len)?;
    // int colorSize = Marshal.SizeOf(typeof(MyColor));
    // MyColor color;
    // for (long i = 0; i < length; i += colorSize)
    let colors = len / COLOR_SIZE;
    for i in (0..colors).map(|k| k * COLOR_SIZE) {
        // accessor.Read(i, out color);
        let color: u32 = accessor.read(i)?;
        // color.Inverse();
        // accessor.Write(i, ref color);
        accessor.write(i, &!color)?;
    }
    // (Dispose flushes in .NET; say so explicitly here.)
    accessor.flush()?;
    mmf.flush()?;

    let left = len % COLOR_SIZE;
    println!(
        "{}: inverted {colors} colors (4-byte words) in bytes {offset}..{} of {}; flushed{}",
        path.display(),
        offset + len,
        mmf.size(),
        if left == 0 {
            String::new()
        } else {
            format!(" ({left} trailing bytes left alone)")
        }
    );
    println!("run it again with the same window to restore the original bytes");
    Ok(())
}
