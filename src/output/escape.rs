//! Text made safe for the format it is written into. Each function names its format, so a
//! renderer says what it means (`escape::html` in an HTML report, not the XML helper).

/// For XML text and attribute values. XML 1.0 cannot carry most control characters even
/// escaped, so they are written as `\u{..}`.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// For HTML text and attribute values: the same five entities as XML.
pub fn html(text: &str) -> String {
    xml(text)
}

/// For a Markdown table cell: a `|` would end the cell and a newline the row.
pub fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            xml("<a href='x'>&\"</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(xml("bell\u{7}"), "bell\\u{7}");
        assert_eq!(xml("tab\tline\n"), "tab\tline\n");
        assert_eq!(markdown_cell("a|b\nc"), "a\\|b c");
    }
}
