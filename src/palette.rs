//! The colours of pretty and compact output: one per level, and one per source, kept apart
//! from each other and from the level colours (a worker is never the colour of WARN).

use std::collections::HashMap;
use std::sync::Arc;

use owo_colors::{AnsiColors, DynColors, OwoColorize, Style, XtermColors};

use crate::event::Level;

/// Levels use the basic colours every terminal has.
pub fn level_style(level: Option<Level>) -> Style {
    match level {
        Some(Level::Error) => Style::new().red().bold(),
        Some(Level::Warn) => Style::new().yellow(),
        Some(Level::Info) => Style::new().green(),
        Some(Level::Debug) => Style::new().blue(),
        Some(Level::Trace) => Style::new().magenta(),
        None => Style::new(),
    }
}

/// Source colours from the 256-colour table, none of them near red, yellow, green, blue or
/// magenta, and far enough from each other to tell apart at a glance.
/// (Indices of the xterm 256-colour cube.)
const SOURCES: [u8; 8] = [
    44,  // turquoise
    208, // orange
    141, // lavender, not the level's magenta
    216, // salmon
    73,  // cadet blue
    180, // tan
    147, // lilac
    218, // pink
];

/// The coordinator's colour: bright white, apart from every worker.
const COORDINATOR: DynColors = DynColors::Ansi(AnsiColors::BrightWhite);

/// Colours given to sources in the order they first appear, so the first eight differ.
#[derive(Default)]
pub struct SourcePalette {
    given: HashMap<Arc<str>, DynColors>,
}

impl SourcePalette {
    pub fn color_of(&mut self, source: &Arc<str>) -> DynColors {
        if &**source == "coordinator" {
            return COORDINATOR;
        }
        let next = self.given.len();
        *self
            .given
            .entry(source.clone())
            .or_insert(DynColors::Xterm(XtermColors::from(
                SOURCES[next % SOURCES.len()],
            )))
    }

    /// The text in the source's colour.
    pub fn paint(&mut self, source: &Arc<str>, text: &str) -> String {
        text.color(self.color_of(source)).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colour of an index of the 6×6×6 cube (16–231), as xterm draws it.
    fn rgb(i: u8) -> (u8, u8, u8) {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        let i = (i - 16) as usize;
        (LEVELS[i / 36], LEVELS[i / 6 % 6], LEVELS[i % 6])
    }

    #[test]
    fn sources_differ_from_each_other_and_from_the_levels() {
        let mut palette = SourcePalette::default();
        let names: Vec<Arc<str>> = ["coordinator", "worker-01", "worker-02", "worker-03"]
            .iter()
            .map(|s| Arc::from(*s))
            .collect();
        let colors: Vec<DynColors> = names.iter().map(|n| palette.color_of(n)).collect();
        for (i, a) in colors.iter().enumerate() {
            for b in &colors[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            palette.color_of(&names[1]),
            colors[1],
            "a source keeps its colour"
        );
        // No source colour is a level's: pure red, yellow, green, blue, magenta hues.
        for c in SOURCES {
            let (r, g, b) = rgb(c);
            let strong = |x: u8| x >= 0xaf;
            let weak = |x: u8| x <= 0x5f;
            let level_like = [
                strong(r) && weak(g) && weak(b),             // red
                strong(r) && strong(g) && weak(b) && r == g, // yellow
                weak(r) && strong(g) && weak(b),             // green
                weak(r) && weak(g) && strong(b),             // blue
                strong(r) && weak(g) && strong(b) && r == b, // magenta
            ];
            assert!(!level_like.contains(&true), "{c} looks like a level colour");
        }
    }
}
