//! Passing over runs of lines at memory speed, 32 bytes at a time: counting them, and finding
//! the first line the parser must still see (one not shaped like an event, or one whose bytes
//! hide text from the prefilter).

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Does a line starting with this byte look like an event (JSON, or a text format's time)?
pub fn event_shaped_start(first: u8) -> bool {
    first == b'{' || first.is_ascii_digit()
}

/// Is this line one the prefilter cannot judge by its bytes alone? ANSI sequences can split
/// any word, and a JSON `\u` escape can spell one.
pub fn hides_text(line: &[u8]) -> bool {
    // Built once: `memmem::find` sets up a searcher per call, which cost more than the search.
    static ESCAPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u"));
    memchr::memchr(0x1b, line).is_some() || ESCAPE.find(line).is_some()
}

/// In `data`, a run of whole lines: the start of the first line, after the first one, that
/// is not shaped like an event or that [`hides_text`] (`None` when there is none), and how
/// many newlines come before it (or in all of `data`).
pub fn find_odd_line(data: &[u8]) -> (u64, Option<usize>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present.
            return unsafe { find_odd_line_avx2(data) };
        }
    }
    find_odd_line_from(data, 0, 0)
}

/// How far ahead of the scan its bytes are asked for: past the next page boundary, where the
/// processor's own prefetcher stops (a mapped file's pages lie anywhere in memory).
#[cfg(target_arch = "x86_64")]
const PREFETCH_AHEAD: usize = 4096;

/// For a scan at `i` of `data`, 32 bytes at a time: asks for the bytes [`PREFETCH_AHEAD`]
/// on, once per 64-byte cache line.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn prefetch_ahead(data: &[u8], i: usize) {
    use std::arch::x86_64::*;
    if i.is_multiple_of(64) {
        // A prefetch reads nothing and cannot fault, even past the end of `data`.
        _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().wrapping_add(i + PREFETCH_AHEAD).cast());
    }
}

/// The sum of the 32 byte lanes of `lanes`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn sum_lanes(lanes: std::arch::x86_64::__m256i) -> u64 {
    use std::arch::x86_64::*;
    let sums = _mm256_sad_epu8(lanes, _mm256_setzero_si256());
    (_mm256_extract_epi64::<0>(sums)
        + _mm256_extract_epi64::<1>(sums)
        + _mm256_extract_epi64::<2>(sums)
        + _mm256_extract_epi64::<3>(sums)) as u64
}

/// The bytes of `next` that start a line shaped like an event (`{` or a digit), as 0xff.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn event_shaped_starts(next: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let d = _mm256_sub_epi8(next, _mm256_set1_epi8(b'0' as i8));
    let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
    _mm256_or_si256(digit, _mm256_cmpeq_epi8(next, _mm256_set1_epi8(b'{' as i8)))
}

/// The bytes of `v` that hide text ([`hides_text`]): an ESC, or a backslash before the `u`
/// in `next` (`v` one byte on), as 0xff.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn text_hiding_bytes(
    v: std::arch::x86_64::__m256i,
    next: std::arch::x86_64::__m256i,
) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    _mm256_or_si256(
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x1b)),
        _mm256_and_si256(
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8)),
            _mm256_cmpeq_epi8(next, _mm256_set1_epi8(b'u' as i8)),
        ),
    )
}

/// [`find_odd_line`] 32 bytes at a time; the plain loop takes over for the last bytes and
/// for a chunk holding an escape. Newlines are counted in byte lanes (a lane gains one per
/// newline) and summed before a lane can overflow, so the loop has no branch that depends
/// on where lines end: only a chunk with an odd line or an escape leaves it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn find_odd_line_avx2(data: &[u8]) -> (u64, Option<usize>) {
    use std::arch::x86_64::*;
    let mut count = 0;
    let mut i = 0;
    let newline = _mm256_set1_epi8(b'\n' as i8);
    let escape = _mm256_set1_epi8(0x1b);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    // Every load reads 32 bytes within `data` (`i + 33 <= len` for the load at `i + 1`).
    'chunks: while i + 33 <= data.len() {
        let mut lanes = _mm256_setzero_si256();
        for _ in 0..255 {
            if i + 33 > data.len() {
                break;
            }
            prefetch_ahead(data, i);
            let v = _mm256_loadu_si256(data.as_ptr().add(i).cast());
            let nl = _mm256_cmpeq_epi8(v, newline);
            // Most chunks lie inside a line: no newline, ESC or backslash, nothing to look at.
            let special = _mm256_or_si256(
                nl,
                _mm256_or_si256(
                    _mm256_cmpeq_epi8(v, escape),
                    _mm256_cmpeq_epi8(v, backslash),
                ),
            );
            if _mm256_testz_si256(special, special) != 0 {
                i += 32;
                continue;
            }
            let next = _mm256_loadu_si256(data.as_ptr().add(i + 1).cast());
            let hidden = text_hiding_bytes(v, next);
            let good = event_shaped_starts(next);
            let bad = _mm256_or_si256(hidden, _mm256_andnot_si256(good, nl));
            if _mm256_testz_si256(bad, bad) == 0 {
                count += sum_lanes(lanes);
                if _mm256_movemask_epi8(hidden) != 0 {
                    break 'chunks;
                }
                let nl = _mm256_movemask_epi8(nl) as u32;
                let k = (_mm256_movemask_epi8(bad) as u32).trailing_zeros();
                count += (nl & (((2u64 << k) - 1) as u32)).count_ones() as u64;
                return (count, Some(i + k as usize + 1));
            }
            // A newline compares as -1: subtracting it adds one to its lane.
            lanes = _mm256_sub_epi8(lanes, nl);
            i += 32;
        }
        count += sum_lanes(lanes);
    }
    find_odd_line_from(data, i, count)
}

/// [`find_odd_line`] byte by byte from `i`, with `count` newlines before it.
fn find_odd_line_from(data: &[u8], mut i: usize, mut count: u64) -> (u64, Option<usize>) {
    // The line `i` is in starts after the last newline before it.
    let mut line_start = memchr::memrchr(b'\n', &data[..i]).map_or(0, |p| p + 1);
    while i < data.len() {
        match data[i] {
            b'\n' => {
                count += 1;
                line_start = i + 1;
                if data.get(i + 1).is_some_and(|&b| !event_shaped_start(b)) {
                    return (count, Some(i + 1));
                }
            }
            0x1b | b'\\' if data[i] == 0x1b || data.get(i + 1) == Some(&b'u') => {
                if line_start == 0 {
                    // The run's first line: the caller has already judged it. The rest from
                    // its newline on, at full speed again.
                    let Some(p) = memchr::memchr(b'\n', &data[i..]).map(|p| i + p) else {
                        return (count, None);
                    };
                    let (more, odd) = find_odd_line(&data[p..]);
                    return (count + more, odd.map(|o| p + o));
                }
                return (count, Some(line_start));
            }
            _ => {}
        }
        i += 1;
    }
    (count, None)
}

/// A prefilter's one literal, searched for in the same pass that finds odd lines: for rare
/// literals (a job ID, a banner's words) the lines between hits are only passed over, and two
/// passes over them (search, then odd lines) cost nearly twice one.
#[derive(Clone, Debug)]
pub struct LineLiteral {
    finder: Finder<'static>,
    /// Offsets of two bytes of the literal that are rare in text: where both are in place,
    /// the literal is compared in full.
    pair: (usize, usize),
}

impl LineLiteral {
    /// `None` for a literal shorter than two bytes, or one that spans lines.
    pub fn new(literal: &[u8]) -> Option<LineLiteral> {
        if literal.contains(&b'\n') {
            return None;
        }
        let pair = memchr::arch::all::packedpair::Pair::new(literal)?;
        Some(LineLiteral {
            finder: Finder::new(literal).into_owned(),
            pair: (usize::from(pair.index1()), usize::from(pair.index2())),
        })
    }

    pub fn occurs_in(&self, text: &[u8]) -> bool {
        self.finder.find(text).is_some()
    }

    fn starts(&self, data: &[u8], at: usize) -> bool {
        data[at..].starts_with(self.finder.needle())
    }

    /// Like [`find_odd_line`], but also stops at a line (after the first one) that holds the
    /// literal.
    pub fn find_odd_or_literal_line(&self, data: &[u8]) -> (u64, Option<usize>) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is present.
                return unsafe { self.find_avx2(data) };
            }
        }
        self.find_from(data, 0, 0, 0)
    }

    /// [`LineLiteral::find_odd_or_literal_line`] 32 bytes at a time: a chunk without a
    /// newline, escape or the literal's two bytes in place is passed over on three loads and
    /// three compares; in the others, newlines are judged as [`find_odd_line_avx2`] does and
    /// the literal is compared in full where its two bytes are.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, data: &[u8]) -> (u64, Option<usize>) {
        use std::arch::x86_64::*;
        let needle = self.finder.needle();
        let (o1, o2) = self.pair;
        let reach = 1 + o1.max(o2).max(1) + 32;
        let newline = _mm256_set1_epi8(b'\n' as i8);
        let escape = _mm256_set1_epi8(0x1b);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let b1 = _mm256_set1_epi8(needle[o1] as i8);
        let b2 = _mm256_set1_epi8(needle[o2] as i8);
        let (mut count, mut i, mut line_start) = (0, 0, 0);
        // Newlines counted in byte lanes, summed before a lane can overflow.
        let (mut lanes, mut in_lanes) = (_mm256_setzero_si256(), 0);
        // Every load reads 32 bytes within `data`.
        while i + reach <= data.len() {
            if in_lanes == 255 {
                count += sum_lanes(lanes);
                (lanes, in_lanes) = (_mm256_setzero_si256(), 0);
            }
            let at = data.as_ptr().add(i);
            prefetch_ahead(data, i);
            let v = _mm256_loadu_si256(at.cast());
            let nl = _mm256_cmpeq_epi8(v, newline);
            let pair = _mm256_and_si256(
                _mm256_cmpeq_epi8(_mm256_loadu_si256(at.add(o1).cast()), b1),
                _mm256_cmpeq_epi8(_mm256_loadu_si256(at.add(o2).cast()), b2),
            );
            let rare = _mm256_or_si256(
                pair,
                _mm256_or_si256(
                    _mm256_cmpeq_epi8(v, escape),
                    _mm256_cmpeq_epi8(v, backslash),
                ),
            );
            let special = _mm256_or_si256(nl, rare);
            if _mm256_testz_si256(special, special) != 0 {
                i += 32;
                continue;
            }
            let next = _mm256_loadu_si256(at.add(1).cast());
            let nl_mask = _mm256_movemask_epi8(nl) as u32;
            let good = event_shaped_starts(next);
            // The first line odd after a newline starts after the first of these.
            let bad_nl = _mm256_movemask_epi8(_mm256_andnot_si256(good, nl)) as u32;
            let mut stop = (bad_nl != 0).then(|| i + bad_nl.trailing_zeros() as usize + 1);
            if _mm256_testz_si256(rare, rare) == 0 {
                // Escapes and the literal count from the second line on.
                let valid = match (line_start, nl_mask) {
                    (0, 0) => 0,
                    (0, m) => !(((2u64 << m.trailing_zeros()) - 1) as u32),
                    _ => u32::MAX,
                };
                let hidden = _mm256_movemask_epi8(text_hiding_bytes(v, next)) as u32 & valid;
                let mut candidates = _mm256_movemask_epi8(pair) as u32 & valid;
                let mut first = if hidden != 0 {
                    hidden.trailing_zeros()
                } else {
                    32
                };
                while candidates != 0 {
                    let k = candidates.trailing_zeros();
                    if k >= first {
                        break;
                    }
                    if self.starts(data, i + k as usize) {
                        first = k;
                        break;
                    }
                    candidates &= candidates - 1;
                }
                if first < 32 {
                    // The start of the line that byte is in.
                    let below = nl_mask & ((1u64 << first) - 1) as u32;
                    let from = if below != 0 {
                        i + 32 - below.leading_zeros() as usize
                    } else {
                        line_start
                    };
                    stop = Some(stop.map_or(from, |s| s.min(from)));
                }
            }
            if let Some(stop) = stop {
                let before = match stop.checked_sub(i) {
                    Some(k) if k > 0 => nl_mask & ((1u64 << k) - 1) as u32,
                    _ => 0,
                };
                return (
                    count + sum_lanes(lanes) + u64::from(before.count_ones()),
                    Some(stop),
                );
            }
            // A newline compares as -1: subtracting it adds one to its lane.
            lanes = _mm256_sub_epi8(lanes, nl);
            in_lanes += 1;
            if nl_mask != 0 {
                line_start = i + 32 - nl_mask.leading_zeros() as usize;
            }
            i += 32;
        }
        self.find_from(data, i, count + sum_lanes(lanes), line_start)
    }

    /// The plain loop from `i` (in the line starting at `line_start`), `count` newlines before.
    fn find_from(
        &self,
        data: &[u8],
        from: usize,
        mut count: u64,
        mut line_start: usize,
    ) -> (u64, Option<usize>) {
        for j in from..data.len() {
            let b = data[j];
            if b == b'\n' {
                count += 1;
                line_start = j + 1;
                if data.get(j + 1).is_some_and(|&b| !event_shaped_start(b)) {
                    return (count, Some(j + 1));
                }
                continue;
            }
            if line_start == 0 {
                // The first line: the caller has already judged it.
                continue;
            }
            let hides = b == 0x1b || b == b'\\' && data.get(j + 1) == Some(&b'u');
            if hides || self.starts(data, j) {
                return (count, Some(line_start));
            }
        }
        (count, None)
    }
}

/// Newlines in `data`.
pub fn count_newlines(data: &[u8]) -> u64 {
    let mut count = 0;
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of x86_64; every load reads 16 bytes within `data`.
        unsafe {
            use std::arch::x86_64::*;
            let newline = _mm_set1_epi8(b'\n' as i8);
            while i + 16 <= data.len() {
                let v = _mm_loadu_si128(data.as_ptr().add(i).cast());
                count += _mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)).count_ones() as u64;
                i += 16;
            }
        }
    }
    count + data[i..].iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition, line by line.
    fn reference(data: &[u8]) -> (u64, Option<usize>) {
        let mut count = 0;
        let mut start = 0;
        for line in data.split_inclusive(|&b| b == b'\n') {
            if start > 0 && (!event_shaped_start(line[0]) || hides_text(line)) {
                return (count, Some(start));
            }
            start += line.len();
            count += line.ends_with(b"\n") as u64;
        }
        (count, None)
    }

    /// The plain definition of [`LineLiteral::find_odd_or_literal_line`], line by line.
    fn reference_with(data: &[u8], literal: &[u8]) -> (u64, Option<usize>) {
        let mut count = 0;
        let mut start = 0;
        for line in data.split_inclusive(|&b| b == b'\n') {
            let holds = line.windows(literal.len()).any(|w| w == literal);
            if start > 0 && (!event_shaped_start(line[0]) || hides_text(line) || holds) {
                return (count, Some(start));
            }
            start += line.len();
            count += line.ends_with(b"\n") as u64;
        }
        (count, None)
    }

    #[test]
    fn a_literal_is_found_with_odd_lines_as_line_by_line() {
        // Lines full of near misses (the literal's bytes, apart or in other places), so that
        // many chunks are compared in full, and literals at every offset in a chunk.
        let literal = b"7a3362a3";
        let lines: [&[u8]; 9] = [
            b"{\"job_id\":\"7a3362a3-aaaa\"}",
            b"2026-11-21 x 7a33 62a3 a3a3a3a3 7a7a7a7a 3362 which runs on past a chunk or two",
            b"2026 7a3362a",
            b"{\"m\":\"\\u0041 7a3362a3\"}",
            b"  pretty 7a3362a3",
            b"2026 \x1b[1m7a3362a3",
            b"{\"m\":\"\\\\ \\n\"} ",
            b"17a3362a37a3362a3",
            b"",
        ];
        for seed in 0..600u32 {
            let mut data = Vec::new();
            let mut x = seed.wrapping_mul(2654435761);
            for _ in 0..(seed % 29) {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                let pick = (x >> 16) as usize % lines.len();
                let line = if x % 4 == 0 { lines[pick] } else { lines[1] };
                data.extend_from_slice(line);
                data.push(b'\n');
            }
            let search = LineLiteral::new(literal).unwrap();
            for start in 0..data.len().min(40) {
                let d = &data[start..];
                assert_eq!(
                    search.find_odd_or_literal_line(d),
                    reference_with(d, literal),
                    "{:?}",
                    String::from_utf8_lossy(d)
                );
            }
        }
    }

    #[test]
    fn long_runs_of_short_lines_are_counted_exactly() {
        // Every byte lane sees a newline in every chunk, for more chunks than a lane holds.
        for tail in ["", "odd\n", "1\\u0041\n1\n"] {
            let mut data = "1\n".repeat(20_000).into_bytes();
            data.extend_from_slice(tail.as_bytes());
            data.extend_from_slice(&"1\n".repeat(300).into_bytes());
            for start in [0, 1, 2, 31] {
                assert_eq!(
                    find_odd_line(&data[start..]),
                    reference(&data[start..]),
                    "{tail:?}"
                );
            }
        }
    }

    #[test]
    fn same_as_line_by_line_at_every_alignment() {
        let lines = [
            "{\"a\":1}",
            // Long enough that whole chunks fall inside it.
            "2026-11-21 x which runs on well past one chunk of thirty-two bytes, and past two",
            "  pretty",
            "",
            "{\n",
            "9",
            "ZisK",
            "{{{{{{{{{{{{{{{{{{",
            "2026 \x1b[1mWARN",
            "{\"m\":\"\\u0041\"}",
            "{\"m\":\"\\\\ \\n\"} ",
            "1\\",
        ];
        for seed in 0..400u32 {
            let mut data = Vec::new();
            let mut x = seed.wrapping_mul(2654435761);
            for _ in 0..(seed % 23) {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                let pick = (x >> 16) as usize % lines.len();
                // Mostly event lines, so that odd ones land anywhere.
                let line = if x % 5 == 0 {
                    lines[pick]
                } else {
                    lines[(x as usize >> 8) % 2]
                };
                data.extend_from_slice(line.as_bytes());
                data.push(b'\n');
            }
            for start in 0..data.len().min(20) {
                let d = &data[start..];
                assert_eq!(
                    find_odd_line(d),
                    reference(d),
                    "{:?}",
                    String::from_utf8_lossy(d)
                );
                assert_eq!(
                    count_newlines(d),
                    d.iter().filter(|&&b| b == b'\n').count() as u64
                );
            }
        }
    }
}
