//! The test client: a reqwest client against a gateway spawned on 127.0.0.1:0, with one helper
//! per call and per test-support endpoint, and a fresh user per test.

use gatecheck::api::Operation;
use gatecheck::gateway::{self, Fault, FaultSet, GatewayConfig, SpawnedGateway};
use serde_json::{json, Value};

pub const NEW_PASSWORD: &str = "Fresh#Pass42";
pub const OLD_PASSWORD: &str = "Start#Pass17";

/// A gateway with a small CAPTCHA pool (fast to start) and these faults.
pub fn config(faults: Vec<Fault>) -> GatewayConfig {
    GatewayConfig {
        captcha_pool: 4,
        faults: FaultSet::new(faults),
        ..GatewayConfig::default()
    }
}

pub async fn start(config: GatewayConfig) -> Harness {
    Harness::new(super::spawn_gateway(config).await)
}

pub async fn start_clean() -> Harness {
    start(config(Vec::new())).await
}

pub struct Harness {
    pub gateway: SpawnedGateway,
    pub http: reqwest::Client,
    pub base: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    pub fn code(&self) -> &str {
        self.json["error_code"].as_str().unwrap_or("")
    }

    /// True when the answer is this failure kind of the reference profile.
    pub fn is(&self, kind: gateway::FailureKind) -> bool {
        (self.status, self.code()) == (kind.info().status, kind.code())
    }

    /// Asserts the answer is this failure kind of the reference profile.
    #[track_caller]
    pub fn assert_kind(&self, kind: gateway::FailureKind) {
        assert_eq!(
            (self.status, self.code()),
            (kind.info().status, kind.code()),
            "expected {}, got {} {}",
            kind.name(),
            self.status,
            self.text
        );
    }

    pub fn token(&self) -> String {
        self.json["token"]
            .as_str()
            .expect("token in answer")
            .to_owned()
    }
}

/// A phone number no other test uses.
pub fn fresh_phone() -> String {
    format!("+86137{:08}", super::unique())
}

impl Harness {
    pub fn new(gateway: SpawnedGateway) -> Self {
        let base = gateway.base_url();
        Self {
            gateway,
            http: reqwest::Client::new(),
            base,
        }
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request reaches the gateway");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn call(&self, operation: Operation, body: Value) -> Answer {
        self.call_with(operation, &[], body).await
    }

    pub async fn call_with(
        &self,
        operation: Operation,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Answer {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.request(
            operation.method(),
            operation.path(),
            &all,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// A new user with a phone identity, bound account name and e-mail.
    pub async fn new_user(&self) -> String {
        let phone = fresh_phone();
        let account = format!("acct{}", &phone[6..]);
        self.create_user(json!({
            "user": phone, "password": OLD_PASSWORD, "account": account,
            "email": format!("{account}@example.com"),
        }))
        .await;
        phone
    }

    pub async fn create_user(&self, spec: Value) {
        let answer = self
            .request(
                reqwest::Method::POST,
                "/test/v1/users",
                &[("Content-Type", "application/json")],
                Some(spec.to_string().into_bytes()),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }

    pub async fn send_captcha(&self, user: &str) -> Answer {
        self.call(
            Operation::SendCaptcha,
            json!({"user": user, "clientType": 0, "checkType": 1}),
        )
        .await
    }

    /// T1 and the oracle's pointX for it.
    pub async fn captcha(&self, user: &str) -> (String, i64) {
        let answer = self.send_captcha(user).await;
        assert!(answer.ok(), "send_captcha: {}", answer.text);
        let t1 = answer.token();
        let x = self.answer_x(&t1).await;
        (t1, x)
    }

    pub async fn answer_x(&self, t1: &str) -> i64 {
        let oracle = self
            .request(
                reqwest::Method::GET,
                &format!("/test/v1/captcha/{t1}"),
                &[],
                None,
            )
            .await;
        assert_eq!(oracle.status, 200, "captcha oracle: {}", oracle.text);
        oracle.json["pointX"].as_i64().expect("pointX")
    }

    pub async fn check_captcha(&self, user: &str, t1: &str, x: i64) -> Answer {
        self.call(
            Operation::CheckCaptcha,
            json!({"user": user, "clientType": 0, "checkType": 1, "token": t1, "pointX": x, "slideTime": 1800}),
        )
        .await
    }

    /// Calls 1 and 2 solved: T2.
    pub async fn t2(&self, user: &str) -> String {
        let (t1, x) = self.captcha(user).await;
        let answer = self.check_captcha(user, &t1, x).await;
        assert!(answer.ok(), "check_captcha: {}", answer.text);
        answer.token()
    }

    pub async fn send_code(&self, user: &str, t2: &str) -> Answer {
        self.call(
            Operation::SendCode,
            json!({"user": user, "token": t2, "sendMethod": "sms"}),
        )
        .await
    }

    pub async fn outbox_code(&self, user: &str) -> String {
        let encoded: String = percent_encode(user);
        let answer = self
            .request(
                reqwest::Method::GET,
                &format!("/test/v1/outbox/latest?user={encoded}"),
                &[],
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "outbox: {}", answer.text);
        answer.json["code"].as_str().expect("code").to_owned()
    }

    /// Calls 1-3 done: the code that was sent.
    pub async fn code(&self, user: &str) -> String {
        let t2 = self.t2(user).await;
        let answer = self.send_code(user, &t2).await;
        assert!(answer.ok(), "send_code: {}", answer.text);
        self.outbox_code(user).await
    }

    pub async fn check_code(&self, user: &str, code: &str) -> Answer {
        self.call(Operation::CheckCode, json!({"user": user, "code": code}))
            .await
    }

    /// Calls 1-4 done: T3.
    pub async fn t3(&self, user: &str) -> String {
        let code = self.code(user).await;
        let answer = self.check_code(user, &code).await;
        assert!(answer.ok(), "check_code: {}", answer.text);
        answer.token()
    }

    pub async fn reset(&self, user: &str, t3: &str, password: &str) -> Answer {
        self.call_with(
            Operation::ResetPassword,
            &[("X-Access-Token", t3)],
            json!({"user": user, "newPwd": password}),
        )
        .await
    }

    pub async fn login(&self, account: &str, password: &str) -> Answer {
        use base64::Engine;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"))
        );
        self.call_with(
            Operation::Login,
            &[("Authorization", &basic)],
            json!({"account": account, "clientType": 72}),
        )
        .await
    }

    pub async fn advance(&self, seconds: u64) {
        let answer = self
            .request(
                reqwest::Method::POST,
                "/test/v1/clock/advance",
                &[],
                Some(json!({"seconds": seconds}).to_string().into_bytes()),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
}

pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
