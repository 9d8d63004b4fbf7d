//! A minimal HTTP/1.1 client on `std::net::TcpStream`, enough for the sandbox's own control
//! calls (`/moto-api/...`): one request per connection (`Connection: close`), bodies delimited
//! by `Content-Length`, chunked transfer coding, or the end of the connection.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// An HTTP response: status code, headers (names lower-cased) and the decoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, cut to `limit` characters, for error messages.
    pub fn body_excerpt(&self, limit: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(limit) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text.to_owned(),
        }
    }
}

/// Sends one request to `authority` (`host:port`) and reads the whole response.
/// `body` is `(content type, bytes)`. `timeout` bounds the connect and every read and write.
pub(crate) fn request(
    authority: &str,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
    timeout: Duration,
) -> io::Result<Response> {
    let addr = authority.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{authority} resolves to no address"),
        )
    })?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: */*\r\nUser-Agent: gameday-sandbox\r\n"
    );
    let payload = match body {
        Some((content_type, bytes)) => {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                bytes.len()
            ));
            bytes
        }
        None if method != "GET" && method != "HEAD" => {
            head.push_str("Content-Length: 0\r\n");
            &[][..]
        }
        None => &[][..],
    };
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(payload);
    stream.write_all(&message)?;
    stream.flush()?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw, method == "HEAD")
}

/// Parses a complete HTTP/1.1 response (the connection has been read to its end).
pub(crate) fn parse_response(raw: &[u8], head_only: bool) -> io::Result<Response> {
    let end = find(raw, b"\r\n\r\n")
        .ok_or_else(|| invalid("the response ended before its headers were complete"))?;
    let head = std::str::from_utf8(&raw[..end])
        .map_err(|_| invalid("the response headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(&format!(
            "not an HTTP/1.x status line: {status_line:?}"
        )));
    }
    let status = parts
        .next()
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|code| (100..1000).contains(code))
        .ok_or_else(|| invalid(&format!("bad status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(&format!("bad header line: {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let rest = &raw[end + 4..];
    let response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let no_body = head_only || status == 204 || status == 304 || (100..200).contains(&status);
    let body = if no_body {
        Vec::new()
    } else if response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
    {
        decode_chunked(rest)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| invalid(&format!("bad Content-Length: {length:?}")))?;
        if rest.len() < length {
            return Err(invalid(&format!(
                "the body ended after {} of {length} bytes",
                rest.len()
            )));
        }
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { body, ..response })
}

fn decode_chunked(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end =
            find(rest, b"\r\n").ok_or_else(|| invalid("a chunk size line is incomplete"))?;
        let line = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| invalid("a chunk size line is not UTF-8"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| invalid(&format!("bad chunk size: {line:?}")))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body); // trailers, if any, are ignored
        }
        if rest.len() < size + 2 {
            return Err(invalid("a chunk ended early"));
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::thread;

    /// Serves one connection with `response` and returns what the client sent.
    fn serve_once(response: &'static [u8]) -> (String, thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut request = Vec::new();
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap();
                }
                request.extend_from_slice(line.as_bytes());
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; content_length];
            reader.read_exact(&mut body).unwrap();
            request.extend_from_slice(&body);
            reader.get_mut().write_all(response).unwrap();
            request
        });
        (authority, handle)
    }

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn get_with_content_length() {
        let (authority, server) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\": \"ok\"}",
        );
        let response = request(&authority, "GET", "/moto-api/config", None, TIMEOUT).unwrap();
        assert_eq!(response.status, 200);
        assert!(response.is_success());
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(response.body, br#"{"status": "ok"}"#);
        let sent = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(
            sent.starts_with("GET /moto-api/config HTTP/1.1\r\n"),
            "{sent}"
        );
        assert!(sent.contains(&format!("Host: {authority}\r\n")), "{sent}");
        assert!(sent.contains("Connection: close\r\n"), "{sent}");
        assert!(
            !sent.to_ascii_lowercase().contains("content-length"),
            "{sent}"
        );
    }

    #[test]
    fn post_sends_the_body_and_its_length() {
        let (authority, server) =
            serve_once(b"HTTP/1.1 201 CREATED\r\nContent-Length: 2\r\n\r\n{}");
        let body = br#"{"lambda":{"use_docker":false}}"#;
        let response = request(
            &authority,
            "POST",
            "/moto-api/config",
            Some(("application/json", body)),
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body, b"{}");
        let sent = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(
            sent.starts_with("POST /moto-api/config HTTP/1.1\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("Content-Type: application/json\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains(&format!("Content-Length: {}\r\n", body.len())),
            "{sent}"
        );
        assert!(
            sent.ends_with("\r\n\r\n{\"lambda\":{\"use_docker\":false}}"),
            "{sent}"
        );
    }

    #[test]
    fn post_without_body_sends_zero_length() {
        let (authority, server) = serve_once(b"HTTP/1.1 200 OK\r\n\r\nclose-delimited");
        let response = request(&authority, "POST", "/moto-api/reset", None, TIMEOUT).unwrap();
        assert_eq!(response.body, b"close-delimited");
        let sent = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(sent.contains("Content-Length: 0\r\n"), "{sent}");
    }

    #[test]
    fn chunked_body_is_decoded() {
        let (authority, _server) = serve_once(
            b"HTTP/1.1 500 INTERNAL SERVER ERROR\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
        let response = request(&authority, "GET", "/", None, TIMEOUT).unwrap();
        assert_eq!(response.status, 500);
        assert!(!response.is_success());
        assert_eq!(response.body, b"hello world");
        assert_eq!(response.body_excerpt(5), "hello…");
    }

    #[test]
    fn malformed_responses_are_errors() {
        for raw in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno-colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            let error = parse_response(raw, false).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidData,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn a_closed_port_is_a_connection_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        drop(listener);
        let error = request(&authority, "GET", "/", None, TIMEOUT).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
