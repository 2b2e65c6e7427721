//! The one place that decides what log-derived text may reach a terminal: every renderer passes
//! each field that came from a log (message, phase, IDs, reasons, source labels) through here.

use std::borrow::Cow;
use std::io::{self, Write};

/// A character a terminal would act on or that would make the text show as something else:
/// C0 controls but tab and newline, DEL, the 8-bit C1 controls (U+0080–U+009F, some terminals
/// read U+009B as CSI), line/paragraph separators, and the invisible format characters that
/// reorder or hide text (bidi embeddings, overrides and isolates, zero-width marks, BOM,
/// interlinear annotations, tag characters).
pub fn is_unsafe(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{ad}' | '\u{61c}' | '\u{180e}' => true,
        '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' => true,
        '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}' => true,
        _ => false,
    }
}

/// Text made safe for a terminal: unsafe characters are shown as `\u{1b}` and the like, so
/// they can be read but do nothing. Newlines and tabs are kept.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// [`sanitize`] for a single-line field (a table cell, a column): newlines are escaped too.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c == '\n' || is_unsafe(c))
}

fn escape_where(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    // ASCII text without controls is the common case and needs no char decoding.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') || !s.chars().any(&unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` followed by spaces up to `width` characters, without `format!`'s width argument, which
/// panics past 65,535: a log may hold an ID of any length. Longer text is kept whole.
pub fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    let mut out = String::with_capacity(s.len() + width.saturating_sub(len));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

/// The width of a table column: its widest cell, at least `min`, at most 64 characters (a
/// longer cell is printed whole and pushes its own row out, not every row).
pub fn column_width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(min, 64.max(min))
}

/// Raw bytes made safe for a terminal, as [`sanitize`] makes text (`-o raw` on a terminal).
/// Invalid UTF-8 is shown as `\x..` per byte.
pub fn sanitize_bytes(b: &[u8]) -> Cow<'_, [u8]> {
    if b.iter()
        .all(|&c| (0x20..0x7f).contains(&c) || c == b'\t' || c == b'\n')
    {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        out.extend_from_slice(sanitize(chunk.valid()).as_bytes());
        for byte in chunk.invalid() {
            out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
        }
    }
    Cow::Owned(out)
}

/// What the last net on the output stream does (see [`Guard`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// Text for people: unsafe characters as `\u{..}`, invalid UTF-8 as `\x..`; an ESC passes
    /// only as the start of a colour (SGR) sequence, which only the renderers write.
    Text,
    /// NDJSON: the unsafe characters JSON leaves raw (DEL, C1, bidi...) as JSON `\u` escapes,
    /// the same value when read back (JSON has already escaped every C0 control).
    Json,
    /// Bytes as read (`-o raw` into a pipe, OpenMetrics for promtool).
    Off,
}

/// The last net between every renderer and stdout: whatever a renderer forgot to escape is
/// escaped here by the same rule, [`is_unsafe`]. It relies on each write being whole
/// characters, as `write!` and serde_json write (they split text only at ASCII bytes).
pub struct Guard<W: Write> {
    inner: W,
    net: Net,
}

impl<W: Write> Guard<W> {
    pub fn new(inner: W, net: Net) -> Guard<W> {
        Guard { inner, net }
    }
}

impl<W: Write> Write for Guard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.net {
            Net::Off => self.inner.write(buf),
            Net::Text if buf.iter().all(|&b| is_plain_ascii(b)) => self.inner.write(buf),
            Net::Json => {
                write_json_net(&mut self.inner, buf)?;
                Ok(buf.len())
            }
            Net::Text => {
                self.inner.write_all(&text_net(buf))?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn is_plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t'
}

fn text_net(buf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf.len() + 16);
    for chunk in buf.utf8_chunks() {
        let text = chunk.valid();
        let mut at = 0;
        for (i, c) in text.char_indices() {
            if i < at {
                continue;
            }
            if c == '\u{1b}' {
                let sgr = sgr_len(&text.as_bytes()[i..]);
                if sgr > 0 {
                    out.extend_from_slice(&text.as_bytes()[i..i + sgr]);
                    at = i + sgr;
                    continue;
                }
            }
            if is_unsafe(c) {
                out.extend_from_slice(c.escape_unicode().to_string().as_bytes());
            } else {
                let mut b = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        for byte in chunk.invalid() {
            out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
        }
    }
    out
}

/// The length of a colour sequence `ESC [ digits/semicolons m` at the start of `b`, or 0.
fn sgr_len(b: &[u8]) -> usize {
    if b.len() < 3 || b[1] != b'[' {
        return 0;
    }
    let params = b[2..]
        .iter()
        .take_while(|&&c| c.is_ascii_digit() || c == b';')
        .count();
    if b.get(2 + params) == Some(&b'm') {
        3 + params
    } else {
        0
    }
}

/// Writes NDJSON with the unsafe characters JSON leaves raw as `\u` escapes (the same value
/// when read back). The runs between them are written as they are: most output is plain
/// ASCII, and only the characters after a byte that is not are decoded.
fn write_json_net(out: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    let (mut written, mut at) = (0, 0);
    while let Some(i) = first_not_plain_ascii(&buf[at..]) {
        let start = at + i;
        // The character there (at most 4 bytes): only it is decoded, not the rest.
        let Some(chunk) = buf[start..buf.len().min(start + 4)].utf8_chunks().next() else {
            break;
        };
        let Some(c) = chunk.valid().chars().next() else {
            // serde_json writes only valid UTF-8; kept as is should anything else arrive.
            at = start + chunk.invalid().len();
            continue;
        };
        at = start + c.len_utf8();
        if is_unsafe(c) {
            out.write_all(&buf[written..start])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(out, "\\u{unit:04x}")?;
            }
            written = at;
        }
    }
    out.write_all(&buf[written..])
}

/// Where the first byte is that [`is_plain_ascii`] does not pass: sixteen bytes at a time
/// with SSE2 (part of every x86-64).
fn first_not_plain_ascii(b: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut at = 0;
        while at + 16 <= b.len() {
            // SAFETY: the 16 bytes read are within `b`.
            let found = unsafe { not_plain_mask_sse2(b.as_ptr().add(at)) };
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
        b[at..]
            .iter()
            .position(|&c| !is_plain_ascii(c))
            .map(|i| at + i)
    }
    #[cfg(not(target_arch = "x86_64"))]
    b.iter().position(|&c| !is_plain_ascii(c))
}

/// A bit per byte of the 16 at `p` that is not plain ASCII (see [`is_plain_ascii`]).
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn not_plain_mask_sse2(p: *const u8) -> u32 {
    use std::arch::x86_64::*;
    let x = _mm_loadu_si128(p.cast());
    // Signed: bytes from 0x80 up are negative, so below 0x20 with the C0 controls.
    let low = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
    let newline = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\n' as i8));
    let tab = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\t' as i8));
    let del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
    let low = _mm_andnot_si128(_mm_or_si128(newline, tab), low);
    _mm_movemask_epi8(_mm_or_si128(low, del)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_c1_and_format_characters_are_escaped() {
        assert_eq!(sanitize("a\x1b[31mb\rc"), "a\\u{1b}[31mb\\u{d}c");
        assert_eq!(sanitize("tab\tok\nline"), "tab\tok\nline");
        assert_eq!(
            sanitize("c1 \u{9b}31m \u{9d}0;x"),
            "c1 \\u{9b}31m \\u{9d}0;x"
        );
        assert_eq!(sanitize("abc\u{202e}fed"), "abc\\u{202e}fed");
        for c in [
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202d}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0041}',
            '\u{7f}',
            '\u{80}',
            '\u{9f}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['é', '…', '✔', '→', ' ', '中', '\u{a0}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
        assert_eq!(sanitize_line("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn raw_bytes_are_escaped_and_invalid_utf8_shown() {
        assert_eq!(
            &*sanitize_bytes(b"a\x1b]52;c;x\x07 \xff\r\n"),
            b"a\\u{1b}]52;c;x\\u{7} \\xff\\u{d}\n"
        );
        assert_eq!(&*sanitize_bytes(b"plain\tline\n"), b"plain\tline\n");
    }

    #[test]
    fn pad_takes_any_width() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(column_width(["ab", &"x".repeat(70_000)].into_iter(), 6), 64);
        assert_eq!(column_width(std::iter::empty(), 6), 6);
        let long = "x".repeat(70_000);
        assert_eq!(pad(&long, 70_001).len(), 70_001);
        assert_eq!(pad(&long, 3), long);
    }

    /// The JSON net as it was first written (every character decoded), kept as the reference.
    fn json_net_reference(buf: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in buf.utf8_chunks() {
            for c in chunk.valid().chars() {
                if is_unsafe(c) {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                    }
                } else {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
            out.extend_from_slice(chunk.invalid());
        }
        out
    }

    #[test]
    fn the_json_net_escapes_what_the_reference_escapes_at_every_lane() {
        let odd: [&[u8]; 12] = [
            b"\x7f",
            b"\x1b",
            b"\x00",
            b"\r",
            "\u{9b}".as_bytes(),
            "\u{202e}".as_bytes(),
            "\u{e0041}".as_bytes(),
            "…".as_bytes(),
            "é".as_bytes(),
            b"\xff",
            b"\xe2\x80",
            b"\n\t~ ",
        ];
        for len in [1, 15, 16, 17, 40] {
            for at in 0..len {
                for o in odd {
                    let mut buf = vec![b'a'; len];
                    buf.splice(at..at + 1, o.iter().copied());
                    let mut got = Vec::new();
                    write_json_net(&mut got, &buf).unwrap();
                    assert_eq!(got, json_net_reference(&buf), "{o:?} at {at} of {len}");
                    let plain = buf.iter().position(|&c| !is_plain_ascii(c));
                    assert_eq!(first_not_plain_ascii(&buf), plain, "{o:?} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn the_output_net_escapes_what_a_renderer_forgot() {
        let through = |net, parts: &[&[u8]]| {
            let mut g = Guard::new(Vec::new(), net);
            for p in parts {
                g.write_all(p).unwrap();
            }
            String::from_utf8_lossy(&g.inner).into_owned()
        };
        assert_eq!(
            through(
                Net::Text,
                &[
                    b"\x1b[31mred\x1b[39m ",
                    "\x1b]52;c;x\x07 \u{9b}2J \u{202e}".as_bytes(),
                    b" \xff"
                ]
            ),
            "\x1b[31mred\x1b[39m \\u{1b}]52;c;x\\u{7} \\u{9b}2J \\u{202e} \\xff"
        );
        let json = through(
            Net::Json,
            &["{\"m\":\"a\u{9d}b\u{2066}c\u{e0041}d\u{7f}\"}".as_bytes()],
        );
        assert_eq!(json, r#"{"m":"a\u009db\u2066c\udb40\udc41d\u007f"}"#);
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["m"], "a\u{9d}b\u{2066}c\u{e0041}d\u{7f}");
        assert_eq!(through(Net::Off, &[b"\x1b[2J\xff"]), "\x1b[2J\u{fffd}");
    }
}
