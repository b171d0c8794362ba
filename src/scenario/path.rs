//! Paths into a JSON body: a JSON pointer (`/token`, `/a/0/b`) or a JSONPath subset
//! (`$.token`, `$.a[0].b`, `$['odd key']`). Both compile to the same list of steps.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub text: String,
    steps: Vec<String>,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<Self, String> {
        let steps = if text.is_empty() || text == "$" {
            Vec::new()
        } else if let Some(pointer) = text.strip_prefix('/') {
            pointer
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else if let Some(rest) = text.strip_prefix('$') {
            parse_jsonpath(rest)?
        } else {
            return Err(format!(
                "`{text}` is not a path: use a JSON pointer (`/token`) or JSONPath (`$.token`)"
            ));
        };
        Ok(Self {
            text: text.to_owned(),
            steps,
        })
    }

    /// The value at this path, if there is one.
    pub fn find<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.steps.iter().try_fold(root, |value, step| match value {
            Value::Object(map) => map.get(step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
    }
}

fn parse_jsonpath(mut rest: &str) -> Result<Vec<String>, String> {
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err("expected a name after `.`".into());
            }
            steps.push(after[..end].to_owned());
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("['") {
            let end = after.find("']").ok_or("`['` without `']`")?;
            steps.push(after[..end].to_owned());
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or("`[` without `]`")?;
            let index = &after[..end];
            if index.parse::<usize>().is_err() {
                return Err(format!(
                    "`[{index}]` is not an index (filters and wildcards are not supported)"
                ));
            }
            steps.push(index.to_owned());
            rest = &after[end + 1..];
        } else {
            return Err(format!("unexpected `{rest}` in JSONPath"));
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn pointers_and_jsonpaths_agree() {
        let body = json!({"a": [{"b": 1}], "odd key": true, "x/y": 2});
        for (path, expected) in [
            ("/a/0/b", Some(json!(1))),
            ("$.a[0].b", Some(json!(1))),
            ("$['odd key']", Some(json!(true))),
            ("/x~1y", Some(json!(2))),
            ("$", Some(body.clone())),
            ("/missing", None),
            ("$.a[5]", None),
        ] {
            let found = JsonPath::parse(path).expect(path).find(&body).cloned();
            assert_eq!(found, expected, "{path}");
        }
    }

    #[test]
    fn bad_paths_are_refused() {
        for path in ["token", "$.", "$[*]", "$.a[", "$['a'"] {
            assert!(JsonPath::parse(path).is_err(), "{path}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,30}") {
            if let Ok(path) = JsonPath::parse(&text) {
                let _ = path.find(&json!({"a": [1, {"b": null}]}));
            }
        }
    }
}
