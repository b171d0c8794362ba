//! 100 simultaneous uses of one T1, one T2, one code and one T3: exactly one success each,
//! over many rounds.

use std::sync::Arc;

use gatecheck::gateway::GatewayConfig;

use crate::support::{config, start, Harness, NEW_PASSWORD};

const RACERS: usize = 100;
const ROUNDS: usize = 20;

/// Runs `attempt` RACERS times at once and returns how many succeeded.
async fn race<F, Fut>(h: &Arc<Harness>, attempt: F) -> usize
where
    F: Fn(Arc<Harness>) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| tokio::spawn(attempt(Arc::clone(h))))
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.expect("task") {
            wins += 1;
        }
    }
    wins
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_token_is_used_exactly_once_under_contention() {
    let h = Arc::new(
        start(GatewayConfig {
            resend_interval: std::time::Duration::ZERO,
            ..config(Vec::new())
        })
        .await,
    );
    for round in 0..ROUNDS {
        let user = Arc::new(h.new_user().await);

        let (t1, x) = h.captcha(&user).await;
        let (u, t) = (Arc::clone(&user), Arc::new(t1));
        let wins = race(&h, move |h| {
            let (u, t) = (Arc::clone(&u), Arc::clone(&t));
            async move { h.check_captcha(&u, &t, x).await.ok() }
        })
        .await;
        assert_eq!(wins, 1, "T1, round {round}");

        let t2 = Arc::new(h.t2(&user).await);
        let u = Arc::clone(&user);
        let wins = race(&h, move |h| {
            let (u, t) = (Arc::clone(&u), Arc::clone(&t2));
            async move { h.send_code(&u, &t).await.ok() }
        })
        .await;
        assert_eq!(wins, 1, "T2, round {round}");

        let code = Arc::new(h.outbox_code(&user).await);
        let u = Arc::clone(&user);
        let wins = race(&h, move |h| {
            let (u, c) = (Arc::clone(&u), Arc::clone(&code));
            async move { h.check_code(&u, &c).await.ok() }
        })
        .await;
        assert_eq!(wins, 1, "code, round {round}");

        let t3 = Arc::new(h.t3(&user).await);
        let u = Arc::clone(&user);
        let wins = race(&h, move |h| {
            let (u, t) = (Arc::clone(&u), Arc::clone(&t3));
            async move { h.reset(&u, &t, NEW_PASSWORD).await.ok() }
        })
        .await;
        assert_eq!(wins, 1, "T3, round {round}");
    }
}
