//! Bounded memory: caps evict the oldest entry first, and expired entries are dropped.

use gatecheck::gateway::GatewayConfig;

use crate::support::{config, start};

#[tokio::test]
async fn a_flood_of_call_1_stays_within_the_cap_oldest_evicted_first() {
    let h = start(GatewayConfig {
        max_captchas: 50,
        ..config(Vec::new())
    })
    .await;
    let mut tokens = Vec::new();
    for _ in 0..200 {
        tokens.push(h.send_captcha("+8613600000000").await.token());
    }
    assert_eq!(h.gateway.flow.store_sizes().captchas, 50);
    let oldest = h
        .request(
            reqwest::Method::GET,
            &format!("/test/v1/captcha/{}", tokens[0]),
            &[],
            None,
        )
        .await;
    assert_eq!(oldest.status, 404, "the oldest T1 was evicted");
    let user_last = "+8613600000000";
    let (newest, x) = (tokens[199].clone(), h.answer_x(&tokens[199]).await);
    assert!(
        h.check_captcha(user_last, &newest, x).await.ok(),
        "the newest T1 still works"
    );
}

#[tokio::test]
async fn expired_entries_are_evicted() {
    let h = start(config(Vec::new())).await;
    for _ in 0..20 {
        let user = h.new_user().await;
        let _ = h.t3(&user).await; // leaves a T1, a resend timer, an outbox message and a T3
    }
    let before = h.gateway.flow.store_sizes();
    assert_eq!(
        (before.captchas, before.reset_tokens, before.resend_timers),
        (20, 20, 20)
    );
    h.advance(3600 + 1).await;
    // Eviction happens as stores are written to; one more flow touches every store.
    let user = h.new_user().await;
    let _ = h.t3(&user).await;
    let after = h.gateway.flow.store_sizes();
    assert_eq!(
        (
            after.captchas,
            after.reset_tokens,
            after.resend_timers,
            after.outbox
        ),
        (1, 1, 1, 1)
    );
}
