//! `bilat serve` against DNS rebinding: the real binary on a free 127.0.0.1 port, spoken to over
//! HTTP with chosen `Host:` headers. Pages and the live-reload stream answer only names of this
//! machine and those given with `--allowed-host`.

mod serve_support;

use serve_support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The status line and body of one GET sent with exactly this Host header (none if `None`).
fn get_with_host(addr: &str, target: &str, host: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let host_line = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    // HTTP/1.0 for the request without a Host (1.1 requires one).
    let version = if host.is_some() { "1.1" } else { "1.0" };
    let req = format!("GET {target} HTTP/{version}\r\n{host_line}Connection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    // The event stream never ends: the head and the first bytes are enough.
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > 64 * 1024 || String::from_utf8_lossy(&raw).contains("event: hello") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn other_hosts_get_403_on_pages_and_the_event_stream() {
    let s = Server::start("serve-basic", &["--allowed-host", "preview.test"]);
    let port = s.addr.rsplit(':').next().expect("port").to_string();
    let page = format!("{}topics/trade/", s.base());
    let events = format!("{}__bilat/events", s.base());

    for host in [
        "localhost".to_string(),
        format!("localhost:{port}"),
        s.addr.clone(),
        "127.0.0.1".to_string(),
        format!("[::1]:{port}"),
        "preview.test".to_string(),
        format!("PREVIEW.test:{port}"),
    ] {
        let (status, body) = get_with_host(&s.addr, &page, Some(&host));
        assert_eq!(status, 200, "Host {host}: {body}");
        assert!(body.contains("MARKER-TRADE-ORIGINAL"), "Host {host}");
    }
    let (status, body) = get_with_host(&s.addr, &events, Some(&s.addr));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("event: hello"), "{body}");

    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        "localhost.evil.example".to_string(),
        "127.0.0.1.nip.io".to_string(),
        format!("attacker.test:{port}"),
    ] {
        for target in [&page, &events, &"/".to_string()] {
            let (status, body) = get_with_host(&s.addr, target, Some(&host));
            assert_eq!(status, 403, "Host {host} {target}: {body}");
            assert!(!body.contains("MARKER-TRADE"), "Host {host}: {body}");
            assert!(!body.contains("event: hello"), "Host {host}: {body}");
        }
    }
    // A client without a Host (HTTP/1.0 tools) is no browser, so no rebinding.
    let (status, _) = get_with_host(&s.addr, &page, None);
    assert_eq!(status, 200);
}
