//! How much of a value, and how many values, a report shows: a target that puts a new value in
//! every answer (an error code, a request id, a big body) must not grow a report without end.
//! The records keep what they keep (`results.json`); the renderers show a bounded part.

/// Characters of one value shown in a report line (an expected or actual value, a reason).
pub const VALUE_CHARS: usize = 200;

/// Failed expectations listed in a report; the rest are counted on a "… and N more" line.
pub const FAILURES_LISTED: usize = 50;

/// `text` cut to `max` characters, saying how long it was when cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}… ({} chars)", &text[..end], text.chars().count()),
    }
}

/// The line that stands for what a list left out: "… and 3 more failed expectations".
pub fn and_more(left_out: usize, what: &str) -> Option<String> {
    (left_out > 0).then(|| format!("… and {left_out} more {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_at_a_character_and_say_so() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 5), "ééééé");
        assert_eq!(clip("éééééé", 5), "ééééé… (6 chars)");
        assert_eq!(and_more(0, "x"), None);
        assert_eq!(
            and_more(3, "failures").as_deref(),
            Some("… and 3 more failures")
        );
    }
}
