//! `uring-probe epoll|uring ADDR CONNECTIONS REQUESTS`: sends REQUESTS copies of one PUT over
//! CONNECTIONS kept-alive connections (each waits for its answer before the next), on one
//! thread, and prints the process's user and system CPU per request. The client is as lean on
//! both sides (one write, reads until the answer's Content-Length is in), so only the I/O
//! mechanism differs: tokio's epoll reactor or io_uring's submission and completion rings.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

const BODY: &str = r#"{"user": "+8613600000000", "code": "1"}"#;

fn request(addr: SocketAddr) -> Vec<u8> {
    format!(
        "PUT /v1/usg/acs/verifycode/check HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// The length of a whole answer at the start of `buf`, once it is all there.
fn answer_length(buf: &[u8]) -> Option<usize> {
    let head = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&buf[..head]).ok()?;
    let length = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>())
        })?
        .ok()?;
    (buf.len() >= head + length).then_some(head + length)
}

/// Claims one more request of the total, if any are left.
fn claim(left: &Cell<u64>) -> bool {
    let n = left.get();
    if n == 0 {
        return false;
    }
    left.set(n - 1);
    true
}

async fn epoll_connection(addr: SocketAddr, left: Rc<Cell<u64>>) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let request = request(addr);
    let mut buf = Vec::with_capacity(4096);
    let mut done = 0;
    while claim(&left) {
        stream.write_all(&request).await.expect("write");
        loop {
            if let Some(n) = answer_length(&buf) {
                buf.drain(..n);
                break;
            }
            if stream.read_buf(&mut buf).await.expect("read") == 0 {
                return done;
            }
        }
        done += 1;
    }
    done
}

async fn uring_connection(addr: SocketAddr, left: Rc<Cell<u64>>) -> u64 {
    let stream = tokio_uring::net::TcpStream::connect(addr)
        .await
        .expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut request = request(addr);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut read = vec![0u8; 4096];
    let mut done = 0;
    while claim(&left) {
        let (written, back) = stream.write_all(request).await;
        written.expect("write");
        request = back;
        loop {
            if let Some(n) = answer_length(&buf) {
                buf.drain(..n);
                break;
            }
            let (got, back) = stream.read(read).await;
            read = back;
            let got = got.expect("read");
            if got == 0 {
                return done;
            }
            buf.extend_from_slice(&read[..got]);
        }
        done += 1;
    }
    done
}

fn cpu() -> (f64, f64) {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (s(usage.ru_utime), s(usage.ru_stime))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, addr, connections, requests] = &args[..] else {
        eprintln!("usage: uring-probe epoll|uring ADDR CONNECTIONS REQUESTS");
        std::process::exit(2);
    };
    let addr: SocketAddr = addr.parse().expect("ADDR");
    let connections: u64 = connections.parse().expect("CONNECTIONS");
    let requests: u64 = requests.parse().expect("REQUESTS");
    let left = Rc::new(Cell::new(requests));
    let started = std::time::Instant::now();
    let (user0, sys0) = cpu();
    let done: u64 = match mode.as_str() {
        "epoll" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async {
                let tasks: Vec<_> = (0..connections)
                    .map(|_| tokio::task::spawn_local(epoll_connection(addr, Rc::clone(&left))))
                    .collect();
                let mut done = 0;
                for task in tasks {
                    done += task.await.expect("task");
                }
                done
            })
        }
        "uring" => tokio_uring::start(async {
            let tasks: Vec<_> = (0..connections)
                .map(|_| tokio_uring::spawn(uring_connection(addr, Rc::clone(&left))))
                .collect();
            let mut done = 0;
            for task in tasks {
                done += task.await.expect("task");
            }
            done
        }),
        other => {
            eprintln!("mode `{other}`: epoll or uring");
            std::process::exit(2);
        }
    };
    let (user1, sys1) = cpu();
    let seconds = started.elapsed().as_secs_f64();
    let per = |t: f64| t * 1e6 / done.max(1) as f64;
    println!(
        "{mode:<6} {done} requests, {:.0}/s, user {:.2} us, sys {:.2} us, CPU-s/100k {:.2}",
        done as f64 / seconds,
        per(user1 - user0),
        per(sys1 - sys0),
        (user1 - user0 + sys1 - sys0) * 1e5 / done.max(1) as f64
    );
}
