//! Slow and silent clients against `inkgraph serve` on a loopback port: half-open
//! connections (headers that never end, a body that never comes, nothing at all) are closed
//! after the configured timeouts while normal requests keep being answered, and the cap on
//! open connections holds.

use crate::common;

use common::sample_blog;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A generous bound for things the server does within about a second.
const BOUND: Duration = Duration::from_secs(20);

/// A running `inkgraph serve`.
struct Running {
    child: Child,
    _lines: Receiver<String>,
    addr: String,
}

impl Running {
    fn start(extra: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_inkgraph"))
            .env_clear()
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn,inkgraph=info")
            .args(["serve", "--listen", "127.0.0.1:0", "--config", "/dev/null"])
            .arg("--content")
            .arg(sample_blog())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains("serving http://") => {
                    break line
                        .split("http://")
                        .nth(1)
                        .and_then(|rest| rest.split('/').next())
                        .expect("address")
                        .to_string();
                }
                Ok(_) => {}
                Err(_) => panic!("the server did not start"),
            }
        };
        Running {
            child,
            _lines: lines,
            addr,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).expect("connect");
        stream.set_read_timeout(Some(BOUND)).expect("timeout");
        stream
    }

    /// A complete `GET path` on a fresh connection; the whole answer.
    fn get(&self, path: &str) -> String {
        let mut stream = self.connect();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("write");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads until the server closes the connection (within [`BOUND`]); what it sent.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        // A reset also closes the connection.
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!(
            "the connection was not closed within {BOUND:?}: {err}; got {}",
            String::from_utf8_lossy(&answer)
        ),
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn half_open_connections_are_closed_while_normal_requests_are_answered() {
    let server = Running::start(&[
        "--header-read-timeout",
        "1s",
        "--request-body-timeout",
        "1s",
        "--keep-alive-timeout",
        "1s",
        "--max-connections",
        "200",
    ]);
    let started = Instant::now();
    let mut partial_headers = Vec::new();
    for _ in 0..60 {
        let mut stream = server.connect();
        write!(stream, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").expect("write");
        partial_headers.push(stream);
    }
    let mut silent = Vec::new();
    for _ in 0..40 {
        silent.push(server.connect());
    }
    let mut missing_bodies = Vec::new();
    for _ in 0..40 {
        let mut stream = server.connect();
        write!(
            stream,
            "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"query\":"
        )
        .expect("write");
        missing_bodies.push(stream);
    }
    // An idle keep-alive connection after one answered request.
    let mut kept_alive = server.connect();
    write!(kept_alive, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let mut first = [0u8; 17];
    kept_alive.read_exact(&mut first).expect("an answer");
    assert_eq!(&first, b"HTTP/1.1 200 OK\r\n");

    // With 141 slow connections open, requests are answered.
    for _ in 0..3 {
        let answer = server.get("/graphql?query=%7Bsite%7BpostCount%7D%7D");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains(r#"{"data":{"site":{"postCount":15}}}"#));
    }

    for stream in &mut partial_headers {
        read_until_closed(stream);
    }
    for stream in &mut silent {
        assert_eq!(read_until_closed(stream), "");
    }
    for stream in &mut missing_bodies {
        let answer = read_until_closed(stream);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("--request-body-timeout"), "{answer}");
    }
    read_until_closed(&mut kept_alive);
    assert!(
        started.elapsed() < BOUND,
        "closing took {:?}",
        started.elapsed()
    );
    // Still serving.
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"));
}

#[test]
fn a_trickled_header_is_cut_off() {
    let server = Running::start(&["--header-read-timeout", "1s"]);
    let mut stream = server.connect();
    write!(stream, "GET /healthz HTTP/1.1\r\n").expect("write");
    let started = Instant::now();
    // One header byte every 100 ms keeps bytes flowing but never ends the head.
    let closed = loop {
        if stream.write_all(b"X").is_err() {
            break true;
        }
        if started.elapsed() > BOUND {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(closed, "still open after {BOUND:?}");
}

#[test]
fn connections_over_the_cap_get_503_until_one_closes() {
    let server = Running::start(&["--max-connections", "5", "--header-read-timeout", "60s"]);
    let mut idle: Vec<TcpStream> = (0..5).map(|_| server.connect()).collect();
    // The five are accepted (the server answers on them) before the sixth arrives.
    for stream in &mut idle {
        write!(stream, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).expect("answered");
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    let refused = server.get("/healthz");
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains("at most 5") && refused.contains("--max-connections"),
        "{refused}"
    );
    assert!(
        refused.to_lowercase().contains("retry-after: 1"),
        "{refused}"
    );

    drop(idle.pop());
    let started = Instant::now();
    loop {
        let answer = server.get("/healthz");
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(started.elapsed() < BOUND, "no room after a close");
        std::thread::sleep(Duration::from_millis(20));
    }
}
