//! The model's own rules, case by case: a token race has one winner, wrong codes burn the code
//! at the limit, tokens are bound to a user and expire, an account name must name a channel,
//! a code sent to an unknown user is never read.

use std::collections::BTreeMap;

use super::{Expected, Model};
use crate::fuzz::ops::{Channel, Expiry, Guess, NewPassword, Op, Stage, Tok, Who};
use crate::profile::Profile;

fn expected(ops: &[Op]) -> Vec<Expected> {
    Model::new(&Profile::reference())
        .plan(ops)
        .into_iter()
        .map(|step| step.expected)
        .collect()
}

fn error(kind: &'static str) -> Expected {
    Expected::Error(kind)
}

#[test]
fn a_token_race_has_one_winner() {
    let reset = Op::Reset {
        who: Who::Main,
        token: Tok::T3,
        password: NewPassword::Valid,
    };
    let steps = expected(&[Op::Reach(Who::Main, Stage::T3), Op::Twice(Box::new(reset))]);
    let outcomes = BTreeMap::from([("reset_token_invalid", 1), ("success", 1)]);
    assert_eq!(steps.last(), Some(&Expected::Outcomes(outcomes)));
}

#[test]
fn wrong_codes_burn_the_code_at_the_limit() {
    let steps = expected(&[
        Op::Reach(Who::Main, Stage::Code),
        Op::CheckCode {
            who: Who::Main,
            guess: Guess::Wrong,
        },
        Op::WrongCodes { who: Who::Main },
        Op::CheckCode {
            who: Who::Main,
            guess: Guess::Right,
        },
    ]);
    assert_eq!(
        &steps[3..],
        [
            error("code_mismatch"),
            error("code_mismatch"),
            error("code_attempts_exceeded")
        ]
    );
    // One wrong code before: the repeat makes up the rest of the limit only.
    let plan = Model::new(&Profile::reference()).plan(&[
        Op::Reach(Who::Main, Stage::Code),
        Op::CheckCode {
            who: Who::Main,
            guess: Guess::Wrong,
        },
        Op::WrongCodes { who: Who::Main },
    ]);
    assert!(plan[4].yaml.contains("repeat: 4"), "{}", plan[4].yaml);
}

#[test]
fn a_token_used_for_another_user_is_used_up() {
    let send = |who| Op::SendCode {
        who,
        token: Tok::T2,
        channel: Channel::Default,
    };
    let steps = expected(&[
        Op::Reach(Who::Main, Stage::T2),
        send(Who::Other),
        send(Who::Main),
    ]);
    assert_eq!(
        &steps[2..],
        [error("access_token_invalid"), error("access_token_invalid")]
    );
}

#[test]
fn tokens_expire_past_their_lifetime_and_the_resend_interval_ends() {
    let steps = expected(&[
        Op::Reach(Who::Main, Stage::Code),
        Op::Wait(Expiry::Code),
        Op::CheckCode {
            who: Who::Main,
            guess: Guess::Right,
        },
        Op::Reach(Who::Main, Stage::T3),
    ]);
    assert_eq!(steps[4], error("code_mismatch"));
    assert!(
        steps[5..].iter().all(|e| *e == Expected::Success),
        "{steps:?}"
    );
}

#[test]
fn an_account_name_must_say_where_the_code_goes() {
    let send = |channel| Op::SendCode {
        who: Who::Account,
        token: Tok::T2,
        channel,
    };
    let steps = expected(&[
        Op::Reach(Who::Account, Stage::T2),
        send(Channel::Default),
        send(Channel::Bogus),
        send(Channel::Email),
    ]);
    // Refused before the token is read: T2 is still there for the third try.
    assert_eq!(
        &steps[2..],
        [
            error("invalid_request"),
            error("invalid_request"),
            Expected::Success
        ]
    );
}

#[test]
fn a_code_sent_to_an_unknown_user_is_never_read() {
    let plan = Model::new(&Profile::reference()).plan(&[
        Op::Reach(Who::Ghost, Stage::Code),
        Op::CheckCode {
            who: Who::Ghost,
            guess: Guess::Right,
        },
    ]);
    assert_eq!(plan[3].expected, error("code_mismatch"));
    assert!(!plan[3].yaml.contains("{{ code }}"), "{}", plan[3].yaml);
}
