//! Fitting text to a terminal's width: a line cut with `…` (colour codes kept whole), and
//! tables whose columns give way in a chosen order, as `kubectl` and `docker ps` tables do.

use std::borrow::Cow;

use owo_colors::{AnsiColors, OwoColorize};
use unicode_width::UnicodeWidthChar;

/// Columns a line takes on screen; our own SGR colour codes take none. (Log text reaching this
/// point is sanitized, so every escape in it is one we wrote.)
pub fn width(s: &str) -> usize {
    let mut w = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            skip_escape(&mut chars);
        } else {
            w += c.width().unwrap_or(0);
        }
    }
    w
}

fn skip_escape(chars: &mut std::str::Chars) {
    // CSI: ESC [ parameters final-byte.
    if chars.next() == Some('[') {
        for c in chars.by_ref() {
            if ('@'..='~').contains(&c) {
                break;
            }
        }
    }
}

/// The line cut to `max` columns, its last one an `…`, colour reset after the cut.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(max + 8);
    let mut used = 0;
    let mut coloured = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            let before = chars.as_str();
            skip_escape(&mut chars);
            out.push(c);
            out.push_str(&before[..before.len() - chars.as_str().len()]);
            coloured = true;
            continue;
        }
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    if coloured {
        out.push_str("\x1b[0m");
    }
    Cow::Owned(out)
}

/// Plain text cut to `max` columns at its start: `…` and its end (`…/worker-01.log`).
pub fn cut_start(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::from(if max > 0 { "…" } else { "" });
    out.extend(kept.into_iter().rev());
    Cow::Owned(out)
}

/// Cuts every line of `text` to `max` columns (`None`: leaves it as it is).
pub fn cut_lines(text: &str, max: Option<usize>) -> Cow<'_, str> {
    let Some(max) = max else {
        return Cow::Borrowed(text);
    };
    if text.lines().all(|l| width(l) <= max) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(&cut(body, max));
        out.push_str(end);
    }
    Cow::Owned(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A column: its header, alignment, the narrowest it may become, and when it gives way
/// (lower `gives_way` first).
pub struct Column {
    pub header: String,
    pub align: Align,
    pub min: usize,
    pub gives_way: u8,
    /// Cut its cells at the start, keeping their end (a path's file name).
    pub keep_end: bool,
}

impl Column {
    pub fn left(header: impl Into<String>, min: usize, gives_way: u8) -> Column {
        Column {
            header: header.into(),
            align: Align::Left,
            min,
            gives_way,
            keep_end: false,
        }
    }
    pub fn keep_end(mut self) -> Column {
        self.keep_end = true;
        self
    }
    pub fn right(header: impl Into<String>, min: usize, gives_way: u8) -> Column {
        Column {
            align: Align::Right,
            ..Column::left(header, min, gives_way)
        }
    }
}

/// A cell: its text, a shorter form to use when the column must narrow (a time without its
/// date), and a colour.
#[derive(Default)]
pub struct Cell {
    pub text: String,
    pub short: Option<String>,
    pub color: Option<AnsiColors>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }
    pub fn short(mut self, short: impl Into<String>) -> Cell {
        self.short = Some(short.into());
        self
    }
    pub fn color(mut self, color: Option<AnsiColors>) -> Cell {
        self.color = color;
        self
    }
}

const GAP: &str = "  ";

/// Writes a table with two spaces between columns, fitted to `max` columns when given: in
/// `gives_way` order, each column switches to its short forms, then narrows to its minimum,
/// until the table fits; a line still too long is cut. No rows: nothing, not even the header. Colour is painted after padding, so it never moves a column.
/// The widest an unfitted column is padded to.
const UNFITTED_COLUMN_CAP: usize = 64;

pub fn write_table(
    out: &mut dyn std::io::Write,
    columns: &[Column],
    rows: &[Vec<Cell>],
    max: Option<usize>,
    color: bool,
) -> std::io::Result<()> {
    // No rows, no header: a script reads an empty result as empty.
    if rows.is_empty() {
        return Ok(());
    }
    let mut short = vec![false; columns.len()];
    let natural = |i: usize, short: bool| {
        rows.iter()
            .map(|r| width(cell_text(&r[i], short)))
            .chain([width(&columns[i].header)])
            .max()
            .unwrap_or(0)
    };
    let mut widths: Vec<usize> = (0..columns.len()).map(|i| natural(i, false)).collect();
    if max.is_none() {
        // Unfitted (a pipe, --no-trunc): nothing is cut, and one huge cell (an ID of 70,000
        // characters) overflows its column instead of padding every row to its width.
        for w in &mut widths {
            *w = (*w).min(UNFITTED_COLUMN_CAP);
        }
    }
    if let Some(max) = max {
        let total = |w: &[usize]| w.iter().sum::<usize>() + GAP.len() * w.len().saturating_sub(1);
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by_key(|&i| columns[i].gives_way);
        for &i in &order {
            if total(&widths) <= max {
                break;
            }
            if rows.iter().any(|r| r[i].short.is_some()) {
                short[i] = true;
                widths[i] = natural(i, true);
            }
            let over = total(&widths).saturating_sub(max);
            let floor = columns[i].min.min(widths[i]);
            widths[i] -= over.min(widths[i] - floor);
        }
    }
    let last = columns.len().saturating_sub(1);
    let mut line = String::new();
    let mut write_row = |cells: &mut dyn Iterator<Item = (&str, Option<AnsiColors>)>| {
        line.clear();
        for (i, (text, paint)) in cells.enumerate() {
            if i > 0 {
                line.push_str(GAP);
            }
            let text = if max.is_none() {
                Cow::Borrowed(text)
            } else if columns[i].keep_end {
                cut_start(text, widths[i])
            } else {
                cut(text, widths[i])
            };
            let pad = " ".repeat(widths[i].saturating_sub(width(&text)));
            let (left, right) = match (columns[i].align, i == last) {
                (Align::Right, _) => (pad.as_str(), ""),
                (Align::Left, false) => ("", pad.as_str()),
                (Align::Left, true) => ("", ""),
            };
            line.push_str(left);
            match paint {
                Some(c) if color => line.push_str(&text.color(c).to_string()),
                _ => line.push_str(&text),
            }
            line.push_str(right);
        }
        let fitted = match max {
            Some(max) => cut(line.trim_end(), max),
            None => Cow::Borrowed(line.trim_end()),
        };
        writeln!(out, "{fitted}")
    };
    write_row(&mut columns.iter().map(|c| (c.header.as_str(), None)))?;
    for r in rows {
        write_row(
            &mut r
                .iter()
                .enumerate()
                .map(|(i, c)| (cell_text(c, short[i]), c.color)),
        )?;
    }
    Ok(())
}

fn cell_text(c: &Cell, short: bool) -> &str {
    match (&c.short, short) {
        (Some(s), true) => s,
        _ => &c.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_colour_whole_and_ends_with_an_ellipsis() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdef", 4), "abc…");
        let red = "\x1b[31mabcdef\x1b[0m";
        assert_eq!(width(red), 6);
        assert_eq!(cut(red, 3), "\x1b[31mab…\x1b[0m");
        assert_eq!(width(&cut("日本語のテキスト", 7)), 7);
        assert_eq!(cut_start("file:logs/worker-01.log", 14), "…worker-01.log");
        assert_eq!(cut_start("short", 14), "short");
    }

    fn table(max: Option<usize>) -> String {
        let columns = [
            Column::left("ID", 9, 0),
            Column::left("WHEN", 8, 1),
            Column::right("N", 1, 9),
            Column::left("REASON", 6, 2),
        ];
        let rows = vec![vec![
            Cell::new("7a3362a3-e380-4dca-80b3-dbfa48cc1e6e"),
            Cell::new("2026-11-21 10:02:20").short("10:02:20"),
            Cell::new("4"),
            Cell::new("worker connection dropped during Prove"),
        ]];
        let mut out = Vec::new();
        write_table(&mut out, &columns, &rows, max, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tables_give_way_in_order_and_never_pass_the_width() {
        let free = table(None);
        assert!(free.contains("7a3362a3-e380-4dca-80b3-dbfa48cc1e6e  2026-11-21 10:02:20"));
        for max in [30, 60, 80, 120] {
            let fitted = table(Some(max));
            assert!(fitted.lines().all(|l| width(l) <= max), "{max}:\n{fitted}");
        }
        let at_60 = table(Some(60));
        assert!(
            at_60.contains("10:02:20") && !at_60.contains("2026-11-21"),
            "{at_60}"
        );
        assert!(at_60.contains("worker connection"), "{at_60}");
        assert!(table(Some(120)).contains("2026-11-21 10:02:20"));
    }
}
