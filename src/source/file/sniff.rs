//! Recognises compressed input by its first bytes, without seeking back: the bytes read to
//! recognise it are put in front of the rest, so pipes, FIFOs and `/dev/stdin` read as files do.

use std::io::{self, BufReader, Read};

/// What the first bytes of an input say it is.
#[derive(Debug, PartialEq)]
pub enum Kind {
    Gzip,
    Bzip2,
    Xz,
    Plain,
}

/// Bytes enough to recognise every kind.
pub const MAGIC: usize = 6;

pub fn kind_of(magic: &[u8]) -> Kind {
    if magic.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if magic.starts_with(b"BZh") {
        Kind::Bzip2
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Kind::Xz
    } else {
        Kind::Plain
    }
}

/// The input decompressed as its first bytes say (gzip, bzip2 or plain), read front to back
/// only; an error for kinds that are not read (xz).
pub fn decoded<R: Read + Send + 'static>(mut input: R) -> io::Result<(Kind, Box<dyn Read + Send>)> {
    let mut magic = Vec::with_capacity(MAGIC);
    (&mut input).take(MAGIC as u64).read_to_end(&mut magic)?;
    let kind = kind_of(&magic);
    let whole = io::Cursor::new(magic).chain(input);
    let reader: Box<dyn Read + Send> = match kind {
        Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(whole))),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(whole))),
        Kind::Xz => return Err(io::Error::other(XZ_UNSUPPORTED)),
        Kind::Plain => Box::new(whole),
    };
    Ok((kind, reader))
}

pub const XZ_UNSUPPORTED: &str = "xz archives are not supported; decompress with `xz -d` first";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_bytes_read_to_recognise_an_input_are_not_lost() {
        let text = b"2026-11-21T10:00:00Z INFO: a\nb\n".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        for (input, want) in [
            (text.clone(), Kind::Plain),
            (gz.finish().unwrap(), Kind::Gzip),
            (b"ab".to_vec(), Kind::Plain),
        ] {
            let plain = if want == Kind::Plain {
                input.clone()
            } else {
                text.clone()
            };
            let (kind, mut r) = decoded(io::Cursor::new(input)).unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!((kind, out), (want, plain));
        }
    }
}
