//! What a fuzz case is made of: operations on the reset flow, and the proptest strategies that
//! generate (and shrink) sequences of them. Tokens are named by role ("the flow's newest T2"),
//! not by value, so a sequence means the same thing on every run and reads as a scenario.

use proptest::prelude::*;

/// Whose name a call carries: the scenario's main user (a phone user), a second user (an
/// e-mail user), a user known by an account name, or an identity the gateway has never seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Who {
    Main,
    Other,
    Account,
    Ghost,
}

/// `sendMethod` of send_code: left out, `sms`, `email`, or a channel that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Default,
    Sms,
    Email,
    Bogus,
}

/// Which token a call presents: the flow's newest T1, T2 or T3 (whatever call it suits), none,
/// or a string no gateway issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    T1,
    T2,
    T3,
    Missing,
    Forged,
}

/// Where the CAPTCHA piece is dropped, relative to the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Right,
    /// At the tolerance's edge: still accepted.
    AtTolerance,
    /// One pixel past it.
    Beyond,
    Negative,
    /// i32::MAX.
    Huge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slide {
    Plausible,
    TooFast,
    TooSlow,
    /// Left out: the body is invalid (with the flow's T1 in it).
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// The newest code the flow has seen (whoever it was sent to).
    Right,
    Wrong,
    /// Digits, but not ASCII ones.
    Unicode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewPassword {
    Valid,
    TooShort,
    OneClass,
    Run,
    /// Contains the main user's account name.
    UserName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginWith {
    Current,
    Old,
    Wrong,
}

/// How far the gateway's clock is moved: past T1's (and T2's) lifetime, or past the code's
/// (and T3's). Always a second past a lifetime, never near one: the model stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    T1,
    Code,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    SendCaptcha,
    CheckCaptcha,
    SendCode,
    CheckCode,
    Reset,
}

/// A request no gateway may act on: each is `invalid_request` before any state is touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    NotJson,
    WrongContentType,
    DuplicateKey,
    MissingUser,
    UserNotAString,
    EmptyUser,
    LongUser,
    /// A number past every integer type (clientType on the CAPTCHA calls, user elsewhere).
    HugeNumber,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    SendCaptcha {
        who: Who,
        client_type: u8,
        check_type: u8,
    },
    CheckCaptcha {
        who: Who,
        client_type: u8,
        check_type: u8,
        token: Tok,
        point: Point,
        slide: Slide,
    },
    SendCode {
        who: Who,
        token: Tok,
        channel: Channel,
    },
    CheckCode {
        who: Who,
        guess: Guess,
    },
    /// As many wrong codes in a row as the attempt limit leaves.
    WrongCodes {
        who: Who,
    },
    Reset {
        who: Who,
        token: Tok,
        password: NewPassword,
    },
    Login {
        with: LoginWith,
    },
    Wait(Expiry),
    Malformed {
        call: Call,
        mutation: Mutation,
    },
    /// The same request twice at the same moment.
    Twice(Box<Op>),
    /// The valid calls that lead to a stage of the flow for one user, each its own step: most
    /// interesting states lie past a few correct calls, which random ones rarely make.
    Reach(Who, Stage),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    T1,
    T2,
    Code,
    T3,
}

impl Op {
    /// `Reach` as the calls it stands for; any other operation as itself.
    pub fn expand(&self) -> Vec<Op> {
        let Op::Reach(who, stage) = *self else {
            return vec![self.clone()];
        };
        let calls = [
            Op::SendCaptcha {
                who,
                client_type: 0,
                check_type: 1,
            },
            Op::CheckCaptcha {
                who,
                client_type: 0,
                check_type: 1,
                token: Tok::T1,
                point: Point::Right,
                slide: Slide::Plausible,
            },
            Op::SendCode {
                who,
                token: Tok::T2,
                // An account name must say where the code goes; an identity need not.
                channel: match who {
                    Who::Account => Channel::Sms,
                    _ => Channel::Default,
                },
            },
            Op::CheckCode {
                who,
                guess: Guess::Right,
            },
        ];
        let count = match stage {
            Stage::T1 => 1,
            Stage::T2 => 2,
            Stage::Code => 3,
            Stage::T3 => 4,
        };
        calls[..count].to_vec()
    }
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        8 => Just(Who::Main),
        2 => Just(Who::Other),
        2 => Just(Who::Account),
        1 => Just(Who::Ghost)
    ]
}

fn tok(usual: Tok) -> impl Strategy<Value = Tok> {
    prop_oneof![
        8 => Just(usual),
        1 => Just(Tok::T1),
        1 => Just(Tok::T2),
        1 => Just(Tok::T3),
        1 => Just(Tok::Missing),
        1 => Just(Tok::Forged),
    ]
}

fn client_type() -> impl Strategy<Value = u8> {
    prop_oneof![8 => Just(0u8), 1 => Just(5u8), 1 => Just(6u8)]
}

fn check_type() -> impl Strategy<Value = u8> {
    prop_oneof![8 => Just(1u8), 1 => Just(0u8)]
}

fn point() -> impl Strategy<Value = Point> {
    prop_oneof![
        8 => Just(Point::Right),
        1 => Just(Point::AtTolerance),
        1 => Just(Point::Beyond),
        1 => Just(Point::Negative),
        1 => Just(Point::Huge),
    ]
}

fn slide() -> impl Strategy<Value = Slide> {
    prop_oneof![
        8 => Just(Slide::Plausible),
        1 => Just(Slide::TooFast),
        1 => Just(Slide::TooSlow),
        1 => Just(Slide::Missing)
    ]
}

fn check_captcha() -> impl Strategy<Value = Op> {
    (
        who(),
        client_type(),
        check_type(),
        tok(Tok::T1),
        point(),
        slide(),
    )
        .prop_map(
            |(who, client_type, check_type, token, point, slide)| Op::CheckCaptcha {
                who,
                client_type,
                check_type,
                token,
                point,
                slide,
            },
        )
}

fn send_code() -> impl Strategy<Value = Op> {
    let channel = prop_oneof![
        8 => Just(Channel::Default),
        2 => Just(Channel::Sms),
        1 => Just(Channel::Email),
        1 => Just(Channel::Bogus),
    ];
    (who(), tok(Tok::T2), channel).prop_map(|(who, token, channel)| Op::SendCode {
        who,
        token,
        channel,
    })
}

fn check_code() -> impl Strategy<Value = Op> {
    let guess =
        prop_oneof![6 => Just(Guess::Right), 2 => Just(Guess::Wrong), 1 => Just(Guess::Unicode)];
    (who(), guess).prop_map(|(who, guess)| Op::CheckCode { who, guess })
}

fn reset() -> impl Strategy<Value = Op> {
    let password = prop_oneof![
        6 => Just(NewPassword::Valid),
        1 => Just(NewPassword::TooShort),
        1 => Just(NewPassword::OneClass),
        1 => Just(NewPassword::Run),
        1 => Just(NewPassword::UserName),
    ];
    (who(), tok(Tok::T3), password).prop_map(|(who, token, password)| Op::Reset {
        who,
        token,
        password,
    })
}

fn malformed() -> impl Strategy<Value = Op> {
    let call = prop_oneof![
        Just(Call::SendCaptcha),
        Just(Call::CheckCaptcha),
        Just(Call::SendCode),
        Just(Call::CheckCode),
        Just(Call::Reset),
    ];
    let mutation = prop_oneof![
        Just(Mutation::NotJson),
        Just(Mutation::WrongContentType),
        Just(Mutation::DuplicateKey),
        Just(Mutation::MissingUser),
        Just(Mutation::UserNotAString),
        Just(Mutation::EmptyUser),
        Just(Mutation::LongUser),
        Just(Mutation::HugeNumber),
    ];
    (call, mutation).prop_map(|(call, mutation)| Op::Malformed { call, mutation })
}

/// One operation. The valid calls of the flow come most often, so sequences get far into it.
pub fn op() -> impl Strategy<Value = Op> {
    let send_captcha =
        (who(), client_type(), check_type()).prop_map(|(who, client_type, check_type)| {
            Op::SendCaptcha {
                who,
                client_type,
                check_type,
            }
        });
    let login = prop_oneof![
        Just(LoginWith::Current),
        Just(LoginWith::Old),
        Just(LoginWith::Wrong)
    ]
    .prop_map(|with| Op::Login { with });
    let wait = prop_oneof![Just(Expiry::T1), Just(Expiry::Code)].prop_map(Op::Wait);
    let racing = prop_oneof![check_captcha(), send_code(), check_code(), reset()]
        .prop_map(|op| Op::Twice(Box::new(op)));
    let stage = prop_oneof![
        Just(Stage::T1),
        Just(Stage::T2),
        Just(Stage::Code),
        Just(Stage::T3)
    ];
    let reach = (who(), stage).prop_map(|(who, stage)| Op::Reach(who, stage));
    prop_oneof![
        8 => reach,
        6 => send_captcha,
        6 => check_captcha(),
        6 => send_code(),
        6 => check_code(),
        1 => who().prop_map(|who| Op::WrongCodes { who }),
        5 => reset(),
        2 => login,
        1 => wait,
        2 => malformed(),
        2 => racing,
    ]
}

/// A case: up to `max_len` operations. Shrinking drops and simplifies operations.
pub fn sequence(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..=max_len.max(1))
}

/// Like `sequence`, but without clock moves (for targets whose clock cannot be advanced).
pub fn sequence_without_waits(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        op().prop_filter("no clock", |op| !matches!(op, Op::Wait(_))),
        1..=max_len.max(1),
    )
}
