//! Text made safe for the place it is written into: one function per context, each named by
//! it (`escape::html_text` in an HTML page, `escape::markdown_code` for a code span), used for
//! every value that comes from a record, since a hostile target chooses much of what records
//! hold (bodies, headers, error codes and messages).
//!
//! Control characters (C0, DEL, C1) and the bidi overrides and isolates (U+202A-U+202E,
//! U+2066-U+2069) are shown as visible escapes (`\x1b`, `\r`, `\u{202e}`) everywhere: on a
//! terminal they would clear the screen, retitle the window or overwrite a line, in a browser or
//! a CI page reorder what is read, and XML 1.0 cannot carry most of them at all.

use std::fmt::Write;

/// The visible escape of `c`, if it is a control character or a bidi control.
fn visible(c: char) -> Option<String> {
    let escape = match c {
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        '\t' => "\\t".to_owned(),
        '\0'..='\x1f' | '\x7f' => format!("\\x{:02x}", c as u32),
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            format!("\\u{{{:x}}}", c as u32)
        }
        // XML 1.0 forbids these two; nothing displays them.
        '\u{fffe}' | '\u{ffff}' => format!("\\u{{{:x}}}", c as u32),
        _ => return None,
    };
    Some(escape)
}

/// Every control character visible, newlines included, so `text` stays on one line.
fn one_line(text: &str, out: &mut String, mut other: impl FnMut(char, &mut String)) {
    for c in text.chars() {
        match visible(c) {
            Some(escape) => out.push_str(&escape),
            None => other(c, out),
        }
    }
}

/// Like `one_line`, but newlines kept.
fn lines(text: &str, out: &mut String, mut other: impl FnMut(char, &mut String)) {
    for c in text.chars() {
        match (c, visible(c)) {
            ('\n', _) | (_, None) => other(c, out),
            (_, Some(escape)) => out.push_str(&escape),
        }
    }
}

/// A value on one console line: every control character visible.
pub fn console_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    one_line(text, &mut out, |c, out| out.push(c));
    out
}

/// A multi-line block on the console (a repro scenario): newlines kept, other controls visible.
pub fn console_block(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    lines(text, &mut out, |c, out| out.push(c));
    out
}

/// The five entities XML and HTML share.
fn entity(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// XML element text: markup escaped, newlines kept, other controls visible (XML 1.0 forbids
/// most of them even as character references).
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    lines(text, &mut out, entity);
    out
}

/// An XML attribute value: as `xml_text`, and a newline shown as `\n` (a parser would read
/// a raw one as a space).
pub fn xml_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    one_line(text, &mut out, entity);
    out
}

/// HTML text content: the same rules as XML text.
pub fn html_text(text: &str) -> String {
    xml_text(text)
}

/// A quoted HTML attribute value: the same rules as an XML attribute.
pub fn html_attribute(text: &str) -> String {
    xml_attribute(text)
}

/// Markdown inline text anywhere (a table cell, a list item, a heading, a paragraph): every
/// character Markdown or GitHub's extensions give a meaning escaped, so `text` shows as written
/// and never becomes a heading, a list, a link, an image, emphasis, raw HTML, a table column or
/// a new line. `<`, `>` and `&` become entities; `:` and `@` are escaped too, which breaks the
/// bare-URL and e-mail autolinks GitHub would make; a `.` after `www` likewise.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    // Only digits so far: a `.` here would make `1.` an ordered list's marker.
    let mut digits_only = true;
    for c in console_line(text).chars() {
        let after_www = out
            .get(out.len().saturating_sub(3)..)
            .is_some_and(|end| end.eq_ignore_ascii_case("www"));
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '.' if !digits_only && !after_www => out.push('.'),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | ':' | '@' | '=' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        digits_only &= c.is_ascii_digit();
    }
    out
}

/// A Markdown code span holding `text`, backticks and all: fenced by one backtick more than the
/// longest run inside, padded when it starts or ends with one, controls and newlines visible,
/// `|` escaped (GitHub and CommonMark tables read a `\|` inside a span as a pipe of the cell).
/// For a span in a table cell.
pub fn markdown_code_cell(text: &str) -> String {
    code_span(&console_line(text).replace('|', "\\|"))
}

/// A Markdown code span outside a table: as `markdown_code_cell`, pipes left as they are.
pub fn markdown_code(text: &str) -> String {
    code_span(&console_line(text))
}

fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    let mut out = String::with_capacity(text.len() + 2 * fence.len() + 2);
    let _ = write!(out, "{fence}{pad}{text}{pad}{fence}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_shown_not_sent() {
        assert_eq!(
            console_line("a\x1b[2J\x07\r\nb\u{7f}\u{9b}\u{202e}\u{2066}"),
            "a\\x1b[2J\\x07\\r\\nb\\x7f\\u{9b}\\u{202e}\\u{2066}"
        );
        assert_eq!(console_block("one\ntwo\x1b"), "one\ntwo\\x1b");
        assert_eq!(console_line("plain é 中"), "plain é 中");
    }

    #[test]
    fn xml_escapes_markup_and_shows_what_xml_forbids() {
        assert_eq!(
            xml_text("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(
            xml_text("bell\u{7}\u{ffff}\nnext"),
            "bell\\x07\\u{ffff}\nnext"
        );
        assert_eq!(xml_attribute("two\nlines\t"), "two\\nlines\\t");
        assert_eq!(html_attribute("\"><script>"), "&quot;&gt;&lt;script&gt;");
    }

    #[test]
    fn markdown_text_cannot_make_markup() {
        assert_eq!(markdown_text("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(
            markdown_text("# h ![i](u) <b>&amp;"),
            "\\# h \\!\\[i\\]\\(u\\) &lt;b&gt;&amp;amp;"
        );
        assert_eq!(markdown_text("12. item"), "12\\. item");
        assert_eq!(markdown_text("v1.2"), "v1.2");
        assert_eq!(markdown_text("- x"), "\\- x");
        // Nothing GitHub would autolink: `:`, `@` and `www.` split by an escape.
        let linked = markdown_text("https://e.example www.e.example a@e.example");
        assert_eq!(linked, "https\\://e.example www\\.e.example a\\@e.example");
    }

    #[test]
    fn a_code_span_holds_any_backticks() {
        assert_eq!(markdown_code("x"), "`x`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`a``"), "``` `a`` ```");
        assert_eq!(markdown_code("a|b\n"), "`a|b\\n`");
        assert_eq!(markdown_code_cell("a|b"), "`a\\|b`");
    }
}
