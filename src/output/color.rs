//! Whether the console is coloured, decided once at the edge and passed to renderers as a
//! `Palette` value (no process-wide switch such as `console::set_colors_enabled`), so a
//! renderer stays pure: the same record and palette give the same text.
//!
//! The decision: `--color always` colours, `never` does not; `auto` (the default) colours when
//! the stream is a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>);
//! `always` overrides `NO_COLOR`.

use console::Style;

/// The `--color` flag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Colour even into a pipe or a file, and despite `NO_COLOR`.
    Always,
    /// No colour.
    Never,
}

impl ColorChoice {
    /// The palette for a stream that is (or not) a `terminal`, with `NO_COLOR` set to
    /// `no_color` (as `std::env::var_os` reads it).
    pub fn decide(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Palette {
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => Palette::COLOURED,
            ColorChoice::Never => Palette::PLAIN,
            ColorChoice::Auto if terminal && !no_color => Palette::COLOURED,
            ColorChoice::Auto => Palette::PLAIN,
        }
    }
}

/// What a piece of console text says, and so its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// PASS: green.
    Good,
    /// FAIL, ERROR: red.
    Bad,
    /// SKIP: yellow.
    Notice,
    /// INTERRUPTED: bold red (what ran is not a verdict on what did not).
    Alarm,
}

/// Colours on or off, as a value handed to renderers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    coloured: bool,
}

impl Palette {
    pub const PLAIN: Palette = Palette { coloured: false };
    pub const COLOURED: Palette = Palette { coloured: true };

    pub fn is_coloured(self) -> bool {
        self.coloured
    }

    /// `text` in the colour of `tone` (ANSI SGR codes), or as it is when plain. `text` must
    /// already be escaped for the console: the codes added here are the only controls.
    pub fn paint(self, tone: Tone, text: &str) -> String {
        if !self.coloured {
            return text.to_owned();
        }
        let style = match tone {
            Tone::Good => Style::new().green(),
            Tone::Bad => Style::new().red(),
            Tone::Notice => Style::new().yellow(),
            Tone::Alarm => Style::new().red().bold(),
        };
        // Forced: the decision was made above, not by `console`'s own terminal detection.
        style.force_styling(true).apply_to(text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_a_terminal_only_and_no_color_turns_it_off() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorChoice::Auto.decide(true, None).is_coloured());
        assert!(ColorChoice::Auto.decide(true, empty).is_coloured());
        assert!(!ColorChoice::Auto.decide(false, None).is_coloured());
        assert!(!ColorChoice::Auto.decide(true, set).is_coloured());
        assert!(ColorChoice::Always.decide(false, set).is_coloured());
        assert!(!ColorChoice::Never.decide(true, None).is_coloured());
    }

    #[test]
    fn a_plain_palette_leaves_text_alone() {
        assert_eq!(Palette::PLAIN.paint(Tone::Bad, "FAIL"), "FAIL");
        assert_eq!(
            Palette::COLOURED.paint(Tone::Good, "PASS"),
            "\u{1b}[32mPASS\u{1b}[0m"
        );
    }
}
