//! How deeply a YAML text nests, measured before it is loaded: yaml-rust2's loader (under
//! marked-yaml) builds the tree by recursion, one frame per level of block or flow nesting, so
//! a file nested a few thousand deep overflows the stack. Its event parser is a state machine
//! with a stack of its own, so walking the events first is safe at any depth, and cheap.

use yaml_rust2::parser::{Event, Parser};

use super::diagnostic::Location;

/// The deepest nesting of mappings and lists a file may have. The deepest file of
/// `scenarios/` or `profiles/` nests 7; a request body a scenario spells out in YAML is part of
/// this count too.
pub const MAX_DEPTH: usize = 64;

/// Where the text first nests deeper than `limit`, if it does: the list's start, or the
/// mapping's first key (yaml-rust2 marks a block mapping's start past its first key). A text
/// that is not valid YAML is left to the loader, which reports the error (the walk stops
/// there, having seen nothing deeper than `limit` before it), except yaml-rust2's own limit on
/// flow nesting (255), which is this limit too.
pub fn too_deep(text: &str, limit: usize) -> Option<Location> {
    let mut parser = Parser::new(text.chars());
    let mut depth = 0usize;
    let mut too_deep_mapping = None;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(next) => next,
            Err(e) if e.info().contains("recursion limit") => {
                return Some(Location::new(e.marker().line(), e.marker().col() + 1))
            }
            Err(_) => return None,
        };
        let at = Location::new(mark.line(), mark.col() + 1);
        if let Some(start) = too_deep_mapping {
            return Some(match event {
                Event::Scalar(..) => at,
                _ => start,
            });
        }
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                match event {
                    _ if depth <= limit => {}
                    Event::MappingStart(..) => too_deep_mapping = Some(at),
                    _ => return Some(at),
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            // The loader reads the first document only.
            Event::DocumentEnd | Event::StreamEnd => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(depth: usize) -> String {
        (0..depth)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
            + &"  ".repeat(depth)
            + "leaf: 1\n"
    }

    #[test]
    fn nesting_is_counted_in_block_and_flow_style() {
        assert_eq!(too_deep("a: 1\n", 1), None);
        assert_eq!(too_deep("a: {b: 1}\n", 1), Some(Location::new(1, 5)));
        assert_eq!(too_deep("a: {b: 1}\n", 2), None);
        assert_eq!(too_deep("- [[1]]\n", 2), Some(Location::new(1, 4)));
        assert_eq!(too_deep(&block(3), 4), None);
        assert_eq!(too_deep(&block(4), 4), Some(Location::new(5, 9)));
        // Sibling mappings do not add up.
        assert_eq!(too_deep("a: {x: 1}\nb: {y: 1}\nc: {z: 1}\n", 2), None);
    }

    #[test]
    fn any_depth_is_walked_without_recursion() {
        // 3,000 levels is 9 MB of text; 100,000 (the indentation grows with the depth) was
        // 10 GB, built in 36 s of the unit tests' time.
        let deep = block(3_000);
        assert!(too_deep(&deep, MAX_DEPTH).is_some());
        let flow = "a: ".to_owned() + &"[".repeat(100_000);
        // A flow collection might be a key, so yaml-rust2 scans ahead to its end, and stops at
        // its own limit, the 256th `[`: still a place nested past the limit.
        assert_eq!(too_deep(&flow, MAX_DEPTH), Some(Location::new(1, 259)));
        let shallow = "a: ".to_owned() + &"[".repeat(70) + &"]".repeat(70);
        assert_eq!(too_deep(&shallow, MAX_DEPTH), Some(Location::new(1, 67)));
        // Invalid YAML is the loader's to report.
        assert_eq!(too_deep("a: [1\n", MAX_DEPTH), None);
    }
}
