//! An HTTP/1.1 connection with the one timer that bounds its exchanges, kept for the
//! connection's life. Deadlines mostly come later with each exchange, so the timer is left
//! where it is: when it fires at an older exchange's deadline, it moves on to this one's, once
//! a timeout's length. A deadline earlier than the timer's (a shorter timeout) moves it back at
//! once, and a connection used on another runtime gets a new timer. A `tokio::time::timeout`
//! per request put a timer into the wheel and took it out again; moving one timer to every
//! exchange's deadline cost almost as much. This saves 230 instructions a request
//! (bench/README.md).

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

use super::h1::{Connection, Failure, Outgoing};
use super::Exchange;

pub(super) struct Timed<S> {
    pub connection: Connection<S>,
    /// The runtime the timer was made on: a timer polled on another runtime, one that may be
    /// shutting down, panics; a connection outliving its runtime gets a new one.
    timer: Option<(Id, Pin<Box<Sleep>>)>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Timed<S> {
    pub(super) fn new(connection: Connection<S>) -> Self {
        Self {
            connection,
            timer: None,
        }
    }

    /// The connection's exchange, given up at `deadline`: `None` if the deadline came first.
    /// Must run inside a tokio runtime with its timer enabled.
    pub(super) async fn exchange(
        &mut self,
        request: &Outgoing<'_>,
        max_body: usize,
        deadline: Instant,
    ) -> Option<Result<Exchange, Failure>> {
        let runtime = Handle::current().id();
        let timer = match &mut self.timer {
            Some((made_on, timer)) if *made_on == runtime => timer,
            slot => {
                &mut slot
                    .insert((runtime, Box::pin(tokio::time::sleep_until(deadline))))
                    .1
            }
        };
        // A deadline earlier than the timer's (a shorter timeout than the last exchange's).
        if deadline < timer.deadline() {
            timer.as_mut().reset(deadline);
        }
        let exchange = self.connection.exchange(request, max_body);
        tokio::pin!(exchange);
        loop {
            tokio::select! {
                biased;
                outcome = &mut exchange => return Some(outcome),
                () = timer.as_mut() => {
                    if Instant::now() >= deadline {
                        return None;
                    }
                    // Set for an earlier exchange: on to this one's deadline.
                    timer.as_mut().reset(deadline);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    /// One timer bounds every exchange at that exchange's deadline: never before it (the end is
    /// checked against the clock), and not at an older exchange's deadline, earlier or later.
    /// The upper bounds are ten times the deadline, so a slow machine does not fail them.
    #[tokio::test]
    async fn each_exchange_ends_at_its_own_deadline() {
        let method = hyper::Method::PUT;
        let request = Outgoing {
            method: &method,
            path: "/",
            defaults: [("host", "test"), ("user-agent", "test")],
            headers: &[],
            body: None,
        };
        let (client, mut server) = tokio::io::duplex(4096);
        let mut timed = Timed::new(Connection::new(client));
        server
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .expect("written");
        let short = Instant::now() + Duration::from_millis(50);
        assert!(matches!(
            timed.exchange(&request, 1024, short).await,
            Some(Ok(_))
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;

        // The timer, set for 50 ms, has passed: this exchange still waits its own 300 ms.
        let started = Instant::now();
        let later = started + Duration::from_millis(300);
        assert!(timed.exchange(&request, 1024, later).await.is_none());
        assert!(Instant::now() >= later);
        assert!(started.elapsed() < Duration::from_secs(3));

        // A shorter timeout than the timer's 60 s: the timer moves back to it.
        let (client, _server) = tokio::io::duplex(4096);
        let mut timed = Timed::new(Connection::new(client));
        let far = Instant::now() + Duration::from_secs(60);
        let waiting = tokio::time::timeout(
            Duration::from_millis(10),
            timed.exchange(&request, 1024, far),
        );
        assert!(waiting.await.is_err(), "still waiting for the far deadline");
        let started = Instant::now();
        let near = started + Duration::from_millis(200);
        assert!(timed.exchange(&request, 1024, near).await.is_none());
        assert!(Instant::now() >= near);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
