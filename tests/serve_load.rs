//! `bilat serve` under load while it rebuilds, and the dev server against hostile requests:
//! huge headers, NUL bytes, absolute-form targets, a symlink to /etc, thousands of idle
//! connections. All traffic goes to 127.0.0.1.

mod serve_support;

use serve_support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One GET on a keep-alive connection: (status, body), or None if the connection failed or the
/// server closed it (the caller reconnects).
fn keep_alive_get(
    reader: &mut BufReader<TcpStream>,
    addr: &str,
    target: &str,
) -> Option<(u16, Vec<u8>)> {
    write!(
        reader.get_mut(),
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0u8; length?];
    reader.read_exact(&mut body).ok()?;
    Some((status, body))
}

fn connect(addr: &str) -> Option<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.set_nodelay(true).ok()?;
    Some(BufReader::new(s))
}

/// Fetches `rel` until two fetches in a row 300 ms apart give the same 200 body containing
/// `marker`: the page as served once the rebuild for it is done.
fn stable_body(s: &Server, rel: &str, marker: &str) -> Vec<u8> {
    let got = wait_for(Duration::from_secs(20), || {
        let a = s.page(rel);
        if a.status != 200 || !a.text().contains(marker) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(300));
        let b = s.page(rel);
        (b.status == 200 && b.body == a.body).then_some(a.body)
    });
    got.unwrap_or_else(|| panic!("{rel} never settled on {marker}\n{}", s.bilat.output_text()))
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    a: AtomicU64,
    b: AtomicU64,
    errors: AtomicU64,
    torn: AtomicU64,
    reconnects: AtomicU64,
    examples: Mutex<Vec<String>>,
}

impl Tally {
    fn note(&self, what: String) {
        let mut ex = self.examples.lock().expect("examples");
        if ex.len() < 10 {
            ex.push(what);
        }
    }
}

#[test]
fn two_hundred_clients_see_no_errors_and_no_torn_page_while_it_rebuilds() {
    const CLIENTS: usize = 200;
    const RUN: Duration = Duration::from_secs(10);
    let s = Server::start("serve-basic", &[]);
    let source = s.file("content/topics/trade.md");
    let text_a = std::fs::read_to_string(&source).expect("read trade.md");
    // Version B changes the body and the title, so the rebuild also touches the lists.
    let text_b = text_a
        .replace("MARKER-TRADE-ORIGINAL", "MARKER-TRADE-VERSION-B")
        .replace("title: \"Trade\"", "title: \"Trade (revised)\"")
        + "\nA longer version B, so that a torn read would change the length too.\n";
    assert_ne!(text_a, text_b);
    let rel = "topics/trade/";
    let body_a = stable_body(&s, rel, "MARKER-TRADE-ORIGINAL");
    write(&source, &text_b);
    let body_b = stable_body(&s, rel, "MARKER-TRADE-VERSION-B");
    write(&source, &text_a);
    let again_a = stable_body(&s, rel, "MARKER-TRADE-ORIGINAL");
    assert_eq!(body_a, again_a, "version A is not served the same twice");
    assert_ne!(body_a, body_b);

    let target = format!("{}{rel}", s.base());
    let tally = Arc::new(Tally::default());
    let start = Arc::new(std::sync::Barrier::new(CLIENTS + 1));
    let (body_a, body_b) = (Arc::new(body_a), Arc::new(body_b));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (tally, start) = (tally.clone(), start.clone());
        let (addr, target) = (s.addr.clone(), target.clone());
        let (body_a, body_b) = (body_a.clone(), body_b.clone());
        clients.push(
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    start.wait();
                    let until = Instant::now() + RUN;
                    let mut conn = connect(&addr);
                    while Instant::now() < until {
                        let Some(reader) = conn.as_mut() else {
                            tally.errors.fetch_add(1, Ordering::Relaxed);
                            tally.note("cannot connect".into());
                            std::thread::sleep(Duration::from_millis(10));
                            conn = connect(&addr);
                            continue;
                        };
                        match keep_alive_get(reader, &addr, &target) {
                            Some((status, body)) => {
                                tally.requests.fetch_add(1, Ordering::Relaxed);
                                if status != 200 {
                                    tally.errors.fetch_add(1, Ordering::Relaxed);
                                    tally.note(format!("status {status}"));
                                } else if body == *body_a {
                                    tally.a.fetch_add(1, Ordering::Relaxed);
                                } else if body == *body_b {
                                    tally.b.fetch_add(1, Ordering::Relaxed);
                                } else {
                                    tally.torn.fetch_add(1, Ordering::Relaxed);
                                    tally.note(format!(
                                        "torn body of {} bytes: {}",
                                        body.len(),
                                        String::from_utf8_lossy(&body)
                                    ));
                                }
                            }
                            None => {
                                // A keep-alive connection the server closed between requests
                                // is normal; one closed on every try is not (counted below).
                                tally.reconnects.fetch_add(1, Ordering::Relaxed);
                                conn = connect(&addr);
                            }
                        }
                    }
                })
                .expect("spawn client"),
        );
    }

    // The writer: alternate the page's source between A and B, in place and by rename.
    start.wait();
    let began = Instant::now();
    let mut rewrites = 0usize;
    while began.elapsed() < RUN {
        let text = if rewrites.is_multiple_of(2) {
            &text_b
        } else {
            &text_a
        };
        if rewrites % 4 < 2 {
            write(&source, text);
        } else {
            write_by_rename(&source, text);
        }
        rewrites += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    for c in clients {
        c.join().expect("client thread");
    }
    let requests = tally.requests.load(Ordering::Relaxed);
    let (a, b) = (
        tally.a.load(Ordering::Relaxed),
        tally.b.load(Ordering::Relaxed),
    );
    let errors = tally.errors.load(Ordering::Relaxed);
    let torn = tally.torn.load(Ordering::Relaxed);
    let reconnects = tally.reconnects.load(Ordering::Relaxed);
    let rebuilds = s.bilat.rebuild_lines().len();
    eprintln!(
        "serve load: {CLIENTS} clients for {RUN:?}: {requests} requests served ({a} version A, \
         {b} version B), {errors} errors, {torn} torn, {reconnects} reconnects; \
         {rewrites} rewrites, {rebuilds} rebuilds"
    );
    let examples = tally.examples.lock().expect("examples").join("\n");
    assert_eq!(errors, 0, "errors under load:\n{examples}");
    assert_eq!(torn, 0, "torn pages under load:\n{examples}");
    assert!(
        reconnects <= CLIENTS as u64,
        "{reconnects} dropped keep-alive connections"
    );
    assert!(requests >= 1000, "only {requests} requests served");
    assert!(a > 0 && b > 0, "both versions were served ({a} A, {b} B)");
    assert!(rebuilds >= 5, "only {rebuilds} rebuilds while under load");
    // Still serving, and serving the last version written.
    let last = if rewrites.is_multiple_of(2) {
        "MARKER-TRADE-ORIGINAL"
    } else {
        "MARKER-TRADE-VERSION-B"
    };
    stable_body(&s, rel, last);
    assert!(!s.bilat.stderr_text().contains("panicked"));
}

/// Sends `raw` on a fresh connection and reads what comes back (until close or 5 s): the status,
/// or None if the server closed the connection without a response.
fn raw_request(addr: &str, raw: &[u8]) -> (Option<u16>, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    // The server may close before reading it all; that is an answer too.
    let _ = stream.write_all(raw);
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok());
    (status, text)
}

fn assert_still_serving(s: &Server, after: &str) {
    let t = Instant::now();
    let r = s.page("topics/trade/");
    assert_eq!(r.status, 200, "not serving after {after}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "slow after {after}: {:?}",
        t.elapsed()
    );
}

#[test]
fn huge_headers_nul_bytes_absolute_targets_and_a_symlink_to_etc_are_refused() {
    let (tmp, root) = site_copy("serve-basic");
    let out = tmp.path().join("out");
    let s = Server::start_in(tmp, root, &["--output", out.to_str().expect("utf8")]);
    let addr = s.addr.clone();

    // A 64 KB header: an error status (431 or 400) or a closed connection, never the page.
    let big = "a".repeat(64 * 1024);
    let req = format!("GET /repo/topics/trade/ HTTP/1.1\r\nHost: {addr}\r\nX-Big: {big}\r\nConnection: close\r\n\r\n");
    let (status, _) = raw_request(&addr, req.as_bytes());
    eprintln!("a 64 KB header: {status:?}");
    assert!(
        status.is_none_or(|c| (400..500).contains(&c)),
        "a 64 KB header was answered with {status:?}"
    );
    // Beyond what the HTTP library buffers at all: 1 MB.
    let huge = "a".repeat(1024 * 1024);
    let req = format!("GET /repo/topics/trade/ HTTP/1.1\r\nHost: {addr}\r\nX-Big: {huge}\r\nConnection: close\r\n\r\n");
    let (status, _) = raw_request(&addr, req.as_bytes());
    eprintln!("a 1 MB header: {status:?}");
    assert!(
        status.is_none_or(|c| (400..500).contains(&c)),
        "a 1 MB header was answered with {status:?}"
    );
    // Many headers adding up to 64 KB.
    let mut req = format!("GET /repo/topics/trade/ HTTP/1.1\r\nHost: {addr}\r\n");
    for i in 0..64 {
        req.push_str(&format!("X-H{i}: {}\r\n", "b".repeat(1000)));
    }
    req.push_str("Connection: close\r\n\r\n");
    let (status, _) = raw_request(&addr, req.as_bytes());
    assert!(
        status.is_none_or(|c| (400..500).contains(&c)),
        "64 headers of 1 KB were answered with {status:?}"
    );
    assert_still_serving(&s, "a 64 KB header");

    // A raw NUL byte in the path (the encoded %00 is covered in tests/serve.rs).
    for target in [
        &b"/repo/\0"[..],
        b"/repo/index.html\0.txt",
        b"/repo/../\0/etc/passwd",
    ] {
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(target);
        req.extend_from_slice(
            format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let (status, text) = raw_request(&addr, &req);
        eprintln!("NUL in {:?}: {status:?}", String::from_utf8_lossy(target));
        assert!(
            status.is_none_or(|c| c == 400 || c == 404),
            "a NUL in the path was answered with {status:?}"
        );
        assert!(!text.contains("root:x:0:0"));
    }
    assert_still_serving(&s, "NUL bytes");

    // Absolute-form request targets that try to climb out.
    for target in [
        format!("http://{addr}/../../etc/passwd"),
        format!("http://{addr}/repo/../../etc/passwd"),
        format!("http://{addr}/%2e%2e/%2e%2e/etc/passwd"),
        "http://127.0.0.1/../../../../etc/passwd".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        let (status, text) = raw_request(&addr, req.as_bytes());
        eprintln!("{target}: {status:?}");
        assert!(
            status.is_none_or(|c| c == 400 || c == 404),
            "{target} was answered with {status:?}"
        );
        assert!(!text.contains("root:x:0:0"), "{target} leaked /etc/passwd");
    }
    assert_still_serving(&s, "absolute-form targets");

    // A symlink in the output that points to /etc (tests/serve.rs covers links to a temp dir).
    std::os::unix::fs::symlink("/etc", out.join("etc")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", out.join("passwd.html")).expect("symlink");
    for t in [
        "/repo/etc/passwd",
        "/repo/etc/",
        "/repo/etc",
        "/repo/etc/hostname",
        "/repo/passwd.html",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t} through a symlink to /etc");
        assert!(!r.text().contains("root:x:0:0"), "{t} leaked /etc/passwd");
    }
    assert_still_serving(&s, "a symlink to /etc");
    assert!(!s.bilat.stderr_text().contains("panicked"));
}

/// Raises the soft limit on open files to `want` (or the hard limit); returns the new soft limit.
fn raise_fd_limit(want: libc::rlim_t) -> libc::rlim_t {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        let target = want.min(lim.rlim_max);
        if lim.rlim_cur < target {
            lim.rlim_cur = target;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

#[test]
fn two_thousand_idle_connections_do_not_stop_it_answering_others() {
    // Both this process and the server (which inherits the limit) hold one descriptor per
    // connection, plus the usual few hundred.
    let limit = raise_fd_limit(8192);
    let idle = if limit >= 2600 { 2000 } else { 1000 };
    let s = Server::start("serve-basic", &[]);
    let mut held = Vec::with_capacity(idle);
    for i in 0..idle {
        let mut c = TcpStream::connect(&s.addr).expect("connect an idle connection");
        // Half send nothing at all; half stop in the middle of a request (slowloris).
        if i % 2 == 1 {
            let _ = c.write_all(b"GET /repo/topics/trade/ HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        held.push(c);
    }
    // A normal client still gets answers, each within 2 s.
    for n in 0..10 {
        let t = Instant::now();
        let r = s.page("topics/trade/");
        let took = t.elapsed();
        assert_eq!(r.status, 200, "request {n} with {idle} idle connections");
        assert!(
            took < Duration::from_secs(2),
            "request {n} took {took:?} with {idle} idle connections"
        );
    }
    // And keeps doing so while the idle connections are still open.
    std::thread::sleep(Duration::from_secs(1));
    let open = held
        .iter()
        .filter(|c| {
            c.set_nonblocking(true).ok();
            let mut b = [0u8; 1];
            // WouldBlock: still open and silent. 0 bytes: closed by the server.
            matches!(c.peek(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count();
    let t = Instant::now();
    assert_eq!(s.page("").status, 200);
    assert!(t.elapsed() < Duration::from_secs(2));
    eprintln!(
        "idle connections: {idle} opened (fd limit {limit}), {open} still held open by the server, \
         11 normal requests answered"
    );
    drop(held);
    assert_still_serving(&s, "closing the idle connections");
}
