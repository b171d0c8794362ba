//! The `secrets:` section of a profile: a gateway's own secret JSON fields and headers, masked
//! in every report beside the built-in ones (`crate::redact`, which the runner applies).

use marked_yaml::Node;

use crate::yaml::Errors;

/// Extra secret names; both empty unless the profile lists some.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretNames {
    /// JSON field names, at any depth, compared without case.
    pub fields: Vec<String>,
    /// Header names, compared without case.
    pub headers: Vec<String>,
}

pub(super) fn decode(node: &Node, errors: &mut Errors) -> SecretNames {
    let mut names = SecretNames::default();
    let Some(map) = errors.mapping(node, "`secrets`") else {
        return names;
    };
    errors.known_keys(map, &["fields", "headers"], "`secrets`");
    for (key, list) in [
        ("fields", &mut names.fields),
        ("headers", &mut names.headers),
    ] {
        if let Some(node) = map.get_node(key) {
            for (name, _) in errors.strings(node, &format!("`secrets.{key}`")) {
                if name.is_empty() {
                    errors.at(node, format!("`secrets.{key}` has an empty name"));
                } else {
                    list.push(name);
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::super::{Profile, REFERENCE_YAML};

    #[test]
    fn secret_names_are_read_and_misspelt_keys_named() {
        let text = format!("{REFERENCE_YAML}\nsecrets: {{fields: [otp], headers: [X-Api-Key]}}\n");
        let profile = Profile::parse("p.yaml", &text).expect("parses");
        assert_eq!(profile.secrets.fields, ["otp"]);
        assert_eq!(profile.secrets.headers, ["X-Api-Key"]);
        assert!(Profile::reference().secrets.fields.is_empty());
        let wrong = format!("{REFERENCE_YAML}\nsecrets: {{feilds: [otp], headers: x}}\n");
        let errors = Profile::parse("p.yaml", &wrong).unwrap_err().to_string();
        assert!(errors.contains("did you mean `fields`?"), "{errors}");
        assert!(
            errors.contains("`secrets.headers` must be a list"),
            "{errors}"
        );
    }
}
