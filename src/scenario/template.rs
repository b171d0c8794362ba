//! Templates: text with `{{ expr }}` holes. An expression is a sum of terms (`+`, `-`), each an
//! integer, a dotted path into the run's values (`answer.pointX`, `profile.captcha.tolerance`,
//! `users.bob`), or a built-in call (`uuid()`, `digits(6)`). A template that is one hole and
//! nothing else keeps the value's type, so `"{{ answer.pointX + 5 }}"` is a number.

use serde_json::Value;

use crate::yaml::diagnostic::Location;

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
    /// Where the template's text starts in its file (unknown for built-in defaults).
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Hole(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub first: Term,
    pub rest: Vec<(Sign, Term)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Plus,
    Minus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Int(i64),
    Path(Vec<String>),
    Call(String, Vec<Expr>),
}

/// Built-in functions a template may call: `uuid()`, `digits(n)` (n random digits),
/// `letters(n)` (n letters, no three alike in a row), `password(n)` (n characters of every
/// class, no three alike in a row).
pub const BUILTINS: &[&str] = &["uuid", "digits", "letters", "password", "classes", "run"];

/// How deeply calls may nest (`digits(digits(1))` is 2): evaluating, cloning and dropping a
/// template recurse once a level, and `run` evaluates on worker threads with small stacks.
pub const MAX_CALL_DEPTH: usize = 16;

/// A syntax error at a character offset inside the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, SyntaxError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let inner_start = open + 2;
            let close = rest[inner_start..].find("}}").ok_or(SyntaxError {
                offset: offset + open,
                message: "`{{` without a closing `}}`".into(),
            })?;
            let inner = &rest[inner_start..inner_start + close];
            let expr = parse_expr(inner).map_err(|(at, message)| SyntaxError {
                offset: offset + inner_start + at,
                message,
            })?;
            parts.push(Part::Hole(expr));
            let consumed = inner_start + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self {
            parts,
            at: Location::default(),
        })
    }

    /// Every term of every hole, call arguments included.
    fn terms(&self) -> Vec<&Term> {
        fn walk<'a>(expr: &'a Expr, out: &mut Vec<&'a Term>) {
            for term in std::iter::once(&expr.first).chain(expr.rest.iter().map(|(_, t)| t)) {
                out.push(term);
                if let Term::Call(_, args) = term {
                    args.iter().for_each(|arg| walk(arg, out));
                }
            }
        }
        let mut out = Vec::new();
        for part in &self.parts {
            if let Part::Hole(expr) = part {
                walk(expr, &mut out);
            }
        }
        out
    }

    /// Every path the template reads.
    pub fn paths(&self) -> impl Iterator<Item = &[String]> {
        self.terms().into_iter().filter_map(|term| match term {
            Term::Path(path) => Some(path.as_slice()),
            _ => None,
        })
    }

    pub fn calls(&self) -> impl Iterator<Item = &str> {
        self.terms().into_iter().filter_map(|term| match term {
            Term::Call(name, _) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Whether the template has no holes: it renders as its text, whatever the context.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|part| matches!(part, Part::Text(_)))
    }

    /// The path, if the template is one hole of one path and nothing else (`{{ t1 }}`): it
    /// renders as that value itself.
    pub fn single_path(&self) -> Option<&[String]> {
        match self.parts.as_slice() {
            [Part::Hole(Expr {
                first: Term::Path(path),
                rest,
            })] if rest.is_empty() => Some(path),
            _ => None,
        }
    }

    /// Evaluates against `lookup` (a path to a value). One hole alone keeps its type.
    pub fn render(&self, lookup: &dyn Fn(&[String]) -> Option<Value>) -> Result<Value, String> {
        if let [Part::Hole(expr)] = self.parts.as_slice() {
            return eval(expr, lookup);
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Hole(expr) => match eval(expr, lookup)? {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(Value::String(out))
    }
}

fn eval(expr: &Expr, lookup: &dyn Fn(&[String]) -> Option<Value>) -> Result<Value, String> {
    let first = term_value(&expr.first, lookup)?;
    if expr.rest.is_empty() {
        return Ok(first);
    }
    let mut total = as_int(&first, &expr.first)?;
    for (sign, term) in &expr.rest {
        let value = as_int(&term_value(term, lookup)?, term)?;
        total = match sign {
            Sign::Plus => total.checked_add(value),
            Sign::Minus => total.checked_sub(value),
        }
        .ok_or("integer overflow in template arithmetic")?;
    }
    Ok(Value::from(total))
}

fn as_int(value: &Value, term: &Term) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{} is not an integer", describe(term))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{} is {s:?}, not an integer", describe(term))),
        other => Err(format!("{} is {other}, not an integer", describe(term))),
    }
}

fn describe(term: &Term) -> String {
    match term {
        Term::Int(i) => i.to_string(),
        Term::Path(path) => format!("`{}`", path.join(".")),
        Term::Call(name, _) => format!("`{name}()`"),
    }
}

fn term_value(term: &Term, lookup: &dyn Fn(&[String]) -> Option<Value>) -> Result<Value, String> {
    match term {
        Term::Int(i) => Ok(Value::from(*i)),
        Term::Path(path) => {
            lookup(path).ok_or_else(|| format!("`{}` has no value here", path.join(".")))
        }
        Term::Call(name, args) => {
            let args = args
                .iter()
                .map(|arg| eval(arg, lookup).and_then(|v| as_int(&v, term)))
                .collect::<Result<Vec<_>, _>>()?;
            call(name, &args)
        }
    }
}

fn call(name: &str, args: &[i64]) -> Result<Value, String> {
    use rand::Rng;
    let cycle = |n: usize, alphabet: &[u8]| -> String {
        (0..n)
            .map(|i| alphabet[i % alphabet.len()] as char)
            .collect()
    };
    match (name, args) {
        ("uuid", []) => Ok(Value::from(uuid::Uuid::new_v4().to_string())),
        ("digits", [n]) if (1..=64).contains(n) => {
            let mut rng = rand::rng();
            Ok(Value::from(
                (0..*n)
                    .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                    .collect::<String>(),
            ))
        }
        // Up to 16 MiB and a bit: bodies past any body cap a profile may give.
        ("letters", [n]) if (0..=16_777_316).contains(n) => Ok(Value::from(cycle(
            *n as usize,
            b"abcdefghijklmnopqrstuvwxyz",
        ))),
        ("password", [n]) if (0..=4096).contains(n) => Ok(Value::from(cycle(
            *n as usize,
            b"Aa1#Bb2$Cc3%Dd4&Ee5*Ff6+Gg7-Hh8=",
        ))),
        // n characters of the first k classes in turn (lower, upper, digit, other), no runs.
        ("classes", [k, n]) if (1..=4).contains(k) && (0..=4096).contains(n) => {
            let alphabet: Vec<u8> = (0..26u8)
                .flat_map(|i| {
                    [
                        b'a' + i,
                        b'A' + i,
                        b'0' + i % 10,
                        b"#$%&*+-="[usize::from(i % 8)],
                    ]
                    .into_iter()
                    .take(*k as usize)
                })
                .collect();
            Ok(Value::from(cycle(*n as usize, &alphabet)))
        }
        // A run of k `x`s, then every class: at least n characters, at least k + 4.
        ("run", [k, n]) if (1..=4096).contains(k) && (0..=4096).contains(n) => {
            let rest = (*n - *k).max(4) as usize;
            let tail = cycle(rest, b"Aa1#Bb2$Cc3%Dd4&Ee5*Ff6+Gg7-Hh8=");
            Ok(Value::from(format!("{}{tail}", "x".repeat(*k as usize))))
        }
        ("uuid", _) => Err("`uuid()` takes no arguments".into()),
        ("classes", _) => Err("`classes(k, n)`: k classes from 1 to 4, n characters".into()),
        ("run", _) => Err("`run(k, n)`: a run of k from 1, at least n characters".into()),
        _ => Err(format!(
            "`{name}()` takes one count (digits: 1-64, letters: 0-16777316, password: 0-4096)"
        )),
    }
}

/// Parses the inside of `{{ }}`; errors carry an offset into `text`.
fn parse_expr(text: &str) -> Result<Expr, (usize, String)> {
    let tokens = tokenize(text)?;
    let mut at = 0;
    let expr = parse_sum(&tokens, &mut at, text.len(), 0)?;
    match tokens.get(at) {
        None => Ok(expr),
        Some((position, _)) => Err((*position, "expected `+`, `-` or `}}`".into())),
    }
}

/// `term (+|- term)*`, stopping at anything else (`,`, `)`, the end).
fn parse_sum(
    tokens: &[(usize, Token)],
    at: &mut usize,
    end: usize,
    depth: usize,
) -> Result<Expr, (usize, String)> {
    let first = parse_term(tokens, at, end, depth)?;
    let mut rest = Vec::new();
    loop {
        let sign = match tokens.get(*at).map(|t| &t.1) {
            Some(Token::Plus) => Sign::Plus,
            Some(Token::Minus) => Sign::Minus,
            _ => break,
        };
        *at += 1;
        rest.push((sign, parse_term(tokens, at, end, depth)?));
    }
    Ok(Expr { first, rest })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Int(i64),
    Ident(String),
    Dot,
    Plus,
    Minus,
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, (usize, String)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            b'.' => Token::Dot,
            b'+' => Token::Plus,
            b'-' => Token::Minus,
            b'(' => Token::Open,
            b')' => Token::Close,
            b',' => Token::Comma,
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let number = text[start..i]
                    .parse()
                    .map_err(|_| (start, "number too large".to_owned()))?;
                tokens.push((start, Token::Int(number)));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push((start, Token::Ident(text[start..i].to_owned())));
                continue;
            }
            _ => {
                let shown = text[start..].chars().next().unwrap_or('?');
                return Err((start, format!("unexpected `{shown}` in template")));
            }
        };
        tokens.push((start, token));
        i += 1;
    }
    Ok(tokens)
}

/// A term inside `depth` calls.
fn parse_term(
    tokens: &[(usize, Token)],
    at: &mut usize,
    end: usize,
    depth: usize,
) -> Result<Term, (usize, String)> {
    let position = tokens.get(*at).map_or(end, |t| t.0);
    match tokens.get(*at).map(|t| &t.1) {
        Some(Token::Int(i)) => {
            *at += 1;
            Ok(Term::Int(*i))
        }
        Some(Token::Ident(name)) => {
            *at += 1;
            if matches!(tokens.get(*at).map(|t| &t.1), Some(Token::Open)) {
                if depth == MAX_CALL_DEPTH {
                    let message = format!("calls nested more than {MAX_CALL_DEPTH} deep");
                    return Err((position, message));
                }
                *at += 1;
                let mut args = Vec::new();
                if matches!(tokens.get(*at).map(|t| &t.1), Some(Token::Close)) {
                    *at += 1;
                    return Ok(Term::Call(name.clone(), args));
                }
                loop {
                    args.push(parse_sum(tokens, at, end, depth + 1)?);
                    match tokens.get(*at).map(|t| &t.1) {
                        Some(Token::Close) => {
                            *at += 1;
                            break;
                        }
                        Some(Token::Comma) => *at += 1,
                        _ => {
                            return Err((
                                tokens.get(*at).map_or(end, |t| t.0),
                                "expected `,` or `)`".into(),
                            ))
                        }
                    }
                }
                return Ok(Term::Call(name.clone(), args));
            }
            let mut path = vec![name.clone()];
            while matches!(tokens.get(*at).map(|t| &t.1), Some(Token::Dot)) {
                *at += 1;
                match tokens.get(*at).map(|t| &t.1) {
                    Some(Token::Ident(part)) => path.push(part.clone()),
                    Some(Token::Int(i)) => path.push(i.to_string()),
                    _ => {
                        return Err((
                            tokens.get(*at).map_or(end, |t| t.0),
                            "expected a name after `.`".into(),
                        ))
                    }
                }
                *at += 1;
            }
            Ok(Term::Path(path))
        }
        _ => Err((position, "expected a name, a number or a call".into())),
    }
}

#[cfg(test)]
mod tests;
