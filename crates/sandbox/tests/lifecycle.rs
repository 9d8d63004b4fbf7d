//! Starts a real sandbox server, talks to it, drops it, and checks that it is gone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use gameday_sandbox::Sandbox;

fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the sandbox port accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn process_exists(pid: u32) -> bool {
    let stat = format!("/proc/{pid}/stat");
    if Path::new("/proc/self/stat").exists() {
        // A zombie is gone for our purposes (it is reaped by `Drop` anyway).
        return std::fs::read_to_string(stat).is_ok_and(|s| {
            !s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        });
    }
    std::process::Command::new("sh")
        .args(["-c", "kill -0 \"$1\" 2>/dev/null", "sh", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn start_answer_reset_drop() {
    let started = Instant::now();
    let sandbox = Sandbox::start().expect("the sandbox starts");
    eprintln!(
        "sandbox started in {:?} at {}",
        started.elapsed(),
        sandbox.endpoint_url()
    );

    let port = sandbox.port();
    let pid = sandbox.pid();
    assert_eq!(sandbox.endpoint_url(), format!("http://127.0.0.1:{port}"));
    assert!(sandbox.log_path().ends_with(format!("server-{port}.log")));
    assert!(process_exists(pid));

    let config = get(port, "/moto-api/config");
    assert!(config.starts_with("HTTP/1.1 201"), "{config}");
    assert!(
        config.contains(r#""lambda": {"use_docker": false}"#),
        "{config}"
    );

    // A plain moto request: an SNS ListTopics in the query protocol answers with XML.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = "Action=ListTopics&Version=2010-03-31";
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: sns.us-east-1.amazonaws.com\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("ListTopicsResponse"), "{answer}");

    sandbox.reset().expect("reset");
    let config = get(port, "/moto-api/config");
    assert!(
        config.contains(r#""lambda": {"use_docker": false}"#),
        "{config}"
    );

    let log = sandbox.log_path().to_owned();
    drop(sandbox);
    assert!(
        !process_exists(pid),
        "the server process {pid} is still there"
    );
    assert!(
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).is_err(),
        "port {port} still accepts connections"
    );
    assert!(!log.exists(), "the log of a clean run is removed");
}

#[test]
fn two_sandboxes_are_independent() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(Sandbox::start);
        let b = s.spawn(Sandbox::start);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.pid(), b.pid());
    let b_pid = b.pid();
    drop(b);
    assert!(!process_exists(b_pid));
    assert!(get(a.port(), "/moto-api/config").starts_with("HTTP/1.1 201"));
}
