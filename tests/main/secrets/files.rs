//! Secrets in the files gatecheck reads and writes beside the reports: the profile `discover`
//! writes, and errors quoting a line of an accounts file.

use super::reports_dir;
use crate::support::gatecheck;

#[test]
fn discover_withholds_account_passwords_unless_revealed() {
    let dir = reports_dir("secrets-discover");
    let base = gatecheck::profile::REFERENCE_YAML.replace(
        "accounts: []",
        "accounts: [{user: \"+8613600000001\", password: \"Init#Pass01\", kind: phone}]",
    );
    let base_path = crate::support::write_file(&dir, "base.yaml", &base);
    let written = |reveal: bool| {
        let out = dir.join(format!("found-{reveal}.yaml"));
        let mut command = gatecheck();
        command
            .arg("discover")
            .arg("--profile")
            .arg(&base_path)
            .arg("--out")
            .arg(&out);
        if reveal {
            command.arg("--reveal-secrets");
        }
        let output = command.output().expect("discover runs");
        crate::support::assert_exit(&output, 0);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (std::fs::read_to_string(&out).expect("written"), stderr)
    };
    let (withheld, stderr) = written(false);
    assert!(
        !withheld.contains("Init#Pass01") && !stderr.contains("Init#Pass01"),
        "{withheld}"
    );
    assert!(
        withheld.contains(
            "password: \"<withheld>\", kind: phone}  # REVIEW: password withheld (11 characters)"
        ),
        "{withheld}"
    );
    assert!(
        stderr.contains("REVIEW accounts.0: password withheld"),
        "{stderr}"
    );
    // The generated users' one password too (the reference's is `Load#Pass2026`).
    assert!(!withheld.contains("Load#Pass2026"), "{withheld}");
    assert!(
        stderr.contains("REVIEW users.generated: password withheld"),
        "{stderr}"
    );
    let (revealed, stderr) = written(true);
    assert!(revealed.contains("password: \"Init#Pass01\""), "{revealed}");
    assert!(revealed.contains("Load#Pass2026"), "{revealed}");
    assert!(stderr.contains(gatecheck::redact::REVEALED), "{stderr}");
}

#[test]
fn errors_in_accounts_files_do_not_quote_their_passwords() {
    let dir = crate::support::temp_dir("secrets-accounts-errors");
    let password = "Hunter2SecretPass";
    let files = [
        (
            "a.csv",
            format!("user,password,kind\nalice,{password},extra\n"),
        ),
        (
            "a.yaml",
            format!("- {{user: alice, password: {password}, kind: person}}\n"),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("accounts file");
        let output = crate::support::gatecheck()
            .args(["load", "--iterations", "1", "--accounts"])
            .arg(&path)
            .arg(crate::support::repo_path("scenarios/load/reset_flow.yaml"))
            .arg("--reports")
            .arg(dir.join("reports"))
            .output()
            .expect("runs");
        crate::support::assert_exit(&output, 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("unknown user kind"), "{stderr}");
        assert!(!stderr.contains(password), "{name}: {stderr}");
        assert!(!stderr.contains("needs `user` and `password`"), "{stderr}");
    }
}
