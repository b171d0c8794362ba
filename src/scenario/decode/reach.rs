//! `reach: <token>`: a step that stands for the calls it takes to get a token, expanded here
//! into one plain call step each.

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

use super::Decoder;
use crate::api::Operation;
use crate::scenario::diagnostic::{Diagnostic, Location};
use crate::scenario::model::{Action, Call, Expect, Reads, Step};
use crate::scenario::yaml_templates::TemplateErrors;
use crate::yaml;

/// What `reach` can get to, and the calls it takes.
const REACHABLE: &[(&str, &[Operation])] = &[
    ("t1", &[Operation::SendCaptcha]),
    ("t2", &[Operation::SendCaptcha, Operation::CheckCaptcha]),
    (
        "code",
        &[
            Operation::SendCaptcha,
            Operation::CheckCaptcha,
            Operation::SendCode,
        ],
    ),
    (
        "t3",
        &[
            Operation::SendCaptcha,
            Operation::CheckCaptcha,
            Operation::SendCode,
            Operation::CheckCode,
        ],
    ),
];

/// The names `reach` takes (`scenario::schema` lists them too).
pub fn reachable() -> impl Iterator<Item = &'static str> {
    REACHABLE.iter().map(|(name, _)| *name)
}

impl Decoder<'_> {
    pub(super) fn reach(
        &mut self,
        at: Location,
        map: &MarkedMappingNode,
        args: &Node,
    ) -> Vec<Step> {
        if map.len() > 1 {
            self.errors.push(Diagnostic::new(
                at,
                1,
                "`reach` stands alone in its step (its calls must all succeed)",
            ));
        }
        let (what_node, user) = match args {
            Node::Mapping(args_map) => {
                self.errors
                    .known_keys(args_map, &["token", "user"], "`reach`");
                let user = args_map.get_node("user").map(|n| self.errors.tvalue(n));
                match args_map.get_node("token") {
                    Some(n) => (n, user),
                    None => {
                        self.errors
                            .at(args, "`reach` needs `token`: t1, t2, code or t3");
                        return Vec::new();
                    }
                }
            }
            other => (other, None),
        };
        let Some(what) = self.errors.string(what_node, "`reach`") else {
            return Vec::new();
        };
        let Some((_, operations)) = REACHABLE.iter().find(|(name, _)| *name == what) else {
            let names = REACHABLE.iter().map(|(n, _)| *n);
            self.errors.push(
                Diagnostic::new(
                    yaml::at(what_node),
                    what.chars().count(),
                    format!("cannot reach `{what}`"),
                )
                .suggest(&what, names)
                .with_help("reach one of: t1, t2, code, t3"),
            );
            return Vec::new();
        };
        operations
            .iter()
            .map(|operation| Step {
                at,
                name: format!("reach {what}: {}", operation.name()),
                action: Action::Call(Call {
                    operation: *operation,
                    fields: user.iter().map(|u| ("user", u.clone())).collect(),
                    with: Vec::new(),
                    without: Vec::new(),
                    headers: Vec::new(),
                    content_type: None,
                }),
                expect: Expect {
                    at,
                    ..Expect::default()
                },
                capture: Vec::new(),
                parallel: None,
                repeat: None,
                reads: Reads::default(),
            })
            .collect()
    }
}
