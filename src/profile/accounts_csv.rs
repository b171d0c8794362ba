//! An accounts file in CSV (`gatecheck load --accounts FILE.csv`): a header naming the columns
//! (`user`, `password`, and optionally `kind`, `account`, in any order), then one account a
//! line; fields may be quoted (`"a,b"`, `""` for a quote). Blank lines and lines starting with
//! `#` are skipped. Every error names its line and column.

use super::users::MAX_ACCOUNTS;
use super::{Account, UserKind};
use crate::yaml::diagnostic::{Diagnostic, Location};
use crate::yaml::Errors;

const COLUMNS: &[&str] = &["user", "password", "kind", "account"];

/// The accounts of `text`, errors collected in `errors`.
pub(super) fn decode(text: &str, errors: &mut Errors) -> Vec<Account> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        let message = "an empty accounts file: expected a header `user,password[,kind,account]`";
        errors.push(Diagnostic::new(Location::new(1, 1), 1, message));
        return Vec::new();
    };
    let Some(columns) = header_columns(header_line, header, errors) else {
        return Vec::new();
    };
    let mut accounts = Vec::new();
    for (number, line) in lines {
        if accounts.len() == MAX_ACCOUNTS {
            let message = format!("more than {MAX_ACCOUNTS} accounts: split the file");
            errors.push(Diagnostic::new(Location::new(number, 1), 1, message));
            break;
        }
        if let Some(account) = row(number, line, &columns, errors) {
            accounts.push(account);
        }
    }
    accounts
}

/// `text` with each row's password replaced by as many `*`, for quoting rows in errors (a
/// CI log is no place for them). A row whose fields are quoted is hidden after its first field.
pub(super) fn passwords_hidden(text: &str) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let password = header.split(',').position(|c| c.trim() == "password");
    let stars = |s: &str| "*".repeat(s.chars().count());
    let mut out = vec![header.to_owned()];
    for line in lines {
        let shown = match password {
            _ if line.contains('"') => match line.split_once(',') {
                Some((first, rest)) => format!("{first},{}", stars(rest)),
                None => line.to_owned(),
            },
            Some(at) => line
                .split(',')
                .enumerate()
                .map(|(i, f)| if i == at { stars(f) } else { f.to_owned() })
                .collect::<Vec<_>>()
                .join(","),
            None => line.to_owned(),
        };
        out.push(shown);
    }
    out.join("\n")
}

/// Which column each field of a row is; None after reporting a bad header.
fn header_columns(number: usize, line: &str, errors: &mut Errors) -> Option<Vec<usize>> {
    let fields = split(number, line, errors)?;
    let mut columns = Vec::new();
    let mut ok = true;
    for (name, column) in &fields {
        match COLUMNS.iter().position(|c| *c == name.trim()) {
            Some(i) if !columns.contains(&i) => columns.push(i),
            found => {
                let message = match found {
                    Some(_) => format!("the column `{name}` appears twice"),
                    None => {
                        format!("unknown column `{name}`: expected user, password, kind or account")
                    }
                };
                let diagnostic =
                    Diagnostic::new(Location::new(number, *column), name.len(), message);
                errors.push(diagnostic.suggest(name, COLUMNS.iter().copied()));
                ok = false;
            }
        }
    }
    for needed in [0, 1] {
        if ok && !columns.contains(&needed) {
            let message = format!(
                "the header needs a `{}` column (expected `user,password[,kind,account]`)",
                COLUMNS[needed]
            );
            errors.push(Diagnostic::new(
                Location::new(number, 1),
                line.len(),
                message,
            ));
            ok = false;
        }
    }
    ok.then_some(columns)
}

/// One account from a row.
fn row(number: usize, line: &str, columns: &[usize], errors: &mut Errors) -> Option<Account> {
    let fields = split(number, line, errors)?;
    if fields.len() != columns.len() {
        // At the first field too many, or where the missing one would start.
        let column = fields
            .get(columns.len())
            .map_or_else(|| line.chars().count() + 1, |(_, at)| *at);
        let message = format!(
            "{} fields, expected {} as the header says",
            fields.len(),
            columns.len()
        );
        errors.push(Diagnostic::new(Location::new(number, column), 1, message));
        return None;
    }
    let mut values: [Option<(String, usize)>; 4] = Default::default();
    for ((text, at), column) in fields.into_iter().zip(columns) {
        values[*column] = Some((text, at));
    }
    let [user, password, kind, account] = values;
    let mut required = |value: Option<(String, usize)>, name: &str| match value {
        Some((text, _)) if !text.is_empty() => Some(text),
        value => {
            let at = value.map_or(1, |(_, at)| at);
            let message = format!("an empty `{name}`: expected one");
            errors.push(Diagnostic::new(Location::new(number, at), 1, message));
            None
        }
    };
    let (user, password) = (required(user, "user"), required(password, "password"));
    let kind = match kind {
        Some((name, _)) if name.is_empty() => Some(UserKind::Phone),
        None => Some(UserKind::Phone),
        Some((name, at)) => UserKind::from_name(&name).or_else(|| {
            let message =
                format!("unknown user kind `{name}`: expected phone, email, account or unknown");
            let diagnostic = Diagnostic::new(Location::new(number, at), name.len(), message);
            errors.push(diagnostic.suggest(&name, super::USER_KINDS.iter().copied()));
            None
        }),
    };
    let account = account.map(|(text, _)| text).filter(|t| !t.is_empty());
    Some(Account {
        user: user?,
        password: password?,
        kind: kind?,
        account,
    })
}

/// The fields of one line with the column (from 1) each starts at; None after reporting a
/// quote left open.
fn split(number: usize, line: &str, errors: &mut Errors) -> Option<Vec<(String, usize)>> {
    let mut fields = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        let start = chars.peek().map_or(line.len(), |(i, _)| *i);
        let column = line[..start].chars().count() + 1;
        let mut field = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '"') {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' if chars.peek().is_some_and(|(_, c)| *c == '"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => field.push(c),
                }
            }
            if !closed {
                let message = "a quote left open: expected a closing `\"`";
                errors.push(Diagnostic::new(Location::new(number, column), 1, message));
                return None;
            }
            if let Some((i, c)) = chars.peek().copied().filter(|(_, c)| *c != ',') {
                let at = line[..i].chars().count() + 1;
                let message =
                    format!("`{c}` after a closing quote: expected `,` or the line's end");
                errors.push(Diagnostic::new(Location::new(number, at), 1, message));
                return None;
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| *c != ',') {
                field.push(c);
            }
        }
        fields.push((field.trim().to_owned(), column));
        if chars.next().is_none() {
            return Some(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Account>, String> {
        let mut errors = Errors::default();
        let accounts = decode(text, &mut errors);
        errors
            .finish("a.csv", text, accounts)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn columns_in_any_order_quotes_and_defaults() {
        let text = "# test accounts\npassword,user,account\n\"Pw,1\",+8613800000001,\"a\"\"b\"\nPw2, +8613800000002 ,\n";
        let accounts = parse(text).expect("valid");
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].password, "Pw,1");
        assert_eq!(accounts[0].account.as_deref(), Some("a\"b"));
        assert_eq!(accounts[1].user, "+8613800000002");
        assert_eq!(
            (accounts[1].kind, accounts[1].account.clone()),
            (UserKind::Phone, None)
        );
    }

    #[test]
    fn errors_name_line_column_and_what_was_expected() {
        let cases = [
            ("user,pasword\n", "1:6", "unknown column `pasword`"),
            ("user,kind\n", "1:1", "needs a `password` column"),
            ("user,password\na,b,c\n", "2:5", "3 fields, expected 2"),
            (
                "user,password,kind\na,b,mail\n",
                "2:5",
                "unknown user kind `mail`",
            ),
            ("user,password\na,\"b\n", "2:3", "a quote left open"),
            ("user,password\n,pw\n", "2:1", "an empty `user`"),
            ("", "1:1", "expected a header"),
        ];
        for (text, at, message) in cases {
            let error = parse(text).expect_err(text);
            assert!(error.contains(&format!("a.csv:{at}")), "{text:?}: {error}");
            assert!(error.contains(message), "{text:?}: {error}");
        }
    }
}
