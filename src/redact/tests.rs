use super::*;

const T3: &str = "PXB2xq9Lm3nRt7Yv0AbCdEfGhIjKlMnOp";

fn found(redactor: &Redactor, body: &str, headers: &[(String, String)]) -> Secrets {
    let mut secrets = Secrets::default();
    redactor.find_in_body(body, &mut secrets);
    redactor.find_in_headers(headers, &mut secrets);
    secrets
}

#[test]
fn json_fields_are_masked_at_any_depth_and_scrubbed_elsewhere() {
    let redactor = Redactor::default();
    let body = format!(
        r#"{{"user":"+8613600000000","newPwd":"Aa1#Bb2$Cc3%","inner":[{{"Token":"{T3}"}}],"note":"was {T3}"}}"#
    );
    let secrets = found(&redactor, &body, &[]);
    let shown = redactor.body(&body, &secrets);
    assert!(!shown.contains(T3), "{shown}");
    assert!(!shown.contains("Aa1#Bb2$Cc3%"), "{shown}");
    assert!(shown.contains("PXB2…(33 chars)"), "{shown}");
    assert!(shown.contains("\"newPwd\":\"…(12 chars #"), "{shown}");
    assert!(shown.contains("was PXB2…(33 chars)"), "{shown}");
    assert!(shown.contains("+8613600000000"), "{shown}");
}

#[test]
fn codes_and_passwords_show_a_keyed_fingerprint_not_a_prefix() {
    let one = Redactor::default();
    let a = one.mask("123456", Class::Code);
    // The fingerprint is four hex digits of a keyed hash, so it may hold "12" by chance (a
    // CI run once drew `#124b`): only the text around it must not show the code.
    let fingerprint = a
        .strip_prefix("…(6 chars #")
        .and_then(|rest| rest.strip_suffix(')'));
    assert!(
        fingerprint.is_some_and(|f| f.len() == 4 && f.bytes().all(|b| b.is_ascii_hexdigit())),
        "{a}"
    );
    // Sixteen bits of fingerprint: two values collide once in 65,536, so each "differs" below
    // asks it of several, where a chance collision of all is 2^-64.
    let others = ["123457", "654321", "000000", "999999"];
    assert!(
        others.iter().any(|o| one.mask(o, Class::Code) != a),
        "two codes told apart"
    );
    assert_eq!(a, one.mask("123456", Class::Code), "the same code alike");
    // Another process (another key) gives another fingerprint.
    assert!(
        (0..4).any(|_| Redactor::default().mask("123456", Class::Code) != a),
        "another key, another fingerprint"
    );
}

#[test]
fn basic_credentials_and_token_headers_are_masked_and_learnt() {
    let redactor = Redactor::new(&[], &["X-Api-Key".into()], false);
    // `user1:Init#Pass00`
    let headers = vec![
        (
            "Authorization".to_owned(),
            "Basic dXNlcjE6SW5pdCNQYXNzMDA=".to_owned(),
        ),
        ("x-access-token".to_owned(), T3.to_owned()),
        ("x-api-key".to_owned(), "k-0123456789".to_owned()),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    let secrets = found(&redactor, "", &headers);
    let shown = redactor.headers(&headers, &secrets);
    assert!(shown[0].1.starts_with("Basic …(24 chars #"), "{shown:?}");
    assert_eq!(shown[1].1, "PXB2…(33 chars)");
    assert!(!shown[2].1.contains("0123456789"), "{shown:?}");
    assert_eq!(shown[3].1, "application/json");
    let text = redactor.scrub("login as user1:Init#Pass00 with Init#Pass00", &secrets);
    assert!(!text.contains("Init#Pass00"), "{text}");
}

#[test]
fn extra_profile_fields_are_secret_too() {
    let redactor = Redactor::new(&["otp".into()], &[], false);
    let body = r#"{"otp": 987654, "user": "u"}"#;
    let secrets = found(&redactor, body, &[]);
    let shown = redactor.body(body, &secrets);
    assert!(!shown.contains("987654"), "{shown}");
    assert_eq!(
        redactor.scrub("code 987654.", &secrets),
        format!("code {}.", redactor.mask("987654", Class::Password))
    );
    // A digit run is not cut out of a longer number.
    assert_eq!(redactor.scrub("0.19876543", &secrets), "0.19876543");
}

#[test]
fn long_strings_are_cut_and_short_bodies_kept_byte_for_byte() {
    let redactor = Redactor::default();
    let image = format!("data:image/png;base64,{}", "A".repeat(4000));
    let body = format!(r#"{{"image":"{image}"}}"#);
    let shown = redactor.body(&body, &Secrets::default());
    assert!(
        shown.len() < 100 && shown.contains("…(4022 chars)"),
        "{shown}"
    );
    let odd = r#"{"user": "u",  "pointX": 5.0, "user": "v"}"#;
    assert_eq!(redactor.body(odd, &Secrets::default()), odd);
}

#[test]
fn a_token_in_a_test_support_path_is_learnt() {
    let redactor = Redactor::default();
    let mut secrets = Secrets::default();
    redactor.find_in_path(&format!("/test/v1/captcha/{T3}?x=1"), &mut secrets);
    let url = format!("http://127.0.0.1:9/test/v1/captcha/{T3}");
    assert_eq!(
        redactor.scrub(&url, &secrets),
        "http://127.0.0.1:9/test/v1/captcha/PXB2…(33 chars)"
    );
}

#[test]
fn revealing_shows_everything_but_still_cuts() {
    let redactor = Redactor::new(&[], &[], true);
    let body = format!(r#"{{"token":"{T3}","img":"{}"}}"#, "B".repeat(500));
    let secrets = found(&redactor, &body, &[]);
    let shown = redactor.body(&body, &secrets);
    assert!(
        shown.contains(T3) && shown.contains("…(500 chars)"),
        "{shown}"
    );
    assert!(redactor.reveals());
}

#[test]
fn a_standing_secret_is_scrubbed_from_every_text_without_being_learnt() {
    let token = "tok-13-standing-value";
    let redactor = Redactor::default().with_standing(token, Class::Token);
    let none = Secrets::default();
    let text = format!("/test/v1/outbox/latest answered 500: echo {token}");
    assert!(!redactor.scrub(&text, &none).contains(token));
    let body = format!(r#"{{"msg":"echo {token}"}}"#);
    assert!(!redactor.body(&body, &none).contains(token));
    let headers = [("x-echo".to_owned(), token.to_owned())];
    assert!(!redactor.headers(&headers, &none)[0].1.contains(token));
    let revealing = Redactor::new(&[], &[], true).with_standing(token, Class::Token);
    assert!(revealing.scrub(&text, &none).contains(token));
}
